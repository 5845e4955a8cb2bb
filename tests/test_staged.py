"""The shared scaffolding of the staged flows' workflows (workflows/staged.py)."""

from __future__ import annotations

import pytest
from temporalio.workflow import _Definition

from workflows.bug_predict.workflow import BugPredictWorkflow
from workflows.code_review.workflow import CodeReviewWorkflow
from workflows.performance_audit.workflow import PerformanceAuditWorkflow
from workflows.pr_review.workflow import PrReviewWorkflow
from workflows.refactor_plan.workflow import RefactorPlanWorkflow
from workflows.staged import StagedWorkflow
from workflows.wire import PROGRESS_QUERY

STAGED = (
    BugPredictWorkflow,
    CodeReviewWorkflow,
    PerformanceAuditWorkflow,
    PrReviewWorkflow,
    RefactorPlanWorkflow,
)


@pytest.mark.parametrize("cls", STAGED, ids=lambda cls: cls.__name__)
def test_the_progress_query_of_the_base_class_is_registered(cls: type) -> None:
    """temporalio finds query handlers on base classes; the flows rely on it."""
    definition = _Definition.must_from_class(cls)
    assert issubclass(cls, StagedWorkflow)
    assert definition.queries[PROGRESS_QUERY].fn is StagedWorkflow.progress
