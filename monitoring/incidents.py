"""Incidents: opened when a condition starts to hold, resolved when it clears.

Two monitors running at once open one incident per condition: a partial
unique index allows one open incident per (kind, subject), and a second
insert does nothing.
"""

from datetime import datetime

from django.db import transaction

from monitoring.models import Incident


def record(*, kind: str, holding: dict[str, str], now: datetime) -> tuple[int, int]:
    """Open an incident for each subject of `kind` in `holding` that has none
    open; resolve the open ones whose subject no longer holds. Returns how
    many were opened and resolved."""
    with transaction.atomic():
        opened = _open(kind=kind, holding=holding, now=now)
        resolved = _resolve(kind=kind, holding=holding, now=now)
    return opened, resolved


def _open(*, kind: str, holding: dict[str, str], now: datetime) -> int:
    already = set(
        Incident.objects.filter(
            kind=kind, resolved_at__isnull=True, subject__in=holding
        ).values_list("subject", flat=True)
    )
    new = [
        # Notified at once: the notifier picks rows whose next_notify_at has come.
        Incident(kind=kind, subject=subject, summary=summary, opened_at=now, next_notify_at=now)
        for subject, summary in holding.items()
        if subject not in already
    ]
    Incident.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _resolve(*, kind: str, holding: dict[str, str], now: datetime) -> int:
    cleared = Incident.objects.filter(kind=kind, resolved_at__isnull=True).exclude(
        subject__in=list(holding)
    )
    return cleared.update(resolved_at=now)
