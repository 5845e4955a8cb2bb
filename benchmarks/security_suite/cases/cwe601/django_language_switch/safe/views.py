from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme


def switch_language(request):
    language = request.POST.get("language", "en")
    translation.activate(language)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    response.set_cookie("django_language", language, secure=True, httponly=True, samesite="Lax")
    return response
