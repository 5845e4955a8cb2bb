"""Stream a run's progress to a log: start any flow and log each stage change.

    python examples/progress_log.py security-audit src/ --log audit.log

Progress comes from the run's `progress` query through `Run.progress()`, an async
iterator that ends when the run does; the result tells how it ended.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from attune import Attune, RunFailed, leave

log = logging.getLogger("attune.example")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("flow", help="a flow name, e.g. security-audit")
    parser.add_argument("target")
    parser.add_argument("--log", help="log file (default: stderr)")
    args = parser.parse_args()
    logging.basicConfig(
        filename=args.log, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    async with await Attune.connect() as attune:
        run = await attune.start(args.flow, target=args.target)
        log.info("started %s", run.id)
        async for progress in run.progress():
            log.info("%s %d/%d %s", progress.stage, progress.done, progress.total, progress.detail)
        try:
            result = await run.result()
        except RunFailed as exc:
            log.error("%s", exc)
            return 1
    log.info("%s finished: %s", run.id, getattr(result, "status", "done"))
    return 0


if __name__ == "__main__":
    leave(asyncio.run(main()))
