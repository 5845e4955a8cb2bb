from django.http import JsonResponse

from .contacts_xml import read_contacts


def import_contacts(request):
    contacts = read_contacts(request.FILES["contacts"])
    return JsonResponse({"imported": len(contacts)})
