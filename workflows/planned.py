"""Flows attune announces but has not built yet.

Each is a `Flow` with `planned=True`: routing recognises how people ask for it, says
plainly that it is not available yet, and offers `nearest`. Building one replaces
its entry-point line in pyproject.toml with the real flow unit's `FLOW`.
"""

from workflows.registry import Flow

# fmt: off
DOCUMENT_GEN = Flow(
    name="document-gen", planned=True,
    summary="docstring coverage and consistency, API reference, docstring drafts",
    description="write documentation",
    vocabulary={
        "document*": 3, "doc": 3, "docstring*": 3, "readme": 3, "api refer*": 2.5, "explain*": 1.5,
        "comment*": 1.5, "write up": 1,
    },
    examples=("document this package", "write the missing docstrings"),
)
SEO_OPTIMIZATION = Flow(
    name="seo-optimization", planned=True,
    summary="SEO checks on built HTML; fixes as a patch",
    description="improve a site's SEO",
    vocabulary={
        "seo": 5, "search engin*": 4, "meta tag*": 3, "sitemap*": 3, "googl*": 1.5, "rank*": 1,
        "keyword*": 1.5, "organic traffic": 3,
    },
    examples=("improve our site's SEO",),
)
# fmt: on
