"""The deterministic engines, each called by name so a build without one still runs.

Each engine is a function `(module, import_root, *, budget_s) -> EngineOutcome` that runs
the engine in its own subprocess within `budget_s`; an engine that is not in this
build, or that raises, is an outcome too (skipped, failed), never a failed module. When
the run selects functions, only the candidates for those are kept.
"""

from __future__ import annotations

import time
from pathlib import Path

from workflows.registry import resolve
from workflows.test_generation.candidates import CandidateTest, Engine, EngineOutcome

ENGINES: dict[Engine, str] = {
    "ast": "activities.test_generation.ast_engine:run_ast_engine",
    "ghostwriter": "activities.test_generation.ghostwriter_engine:run_ghostwriter",
    "pynguin": "activities.test_generation.pynguin_engine:run_pynguin",
}


def _selected(candidate: CandidateTest, functions: list[str]) -> bool:
    return not functions or candidate.function in functions


def run_engine(
    engine: Engine, module: str, import_root: Path, functions: list[str], budget_s: int
) -> EngineOutcome:
    started = time.monotonic()
    try:
        generate = resolve(ENGINES[engine])
    except (ImportError, AttributeError):
        return EngineOutcome(
            engine=engine, status="skipped", reason=f"this build has no {engine} engine"
        )
    try:
        outcome: EngineOutcome = generate(module, import_root, budget_s=budget_s)
    except Exception as err:  # An engine's crash is its outcome, reported per module.
        return EngineOutcome(
            engine=engine,
            status="failed",
            reason=f"{type(err).__name__}: {err}"[:500],
            duration_s=round(time.monotonic() - started, 3),
        )
    outcome.candidates = [c for c in outcome.candidates if _selected(c, functions)]
    return outcome
