from django.http import JsonResponse

from .queries import invoice_total


def invoice(request):
    invoice_id = int(request.GET["id"])
    return JsonResponse({"id": invoice_id, "total": invoice_total(invoice_id)})
