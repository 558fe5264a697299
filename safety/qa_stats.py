"""How well decisions hold up under QA: percent agreement and Cohen's kappa
between a decision and its blind second review, per moderator and per
category, and per moderator the overturn rate (the share of their QA'd
decisions a lead's verdict reversed).

Each read groups in the database (a handful of rows per moderator or
category, whatever the number of samples); kappa is computed from the counts.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, F

from safety.models import QAAction, QASample, QAStage, QAStatus

VERDICT_OF = {"approve": "approved", "reject": "rejected"}
PIPELINE = "the pipeline"


def cohen_kappa(counts: Counter) -> float | None:
    """Kappa from (first verdict, second verdict) -> count: (po − pe) / (1 − pe).
    None when there is nothing to compare, or when chance agreement is total
    (both reviews gave one and the same verdict throughout): kappa is undefined."""
    n = sum(counts.values())
    if n == 0:
        return None
    observed = sum(c for (first, second), c in counts.items() if first == second) / n
    firsts, seconds = Counter(), Counter()
    for (first, second), c in counts.items():
        firsts[first] += c
        seconds[second] += c
    expected = sum(firsts[v] * seconds[v] for v in firsts) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


@dataclass(frozen=True)
class Agreement:
    label: str
    counts: Counter

    @property
    def pairs(self) -> int:
        return sum(self.counts.values())

    @property
    def agreed(self) -> int:
        return sum(c for (first, second), c in self.counts.items() if first == second)

    @property
    def percent(self) -> float | None:
        return 100 * self.agreed / self.pairs if self.pairs else None

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(self.counts)


def _second_reviews():
    return QAAction.objects.filter(stage=QAStage.REVIEW, kind__in=QAAction.VERDICTS)


def _agreement(group: str) -> list[Agreement]:
    rows = (
        _second_reviews()
        .values(group=F(group), first=F("sample__first_verdict"), second=F("kind"))
        .annotate(n=Count("id"))
        .order_by()
    )
    tables: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        tables[row["group"]][(row["first"], VERDICT_OF[row["second"]])] += row["n"]
    return [Agreement(label, counts) for label, counts in sorted(tables.items(), key=_by_label)]


def _by_label(item) -> tuple:
    return (item[0] is None, str(item[0]))


def agreement_by_moderator() -> list[Agreement]:
    """Per first decider (username; the pipeline for the reports it cleared)."""
    return [
        Agreement(row.label or PIPELINE, row.counts)
        for row in _agreement("sample__moderator__username")
    ]


def agreement_by_category() -> list[Agreement]:
    """Per worst issue category of the report ("" when it listed none)."""
    return [Agreement(row.label or "(none)", row.counts) for row in _agreement("sample__category")]


@dataclass(frozen=True)
class Overturns:
    label: str
    closed: int  # QA'd decisions settled: agreed, or a lead's verdict
    overturned: int  # of which the lead's verdict reversed the decision

    @property
    def rate(self) -> float | None:
        return self.overturned / self.closed if self.closed else None


def overturn_by_moderator() -> list[Overturns]:
    closed = (
        QASample.objects.filter(status__in=[QAStatus.AGREED, QAStatus.RESOLVED])
        .values_list("moderator__username")
        .annotate(n=Count("id"))
        .order_by()
    )
    leads = (
        QAAction.objects.filter(stage=QAStage.LEAD, kind__in=QAAction.VERDICTS)
        .values_list("sample__moderator__username", "sample__first_verdict", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    overturned = Counter()
    for name, first, kind, n in leads:
        if VERDICT_OF[kind] != first:
            overturned[name] += n
    return [
        Overturns(name or PIPELINE, n, overturned[name])
        for name, n in sorted(closed, key=lambda row: _by_label(row))
    ]
