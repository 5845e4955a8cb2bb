from django.contrib.auth import logout

from .navigation import go_back


def sign_out(request):
    logout(request)
    return go_back(request.GET.get("return_to"), request.get_host())
