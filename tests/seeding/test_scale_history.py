"""`seed_scale`'s history: each seeded row's life as the events its pghistory
triggers write, ending in the row as it is, with the contexts people's
requests leave; idempotent and resumable, batch by batch."""

from collections import Counter, defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import resolve
from django.utils import timezone

from contentops.timeline import video_status_changes
from personas.models import Persona
from publishing.models import PublishReceipt
from safety.models import ActionKind, ReviewAction, SafetyReport
from seeding import scale, scale_history
from tests.seeding.test_seed_scale import wipe
from videos.models import Artifact, Task, Video, VideoStatus

SIZE = 700
BATCH = 300
TRACKED = (Persona, Video, Task, Artifact, SafetyReport, PublishReceipt)
PGH_FIELDS = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context"}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """SIZE videos with their history, loaded for real (committed)."""
    with django_db_blocker.unblock():
        wipe()
        yield scale.seed_scale(videos=SIZE, batch_size=BATCH, jobs=2)
        wipe()


def tracked_fields(model) -> list[str]:
    event_model = model.pgh_event_model
    return [f.attname for f in event_model._meta.concrete_fields if f.name not in PGH_FIELDS]


def values(obj, fields) -> tuple:
    return tuple(getattr(obj, name) for name in fields)


def lives(model) -> dict:
    """pk -> the row's events, oldest first."""
    events = defaultdict(list)
    for event in model.pgh_event_model.objects.order_by("pgh_id"):
        events[event.pgh_obj_id].append(event)
    return events


@pytest.mark.parametrize("model", TRACKED, ids=lambda m: m.__name__)
def test_the_newest_event_of_every_seeded_row_is_the_row_as_it_is(db, seeded, model):
    fields = tracked_fields(model)
    rows = {row.pk: values(row, fields) for row in model.objects.all()}
    newest = {pk: values(events[-1], fields) for pk, events in lives(model).items()}
    assert rows and newest == rows


@pytest.mark.parametrize("model", TRACKED, ids=lambda m: m.__name__)
def test_each_rows_events_begin_with_an_insert_and_follow_in_time(db, seeded, model):
    now = timezone.now()
    for events in lives(model).values():
        assert [e.pgh_label for e in events] == ["insert"] + ["update"] * (len(events) - 1)
        times = [e.pgh_created_at for e in events]
        assert times == sorted(times) and times[-1] < now
        assert all(e.pgh_id < 0 for e in events), "seeded ids sort before the triggers' ids"


def test_seeded_events_have_the_shape_real_triggers_write(db, seeded, client_for, admin_user):
    video = Video.objects.filter(status=VideoStatus.PUBLISHED).first()
    # A real change through the admin: the trigger's event and the middleware's context.
    response = client_for(admin_user).post(
        f"/admin/videos/video/{video.pk}/change/",
        {
            "title": "Retitled by a person",
            "persona": str(video.persona_id),
            "status": video.status,
            "published_at_0": "",
            "published_at_1": "",
            "loaded_version": str(video.state_version),
        },
    )
    assert response.status_code == 302
    real, *_ = Video.pgh_event_model.objects.filter(pgh_obj_id=video.pk).order_by("-pgh_id")
    seeded_events = list(Video.pgh_event_model.objects.filter(pgh_obj_id=video.pk, pgh_id__lt=0))
    assert real.pgh_id > 0 and real.pgh_label == "update"
    for event in seeded_events:
        assert event.pgh_obj_id == event.id == real.pgh_obj_id
        assert (event.title, event.persona_id) == (video.title, real.persona_id)
    real_keys = set(real.pgh_context.metadata)
    Context = type(real.pgh_context)
    users = set(get_user_model().objects.values_list("pk", flat=True))
    seeded_contexts = Context.objects.exclude(pk=real.pgh_context_id)
    assert seeded_contexts.exists()
    for context in seeded_contexts:
        assert set(context.metadata) == real_keys
        assert context.metadata["user"] in users
        resolve(context.metadata["url"])  # an admin page of this site


def test_a_decision_is_recorded_by_its_moderator_on_the_decide_page(db, seeded):
    decisions = ReviewAction.objects.filter(
        kind__in=[ActionKind.APPROVE, ActionKind.REJECT, ActionKind.ESCALATE]
    )
    assert decisions.exists()
    for action in decisions:
        event = SafetyReport.pgh_event_model.objects.filter(pgh_obj_id=action.report_id).latest(
            "pgh_id"
        )
        assert event.pgh_created_at == action.created_at
        assert event.pgh_context.metadata == {
            "user": action.actor_id,
            "url": f"/admin/safety/reviewqueueitem/{action.report_id}/decide/",
        }


def test_a_published_videos_timeline_shows_each_status_it_went_through(db, seeded):
    video = Video.objects.filter(status=VideoStatus.PUBLISHED).order_by("pk").first()
    steps = [(change.before, change.after) for change in video_status_changes(video)]
    path = [after for _, after in steps]
    assert path[:2] == ["draft", "producing"] and path[-2:] == ["approved", "published"]
    assert "ready" in path
    assert all(before == after_ for (before, _), after_ in zip(steps[1:], path, strict=False))


def test_a_video_holds_about_twenty_events_of_history(db, seeded):
    with connection.cursor() as cursor:
        total = 0
        for model in TRACKED[1:]:
            cursor.execute(f"SELECT count(*) FROM {model.pgh_event_model._meta.db_table}")
            total += cursor.fetchone()[0]
    assert 15 <= total / SIZE <= 25
    per_status = Counter(Video.pgh_event_model.objects.values_list("status", flat=True))
    assert per_status["draft"] == SIZE


def test_a_rerun_loads_nothing_and_a_lost_batch_is_loaded_again(db, seeded):
    batches = list(scale.batches(SIZE, BATCH))
    editors = [1]
    before = {m: m.pgh_event_model.objects.count() for m in TRACKED}
    again = scale_history.load_history(batches=batches, editor_ids=editors)
    assert (again.batches, again.events) == (0, 0)
    first, last = batches[-1]
    for model in TRACKED[1:]:
        table = model.pgh_event_model._meta.db_table
        low = scale_history.BASE + (first - 1) * scale_history.SLOTS[table]
        model.pgh_event_model.objects.filter(pgh_id__gt=low).filter(pgh_id__lt=0).delete()
    assert Video.pgh_event_model.objects.count() < before[Video]

    resumed = scale_history.load_history(batches=batches, editor_ids=editors)

    assert resumed.batches == 1
    assert {m: m.pgh_event_model.objects.count() for m in TRACKED} == before
