from django.http import HttpResponse

from .storage import read_attachment


def attachment(request):
    name = request.GET["name"]
    return HttpResponse(read_attachment(name), content_type="application/octet-stream")
