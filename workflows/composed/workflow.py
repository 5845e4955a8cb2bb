"""composed: runs a user's workflow spec (TOML or YAML) without Temporal code.

Steps run by their dependency graph, independent ones in parallel: catalog
workflows and plugin workflows as child workflows, LLM steps as TierEscalation
children, approval gates as durable waits for `approve`/`reject`. A step whose
dependency did not succeed is skipped, saying why.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ChildWorkflowError

from workflows.runs import advance, combine, mark_run, save_usage, usage_of_attempts
from workflows.tier_escalation import TierEscalationWorkflow

with workflow.unsafe.imports_passed_through():
    import activities.llm.outputs  # noqa: F401 - the spec validator reads it lazily
    from activities.composed import ComposedReportActivities
    from activities.llm.claude import ClaudeActivities
    from activities.llm.stage import LLMStageActivities
    from workflows.composed.models import (
        ComposedReportRequest,
        ComposedRequest,
        ComposedResult,
        StepOutcome,
    )
    from workflows.composed.spec import (
        ApprovalStepSpec,
        LLMStepSpec,
        WorkflowSpec,
        WorkflowStepSpec,
        render_prompt,
    )
    from workflows.errors import root_cause
    from workflows.schemas import (
        AnswerRequest,
        ApprovalDecision,
        LLMPrompt,
        LLMTask,
        PendingApproval,
        Progress,
        PromptRequest,
        UsageMemo,
    )
    from workflows.wire import (
        APPROVE_SIGNAL,
        ATTUNE_AWAITING,
        ATTUNE_STAGE,
        PENDING_APPROVALS_QUERY,
        PROGRESS_QUERY,
        REJECT_SIGNAL,
    )

WORKFLOW_NAME = "composed"
RETRY = RetryPolicy(maximum_attempts=5, initial_interval=timedelta(seconds=1))
SUMMARY_CHARS = 2000
COMPOSED_SYSTEM = (
    "You are one step of a user-defined attune workflow. Answer the task with what the "
    "context shows; say plainly when it does not show enough. Do not invent facts."
)


def _failed(step: Any, role: str, err: ChildWorkflowError, child_id: str) -> StepOutcome:
    return StepOutcome(
        id=step.id,
        kind=step.kind,
        role=role,
        status="failed",
        summary=root_cause(err),
        workflow_id=child_id,
    )


@workflow.defn(name=WORKFLOW_NAME)
class ComposedWorkflow:
    @workflow.init
    def __init__(self, request: ComposedRequest) -> None:
        self._outcomes: dict[str, StepOutcome] = {}
        self._pending: dict[str, PendingApproval] = {}
        self._decisions: dict[str, ApprovalDecision] = {}
        self._verdicts: dict[str, str] = {}
        self._progress = Progress.of("steps", "report")

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self) -> Progress:
        return self._progress

    @workflow.signal(name=APPROVE_SIGNAL)
    def approve(self, decision: ApprovalDecision) -> None:
        self._decide("approved", decision)

    @workflow.signal(name=REJECT_SIGNAL)
    def reject(self, decision: ApprovalDecision) -> None:
        self._decide("rejected", decision)

    @workflow.query(name=PENDING_APPROVALS_QUERY)
    def pending_approvals(self) -> list[PendingApproval]:
        return [p for step, p in self._pending.items() if step not in self._verdicts]

    @workflow.run
    async def run(self, request: ComposedRequest) -> ComposedResult:
        marks = mark_run()
        spec = WorkflowSpec.model_validate(request.spec)
        info = workflow.info()
        self._run_key = f"{info.workflow_id}/{info.run_id}"
        advance(self._progress, "steps")
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set("steps")])
        await asyncio.gather(*(self._run_step(step, spec, request) for step in spec.steps))
        advance(self._progress, "report")
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set("report")])
        artifacts = await workflow.execute_activity_method(
            ComposedReportActivities.write_composed_report,
            ComposedReportRequest(
                workflow_id=info.workflow_id,
                name=spec.name,
                target=request.target,
                out_dir=request.out_dir,
                steps=[self._outcomes[s.id] for s in spec.steps],
            ),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
            summary="Write the composed workflow's report",
        )
        advance(self._progress, "done")
        workflow.upsert_search_attributes([ATTUNE_STAGE.value_set("done")])
        statuses = {o.status for o in self._outcomes.values()}
        status = "failed" if "failed" in statuses else "completed"
        if statuses & {"rejected", "timed_out"}:
            status = "rejected"
        usage = None
        if marks:
            usage = combine(o.usage for o in self._outcomes.values())
            save_usage(usage)
        return ComposedResult(
            usage=usage,
            workflow_id=info.workflow_id,
            name=spec.name,
            status=status,
            steps={s.id: self._outcomes[s.id] for s in spec.steps},
            artifacts=artifacts,
        )

    async def _run_step(self, step, spec: WorkflowSpec, request: ComposedRequest) -> None:
        await workflow.wait_condition(lambda: all(d in self._outcomes for d in step.depends_on))
        role = step.role or step.id
        blocked = [d for d in step.depends_on if self._outcomes[d].status != "ok"]
        if blocked:
            outcome = StepOutcome(
                id=step.id,
                kind=step.kind,
                role=role,
                status="skipped",
                summary=f"skipped: {', '.join(blocked)} did not succeed",
            )
        elif isinstance(step, WorkflowStepSpec):
            outcome = await self._workflow_step(step, role, request)
        elif isinstance(step, LLMStepSpec):
            outcome = await self._llm_step(step, role)
        else:
            outcome = await self._approval_step(step, role)
        self._outcomes[step.id] = outcome

    async def _workflow_step(
        self, step: WorkflowStepSpec, role: str, request: ComposedRequest
    ) -> StepOutcome:
        target = request.target if step.target is None else f"{request.target}/{step.target}"
        child_id = f"{workflow.info().workflow_id}-{step.id}"
        try:
            result = await workflow.execute_child_workflow(
                step.workflow,
                {**step.params, "target": target},
                id=child_id,
                static_summary=f"step {step.id}: {step.workflow} of {target}",
            )
        except ChildWorkflowError as err:
            return _failed(step, role, err, child_id)
        data = result if isinstance(result, dict) else {"result": result}
        summary = data.get("summary")
        text = json.dumps(summary if summary is not None else data, default=str)
        return StepOutcome(
            id=step.id,
            kind=step.kind,
            role=role,
            status="ok",
            summary=text[:SUMMARY_CHARS],
            workflow_id=child_id,
            data={"artifacts": data.get("artifacts", {})},
            usage=UsageMemo.model_validate(data["usage"]) if data.get("usage") else None,
        )

    async def _llm_step(self, step: LLMStepSpec, role: str) -> StepOutcome:
        config = await workflow.execute_activity_method(
            ClaudeActivities.llm_config,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary=f"step {step.id}: check the Claude configuration",
        )
        if not config.available:
            return StepOutcome(
                id=step.id, kind=step.kind, role=role, status="skipped", summary=config.reason
            )
        upstream = {d: o.summary for d, o in self._outcomes.items()}
        prompt = LLMPrompt(system=COMPOSED_SYSTEM, user=render_prompt(step.prompt, upstream))
        ref = await workflow.execute_activity_method(
            LLMStageActivities.write_prompt,
            PromptRequest(run_key=self._run_key, task_id=step.id, prompt=prompt),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary=f"step {step.id}: write the prompt",
        )
        child_id = f"{workflow.info().workflow_id}-{step.id}"
        try:
            state = await workflow.execute_child_workflow(
                TierEscalationWorkflow.run,
                LLMTask(
                    run_key=self._run_key,
                    task_id=step.id,
                    kind=step.task,
                    prompt=ref,
                    output_schema=step.output_schema,
                    start_tier=step.initial_tier(),
                    ceiling=step.ceiling,
                    budget_usd=step.max_cost_usd,
                    min_confidence=step.min_confidence,
                    estimated_input_tokens=(len(prompt.system) + len(prompt.user)) // 4,
                    prices=config.prices,
                ),
                id=child_id,
                static_summary=f"step {step.id}: LLM task",
            )
        except ChildWorkflowError as err:
            return _failed(step, role, err, child_id)
        usage = usage_of_attempts(state.attempts)
        usage.llm_tasks = 1
        if state.answer is None:
            return StepOutcome(
                id=step.id,
                kind=step.kind,
                role=role,
                status="failed",
                summary=f"no valid answer: {state.message}",
                workflow_id=child_id,
                usage=usage,
            )
        answer = await workflow.execute_activity_method(
            LLMStageActivities.read_answer,
            AnswerRequest(answer=state.answer, output_schema=step.output_schema),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary=f"step {step.id}: read the answer",
        )
        return StepOutcome(
            id=step.id,
            kind=step.kind,
            role=role,
            status="ok",
            summary=json.dumps(answer)[:SUMMARY_CHARS],
            workflow_id=child_id,
            data={"tier": state.answer_tier, "cost_usd": state.spent_usd},
            usage=usage,
        )

    async def _approval_step(self, step: ApprovalStepSpec, role: str) -> StepOutcome:
        now = workflow.now()
        timeout = timedelta(seconds=step.timeout)
        self._pending[step.id] = PendingApproval(
            workflow_id=workflow.info().workflow_id,
            what=f"{step.id}: {step.message}",
            recommendation="go",
            blockers=[],
            warnings=[],
            since=now,
            timeout_at=now + timeout,
        )
        workflow.upsert_search_attributes([ATTUNE_AWAITING.value_set("approval")])
        try:
            await workflow.wait_condition(lambda: step.id in self._verdicts, timeout=timeout)
        except TimeoutError:
            self._verdicts[step.id] = "timed_out"
        if not self.pending_approvals():
            workflow.upsert_search_attributes([ATTUNE_AWAITING.value_unset()])
        verdict = self._verdicts[step.id]
        decision = self._decisions.get(step.id)
        who = f" by {decision.reviewer}" if decision else ""
        text = (decision.comment or decision.reason) if decision else f"no decision in {timeout}"
        return StepOutcome(
            id=step.id,
            kind=step.kind,
            role=role,
            status="ok" if verdict == "approved" else verdict,
            summary=f"{verdict}{who}: {text}",
        )

    def _decide(self, verdict: str, decision: ApprovalDecision) -> None:
        """A decision answers the oldest gate still waiting."""
        waiting = self.pending_approvals()
        if not waiting:
            return
        step = waiting[0].what.split(":", 1)[0]
        self._verdicts[step] = verdict
        self._decisions[step] = decision
