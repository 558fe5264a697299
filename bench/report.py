"""The results of a run, the targets they are judged by, and the table.

Pure: nothing here touches a database or a server, so tests can check the
verdicts and the rendering on made-up numbers.
"""

import math
import statistics
from dataclasses import dataclass, field

from bench.replica import Throughput
from bench.replica import section as replica_section

# The targets: reported, never asserted.
PAGE_MEDIAN_MS = 60  # every page of ours at L, median
PAGE_P95_MS = 150  # and its 95th percentile
GROWTH = 1.5  # L median at most this times the S median
SPEEDUP = 10  # each list page against the stock admin at L
SAVE_RATIO = 0.9  # guarded save against plain save, rows per second
REVIEW_NEXT_P95_MS = 20  # "review next", 16 moderators at once
WAKEUP_P95_MS = 1000  # from a task's not_before to its channel call, idle worker
SLOW_CHANNEL_PER_SECOND = 8  # one worker at concurrency 8, a channel taking 1 s

TARGET_SIZE = "L"  # the size the targets speak of
BASE_SIZE = "S"  # the size growth is measured from


def percentile(values, fraction: float) -> float:
    """Nearest-rank percentile: a value that was measured."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class Timing:
    """Repeated requests of one page: server time and queries from the
    Server-Timing header, client time from the bench's own clock."""

    server_ms: list[float] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    db_ms: list[float] = field(default_factory=list)  # the queries' share of server time

    def add(self, server_ms: float, client_ms: float, queries: int, db_ms: float = 0.0) -> None:
        self.server_ms.append(server_ms)
        self.client_ms.append(client_ms)
        self.queries.append(queries)
        self.db_ms.append(db_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.server_ms)

    @property
    def p95(self) -> float:
        return percentile(self.server_ms, 0.95)

    @property
    def db_median(self) -> float:
        return statistics.median(self.db_ms)

    @property
    def client_median(self) -> float:
        return statistics.median(self.client_ms)

    @property
    def client_p95(self) -> float:
        return percentile(self.client_ms, 0.95)

    def query_count(self) -> str:
        """The query count, or its range when it varied between requests (flagged)."""
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}–{high} ⚠ varies"


@dataclass
class PageResult:
    name: str
    is_list: bool  # a list page, measured beside the stock admin
    ours: dict[str, Timing] = field(default_factory=dict)  # by size
    stock: dict[str, Timing] = field(default_factory=dict)
    # What the page was measured on at each size (the search term, the object):
    # each dataset picks its own.
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Verdict:
    target: str
    ok: bool
    detail: str = ""

    def __str__(self):
        mark = "✓" if self.ok else "✗"
        return f"{mark} {self.target}" + (
            f" ({self.detail})" if self.detail and not self.ok else ""
        )


def page_verdicts(page: PageResult) -> list[Verdict]:
    large = page.ours.get(TARGET_SIZE)
    if large is None:
        return []
    verdicts = [
        Verdict(f"≤{PAGE_MEDIAN_MS} ms", large.median <= PAGE_MEDIAN_MS, f"{large.median:.0f} ms"),
        Verdict(f"p95 ≤{PAGE_P95_MS} ms", large.p95 <= PAGE_P95_MS, f"{large.p95:.0f} ms"),
    ]
    small = page.ours.get(BASE_SIZE)
    if small is not None:
        growth = large.median / small.median if small.median else math.inf
        verdicts.append(Verdict(f"≤{GROWTH}×S", growth <= GROWTH, f"{growth:.1f}×"))
    stock = page.stock.get(TARGET_SIZE)
    if page.is_list and stock is not None:
        speedup = speed_up(page, TARGET_SIZE)
        verdicts.append(Verdict(f"≥{SPEEDUP}× stock", speedup >= SPEEDUP, f"{speedup:.1f}×"))
    return verdicts


def speed_up(page: PageResult, size: str) -> float | None:
    ours, stock = page.ours.get(size), page.stock.get(size)
    if ours is None or stock is None:
        return None
    return stock.median / ours.median if ours.median else math.inf


@dataclass
class SaveResult:
    rows: int
    rows_per_second: dict[str, float]  # guarded, plain, raw
    size: str = TARGET_SIZE

    @property
    def ratio(self) -> float:
        return self.rows_per_second["guarded"] / self.rows_per_second["plain"]

    def verdict(self) -> Verdict:
        return Verdict(
            f"guarded ≥{SAVE_RATIO}× plain", self.ratio >= SAVE_RATIO, f"{self.ratio:.2f}×"
        )


@dataclass
class ReviewNextResult:
    moderators: int
    timing: Timing
    size: str = TARGET_SIZE
    errors: int = 0

    def verdict(self) -> Verdict:
        p95 = self.timing.p95
        return Verdict(f"p95 <{REVIEW_NEXT_P95_MS} ms", p95 < REVIEW_NEXT_P95_MS, f"{p95:.1f} ms")


