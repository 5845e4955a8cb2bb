"""The advisories stage: every inventory entry against the local OSV database, as
findings at the entry's file:line plus the report's `vulnerabilities` section.

A pinned entry (an `==` pin or a lock) gets one finding per vulnerability (merged
aliases) that affects its version, with the lowest fixed version. An unpinned or ranged
entry gets one finding that it can resolve to affected versions, with every
vulnerability, its affected ranges within the requirement, and the lowest version the
requirement admits that no known advisory affects: never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from activities.dependency_check.database import advisories_for, database_info
from activities.dependency_check.osv import (
    Match,
    fingerprint,
    match_dependency,
    parse_version,
    safe_version,
    suggested_fix,
)
from workflows.dependency_check.models import DatabaseInfo, Dependency
from workflows.schemas import SEVERITY_RANK, Finding, ReportWarning

NO_DATABASE = (
    "no advisory database: run `attune advisories update` (online) or "
    "`attune advisories import PATH` (an OSV directory, zip or tar)"
)


@dataclass
class AdvisoryCheck:
    database: DatabaseInfo
    findings: list[Finding] = field(default_factory=list)
    vulnerabilities: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[ReportWarning] = field(default_factory=list)


def check_advisories(
    dependencies: list[Dependency], db: Path, now: datetime, max_age_days: int
) -> AdvisoryCheck:
    info = database_info(db, now)
    check = AdvisoryCheck(database=info)
    if info.status == "missing":
        check.warnings.append(ReportWarning(code="no-database", message=NO_DATABASE))
        return check
    if info.age_days is not None and info.age_days > max_age_days:
        check.warnings.append(
            ReportWarning(
                code="stale-database",
                message=f"the advisory database is {info.age_days:.0f} days old (newest "
                f"advisory {info.newest_advisory:%Y-%m-%d}), more than {max_age_days}: "
                "newer vulnerabilities are missing; run `attune advisories update`",
            )
        )
    known = advisories_for(db, {d.name for d in dependencies})
    for dep in dependencies:
        if dep.url and not dep.version:
            check.warnings.append(
                ReportWarning(
                    code="direct-reference",
                    message=f"{dep.declared_name} comes from {dep.url}: no version to check",
                    file=dep.file,
                    line=dep.line,
                )
            )
            continue
        try:
            spec = SpecifierSet(dep.specifier)
        except InvalidSpecifier:
            continue
        advisories = known.get(dep.name, [])
        matches = match_dependency(dep.name, dep.version, dep.specifier, advisories)
        if not matches:
            continue
        if dep.version:
            _pinned(check, dep, matches, advisories)
        else:
            _ranged(check, dep, matches, advisories, spec)
    return check


def _entry(dep: Dependency, match: Match) -> dict[str, Any]:
    return {
        "package": dep.name,
        "file": dep.file,
        "line": dep.line,
        "kind": dep.kind,
        "specifier": dep.specifier,
        "version": dep.version,
        "status": match.status,
        "ids": match.ids,
        "summary": match.summary,
        "severity": match.severity,
        "cwe": match.cwe,
        "fixed": match.fixed,
        "affected_ranges": match.ranges,
        "examples": match.examples,
    }


def _pinned(
    check: AdvisoryCheck, dep: Dependency, matches: list[Match], advisories: list[dict[str, Any]]
) -> None:
    pinned = parse_version(dep.version)
    matched = [a for a in advisories if any(a["id"] in m.ids for m in matches)]
    every = suggested_fix(matched, dep.name, pinned) if pinned else None
    for match in matches:
        check.vulnerabilities.append(_entry(dep, match) | {"fixes_all": str(every or "") or None})
        fix = f"Fixed in {match.fixed}." if match.fixed else "No fixed version is known."
        if every and str(every) != match.fixed:
            fix += f" {every} fixes every known advisory of {dep.declared_name}."
        check.findings.append(
            Finding(
                rule_id=match.ids[0],
                tool="osv",
                category="vulnerable-dependency",
                severity=match.severity,  # type: ignore[arg-type]
                confidence="high",
                cwe=match.cwe,
                file=dep.file,
                line=dep.line,
                message=f"{dep.declared_name} {dep.version} is affected by "
                f"{', '.join(match.ids)}: {match.summary} {fix}",
                snippet=f"{dep.declared_name}{dep.specifier}",
                fingerprint=fingerprint(dep.file, dep.name, match.ids),
            )
        )


def _ranged(
    check: AdvisoryCheck,
    dep: Dependency,
    matches: list[Match],
    advisories: list[dict[str, Any]],
    spec: SpecifierSet,
) -> None:
    matched = [a for a in advisories if any(a["id"] in m.ids for m in matches)]
    safe = safe_version(matched, dep.name, spec)
    for match in matches:
        check.vulnerabilities.append(
            _entry(dep, match) | {"safe_in_range": str(safe or "") or None}
        )
    worst = max((m.severity for m in matches), key=SEVERITY_RANK.__getitem__)
    shown = "; ".join(
        f"{m.ids[0]} ({', '.join(m.ranges) or 'listed versions'})" for m in matches[:5]
    )
    more = f" and {len(matches) - 5} more (report.json lists them)" if len(matches) > 5 else ""
    requirement = dep.specifier or " (any version)"
    advice = (
        f"The lowest version it admits that no known advisory affects is {safe}: pin it."
        if safe
        else "No version it admits is free of the known advisories."
    )
    check.findings.append(
        Finding(
            rule_id="ATND002",
            tool="osv",
            category="vulnerable-dependency",
            severity=worst if worst in ("critical", "high") else "medium",  # type: ignore[arg-type]
            confidence="medium",
            file=dep.file,
            line=dep.line,
            message=f"{dep.declared_name}{requirement} can resolve to an affected version: "
            f"{len(matches)} vulnerabilities: {shown}{more}. {advice}",
            snippet=f"{dep.declared_name}{dep.specifier}",
            fingerprint=fingerprint(dep.file, dep.name, ["ATND002"]),
        )
    )
