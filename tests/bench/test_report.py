"""The bench's table: percentiles, target verdicts and rendering, on made-up numbers."""

from bench import report
from bench.report import PageResult, Run, SaveResult, Timing

SIZES = {"S": 10_000, "L": 1_000_000}


def timing(*server_ms, queries=7):
    measured = Timing()
    for ms in server_ms:
        measured.add(ms, ms + 2, queries, ms / 2)
    return measured


def page(name="Videos", *, small=20.0, large=25.0, stock=400.0, is_list=True):
    return PageResult(
        name,
        is_list=is_list,
        ours={"S": timing(small, small), "L": timing(large, large)},
        stock={"L": timing(stock, stock)} if stock else {},
    )


def test_percentiles_are_measured_values():
    values = list(range(1, 21))  # 1..20

    assert report.percentile(values, 0.95) == 19
    assert report.percentile(values, 0.5) == 10
    assert report.percentile([7.0], 0.95) == 7.0


def test_a_fast_list_page_meets_every_target():
    verdicts = report.page_verdicts(page())

    assert [(v.target, v.ok) for v in verdicts] == [
        ("≤60 ms", True),
        ("p95 ≤150 ms", True),
        ("≤1.5×S", True),
        ("≥10× stock", True),
    ]


def test_each_missed_target_is_named_with_the_number():
    slow = page(small=50.0, large=200.0, stock=600.0)

    assert [str(v) for v in report.page_verdicts(slow)] == [
        "✗ ≤60 ms (200 ms)",
        "✗ p95 ≤150 ms (200 ms)",
        "✗ ≤1.5×S (4.0×)",
        "✗ ≥10× stock (3.0×)",
    ]


def test_pages_without_a_stock_list_are_judged_on_time_and_growth_only():
    verdicts = report.page_verdicts(page("Review page", stock=None, is_list=False))

    assert [v.target for v in verdicts] == ["≤60 ms", "p95 ≤150 ms", "≤1.5×S"]


def test_a_page_with_a_fast_median_and_a_slow_tail_misses_the_p95_target():
    tail = PageResult("Gallery", is_list=False, ours={"L": timing(*[30.0] * 18, 400.0, 400.0)})

    assert [str(v) for v in report.page_verdicts(tail)] == ["✓ ≤60 ms", "✗ p95 ≤150 ms (400 ms)"]


def test_no_verdicts_without_the_target_size():
    small_only = PageResult("Videos", is_list=True, ours={"S": timing(20.0)})

    assert report.page_verdicts(small_only) == []


def test_a_varying_query_count_is_flagged():
    measured = Timing()
    for queries in (7, 9, 7):
        measured.add(10.0, 11.0, queries)

    assert measured.query_count() == "7–9 ⚠ varies"
    assert timing(1.0, 2.0).query_count() == "7"


def test_saves_and_review_next_verdicts():
    saves = SaveResult(1000, {"guarded": 850.0, "plain": 1000.0, "raw": 1200.0})
    fast = report.ReviewNextResult(16, timing(*[5.0] * 19, 30.0))
    slow = report.ReviewNextResult(16, timing(*[5.0] * 18, 30.0, 30.0))

    assert str(saves.verdict()) == "✗ guarded ≥0.9× plain (0.85×)"
    assert fast.verdict().ok
    assert not slow.verdict().ok


