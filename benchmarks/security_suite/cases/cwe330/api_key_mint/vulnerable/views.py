from django.http import JsonResponse

from .keygen import mint_key


def create_api_key(request):
    key = mint_key()
    request.user.api_keys.create(key_hash=key[-8:], label=request.POST.get("label", ""))
    return JsonResponse({"key": key}, status=201)
