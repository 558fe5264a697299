"""The rollups kept by triggers equal a count from scratch, whoever wrote."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from contentops.roles import MODERATORS
from insights import rollups
from insights.models import Decisions, TaskDurations, VideoAges
from insights.quantiles import bucket_upper, quantile
from publishing.models import PublishStatus
from safety import services
from safety.models import ReviewAction
from tests.factories import (
    PendingReportFactory,
    PublishReceiptFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)
from videos.models import TaskStatus, TaskType, VideoStatus


def incremental() -> dict[str, dict]:
    return {rollup.table: rollups.totals(rollup) for rollup in rollups.ROLLUPS}


def from_scratch() -> dict[str, dict]:
    rollups.rebuild()
    return incremental()


def run_threads(targets):
    """Each target on its own thread (its own connection), started together."""
    barrier = threading.Barrier(len(targets))
    errors = []

    def run(target):
        try:
            barrier.wait(timeout=10)
            target()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def sql(statement: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def work_reports(moderator, reports) -> None:
    for n, report in enumerate(reports):
        services.claim(report_id=report.pk, moderator=moderator)
        services.decide(
            report_id=report.pk,
            moderator=moderator,
            kind="reject" if n % 3 else "escalate",
            reason_code="violence" if n % 3 else "policy_unclear",
            note="Seen in the render." if n % 3 else "Not sure: a lead should look.",
        )


@pytest.fixture
def moderators(roles):
    return [UserFactory(username=f"mod{n}", groups=[MODERATORS]) for n in range(4)]


def generated_world(moderators) -> None:
    """Rows of every source, written through the operations, from threads at
    once, and by plain SQL as the pipeline writes."""
    now = timezone.now()
    reports = [PendingReportFactory() for _ in range(12)]
    # Arrived over the last days; some waited past the SLA before their decision.
    for n, report in enumerate(reports):
        sql(
            "UPDATE safety_reports SET created_at = %s WHERE report_id = %s",
            [now - timedelta(hours=7 * n), report.pk],
        )
    run_threads(
        [
            lambda m=moderator, mine=reports[i::4]: work_reports(m, mine)
            for i, moderator in enumerate(moderators)
        ]
    )
    for status in (VideoStatus.DRAFT, VideoStatus.READY, VideoStatus.PUBLISHED):
        VideoFactory.create_batch(2, status=status)
    for task_type in (TaskType.RENDER, TaskType.AUDIO, TaskType.PUBLISH):
        TaskFactory.create_batch(3, type=task_type)
    # The pipeline: inserts, updates many rows in one statement, deletes.
    sql(
        "INSERT INTO tasks (video_id, type, status) "
        "SELECT video_id, 'thumbnail', 'running' FROM videos LIMIT 5"
    )
    sql(
        "UPDATE tasks SET status = 'succeeded', state_version = state_version + 1 "
        "WHERE type IN ('render', 'thumbnail')"
    )
    sql("UPDATE tasks SET status = 'failed' WHERE type = 'audio'")  # version bumped by trigger
    sql(
        "DELETE FROM tasks WHERE type = 'thumbnail' AND task_id IN "
        "(SELECT task_id FROM tasks WHERE type = 'thumbnail' LIMIT 2)"
    )
    # Pipeline workers at once, each finishing its own tasks one statement at a
    # time: every statement counts into the same hot keys.
    batches = [TaskFactory.create_batch(5, type=TaskType.SCRIPT) for _ in range(4)]
    run_threads(
        [
            lambda mine=batch: [
                sql(
                    "UPDATE tasks SET status = %s WHERE task_id = %s",
                    ["failed" if n == 4 else "succeeded", task.pk],
                )
                for n, task in enumerate(mine)
            ]
            for batch in batches
        ]
    )
    sql("UPDATE videos SET status = 'archived' WHERE status = 'draft'")
    sql(
        "INSERT INTO safety_reports (score, issues, requires_human_review, created_at) "
        "VALUES (0.7, '[]', true, now() - interval '3 days'), (0.1, '[]', false, now())"
    )
    publish_tasks = list(TaskFactory.create_batch(4, type=TaskType.PUBLISH))
    receipts = [
        PublishReceiptFactory(video=t.video, task=t, channel=ch)
        for t, ch in zip(publish_tasks, ["youtube", "youtube", "tiktok", "tiktok"], strict=True)
    ]
    sql(
        "UPDATE publish_receipts SET status = 'published', remote_id = 'r1', "
        "timestamp = now() + interval '2 hours' WHERE publish_id = ANY(%s)",
        [[receipts[0].pk, receipts[2].pk]],
    )
    sql(
        "UPDATE publish_receipts SET status = 'failed', error = %s WHERE publish_id = %s",
        ["HTTP 503: channel down\nretry later", receipts[1].pk],
    )
    sql(
        "INSERT INTO publish_receipts (video_id, channel, status, error) "
        "SELECT video_id, 'tiktok', 'failed', NULL FROM videos LIMIT 2"
    )
    sql("UPDATE publish_receipts SET status = 'retracted' WHERE publish_id = %s", [receipts[2].pk])


@pytest.mark.django_db(transaction=True)
def test_incremental_rollups_equal_a_recount_after_concurrent_decisions_and_raw_sql(
    moderators, settings
):
    settings.SAFETY_SLA_BREACH_MINUTES = 240
    rollups.sync_sla()
    generated_world(moderators)

    kept = incremental()
    assert kept == from_scratch()

    decisions = kept["insights_decisions"]
    assert (
        sum(decisions.values())
        == ReviewAction.objects.filter(kind__in=ReviewAction.DECISIONS).count()
        == 12
    )
    # Reports 0..11 arrived 7 h apart: those older than 4 h (all but the first) breached.
    assert sum(n for (_, _, _, breached), n in decisions.items() if breached) == 11
    handled = kept["insights_handle_time"]
    assert sum(handled.values()) == 12 and None not in {key[2] for key in handled}
    tasks = kept["insights_task_counts"]
    assert tasks[("render", "succeeded")] == 3 and tasks[("thumbnail", "succeeded")] == 3
    assert tasks[("audio", "failed")] == 3
    assert (tasks[("script", "succeeded")], tasks[("script", "failed")]) == (16, 4)
    receipts = kept["insights_receipts"]
    assert sum(n for (_, ch, st), n in receipts.items() if st == "failed") == 3
    assert sum(kept["insights_publish_latency"].values()) == 1  # the retracted one left
    assert ("youtube", "HTTP 503: channel down") in kept["insights_publish_failures"]
    assert ("tiktok", "(no answer recorded)") in kept["insights_publish_failures"]
    assert sum(kept["insights_reports_in"].values()) == 13


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_leaves_the_rollups_as_they_were():
    TaskFactory.create_batch(2, type=TaskType.RENDER)
    before = incremental()
    with pytest.raises(RuntimeError), connection.cursor() as cursor:
        from django.db import transaction

        with transaction.atomic():
            cursor.execute("UPDATE tasks SET status = 'failed'")
            raise RuntimeError
    assert incremental() == before


@pytest.mark.django_db
def test_task_durations_are_measured_when_a_task_turns_final():
    task = TaskFactory(type=TaskType.RENDER, status=TaskStatus.RUNNING)
    sql(
        "UPDATE tasks SET created_at = now() - interval '100 seconds' WHERE task_id = %s",
        [task.pk],
    )
    sql("UPDATE tasks SET status = 'succeeded' WHERE task_id = %s", [task.pk])
    sql("UPDATE tasks SET payload = '{}' WHERE task_id = %s", [task.pk])  # still succeeded
    (row,) = TaskDurations.objects.filter(n__gt=0)
    assert (row.type, row.status, row.n) == ("render", "succeeded", 1)
    # 100 s lies in the bucket [2^6.5, 2^6.75) = [90.5, 107.6).
    assert bucket_upper(row.bucket - 1) <= 100 < bucket_upper(row.bucket)
    rollups.rebuild()  # an observation: a rebuild keeps it
    assert TaskDurations.objects.filter(n__gt=0).count() == 1


def test_quantiles_read_the_upper_bound_of_the_bucket_holding_the_rank():
    counts = {0: 1, 4: 2, 8: 1}  # under 1 s; two in [1.68, 2) s; one in [3.36, 4) s
    assert quantile(counts, 0.5) == bucket_upper(4) == 2.0
    assert quantile(counts, 0.95) == bucket_upper(8) == 4.0
    assert quantile({}, 0.5) is None


@pytest.mark.django_db
def test_receipts_published_through_the_orm_move_between_rollup_keys():
    receipt = PublishReceiptFactory(status=PublishStatus.PENDING, channel="youtube")
    receipt.status = PublishStatus.FAILED
    receipt.error = "Quota exceeded"
    receipt.save()
    kept = incremental()
    assert ("youtube", "Quota exceeded") in kept["insights_publish_failures"]
    assert {key[1:] for key in kept["insights_receipts"]} == {("youtube", "failed")}


@pytest.mark.django_db
def test_a_video_counts_in_its_status_from_when_it_entered_it():
    video = VideoFactory(status=VideoStatus.DRAFT)
    sql(
        "UPDATE videos SET created_at = now() - interval '10 days' WHERE video_id = %s",
        [video.pk],
    )
    ages = rollups.totals(rollups.rollup_of(VideoAges))
    today = timezone.now().date()
    assert ages == {("draft", today): 1}  # created_at changed, not the status
    sql("UPDATE videos SET status = 'ready' WHERE video_id = %s", [video.pk])
    assert rollups.totals(rollups.rollup_of(VideoAges)) == {("ready", today): 1}


@pytest.mark.django_db
def test_a_rebuild_adds_videos_loaded_without_triggers_as_of_their_creation():
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    sql(
        "UPDATE videos SET created_at = now() - interval '3 days' WHERE video_id = %s",
        [video.pk],
    )
    sql("DELETE FROM insights_video_status_since")  # as if loaded in replica mode
    rollups.rebuild()
    three_days_ago = (timezone.now() - timedelta(days=3)).date()
    assert rollups.totals(rollups.rollup_of(VideoAges)) == {("in_review", three_days_ago): 1}


@pytest.mark.django_db(transaction=True)  # TRUNCATE waits for no deferred checks
def test_truncating_a_source_empties_its_rollups():
    PublishReceiptFactory(status=PublishStatus.FAILED, error="x")
    VideoFactory()
    sql("TRUNCATE publish_receipts")
    kept = incremental()
    assert kept["insights_receipts"] == kept["insights_publish_failures"] == {}
    assert kept["insights_video_ages"] != {}  # videos were not truncated
    sql("TRUNCATE videos CASCADE")
    assert incremental() == {table: {} for table in kept}


@pytest.mark.django_db
def test_a_rebuild_recounts_breaches_against_the_sla_set_now(settings, roles):
    moderator = UserFactory(groups=[MODERATORS])
    report = PendingReportFactory()
    sql(
        "UPDATE safety_reports SET created_at = now() - interval '3 hours' WHERE report_id = %s",
        [report.pk],
    )
    settings.SAFETY_SLA_BREACH_MINUTES = 240
    rollups.sync_sla()
    services.claim(report_id=report.pk, moderator=moderator)
    services.decide(
        report_id=report.pk, moderator=moderator, kind="reject",
        reason_code="violence", note="Seen in the render.",
    )  # fmt: skip

    def breached():
        decisions = rollups.totals(rollups.rollup_of(Decisions))
        return sum(n for key, n in decisions.items() if key[3])

    assert breached() == 0  # 3 hours against 4
    settings.SAFETY_SLA_BREACH_MINUTES = 120
    rollups.rebuild()
    assert breached() == 1
