"""The review queue sampled once an hour by the publish worker's sweep: the
depth and oldest wait over time cannot be recounted later, so they are taken
as they are."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from insights.models import QueueSample
from safety.models import SafetyReport


def sample_queue(*, now=None) -> bool:
    """Take this hour's sample unless a worker already did; True if taken."""
    now = now or timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    # The key lookup first: every sweep asks, one an hour counts.
    if QueueSample.objects.filter(hour=hour).exists():
        return False
    breach = now - timedelta(minutes=settings.SAFETY_SLA_BREACH_MINUTES)
    stats = SafetyReport.objects.open().aggregate(
        depth=Count("pk"),
        oldest=Min("created_at"),
        over_sla=Count("pk", filter=Q(created_at__lte=breach)),
    )
    created = QueueSample.objects.bulk_create(
        [
            QueueSample(
                hour=hour,
                depth=stats["depth"],
                oldest_created_at=stats["oldest"],
                over_sla=stats["over_sla"],
            )
        ],
        ignore_conflicts=True,  # another worker sampled the same hour meanwhile
    )
    return bool(created)
