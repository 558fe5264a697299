"""Which pages read from the streaming replica, and when a person must not.

A page listed in `REPLICA_PAGES` (by URL name; one list, here) reads the
models of `core.replicas.REPLICA_APPS` from the replica when answering GET,
unless the person changed something within `DATABASE_REPLICA_STICKY_SECONDS`:
any request that may write (POST and the like) answered below 400 sets a
cookie that keeps their reads on the primary that long, so everyone sees
their own changes at once. Forms, review pages, the approve page, claims and
decisions are not listed: their checks must read what is committed now.
"""

import logging
import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed

from core import replicas
from core.unavailable import database_unreachable

log = logging.getLogger(__name__)

# Lists, the gallery, the timeline, history and dashboards: what they show a
# few seconds late is still true enough to act on, and every action they
# offer is checked again on the primary.
REPLICA_PAGES = frozenset(
    {
        "admin:index",
        "admin:videos_video_changelist",
        "admin:videos_video_timeline",
        "admin:videos_video_history",
        "admin:videos_task_changelist",
        "admin:videos_artifact_changelist",
        "admin:videos_artifact_gallery",
        "admin:videos_artifact_gallery_files",
        "admin:personas_persona_changelist",
        "admin:safety_safetyreport_changelist",
        "admin:safety_reviewqueueitem_changelist",
        "admin:safety_decisionlog_changelist",
        "admin:safety_decisionlog_calibration",
        "admin:safety_qalog_changelist",
        "admin:safety_qasample_agreement",
        "admin:publishing_readyvideo_changelist",
        "admin:publishing_publishreceipt_changelist",
        "admin:publishing_publishfailure_changelist",
        "admin:insights_dashboard_changelist",
        "admin:monitoring_incident_changelist",
    }
)
READ_METHODS = frozenset({"GET", "HEAD"})
# When this person's reads may go back to the replica (a Unix time).
COOKIE = "contentops_primary_until"


def primary_until(request) -> float:
    """0 for a missing or malformed cookie: it only ever chooses a server."""
    try:
        return float(request.COOKIES.get(COOKIE, "0"))
    except ValueError:
        return 0.0


def may_read_replica(request) -> bool:
    match = request.resolver_match
    return (
        request.method in READ_METHODS
        and match is not None
        and match.view_name in REPLICA_PAGES
        and primary_until(request) <= time.time()
    )


def keep_on_primary(response) -> None:
    seconds = settings.DATABASE_REPLICA_STICKY_SECONDS
    response.set_cookie(
        COOKIE,
        str(int(time.time()) + seconds),
        max_age=seconds,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class ReplicaReadsMiddleware:
    """Opens the replica scope for the listed pages (after URL resolution, so
    by name), and keeps a person who wrote on the primary for a while.

    A replica that goes away (or cancels a query) while it answers a page
    does not cost the person the page: it is set aside, and the page is made
    again on the primary, once. These pages only read, so making one twice
    changes nothing."""

    def __init__(self, get_response):
        if not replicas.configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if may_read_replica(request):
            request.replica_reads = replicas.allow_replica_reads()
            request.replica_view = (view_func, view_args, view_kwargs)

    def process_exception(self, request, exception):
        """The view or its rendering raised: if the replica failed, the page anew on the primary."""
        view = getattr(request, "replica_view", None)
        if view is None or not database_unreachable(exception):
            return None
        if not replicas.failed_in_this_request():
            return None  # the primary's: the 503 page says so
        del request.replica_view  # once
        log.warning(
            "The replica failed during %s; reading the primary: %s", request.path, exception
        )
        replicas.set_aside()
        view_func, view_args, view_kwargs = view
        response = view_func(request, *view_args, **view_kwargs)
        if callable(getattr(response, "render", None)):
            # Raised while rendering, Django would not render what this returns.
            response = response.render()
        return response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        finally:
            if hasattr(request, "replica_reads"):
                replicas.end_replica_reads(request.replica_reads)
        if request.method not in READ_METHODS and response.status_code < 400:
            keep_on_primary(response)
        return response