@dataclass
class WorkerResult:
    workers: int
    tasks: int
    seconds: float
    outcomes: dict[str, int] = field(default_factory=dict)
    channel: str = "local"  # how it publishes: see bench/publishing.py
    concurrency: int = 1  # PUBLISH_CONCURRENCY of each worker
    most_in_flight: int | None = None  # at once at the channel, as it counted them
    steady_per_second: float | None = None  # after the first wave (bench/publishing.py)
    round: int = 1  # the counts of workers are measured in turn, round after round

    @property
    def per_second(self) -> float:
        return self.tasks / self.seconds if self.seconds else math.inf


@dataclass
class WakeupResult:
    """Delays from each task's `not_before` to its channel call, idle worker."""

    delays_ms: list[float]
    spread_seconds: float
    poll_seconds: float
    claimed_ms: list[float] = field(default_factory=list)  # to the claim, from the history

    def verdict(self) -> Verdict:
        p95 = percentile(self.delays_ms, 0.95)
        return Verdict(f"p95 <{WAKEUP_P95_MS} ms", p95 < WAKEUP_P95_MS, f"{p95:.0f} ms")


@dataclass
class Run:
    sizes: dict[str, int]  # name -> videos
    requests: int
    pages: list[PageResult] = field(default_factory=list)
    saves: SaveResult | None = None
    review_next: ReviewNextResult | None = None
    workers: list[WorkerResult] = field(default_factory=list)
    worker_size: str = ""
    wakeups: WakeupResult | None = None
    machine: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    replica: list[Throughput] = field(default_factory=list)  # bench/replica.py
    replica_pages: list[str] = field(default_factory=list)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _cell(timing: Timing | None, attr: str) -> str:
    return "—" if timing is None else _ms(getattr(timing, attr))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render(run: Run) -> str:
    """The whole report, as Markdown (it reads as well in a terminal)."""
    sizes = list(run.sizes)
    target = TARGET_SIZE if TARGET_SIZE in sizes else sizes[-1]
    described = ", ".join(f"{name} = {count:,} videos" for name, count in run.sizes.items())
    out = [
        "# Benchmarks",
        "",
        f"Written by `make bench` ({described}; {run.requests} timed requests per page).",
        "Times are server time in ms from the `Server-Timing` header (median / p95);",
        "queries are per request. Targets are reported, not asserted. Each dataset has a",
        "server of its own, and a page is timed on each in turn, request by request, so the",
        "sizes' ratios are not a difference between two minutes of the machine.",
        "",
        "## Pages",
        "",
    ]
    header = ["page"]
    for size in sizes:
        header += [f"{size} median", f"{size} p95"]
    header += [f"queries ({target})", f"stock {target} median", "speed-up", "targets"]
    rows = []
    for page in run.pages:
        row = [page.name]
        for size in sizes:
            row += [_cell(page.ours.get(size), "median"), _cell(page.ours.get(size), "p95")]
        ours = page.ours.get(target)
        stock = page.stock.get(target)
        up = speed_up(page, target)
        row += [
            ours.query_count() if ours else "—",
            _cell(stock, "median"),
            "—" if up is None else f"{up:.1f}×",
            ", ".join(str(v) for v in page_verdicts(page)) or "—",
        ]
        rows.append(row)
    out += _table(header, rows)
    if TARGET_SIZE not in sizes:
        out += ["", f"Targets speak of {TARGET_SIZE}, which this run did not measure."]
    out += ["", "### Details", ""]
    detail_rows = []
    for page in run.pages:
        for size in sizes:
            ours, stock = page.ours.get(size), page.stock.get(size)
            detail_rows.append(
                [
                    page.name,
                    size,
                    _cell(ours, "db_median"),
                    _cell(ours, "client_median"),
                    _cell(ours, "client_p95"),
                    _cell(stock, "p95"),
                    stock.query_count() if stock else "—",
                    page.notes.get(size, ""),
                ]
            )
    out += _table(
        [
            "page",
            "size",
            "SQL median",
            "client median",
            "client p95",
            "stock p95",
            "stock queries",
            "measured on",
        ],
        detail_rows,
    )
    out += _saves_section(run) + _review_section(run) + _worker_section(run)
    out += replica_section(run.replica, pages=run.replica_pages)
    out += ["", "## Machine", ""]
    out += _table(["", ""], [[key, value] for key, value in run.machine.items()])
    if run.notes:
        out += ["", "## Notes", ""] + [f"- {note}" for note in run.notes]
    return "\n".join(out) + "\n"


def _saves_section(run: Run) -> list[str]:
    if run.saves is None:
        return []
    saves = run.saves
    names = {
        "guarded": "guarded `Video.save(update_fields=['title'])`",
        "plain": "plain Django model save (no versioning)",
        "raw": "raw SQL `UPDATE videos SET title=%s WHERE video_id=%s`",
    }
    rows = [[names[k], f"{v:,.0f}"] for k, v in saves.rows_per_second.items()]
    return (
        ["", f"## Saves ({saves.size}, {saves.rows:,} rows each, autocommit)", ""]
        + _table(["write", "rows/s"], rows)
        + ["", f"Guarded / plain: {saves.ratio:.2f}× — {saves.verdict()}"]
    )


