"""Postgres restarted, and stopped for a few seconds, under the app: pages answer
200 or the clear 503 page (never a 500) and work again after; publish workers
wait, resume, and publish every approval exactly once."""

import json
import threading
import time
from collections import Counter

import pytest

from tests import reliability
from tests.faults.stack import Browser, until

APPROVALS = 30


@pytest.fixture(scope="module")
def browser(services):
    world = services.seed("review_world()")
    browser = Browser(services.app.serve()).login("faults")
    browser.pages = [
        "/admin/",
        "/admin/videos/video/",
        "/admin/videos/task/",
        "/admin/publishing/publishreceipt/",
        "/admin/safety/reviewqueueitem/",
        f"/admin/safety/reviewqueueitem/{world['report']}/review/",
        f"/admin/videos/video/{world['video']}/timeline/",
    ]
    return browser


def restart_then_outage(postgres, *, outage: float):
    """`pg_ctl restart -m fast`, then stopped for `outage` seconds and started."""
    postgres.restart()
    time.sleep(0.5)
    postgres.stop()
    time.sleep(outage)
    postgres.start()


def in_background(work) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_pages_answer_200_or_the_503_page_while_postgres_restarts(services, browser):
    fault = in_background(lambda: restart_then_outage(services.postgres, outage=3))
    answers, wrong = Counter(), []
    while fault.is_alive():
        for page in browser.pages:
            status, headers, body = browser.get(page)
            answers[status] += 1
            if status == 503:
                if "The database is not answering" not in body or "Retry-After" not in headers:
                    wrong.append(f"{page}: a 503 without the page or Retry-After")
            elif status != 200:
                wrong.append(f"{page}: {status}")
    fault.join()
    after = {page: browser.get(page)[0] for page in browser.pages}

    reliability.record(
        "faults",
        "postgres restarted while pages load",
        cases=sum(answers.values()) + len(after),
        errors_500=answers[500],
        note=f"pg_ctl restart, then 3 s down: {answers[200]} pages 200, {answers[503]} the 503 "
        "page, none 500; every page 200 once it was back",
    )
    assert not wrong, wrong
    assert answers[503] > 0, "the outage was never seen: the test proved nothing"
    assert set(after.values()) == {200}, after


def channel_log(folder, event: str) -> Counter:
    """Idempotency keys the local channel logged `event` for, with how often."""
    log = folder / "published.log"
    lines = [line.split("\t") for line in log.read_text().splitlines()] if log.exists() else []
    return Counter(key for _, logged, key, _ in lines if logged == event)


def manifests(folder) -> Counter:
    """(video, channel) of every manifest the channel holds, with how often."""
    documents = [json.loads(path.read_text()) for path in folder.glob("*.json")]
    return Counter((document["video_id"], document["channel"]) for document in documents)


def make_due(postgres) -> None:
    postgres.query(
        "UPDATE tasks SET not_before = now() WHERE type = 'publish' AND status = 'queued'"
    )


def test_workers_publish_every_approval_exactly_once_across_a_postgres_restart(services):
    postgres = services.postgres
    receipts = services.seed(f"approved(count={APPROVALS}, channel='local')")
    workers = services.app.workers(2)

    make_due(postgres)
    # The database goes while the workers are at it.
    until(
        lambda: sum(channel_log(services.channel, "published").values()) >= 3,
        timeout=60,
        what="the first publishes",
    )
    before_fault = sum(channel_log(services.channel, "published").values())
    restart_then_outage(postgres, outage=2)
    done = f"""SELECT count(*) FROM publish_receipts
                WHERE publish_id::text = ANY(%s) AND status = 'published'
               HAVING count(*) = {APPROVALS}"""
    postgres.ask_until(done, receipts, timeout=90, what="every approval to be published")

    # Resumed: what is approved after the fault goes out too.
    later = services.seed("approved(count=2, channel='local')")
    make_due(postgres)
    postgres.ask_until(done.replace(str(APPROVALS), "2"), later, timeout=60, what="resumed work")

    published = channel_log(services.channel, "published")
    repeats = sum(channel_log(services.channel, "repeat").values())
    remote_ids = {
        remote_id
        for (remote_id,) in postgres.query(
            "SELECT remote_id FROM publish_receipts WHERE publish_id::text = ANY(%s)",
            receipts + later,
        )
    }
    held = manifests(services.channel)
    duplicated = sum(count - 1 for count in published.values()) + sum(
        count - 1 for count in held.values()
    )
    lost = len(remote_ids - set(published)) + (len(receipts + later) - len(remote_ids))
    reliability.record(
        "faults",
        "postgres restarted while workers publish",
        cases=len(receipts + later),
        duplicated_writes=duplicated,
        lost_writes=lost,
        note=f"2 workers, {APPROVALS} approvals, {before_fault} out before pg_ctl restart then "
        f"2 s down: each published once ({repeats} idempotent repeats), receipts and manifests "
        "agree, workers resumed",
    )
    assert duplicated == 0, published
    assert lost == 0
    assert 0 < before_fault < APPROVALS, "the fault did not land while workers published"
    assert {path.stem for path in services.channel.glob("*.json")} == set(published) == remote_ids
    assert sum(held.values()) == len(receipts + later)
    assert [worker.poll() for worker in workers] == [None, None], "a worker died"
