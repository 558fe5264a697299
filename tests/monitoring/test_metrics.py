"""/metrics: Prometheus text with the queue, decisions, publish outcomes and
worker lag, as the prometheus_client parser reads it; behind a bearer token."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from monitoring.models import WorkerHeartbeat
from publishing.models import PublishStatus
from safety.models import ActionKind
from tests.factories import PublishReceiptFactory, TaskFactory
from tests.helpers import decide, pending
from videos.models import TaskType

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me-please"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict:
    """{(name, labels as sorted tuple): value} of every sample."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_metrics_hold_the_queue_decisions_outcomes_and_worker_lag(client, token, moderator):
    now = timezone.now()
    pending(age=10)
    pending(age=30)
    decide(pending(age=5), moderator, kind=ActionKind.REJECT, reason="violence", note="x")
    decide(pending(age=5), moderator, kind=ActionKind.REJECT, reason="hate", note="y")
    decide(pending(age=5), moderator, kind=ActionKind.ESCALATE, reason="other", note="z")
    # A report filed three days ago, decided now: a decision like the others.
    decide(pending(age=3 * 24 * 60), moderator, kind=ActionKind.REJECT, reason="hate", note="w")
    for channel, status in [
        ("youtube", PublishStatus.PUBLISHED),
        ("youtube", PublishStatus.PUBLISHED),
        ("youtube", PublishStatus.FAILED),
        ("tiktok", PublishStatus.FAILED),
    ]:
        PublishReceiptFactory(channel=channel, status=status)
    # Two days old: still a receipt of the channel.
    PublishReceiptFactory(
        channel="tiktok", status=PublishStatus.PUBLISHED, timestamp=now - timedelta(days=2)
    )
    WorkerHeartbeat.objects.create(name="w:1", seen_at=now - timedelta(seconds=40))
    TaskFactory(type=TaskType.PUBLISH, not_before=now - timedelta(minutes=7))
    TaskFactory(type=TaskType.PUBLISH, not_before=now + timedelta(minutes=7))

    samples = scrape(client)

    assert samples[("contentops_review_queue_depth", ())] == 2
    assert 30 * 60 <= samples[("contentops_review_queue_oldest_wait_seconds", ())] < 31 * 60
    decisions = {
        labels[0][1]: value
        for (name, labels), value in samples.items()
        if name == "contentops_review_decisions_total"
    }
    assert decisions == {"approve": 0, "reject": 3, "escalate": 1}
    outcomes = {
        dict(labels)["channel"] + "/" + dict(labels)["status"]: value
        for (name, labels), value in samples.items()
        if name == "contentops_publish_receipts"
    }
    assert outcomes == {
        "youtube/published": 2,
        "youtube/failed": 1,
        "tiktok/failed": 1,
        "tiktok/published": 1,
    }
    assert 40 <= samples[("contentops_worker_heartbeat_age_seconds", ())] < 100
    assert samples[("contentops_publish_due_unstarted", ())] == 1
    assert 7 * 60 <= samples[("contentops_publish_due_unstarted_age_seconds", ())] < 8 * 60


def test_an_empty_system_reads_zero_and_no_worker_as_infinite_lag(client, token):
    samples = scrape(client)

    assert samples[("contentops_review_queue_depth", ())] == 0
    assert samples[("contentops_review_queue_oldest_wait_seconds", ())] == 0
    assert samples[("contentops_publish_due_unstarted", ())] == 0
    assert math.isinf(samples[("contentops_worker_heartbeat_age_seconds", ())])


def test_a_scrape_runs_five_queries_however_many_rows(client, token, django_assert_num_queries):
    for age in range(20):
        pending(age=age)
        PublishReceiptFactory(channel=f"channel-{age}", status=PublishStatus.FAILED)
    # queue, decisions, outcomes, newest heartbeat, due publishes
    with django_assert_num_queries(5):
        scrape(client)


# ---------------------------------------------------------------------------
# Who may scrape.


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x", "Bearer ünïcode"],
)
def test_without_the_token_metrics_are_refused(client, token, authorization):
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"contentops_" not in response.content


def test_unset_token_in_production_refuses_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False

    response = client.get("/metrics", headers={"Authorization": "Bearer "})

    assert response.status_code == 403
    assert b"METRICS_TOKEN" in response.content


def test_unset_token_in_development_serves_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = True

    response = client.get("/metrics")

    assert response.status_code == 200
    assert b"contentops_review_queue_depth" in response.content


def test_a_staff_login_is_not_a_token(client, token, admin_user):
    client.force_login(admin_user)

    assert client.get("/metrics").status_code == 401
