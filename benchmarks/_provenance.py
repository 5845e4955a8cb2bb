"""What a benchmark's figures were measured on: the attune commit and the machine's load.

Timings on a shared machine mean little without the load average next to them, and a
committed results table means little without the commit it measured.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def attune_commit() -> str:
    """The commit measured, marked when the working tree differs from it."""
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return "unknown (not a git checkout)"
    # A results file a benchmark rewrote does not change what was measured.
    status = [*git, "status", "--porcelain", "--untracked-files=no", "--", ".", ":!*/results/*"]
    dirty = subprocess.run(status, capture_output=True, text=True).stdout.strip()
    return head.stdout.strip() + (" with uncommitted changes" if dirty else "")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
