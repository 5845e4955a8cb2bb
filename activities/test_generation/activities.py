"""test-generation's activities: thin typed wrappers around module discovery, the
baseline coverage run, one module's engines and isolation runs, the branch commit and
the report writers."""

from __future__ import annotations

import asyncio
import difflib
import json
import re
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from temporalio import activity

from activities import reports
from activities.apply_branch import commit_patch
from activities.artifacts import ArtifactStore
from activities.batches import RunArtifacts
from activities.heartbeats import heartbeat_interval, heartbeating
from activities.llm.outputs import parse_answer
from activities.release_prep.project import target_python
from activities.target import target_dir, target_path
from activities.test_generation.baseline import measure_baseline
from activities.test_generation.engines import run_engine
from activities.test_generation.isolation import can_drop_privileges, nobody_can_import
from activities.test_generation.keep import (
    ModuleState,
    generated_file_name,
    judge,
    module_runner,
    probe_module,
    verified_file,
)
from activities.test_generation.llm_loop import candidates_from, prompt_for, uncovered_segments
from activities.test_generation.modules import discover_modules
from activities.test_generation.report import (
    bug_findings,
    coverage_rows,
    rejected_counts,
    render_markdown,
)
from workflows.schemas import (
    ApplyOutcome,
    ArtifactRef,
    Finding,
    LLMPrompt,
    ReportWarning,
    SkippedFile,
)
from workflows.test_generation.models import (
    ApplyTestsRequest,
    Baseline,
    BaselineRequest,
    Coverage,
    DiscoveredModules,
    DiscoverModulesRequest,
    EngineRun,
    LLMPromptsRequest,
    ModuleCoverage,
    ModuleJob,
    ModuleOutcome,
    ModuleSummary,
    ReportOutcome,
    ReportRequest,
    SegmentPrompt,
)

ARTIFACTS = RunArtifacts("test-generation")
COVERAGE_MAP = TypeAdapter(dict[str, Coverage])
STATE = TypeAdapter(ModuleState)
OUTCOME = TypeAdapter(ModuleOutcome)
FINDINGS = TypeAdapter(list[Finding])
PROMPT = TypeAdapter(LLMPrompt)
GENERATED_DIR = "tests/attune_generated"
CONFTEST = '''"""Puts the import root first on sys.path, so plain `pytest` finds the modules."""

import sys
from pathlib import Path

sys.path.insert(0, str({root}))
'''


def conftest(root_expression: str) -> str:
    return CONFTEST.format(root=root_expression)


