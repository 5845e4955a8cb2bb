"""OSV advisories: matching a dependency against them, exactly as the OSV schema says.

A version is affected by an advisory when, for one of the `affected` entries naming the
package (PyPI, PEP 503 name), an ECOSYSTEM range's events include it or it is in the
entry's explicit `versions` list. Events are read in version order ("0" first): an
`introduced` at or below the version turns it on, a `fixed` at or below it turns it off,
a `last_affected` strictly below it turns it off; so several introduced/fixed pairs in
one range work as the union of their intervals. Versions compare as PEP 440
(`packaging.version`); an event whose version PEP 440 cannot read is left out, which can
only under-report its range, and the report says nothing more than the data. SEMVER
ranges are read the same way (PEP 440 orders plain semantic versions alike); GIT
ranges name commits, not releases, and are left to the entry's `versions` list.

Withdrawn advisories never match. Advisories that name each other (`id` and `aliases`,
transitively: PYSEC, GHSA, CVE) make one finding. The suggested fix is the lowest
`fixed` version above the pin that none of the merged advisories affects.

A requirement that is not pinned is checked as a set of versions: it "can resolve to an
affected version" when some version it admits is affected. The candidates tried are the
advisory's own versions and event bounds and the requirement's bounds (and the smallest
version above each strict bound), which covers every nonempty intersection of the
specifier's intervals with an affected interval, since such an intersection contains
its largest lower bound or the version just above it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ZERO = Version("0")
RANGE_TYPES = {"ECOSYSTEM", "SEMVER"}
SEVERITY_WORDS = {"CRITICAL": "critical", "HIGH": "high", "MODERATE": "medium", "LOW": "low"}


@functools.lru_cache(maxsize=65536)
def parse_version(text: Any) -> Version | None:
    """PEP 440 version of an OSV version string, None when it is not one; cached, since
    one run compares the same advisory versions many times."""
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def package_entries(advisory: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The advisory's `affected` entries for the PyPI package `name` (normalised)."""
    wanted = canonicalize_name(name)
    return [
        entry
        for entry in advisory.get("affected", []) or []
        if (entry.get("package") or {}).get("ecosystem") == "PyPI"
        and canonicalize_name((entry.get("package") or {}).get("name", "")) == wanted
    ]


def _sorted_events(events: Iterable[dict[str, Any]]) -> tuple[tuple[Version, str], ...]:
    """(version, kind) in version order; introduced "0" is the lowest of all."""
    key = tuple(
        (kind, str(event[kind]))
        for event in events
        for kind in ("introduced", "fixed", "last_affected")
        if kind in event
    )
    return _ordered(key)


@functools.lru_cache(maxsize=16384)
def _ordered(events: tuple[tuple[str, str], ...]) -> tuple[tuple[Version, str], ...]:
    out: list[tuple[Version, str]] = []
    for kind, text in events:
        version = ZERO if text == "0" else parse_version(text)
        if version is not None:
            out.append((version, kind))
    return tuple(sorted(out, key=lambda pair: pair[0]))


@functools.lru_cache(maxsize=16384)
def _listed(versions: tuple[str, ...]) -> frozenset[Version]:
    return frozenset(filter(None, map(parse_version, versions)))


def in_events(version: Version, events: Iterable[dict[str, Any]]) -> bool:
    """The OSV evaluation of one range's events for one version."""
    return _evaluate(version, _sorted_events(events))


def _evaluate(version: Version, events: tuple[tuple[Version, str], ...]) -> bool:
    affected = False
    for bound, kind in events:
        if kind == "introduced" and version >= bound:
            affected = True
        elif (kind == "fixed" and version >= bound) or (
            kind == "last_affected" and version > bound
        ):
            affected = False
    return affected


def entry_affects(version: Version, entry: dict[str, Any]) -> bool:
    for range_ in entry.get("ranges", []) or []:
        if range_.get("type") in RANGE_TYPES and in_events(version, range_.get("events", [])):
            return True
    return version in _listed(tuple(map(str, entry.get("versions", []) or [])))


def affects(advisory: dict[str, Any], name: str, version: Version) -> bool:
    if advisory.get("withdrawn"):
        return False
    return any(entry_affects(version, e) for e in package_entries(advisory, name))


def fixed_versions(advisory: dict[str, Any], name: str) -> list[Version]:
    found = {
        bound
        for entry in package_entries(advisory, name)
        for range_ in entry.get("ranges", []) or []
        if range_.get("type") in RANGE_TYPES
        for bound, kind in _sorted_events(range_.get("events", []))
        if kind == "fixed"
    }
    return sorted(found)


