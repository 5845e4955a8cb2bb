"""seo-optimization: Lighthouse's SEO audits on built HTML (and Lighthouse itself when
installed), site-level checks, and drafted titles and descriptions as a patch."""

from workflows.registry import Flow
from workflows.seo_optimization.models import SeoOptimizationRequest, SeoOptimizationResult

# fmt: off
FLOW = Flow(
    name="seo-optimization",
    summary="Lighthouse's SEO audits on built HTML or docs (+ Lighthouse when installed); "
    "fixes as a patch",
    request=SeoOptimizationRequest,
    result=SeoOptimizationResult,
    workflow="workflows.seo_optimization.workflow:SeoOptimizationWorkflow",
    activities="activities.seo_optimization:worker_activities",
    validate="activities.apply_branch:check_request",
    target="directory",
    view="workflows.seo_optimization.view:VIEW",
    reports=("markdown", "json", "sarif", "patch"),
    description="improve a site's SEO",
    vocabulary={
        "seo": 5, "search engin*": 4, "meta tag*": 3, "sitemap*": 3, "googl*": 1.5, "rank*": 1,
        "keyword*": 1.5, "organic traffic": 3, "meta description*": 4, "lighthouse": 3,
        "robots.txt": 3, "canonical": 2.5, "hreflang": 3,
    },
    examples=("improve our site's SEO", "check the docs site's meta descriptions"),
)
# fmt: on
