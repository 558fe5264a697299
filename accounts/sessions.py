"""Session limits, enforced on the server, and "sign out everywhere".

A session records when its user signed in and when they were last seen.
SessionLimitsMiddleware signs a session out once it is SESSION_IDLE_MINUTES
without a request or SESSION_LIFETIME_MINUTES after signing in, whatever the
cookie says (a copied cookie does not outlive either limit).

"Sign out everywhere" deletes every stored session of a user: it needs a
database-backed session engine (Django's default, which we use).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from accounts.sessions_models import SessionsEnded

END_SESSIONS_PERMISSION = "accounts.end_sessions"
SIGNED_IN_AT = "accounts.signed_in_at"
LAST_SEEN = "accounts.last_seen"
# Recording every request would write the session on every page; once a
# minute is enough for a limit counted in minutes.
TOUCH_EVERY = timedelta(minutes=1)
# Requests a page's script sends by itself (the review page renews its claim
# every minute): not a person's activity, so they never keep a session alive.
BACKGROUND_URL_NAMES = frozenset({"admin:safety_reviewqueueitem_renew"})


def _stamp(moment: datetime) -> float:
    return moment.timestamp()


def _moment(stamp) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(stamp), tz=timezone.get_current_timezone())
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@receiver(user_logged_in, dispatch_uid="accounts.sessions.signed_in")
def signed_in(sender, request, user, **kwargs):
    now = _stamp(timezone.now())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now


def session_times(session) -> tuple[datetime | None, datetime | None]:
    """When the session's user signed in and was last seen, as recorded."""
    return _moment(session.get(SIGNED_IN_AT)), _moment(session.get(LAST_SEEN))


def session_limit_problem(session, *, now: datetime) -> str | None:
    """Why the signed-in session must end now, or None."""
    signed_in_at, last_seen = session_times(session)
    if signed_in_at is None or last_seen is None:
        return None  # a session from before the limits: stamped on its next request
    lifetime = timedelta(minutes=settings.SESSION_LIFETIME_MINUTES)
    idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    if now - signed_in_at >= lifetime:
        return f"You were signed out: sessions last {_minutes(lifetime)} at most. Sign in again."
    if now - last_seen >= idle:
        return f"You were signed out after {_minutes(idle)} without activity. Sign in again."
    return None


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"


def touch(session, *, now: datetime) -> None:
    """Record that the session's user was seen, at most once per TOUCH_EVERY."""
    signed_in_at, last_seen = session_times(session)
    if signed_in_at is None:
        session[SIGNED_IN_AT] = _stamp(now)
    if last_seen is None or now - last_seen >= TOUCH_EVERY:
        session[LAST_SEEN] = _stamp(now)


class SessionLimitsMiddleware:
    """Signs out a session past its idle or absolute limit, with a message;
    records a person's requests as activity."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A request without a session cookie reads nothing here.
        if SESSION_KEY in request.session:
            if problem := session_limit_problem(request.session, now=timezone.now()):
                logout(request)
                messages.warning(request, problem)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Here the URL is resolved, so background requests can be told apart.
        match = request.resolver_match
        background = match is not None and match.view_name in BACKGROUND_URL_NAMES
        if SESSION_KEY in request.session and not background:
            touch(request.session, now=timezone.now())


# Sign out everywhere


def end_sessions_problem(*, user, by) -> str | None:
    if by.pk != user.pk and not by.has_perm(END_SESSIONS_PERMISSION):
        return "Only an administrator may sign someone else out."
    return None


def sessions_of(user) -> list[Session]:
    """The user's unexpired sessions. Sessions do not name their user in a
    column, so each is decoded: a back office has few."""
    live = Session.objects.filter(expire_date__gt=timezone.now())
    return [s for s in live.iterator() if s.get_decoded().get(SESSION_KEY) == str(user.pk)]


def end_all_sessions(*, user, by) -> SessionsEnded:
    """Delete every session of `user` (the caller's own included) and record it."""
    if problem := end_sessions_problem(user=user, by=by):
        raise PermissionDenied(problem)
    with transaction.atomic():
        keys = [session.session_key for session in sessions_of(user)]
        Session.objects.filter(session_key__in=keys).delete()
        return SessionsEnded.objects.create(user=user, by=by, sessions=len(keys))
