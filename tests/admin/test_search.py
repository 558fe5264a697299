"""Changelist search is bounded: a UUID matches keys exactly, through their
indexes; any other term searches only the text fields meant for it."""

import json

import pytest
from django.db import connection

from tests.factories import (
    ArtifactFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    VideoFactory,
)


@pytest.fixture
def browser(admin_user, client_for):
    return client_for(admin_user)


def search(browser, path, term):
    response = browser.get(path, {"q": term})
    assert response.status_code == 200
    return response.context["cl"]


def found(changelist):
    return {obj.pk for obj in changelist.result_list}


def index_reads(queryset) -> list[dict]:
    """The plan's reads of tables and indexes, as EXPLAIN (FORMAT JSON) nodes."""
    # The tables hold a handful of rows, where a sequential scan is cheapest; the
    # point is that the planner *can* use the indexes, so take the scan away.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    nodes, reads = [json.loads(queryset.explain(format="json"))[0]["Plan"]], []
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node["Node Type"] in ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            reads.append(node)
    return reads


def reads_whole_table(read: dict) -> bool:
    return "Index Cond" not in read


def test_video_uuid_finds_that_video_by_exact_match(browser):
    video, _other = VideoFactory.create_batch(2)
    assert found(search(browser, "/admin/videos/video/", str(video.pk))) == {video.pk}


def test_video_uuid_is_found_in_any_spelling_of_it(browser):
    video = VideoFactory()
    term = f"  {str(video.pk).upper()}  "
    assert found(search(browser, "/admin/videos/video/", term)) == {video.pk}


def test_part_of_a_uuid_finds_no_video(browser):
    video = VideoFactory(title="Sunset")
    assert found(search(browser, "/admin/videos/video/", str(video.pk)[:8])) == set()


def test_video_title_search_matches_part_of_the_title_in_any_case(browser):
    sunset, _ = VideoFactory(title="Sunset over Lisbon"), VideoFactory(title="Morning news")
    assert found(search(browser, "/admin/videos/video/", "lisBON")) == {sunset.pk}


def test_task_search_by_video_uuid_finds_the_videos_tasks(browser):
    video = VideoFactory()
    tasks = TaskFactory.create_batch(2, video=video)
    TaskFactory()
    assert found(search(browser, "/admin/videos/task/", str(video.pk))) == {t.pk for t in tasks}


def test_task_search_by_task_uuid_finds_the_task(browser):
    task, _ = TaskFactory.create_batch(2)
    assert found(search(browser, "/admin/videos/task/", str(task.pk))) == {task.pk}


def test_task_search_by_a_word_finds_nothing_without_error(browser):
    TaskFactory(payload={"prompt": "render"})
    changelist = search(browser, "/admin/videos/task/", "render")
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
def test_rows_of_a_video_are_found_by_its_uuid(browser, path, make):
    video = VideoFactory()
    mine = make(video)
    make(VideoFactory())
    assert found(search(browser, path, str(video.pk))) == {mine.pk}


def test_video_uuid_search_uses_the_primary_key_index(browser):
    video = VideoFactory()
    VideoFactory.create_batch(5)
    queryset = search(browser, "/admin/videos/video/", str(video.pk)).queryset
    assert "::text" not in str(queryset.query)
    by_key = [
        read
        for read in index_reads(queryset)
        if read.get("Index Name") == "videos_pkey" and str(video.pk) in read.get("Index Cond", "")
    ]
    assert by_key, "the video's key should be looked up in videos_pkey"


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
def test_uuid_search_reads_no_table_in_full(browser, path, make):
    video = VideoFactory()
    make(video)
    make(VideoFactory())
    queryset = search(browser, path, str(video.pk)).queryset
    assert [read for read in index_reads(queryset) if reads_whole_table(read)] == []
