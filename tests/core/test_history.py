"""History is written by database triggers, so every writer is recorded."""

import pytest

from personas.models import Persona
from publishing.models import PublishReceipt
from safety.models import SafetyReport
from tests.factories import (
    ArtifactFactory,
    PersonaFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    VideoFactory,
)
from videos.models import Artifact, Task, Video

pytestmark = pytest.mark.django_db(transaction=True)


def labels(obj):
    events = type(obj).pgh_event_model.objects.filter(pgh_obj_id=obj.pk).order_by("pgh_id")
    return [event.pgh_label for event in events]


@pytest.mark.parametrize(
    ("factory", "table", "key", "column", "value"),
    [
        (PersonaFactory, "personas", "persona_id", "name", "'Renamed by SQL'"),
        (VideoFactory, "videos", "video_id", "title", "'Retitled by SQL'"),
        (TaskFactory, "tasks", "task_id", "status", "'running'"),
        (ArtifactFactory, "artifacts", "artifact_id", "s3_path", "'s3://b/other.txt'"),
        (SafetyReportFactory, "safety_reports", "report_id", "score", "0.9"),
        (PublishReceiptFactory, "publish_receipts", "publish_id", "status", "'failed'"),
    ],
)
def test_raw_sql_update_and_delete_are_recorded(pipeline_db, factory, table, key, column, value):
    obj = factory()
    raw = pipeline_db()
    raw.execute(f"UPDATE {table} SET {column} = {value} WHERE {key} = %s", [obj.pk])
    event_model = type(obj).pgh_event_model
    update = event_model.objects.filter(pgh_obj_id=obj.pk, pgh_label="update").get()
    assert str(getattr(update, type(obj)._meta.get_field(column).attname)) in value
    assert update.pgh_context is None, "a raw SQL writer has no admin user"
    if table in ("artifacts", "safety_reports", "publish_receipts"):
        raw.execute(f"DELETE FROM {table} WHERE {key} = %s", [obj.pk])
        assert labels(obj) == ["insert", "update", "delete"]
    else:
        assert labels(obj) == ["insert", "update"]


def test_raw_sql_insert_is_recorded(pipeline_db):
    persona_id = (
        pipeline_db()
        .execute("INSERT INTO personas (name) VALUES ('From SQL') RETURNING persona_id")
        .fetchone()[0]
    )
    assert labels(Persona(pk=persona_id)) == ["insert"]


def test_admin_change_records_the_admin_user(client_for, admin_user):
    video = VideoFactory(title="before")
    client = client_for(admin_user)
    response = client.post(
        f"/admin/videos/video/{video.pk}/change/",
        {
            "title": "after",
            "persona": str(video.persona_id),
            "status": video.status,
            "published_at_0": "",
            "published_at_1": "",
            "loaded_version": "0",
        },
    )
    assert response.status_code == 302
    update = Video.pgh_event_model.objects.get(pgh_obj_id=video.pk, pgh_label="update")
    assert update.title == "after"
    assert update.pgh_context.metadata["user"] == admin_user.pk
    assert update.pgh_context.metadata["url"] == f"/admin/videos/video/{video.pk}/change/"


def test_the_history_page_of_a_row_without_events_says_so(client_for, admin_user):
    # As for rows an adopted database held before history was kept.
    video = VideoFactory()
    Video.pgh_event_model.objects.filter(pgh_obj_id=video.pk).delete()

    response = client_for(admin_user).get(f"/admin/videos/video/{video.pk}/history/")

    assert response.status_code == 200
    assert "No history has been recorded for this row." in response.content.decode()


def test_every_content_model_is_tracked():
    for model in (Persona, Video, Task, Artifact, SafetyReport, PublishReceipt):
        assert model.pgh_event_model._meta.db_table.endswith("event")
