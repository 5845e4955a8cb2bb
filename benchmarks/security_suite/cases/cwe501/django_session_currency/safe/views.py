from django.shortcuts import redirect

from .preferences import remember_currency


def set_currency(request):
    remember_currency(request.session, request.POST["currency"])
    return redirect("catalog")
