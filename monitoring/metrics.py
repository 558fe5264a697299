"""Prometheus metrics, read fresh at each scrape through monitoring.readings."""

import math

from django.conf import settings
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from monitoring import readings


class ContentopsCollector:
    """Every metric is read from the database (indexes and rollups) at scrape time."""

    def collect(self):
        now = timezone.now()
        yield from self._queue()
        yield from self._decisions()
        yield from self._outcomes()
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

    def _decisions(self):
        family = CounterMetricFamily(
            "contentops_review_decisions",
            "Moderators' decisions by kind, ever (rate() gives decisions per second).",
            labels=["kind"],
        )
        for kind, count in sorted(readings.decisions_total().items()):
            family.add_metric([kind], count)
        yield family

    def _outcomes(self):
        family = GaugeMetricFamily(
            "contentops_publish_receipts",
            "Publish receipts by channel and current status (published, failed, ...).",
            labels=["channel", "status"],
        )
        for (channel, status), count in sorted(readings.receipts_by_outcome().items()):
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
