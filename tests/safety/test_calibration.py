"""Score calibration: the rollup a trigger keeps, and what is read from it.

The rollup must equal a computation from the review log itself (after
decisions made one by one, concurrently, and by the migration's backfill);
bins, limits, the verdict and the trust rule are checked against a small
example computed by hand.
"""

import importlib
import random
import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from contentops.roles import LEADS, MODERATORS
from safety import calibration, qa, services
from safety.calibration import (
    NO_ISSUES,
    NO_SCORE,
    UNKNOWN,
    count_from_scratch,
    report_categories,
    rollup_cells,
    scopes,
    score_bin,
)
from safety.calibration_models import OVERALL, CalibrationCount
from safety.models import ActionKind, QASample, SafetyReport
from tests.factories import PendingReportFactory, SafetyReportFactory, UserFactory

migration = importlib.import_module("safety.migrations.0009_calibration")
reversals = importlib.import_module("safety.migrations.0013_calibration_qa_reversals")
pipeline_verdicts = importlib.import_module(
    "safety.migrations.0014_calibration_qa_pipeline_verdicts"
)

EDGE_SCORES = [
    0.0,
    1e-300,
    0.005,
    0.01,
    0.010000000000000002,
    0.1,
    0.29999999999999993,
    0.3,
    0.30000000000000004,
    0.305,
    0.57,
    0.99,
    0.9900000000000001,
    1.0,
    None,
]

MALFORMED_ISSUES = [
    None,
    [],
    "not a list",
    {"category": "violence"},
    42,
    [None],
    ["text entry"],
    [{"severity": "low"}],
    [{"category": ""}],
    [{"category": "?"}],
    [{"category": 7}],
    [{"category": ["spam"]}],
    [{"category": "violence"}, {"category": "violence"}, {"category": None}],
    [{"category": "x" * 300}],
    [{"category": "Spam"}, {"category": "spam"}],
]


@pytest.fixture
def moderator_user(roles):
    return UserFactory(username="calibrator", groups=[MODERATORS])


def decide(report, who, kind):
    reason = {ActionKind.APPROVE: "no_violation", ActionKind.REJECT: "violence"}[kind]
    note = "seen" if kind == ActionKind.REJECT else ""
    return services.decide(
        report_id=report.pk, moderator=who, kind=kind, reason_code=reason, note=note
    )


def report(score, issues):
    return PendingReportFactory(score=score, issues=issues)


# The definitions: Python and the trigger's SQL agree


@pytest.mark.django_db
def test_score_bins_in_sql_equal_score_bins_in_python_at_every_edge():
    with connection.cursor() as cursor:
        for score in EDGE_SCORES:
            cursor.execute("SELECT safety_score_bin(%s::double precision)", [score])
            assert cursor.fetchone()[0] == score_bin(score), score


def test_a_score_at_a_step_counts_at_that_step_and_just_above_it_at_the_next():
    assert score_bin(0.3) == 30
    assert score_bin(0.30000000000000004) == 31  # the bulk limit 0.3 refuses it
    assert score_bin(0.29999999999999993) == 30
    assert score_bin(0.0) == 0
    assert score_bin(0.005) == 1
    assert score_bin(1.0) == 100
    assert score_bin(None) == NO_SCORE


@pytest.mark.django_db
def test_categories_in_sql_equal_the_issue_parsers_reading_of_any_document():
    with connection.cursor() as cursor:
        for document in MALFORMED_ISSUES:
            cursor.execute("SELECT safety_issue_categories(%s::jsonb)", [_json(document)])
            got = {row[0] for row in cursor.fetchall()}
            assert got == report_categories(document), document


def test_malformed_issues_count_as_unknown_and_no_issues_as_none():
    assert report_categories("not a list") == {UNKNOWN}
    assert report_categories([{"severity": "low"}, {"category": "spam"}]) == {UNKNOWN, "spam"}
    assert report_categories([{"category": {"nested": 1}}]) == {UNKNOWN}
    assert report_categories(None) == report_categories([]) == {NO_ISSUES}


def _json(document):
    import json

    return json.dumps(document)


# The hand-computed example


@pytest.fixture
def example(moderator_user):
    """Eight decided reports: (score, categories, verdict)."""
    approve, reject = ActionKind.APPROVE, ActionKind.REJECT
    violence, spam = [{"category": "violence"}], [{"category": "spam"}]
    for score, issues, kind in [
        (0.05, violence, approve),
        (0.10, violence, approve),
        (0.25, spam, reject),
        (0.30, violence, approve),
        (0.31, violence, reject),
        (0.80, violence + spam, reject),
        (0.95, "not a list", approve),
        (None, violence, reject),
    ]:
        decide(report(score, issues), moderator_user, kind)
    return scopes(rollup_cells())


