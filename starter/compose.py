"""Guided team composition: turn a few answers into a workflow spec file.

The result is an ordinary spec (see workflows/spec.py), validated by the same
loader `attune workflow run` uses, so what this writes always runs.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from starter.specs import load_spec
from workflows.composed.spec import WorkflowSpec


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are a subset TOML accepts."""
    return json.dumps(value)


def compose_spec(
    name: str,
    workflows: list[str],
    *,
    summary: bool,
    approval: bool,
    description: str = "",
) -> str:
    """TOML text: the chosen workflows in parallel, then an LLM summary of their
    results, then a human approval, each step waiting for the ones before it."""
    lines = [f"name = {_toml_string(name)}"]
    lines.append(f"description = {_toml_string(description or 'composed with attune compose')}")
    previous: list[str] = []
    for workflow in workflows:
        step_id = workflow.replace("-", "_")
        lines += ["", "[[steps]]", f'id = "{step_id}"', 'kind = "workflow"']
        lines += [f"role = {_toml_string(workflow)}", f"workflow = {_toml_string(workflow)}"]
        previous.append(step_id)
    if summary and previous:
        placeholders = ", ".join(f"{{{step}}}" for step in previous)
        lines += ["", "[[steps]]", 'id = "summary"', 'kind = "llm"', 'role = "Analyst"']
        lines.append(f"depends_on = [{', '.join(_toml_string(p) for p in previous)}]")
        lines.append(
            'prompt = "Summarise these results for the team, worst first: ' + placeholders + '"'
        )
        previous = ["summary"]
    if approval:
        lines += ["", "[[steps]]", 'id = "sign_off"', 'kind = "approval"', 'role = "Approver"']
        if previous:
            lines.append(f"depends_on = [{', '.join(_toml_string(p) for p in previous)}]")
        lines.append('message = "Review the results above and approve or reject."')
    return "\n".join(lines) + "\n"


def write_spec(text: str, path: Path, known_workflows: set[str]) -> WorkflowSpec:
    """Validate, then write; an invalid composition never reaches the disk."""
    tomllib.loads(text)
    scratch = path.with_name(f".{path.stem}.composing.toml")
    scratch.parent.mkdir(parents=True, exist_ok=True)
    scratch.write_text(text)
    try:
        spec = load_spec(scratch, known_workflows)
    finally:
        scratch.unlink(missing_ok=True)
    path.write_text(text)
    return spec
