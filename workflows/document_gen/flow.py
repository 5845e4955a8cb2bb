"""document-gen: docstring coverage and consistency, an API reference, and drafts of the
missing docstrings as a patch, committed to a new branch only with `--apply`."""

from workflows.document_gen.models import DocumentGenRequest, DocumentGenResult
from workflows.registry import Flow

# fmt: off
FLOW = Flow(
    name="document-gen",
    summary="docstring coverage and consistency, API reference, docstring drafts",
    request=DocumentGenRequest,
    result=DocumentGenResult,
    workflow="workflows.document_gen.workflow:DocumentGenWorkflow",
    activities="activities.document_gen:worker_activities",
    validate="activities.apply_branch:check_request",
    target="python",
    view="workflows.document_gen.view:VIEW",
    reports=("markdown", "json", "sarif", "patch"),
    description="write documentation",
    vocabulary={
        "document*": 3, "doc": 3, "docstring*": 3, "readme": 3, "api refer*": 2.5, "explain*": 1.5,
        "comment*": 1.5, "write up": 1,
    },
    examples=("document this package", "write the missing docstrings"),
)
# fmt: on