@pytest.mark.django_db
def test_the_rollup_counts_each_decision_once_overall_and_once_per_category(example):
    assert example[OVERALL].total == calibration.Tally(8, 4)
    assert example["violence"].total == calibration.Tally(6, 3)
    assert example["spam"].total == calibration.Tally(2, 2)
    assert example[UNKNOWN].total == calibration.Tally(1, 0)
    assert example[OVERALL].unscored == calibration.Tally(1, 1)


@pytest.mark.django_db
def test_reliability_bars_count_decisions_and_rejections_per_score_range(example):
    bars = {(str(b.low), str(b.high)): b.tally for b in example[OVERALL].bars(10)}
    assert bars[("0", "0.1")] == calibration.Tally(2, 0)
    assert bars[("0.1", "0.2")] == calibration.Tally(0, 0)
    assert bars[("0.2", "0.3")] == calibration.Tally(2, 1)
    assert bars[("0.3", "0.4")] == calibration.Tally(1, 1)
    assert bars[("0.7", "0.8")] == calibration.Tally(1, 1)
    assert bars[("0.9", "1")] == calibration.Tally(1, 0)
    assert len(bars) == 10
    assert bars[("0.2", "0.3")].rejected_share == 0.5


@pytest.mark.django_db
def test_each_limit_counts_what_it_would_have_let_through(example):
    limits = {str(row.limit): row for row in example[OVERALL].limits(10, current_bin=30)}
    assert limits["0"].tally == calibration.Tally(0, 0)
    assert limits["0.2"].tally == calibration.Tally(2, 0)
    assert limits["0.3"].tally == calibration.Tally(4, 1)
    assert limits["0.4"].tally == calibration.Tally(5, 2)
    assert limits["1"].tally == calibration.Tally(7, 3)  # the unscored one is never let through
    assert [str(row.limit) for row in limits.values() if row.current] == ["0.3"]


@pytest.mark.django_db
def test_a_limit_between_steps_is_listed_and_marked_as_well(example):
    rows = example[OVERALL].limits(10, current_bin=calibration.limit_bin(0.333))
    assert [str(r.limit) for r in rows if r.current] == ["0.34"]
    assert str(rows[4].limit) == "0.34"


@pytest.mark.django_db
def test_the_verdict_says_unsafe_when_a_rejected_report_scored_at_or_below_the_limit(example):
    verdict = calibration.limit_verdict(example[OVERALL], 0.3)
    assert verdict.startswith("unsafe: 1 of 4 reports scored ≤ 0.3 were rejected")
    assert "last 8 decisions" in verdict
    assert "lowest scored ≤ 0.25" in verdict


@pytest.mark.django_db
def test_the_verdict_says_safe_when_nothing_at_or_below_the_limit_was_rejected(example):
    verdict = calibration.limit_verdict(example[OVERALL], 0.2)
    assert verdict == (
        "safe: no rejected report scored ≤ 0.2 in the last 8 decisions (2 of them scored that low)."
    )
    assert calibration.highest_safe_limit(example[OVERALL]) == Decimal("0.24")


@pytest.mark.django_db
def test_a_category_with_a_rejection_below_the_limit_is_not_to_be_trusted(example):
    assert calibration.trust_problem(example["spam"], 0.3) == (
        "1 rejected at or below the bulk limit 0.3"
    )
    assert calibration.trust_problem(example["violence"], 0.3) is None
    assert calibration.too_few(example["violence"])


def test_a_category_whose_high_scores_are_not_riskier_is_not_to_be_trusted():
    approve, reject = ActionKind.APPROVE, ActionKind.REJECT
    # Low scores: 10 decisions, 5 rejected; high: 10 decisions, 3 rejected.
    cells = {
        ("spam", 40, approve): 5,
        ("spam", 40, reject): 5,
        ("spam", 90, approve): 7,
        ("spam", 90, reject): 3,
    }
    scope = scopes(cells)["spam"]
    assert calibration.trust_problem(scope, 0.3) == (
        "higher scores are not riskier: 30% rejected above 0.5, 50% at or below"
    )
    cells[("spam", 90, reject)] = 9
    assert calibration.trust_problem(scopes(cells)["spam"], 0.3) is None


