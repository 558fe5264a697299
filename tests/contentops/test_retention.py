"""Retention: history events older than HISTORY_RETENTION_DAYS are pruned in
small committed batches, with the contexts they leave unused; the review log
and every other record are kept."""

import io
from datetime import timedelta

import pghistory
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import TwoFactorEvent, TwoFactorKind
from contentops import retention
from contentops.retention import prune_history
from monitoring.models import Incident, IncidentKind
from personas.models import Persona
from publishing.worker import SWEEP_STEPS, Worker
from safety.models import ActionKind, ReviewAction
from tests.factories import PendingReportFactory, PersonaFactory, UserFactory, VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db(transaction=True)

VideoEvent = Video.pgh_event_model
OLD = timedelta(days=400)  # past the default retention of 365 days


def age(raw, model, ids, by=OLD) -> None:
    """Move the events of these rows `by` into the past, as if recorded then."""
    raw.execute(
        f"UPDATE {model._meta.db_table} SET pgh_created_at = pgh_created_at - %s "
        "WHERE pgh_obj_id = ANY(%s)",
        [by, list(ids)],
    )


def retitled(video, title):
    video.title = title
    video.save(update_fields=["title"])
    return video


def test_events_older_than_the_retention_are_pruned_and_recent_ones_kept(pipeline_db):
    old, recent = VideoFactory(), VideoFactory()
    retitled(old, "Old title")
    age(pipeline_db(), VideoEvent, [old.pk])

    pruned = prune_history()

    assert not VideoEvent.objects.filter(pgh_obj_id=old.pk).exists()
    assert VideoEvent.objects.filter(pgh_obj_id=recent.pk).count() == 1
    assert pruned.events[VideoEvent._meta.db_table] == 2
    assert Video.objects.filter(pk=old.pk).exists(), "rows are never touched, only events"


def test_a_batch_smaller_than_the_work_commits_several_batches(pipeline_db):
    videos = [VideoFactory() for _ in range(5)]
    raw = pipeline_db()
    age(raw, VideoEvent, [v.pk for v in videos])
    table = VideoEvent._meta.db_table
    # What another connection sees after each batch: committed, batch by batch.
    seen = []

    def progress(name, events, contexts):
        if name == table:
            left = raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            seen.append((events, left))

    pruned = prune_history(batch_size=2, progress=progress)

    assert seen == [(2, 3), (2, 1), (1, 0)]
    assert pruned.events[table] == 5


def test_a_writer_is_not_blocked_by_a_prune_under_way(pipeline_db):
    videos = [VideoFactory() for _ in range(4)]
    raw, writer = pipeline_db(), pipeline_db()
    age(raw, VideoEvent, [v.pk for v in videos])
    writer.execute("SET lock_timeout = '1s'")
    oldest = VideoEvent.objects.order_by("pgh_created_at").values_list("pgh_id", flat=True)
    first_batch = list(oldest[:2])
    table = VideoEvent._meta.db_table
    writes = []

    def progress(name, events, contexts):
        if name == table and not writes:
            # Rows the first batch deleted are unlocked once it committed, and
            # the table takes new events: neither waits for the prune to end.
            touched = writer.execute(
                f"UPDATE {table} SET pgh_label = pgh_label WHERE pgh_id = ANY(%s)",
                [first_batch],
            ).rowcount
            writer.execute(
                "UPDATE videos SET title = 'Written mid-prune' WHERE video_id = %s", [videos[0].pk]
            )
            writes.append(touched)

    prune_history(batch_size=2, progress=progress)

    assert writes == [0]
    assert list(VideoEvent.objects.values_list("title", flat=True)) == ["Written mid-prune"]


def test_an_event_another_connection_holds_is_skipped_not_waited_for(pipeline_db):
    held, other = VideoFactory(), VideoFactory()
    age(pipeline_db(), VideoEvent, [held.pk, other.pk])
    locker = pipeline_db()
    locker.execute("BEGIN")
    locker.execute(
        f"SELECT 1 FROM {VideoEvent._meta.db_table} WHERE pgh_obj_id = %s FOR UPDATE", [held.pk]
    )
    try:
        prune_history()
        assert list(VideoEvent.objects.values_list("pgh_obj_id", flat=True)) == [held.pk]
    finally:
        locker.execute("ROLLBACK")


