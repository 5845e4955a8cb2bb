from django.contrib.auth import authenticate, login
from django.http import HttpResponseForbidden
from django.shortcuts import redirect


def sign_in(request):
    user = authenticate(request, username=request.POST["username"], password=request.POST["password"])
    if user is None:
        return HttpResponseForbidden()
    login(request, user)
    response = redirect("home")
    if request.POST.get("remember"):
        response.set_cookie("remember_device", user.profile.device_token, max_age=30 * 86400, httponly=True)
    return response