def test_the_table_has_a_row_per_page_and_every_section():
    run = Run(sizes=SIZES, requests=20, machine={"CPU": "Test CPU", "cores": "2"})
    run.pages = [page(), page("Video timeline", stock=None, is_list=False)]
    run.saves = SaveResult(1000, {"guarded": 950.0, "plain": 1000.0, "raw": 1200.0})
    run.review_next = report.ReviewNextResult(16, timing(*[4.0] * 20))
    run.workers = [report.WorkerResult(1, 300, 10.0, {"published": 300})]
    run.worker_size = "L"

    text = report.render(run)

    assert (
        "| Videos | 20.0 | 20.0 | 25.0 | 25.0 | 7 | 400.0 | 16.0× | "
        "✓ ≤60 ms, ✓ p95 ≤150 ms, ✓ ≤1.5×S, ✓ ≥10× stock |" in text
    )
    assert (
        "| Video timeline | 20.0 | 20.0 | 25.0 | 25.0 | 7 | — | — | "
        "✓ ≤60 ms, ✓ p95 ≤150 ms, ✓ ≤1.5×S |" in text
    )
    assert "Guarded / plain: 0.95× — ✓ guarded ≥0.9× plain" in text
    assert "✓ p95 <20 ms" in text
    assert "| 1 | 300 | 10.00 | 30.0 | — | — | published 300 |" in text
    assert "| CPU | Test CPU |" in text


def test_a_run_without_l_says_the_targets_were_not_measured():
    run = Run(sizes={"S": 10_000}, requests=5)
    run.pages = [PageResult("Videos", is_list=True, ours={"S": timing(20.0)})]

    text = report.render(run)

    assert "| Videos | 20.0 | 20.0 | 7 | — | — | — |" in text
    assert "Targets speak of L, which this run did not measure." in text


def test_the_publish_sections_show_each_channel_and_the_wake_up_verdicts():
    run = Run(sizes={"S": 10_000}, requests=5)
    run.worker_size = "publish"
    run.workers = [
        report.WorkerResult(1, 160, 16.0, {"published": 160}, "slow", 8, 8, 10.6),
        report.WorkerResult(2, 160, 10.0, {"published": 160}, "slow", 8, 16),
    ]
    run.wakeups = report.WakeupResult([100.0] * 19 + [1500.0], 6, 5.0, [20.0] * 20)

    text = report.render(run)

    assert "## Publish workers (publish, slow channel, concurrency 8)" in text
    assert "| 1 | 160 | 16.00 | 10.0 | 10.6 | 8 | published 160 |" in text
    assert "| 2 | 160 | 10.00 | 16.0 | — | 16 | published 160 |" in text
    assert "✓ one worker ≥8 tasks/s" in text
    assert "| to the channel call | 20 | 100 | 100 | 1500 |" in text
    assert "| to the claim | 20 | 20 | 20 | 20 |" in text
    assert "✓ p95 <1000 ms" in text


def test_each_size_details_what_its_own_dataset_was_measured_on():
    run = Run(sizes=SIZES, requests=5)
    searched = page("Videos: search title (few)")
    searched.notes = {"S": "“cape”, 13 videos", "L": "“bamboozle”, 762 videos"}
    run.pages = [searched]

    text = report.render(run)

    assert "| Videos: search title (few) | S |" in text
    assert [line.rsplit("|", 2)[-2].strip() for line in text.splitlines()
            if line.startswith("| Videos: search title (few) | ")][-2:] == [
        "“cape”, 13 videos", "“bamboozle”, 762 videos"]  # fmt: skip


def test_rounds_of_the_local_channel_are_listed_and_judged_by_their_medians():
    run = Run(sizes={"S": 10_000}, requests=5)
    run.worker_size = "publish"
    seconds = {(1, 1): 10.0, (1, 2): 8.0, (2, 1): 30.0, (2, 2): 7.0, (3, 1): 12.0, (3, 2): 6.0}
    run.workers = [
        report.WorkerResult(k, 300, s, {"published": 300}, "local", 8, round=r)
        for (r, k), s in seconds.items()
    ]

    text = report.render(run)

    assert "| round | workers | tasks |" in text
    assert "| 2 | 1 | 300 | 30.00 | 10.0 | — | — | published 300 |" in text
    # Medians: one worker 300/12 = 25.0 (30.0, 10.0, 25.0); two 300/7 = 42.9.
    assert "Tasks/s by workers (the median of 3 rounds): 1: 25.0, 2: 42.9." in text
    assert "✓ more workers publish more than one" in text

    for w in run.workers:
        if w.workers == 2:
            w.seconds = 60.0
    assert "✗ more workers publish more than one (1: 25.0, 2: 5.0)" in report.render(run)
