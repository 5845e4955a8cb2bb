"""research-synthesis: a question and two or more sources in, a cited synthesis out;
offline retrieval and summaries, Haiku/Sonnet/Opus over the same evidence with a key."""

from workflows.registry import Flow
from workflows.research_synthesis.models import ResearchSynthesisRequest, ResearchSynthesisResult

# fmt: off
FLOW = Flow(
    name="research-synthesis",
    summary="question + sources -> cited synthesis; BM25 + extractive offline, "
    "Haiku/Sonnet/Opus with a key",
    request=ResearchSynthesisRequest,
    result=ResearchSynthesisResult,
    workflow="workflows.research_synthesis.workflow:ResearchSynthesisWorkflow",
    activities="activities.research_synthesis:worker_activities",
    validate="activities.research_synthesis.validate:check_request",
    target="directory",
    view="workflows.research_synthesis.view:VIEW",
    reports=("markdown", "json"),
    description="research a question and synthesise sources",
    vocabulary={
        "research*": 4, "synthes*": 3, "literatur*": 3, "paper*": 2, "summariz*": 2, "sources": 2,
        "investigat*": 1, "state art": 2.5,
    },
    examples=("research how others solve this", "summarize these sources"),
)
# fmt: on
