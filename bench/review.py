""" "Review next" with many moderators pressing it at once, over HTTP.

Each moderator (a thread with its own session) presses it repeatedly, each
time passing on the report it holds (`skip`): the server releases that one
and claims the worst report nobody holds, the contended path. Afterwards
every moderator releases what it holds, so the queue is as it was (the
review log keeps the claims and releases: it is append-only).
"""

import re
import threading

from bench.client import Session
from bench.report import ReviewNextResult, Timing

NEXT = "/admin/safety/reviewqueueitem/next/"
REPORT_URL = re.compile(r"/reviewqueueitem/([0-9a-f-]{36})/review/")


def press(session: Session, held: str | None):
    response = session.post(NEXT, {"skip": held or ""})
    match = REPORT_URL.search(response.location) if response.status == 302 else None
    return response, (match[1] if match else None)


def review_next(sessions: list[Session], *, warmup: int, presses: int) -> ReviewNextResult:
    timing, errors, lock = Timing(), [0], threading.Lock()
    start = threading.Barrier(len(sessions))
    held: dict[int, str | None] = {}

    def moderator(n: int, session: Session) -> None:
        current = None
        for _ in range(warmup):
            _, current = press(session, current)
        start.wait(timeout=600)
        for _ in range(presses):
            response, current = press(session, current)
            server_ms, queries, db_ms = response.server_timing()
            with lock:
                timing.add(server_ms, response.client_ms, queries, db_ms)
                errors[0] += current is None
        held[n] = current

    threads = [threading.Thread(target=moderator, args=(n, s)) for n, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n, session in enumerate(sessions):
        if held.get(n):
            session.post(f"/admin/safety/reviewqueueitem/{held[n]}/release/", {})
    return ReviewNextResult(moderators=len(sessions), timing=timing, errors=errors[0])
