"""Reads split between the primary and a real streaming replica.

The proof is a replica that stops replaying (`pg_wal_replay_pause()`) while
the pipeline writes on the primary from a client of its own: a page that
reads from the replica does not show those writes, a page on the primary
does. The app runs as a process over committed data (tests/replica/servers.py
says why); each server here reads through the replica with its own settings.
"""

import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.faults.stack import text_of, until
from tests.helpers import closed_port
from tests.replica.servers import forget_own_writes, signed_in

# Replay is paused for a while in these tests: the replica lags as long, and
# must still be read.
PATIENT = {"DATABASE_REPLICA_MAX_LAG_SECONDS": "3600", "DATABASE_REPLICA_STICKY_SECONDS": "3601"}


@pytest.fixture(scope="module")
def world(replicated):
    return replicated.seed("world()")


@pytest.fixture(scope="module")
def reader(replicated, world):
    """A server reading the listed pages from the replica, however far behind."""
    return replicated.serve(**PATIENT)


@pytest.fixture
def reading(reader):
    """A signed-in browser whose reads may go to the replica (its sign-in's
    stickiness over)."""
    browser = signed_in(reader)
    forget_own_writes(browser)
    return browser


def page_text(browser, path: str) -> str:
    status, _, body = browser.get(path)
    assert status == 200, f"{path} answered {status}"
    return body