def test_no_decisions_gives_no_verdict_either_way():
    assert calibration.limit_verdict(scopes({})[OVERALL], 0.3).startswith("No final decisions yet")


# The rollup equals a computation from scratch


def _generated_reports(count, seed):
    rng = random.Random(seed)
    categories = ["violence", "spam", "hate", "self_harm"]
    documents = [*MALFORMED_ISSUES]
    made = []
    for _ in range(count):
        if rng.random() < 0.3:
            issues = rng.choice(documents)
        else:
            issues = [{"category": c} for c in rng.sample(categories, rng.randint(1, 3))]
        score = rng.choice([None, *EDGE_SCORES, round(rng.random(), rng.randint(1, 4))])
        made.append((report(score, issues), rng.random() < 0.4))
    return made


@pytest.mark.django_db
def test_the_rollup_equals_a_computation_from_the_log_over_generated_decisions(moderator_user):
    for made, rejected in _generated_reports(60, seed=13):
        kind = ActionKind.REJECT if rejected else ActionKind.APPROVE
        decide(made, moderator_user, kind)
    services.decide(
        report_id=report(0.5, []).pk,
        moderator=moderator_user,
        kind=ActionKind.ESCALATE,
        reason_code="other",
        note="not final: not counted",
    )
    assert rollup_cells() == count_from_scratch()
    assert scopes(rollup_cells())[OVERALL].total.decisions == 60


@pytest.mark.django_db
def test_the_migrations_backfill_equals_a_computation_from_the_log(moderator_user):
    for made, rejected in _generated_reports(30, seed=7):
        decide(made, moderator_user, ActionKind.REJECT if rejected else ActionKind.APPROVE)
    CalibrationCount.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL_SQL)
    assert rollup_cells() == count_from_scratch()


def run_threads(targets):
    """Every target on its own thread (so its own connection), started together."""
    barrier = threading.Barrier(len(targets))
    errors = []

    def run(target):
        try:
            barrier.wait(timeout=10)
            target()
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_the_rollup_equals_a_computation_from_the_log_after_concurrent_decisions(roles):
    moderators = [UserFactory(username=f"mod{n}", groups=[MODERATORS]) for n in range(6)]
    # Every report in the same bins and categories: the decisions fight over rows.
    reports = [report(0.2 + (n % 2) / 100, [{"category": "violence"}]) for n in range(12)]
    SafetyReport.objects.filter(pk=reports[0].pk).update(issues=[{"category": "spam"}])
    pairs = list(zip(reports[0::2], reports[1::2], strict=True))

    def work(moderator, first, second):
        def target():
            decide(first, moderator, ActionKind.REJECT)
            decide(second, moderator, ActionKind.APPROVE)

        return target

    run_threads([work(m, a, b) for m, (a, b) in zip(moderators, pairs, strict=True)])
    assert rollup_cells() == count_from_scratch()
    assert scopes(rollup_cells())[OVERALL].total == calibration.Tally(12, 6)


# A lead's QA verdict


def qa_verdict(sample, who, kind, *, lead=False):
    reason, note = ("violence", "looked again") if kind == "reject" else ("no_violation", "")
    verdict = qa.resolve if lead else qa.review
    person = {"lead": who} if lead else {"reviewer": who}
    verdict(sample_id=sample.pk, kind=kind, reason_code=reason, note=note, **person)


@pytest.fixture
def reversed_in_qa(moderator_user, settings):
    """Two approvals at 0.12 drawn for QA and disputed: a lead rejects one
    (a reversal) and upholds the other."""
    settings.SAFETY_QA_SAMPLE_RATE = 1.0
    second = UserFactory(username="second-look", groups=[MODERATORS])
    lead = UserFactory(username="the-lead", groups=[LEADS])
    samples = []
    for _ in range(2):
        action = decide(report(0.12, [{"category": "violence"}]), moderator_user, "approve")
        samples.append(QASample.objects.get(first_decision=action))
        qa_verdict(samples[-1], second, "reject")
    before = rollup_cells()
    qa_verdict(samples[0], lead, "reject", lead=True)
    qa_verdict(samples[1], lead, "approve", lead=True)
    return before


