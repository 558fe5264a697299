"""The pages measured, ours beside the stock admin's, and how a page is timed."""

from dataclasses import dataclass
from urllib.parse import quote

from bench.client import BenchError, Session
from bench.gallery import files_path
from bench.report import Timing

STOCK_QUEUE = "?requires_human_review__exact=1&review_status__isnull=True"


@dataclass(frozen=True)
class Page:
    name: str
    ours: str
    stock: str | None = None  # the stock admin's list of the same rows
    note: str = ""


def pages(picks: dict) -> list[Page]:
    """Our pages for one dataset; `picks` come from bench.fixtures."""
    status, video, report = picks.get("status"), picks.get("video"), picks.get("report")
    listed = [
        Page("Videos", "/admin/videos/video/", "/stock-admin/videos/video/"),
        Page(
            f"Videos: status {status}",
            f"/admin/videos/video/?status__exact={status}",
            f"/stock-admin/videos/video/?status__exact={status}",
        ),
    ]
    for key, label in (("many", "many"), ("few", "few")):
        word = picks.get(key)
        if word:
            query = f"?q={quote(word)}"
            listed.append(
                Page(
                    f"Videos: search title ({label})",
                    f"/admin/videos/video/{query}",
                    f"/stock-admin/videos/video/{query}",
                    f"“{word}”, {picks.get(key + '_count')} videos",
                )
            )
    if video:
        listed.append(
            Page(
                "Videos: search UUID",
                f"/admin/videos/video/?q={video}",
                f"/stock-admin/videos/video/?q={video}",
                video,
            )
        )
    listed += [
        Page("Tasks", "/admin/videos/task/", "/stock-admin/videos/task/"),
        Page(
            "Artifact gallery", "/admin/videos/artifact/gallery/", "/stock-admin/videos/artifact/"
        ),
        # Every request meets S3 for each card, as the first visit to a page does.
        Page(
            "Artifact gallery, cold cache",
            "/bench/cold/admin/videos/artifact/gallery/",
            note="the process cache emptied before each request",
        ),
        Page(
            "Review queue",
            "/admin/safety/reviewqueueitem/",
            f"/stock-admin/safety/safetyreport/{STOCK_QUEUE}",
        ),
    ]
    if picks.get("gallery_cards"):
        # What the gallery's script asks once the page is shown, warm and cold.
        files, cards = files_path(picks["gallery_cards"]), len(picks["gallery_cards"])
        listed.append(Page("Gallery files (JSON)", files, note=f"{cards} cards"))
        listed.append(
            Page("Gallery files (JSON), cold cache", f"/bench/cold{files}", note=f"{cards} cards")
        )
    if report:
        listed.append(
            Page("Review page", f"/admin/safety/reviewqueueitem/{report}/review/", note=report)
        )
    if video:
        listed.append(Page("Video timeline", f"/admin/videos/video/{video}/timeline/", note=video))
        listed.append(Page("Video history", f"/admin/videos/video/{video}/history/", note=video))
    listed.append(
        Page(
            "Ready to publish",
            "/admin/publishing/readyvideo/",
            "/stock-admin/videos/video/?status__exact=ready",
        )
    )
    # Read from the rollups only: the time must not grow from S to L.
    listed.append(Page("Dashboard", "/admin/insights/dashboard/", note="every section, 14 days"))
    return listed


def measure(session: Session, path: str, *, warmup: int, requests: int) -> Timing:
    """`warmup` untimed GETs, then `requests` timed ones, one after the other."""
    return measure_side_by_side([(session, path)], warmup=warmup, requests=requests)[0]


def measure_side_by_side(targets: list, *, warmup: int, requests: int) -> list[Timing]:
    """Each (session, path) of `targets` (one page of each dataset, each
    dataset served by its own server) timed in turn, request by request: the
    warm-ups, then a timed GET of each, `requests` times. Whatever else the
    machine does meanwhile falls on every dataset alike, so their ratio is
    the page's, not the minute's."""
    timings = [Timing() for _ in targets]
    for n in range(warmup + requests):
        for (session, path), timing in zip(targets, timings, strict=True):
            response = session.get(path)
            if response.status != 200:
                raise BenchError(f"GET {path} answered {response.status}, not 200.")
            if n >= warmup:
                server_ms, queries, db_ms = response.server_timing()
                timing.add(server_ms, response.client_ms, queries, db_ms)
    return timings