def chart(html: str, chart_id: str) -> dict:
    found = re.search(
        rf'<script id="chart-{chart_id}-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, f"the dashboard has no chart {chart_id}"
    return json.loads(found.group(1))


def pipeline_writes(replicated, world, mark: str) -> dict:
    """What the pipeline writes by plain SQL: a new video, a renamed one, a new
    artifact and a failed task."""
    (new_video,) = replicated.primary(
        "INSERT INTO videos (persona_id, title, status) VALUES (%s, %s, 'draft') "
        "RETURNING video_id",
        world["persona"],
        f"Inserted while replay paused {mark}",
    )[0]
    replicated.primary(
        "UPDATE videos SET title = %s WHERE video_id = %s", f"Renamed {mark}", world["video"]
    )
    (artifact,) = replicated.primary(
        "INSERT INTO artifacts (video_id, kind, s3_path) VALUES (%s, 'thumbnail', %s) "
        "RETURNING artifact_id",
        world["video"],
        f"s3://contentops/replica/{mark}-new.png",
    )[0]
    replicated.primary(
        "INSERT INTO tasks (video_id, type, status, payload) "
        "VALUES (%s, 'thumbnail', 'failed', '{}')",
        world["video"],
    )
    return {"video": str(new_video), "artifact": str(artifact)}


def test_caught_up_waits_for_commits_whose_wal_is_not_written_yet(replicated, world):
    """The test stack commits asynchronously: a commit returns before its WAL is
    written, and the replica is sent only written WAL. Taking the primary's
    write position as the target (as caught_up() once did) let a CI run read
    the gallery on the replica before the artifact just inserted had arrived.
    Each round commits and asks at once, before the WAL writer's next round."""
    for _ in range(5):
        title = f"Committed asynchronously {uuid.uuid4().hex[:8]}"
        with psycopg.connect(replicated.primary_url, autocommit=True) as connection:
            connection.execute("SET synchronous_commit = off")
            connection.execute(
                "INSERT INTO videos (persona_id, title, status) VALUES (%s, %s, 'draft')",
                (world["persona"], title),
            )
        replicated.caught_up()
        assert replicated.replica("SELECT count(*) FROM videos WHERE title = %s", title) == [(1,)]


def test_lists_gallery_timeline_and_dashboard_read_from_the_replica(replicated, world, reading):
    mark = uuid.uuid4().hex[:8]
    tasks_before = chart(page_text(reading, "/admin/insights/dashboard/"), "tasks-by-status")
    timeline = f"/admin/videos/video/{world['video']}/timeline/"
    with replicated.replay_paused():
        written = pipeline_writes(replicated, world, mark)

        videos = text_of(page_text(reading, f"/admin/videos/video/?q={mark}"))
        assert f"Inserted while replay paused {mark}" not in videos
        assert f"Renamed {mark}" not in videos
        shown = text_of(page_text(reading, timeline))
        assert world["title"] in shown and f"Renamed {mark}" not in shown
        gallery = page_text(reading, "/admin/videos/artifact/gallery/")
        assert world["artifact"] in gallery and written["artifact"] not in gallery
        dashboard = page_text(reading, "/admin/insights/dashboard/")
        assert chart(dashboard, "tasks-by-status") == tasks_before

    replicated.caught_up()
    videos = text_of(page_text(reading, f"/admin/videos/video/?q={mark}"))
    assert f"Inserted while replay paused {mark}" in videos and f"Renamed {mark}" in videos
    assert f"Renamed {mark}" in text_of(page_text(reading, timeline))
    assert written["artifact"] in page_text(reading, "/admin/videos/artifact/gallery/")
    dashboard = page_text(reading, "/admin/insights/dashboard/")
    assert chart(dashboard, "tasks-by-status") != tasks_before


def test_whoever_saved_a_change_reads_it_back_at_once_others_later(replicated, world, reader):
    editor, colleague = signed_in(reader), signed_in(reader)
    forget_own_writes(editor)
    forget_own_writes(colleague)
    mark = uuid.uuid4().hex[:8]
    title = f"Saved through the form {mark}"
    with replicated.replay_paused():
        persona, status, version = replicated.primary(
            "SELECT persona_id, status, state_version FROM videos WHERE video_id = %s",
            world["video"],
        )[0]
        change = f"/admin/videos/video/{world['video']}/change/"
        status_code, _, body = editor.post(
            change,
            {"title": title, "persona": persona, "status": status, "loaded_version": version},
        )
        assert status_code == 302, text_of(body)[:2000]

        assert title in text_of(page_text(editor, f"/admin/videos/video/?q={mark}"))
        assert title in text_of(
            page_text(editor, f"/admin/videos/video/{world['video']}/timeline/")
        )
        assert title not in text_of(page_text(colleague, f"/admin/videos/video/?q={mark}"))

    replicated.caught_up()
    assert title in text_of(page_text(colleague, f"/admin/videos/video/?q={mark}"))


def test_claims_and_decisions_work_while_replay_is_paused(replicated, world, reading):
    with replicated.replay_paused():
        status, headers, _ = reading.post("/admin/safety/reviewqueueitem/next/", {})
        assert status == 302 and world["report"] in headers["Location"], headers
        review = page_text(reading, f"/admin/safety/reviewqueueitem/{world['report']}/review/")
        seen = {
            name: re.search(rf'name="{name}" value="([^"]*)"', review).group(1)
            for name in ("video_version_seen", "files_seen")
        }
        status, _, body = reading.post(
            f"/admin/safety/reviewqueueitem/{world['report']}/decide/",
            {"decision": "reject", "reason_reject": "violence", "note": "on the primary", **seen},
        )
        assert status == 302, text_of(body)[:2000]
        assert replicated.primary(
            "SELECT kind FROM safety_review_actions WHERE report_id = %s AND kind = %s",
            world["report"],
            "reject",
        ) == [("reject",)]


def test_the_queues_category_filter_reads_the_replica_with_its_page(replicated, world):
    """The filter's choices are read with plain SQL, not through the ORM: they
    follow the page to the replica all the same. Each server is a process of
    its own, so neither has the choices cached."""
    category = f"replicated{uuid.uuid4().hex[:8]}"
    queue = "/admin/safety/reviewqueueitem/"
    with replicated.replay_paused():
        browser = signed_in(replicated.serve(**PATIENT))
        forget_own_writes(browser)
        replicated.primary(
            "INSERT INTO safety_reports (task_id, score, issues, requires_human_review) "
            "SELECT task_id, 0.5, %s::jsonb, true FROM safety_reports WHERE report_id = %s",
            json.dumps([{"category": category}]),
            world["report"],
        )
        assert category not in page_text(browser, queue)
    replicated.caught_up()
    browser = signed_in(replicated.serve(**PATIENT))
    forget_own_writes(browser)
    assert category in page_text(browser, queue)


def test_a_lagging_replica_is_not_read(replicated, world, reader):
    """Past DATABASE_REPLICA_MAX_LAG_SECONDS the pages read the primary, while a
    server that tolerates the lag still shows the replica's older rows."""
    strict = signed_in(
        replicated.serve(DATABASE_REPLICA_MAX_LAG_SECONDS="1", DATABASE_REPLICA_STICKY_SECONDS="2")
    )
    patient = signed_in(reader)
    forget_own_writes(strict)
    forget_own_writes(patient)
    mark = uuid.uuid4().hex[:8]
    with replicated.replay_paused():
        written = pipeline_writes(replicated, world, mark)
        until(
            lambda: written["artifact"] in page_text(strict, "/admin/videos/artifact/gallery/"),
            timeout=60,
            what="the strict server to give up on the lagging replica",
            interval=0.5,
        )
        assert f"Inserted while replay paused {mark}" in text_of(
            page_text(strict, f"/admin/videos/video/?q={mark}")
        )
        assert written["artifact"] not in page_text(patient, "/admin/videos/artifact/gallery/")


def test_an_unreachable_replica_is_not_read(replicated, world):
    browser = signed_in(
        replicated.serve(
            DATABASE_REPLICA_URL=f"postgres://contentops:contentops@127.0.0.1:{closed_port()}/nothing"
        )
    )
    forget_own_writes(browser)
    mark = uuid.uuid4().hex[:8]
    pipeline_writes(replicated, world, mark)
    videos = text_of(page_text(browser, f"/admin/videos/video/?q={mark}"))
    assert f"Inserted while replay paused {mark}" in videos


def test_a_replica_that_fails_mid_page_costs_the_page_nothing(replicated, world):
    """The replica's connection dies while a page reads from it: the page is
    read again from the primary, not answered with the 503 page.

    To fail it mid-page, the page's query is made to wait on the replica: a
    transaction on the primary holds an ACCESS EXCLUSIVE lock on videos, which
    the replica replays, so its readers of videos queue behind it. The waiting
    reader is terminated on the replica; the page then waits on the primary,
    behind the same lock, until the transaction ends."""
    browser = signed_in(replicated.serve(**PATIENT))
    forget_own_writes(browser)
    mark = uuid.uuid4().hex[:8]
    title = f"Read again on the primary {mark}"
    replicated.primary(
        "INSERT INTO videos (persona_id, title, status) VALUES (%s, %s, 'draft')",
        world["persona"],
        title,
    )
    replicated.caught_up()
    page = f"/admin/videos/video/?q={mark}"
    assert title in text_of(page_text(browser, page))

    def waiting_on_videos(query) -> list:
        sql = (
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in query(sql)]

    with psycopg.connect(replicated.primary_url) as locker, ThreadPoolExecutor(1) as pool:
        locker.execute("LOCK TABLE videos IN ACCESS EXCLUSIVE MODE")
        replicated.caught_up()
        answer = pool.submit(browser.get, page)
        until(
            lambda: waiting_on_videos(replicated.replica),
            timeout=30,
            what="the page's query to wait on the replica",
        )
        for pid in waiting_on_videos(replicated.replica):
            replicated.replica("SELECT pg_terminate_backend(%s)", pid)
        until(
            lambda: waiting_on_videos(replicated.primary) or answer.done(),
            timeout=30,
            what="the page to be read again, on the primary",
        )
        assert not answer.done(), f"answered {answer.result()[0]} instead of reading the primary"
        locker.rollback()
        status, _, body = answer.result(timeout=60)

    assert status == 200, text_of(body)[:500]
    assert title in text_of(body)
    # The replica is asked about afresh, and read again.
    mark = uuid.uuid4().hex[:8]
    with replicated.replay_paused():
        pipeline_writes(replicated, world, mark)
        assert f"Inserted while replay paused {mark}" not in text_of(
            page_text(browser, f"/admin/videos/video/?q={mark}")
        )
