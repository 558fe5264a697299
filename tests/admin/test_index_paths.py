"""The queries behind each list, search and filter can be answered from an
index, so they stay fast on large tables.

Each page is loaded, and every query it ran is explained with sequential scans
disabled. That does not forbid them: Postgres still scans when nothing else can
answer the query (a UUID cast to text, a LIKE without a trigram index), so a
"Seq Scan" on a big table in the plan means no index serves it.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safety.models import ReviewStatus
from tests.factories import (
    ArtifactFactory,
    PendingReportFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    VideoFactory,
)
from videos.models import TaskStatus, TaskType, VideoStatus

BIG_TABLES = ("videos", "tasks", "artifacts", "safety_reports", "publish_receipts")


@pytest.fixture
def rows(db):
    """A few rows in every big table, with the statistics Postgres plans from."""
    videos = VideoFactory.create_batch(6, title="Ten rockets to watch")
    VideoFactory.create_batch(3, status=VideoStatus.READY, title="Morning pasta")
    tasks = [TaskFactory(video=v, type=TaskType.RENDER, status=TaskStatus.FAILED) for v in videos]
    # Failed tasks of another type, so status alone does not single out the renders.
    TaskFactory.create_batch(20, video=videos[0], type=TaskType.SCRIPT, status=TaskStatus.FAILED)
    for video in videos:
        ArtifactFactory(video=video)
        PublishReceiptFactory(video=video)
    reports = [SafetyReportFactory(task=t) for t in tasks]
    pending = [PendingReportFactory() for _ in range(3)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(BIG_TABLES))
    return {"video": videos[0], "task": tasks[0], "report": reports[0], "pending": pending}


@pytest.fixture
def superuser_client(admin_user, client_for):
    return client_for(admin_user)


def plans(superuser_client, url, params=None) -> list[str]:
    """The plan of every SELECT the page ran."""
    with CaptureQueriesContext(connection) as captured:
        response = superuser_client.get(url, params or {})
    assert response.status_code == 200
    explained = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for query in captured.captured_queries:
                if not query["sql"].lstrip().upper().startswith(("SELECT", "(SELECT")):
                    continue
                cursor.execute("EXPLAIN " + query["sql"])
                explained.append("\n".join(row[0] for row in cursor.fetchall()))
        finally:
            cursor.execute("RESET enable_seqscan")
    return explained


def scanned_whole(plan_texts: list[str]) -> list[str]:
    return [
        f"Seq Scan on {table}"
        for table in BIG_TABLES
        for plan in plan_texts
        if f"Seq Scan on {table} " in plan or plan.endswith(f"Seq Scan on {table}")
    ]


def uses(plan_texts: list[str], index: str) -> bool:
    return any(f" {index} " in plan or plan.endswith(f" {index}") for plan in plan_texts)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/videos/video/",
        "/admin/videos/task/",
        "/admin/videos/artifact/",
        "/admin/videos/artifact/gallery/",
        "/admin/safety/safetyreport/",
        "/admin/publishing/publishreceipt/",
        "/admin/publishing/readyvideo/",
        "/admin/publishing/publishfailure/",
        "/admin/safety/reviewqueueitem/",
    ],
)
def test_a_list_reads_no_big_table_whole(rows, superuser_client, url):
    assert scanned_whole(plans(superuser_client, url)) == []


@pytest.mark.parametrize(
    ("url", "key", "indexes"),
    [
        ("/admin/videos/video/", "video", ["videos_pkey", "videos_persona_id_idx"]),
        ("/admin/videos/task/", "task", ["tasks_pkey"]),
        ("/admin/videos/task/", "video", ["tasks_video_created_idx"]),
        ("/admin/videos/artifact/", "video", ["artifacts_video_kind_idx"]),
        ("/admin/safety/safetyreport/", "report", ["safety_reports_pkey"]),
        ("/admin/safety/safetyreport/", "task", ["safety_reports_task_id_idx"]),
        ("/admin/publishing/publishreceipt/", "video", ["publish_receipts_video_id_idx"]),
    ],
)
def test_a_uuid_search_looks_the_key_up_in_its_index(rows, superuser_client, url, key, indexes):
    explained = plans(superuser_client, url, {"q": str(rows[key].pk)})
    assert scanned_whole(explained) == []
    for index in indexes:
        assert uses(explained, index), index


def test_a_title_search_uses_the_trigram_index(rows, superuser_client):
    explained = plans(superuser_client, "/admin/videos/video/", {"q": "rocket"})
    assert scanned_whole(explained) == []
    assert uses(explained, "videos_title_trgm_idx")


def test_a_title_search_of_ready_videos_reads_no_table_whole(rows, superuser_client):
    # The planner picks the trigram or the status index, by which matches fewer.
    explained = plans(superuser_client, "/admin/publishing/readyvideo/", {"q": "rocket"})
    assert scanned_whole(explained) == []


@pytest.mark.parametrize(
    ("url", "params", "index"),
    [
        ("/admin/videos/video/", {"status__exact": "ready"}, "videos_status_created_idx"),
        # Both columns' index, or one column's (then the other is a filter on
        # its few rows): which, the planner picks by the tables' statistics,
        # which the suite's earlier tests leave behind (ANALYZE's reltuples
        # outlive their transactions): after tests/safety and tests/core, the
        # status index alone.
        (
            "/admin/videos/task/",
            {"status__exact": "failed", "type__exact": "render"},
            "tasks_status_type_idx|tasks_type_created_idx|idx_tasks_status",
        ),
        # Either serves a status alone; the planner picks by their sizes.
        (
            "/admin/videos/task/",
            {"status__exact": "failed"},
            "idx_tasks_status|tasks_status_type_idx",
        ),
        ("/admin/videos/task/", {"type__exact": "render"}, "tasks_type_created_idx"),
        ("/admin/videos/artifact/gallery/", {"kind": "render"}, "artifacts_kind_newest_idx"),
        (
            "/admin/publishing/publishreceipt/",
            {"channel": "youtube"},
            "publish_receipts_chan_ts_idx",
        ),
        (
            "/admin/publishing/publishreceipt/",
            {"status__exact": "published"},
            "publish_receipts_stat_ts_idx",
        ),
    ],
)
def test_a_filter_uses_its_index(rows, superuser_client, settings, tmp_path, url, params, index):
    settings.PUBLISH_CHANNELS = {"youtube": {"adapter": "local", "folder": str(tmp_path)}}
    explained = plans(superuser_client, url, params)
    assert scanned_whole(explained) == []
    assert any(uses(explained, name) for name in index.split("|")), "\n\n".join(explained)


def test_the_queue_filters_start_from_the_queue_index(rows, superuser_client):
    """The persona and category filters read the open reports by the queue's
    partial indexes, then their tasks and videos by key."""
    explained = plans(superuser_client, "/admin/safety/reviewqueueitem/")
    assert scanned_whole(explained) == []
    assert uses(explained, "safety_reports_queue_idx")
    assert not any("Seq Scan on tasks" in p or "Seq Scan on videos" in p for p in explained)


def test_escalated_reports_are_read_by_their_index(rows, superuser_client):
    rows["report"].review_status = ReviewStatus.ESCALATED
    rows["report"].save(update_fields=["review_status"])
    explained = plans(superuser_client, "/admin/safety/reviewqueueitem/", {"state": "escalated"})
    assert scanned_whole(explained) == []
    assert uses(explained, "safety_reports_escalated_idx")


def index_blocks(plan: dict, index: str) -> int:
    """Buffers the plan's scans of `index` read (hit or not)."""
    found = plan.get("Index Name") == index
    own = plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0) if found else 0
    return own + sum(index_blocks(child, index) for child in plan.get("Plans", []))


def test_a_title_search_reads_a_short_pending_list_after_many_writes(db):
    """GIN keeps new entries in a pending list that every search reads whole:
    the title index keeps it to 64 kB, so titles written in bulk do not make
    each search read them all again."""
    persona = VideoFactory().persona
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO videos (persona_id, title, status) "
            "SELECT %s, 'Written in bulk, number ' || n || ', with a sentence of words', 'draft' "
            "FROM generate_series(1, 600) AS n",
            [persona.pk],
        )
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "
            "SELECT video_id FROM videos WHERE UPPER(title) LIKE '%%77,%%'"
        )
        (plan,) = cursor.fetchone()[0]

    # 600 titles' trigrams take about 75 pages of pending list at the default 4 MB.
    # One trigram's entries and at most 8 pages of pending list.
    blocks = index_blocks(plan["Plan"], "videos_title_trgm_idx")
    assert 0 < blocks <= 15
