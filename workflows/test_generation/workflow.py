"""test-generation: find the modules, measure coverage before with the project's own
tests, then one heartbeating activity per module runs the engines and the isolation
runner and keeps the tests that pass twice and add coverage; with `apply`, the test
files are committed to a new branch; the report comes last.

The workflow only routes: every file read, subprocess and report write is an activity,
and a module's candidates, decisions and test file move as artifact references.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

from workflows.llm_findings import llm_summary
from workflows.runs import mark_run, save_usage
from workflows.staged import RETRY, StagedWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.llm.claude import ClaudeActivities
    from activities.test_generation.activities import TestGenerationActivities
    from workflows.schemas import ApplyOutcome, LLMConfig, LLMSummary, UsageMemo
    from workflows.test_generation.models import (
        ApplyTestsRequest,
        BaselineRequest,
        DiscoveredModules,
        DiscoverModulesRequest,
        ModuleJob,
        ModuleSummary,
        ReportRequest,
        TestGenerationRequest,
        TestGenerationResult,
    )

WORKFLOW_NAME = "test-generation"
STAGES = ("discover", "baseline", "modules", "llm", "apply", "report")
LLM_NOT_BUILT = "the coverage-guided LLM loop is not part of this release"


def stages(apply: bool) -> tuple[str, ...]:
    return STAGES if apply else tuple(s for s in STAGES if s != "apply")


def branch_name(run_id: str) -> str:
    """`attune/tests-` and the run id's last 8 hex digits (its random part)."""
    return f"attune/tests-{run_id.replace('-', '')[-8:]}"


@workflow.defn(name=WORKFLOW_NAME)
class TestGenerationWorkflow(StagedWorkflow):
    __test__ = False

    @workflow.init
    def __init__(self, request: TestGenerationRequest) -> None:
        super().__init__(stages(request.apply))
        self._kept = 0

    @workflow.run
    async def run(self, request: TestGenerationRequest) -> TestGenerationResult:
        return await self._tracked(self._generate(request))

    async def _generate(self, request: TestGenerationRequest) -> TestGenerationResult:
        marks = mark_run()
        info = workflow.info()
        started_at = workflow.now()
        run_key = f"{info.workflow_id}/{info.run_id}"
        self._set_stage("discover")
        discovered: DiscoveredModules = await workflow.execute_activity_method(
            TestGenerationActivities.discover,
            DiscoverModulesRequest(
                run_key=run_key,
                target=request.target,
                select=request.select,
                import_root=request.import_root,
                max_modules=request.max_modules,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary=f"Find the modules of {request.target}",
        )
        self._set_stage("baseline", "the project's own tests under coverage")
        baseline = await workflow.execute_activity_method(
            TestGenerationActivities.baseline,
            BaselineRequest(
                run_key=run_key,
                project_root=discovered.project_root,
                import_root=discovered.import_root,
                modules=discovered.modules,
                timeout_s=request.existing_tests_timeout_s,
            ),
            start_to_close_timeout=timedelta(seconds=request.existing_tests_timeout_s + 300),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary="Measure coverage before with the project's tests",
        )
        self._files_total = len(discovered.modules)
        self._set_stage("modules", f"0/{self._files_total} modules")
        budgets = {
            "ast": request.ast_budget_s,
            "ghostwriter": request.ghostwriter_budget_s,
            "pynguin": request.pynguin_budget_s,
        }
        jobs = [
            ModuleJob(
                run_key=run_key,
                index=index,
                spec=spec,
                import_root=discovered.import_root,
                project_root=discovered.project_root,
                baseline=baseline.coverage,
                engines=request.engines,
                budgets=budgets,
                test_timeout_s=request.test_timeout_s,
                max_candidates=request.max_candidates,
            )
            for index, spec in enumerate(discovered.modules)
        ]
        modules = await asyncio.gather(*(self._module(job, request) for job in jobs))
        usage = UsageMemo()
        self._set_stage("llm")
        llm = await self._llm(request, usage)
        applied = ApplyOutcome(status="not-requested")
        if request.apply:
            self._set_stage("apply")
            applied = await workflow.execute_activity_method(
                TestGenerationActivities.apply,
                ApplyTestsRequest(
                    project_root=discovered.project_root,
                    import_root=discovered.import_root,
                    modules=modules,
                    branch=branch_name(info.run_id),
                    message=f"attune test-generation: generated tests\n\nRun {info.run_id}.\n",
                ),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RETRY,
                summary="Commit the test files to a new branch",
            )
        self._set_stage("report", f"{self._kept} tests kept")
        if marks:
            save_usage(usage)
        outcome = await workflow.execute_activity_method(
            TestGenerationActivities.report,
            ReportRequest(
                run_key=run_key,
                workflow=WORKFLOW_NAME,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                target=request.target,
                started_at=started_at,
                out_dir=request.out_dir,
                discovered=discovered,
                baseline=baseline,
                modules=modules,
                llm=llm,
                applied=applied,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RETRY,
            summary="Write the test files, Markdown, JSON and SARIF",
        )
        self._set_stage("done", f"{outcome.kept} tests kept")
        return TestGenerationResult(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            status="completed",
            target=request.target,
            summary=outcome.summary,
            coverage=outcome.coverage,
            kept=outcome.kept,
            rejected=outcome.rejected,
            test_files=outcome.test_files,
            applied=applied,
            llm=llm,
            artifacts=outcome.artifacts,
            findings=outcome.findings,
            duration_s=outcome.duration_s,
            usage=usage if marks else None,
        )

    async def _module(self, job: ModuleJob, request: TestGenerationRequest) -> ModuleSummary:
        engines_s = sum(job.budgets.get(e, 0) for e in job.engines)
        runs_s = 4 * request.test_timeout_s * (request.max_candidates + 2)
        result = await workflow.execute_activity_method(
            TestGenerationActivities.module,
            job,
            activity_id=f"module-{job.index}",
            start_to_close_timeout=timedelta(seconds=engines_s + runs_s + 300),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Write tests for {job.spec.module}",
        )
        self._kept += result.kept
        self._batch_done(1, result.bugs)
        if self._progress.stage == "modules":
            self._progress.detail = (
                f"{self._files_done}/{self._files_total} modules, {self._kept} tests kept"
            )
        return result

    async def _llm(self, request: TestGenerationRequest, usage: UsageMemo) -> LLMSummary:
        """The coverage-guided LLM loop's verdict: skipped, with the reason."""
        if "llm" not in request.engines:
            return llm_summary(usage, "skipped", "the llm engine was not requested")
        config: LLMConfig = await workflow.execute_activity_method(
            ClaudeActivities.llm_config,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Check the Claude configuration",
        )
        return llm_summary(
            usage, "skipped", config.reason if not config.available else LLM_NOT_BUILT
        )