class TestGenerationActivities:
    __test__ = False

    def __init__(self, store: ArtifactStore, pool: Executor) -> None:
        self.store = store
        self.pool = pool

    @activity.defn(name="test_generation_discover")
    async def discover(self, request: DiscoverModulesRequest) -> DiscoveredModules:
        return await asyncio.to_thread(
            discover_modules,
            target_path(request.target),
            Path(request.import_root) if request.import_root else None,
            request.select,
            request.max_modules,
        )

    @activity.defn(name="test_generation_baseline")
    async def baseline(self, request: BaselineRequest) -> Baseline:
        """The project's own tests under coverage, heartbeating while they run."""
        outcome, coverage = await heartbeating(
            lambda: measure_baseline(
                Path(request.project_root),
                Path(request.import_root),
                request.modules,
                request.timeout_s,
            )
        )
        key = f"{ARTIFACTS.run_base(request.run_key)}/baseline.json"
        return outcome.model_copy(
            update={"coverage": self.store.put(key, coverage, COVERAGE_MAP, len(coverage))}
        )

    @activity.defn(name="test_generation_module")
    async def module(self, job: ModuleJob) -> ModuleSummary:
        """Engines, then every candidate in isolation, for one module. The state is
        stored after each step and named in the heartbeat, so a retry on another worker
        resumes after the last decided candidate and no kept test is lost."""
        base = ARTIFACTS.batch_base(job.run_key, job.index)
        state_key = f"{base}/state.json"
        found = self.store.find(state_key, STATE)
        state = found[0] if found else self._fresh_state(job)
        latest: list[ArtifactRef] = [found[1]] if found else []

        def save(current: ModuleState) -> None:
            latest.append(self.store.put(state_key, current, STATE, current.next_index))

        interval = heartbeat_interval(activity.info().heartbeat_timeout)
        task = asyncio.ensure_future(asyncio.to_thread(self._work, job, state, save))
        while True:
            done, _ = await asyncio.wait({task}, timeout=interval)
            activity.heartbeat(latest[-1].model_dump(mode="json") if latest else None)
            if done:
                break
        outcome: ModuleOutcome = task.result()
        ref = self.store.put(f"{base}/outcome.json", outcome, OUTCOME, len(outcome.kept))
        return ModuleSummary(
            index=job.index,
            module=outcome.module,
            status=outcome.status,
            kept=len(outcome.kept),
            rejected=len(outcome.rejected),
            bugs=len(outcome.bugs),
            outcome=ref,
        )

    def _fresh_state(self, job: ModuleJob) -> ModuleState:
        before = Coverage()
        if job.baseline is not None:
            before = self.store.get(job.baseline, COVERAGE_MAP).get(job.spec.module, before)
        return ModuleState(spec=job.spec, before=before, covered=before)

    def _work(
        self, job: ModuleJob, state: ModuleState, save: Callable[[ModuleState], None]
    ) -> ModuleOutcome:
        root = Path(job.import_root)
        file = root / job.spec.file
        python = target_python(Path(job.project_root))
        run = module_runner(file, root, job.test_timeout_s, python)
        if not state.isolation and state.import_error is None:
            probe_module(state, run, _no_drop_reason(job.spec.module, root, python, job))
            save(state)
        if state.import_error is not None:
            return _outcome(state, "skipped", state.import_error)
        done = {e.engine for e in state.engines}
        for engine in job.engines:
            if engine == "llm" or engine in done:
                continue
            result = run_engine(
                engine, job.spec.module, root, job.spec.functions, job.budgets[engine]
            )
            room = job.max_candidates - len(state.candidates)
            state.engines.append(
                EngineRun(
                    engine=engine,
                    status=result.status,
                    reason=result.reason,
                    candidates=len(result.candidates),
                    duration_s=result.duration_s,
                )
            )
            state.candidates += result.candidates[: max(room, 0)]
            save(state)

        if job.llm_round > state.llm_rounds:
            self._add_answers(job, state)
            save(state)

        def by_drop(source: str) -> Any:
            return run(source, state.drop_privileges)

        while state.next_index < len(state.candidates):
            judge(state, state.candidates[state.next_index], by_drop)
            state.next_index += 1
            save(state)
        source, dropped = verified_file(state, by_drop)
        kept_names = {k.candidate.name for k in state.kept}
        outcome = _outcome(state, "ok", "")
        if dropped:
            gone = {d.name for d in dropped}
            outcome.kept = [k for k in outcome.kept if k.candidate.name not in gone]
            outcome.rejected += dropped
            outcome.after = _after(state, run, source) if source else state.before
        if source is not None and kept_names:
            outcome.test_file = generated_file_name(job.spec.module)
            outcome.test_source = source
        return outcome

    def _add_answers(self, job: ModuleJob, state: ModuleState) -> None:
        """The round's LLM answers as candidates, each segment's names remembered for
        the next round's feedback and the escalation to Opus."""
        for answer in job.llm_answers:
            names: list[str] = []
            if answer.answer is not None:
                raw = self.store.read_json(answer.answer)
                parsed = parse_answer(raw["text"], "tests").answer or {}
                found = candidates_from(parsed, job.spec.module, answer.segment, job.llm_round)
                state.candidates += found
                names = [c.name for c in found]
            state.llm_segments.setdefault(answer.segment, []).append(names)
        state.llm_rounds = job.llm_round

    @activity.defn(name="test_generation_llm_prompts")
    async def llm_prompts(self, request: LLMPromptsRequest) -> list[SegmentPrompt]:
        """One prompt per uncovered function of the module, from its stored state."""
        return await asyncio.to_thread(self._llm_prompts, request)

    def _llm_prompts(self, request: LLMPromptsRequest) -> list[SegmentPrompt]:
        job = request.job
        found = self.store.find(f"{ARTIFACTS.batch_base(job.run_key, job.index)}/state.json", STATE)
        if found is None or found[0].import_error is not None:
            return []
        state: ModuleState = found[0]
        source = (Path(job.import_root) / job.spec.file).read_text(encoding="utf-8")
        prompts = []
        for segment in uncovered_segments(source, state)[: request.max_segments]:
            prompt = prompt_for(source, state, segment)
            slug = re.sub(r"\W", "_", segment.name)
            key = f"runs/{job.run_key}/llm/tests-{job.index}-{slug}-{request.round}-prompt.json"
            prompts.append(
                SegmentPrompt(
                    segment=segment.name,
                    prompt=self.store.put(key, prompt, PROMPT),
                    estimated_input_tokens=(len(prompt.system) + len(prompt.user)) // 4,
                    failures=state.llm_failures(segment.name),
                )
            )
        return prompts

    @activity.defn(name="test_generation_apply")
    async def apply(self, request: ApplyTestsRequest) -> ApplyOutcome:
        """Commit the test files (and the conftest that finds the import root) to a new
        branch, under tests/attune_generated of the project."""
        return await asyncio.to_thread(self._apply, request)

    def _apply(self, request: ApplyTestsRequest) -> ApplyOutcome:
        project = Path(request.project_root)
        files = self._test_files(request.modules)
        if not files:
            return ApplyOutcome(status="nothing-to-apply", reason="no test was kept")
        root = Path(request.import_root).resolve().relative_to(project.resolve()).as_posix()
        files["conftest.py"] = conftest(f'Path(__file__).resolve().parents[2] / "{root}"')
        patch = "".join(
            _new_file_diff(f"{GENERATED_DIR}/{name}", text) for name, text in sorted(files.items())
        )
        return commit_patch(project, patch, request.branch, request.message)

    def _test_files(self, modules: list[ModuleSummary]) -> dict[str, str]:
        files = {}
        for summary in modules:
            outcome = self.store.get(summary.outcome, OUTCOME)
            if outcome.test_file and outcome.test_source:
                files[outcome.test_file] = outcome.test_source
        return files

    @activity.defn(name="test_generation_report")
    async def report(self, request: ReportRequest) -> ReportOutcome:
        return await asyncio.to_thread(self._report, request)

    def _report(self, request: ReportRequest) -> ReportOutcome:
        outcomes: list[ModuleOutcome] = [
            self.store.get(m.outcome, OUTCOME)
            for m in sorted(request.modules, key=lambda m: m.index)
        ]
        root = Path(request.discovered.import_root)
        findings = bug_findings(outcomes, root, target_dir(request.target).resolve())
        skipped = [
            *request.discovered.skipped,
            *(SkippedFile(path=o.file, reason=o.reason) for o in outcomes if o.status == "skipped"),
        ]
        summary = reports.summarize(findings, len(outcomes), len(skipped))
        base = ARTIFACTS.run_base(request.run_key)
        findings_ref = self.store.put(f"{base}/findings.json", findings, FINDINGS, len(findings))
        out_dir = (
            Path(request.out_dir) if request.out_dir else self.store.run_dir(request.workflow_id)
        )
        paths = reports.artifact_paths(out_dir)
        tests_dir = out_dir / "tests"
        files = {o.test_file: o.test_source for o in outcomes if o.test_file and o.test_source}
        if files:
            tests_dir.mkdir(parents=True, exist_ok=True)
            for name, text in {**files, "conftest.py": conftest(repr(str(root)))}.items():
                reports._atomic_write(tests_dir / name, text)
            paths["tests"] = str(tests_dir)
        duration = round((datetime.now(UTC) - request.started_at).total_seconds(), 3)
        report = reports.build_report(
            workflow=request.workflow,
            workflow_id=request.workflow_id,
            run_id=request.run_id,
            status="completed",
            target=request.target,
            started_at=request.started_at,
            duration_s=duration,
            summary=summary,
            findings=findings,
            skipped=skipped,
            llm=request.llm,
            artifacts=paths,
            warnings=[*request.discovered.warnings, *_warnings(request.baseline)],
        )
        rows = coverage_rows(outcomes)
        test_files = sorted(str(tests_dir / name) for name in files)
        report.update(
            import_root=str(root),
            baseline=request.baseline.model_dump(mode="json", exclude={"coverage"}),
            coverage=rows,
            tests={
                "kept": sum(len(o.kept) for o in outcomes),
                "rejected": rejected_counts(outcomes),
                "files": test_files,
                "rejections": {
                    o.module: [r.model_dump(mode="json") for r in o.rejected] for o in outcomes
                },
            },
            engines={o.module: [e.model_dump(mode="json") for e in o.engines] for o in outcomes},
            isolation="; ".join(sorted({o.isolation for o in outcomes if o.isolation})),
            applied=request.applied.model_dump(mode="json"),
        )
        version = metadata.version("attune")
        contents: dict[str, Any] = {
            "markdown": render_markdown(report),
            "json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
            "sarif": json.dumps(reports.render_sarif(report, version), indent=2) + "\n",
        }
        Path(paths["json"]).parent.mkdir(parents=True, exist_ok=True)
        for kind, text in contents.items():
            reports._atomic_write(Path(paths[kind]), text)
        return ReportOutcome(
            summary=summary,
            coverage=[
                ModuleCoverage(
                    module=r["module"],
                    before=r["before"]["percent"],
                    after=r["after"]["percent"],
                    kept=r["kept"],
                )
                for r in rows
            ],
            kept=report["tests"]["kept"],
            rejected=report["tests"]["rejected"],
            test_files=test_files,
            artifacts=self.store.publish(paths),
            findings=findings_ref,
            duration_s=duration,
        )


