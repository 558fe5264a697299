"""Agreement between decisions and their blind second reviews: percent and
Cohen's kappa per moderator and per category, and the overturn rate."""

from collections import Counter

import pytest

from safety import qa_stats
from safety.models import QAAction, QASample, QAStage, QAStatus
from tests.factories import SafetyReportFactory, UserFactory

A, R = "approved", "rejected"


def test_kappa_matches_a_hand_computed_example():
    # 50 pairs: both approve 20, approve/reject 5, reject/approve 10, both reject 15.
    # po = 35/50 = 0.7; first approves 25/50, second 30/50;
    # pe = 0.5·0.6 + 0.5·0.4 = 0.5; kappa = (0.7 − 0.5) / (1 − 0.5) = 0.4.
    counts = Counter({(A, A): 20, (A, R): 5, (R, A): 10, (R, R): 15})
    assert qa_stats.cohen_kappa(counts) == pytest.approx(0.4)
    row = qa_stats.Agreement("someone", counts)
    assert (row.pairs, row.agreed, row.percent) == (50, 35, pytest.approx(70.0))


def test_kappa_is_undefined_when_both_reviews_gave_one_verdict_throughout():
    assert qa_stats.cohen_kappa(Counter({(A, A): 7})) is None
    assert qa_stats.cohen_kappa(Counter()) is None
    # Perfect agreement across both verdicts is 1; systematic disagreement below 0.
    assert qa_stats.cohen_kappa(Counter({(A, A): 3, (R, R): 2})) == pytest.approx(1.0)
    assert qa_stats.cohen_kappa(Counter({(A, R): 3, (R, A): 3})) == pytest.approx(-1.0)


def qa_sample(moderator, category, first, second, *, lead=None, reviewer, lead_user=None):
    """A settled sample: the report's verdict `first`, the second review `second`,
    and (on a disagreement) the lead's verdict `lead`."""
    status = QAStatus.AGREED if first == second else QAStatus.DISPUTED
    if lead:
        status = QAStatus.RESOLVED
    sample = QASample.objects.create(
        report=SafetyReportFactory(),
        source="decision" if moderator else "pipeline",
        first_verdict=first,
        moderator=moderator,
        category=category,
        status=status,
    )
    kind = {A: "approve", R: "reject"}
    QAAction.objects.create(sample=sample, actor=reviewer, stage=QAStage.REVIEW, kind=kind[second])
    if lead:
        QAAction.objects.create(sample=sample, actor=lead_user, stage=QAStage.LEAD, kind=kind[lead])
    return sample


@pytest.mark.django_db
def test_agreement_and_overturns_per_moderator_and_category():
    ann, bob, rev, boss = (UserFactory(username=n) for n in ("ann", "bob", "rev", "boss"))
    # ann: 4 second reviews, 3 agree; the disagreement the lead settled against her.
    qa_sample(ann, "violence", A, A, reviewer=rev)
    qa_sample(ann, "violence", R, R, reviewer=rev)
    qa_sample(ann, "hate", R, R, reviewer=rev)
    qa_sample(ann, "hate", A, R, reviewer=rev, lead=R, lead_user=boss)
    # bob: 2 second reviews, both disagree; the lead upheld one, the other waits.
    qa_sample(bob, "violence", A, R, reviewer=rev, lead=A, lead_user=boss)
    qa_sample(bob, "violence", R, A, reviewer=rev)
    # The pipeline cleared one; the second review agreed.
    qa_sample(None, "", A, A, reviewer=rev)

    by_moderator = {row.label: row for row in qa_stats.agreement_by_moderator()}
    assert list(by_moderator) == ["ann", "bob", "the pipeline"]
    assert (by_moderator["ann"].pairs, by_moderator["ann"].agreed) == (4, 3)
    # ann: po 3/4; first A 2, R 2; second A 1, R 3; pe = (2·1 + 2·3)/16 = 0.5; kappa 0.5.
    assert by_moderator["ann"].kappa == pytest.approx(0.5)
    assert by_moderator["bob"].percent == 0
    assert by_moderator["the pipeline"].kappa is None

    by_category = {row.label: row for row in qa_stats.agreement_by_category()}
    assert {k: (r.pairs, r.agreed) for k, r in by_category.items()} == {
        "hate": (2, 1),
        "violence": (4, 2),
        "(none)": (1, 1),
    }

    overturns = {row.label: row for row in qa_stats.overturn_by_moderator()}
    # Settled: agreed or a lead's verdict. ann 4, 1 overturned; bob 1, upheld.
    assert (overturns["ann"].closed, overturns["ann"].overturned) == (4, 1)
    assert overturns["ann"].rate == pytest.approx(0.25)
    assert (overturns["bob"].closed, overturns["bob"].overturned, overturns["bob"].rate) == (
        1,
        0,
        0.0,
    )
