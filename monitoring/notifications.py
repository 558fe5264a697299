"""Telling people about an incident, once: a webhook and email.

Each way is sent once per incident. A failure is recorded on the incident
(without the webhook's URL or headers, or the mail server's address) and
tried again after MONITOR_NOTIFY_RETRY_SECONDS, doubling up to an hour, at
most MONITOR_NOTIFY_MAX_ATTEMPTS times. Sending happens outside any
transaction: an incident is first claimed (its next try pushed back, in a
short transaction with SKIP LOCKED), so two monitors never send it twice.
"""

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from http.client import HTTPException

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from monitoring.models import Incident

log = logging.getLogger(__name__)

WEBHOOK, EMAIL = "webhook", "email"
SENT_FIELD = {WEBHOOK: "webhook_sent_at", EMAIL: "email_sent_at"}
BATCH = 20


class NotificationFailed(Exception):
    """Why a notification did not go out, fit to store: no URL, header or host."""


def configured_ways() -> list[str]:
    ways = []
    if settings.MONITOR_WEBHOOK_URL:
        ways.append(WEBHOOK)
    if settings.MONITOR_EMAIL_RECIPIENTS:
        ways.append(EMAIL)
    return ways


def pending_ways(incident: Incident) -> list[str]:
    return [way for way in configured_ways() if getattr(incident, SENT_FIELD[way]) is None]


def retry_delay(attempts: int) -> timedelta:
    seconds = settings.MONITOR_NOTIFY_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 3600))


def send_due(*, now: datetime) -> int:
    """Send every notification whose time has come; returns how many incidents
    were handled. One that fails is recorded and tried again later."""
    claimed = claim(now=now)
    for incident in claimed:
        deliver(incident, now=now)
    return len(claimed)


def claim(*, now: datetime) -> list[Incident]:
    """Incidents whose next notification is due, each pushed back to its next
    retry time (so another monitor leaves it alone while this one sends)."""
    with transaction.atomic():
        incidents = list(
            Incident.objects.filter(next_notify_at__lte=now)
            .order_by("next_notify_at")
            .select_for_update(skip_locked=True)[:BATCH]
        )
        for incident in incidents:
            incident.notify_attempts += 1
            incident.next_notify_at = now + retry_delay(incident.notify_attempts)
            incident.save(update_fields=["notify_attempts", "next_notify_at"])
    return incidents


def deliver(incident: Incident, *, now: datetime) -> None:
    """Send the incident's pending notifications and record what happened."""
    errors = []
    for way in pending_ways(incident):
        try:
            SENDERS[way](incident)
        except NotificationFailed as error:
            errors.append(str(error))
        except Exception as error:  # noqa: BLE001 - one notification must not stop the monitor
            log.exception("Notifying incident %s by %s raised", incident.pk, way)
            errors.append(f"The {way} notification failed ({type(error).__name__}).")
        else:
            setattr(incident, SENT_FIELD[way], now)
    _record(incident, errors)


def _record(incident: Incident, errors: list[str]) -> None:
    incident.notify_error = " ".join(errors)
    if not errors:
        incident.next_notify_at = None
    elif incident.notify_attempts >= settings.MONITOR_NOTIFY_MAX_ATTEMPTS:
        incident.next_notify_at = None
        incident.notify_error += f" Gave up after {incident.notify_attempts} attempts."
    fields = ["webhook_sent_at", "email_sent_at", "notify_error", "next_notify_at"]
    Incident.objects.filter(pk=incident.pk).update(
        **{name: getattr(incident, name) for name in fields}
    )


# ---------------------------------------------------------------------------
# The ways.


def message(incident: Incident) -> dict:
    return {
        "incident": incident.pk,
        "kind": incident.kind,
        "title": str(incident),
        "subject": incident.subject,
        "summary": incident.summary,
        "opened_at": incident.opened_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is an answer, never followed: the alert goes where it was configured."""

    def redirect_request(self, *args, **kwargs):
        return None


def send_webhook(incident: Incident) -> None:
    """POST the incident as JSON to MONITOR_WEBHOOK_URL; any 2xx is success."""
    request = urllib.request.Request(
        settings.MONITOR_WEBHOOK_URL,
        data=json.dumps(message(incident)).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **_webhook_headers()},
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=settings.MONITOR_WEBHOOK_TIMEOUT) as response:
            response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        raise NotificationFailed(f"The alert webhook answered {error.code}.") from None
    except (OSError, HTTPException) as error:  # URLError and timeouts are OSErrors
        reason = getattr(error, "reason", None) or error or "timed out"
        raise NotificationFailed(
            f"The alert webhook did not answer: {_redact(str(reason))}."
        ) from None


def _webhook_headers() -> dict:
    # A wrong shape is refused at startup (monitoring.checks); stay safe anyway.
    headers = settings.MONITOR_WEBHOOK_HEADERS
    return {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {}


def send_email(incident: Incident) -> None:
    """Mail the incident to MONITOR_EMAIL_RECIPIENTS through Django's EMAIL_* settings."""
    body = "\n".join(
        [incident.summary, "", f"Opened at {incident.opened_at:%Y-%m-%d %H:%M:%S %Z}."]
    )
    try:
        send_mail(
            f"[contentops] {incident}",
            body,
            None,  # DEFAULT_FROM_EMAIL
            settings.MONITOR_EMAIL_RECIPIENTS,
        )
    except Exception as error:  # noqa: BLE001 - smtplib and sockets raise many kinds
        reason = _redact(str(error)) or type(error).__name__
        raise NotificationFailed(f"The alert email was not sent: {reason}.") from None


def _redact(text: str) -> str:
    """`text` without the webhook's URL or header values, or the mail server's
    host, user or password, should an error quote them."""
    secrets = [
        settings.MONITOR_WEBHOOK_URL,
        *_webhook_headers().values(),
        settings.EMAIL_HOST,
        settings.EMAIL_HOST_USER,
        settings.EMAIL_HOST_PASSWORD,
    ]
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text[:500]


SENDERS = {WEBHOOK: send_webhook, EMAIL: send_email}
