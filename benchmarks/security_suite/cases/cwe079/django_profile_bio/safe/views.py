from django.shortcuts import render
from django.utils.html import format_html


def profile_preview(request):
    bio = request.POST.get("bio", "")
    context = {"bio_html": format_html("<div class='bio'>{}</div>", bio)}
    return render(request, "profiles/preview.html", context)
