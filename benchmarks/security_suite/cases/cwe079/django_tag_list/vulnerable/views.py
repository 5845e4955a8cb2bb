from django.shortcuts import render
from django.utils.safestring import mark_safe


def tag_links(tags: list[str]) -> str:
    links = ", ".join(f'<a href="/tags/{tag}/">{tag}</a>' for tag in tags)
    return mark_safe(links)


def post_preview(request):
    tags = [t.strip() for t in request.POST.get("tags", "").split(",") if t.strip()]
    return render(request, "blog/preview.html", {"tag_links": tag_links(tags)})