def _review_section(run: Run) -> list[str]:
    result = run.review_next
    if result is None:
        return []
    t = result.timing
    rows = [
        ["server (Server-Timing)", _ms(t.median), _ms(t.p95)],
        ["SQL (Server-Timing)", _ms(t.db_median), _ms(percentile(t.db_ms, 0.95))],
        ["client (HTTP round trip)", _ms(t.client_median), _ms(t.client_p95)],
    ]
    out = [
        "",
        f"## Review next ({result.size}, {result.moderators} moderators at once, "
        f"{len(t.server_ms)} presses)",
        "",
    ]
    out += _table(["time", "p50 ms", "p95 ms"], rows)
    out += ["", f"Queries per press: {t.query_count()}. {result.verdict()} (server time)."]
    if result.errors:
        out.append(f"{result.errors} presses failed (not a redirect to a report).")
    return out


def _worker_section(run: Run) -> list[str]:
    out = []
    for channel, concurrency in dict.fromkeys((w.channel, w.concurrency) for w in run.workers):
        results = [w for w in run.workers if (w.channel, w.concurrency) == (channel, concurrency)]
        rounds = max(w.round for w in results)
        rows = [
            [
                *([str(w.round)] if rounds > 1 else []),
                str(w.workers),
                str(w.tasks),
                f"{w.seconds:.2f}",
                f"{w.per_second:.1f}",
                "—" if w.steady_per_second is None else f"{w.steady_per_second:.1f}",
                "—" if w.most_in_flight is None else str(w.most_in_flight),
                ", ".join(f"{k} {v}" for k, v in sorted(w.outcomes.items())),
            ]
            for w in results
        ]
        heading = f"## Publish workers ({run.worker_size}, {channel} channel"
        out += ["", f"{heading}, concurrency {concurrency})", ""]
        columns = ["workers", "tasks", "seconds", "tasks/s", "steady tasks/s", "most at once"]
        columns = (["round"] if rounds > 1 else []) + columns
        out += _table([*columns, "receipts"], rows)
        out += ["", CHANNELS.get(channel, ""), _slow_verdict(results), _growth(results)]
    if out:
        out += [
            "",
            "Seconds from the first claim to the last task done, as the task history records "
            "them, and tasks/s over that span (the target's measure); steady tasks/s: from "
            "the end of the first wave of calls (workers × concurrency tasks done) to the last "
            "task done, which leaves out the ramp of claiming and checking the first tasks; "
            "the most publishes at once at the channel, as the channel counted them.",
        ]
    return [line for line in out if line is not None] + _wakeup_section(run)


CHANNELS = {
    "local": "The local channel writes each manifest to a folder (no waiting).",
    "slow": "The slow channel is a webhook served by the bench that answers each publish "
    "after 1 s: a worker at concurrency 8 publishes at most 8 a second, less the time "
    "from its first claim to its first call and from its last call to its last record.",
}


def _growth(results: list[WorkerResult]) -> str | None:
    """Each count of workers' median tasks/s over the rounds, and whether
    every count above one worker beats one worker."""
    counts = sorted({w.workers for w in results})
    if len(counts) < 2 or 1 not in counts:
        return None
    rounds = max(w.round for w in results)
    median = {k: statistics.median(w.per_second for w in results if w.workers == k) for k in counts}
    ok = all(median[k] > median[1] for k in counts if k > 1)
    rates = ", ".join(f"{k}: {median[k]:.1f}" for k in counts)
    of = f"the median of {rounds} rounds" if rounds > 1 else "one round"
    return f"Tasks/s by workers ({of}): {rates}. " + str(
        Verdict("more workers publish more than one", ok, rates)
    )


def _slow_verdict(results: list[WorkerResult]) -> str | None:
    one = next((w for w in results if w.channel == "slow" and w.workers == 1), None)
    if one is None or one.concurrency != 8:
        return None
    ok = one.per_second >= SLOW_CHANNEL_PER_SECOND
    target = f"one worker ≥{SLOW_CHANNEL_PER_SECOND} tasks/s"
    return str(Verdict(target, ok, f"{one.per_second:.1f}/s"))


def _wakeup_section(run: Run) -> list[str]:
    result = run.wakeups
    if result is None:
        return []
    rows = [
        [what, str(len(delays)), *(f"{v:.0f}" for v in _spread(delays))]
        for what, delays in [
            ("to the channel call", result.delays_ms),
            ("to the claim", result.claimed_ms),
        ]
        if delays
    ]
    return (
        ["", f"## Publish wake-ups (one idle worker, poll {result.poll_seconds:g} s)", ""]
        + _table(["from `not_before`", "tasks", "p50 ms", "p95 ms", "max ms"], rows)
        + [
            "",
            f"Tasks fell due one by one over {result.spread_seconds:g} s. To the channel call: "
            "until the call reached the channel (a webhook served by the bench, no waiting), "
            "so it includes the checks and S3 requests before it; to the claim: the task "
            f"history's claim. {result.verdict()}",
        ]
    )


def _spread(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), percentile(values, 0.95), max(values)
