"""The monitor's incidents: opened when a condition holds, notified once,
resolved when it clears, opened (and notified) again when it returns."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import Incident, IncidentKind
from monitoring.monitor import Monitor
from publishing.models import PublishStatus
from safety.models import ActionKind
from tests.factories import PublishReceiptFactory, TaskFactory
from tests.helpers import decide, local_channel_config, pending
from tests.monitoring.conftest import ONCALL
from videos.models import TaskStatus, TaskType

pytestmark = pytest.mark.django_db


def check(times: int = 1) -> None:
    for _ in range(times):
        Monitor(interval=0).check_once()


def incidents(kind=None) -> list[Incident]:
    rows = Incident.objects.order_by("opened_at", "pk")
    return list(rows.filter(kind=kind) if kind else rows)


@pytest.fixture
def breach(settings):
    """A report waiting past the SLA."""
    settings.SAFETY_SLA_BREACH_MINUTES = 60
    return pending(age=61)


# ---------------------------------------------------------------------------
# Once per incident.


def test_two_checks_of_one_breach_open_one_incident_and_notify_once(
    breach, alert_webhook, alert_email
):
    check(times=2)

    [incident] = incidents(IncidentKind.SLA_BREACH)
    assert incident.is_open
    assert "1 reports wait for review" in incident.summary
    assert [r.body["incident"] for r in alert_webhook.requests] == [incident.pk]
    assert alert_webhook.requests[0].body["kind"] == "sla_breach"
    assert alert_webhook.requests[0].headers["Authorization"] == "Bearer alert-secret"
    assert len(alert_email) == 1
    assert alert_email[0].to == ONCALL
    assert "Review queue past its SLA" in alert_email[0].subject
    incident.refresh_from_db()
    assert incident.webhook_sent_at and incident.email_sent_at
    assert incident.next_notify_at is None and incident.notify_error == ""


def test_a_cleared_breach_is_resolved_and_a_new_one_notified_again(
    breach, moderator, alert_webhook, alert_email
):
    check()
    decide(breach, moderator, kind=ActionKind.REJECT, reason="violence", note="graphic")
    check()
    [first] = incidents()
    assert first.resolved_at is not None

    pending(age=90)
    check(times=2)

    first_again, second = incidents(IncidentKind.SLA_BREACH)
    assert first_again.pk == first.pk and second.is_open
    assert [r.body["incident"] for r in alert_webhook.requests] == [first.pk, second.pk]
    assert len(alert_email) == 2


def test_a_queue_within_its_sla_opens_nothing(settings, alert_webhook):
    settings.SAFETY_SLA_BREACH_MINUTES = 60
    pending(age=59)

    check()

    assert incidents() == []
    assert alert_webhook.requests == []


# ---------------------------------------------------------------------------
# Failed notifications.


def test_a_failed_webhook_is_recorded_retried_and_the_email_not_sent_twice(
    breach, settings, alert_webhook, alert_email
):
    from tests.publishing.webhook_server import Answer

    settings.MONITOR_NOTIFY_RETRY_SECONDS = 0  # the retry is due at once
    alert_webhook.script(Answer(status=500))

    check()

    [incident] = incidents()
    assert incident.webhook_sent_at is None and incident.email_sent_at is not None
    assert incident.notify_error == "The alert webhook answered 500."
    assert incident.next_notify_at is not None

    check()

    incident.refresh_from_db()
    assert incident.webhook_sent_at is not None
    assert incident.notify_error == "" and incident.next_notify_at is None
    assert incident.notify_attempts == 2
    assert len(alert_webhook.requests) == 2
    assert len(alert_email) == 1


def test_a_failed_notification_waits_for_its_retry_time(breach, settings, alert_webhook):
    from tests.publishing.webhook_server import Answer

    settings.MONITOR_NOTIFY_RETRY_SECONDS = 3600
    alert_webhook.script(Answer(status=503))

    check(times=2)

    [incident] = incidents()
    assert len(alert_webhook.requests) == 1
    assert incident.next_notify_at > timezone.now() + timedelta(minutes=50)


def test_notifying_gives_up_after_the_most_attempts(breach, settings, alert_webhook):
    from tests.publishing.webhook_server import Answer

    settings.MONITOR_NOTIFY_RETRY_SECONDS = 0
    settings.MONITOR_NOTIFY_MAX_ATTEMPTS = 2
    alert_webhook.script(*[Answer(status=500)] * 3)

    check(times=3)

    [incident] = incidents()
    assert len(alert_webhook.requests) == 2
    assert incident.next_notify_at is None
    assert incident.notify_error.endswith("Gave up after 2 attempts.")


def test_an_unreachable_webhook_error_names_neither_its_url_nor_its_headers(
    breach, settings, closed_webhook_url
):
    settings.MONITOR_WEBHOOK_URL = closed_webhook_url
    settings.MONITOR_WEBHOOK_HEADERS = {"X-Token": "very-secret-token"}

    check()

    [incident] = incidents()
    assert incident.notify_error.startswith("The alert webhook did not answer")
    assert "127.0.0.1" not in incident.notify_error
    assert "hook-secret" not in incident.notify_error
    assert "very-secret-token" not in incident.notify_error
    assert incident.next_notify_at is not None


def test_a_redirect_is_not_followed(breach, alert_webhook):
    from tests.publishing.webhook_server import Answer

    alert_webhook.script(Answer(status=302, location=alert_webhook.url + "/elsewhere"))

    check()

    [incident] = incidents()
    assert incident.notify_error == "The alert webhook answered 302."
    assert [r.path for r in alert_webhook.requests] == ["/publish"]


def test_a_failing_mail_server_is_recorded_without_its_address(breach, settings):
    from tests.helpers import closed_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_TIMEOUT = 2
    settings.MONITOR_EMAIL_RECIPIENTS = ONCALL
    settings.MONITOR_WEBHOOK_URL = ""

    check()

    [incident] = incidents()
    assert incident.email_sent_at is None
    assert incident.notify_error.startswith("The alert email was not sent")
    assert "127.0.0.1" not in incident.notify_error


def test_without_a_way_to_notify_incidents_are_still_recorded(breach, no_alerts):
    check()

    [incident] = incidents()
    assert incident.is_open and incident.next_notify_at is None


# ---------------------------------------------------------------------------
# Overdue publishes.


def publish_task(*, due_minutes_ago: float, **fields):
    return TaskFactory(
        type=TaskType.PUBLISH,
        not_before=timezone.now() - timedelta(minutes=due_minutes_ago),
        **fields,
    )


def test_a_publish_due_and_not_started_past_the_limit_opens_an_incident(settings, no_alerts):
    settings.MONITOR_PUBLISH_OVERDUE_MINUTES = 10
    task = publish_task(due_minutes_ago=11)
    publish_task(due_minutes_ago=-60)  # scheduled later: not due

    check()

    [incident] = incidents(IncidentKind.PUBLISH_OVERDUE)
    assert "1 publishes are due and not started" in incident.summary

    # A worker takes it: the condition clears.
    TaskFactory._meta.model.objects.filter(pk=task.pk).update(status=TaskStatus.RUNNING)
    check()
    incident.refresh_from_db()
    assert incident.resolved_at is not None


def test_a_publish_due_for_less_than_the_limit_is_not_overdue(settings, no_alerts):
    settings.MONITOR_PUBLISH_OVERDUE_MINUTES = 10
    publish_task(due_minutes_ago=9)
    publish_task(due_minutes_ago=60, status=TaskStatus.SUCCEEDED)

    check()

    assert incidents(IncidentKind.PUBLISH_OVERDUE) == []


# ---------------------------------------------------------------------------
# Failing channels.


@pytest.fixture
def two_channels(settings, tmp_path):
    settings.PUBLISH_CHANNELS = local_channel_config(tmp_path)
    settings.MONITOR_CHANNEL_FAILURES = 3


def receipts(channel: str, *statuses: str) -> None:
    """Receipts of `channel`, oldest first, a minute apart."""
    start = timezone.now() - timedelta(hours=1)
    for n, status in enumerate(statuses):
        PublishReceiptFactory(
            channel=channel, status=status, timestamp=start + timedelta(minutes=n)
        )


def test_a_channel_failing_three_times_in_a_row_opens_an_incident_for_it(two_channels, no_alerts):
    receipts("youtube", PublishStatus.PUBLISHED, *[PublishStatus.FAILED] * 3)
    receipts("tiktok", PublishStatus.FAILED, PublishStatus.FAILED, PublishStatus.PUBLISHED)

    check()

    [incident] = incidents(IncidentKind.CHANNEL_FAILING)
    assert incident.subject == "youtube"
    assert "failed its last 3 publishes" in incident.summary


def test_a_pending_receipt_between_failures_does_not_break_the_run(two_channels, no_alerts):
    receipts(
        "youtube",
        PublishStatus.FAILED,
        PublishStatus.PENDING,
        PublishStatus.FAILED,
        PublishStatus.FAILED,
    )

    check()

    assert [i.subject for i in incidents(IncidentKind.CHANNEL_FAILING)] == ["youtube"]


def test_one_success_resolves_a_failing_channel(two_channels, no_alerts):
    receipts("youtube", *[PublishStatus.FAILED] * 3)
    check()

    PublishReceiptFactory(channel="youtube", status=PublishStatus.PUBLISHED)
    check()

    [incident] = incidents(IncidentKind.CHANNEL_FAILING)
    assert incident.resolved_at is not None


def test_two_failures_are_not_yet_a_failing_channel(two_channels, no_alerts):
    receipts("youtube", *[PublishStatus.FAILED] * 2)

    check()

    assert incidents() == []


# ---------------------------------------------------------------------------
# Settings checked at startup.


@pytest.mark.parametrize(
    "url, headers",
    [("file:///etc/passwd", {}), ("https://hooks.example/x", ["not", "an", "object"])],
)
def test_a_wrong_alert_setting_is_a_startup_error(settings, url, headers):
    from monitoring.checks import check_alert_settings

    settings.MONITOR_WEBHOOK_URL = url
    settings.MONITOR_WEBHOOK_HEADERS = headers

    [error] = check_alert_settings()

    assert error.id == "monitoring.E001"
    assert "hooks.example" not in error.msg and "passwd" not in error.msg


def test_right_alert_settings_pass_the_check(settings):
    from monitoring.checks import check_alert_settings

    settings.MONITOR_WEBHOOK_URL = "https://hooks.example/x"
    settings.MONITOR_WEBHOOK_HEADERS = {"Authorization": "Bearer x"}

    assert check_alert_settings() == []