def suggested_fix(advisories: list[dict[str, Any]], name: str, pinned: Version) -> Version | None:
    """The lowest fixed version above `pinned` that none of `advisories` affects."""
    candidates = sorted({v for a in advisories for v in fixed_versions(a, name) if v > pinned})
    return next((c for c in candidates if not any(affects(a, name, c) for a in advisories)), None)


def safe_version(
    advisories: list[dict[str, Any]], name: str, specifier: SpecifierSet
) -> Version | None:
    """The lowest version `specifier` admits that no advisory affects, among the
    versions the advisories name (fixed versions first of all)."""
    candidates = sorted(
        {v for a in advisories for v in fixed_versions(a, name)}
        | {v for a in advisories for v in known_versions(a, name)}
    )
    return next(
        (
            c
            for c in candidates
            if specifier.contains(c) and not any(affects(a, name, c) for a in advisories)
        ),
        None,
    )


def intervals(advisory: dict[str, Any], name: str) -> list[str]:
    """The affected ranges as PEP 440 specifier text, and explicit versions no range
    covers, for a report to say what is affected."""
    out: list[str] = []
    for entry in package_entries(advisory, name):
        for range_ in entry.get("ranges", []) or []:
            if range_.get("type") not in RANGE_TYPES:
                continue
            low: Version | None = None
            for bound, kind in _sorted_events(range_.get("events", [])):
                if kind == "introduced" and low is None:
                    low = bound
                elif kind != "introduced" and low is not None:
                    op = "<" if kind == "fixed" else "<="
                    out.append(",".join(filter(None, [_lower(low), f"{op}{bound}"])))
                    low = None
            if low is not None:
                out.append(_lower(low) or "all versions")
        ranges = [
            _sorted_events(r.get("events", []))
            for r in entry.get("ranges", []) or []
            if r.get("type") in RANGE_TYPES
        ]
        listed = [
            str(v)
            for v in sorted(_listed(tuple(map(str, entry.get("versions", []) or []))))
            if not any(_evaluate(v, events) for events in ranges)
        ]
        if len(listed) > 5:
            out.append(f"{len(listed)} listed versions, {listed[0]} to {listed[-1]}")
        elif listed:
            out.append("==" + ", ==".join(listed))
    return list(dict.fromkeys(out))


def _lower(low: Version) -> str:
    return "" if low == ZERO else f">={low}"


def _above(version: Version) -> Version:
    """A version just above `version` that `>version` admits (not a post-release of it)."""
    release = ".".join(map(str, version.release))
    return Version(f"{release}.0.1" if not version.is_prerelease else f"{release}")


def probes(advisory: dict[str, Any], name: str, specifier: SpecifierSet) -> list[Version]:
    """The versions worth trying for `specifier` against `advisory` (module docstring)."""
    found: set[Version] = {ZERO}
    for entry in package_entries(advisory, name):
        found.update(filter(None, map(parse_version, entry.get("versions", []) or [])))
        for range_ in entry.get("ranges", []) or []:
            if range_.get("type") in RANGE_TYPES:
                found.update(bound for bound, _ in _sorted_events(range_.get("events", [])))
    for clause in specifier:
        bound = parse_version(clause.version.removesuffix(".*"))
        if bound is not None:
            found.update((bound, _above(bound)))
    return sorted(found)


def known_versions(advisory: dict[str, Any], name: str) -> set[Version]:
    """Versions the advisory itself names: its lists and its range bounds, not "0"."""
    found: set[Version] = set()
    for entry in package_entries(advisory, name):
        found.update(filter(None, map(parse_version, entry.get("versions", []) or [])))
        for range_ in entry.get("ranges", []) or []:
            if range_.get("type") in RANGE_TYPES:
                events = _sorted_events(range_.get("events", []))
                found.update(b for b, kind in events if kind != "fixed" and b != ZERO)
    return found


def _admits_any(range_text: str, versions: list[Version]) -> bool:
    """Whether an `intervals` entry covers one of `versions` (a listing always does)."""
    try:
        spec = SpecifierSet(range_text)
    except ValueError:
        return True
    return any(spec.contains(v, prereleases=True) for v in versions)


def resolvable_affected(
    advisory: dict[str, Any], name: str, specifier: SpecifierSet
) -> list[Version]:
    """Affected versions `specifier` admits (among the probes); empty when none can be."""
    if advisory.get("withdrawn"):
        return []
    return [
        v
        for v in probes(advisory, name, specifier)
        if specifier.contains(v) and affects(advisory, name, v)
    ]


