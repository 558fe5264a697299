"""Where the second factor is required, a staff user whose session has not
passed it reaches nothing but enrolment, verification and signing in or out."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from accounts import two_factor

ENROL, VERIFY = "admin:auth_user_two_factor", "admin:auth_user_two_factor_verify"
OPEN_BEFORE_SECOND_FACTOR = frozenset({"admin:login", "admin:logout", ENROL, VERIFY})


class RequireTwoFactorMiddleware:
    """Sends such a user to verify their session (or to set up a device, when
    they have none), for every view but those of OPEN_BEFORE_SECOND_FACTOR.

    After the view is resolved (process_view), so the exceptions are named
    views, not path prefixes a new URL could slip past."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.resolver_match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if not two_factor.needs_second_factor(request.user):
            return None
        return redirect(second_factor_url(request))


def second_factor_url(request) -> str:
    page = VERIFY if two_factor.is_enrolled(request.user) else ENROL
    url = reverse(page)
    # Back to the page asked for afterwards; a POST is not repeated.
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return url
