from django.http import JsonResponse

from .imaging import make_thumbnail


def thumbnail(request):
    name = request.POST["image"]
    width = request.POST.get("width", "320")
    output = make_thumbnail(name, width)
    return JsonResponse({"thumbnail": output})
