from django.shortcuts import redirect
from django.utils import translation


def switch_language(request):
    language = request.POST.get("language", "en")
    translation.activate(language)
    response = redirect(request.POST.get("next", "/"))
    response.set_cookie("django_language", language, secure=True, httponly=True, samesite="Lax")
    return response
