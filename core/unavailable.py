"""A clear 503 when the database is not answering, instead of Django's 500.

Django turns an exception into a response at every middleware layer
(`convert_exception_to_response`), so no middleware sees an exception raised
by another one, and `process_exception` only sees the view's. Every one of
those conversions sends `got_request_exception` while the exception is being
handled, DEBUG or not: the receiver here marks the request when the exception
is the database's, and the outermost middleware swaps the 500 for the page.

The page is rendered without the request (no context processors, so no user,
session or message lookups): it must not ask the database anything.
"""

import sys

import psycopg
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.loader import render_to_string

# The wait browsers and clients are told to leave before trying again.
RETRY_AFTER_SECONDS = 5
# Django wraps the driver's errors in its own; raw psycopg ones are caught too.
UNREACHABLE = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
_MARK = "_contentops_database_unreachable"


def database_unreachable(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, says the database is away."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, UNREACHABLE):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def unavailable_response() -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@receiver(got_request_exception, dispatch_uid="core.unavailable")
def _mark_database_errors(sender, request=None, **kwargs):
    if request is not None and database_unreachable(sys.exc_info()[1]):
        setattr(request, _MARK, True)


class DatabaseUnavailableMiddleware:
    """Outermost: the 500 of a request whose database went away becomes the 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, _MARK, False):
            return unavailable_response()
        return response