def test_contexts_are_pruned_with_their_last_event_and_kept_while_one_remains(pipeline_db):
    user, persona = UserFactory(), PersonaFactory()
    with pghistory.context(user=user.pk, url="/admin/videos/video/"):
        gone = VideoFactory(persona=persona)
    with pghistory.context(user=user.pk, url="/admin/videos/video/add/"):
        shared_old, shared_new = VideoFactory(persona=persona), VideoFactory(persona=persona)
    raw = pipeline_db()
    age(raw, VideoEvent, [gone.pk, shared_old.pk])
    gone_context = VideoEvent.objects.get(pgh_obj_id=gone.pk).pgh_context_id
    shared_context = VideoEvent.objects.get(pgh_obj_id=shared_new.pk).pgh_context_id
    Context = apps.get_model("pghistory", "Context")

    pruned = prune_history()

    assert pruned.contexts == 1
    assert not Context.objects.filter(pk=gone_context).exists()
    assert Context.objects.filter(pk=shared_context).exists()


def test_the_review_log_and_other_records_are_never_pruned(pipeline_db):
    moderator = UserFactory()
    report = PendingReportFactory()
    long_ago = timezone.now() - OLD * 3
    action = ReviewAction.objects.create(
        report=report, actor=moderator, kind=ActionKind.CLAIM, created_at=long_ago
    )
    two_factor = TwoFactorEvent.objects.create(
        user=moderator, actor=moderator, kind=TwoFactorKind.ENROLLED, created_at=long_ago
    )
    incident = Incident.objects.create(
        kind=IncidentKind.SLA_BREACH, summary="Queue past its SLA", opened_at=long_ago
    )
    raw = pipeline_db()
    for model in retention.EVENT_MODELS:
        raw.execute(f"UPDATE {model._meta.db_table} SET pgh_created_at = %s", [long_ago])

    prune_history()

    assert ReviewAction.objects.filter(pk=action.pk).exists()
    assert TwoFactorEvent.objects.filter(pk=two_factor.pk).exists()
    assert Incident.objects.filter(pk=incident.pk).exists()
    for model in retention.EVENT_MODELS:
        assert not model.objects.exists(), model


def test_only_pghistory_event_tables_are_on_the_list():
    event_models = {m for m in apps.get_models() if getattr(m, "pgh_tracked_model", None)}
    assert set(retention.EVENT_MODELS) == event_models


def test_the_publish_workers_sweep_prunes_one_batch(pipeline_db, settings):
    settings.HISTORY_PRUNE_BATCH = 2
    videos = [VideoFactory() for _ in range(5)]
    raw = pipeline_db()
    age(raw, VideoEvent, [v.pk for v in videos])
    age(raw, Persona.pgh_event_model, [v.persona_id for v in videos])
    assert retention.prune_history_step in SWEEP_STEPS

    Worker(name="sweeper", poll=0).run(once=True)

    # Two tables hold 5 expired events each; one sweep deletes one batch.
    left = VideoEvent.objects.count() + Persona.pgh_event_model.objects.count()
    assert left == 8


def test_retention_zero_keeps_everything(pipeline_db, settings):
    settings.HISTORY_RETENTION_DAYS = 0
    video = VideoFactory()
    age(pipeline_db(), VideoEvent, [video.pk], by=timedelta(days=10_000))
    out = io.StringIO()

    call_command("prune_history", stdout=out)

    assert "kept forever" in out.getvalue()
    assert VideoEvent.objects.filter(pgh_obj_id=video.pk).exists()


def test_prune_history_dry_run_counts_and_deletes_nothing(pipeline_db):
    videos = [VideoFactory() for _ in range(3)]
    age(pipeline_db(), VideoEvent, [v.pk for v in videos])
    out = io.StringIO()

    call_command("prune_history", "--dry-run", stdout=out)

    assert "Would delete 3 history events" in out.getvalue()
    assert VideoEvent.objects.count() == 3


def test_prune_history_reports_what_it_deleted_batch_by_batch(pipeline_db):
    videos = [VideoFactory() for _ in range(3)]
    age(pipeline_db(), VideoEvent, [v.pk for v in videos])
    out = io.StringIO()

    call_command("prune_history", "--batch-size", "2", "-v", "2", stdout=out)

    text = out.getvalue()
    assert f"{VideoEvent._meta.db_table}: 2 events" in text
    assert f"{VideoEvent._meta.db_table}: 1 events" in text
    assert "Deleted 3 history events" in text
    assert not VideoEvent.objects.exists()


@pytest.mark.parametrize("size", ["0", "-3", "100001"])
def test_prune_history_refuses_a_batch_size_out_of_range(db, size):
    with pytest.raises(CommandError, match="--batch-size must be from 1 to 100000"):
        call_command("prune_history", "--batch-size", size, stdout=io.StringIO())