def _no_drop_reason(module: str, root: Path, python: str, job: ModuleJob) -> str | None:
    """Why the candidates cannot run as uid 65534, or None when they can."""
    if not can_drop_privileges():
        return "not running as root with setpriv"
    if not nobody_can_import(module, root, python, job.test_timeout_s):
        return "uid 65534 cannot run the target's interpreter or import the module"
    return None


def _warnings(baseline: Baseline) -> list[ReportWarning]:
    if baseline.status in ("ok", "no-tests") and not baseline.reason:
        return []
    return [ReportWarning(code=f"baseline-{baseline.status}", message=baseline.reason)]


def _outcome(state: ModuleState, status: str, reason: str) -> ModuleOutcome:
    return ModuleOutcome(
        module=state.spec.module,
        file=state.spec.file,
        status=status,
        reason=reason,
        isolation=state.isolation,
        engines=state.engines,
        before=state.before,
        after=state.covered,
        kept=list(state.kept),
        rejected=list(state.rejected),
        bugs=state.bugs,
    )


def _after(state: ModuleState, run: Callable[[str, bool], Any], source: str) -> Coverage:
    """Coverage after, measured on the written file when some kept tests had to leave it."""
    measured = run(source, state.drop_privileges).coverage
    return Coverage(
        lines=sorted(set(state.before.lines) | set(measured.lines)),
        branches=sorted(set(state.before.branches) | set(measured.branches)),
        statements=measured.statements or state.before.statements,
        branches_total=measured.branches_total or state.before.branches_total,
    )


def _new_file_diff(path: str, text: str) -> str:
    lines = text.splitlines(keepends=True)
    body = "".join(difflib.unified_diff([], lines, "/dev/null", f"b/{path}", n=0))
    return f"diff --git a/{path} b/{path}\nnew file mode 100644\n{body}"
