from django.shortcuts import render
from django.utils.safestring import mark_safe


def profile_preview(request):
    bio = request.POST.get("bio", "")
    context = {"bio_html": mark_safe(f"<div class='bio'>{bio}</div>")}
    return render(request, "profiles/preview.html", context)
