from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def go_back(return_to: str | None, host: str) -> HttpResponseRedirect:
    if not return_to or not url_has_allowed_host_and_scheme(return_to, allowed_hosts={host}):
        return_to = "/"
    return HttpResponseRedirect(return_to)
