from django.http import HttpResponse
from django.utils.html import escape


def results_page(query: str, hits: list[str]) -> HttpResponse:
    items = "".join(f"<li>{escape(hit)}</li>" for hit in hits)
    return HttpResponse(
        f"<h2>{len(hits)} results for {escape(query)}</h2><ul>{items}</ul>",
        content_type="text/html",
    )
