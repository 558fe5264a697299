"""The publish worker's sweep samples the review queue once an hour."""

from datetime import timedelta

import pytest
from django.utils import timezone

from insights.models import QueueSample
from insights.sampling import sample_queue
from publishing.worker import SWEEP_STEPS, Worker
from tests.factories import PendingReportFactory, SafetyReportFactory

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)  # the worker manages its own connection
def test_the_worker_sweep_takes_the_hourly_sample(settings):
    settings.PUBLISH_POLL_SECONDS = 0
    assert sample_queue in SWEEP_STEPS
    PendingReportFactory.create_batch(2)
    Worker(poll=0).run(once=True)
    (sample,) = QueueSample.objects.all()
    assert sample.depth == 2


def test_one_sample_an_hour_with_the_depth_oldest_wait_and_reports_past_the_sla(settings):
    settings.SAFETY_SLA_BREACH_MINUTES = 240
    now = timezone.now()
    old = PendingReportFactory(created_at=now - timedelta(hours=5))
    PendingReportFactory(created_at=now - timedelta(hours=1))
    SafetyReportFactory()  # cleared by the pipeline: not in the queue
    assert sample_queue(now=now) is True
    assert sample_queue(now=now) is False  # this hour is taken
    (sample,) = QueueSample.objects.all()
    assert sample.hour == now.replace(minute=0, second=0, microsecond=0)
    assert (sample.depth, sample.over_sla) == (2, 1)
    assert sample.oldest_created_at == old.created_at
