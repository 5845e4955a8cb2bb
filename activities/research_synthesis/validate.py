"""research-synthesis's check before a run starts: every path source lies inside the
target and exists, every URL has a host. Light on imports: the CLI runs it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from activities.research_synthesis.sources import is_url, resolve_path
from workflows.research_synthesis.models import ResearchSynthesisRequest


def check_request(request: ResearchSynthesisRequest) -> None:
    root = Path(request.target)
    for source in request.sources:
        if source.startswith("repo:"):
            continue
        if is_url(source):
            if not urlsplit(source).netloc:
                raise ValueError(f"source {source!r} is not a URL with a host")
            continue
        resolve_path(root, source)
