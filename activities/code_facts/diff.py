"""What a change touches, from `git diff` itself: the files between two commits and, per
file, the lines of the head version that were added or changed.

Paths are relative to the target directory (`--relative`, run inside it), like the
findings' paths, so "a finding on a changed line" is a set lookup. Renames are followed
(`-M`), so a moved file counts only its edited lines, not all of them.
"""

from __future__ import annotations

import re
from pathlib import Path

from activities.code_facts.history import NoHistory, _git, repository_of
from workflows.code_facts import ChangedFile, ChangeSet

HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
DEFAULT_BRANCHES = ("main", "master", "trunk", "develop")


def resolve(directory: Path, rev: str) -> str:
    """The full sha of `rev`; a clear NoHistory when git does not know it."""
    try:
        return _git(directory, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()
    except NoHistory:
        raise NoHistory(f"git does not know the revision {rev!r}") from None


def default_base(directory: Path, head: str = "HEAD") -> tuple[str, str]:
    """(sha, how it was found): the merge-base of `head` with the default branch, which is
    the remote's HEAD when there is one, else the first of main/master/trunk/develop."""
    candidates = []
    try:
        remote_head = _git(directory, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
        candidates.append(remote_head.strip().removeprefix("refs/remotes/"))
    except NoHistory:
        pass
    candidates += [f"origin/{b}" for b in DEFAULT_BRANCHES] + list(DEFAULT_BRANCHES)
    head_sha = resolve(directory, head)
    for branch in candidates:
        try:
            branch_sha = resolve(directory, branch)
        except NoHistory:
            continue
        if branch_sha == head_sha:
            continue  # on the default branch itself: its merge-base is the head
        base = _git(directory, "merge-base", head_sha, branch_sha).strip()
        return base, f"merge-base of {head} with {branch}"
    raise NoHistory(
        f"no default branch to compare {head} with (tried {', '.join(candidates)}); "
        "give the base explicitly with --param base=REV"
    )


def changed_lines(diff: str) -> list[int]:
    lines: list[int] = []
    for match in HUNK.finditer(diff):
        start, count = int(match.group(1)), int(match.group(2) or 1)
        lines.extend(range(start, start + count))
    return lines


def change_set(directory: Path, base: str | None = None, head: str = "HEAD") -> ChangeSet:
    """The files and lines `head` changes against `base` (by default, against the
    merge-base with the default branch)."""
    repository_of(directory)
    head_sha = resolve(directory, head)
    if base is None:
        base_sha, base_ref = default_base(directory, head)
    else:
        base_sha, base_ref = resolve(directory, base), base
    names = _git(
        directory, "diff", "--relative", "-M", "--name-status", "-z", base_sha, head_sha, "--"
    )
    fields = names.split("\0")
    files: list[ChangedFile] = []
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index][0]
        paths = fields[index + 1 : index + 3] if status in "RC" else fields[index + 1 : index + 2]
        index += 1 + len(paths)
        lines: list[int] = []
        if status != "D":
            patch = _git(
                directory, "diff", "--relative", "-M", "--unified=0", base_sha, head_sha,
                "--", *paths,
            )  # fmt: skip
            lines = changed_lines(patch)
        files.append(ChangedFile(file=paths[-1], status=status, lines=lines))
    return ChangeSet(base=base_sha, head=head_sha, base_ref=base_ref, head_ref=head, files=files)


def branch_change(directory: Path, base: str | None = None, head: str = "HEAD") -> ChangeSet:
    """What `head` changes since it left `base`, as a pull request shows it: against their
    merge-base (`git diff base...head`), so commits made on `base` since then are not
    counted as the change's. Without `base`, the default branch's merge-base."""
    if base is None:
        return change_set(directory, None, head)
    base_sha, head_sha = resolve(directory, base), resolve(directory, head)
    fork = _git(directory, "merge-base", base_sha, head_sha).strip()
    if not fork:
        raise NoHistory(f"{base} and {head} have no common history")
    found = change_set(directory, fork, head)
    if fork != base_sha:
        found.base_ref = f"merge-base of {head} with {base}"
    else:
        found.base_ref = base
    return found