# --------------------------------------------------------------------------- merging


def merge_aliases(advisories: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Advisories grouped by shared ids (id or alias, transitively), in input order."""
    parent = list(range(len(advisories)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, advisory in enumerate(advisories):
        for ident in ids_of(advisory):
            if ident in owner:
                parent[root(index)] = root(owner[ident])
            else:
                owner[ident] = index
    groups: dict[int, list[dict[str, Any]]] = {}
    for index, advisory in enumerate(advisories):
        groups.setdefault(root(index), []).append(advisory)
    return list(groups.values())


def ids_of(advisory: dict[str, Any]) -> list[str]:
    return [advisory["id"], *(advisory.get("aliases") or [])]


ID_ORDER = ("PYSEC-", "GHSA-", "CVE-")


def ordered_ids(group: list[dict[str, Any]]) -> list[str]:
    """Every id of a merged group: PYSEC first, then GHSA, CVE, others; sorted within."""
    ids = {i for a in group for i in ids_of(a)}

    def rank(ident: str) -> tuple[int, str]:
        prefix = next((n for n, p in enumerate(ID_ORDER) if ident.startswith(p)), len(ID_ORDER))
        return prefix, ident

    return sorted(ids, key=rank)


def group_severity(group: list[dict[str, Any]], default: str) -> str:
    order = ["low", "medium", "high", "critical"]
    found = [
        SEVERITY_WORDS[word]
        for a in group
        if (word := str((a.get("database_specific") or {}).get("severity", "")).upper())
        in SEVERITY_WORDS
    ]
    return max(found, key=order.index) if found else default


def group_cwe(group: list[dict[str, Any]]) -> int | None:
    for advisory in group:
        for cwe in (advisory.get("database_specific") or {}).get("cwe_ids", []) or []:
            number = str(cwe).removeprefix("CWE-")
            if number.isdigit():
                return int(number)
    return None


def group_summary(group: list[dict[str, Any]]) -> str:
    for advisory in group:
        text = advisory.get("summary") or advisory.get("details") or ""
        if text.strip():
            sentence = " ".join(text.split())
            return sentence if len(sentence) <= 200 else sentence[:197] + "..."
    return "no description"


# --------------------------------------------------------------------------- matches


@dataclass
class Match:
    """One vulnerability (merged advisories) for one dependency entry."""

    ids: list[str]
    status: str
    """`affected` (the pinned version is) or `can-resolve` (the range admits one)."""
    summary: str
    severity: str
    cwe: int | None
    fixed: str | None = None
    ranges: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    """Affected versions the requirement admits (can-resolve)."""


def match_dependency(
    name: str, version: str | None, specifier: str, advisories: list[dict[str, Any]]
) -> list[Match]:
    """The vulnerabilities of one dependency entry: by its pinned version when it has
    one, else by every version its specifier admits."""
    pinned = parse_version(version) if version else None
    matched: list[dict[str, Any]] = []
    examples: dict[str, list[Version]] = {}
    if pinned is not None:
        matched = [a for a in advisories if affects(a, name, pinned)]
    else:
        spec = SpecifierSet(specifier)
        for advisory in advisories:
            hits = resolvable_affected(advisory, name, spec)
            if hits:
                matched.append(advisory)
                examples[advisory["id"]] = hits
    out = []
    for group in merge_aliases(matched):
        ranges = [r for a in group for r in intervals(a, name)]
        match = Match(
            ids=ordered_ids(group),
            status="affected" if pinned is not None else "can-resolve",
            summary=group_summary(group),
            severity=group_severity(group, "high" if pinned is not None else "medium"),
            cwe=group_cwe(group),
            ranges=list(dict.fromkeys(ranges)),
        )
        if pinned is not None:
            fix = suggested_fix(group, name, pinned)
            match.fixed = str(fix) if fix else None
        else:
            hits = sorted({v for a in group for v in examples.get(a["id"], [])})
            known = {v for a in group for v in known_versions(a, name)}
            match.examples = [str(v) for v in hits if v in known][:3]
            match.ranges = [r for r in match.ranges if _admits_any(r, hits)]
        out.append(match)
    return out


def fingerprint(file: str, name: str, ids: list[str]) -> str:
    """Stable across runs and line shifts: the file, the package and the vulnerability."""
    material = "\x1f".join((file, name, ids[0]))
    return hashlib.sha256(material.encode()).hexdigest()[:32]
