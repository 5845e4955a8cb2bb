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
RESEARCH_SYNTHESIS = Flow(
    name="research-synthesis", planned=True,
    summary="question + sources -> cited synthesis",
    description="research a question and synthesise sources",
    vocabulary={
        "research*": 4, "synthes*": 3, "literatur*": 3, "paper*": 2, "summariz*": 2, "sources": 2,
        "investigat*": 1, "state art": 2.5,
    },
    examples=("research how others solve this", "summarize these sources"),
)
DEPENDENCY_CHECK = Flow(
    name="dependency-check", planned=True, nearest="security-audit",
    summary="dependency inventory, OSV advisories from a local database, hygiene, SBOM",
    description="check dependencies for outdated or vulnerable packages",
    vocabulary={
        "dependenc*": 4, "dep": 3, "outdat*": 3, "requirement*": 3, "package*": 1.5, "upgrad*": 2,
        "pip audit": 3, "licens*": 2, "supply chain": 3, "lockfile*": 2, "lock file": 2,
        "third party": 2, "librar*": 1, "cve": 2, "advisor*": 2.5, "osv": 3, "sbom": 4,
        "pin*": 1.5, "pyproject": 1.5, "known vulnerab*": 2, "vulnerab* package": 3,
        "vulnerab* dependenc*": 2, r"re:requirements[\w.-]*\.(txt|in)": 3,
    },
    examples=(
        "check requirements.txt for known CVEs",
        "are any of our dependencies vulnerable?",
        "which packages are outdated?",
    ),
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
