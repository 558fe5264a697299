"""Prometheus metrics, read fresh at each scrape through monitoring.readings."""

import math

from django.conf import settings
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from monitoring import readings

RECENT_HOURS = int(readings.RECENT.total_seconds() // 3600)


class ContentopsCollector:
    """Every metric is a gauge read from the database at scrape time."""

    def collect(self):
        now = timezone.now()
        yield from self._queue()
        yield from self._decisions(now)
        yield from self._outcomes(now)
        yield from self._workers(now)

    def _queue(self):
        queue = readings.review_queue()
        yield _gauge("contentops_review_queue_depth", "Reports waiting for review.", queue.size)
        wait = queue.oldest_wait
        yield _gauge(
            "contentops_review_queue_oldest_wait_seconds",
            "How long the oldest waiting report has waited (0 when none waits).",
            wait.total_seconds() if wait else 0,
        )
        yield _gauge(
            "contentops_review_sla_breach_seconds",
            "SAFETY_SLA_BREACH_MINUTES, in seconds.",
            settings.SAFETY_SLA_BREACH_MINUTES * 60,
        )

    def _decisions(self, now):
        family = GaugeMetricFamily(
            "contentops_review_decisions_recent",
            f"Moderators' decisions by kind on reports filed in the last {RECENT_HOURS} h.",
            labels=["kind"],
        )
        for kind, count in sorted(readings.recent_decisions(now).items()):
            family.add_metric([kind], count)
        yield family

    def _outcomes(self, now):
        family = GaugeMetricFamily(
            "contentops_publish_outcomes_recent",
            f"Publish receipts by channel and status, changed in the last {RECENT_HOURS} h.",
            labels=["channel", "status"],
        )
        for (channel, status), count in sorted(readings.recent_outcomes(now).items()):
            family.add_metric([channel, status], count)
        yield family

    def _workers(self, now):
        newest = readings.newest_heartbeat()
        yield _gauge(
            "contentops_worker_heartbeat_age_seconds",
            "Seconds since a publish worker last swept (+Inf: none ever did).",
            (now - newest).total_seconds() if newest else math.inf,
        )
        overdue = readings.due_unstarted_publishes(now)
        age = overdue.age(now)
        yield _gauge(
            "contentops_publish_due_unstarted",
            "Publish tasks whose time has come and that no worker started.",
            overdue.count,
        )
        yield _gauge(
            "contentops_publish_due_unstarted_age_seconds",
            "How long the oldest due, unstarted publish has been due (0 when none).",
            age.total_seconds() if age else 0,
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(ContentopsCollector())


def exposition() -> bytes:
    return generate_latest(REGISTRY)
