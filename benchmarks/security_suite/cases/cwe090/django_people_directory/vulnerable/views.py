from django.http import JsonResponse

from .directory import find_people


def people(request):
    name = request.GET.get("name", "")
    return JsonResponse({"people": find_people(name)})
