"""Run quality-checks on the Python files changed in a git range, as they are at its end.

    python examples/changed_quality.py path/to/repo main..HEAD

quality-checks takes a directory, so the changed files are copied, with their paths,
from the range's last revision into a scratch directory first: deleted files drop out
and the report's paths read as in the repository. Exit 3 on high findings.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from attune import connect_sync, leave

EXIT_FINDINGS = 3


def git(repo: str, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", repo, *args], check=True, capture_output=True, text=True
    ).stdout


def changed_files(repo: str, revisions: str, into: Path) -> list[str]:
    """The range's added, copied, modified or renamed .py files, written under `into`."""
    head = revisions.split("..")[-1] or "HEAD"
    names = git(repo, "diff", "--name-only", "--diff-filter=ACMR", revisions, "--", "*.py")
    files = names.splitlines()
    for name in files:
        path = into / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(git(repo, "show", f"{head}:{name}"))
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("revisions", help="a git range, e.g. main..HEAD")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="changed-") as scratch:
        files = changed_files(args.repo, args.revisions, Path(scratch))
        if not files:
            print(f"no Python file changed in {args.revisions}")
            return 0
        print(f"{len(files)} changed: {', '.join(files)}")
        with connect_sync() as attune:
            result = attune.run("quality-checks", target=scratch)
    high = 0
    for role, agent in result.agents.items():
        counts = agent.data.get("counts", {})
        high += counts.get("critical", 0) + counts.get("high", 0)
        print(f"{role}: {agent.status}: {agent.summary}")
    return EXIT_FINDINGS if high else 0


if __name__ == "__main__":
    leave(main())
