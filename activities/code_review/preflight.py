"""What code-review checks before a run starts: on a diff, that the target is in a git
repository that knows the base and head revisions, so a typo is one line and exit 2,
not a failed run."""

from __future__ import annotations

from activities.code_facts.diff import resolve
from activities.code_facts.history import NoHistory, repository_of
from activities.target import target_dir
from workflows.code_review.models import CodeReviewRequest


def check_revisions(request: CodeReviewRequest) -> None:
    if request.base is None and request.head is None:
        return
    directory = target_dir(request.target)
    try:
        repository_of(directory)
        for rev in (request.base, request.head):
            if rev is not None:
                resolve(directory, rev)
    except NoHistory as reason:
        raise ValueError(f"code-review of a change: {reason}") from None
