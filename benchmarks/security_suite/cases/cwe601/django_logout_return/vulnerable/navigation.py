from django.http import HttpResponseRedirect


def go_back(return_to: str | None) -> HttpResponseRedirect:
    return HttpResponseRedirect(return_to or "/")
