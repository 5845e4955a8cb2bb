"""`--baseline report.json`: an earlier audit's findings, so a run reports only new ones.

The baseline is read twice, by the same function: by the starter before the workflow
starts (security-audit's `Flow.validate`, so a bad path is one line and exit 2, not a
failed run) and by the report activity, which marks every open finding whose
fingerprint the baseline holds as suppressed, with the reason `in baseline <path>`.
Such findings are never dropped: they stay in the reports and leave the counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from activities.artifacts import shared_artifacts
from workflows.schemas import Finding


class BaselineError(ValueError):
    """The baseline cannot be used; the message says why, in one line."""


class _BaselineFinding(BaseModel):
    fingerprint: str = ""


class _BaselineReport(BaseModel):
    """What a baseline needs of a report.json: attune's envelope and its findings."""

    workflow: str
    findings: list[_BaselineFinding]


def baseline_reason(path: str) -> str:
    """The suppression reason a baseline gives its findings."""
    return f"in baseline {path}"


def read_baseline(path: str) -> frozenset[str]:
    """The fingerprints of an earlier report.json's findings (empty ones left out)."""
    file = Path(path)
    if not file.is_absolute():
        raise BaselineError(f"baseline {path!r} is not an absolute path")
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"baseline {path!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path!r} cannot be read: {exc}") from None
    try:
        report = _BaselineReport.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise BaselineError(
            f"baseline {path!r} is not an attune report.json ({where}: {first['msg']})"
        ) from None
    return frozenset(f.fingerprint for f in report.findings if f.fingerprint)


def apply_baseline(findings: list[Finding], path: str, fingerprints: frozenset[str]) -> int:
    """Suppress the open findings the baseline holds, in place; how many it suppressed.
    A finding suppressed or accepted for another reason keeps that reason."""
    reason = baseline_reason(path)
    marked = 0
    for finding in findings:
        if finding.is_open and finding.fingerprint in fingerprints:
            finding.suppressed = reason
            marked += 1
    return marked


def suppress_in_activity(findings: list[Finding], path: str) -> int:
    """`apply_baseline` for an activity: a baseline gone or rewritten since the starter
    checked it fails the run at once (non-retryable), since no retry brings it back."""
    from temporalio.exceptions import ApplicationError

    try:
        fingerprints = read_baseline(path)
    except BaselineError as exc:
        raise ApplicationError(str(exc), type="BadBaseline", non_retryable=True) from None
    return apply_baseline(findings, path, fingerprints)


def check_request(request: Any) -> None:
    """security-audit's `Flow.validate`: its baseline, if any, is a readable report.json
    that the workers can read too (the starter's disk is theirs only without shared
    artifacts, where the target travels as a snapshot and the baseline would not)."""
    if request.baseline is None:
        return
    if shared_artifacts():
        raise BaselineError(
            "--baseline is read from this machine's disk, which workers do not see when "
            "ATTUNE_ARTIFACTS is set: run it with local artifacts"
        )
    read_baseline(request.baseline)
