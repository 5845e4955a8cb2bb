from django.http import HttpResponse

from .templates_store import template_source


def preview_email_template(request):
    name = request.POST["template"]
    return HttpResponse(template_source(name), content_type="text/plain")