@pytest.mark.django_db
def test_a_decision_a_lead_reverses_in_qa_counts_under_the_leads_verdict(reversed_in_qa):
    twelve = score_bin(0.12)
    assert reversed_in_qa[(OVERALL, twelve, "approve")] == 2
    cells = rollup_cells()
    for category in (OVERALL, "violence"):
        assert cells[(category, twelve, "approve")] == 1  # upheld
        assert cells[(category, twelve, "reject")] == 1  # reversed
    assert cells == count_from_scratch()
    overall = scopes(cells)[OVERALL]
    assert overall.total == calibration.Tally(2, 1)
    assert overall.between(0, twelve).rejected == 1, "the bulk limit's table sees the rejection"


@pytest.fixture
def cleared_in_qa(roles):
    """Three reports the pipeline cleared, drawn for QA: one agreed with, one
    a lead rejects after a dispute, one still disputed."""
    second = UserFactory(username="second-look", groups=[MODERATORS])
    lead = UserFactory(username="the-lead", groups=[LEADS])
    samples = []
    for score in (0.05, 0.05, 0.4):
        cleared = SafetyReportFactory(
            requires_human_review=False, score=score, issues=[{"category": "spam"}]
        )
        samples.append(
            QASample.objects.create(report=cleared, source="pipeline", first_verdict="approved")
        )
    qa_verdict(samples[0], second, "approve")
    qa_verdict(samples[1], second, "reject")
    qa_verdict(samples[1], lead, "reject", lead=True)
    qa_verdict(samples[2], second, "reject")


@pytest.mark.django_db
def test_a_report_the_pipeline_cleared_counts_once_qa_settles_it(cleared_in_qa):
    low = score_bin(0.05)
    cells = rollup_cells()
    for category in (OVERALL, "spam"):
        assert cells[(category, low, "approve")] == 1  # the second review agreed
        assert cells[(category, low, "reject")] == 1  # the lead's verdict
    assert not any(bin_ == score_bin(0.4) for _, bin_, _ in cells), "still disputed"
    assert cells == count_from_scratch()


@pytest.mark.django_db
def test_the_migrations_pipeline_backfill_equals_a_computation_and_undoes(cleared_in_qa):
    after = rollup_cells()
    with connection.cursor() as cursor:
        cursor.execute(pipeline_verdicts.counts_sql(-1))
        assert not {cell: n for cell, n in rollup_cells().items() if n}
        CalibrationCount.objects.all().delete()
        cursor.execute(migration.BACKFILL_SQL)
        cursor.execute(reversals.moves_sql(1))
        cursor.execute(pipeline_verdicts.counts_sql(1))
    assert rollup_cells() == after == count_from_scratch()


@pytest.mark.django_db
def test_the_migrations_reversals_backfill_equals_a_computation_and_undoes(reversed_in_qa):
    after = rollup_cells()
    with connection.cursor() as cursor:
        cursor.execute(reversals.moves_sql(-1))
        undone = rollup_cells()
        CalibrationCount.objects.all().delete()
        cursor.execute(migration.BACKFILL_SQL)
        cursor.execute(reversals.moves_sql(1))

    assert {cell: n for cell, n in undone.items() if n} == reversed_in_qa
    assert rollup_cells() == after == count_from_scratch()


@pytest.mark.django_db(transaction=True)
def test_the_rollup_equals_a_computation_after_reversals_amid_concurrent_decisions(roles, settings):
    settings.SAFETY_QA_SAMPLE_RATE = 1.0
    moderators = [UserFactory(username=f"mod{n}", groups=[MODERATORS]) for n in range(4)]
    leads = [UserFactory(username=f"lead{n}", groups=[LEADS]) for n in range(3)]
    violence = [{"category": "violence"}]
    disputed = []
    for _ in range(6):
        action = decide(report(0.2, violence), moderators[0], "approve")
        disputed.append(QASample.objects.get(first_decision=action))
        qa_verdict(disputed[-1], moderators[1], "reject")
    # New decisions in the same bin and category, made while the leads settle.
    fresh = [report(0.2, violence) for _ in range(6)]

    def settle(lead, samples):
        def target():
            for sample in samples:
                qa_verdict(sample, lead, "reject", lead=True)

        return target

    def decide_all(moderator, reports):
        def target():
            for n, made in enumerate(reports):
                decide(made, moderator, "reject" if n % 2 else "approve")

        return target

    run_threads(
        [settle(lead, disputed[n::3]) for n, lead in enumerate(leads)]
        + [decide_all(moderators[2], fresh[:3]), decide_all(moderators[3], fresh[3:])]
    )
    assert rollup_cells() == count_from_scratch()
    # The 6 disputed approvals are rejections now, and 2 of the 6 new decisions.
    assert scopes(rollup_cells())[OVERALL].total == calibration.Tally(12, 8)
