"""Which reports go to QA: exact shares per stratum (moderator and category),
bulk approvals at their own rate, and the reports the pipeline cleared without
a human, which arrive by plain SQL and are drawn by the publish worker's sweep."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from contentops.roles import MODERATORS
from publishing.worker import SWEEP_STEPS, Worker
from safety import qa_sampling, services
from safety.models import QAClearedReport, QASample, QASource, QAVerdict
from tests.factories import TaskFactory, UserFactory
from tests.helpers import decide, pending
from videos.models import TaskType

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(decision=0.0, bulk=0.0, pipeline=0.0):
        settings.SAFETY_QA_SAMPLE_RATE = decision
        settings.SAFETY_QA_BULK_SAMPLE_RATE = bulk
        settings.SAFETY_QA_PIPELINE_SAMPLE_RATE = pipeline

    return set_rates


@pytest.fixture
def mods(roles):
    return [UserFactory(username=f"mod{n}", groups=[MODERATORS]) for n in range(2)]


def drawn(**filters) -> list:
    return list(QASample.objects.filter(**filters).order_by("id"))


def test_each_moderator_and_category_is_drawn_at_exactly_the_configured_share(rates, mods):
    rates(decision=0.25)
    first, second = mods
    decided = {
        ("mod0", "violence"): [decide(pending(category="violence"), first) for _ in range(8)],
        ("mod0", "hate"): [
            decide(pending(category="hate"), first, "reject", "hate", "slur") for _ in range(4)
        ],
        ("mod1", "violence"): [decide(pending(category="violence"), second) for _ in range(8)],
    }
    for (name, category), actions in decided.items():
        samples = drawn(moderator__username=name, category=category)
        # The 4th and 8th of each stratum: a counter, not a coin.
        assert [s.first_decision_id for s in samples] == [a.pk for a in actions[3::4]]
        assert {s.source for s in samples} == {QASource.DECISION}
    assert {s.first_verdict for s in drawn(category="hate")} == {QAVerdict.REJECTED}
    assert QASample.objects.count() == 2 + 1 + 2


def test_a_rate_of_one_draws_every_final_decision_and_none_of_the_escalations(rates, mods, lead):
    rates(decision=1.0)
    report = pending()
    decide(report, mods[0], "escalate", "policy_unclear", "unsure")
    assert not QASample.objects.exists()
    action = decide(report, lead, "reject", "violence", "graphic")
    (sample,) = drawn()
    assert (sample.moderator, sample.first_decision, sample.first_verdict) == (
        lead,
        action,
        QAVerdict.REJECTED,
    )


def test_bulk_approvals_are_drawn_at_the_bulk_rate(rates, mods):
    rates(decision=0.0, bulk=0.5)
    singles = [pending(score=0.1) for _ in range(4)]
    for report in singles:
        decide(report, mods[0])
    assert not QASample.objects.exists(), "single decisions at rate 0"
    bulk = [pending(score=0.1) for _ in range(6)]
    result = services.bulk_approve(
        report_ids=[r.pk for r in bulk], moderator=mods[0], reason_code="no_violation"
    )
    assert len(result.decided) == 6
    samples = drawn()
    assert len(samples) == 3
    assert {s.source for s in samples} == {QASource.BULK}
    # Every second one, in the order bulk approve decided them.
    assert [s.report_id for s in samples] == sorted((r.pk for r in bulk), key=str)[1::2]


def test_the_worst_issue_names_the_stratum():
    issues = [
        {"category": "spam", "severity": "low"},
        {"category": "violence", "severity": "high"},
        {"category": "hate", "severity": "high"},
    ]
    assert qa_sampling.primary_category(issues) == "violence"
    assert qa_sampling.primary_category([]) == ""
    assert qa_sampling.primary_category({"not": "a list"}) == ""
    assert qa_sampling.primary_category([{"category": 7, "severity": "low"}]) == ""


@pytest.mark.django_db(transaction=True)
def test_reports_the_pipeline_cleared_by_plain_sql_are_drawn_per_category_by_the_sweep(
    rates, pipeline_db
):
    rates(pipeline=0.5)
    assert qa_sampling.sample_cleared_reports in SWEEP_STEPS
    pipeline = pipeline_db()

    def insert(category, *, human=False):
        task = TaskFactory(type=TaskType.SAFETY_CHECK)
        issues = json.dumps([{"category": category, "severity": "low"}])
        return pipeline.execute(
            "INSERT INTO safety_reports (task_id, score, issues, requires_human_review) "
            "VALUES (%s, 0.05, %s, %s) RETURNING report_id",
            [task.pk, issues, human],
        ).fetchone()[0]

    violence = [insert("violence") for _ in range(6)]
    hate = [insert("hate") for _ in range(3)]
    asked_for_a_human = [insert("violence", human=True) for _ in range(3)]
    assert QAClearedReport.objects.count() == 9, "the trigger saw each cleared insert"

    Worker(name="qa-test", poll=0).run(once=True)

    samples = drawn()
    assert [s.report_id for s in samples if s.category == "violence"] == violence[1::2]
    assert [s.report_id for s in samples if s.category == "hate"] == hate[1::2]
    assert {(s.source, s.first_verdict, s.moderator_id) for s in samples} == {
        (QASource.PIPELINE, QAVerdict.APPROVED, None)
    }
    assert not set(asked_for_a_human) & {s.report_id for s in samples}
    assert not QAClearedReport.objects.exists(), "the sweep emptied the outbox"


def test_a_rate_that_is_not_a_share_fails_the_system_check(settings):
    settings.SAFETY_QA_BULK_SAMPLE_RATE = 1.5
    with pytest.raises(SystemCheckError, match="SAFETY_QA_BULK_SAMPLE_RATE=1.5"):
        call_command("check")
