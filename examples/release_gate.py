"""Prepare a release and decide on it from code: start release-prep, wait until it asks
for a decision, then approve it when it has no blockers, or reject it naming them.

    python examples/release_gate.py path/to/repo --reviewer release-bot

Exit 0 when the release was approved, 1 when it was rejected or the run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import aclosing

from attune import Attune, RunFailed, leave


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", help="the git repository to release")
    parser.add_argument("--reviewer", default="release-bot")
    args = parser.parse_args()
    async with await Attune.connect() as attune:
        run = await attune.start("release-prep", target=args.repo)
        print(f"started {run.id}")
        pending = []
        async with aclosing(run.progress()) as updates:
            async for _ in updates:  # each stage change: is a decision asked for now?
                if pending := await run.pending_approvals():
                    break
        if pending:
            blockers = pending[0].blockers
            print(f"recommendation: {pending[0].recommendation}; blockers: {len(blockers)}")
            if blockers:
                for blocker in blockers:
                    print(f"  blocker: {blocker}")
                await run.reject(reviewer=args.reviewer, reason="; ".join(blockers))
            else:
                await run.approve(reviewer=args.reviewer, comment="no blockers; approved by CI")
        try:
            result = await run.result()
        except RunFailed as exc:
            print(f"release_gate: {exc}", file=sys.stderr)
            return 1
    print(f"{run.id}: {result.status}")
    return 0 if result.status == "approved" else 1


if __name__ == "__main__":
    leave(asyncio.run(main()))
