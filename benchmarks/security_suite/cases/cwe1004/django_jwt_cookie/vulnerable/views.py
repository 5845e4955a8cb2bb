import jwt
from django.conf import settings
from django.http import JsonResponse


def issue_token(request):
    token = jwt.encode({"sub": str(request.user.pk)}, settings.SECRET_KEY, algorithm="HS256")
    response = JsonResponse({"ok": True})
    response.set_cookie("jwt", token, secure=True, samesite="Lax")
    return response
