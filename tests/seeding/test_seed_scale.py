"""`manage.py seed_scale`: a large dataset shaped like production, loaded by
the database in batches, repeatable and resumable; the rows' load fires no
history trigger (their history is seeded after them: test_scale_history).

One load of SIZE videos serves the read-only tests (committed once for the
module, wiped after it); tests that load themselves start from empty tables
inside their own transaction, so the module's load is back after them."""

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from insights import rollups
from insights.models import TaskCounts, VideoAges
from personas.models import Persona
from publishing import approval
from publishing.changes import content_changes, is_approval
from publishing.models import PublishReceipt, PublishStatus, ReadyVideo
from safety.issues import validate_issues
from safety.models import ActionKind, ReviewAction, ReviewStatus, SafetyReport
from safety.queue import pending_reports
from seeding import scale, scale_plan
from seeding import scale_vocabulary as words
from videos.models import Artifact, Task, TaskStatus, TaskType, Video, VideoStatus
from videos.storage import locate

SIZE = 2000
User = get_user_model()
TRACKED = (Persona, Video, Task, Artifact, SafetyReport, PublishReceipt)


def wipe() -> None:
    tables = [
        *scale.TABLES,
        *(model.pgh_event_model._meta.db_table for model in TRACKED),
        "pghistory_context",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        cursor.execute("DELETE FROM auth_user WHERE username LIKE 'scale-%'")


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """SIZE videos, loaded for real (committed), with the run's anchor."""
    with django_db_blocker.unblock():
        wipe()
        try:
            anchor = timezone.now()
            result = scale.seed_scale(videos=SIZE, batch_size=700, jobs=2, now=anchor)
            result.anchor = anchor
            yield result
        finally:
            # Committed rows left by a load that failed would show on every
            # later test's pages.
            wipe()


@pytest.fixture
def empty(db):
    """No seeded rows, for a test that loads itself (rolled back after it)."""
    wipe()


def per_video(model) -> float:
    return model.objects.count() / Video.objects.count()


# --- shape ---------------------------------------------------------------------


def test_each_video_holds_about_four_tasks_two_artifacts_and_its_reports(db, loaded):
    assert Video.objects.count() == SIZE == loaded.loaded
    assert 3.7 <= per_video(Task) <= 4.5
    assert 2.0 <= per_video(Artifact) <= 2.6
    assert 0.45 <= per_video(SafetyReport) <= 0.55
    assert 0.26 <= per_video(PublishReceipt) <= 0.34
    human = SafetyReport.objects.filter(requires_human_review=True).count()
    assert 0.08 <= human / SafetyReport.objects.count() <= 0.12
    assert loaded.counts["videos"] == SIZE
    assert loaded.counts["tasks"] == Task.objects.count()


def test_videos_spread_over_the_year_before_the_load_among_skewed_personas(db, loaded):
    ages = [loaded.anchor - at for at in Video.objects.values_list("created_at", flat=True)]
    assert all(timedelta(0) <= age <= timedelta(days=365) for age in ages)
    quarters = Counter(min(age.days // 92, 3) for age in ages)
    assert all(0.2 <= quarters[q] / SIZE <= 0.3 for q in range(4)), quarters
    per_persona = Counter(Video.objects.values_list("persona_id", flat=True))
    assert set(per_persona) == set(Persona.objects.values_list("pk", flat=True))
    assert 500 <= len(per_persona) <= scale_plan.PERSONAS
    busiest, *_, quietest = sorted(per_persona.values(), reverse=True)
    assert busiest >= 20 * quietest
    assert (
        Persona.objects.filter(
            created_at__gte=min(Video.objects.values_list("created_at", flat=True))
        ).count()
        == 0
    )


def test_every_status_appears_mostly_published_archived_or_failed(db, loaded):
    shares = {
        s: n / SIZE for s, n in Counter(Video.objects.values_list("status", flat=True)).items()
    }
    assert set(shares) == set(VideoStatus.values)
    assert 0.22 <= shares[VideoStatus.PUBLISHED] <= 0.34
    assert shares[VideoStatus.READY] >= 0.02
    assert shares[VideoStatus.REJECTED] >= 0.01
    assert sum(shares[s] for s in ("published", "archived", "failed", "ready", "rejected")) > 0.95
    published = Video.objects.filter(status=VideoStatus.PUBLISHED)
    assert not published.filter(published_at__isnull=True).exists()
    assert (
        not Video.objects.exclude(status=VideoStatus.PUBLISHED)
        .filter(published_at__isnull=False)
        .exists()
    )
    assert not published.filter(published_at__gt=loaded.anchor).exists()


def test_titles_repeat_common_words_and_keep_rare_ones_rare(db, loaded):
    titles = [title.upper() for title in Video.objects.values_list("title", flat=True)]
    assert len(set(titles)) > 0.85 * SIZE

    def found(term):
        return sum(term.upper() in title for title in titles)

    assert found("explained") > 0.03 * SIZE
    assert found("how it actually works") > 0.03 * SIZE
    tail = [found(word) for word in (*words.RARE_WORDS, *words.PLACES)]
    assert any(1 <= count <= 3 for count in tail)
    assert all(title[0].isupper() or title[0].isdigit() for title in titles)


# --- safety --------------------------------------------------------------------


def test_reports_for_a_human_wait_a_week_then_are_decided_with_their_log(db, loaded):
    week_ago = loaded.anchor - timedelta(days=scale_plan.PENDING_DAYS)
    human = SafetyReport.objects.filter(requires_human_review=True)
    pending = pending_reports()
    assert pending.exists()
    assert set(pending) == set(human.filter(created_at__gt=week_ago))
    assert not human.filter(created_at__lte=week_ago, review_status__isnull=True).exists()
    # The queue holds about 10% × 0.5 × N × 7/365 reports (video 2 always waits).
    assert pending.count() <= 1 + 3 * (0.1 * 0.5 * SIZE * 7 / 365) + 5
    decided = human.filter(review_status__isnull=False)
    assert {r.review_status for r in decided} == set(ReviewStatus.values)
    # A lead settles an escalation within a month.
    month_ago = week_ago - timedelta(days=31)
    assert not decided.filter(review_status="escalated", created_at__lt=month_ago).exists()
    logs = ReviewAction.objects.values("report_id").annotate(
        claims=Count("pk", filter=Q(kind=ActionKind.CLAIM)),
        decisions=Count("pk", filter=~Q(kind=ActionKind.CLAIM)),
    )
    assert {row["report_id"] for row in logs} == set(decided.values_list("pk", flat=True))
    assert all(row["claims"] == 1 and row["decisions"] == 1 for row in logs)
    kinds = {
        ReviewStatus.APPROVED: "approve",
        ReviewStatus.REJECTED: "reject",
        ReviewStatus.ESCALATED: "escalate",
    }
    for action in ReviewAction.objects.exclude(kind=ActionKind.CLAIM).select_related("report"):
        assert action.kind == kinds[action.report.review_status]
        assert action.reason_code in dict(settings.SAFETY_REASON_CODES[action.kind])
        assert action.created_at > action.report.created_at
        assert action.created_at < loaded.anchor
        assert (action.kind == "approve") or action.note


def test_each_video_status_agrees_with_its_reports_verdicts(db, loaded):
    verdicts = {}
    for video_id, needs_human, status in SafetyReport.objects.values_list(
        "task__video_id", "requires_human_review", "review_status"
    ):
        verdicts.setdefault(video_id, []).append((needs_human, status))
    for video in Video.objects.all():
        mine = verdicts.get(video.pk, [])
        problem = approval.verdict_problem(mine)
        if video.status in ("ready", "approved", "published"):
            assert mine and problem is None, video.status
        if video.status == "rejected":
            assert (True, ReviewStatus.REJECTED) in mine
        if video.status == "in_review":
            assert problem and "waiting" in problem
        if (True, ReviewStatus.REJECTED) in mine:
            assert video.status == "rejected"


def test_report_issues_and_scores_are_valid(db, loaded):
    reports = list(SafetyReport.objects.select_related("task"))
    for report in reports:
        validate_issues(report.issues)
        assert 0 <= report.score <= 1
        assert report.task.type == TaskType.SAFETY_CHECK
        assert report.task.status == TaskStatus.SUCCEEDED
    issues = [issue for report in reports for issue in report.issues]
    assert {issue["severity"] for issue in issues} == {"low", "medium", "high", "critical"}
    assert any("excerpt" in issue["evidence"] for issue in issues)
    assert any({"start", "end"} <= set(issue["evidence"]) for issue in issues)
    assert any("detector" in issue for issue in issues)  # keys the admin must keep
    human = [r for r in reports if r.requires_human_review]
    assert (
        min(r.score for r in human)
        > max(r.score for r in reports if not r.requires_human_review) - 0.01
    )


# --- validity ------------------------------------------------------------------


@pytest.mark.parametrize("model", TRACKED)
def test_a_sample_of_each_table_passes_full_clean(db, loaded, model):
    for row in model.objects.order_by("pk")[:60]:
        row.full_clean()


def test_artifacts_are_valid_paths_in_the_bucket_under_their_video_and_kind(db, loaded):
    for artifact in Artifact.objects.all():
        location = locate(artifact)
        assert location.bucket == settings.S3_BUCKET
        assert location.key.startswith(f"videos/{artifact.video_id}/{artifact.kind}/")
    finished = Task.objects.filter(status=TaskStatus.SUCCEEDED).exclude(
        type__in=[TaskType.SAFETY_CHECK, TaskType.PUBLISH]
    )
    paths = set(Artifact.objects.values_list("s3_path", flat=True))
    assert {task.payload["output"] for task in finished} == paths


def test_tasks_are_queued_or_running_only_for_recent_videos(db, loaded):
    live = Task.objects.filter(status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING])
    assert live.filter(status=TaskStatus.RUNNING).exists()
    day_ago = loaded.anchor - timedelta(days=2)
    assert not live.exclude(type=TaskType.PUBLISH).filter(video__created_at__lt=day_ago).exists()
    assert Task.objects.filter(status=TaskStatus.FAILED).exclude(type=TaskType.PUBLISH).exists()
    for task in Task.objects.filter(status=TaskStatus.FAILED).exclude(type=TaskType.PUBLISH)[:50]:
        assert task.payload["error"]["code"]


def test_publish_tasks_carry_an_approval_the_worker_accepts(db, loaded):
    receipts = PublishReceipt.objects.select_related("task__video")
    assert receipts.count() == Task.objects.filter(type=TaskType.PUBLISH).count()
    files = approval.publish_sets(receipts.values_list("video_id", flat=True))
    for receipt in receipts:
        task = receipt.task
        assert is_approval(task.payload)
        assert task.payload["receipt_id"] == str(receipt.pk)
        assert task.payload["channel"] == receipt.channel
        assert content_changes(task, files[receipt.video_id]) is None
        expected = {"pending": "queued", "failed": "failed"}.get(receipt.status, "succeeded")
        assert task.status == expected
        if receipt.status == PublishStatus.PENDING:
            assert task.not_before > loaded.anchor  # scheduled
    assert {r.task.video.status for r in receipts} == {"approved", "published"}


def test_publish_payloads_are_what_publish_payload_writes_for_the_same_approval(db, loaded):
    tasks = Task.objects.filter(type=TaskType.PUBLISH).select_related("video")
    assert tasks
    for task in tasks[:50]:
        files = approval.publish_set(task.video_id)
        etags = {f["id"]: f["etag"] for f in task.payload["artifacts"]}
        written = approval.publish_payload(
            video=task.video,
            channel=task.payload["channel"],
            receipt_id=task.payload["receipt_id"],
            editor=User.objects.get(pk=task.payload["approved_by"]["id"]),
            files=files,
            etags={a.pk: etags[str(a.pk)] for a in files},
            when=task.not_before,
            now=task.created_at,
        )
        # The seeded video is as the approval left it, so its version may have moved on.
        unchecked = {"video_version", "not_before", "approved_at"}
        assert set(task.payload) == set(written)
        assert {k: v for k, v in task.payload.items() if k not in unchecked} == {
            k: v for k, v in written.items() if k not in unchecked
        }


def test_receipts_are_one_per_video_and_configured_channel(db, loaded):
    pairs = Counter(PublishReceipt.objects.values_list("video_id", "channel"))
    assert max(pairs.values()) == 1
    assert {channel for _, channel in pairs} == set(scale.channel_names())
    statuses = Counter(PublishReceipt.objects.values_list("status", flat=True))
    assert statuses["published"] > 0.8 * sum(statuses.values())
    assert statuses["failed"] and statuses["pending"] and statuses["retracted"]
    assert not PublishReceipt.objects.filter(status="published", remote_id__isnull=True).exists()
    assert PublishReceipt.objects.failures().exists()  # the Publish failures list
    published = Video.objects.filter(status="published")
    assert not published.exclude(publishreceipt__status="published").exists()


def test_every_foreign_key_points_at_a_row_though_the_load_skipped_the_checks(db, loaded):
    assert not loaded.check_foreign_keys  # the test database's role is a superuser
    checked = 0
    with connection.cursor() as cursor:
        for table in scale.TABLES:
            constraints = connection.introspection.get_constraints(cursor, table)
            for (column,), (parent, key) in (
                (c["columns"], c["foreign_key"]) for c in constraints.values() if c["foreign_key"]
            ):
                cursor.execute(
                    f"SELECT count(*) FROM {table} AS child WHERE {column} IS NOT NULL AND NOT "
                    f"EXISTS (SELECT FROM {parent} WHERE {parent}.{key} = child.{column})"
                )
                assert cursor.fetchone()[0] == 0, f"{table}.{column} -> {parent}"
                checked += 1
    assert checked >= 10


def test_the_rows_load_writes_no_history_event(empty):
    scale.seed_scale(videos=50, history=False)
    for model in TRACKED:
        assert not model.pgh_event_model.objects.exists(), model


def test_history_is_recorded_again_after_the_load(db, loaded):
    video = Video.objects.get(pk=Video.objects.order_by("pk").values("pk")[:1])
    video.title = "Renamed after the load"
    video.save()
    persona = Persona.objects.create(name="Made after the load")
    newest = Video.pgh_event_model.objects.filter(pgh_obj_id=video.pk).latest("pgh_id")
    assert (newest.pgh_label, newest.title) == ("update", "Renamed after the load")
    events = Persona.pgh_event_model.objects.filter(pgh_obj_id=persona.pk)
    assert list(events.values_list("pgh_label", flat=True)) == ["insert"]


def test_ready_to_publish_and_the_review_queue_are_never_empty(empty):
    scale.seed_scale(videos=6)
    ready = ReadyVideo.objects.filter(status=VideoStatus.READY)
    assert ready.exists()
    assert all(approval.uncleared_reason(video.pk) is None for video in ready)
    assert pending_reports().exists()


def test_the_admin_pages_open_on_seeded_rows(db, loaded, client, admin_user):
    client.force_login(admin_user)
    video = Video.objects.filter(status="published").first()
    report = pending_reports().first()
    pages = [
        "/admin/",
        "/admin/personas/persona/",
        "/admin/videos/video/",
        "/admin/videos/video/?q=explained",
        "/admin/videos/task/",
        "/admin/videos/artifact/",
        "/admin/videos/artifact/gallery/",
        "/admin/safety/safetyreport/",
        "/admin/safety/reviewqueueitem/",
        "/admin/publishing/publishreceipt/",
        "/admin/publishing/readyvideo/",
        "/admin/publishing/publishfailure/",
        f"/admin/videos/video/{video.pk}/change/",
        f"/admin/videos/video/{video.pk}/timeline/",
        f"/admin/safety/reviewqueueitem/{report.pk}/review/",
        "/admin/insights/dashboard/",
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page


def test_the_load_leaves_the_dashboards_rollups_counted(db, loaded):
    assert sum(rollups.totals(rollups.rollup_of(TaskCounts)).values()) == Task.objects.count()
    by_status = rollups.totals(rollups.rollup_of(VideoAges))
    assert sum(by_status.values()) == Video.objects.count() == SIZE


# --- repeatable and resumable --------------------------------------------------


def snapshot():
    return {
        "videos": set(Video.objects.values_list("pk", "title", "status", "persona_id")),
        "tasks": set(Task.objects.values_list("pk", "type", "status")),
        "counts": scale.table_counts(),
    }


def test_a_rerun_loads_nothing_and_a_larger_n_adds_only_the_missing(empty):
    first = scale.seed_scale(videos=300, batch_size=128)
    before = snapshot()
    again = scale.seed_scale(videos=300, batch_size=128)
    assert (first.loaded, again.loaded, again.batches) == (300, 0, 0)
    assert snapshot() == before
    more = scale.seed_scale(videos=450, batch_size=100)
    assert more.loaded == 150
    after = snapshot()
    assert before["videos"] < after["videos"] and before["tasks"] < after["tasks"]
    assert after["counts"]["videos"] == 450


def test_the_same_n_loads_the_same_rows_in_any_batches_checked_or_not(empty):
    anchor = timezone.now()
    scale.seed_scale(
        videos=250, batch_size=250, now=anchor, check_foreign_keys=False, history=False
    )
    one = snapshot()
    wipe()
    checked = scale.seed_scale(
        videos=250, batch_size=37, now=anchor, check_foreign_keys=True, history=False
    )
    assert checked.check_foreign_keys  # foreign keys checked, history skipped by pgtrigger
    assert snapshot() == one
    assert checked.loaded == 250
    for model in TRACKED:
        assert not model.pgh_event_model.objects.exists(), model


def test_an_interrupted_load_resumes_where_it_stopped(empty):
    class Interrupted(Exception):
        pass

    def stop_after_first_batch(count):
        raise Interrupted

    with pytest.raises(Interrupted):
        scale.seed_scale(videos=300, batch_size=100, progress=stop_after_first_batch)
    assert Video.objects.count() == 100
    resumed = scale.seed_scale(videos=300, batch_size=100)
    assert resumed.loaded == 200
    assert Video.objects.count() == 300
    assert len(set(Video.objects.values_list("title", flat=True))) > 250


def test_the_command_prints_counts_and_refuses_bad_sizes(empty):
    out = io.StringIO()
    call_command("seed_scale", "--videos", "40", "--jobs", "1", "--no-progress", stdout=out)
    assert "Loaded 40 of 40 videos" in out.getvalue()
    assert "videos" in out.getvalue() and "publish_receipts" in out.getvalue()
    out = io.StringIO()
    call_command("seed_scale", "--videos", "40", "--jobs", "1", "--no-progress", stdout=out)
    assert "All 40 videos were loaded already" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("seed_scale", "--videos", "0", "--no-progress")
    with pytest.raises(CommandError, match="own connections"):
        call_command("seed_scale", "--videos", "40", "--jobs", "2", "--no-progress")
