"""What the monitor alerts on. Each condition reads monitoring.readings and
returns what holds now: {subject: summary}, empty when all is well ("" is the
subject of a condition that has no parts)."""

from datetime import datetime, timedelta

from django.conf import settings

from monitoring import readings
from monitoring.models import IncidentKind
from publishing.models import PublishStatus
from safety.queue import describe_wait


def sla_breach(now: datetime) -> dict[str, str]:
    """The oldest pending report has waited SAFETY_SLA_BREACH_MINUTES or more."""
    queue = readings.review_queue()
    waited = now - queue.oldest if queue.oldest else None
    if waited is None or waited < timedelta(minutes=settings.SAFETY_SLA_BREACH_MINUTES):
        return {}
    return {
        "": f"{queue.size} reports wait for review; the oldest has waited "
        f"{describe_wait(waited)} (SLA: {settings.SAFETY_SLA_BREACH_MINUTES} min)."
    }


def publish_overdue(now: datetime) -> dict[str, str]:
    """A publish fell due MONITOR_PUBLISH_OVERDUE_MINUTES ago and no worker took it."""
    overdue = readings.due_unstarted_publishes(now)
    age = overdue.age(now)
    if age is None or age < timedelta(minutes=settings.MONITOR_PUBLISH_OVERDUE_MINUTES):
        return {}
    return {
        "": f"{overdue.count} publishes are due and not started; the oldest fell due "
        f"{describe_wait(age)} ago. Is a publish worker running?"
    }


def channel_failing(now: datetime) -> dict[str, str]:
    """A channel's last MONITOR_CHANNEL_FAILURES finished publishes all failed
    (one that succeeds clears it)."""
    limit = settings.MONITOR_CHANNEL_FAILURES
    failing = {}
    for channel in readings.channel_names():
        outcomes = readings.last_outcomes(channel, limit)
        if len(outcomes) == limit and all(s == PublishStatus.FAILED for s in outcomes):
            failing[channel] = (
                f"The channel {channel} failed its last {limit} publishes "
                "(see Publishing → Publish failures)."
            )
    return failing


# Each kind of incident and the condition that opens it, in the order checked.
CONDITIONS = {
    IncidentKind.SLA_BREACH: sla_breach,
    IncidentKind.PUBLISH_OVERDUE: publish_overdue,
    IncidentKind.CHANNEL_FAILING: channel_failing,
}
