"""Changelist search is bounded: a UUID matches keys exactly, through their
indexes; any other term searches only the text fields meant for it."""

import json

import pytest
from django.db import connection

from tests.factories import (
    ArtifactFactory,
    PersonaFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    VideoFactory,
)


@pytest.fixture
def superuser_client(admin_user, client_for):
    return client_for(admin_user)


def search(superuser_client, path, term):
    response = superuser_client.get(path, {"q": term})
    assert response.status_code == 200
    return response.context["cl"]


def found(changelist):
    return {obj.pk for obj in changelist.result_list}


FILLER_ROWS = 2000


@pytest.fixture
def crowded_tables(db):
    """Thousands of rows of every kind, analysed, so the planner weighs indexes
    as it does in production; on a handful of rows a full scan is always cheapest."""
    personas = bulk(PersonaFactory, [{}] * FILLER_ROWS)
    videos = bulk(VideoFactory, [{"persona": persona} for persona in personas])
    tasks = bulk(TaskFactory, [{"video": video} for video in videos])
    bulk(SafetyReportFactory, [{"task": task} for task in tasks])
    bulk(ArtifactFactory, [{"video": video} for video in videos])
    bulk(PublishReceiptFactory, [{"video": video} for video in videos])
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE personas, videos, tasks, artifacts, safety_reports, publish_receipts"
        )


def bulk(factory, fields: list[dict]) -> list:
    rows = [factory.build(**values) for values in fields]
    return factory._meta.model.objects.bulk_create(rows)


def reads(queryset) -> list[dict]:
    """How the plan reads tables and indexes: its scan nodes of EXPLAIN (FORMAT JSON)."""
    nodes, found = [json.loads(queryset.explain(format="json"))[0]["Plan"]], []
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node["Node Type"] in ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            found.append(node)
    return found


def full_reads(queryset) -> list[str]:
    """The tables or indexes the plan reads from end to end."""
    return [
        f"{read['Node Type']} on {read.get('Index Name') or read['Relation Name']}"
        for read in reads(queryset)
        if "Index Cond" not in read
    ]


def test_video_uuid_finds_that_video_by_exact_match(superuser_client):
    video, _other = VideoFactory.create_batch(2)
    assert found(search(superuser_client, "/admin/videos/video/", str(video.pk))) == {video.pk}


def test_video_uuid_is_found_in_any_spelling_of_it(superuser_client):
    video = VideoFactory()
    term = f"  {str(video.pk).upper()}  "
    assert found(search(superuser_client, "/admin/videos/video/", term)) == {video.pk}


def test_part_of_a_uuid_finds_no_video(superuser_client):
    video = VideoFactory(title="Sunset")
    assert found(search(superuser_client, "/admin/videos/video/", str(video.pk)[:8])) == set()


def test_video_title_search_matches_part_of_the_title_in_any_case(superuser_client):
    sunset, _ = VideoFactory(title="Sunset over Lisbon"), VideoFactory(title="Morning news")
    assert found(search(superuser_client, "/admin/videos/video/", "lisBON")) == {sunset.pk}


def test_task_search_by_video_uuid_finds_the_videos_tasks(superuser_client):
    video = VideoFactory()
    tasks = TaskFactory.create_batch(2, video=video)
    TaskFactory()
    assert found(search(superuser_client, "/admin/videos/task/", str(video.pk))) == {
        t.pk for t in tasks
    }


def test_task_search_by_task_uuid_finds_the_task(superuser_client):
    task, _ = TaskFactory.create_batch(2)
    assert found(search(superuser_client, "/admin/videos/task/", str(task.pk))) == {task.pk}


def test_task_search_by_a_word_finds_nothing_without_error(superuser_client):
    TaskFactory(payload={"prompt": "render"})
    changelist = search(superuser_client, "/admin/videos/task/", "render")
    assert found(changelist) == set()


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/admin/videos/artifact/", lambda video: ArtifactFactory(video=video)),
        ("/admin/safety/safetyreport/", lambda video: SafetyReportFactory(task__video=video)),
        ("/admin/publishing/publishreceipt/", lambda video: PublishReceiptFactory(video=video)),
    ],
    ids=["artifacts", "safety reports", "publish receipts"],
)
def test_rows_of_a_video_are_found_by_its_uuid(superuser_client, path, make):
    video = VideoFactory()
    mine = make(video)
    make(VideoFactory())
    assert found(search(superuser_client, path, str(video.pk))) == {mine.pk}


def test_video_uuid_search_looks_the_key_up_in_the_primary_key_index(
    superuser_client, crowded_tables
):
    video = VideoFactory()
    queryset = search(superuser_client, "/admin/videos/video/", str(video.pk)).queryset
    assert "::text" not in str(queryset.query)
    assert any(
        read.get("Index Name") == "videos_pkey" and str(video.pk) in read["Index Cond"]
        for read in reads(queryset)
        if "Index Cond" in read
    ), "the video's key should be looked up in videos_pkey"


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/admin/videos/video/", lambda video: video),
        ("/admin/videos/task/", lambda video: TaskFactory(video=video)),
        ("/admin/videos/artifact/", lambda video: ArtifactFactory(video=video)),
        ("/admin/safety/safetyreport/", lambda video: SafetyReportFactory(task__video=video)),
        ("/admin/publishing/publishreceipt/", lambda video: PublishReceiptFactory(video=video)),
    ],
    ids=["videos", "tasks", "artifacts", "safety reports", "publish receipts"],
)
def test_uuid_search_reads_no_table_in_full(superuser_client, crowded_tables, path, make):
    video = VideoFactory()
    make(video)
    changelist = search(superuser_client, path, str(video.pk))
    assert len(changelist.result_list) == 1
    assert full_reads(changelist.queryset) == []


@pytest.mark.parametrize("term", ["uuid", "Sunset"])
def test_video_picker_of_the_task_form_finds_a_video_by_uuid_or_title(superuser_client, term):
    video = VideoFactory(title="Sunset")
    VideoFactory(title="Morning")
    response = superuser_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "videos",
            "model_name": "task",
            "field_name": "video",
            "term": str(video.pk) if term == "uuid" else term,
        },
    )
    assert [row["id"] for row in response.json()["results"]] == [str(video.pk)]
