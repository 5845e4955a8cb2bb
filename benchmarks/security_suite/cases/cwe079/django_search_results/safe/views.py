from .rendering import results_page


def search(request):
    query = request.GET.get("q", "")
    hits = [] if not query else ["Getting started", "Configuration"]
    return results_page(query, hits)
