from django.http import HttpResponse

from .remote import grep_logs


def support_search(request):
    output = grep_logs("app-01.internal", request.GET["q"])
    return HttpResponse(output, content_type="text/plain")
