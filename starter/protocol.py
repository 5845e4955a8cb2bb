"""The wire protocol, written down for clients in any language: `python -m starter.protocol`
(or `make schemas`) writes every flow's request and result JSON schemas, and the payload
schemas of its signals and queries, into docs/schemas/, and the per-flow table of the
README between its `wire-protocol` markers. `--check` writes nothing and exits 1 when
either is stale; the tests run it, so the documents follow the models.

Everything comes from the registry and the workflow classes (their `@workflow.signal`
and `@workflow.query` handlers and type hints), never from a list kept by hand.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from temporalio import workflow

from workflows.registry import Flow, registry
from workflows.wire import FLOAT_ATTRIBUTES, KEYWORD_ATTRIBUTES, TASK_QUEUE

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "docs" / "schemas"
README = REPO / "README.md"
BEGIN = "<!-- wire-protocol:begin (python -m starter.protocol writes this table) -->"
END = "<!-- wire-protocol:end -->"

EVERY_RUN = ("AttuneWorkflow", "AttuneTarget", "AttuneStage")
"""Set on every run: the first two by the starter (the workflow sets AttuneWorkflow
itself when a bare client started it), AttuneStage by the run as it moves on."""
LLM_RUN = ("AttuneTier", "AttuneCostUSD")
APPROVAL_RUN = ("AttuneAwaiting",)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _handlers(cls: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """Signal name -> payload type, query name -> answer type, from the class's handlers."""
    definition = workflow._Definition.must_from_class(cls)
    signals: dict[str, Any] = {}
    for name, signal in sorted((n, s) for n, s in definition.signals.items() if n):
        hints = typing.get_type_hints(signal.fn)
        params = [p for p in inspect.signature(signal.fn).parameters if p != "self"]
        signals[name] = hints.get(params[0], Any) if params else None
    queries: dict[str, Any] = {}
    for name, query in sorted((n, q) for n, q in definition.queries.items() if n):
        queries[name] = typing.get_type_hints(query.fn).get("return", Any)
    return signals, queries


def payload_file(payload: Any) -> str | None:
    """`payloads/Progress.json`, `payloads/PendingApproval.list.json`; None for a plain
    JSON value (a string, a number, one of some names), which the table shows inline."""
    item = typing.get_args(payload)[0] if typing.get_origin(payload) is list else payload
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        return None
    return f"payloads/{item.__name__}{'.list' if item is not payload else ''}.json"


def linked(handlers: dict[str, Any]) -> str:
    """`name` linked to its payload's schema, or followed by it inline when it is small."""
    shown = []
    for name, payload in handlers.items():
        if payload is None:
            shown.append(f"`{name}`")
        elif (file := payload_file(payload)) is not None:
            shown.append(f"[`{name}`](docs/schemas/{file})")
        else:
            inline = json.dumps(TypeAdapter(payload).json_schema(), separators=(",", ":"))
            shown.append(f"`{name}` `{inline}`")
    return ", ".join(shown) or "-"


def search_attributes(flow: Flow) -> list[str]:
    assert flow.request is not None
    names = list(EVERY_RUN)
    if "max_cost_usd" in flow.request.model_fields:
        names += LLM_RUN
    if flow.asks_approval or "spec" in flow.request.model_fields:
        names += APPROVAL_RUN
    return names


def building_blocks() -> list[type]:
    """The workflows a person signals besides the flows: LLM stages and the Router."""
    from workflows.router.workflow import RouterWorkflow
    from workflows.tier_escalation import TierEscalationWorkflow

    return [TierEscalationWorkflow, RouterWorkflow]


def documents() -> dict[Path, str]:
    """Every file under docs/schemas/, by path, with its content."""
    files: dict[Path, str] = {}
    for flow in registry().built():
        assert flow.request is not None and flow.result is not None
        files[SCHEMAS / f"{flow.name}.request.json"] = _json(flow.request.model_json_schema())
        files[SCHEMAS / f"{flow.name}.result.json"] = _json(
            flow.result.model_json_schema(mode="serialization")
        )
    for cls in [f.workflow_class() for f in registry().built()] + building_blocks():
        signals, queries = _handlers(cls)
        for handlers, mode in ((signals, "validation"), (queries, "serialization")):
            for payload in handlers.values():
                if payload is not None and (file := payload_file(payload)) is not None:
                    schema = TypeAdapter(payload).json_schema(mode=mode)
                    files[SCHEMAS / file] = _json(schema)
    return files


def table() -> str:
    rows = [
        "| flow | workflow type | request | result | signals | queries | search attributes |",
        "|---|---|---|---|---|---|---|",
    ]
    for flow in registry().built():
        signals, queries = _handlers(flow.workflow_class())

        rows.append(
            f"| {flow.name} | `{flow.workflow_type}` "
            f"| [{flow.name}.request.json](docs/schemas/{flow.name}.request.json) "
            f"| [{flow.name}.result.json](docs/schemas/{flow.name}.result.json) "
            f"| {linked(signals)} | {linked(queries)} "
            f"| {', '.join(search_attributes(flow))} |"
        )
    rows += ["", "| building block | workflow type | signals | queries |", "|---|---|---|---|"]
    for cls in building_blocks():
        signals, queries = _handlers(cls)
        name = workflow._Definition.must_from_class(cls).name
        rows.append(f"| {cls.__name__} | `{name}` | {linked(signals)} | {linked(queries)} |")
    attributes = ", ".join(
        f"`{name}` ({kind})"
        for names, kind in ((KEYWORD_ATTRIBUTES, "Keyword"), (FLOAT_ATTRIBUTES, "Double"))
        for name in names.values()
    )
    return "\n".join(
        [
            BEGIN,
            f"Task queue `{TASK_QUEUE}`. Search attributes: {attributes}.",
            "",
            *rows,
            END,
        ]
    )


def readme_with_table(text: str) -> str:
    head, found, rest = text.partition(BEGIN)
    _, ended, tail = rest.partition(END)
    if not found or not ended:
        raise ValueError(f"README.md lacks the markers {BEGIN!r} ... {END!r}")
    return head + table() + tail


def stale() -> list[str]:
    """What `write` would change, one line each."""
    wanted = documents()
    problems = [
        f"{path.relative_to(REPO)} is out of date"
        for path, content in wanted.items()
        if not path.is_file() or path.read_text() != content
    ]
    problems += [
        f"{path.relative_to(REPO)} belongs to no flow"
        for path in sorted(SCHEMAS.rglob("*.json"))
        if path not in wanted
    ]
    if readme_with_table(README.read_text()) != README.read_text():
        problems.append("README.md's wire-protocol table is out of date")
    return problems


def write() -> None:
    wanted = documents()
    for path in SCHEMAS.rglob("*.json"):
        if path not in wanted:
            path.unlink()
    for path, content in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    README.write_text(readme_with_table(README.read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when anything is stale")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(f"{problem}: run `python -m starter.protocol`", file=sys.stderr)
        return 1 if problems else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
