import hashlib
import secrets

from django.http import JsonResponse

from accounts.models import Member


def hash_password(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 600_000).hex()


def signup(request):
    salt = secrets.token_hex(8)
    member = Member.objects.create(
        username=request.POST["username"],
        salt=salt,
        password_hash=hash_password(request.POST["password"], salt),
    )
    return JsonResponse({"id": member.pk}, status=201)
