"""Structured outputs: what each kind of LLM task must answer, validated by pydantic.

An answer that does not parse or validate is a quality-gate failure the escalation
workflow can act on, so parsing reports errors instead of raising.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

FENCED = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)
MAX_ERRORS_SHOWN = 3


def _one_line(value: Any) -> Any:
    """Models wrap long rationales; a report wants them on one line."""
    return " ".join(value.split()) if isinstance(value, str) else value


OneLine = Annotated[str, BeforeValidator(_one_line), Field(max_length=300)]
Confidence = Annotated[float, Field(ge=0, le=1, description="How sure the answer is right")]


class TriageVerdict(BaseModel):
    fingerprint: str = Field(description="The finding's fingerprint, copied from the prompt")
    verdict: Literal["true_positive", "false_positive", "uncertain"]
    rationale: OneLine


class TriageAnswer(BaseModel):
    verdicts: list[TriageVerdict]
    confidence: Confidence


class Fix(BaseModel):
    fingerprint: str = Field(description="The finding's fingerprint, copied from the prompt")
    remediation: str
    files: list[str] = Field(description="Repository-relative paths the fix touches")


class RemediationAnswer(BaseModel):
    fixes: list[Fix]
    confidence: Confidence


class AnswerOutput(BaseModel):
    """The free-form answer of a user-composed LLM step."""

    answer: str
    confidence: Confidence


class RouteAnswer(BaseModel):
    """Haiku's routing answer (output schema `route`): routes, or one narrowing question."""

    workflows: list[str] = Field(description="Route names from the list given, best first")
    question: str | None = Field(
        default=None, description="One narrowing question when the goal is too vague"
    )
    options: list[str] = Field(default_factory=list, description="Route names the question weighs")
    confidence: Confidence


class DocstringText(BaseModel):
    """Claude's text for one drafted docstring (document-gen): the summary, and the
    descriptions it can tell from the code; attune adds the sections and the draft mark."""

    id: str = Field(description="The draft's id, copied from the prompt")
    summary: OneLine = Field(description="One sentence: what the code does, imperative mood")
    params: dict[str, str] = Field(
        default_factory=dict, description="Parameter name (as given) -> description"
    )
    returns: str = ""
    yields: str = ""
    raises: dict[str, str] = Field(
        default_factory=dict, description="Exception (as given) -> when it is raised"
    )


class DocstringAnswer(BaseModel):
    docstrings: list[DocstringText]
    confidence: Confidence


class SeoMetaDraft(BaseModel):
    page: str = Field(description="The page id, copied from the prompt")
    title: str | None = Field(default=None, max_length=80, description="<title>, <= 60 chars")
    description: str | None = Field(
        default=None, max_length=200, description="Meta description, <= 155 chars"
    )


class SeoMetaAnswer(BaseModel):
    """seo-optimization's drafts of missing titles and meta descriptions."""

    pages: list[SeoMetaDraft]
    confidence: Confidence


class WrittenTest(BaseModel):
    """One pytest test written by Claude for test-generation's coverage-guided loop."""

    name: str = Field(pattern=r"^test_\w+$", description="The test function's name")
    behaviour: OneLine
    imports: list[str] = Field(description="Import statements, one per item")
    body: str = Field(description="`def test_...():` with # Given, # When, # Then comments")


class TestsAnswer(BaseModel):
    __test__: ClassVar[bool] = False

    tests: list[WrittenTest] = Field(min_length=1, max_length=8)
    confidence: Confidence


OUTPUT_SCHEMAS: dict[str, type[BaseModel]] = {
    "triage": TriageAnswer,
    "remediation": RemediationAnswer,
    "answer": AnswerOutput,
    "route": RouteAnswer,
    "docstrings": DocstringAnswer,
    "seo_meta": SeoMetaAnswer,
    "tests": TestsAnswer,
}


class ParsedAnswer(BaseModel):
    model_config = ConfigDict(frozen=True)

    answer: dict[str, Any] | None = None
    error: str | None = None
    confidence: float | None = None


def output_model(schema: str) -> type[BaseModel]:
    try:
        return OUTPUT_SCHEMAS[schema]
    except KeyError:
        known = ", ".join(sorted(OUTPUT_SCHEMAS))
        raise ValueError(f"unknown output schema {schema!r} (known: {known})") from None


def schema_instructions(schema: str) -> str:
    """Belongs in the system prompt: stable per schema, so it is part of the cached prefix."""
    json_schema = json.dumps(output_model(schema).model_json_schema(), separators=(",", ":"))
    return (
        "Answer with one JSON object and nothing else. It must validate against this "
        f"JSON schema:\n{json_schema}\n"
        "Set `confidence` between 0 and 1 to how likely your answer is correct; "
        "say so honestly when unsure rather than guessing."
    )


def extract_json(text: str) -> dict[str, Any] | None:
    """Plain JSON first, then ```json fences, then the first {...} block in prose."""
    candidates = [text.strip(), *(block.strip() for block in FENCED.findall(text))]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def summarize(err: ValidationError) -> str:
    shown = [
        f"{'.'.join(str(part) for part in issue['loc']) or '<root>'}: {issue['msg']}"
        for issue in err.errors()[:MAX_ERRORS_SHOWN]
    ]
    more = err.error_count() - len(shown)
    return "; ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def parse_answer(text: str, schema: str) -> ParsedAnswer:
    try:
        model = output_model(schema)
    except ValueError as err:
        return ParsedAnswer(error=str(err))
    data = extract_json(text)
    if data is None:
        return ParsedAnswer(error="the answer contains no JSON object")
    try:
        answer = model.model_validate(data)
    except ValidationError as err:
        reason = f"the answer does not match the {schema} schema: {summarize(err)}"
        return ParsedAnswer(error=reason)
    dumped = answer.model_dump(mode="json")
    return ParsedAnswer(answer=dumped, confidence=dumped["confidence"])
