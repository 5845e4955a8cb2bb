import json

from django.http import JsonResponse

from .notifier import deliver


def test_webhook(request):
    body = json.loads(request.body)
    status = deliver(body["endpoint"], {"event": "ping"})
    return JsonResponse({"delivered": status})
