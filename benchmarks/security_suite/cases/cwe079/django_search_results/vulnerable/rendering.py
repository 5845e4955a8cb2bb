from django.http import HttpResponse


def results_page(query: str, hits: list[str]) -> HttpResponse:
    items = "".join(f"<li>{hit}</li>" for hit in hits)
    return HttpResponse(
        f"<h2>{len(hits)} results for {query}</h2><ul>{items}</ul>",
        content_type="text/html",
    )
