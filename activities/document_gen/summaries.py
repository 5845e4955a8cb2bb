"""Claude's part of the drafts: which drafts go to which tier, with what prompt, and
reading the answers back as the texts of the docstrings.

Haiku writes the summaries of simple code and Sonnet those of complex code (lizard's
cyclomatic complexity against `simple_complexity`); each task is a few drafts of one
tier. What Claude writes stays marked as a draft in the docstring, like the offline
skeleton, until a person accepts it. Nothing here calls Claude.
"""

from __future__ import annotations

import json

from activities.artifacts import ArtifactStore
from activities.document_gen.docstrings import DraftTarget, Texts
from activities.llm.outputs import parse_answer, schema_instructions
from workflows.schemas import EscalationState, LLMPrompt

DRAFTS_PER_TASK = 8
SOURCE_CHARS = 4000
"""Code shown per draft: a long function's head says what it is for."""
CHARS_PER_TOKEN = 4
STYLE_NAMES = {"google": "Google", "numpy": "NumPy", "rest": "reStructuredText (Sphinx)"}


def system_prompt(style: str) -> str:
    return (
        "You write Python docstrings for code that has none. For each definition given, "
        "write `summary`: one sentence, in the imperative mood, that says what it does "
        "and why a caller would use it (not how). Then describe each parameter listed in "
        "`params` (what it means to the caller), the value returned (`returns`) or yielded "
        "(`yields`) when the definition has one, and when each exception listed in "
        "`raises` is raised. Use only what the code shows; leave a description empty "
        "rather than guess. Copy each `id`. No type information (the signature has it), "
        f"no Markdown headings. The project writes {STYLE_NAMES.get(style, style)} "
        "docstrings; attune lays out the sections itself, so write plain sentences.\n"
        f"{schema_instructions('docstrings')}"
    )


def tier_of(draft: DraftTarget, simple_complexity: int) -> str:
    return "haiku" if draft.complexity <= simple_complexity else "sonnet"


def _item(draft: DraftTarget) -> dict[str, object]:
    return {
        "id": draft.key,
        "kind": draft.kind,
        "name": draft.qualname,
        "file": draft.file,
        "params": [p.name for p in draft.params],
        "returns": draft.returns,
        "yields": draft.yields,
        "raises": draft.raises,
        "code": draft.source[:SOURCE_CHARS],
    }


def plan_tasks(
    drafts: list[DraftTarget], max_functions: int, simple_complexity: int
) -> list[tuple[str, str, list[DraftTarget]]]:
    """(task id, tier, drafts) for the first `max_functions` drafts, simple ones first."""
    chosen = drafts[:max_functions]
    tasks = []
    for tier in ("haiku", "sonnet"):
        mine = [d for d in chosen if tier_of(d, simple_complexity) == tier]
        for number, start in enumerate(range(0, len(mine), DRAFTS_PER_TASK), 1):
            tasks.append(
                (f"docstrings-{tier}-{number}", tier, mine[start : start + DRAFTS_PER_TASK])
            )
    return tasks


def prompt_for(style: str, drafts: list[DraftTarget]) -> LLMPrompt:
    user = "Definitions to document:\n" + json.dumps([_item(d) for d in drafts], indent=1)
    return LLMPrompt(system=system_prompt(style), user=user)


def texts_from(store: ArtifactStore, states: list[EscalationState]) -> dict[str, Texts]:
    """The validated texts of every task's best answer, by draft key."""
    found: dict[str, Texts] = {}
    for state in states:
        if state.answer is None:
            continue
        raw = store.read_json(state.answer)
        parsed = parse_answer(raw["text"], "docstrings")
        if parsed.answer is None:
            continue
        for item in parsed.answer["docstrings"]:
            if item["summary"].strip():
                found[item["id"]] = Texts.model_validate(
                    {k: v for k, v in item.items() if k != "id"}
                )
    return found
