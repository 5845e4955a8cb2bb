from django.http import HttpResponseForbidden, JsonResponse

from .accounts import find_account


def legacy_login(request):
    account = find_account(request.POST["user"], request.POST["pin"])
    if account is None:
        return HttpResponseForbidden()
    return JsonResponse({"account": account})
