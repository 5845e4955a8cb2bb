from django.shortcuts import render
from django.utils.html import format_html_join


def tag_links(tags: list[str]) -> str:
    return format_html_join(", ", '<a href="/tags/{}/">{}</a>', ((tag, tag) for tag in tags))


def post_preview(request):
    tags = [t.strip() for t in request.POST.get("tags", "").split(",") if t.strip()]
    return render(request, "blog/preview.html", {"tag_links": tag_links(tags)})
