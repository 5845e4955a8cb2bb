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
from temporalio.exceptions import ActivityError, ChildWorkflowError

from workflows.llm_findings import llm_summary
from workflows.runs import mark_run, save_usage, usage_of_attempts
from workflows.staged import RETRY, StagedWorkflow
from workflows.tier_escalation import TierEscalationWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.llm.claude import ClaudeActivities
    from activities.test_generation.activities import TestGenerationActivities
    from workflows.errors import root_cause
    from workflows.schemas import (
        ApplyOutcome,
        EscalationState,
        LLMConfig,
        LLMSummary,
        LLMTask,
        Tier,
        UsageMemo,
    )
    from workflows.test_generation.models import (
        ApplyTestsRequest,
        BaselineRequest,
        DiscoveredModules,
        DiscoverModulesRequest,
        LLMPromptsRequest,
        ModuleJob,
        ModuleSummary,
        ReportRequest,
        SegmentAnswer,
        SegmentPrompt,
        TestGenerationRequest,
        TestGenerationResult,
    )
    from workflows.tiers import rank

WORKFLOW_NAME = "test-generation"
STAGES = ("discover", "baseline", "modules", "llm", "apply", "report")
OPUS_AFTER_FAILURES = 2
"""Rounds of rejected tests for one function before its next round starts on Opus."""


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
        self._set_stage("llm")
        llm, usage = await self._llm(request, jobs, modules, marks)
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

    async def _module(
        self, job: ModuleJob, request: TestGenerationRequest, counted: bool = True
    ) -> ModuleSummary:
        engines_s = sum(job.budgets.get(e, 0) for e in job.engines)
        runs_s = 4 * request.test_timeout_s * (request.max_candidates + 2)
        suffix = f"-llm-{job.llm_round}" if job.llm_round else ""
        result = await workflow.execute_activity_method(
            TestGenerationActivities.module,
            job,
            activity_id=f"module-{job.index}{suffix}",
            start_to_close_timeout=timedelta(seconds=engines_s + runs_s + 300),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_timeout_s),
            retry_policy=RETRY,
            summary=f"Write tests for {job.spec.module}",
        )
        if not counted:
            return result
        self._kept += result.kept
        self._batch_done(1, result.bugs)
        if self._progress.stage == "modules":
            self._progress.detail = (
                f"{self._files_done}/{self._files_total} modules, {self._kept} tests kept"
            )
        return result

    async def _llm(
        self,
        request: TestGenerationRequest,
        jobs: list[ModuleJob],
        modules: list[ModuleSummary],
        marks: bool,
    ) -> tuple[LLMSummary, UsageMemo]:
        """The coverage-guided loop: per round, per module, one TierEscalation child per
        uncovered function, then the answers through the module's isolation runner.
        Sonnet writes; a function whose tests were all rejected twice goes to Opus.
        `modules` is updated in place with each module's new summary."""
        usage = UsageMemo()
        if "llm" not in request.engines:
            return llm_summary(usage, "skipped", "the llm engine was not requested"), usage
        config: LLMConfig = await workflow.execute_activity_method(
            ClaudeActivities.llm_config,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary="Check the Claude configuration",
        )
        if not config.available:
            return llm_summary(usage, "skipped", config.reason), usage
        if request.llm_max_segments == 0:
            return llm_summary(usage, "skipped", "llm_max_segments is 0"), usage
        states: list[EscalationState] = []
        stopped = ""
        try:
            for number in range(1, request.rounds + 1):
                asked = 0
                for job in jobs:
                    if modules[job.index].status != "ok":
                        continue
                    self._progress.detail = f"round {number}: {job.spec.module}"
                    answers, stopped = await self._llm_round(request, config, job, number, states)
                    asked += len(answers)
                    usage = usage_of_attempts(a for st in states for a in st.attempts)
                    usage.llm_tasks = len(states)
                    if marks:
                        save_usage(usage)
                    if answers:
                        modules[job.index] = await self._module(
                            job.model_copy(update={"llm_round": number, "llm_answers": answers}),
                            request,
                            counted=False,
                        )
                    if stopped:
                        break
                if stopped or not asked:
                    break
        except (ActivityError, ChildWorkflowError) as err:
            return llm_summary(usage, "failed", root_cause(err)), usage
        return llm_summary(usage, "ok", stopped), usage

    async def _llm_round(
        self,
        request: TestGenerationRequest,
        config: LLMConfig,
        job: ModuleJob,
        number: int,
        states: list[EscalationState],
    ) -> tuple[list[SegmentAnswer], str]:
        """This round's answers for one module, and why the budget stopped it (or "")."""
        prompts: list[SegmentPrompt] = await workflow.execute_activity_method(
            TestGenerationActivities.llm_prompts,
            LLMPromptsRequest(job=job, round=number, max_segments=request.llm_max_segments),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY,
            summary=f"Round {number}: prompts for the uncovered code of {job.spec.module}",
        )
        answers = []
        for prompt in prompts:
            spent = sum(st.spent_usd for st in states)
            if request.max_cost_usd is not None and spent >= request.max_cost_usd:
                return answers, f"budget ${request.max_cost_usd:g} spent"
            start: Tier = "opus" if prompt.failures >= OPUS_AFTER_FAILURES else "sonnet"
            if rank(start) > rank(request.llm_ceiling):
                start = request.llm_ceiling
            slug = "".join(c if c.isalnum() else "-" for c in prompt.segment)
            state = await workflow.execute_child_workflow(
                TierEscalationWorkflow.run,
                LLMTask(
                    run_key=job.run_key,
                    task_id=f"tests-{job.index}-{slug}-{number}",
                    kind="test-writing",
                    prompt=prompt.prompt,
                    output_schema="tests",
                    start_tier=start,
                    ceiling=request.llm_ceiling,
                    budget_usd=None
                    if request.max_cost_usd is None
                    else max(request.max_cost_usd - spent, 0),
                    estimated_input_tokens=prompt.estimated_input_tokens,
                    prices=config.prices,
                ),
                id=f"{workflow.info().workflow_id}-tests-{job.index}-{slug}-{number}",
                static_summary=f"Round {number}: tests for {job.spec.module}.{prompt.segment}",
            )
            states.append(state)
            answers.append(SegmentAnswer(segment=prompt.segment, answer=state.answer))
        return answers, ""
