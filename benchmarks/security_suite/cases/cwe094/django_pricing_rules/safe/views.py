from django.http import JsonResponse

from .rules import applies


def check_discount(request):
    condition = request.POST["condition"]
    order = {"total": float(request.POST.get("total", 0)), "items": 3}
    return JsonResponse({"applies": applies(condition, order)})
