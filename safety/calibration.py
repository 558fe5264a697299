"""Score calibration: how the pipeline's risk score compares with what humans decided.

Read from the rollup (`CalibrationCount`, kept by a trigger on final decisions):
per category and overall, final decisions counted by score bin of 0.01 and
verdict. A lead's QA verdict that reverses a decision moves its count to the
lead's verdict, and a report the pipeline cleared counts once QA settles it (a
second trigger, safety/migrations/0013 and 0014): what humans finally decided
is what the score is judged against. From it: the share rejected per
score range (a reliability diagram), for each possible bulk-approve limit what
it would have let through that a human rejected, whether
SAFETY_BULK_APPROVE_MAX_SCORE is safe, and which categories' scores not to
trust (TRUST_RULE).

`score_bin` and `report_categories` define the rollup; the triggers are their
SQL twin (safety/migrations/0009_calibration.py, 0014), and `count_from_scratch`
computes the same counts from the log directly, for tests and checks.
"""

import itertools
import math
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from safety.calibration_models import OVERALL, CalibrationCount
from safety.issues import parse_issues
from safety.models import ActionKind, QAAction, QAStage, ReviewAction

BINS = 100  # score bins of 0.01; bin k holds (k-1)/100 < score <= k/100
NO_SCORE = -1
UNKNOWN = "unknown"
NO_ISSUES = "(no issues)"
CATEGORY_LENGTH = 100
VERDICTS = (ActionKind.APPROVE, ActionKind.REJECT)

# Widths of the reliability diagram's bars, and steps of the limits table,
# in hundredths (what the query string may ask for).
BAR_WIDTHS = (5, 10, 20)
LIMIT_STEPS = (1, 5, 10)

MIN_DECISIONS = 20  # fewer decisions in a category: too few to judge its scores
MIN_PER_HALF = 10
TRUST_RULE = (
    f"A category's scores are not to be trusted when a report in it scored at or below "
    f"the bulk-approve limit was rejected, or when reports scored above 0.5 were not "
    f"rejected more often than those at or below 0.5 (with at least {MIN_PER_HALF} "
    f"decisions on each side). Categories with fewer than {MIN_DECISIONS} decisions are "
    f"too few to judge."
)

Cells = dict[tuple[str, int, str], int]  # (category, score bin, verdict) -> decisions


def score_bin(score) -> int:
    """The least k with score <= k/100, as doubles compare (the bulk limit's
    own comparison); NO_SCORE without a score. Scores outside [0, 1] count at
    the nearest end."""
    if score is None or math.isnan(score):
        return NO_SCORE
    s = min(max(score, 0.0), 1.0)
    k = math.ceil(s * BINS)
    if k > 0 and s <= (k - 1) / BINS:
        return k - 1
    if k < BINS and s > k / BINS:
        return k + 1
    return k


def report_categories(document) -> set[str]:
    """The categories a report counts under, read with safety.issues' parser:
    UNKNOWN for an issue it could not read or whose category is missing, blank
    or not text; NO_ISSUES for a report without issues."""
    issues = parse_issues(document)
    if not issues:
        return {NO_ISSUES}
    return {_category(issue) for issue in issues}


def _category(issue) -> str:
    # "?" is the parser's mark for a missing category.
    if issue.unreadable or "category" in issue.malformed or issue.category in ("", "?"):
        return UNKNOWN
    return issue.category[:CATEGORY_LENGTH]


def rollup_cells() -> Cells:
    """The rollup as it stands: one query over a few thousand rows at most."""
    rows = CalibrationCount.objects.values_list("category", "score_bin", "verdict", "decisions")
    return {(category, bin_, verdict): n for category, bin_, verdict, n in rows if n}


def count_from_scratch() -> Cells:
    """The rollup's counts computed from the review log itself (reads every
    final decision: for tests and checks, never a page)."""
    cells = Counter()
    decisions = ReviewAction.objects.filter(kind__in=VERDICTS).values_list(
        "pk", "kind", "score_seen", "report__issues"
    )
    leads = QAAction.objects.filter(stage=QAStage.LEAD, kind__in=QAAction.VERDICTS)
    final = dict(leads.values_list("sample__first_decision_id", "kind"))
    decided = (
        (final.get(pk, kind), score, issues)  # a lead's QA verdict stands
        for pk, kind, score, issues in decisions.iterator(chunk_size=2000)
    )
    # Reports the pipeline cleared count once QA settled them: under the
    # second review's verdict when it agreed with the pipeline, else the lead's.
    settled = QAAction.objects.filter(
        sample__first_decision__isnull=True, kind__in=QAAction.VERDICTS
    ).select_related("sample__report")
    cleared = (
        (action.kind, action.sample.report.score, action.sample.report.issues)
        for action in settled.iterator(chunk_size=2000)
        if action.stage == QAStage.LEAD or action.verdict == action.sample.first_verdict
    )
    for kind, score, issues in itertools.chain(decided, cleared):
        bin_ = score_bin(score)
        for category in {OVERALL, *report_categories(issues)}:
            cells[(category, bin_, kind)] += 1
    return dict(cells)


# What the page shows


@dataclass(frozen=True)
class Tally:
    decisions: int
    rejected: int

    @property
    def approved(self) -> int:
        return self.decisions - self.rejected

    @property
    def rejected_share(self) -> float | None:
        return self.rejected / self.decisions if self.decisions else None

    @property
    def rejected_percent(self) -> str:
        share = self.rejected_share
        return "—" if share is None else f"{share:.1%}"


@dataclass(frozen=True)
class Bar:
    """A score range of the reliability diagram: (low, high], 0 included in the first."""

    low: Decimal
    high: Decimal
    tally: Tally


@dataclass(frozen=True)
class Limit:
    """What a bulk-approve limit would have let through."""

    limit: Decimal
    tally: Tally  # decisions on reports scored at or below it
    current: bool


@dataclass(frozen=True)
class Scope:
    """The counts of one category (or of all, `category` OVERALL), by fine bin."""

    category: str
    approved: tuple[int, ...]  # index: score bin 0..100
    rejected: tuple[int, ...]
    unscored: Tally

    @property
    def label(self) -> str:
        return self.category or "all categories"

    @property
    def total(self) -> Tally:
        return Tally(
            sum(self.approved) + sum(self.rejected) + self.unscored.decisions,
            sum(self.rejected) + self.unscored.rejected,
        )

    def between(self, first: int, last: int) -> Tally:
        """Decisions on scores in fine bins first..last."""
        rejected = sum(self.rejected[first : last + 1])
        return Tally(sum(self.approved[first : last + 1]) + rejected, rejected)

    def bars(self, width: int) -> list[Bar]:
        return [
            Bar(_hundredths(low), _hundredths(low + width), self.between(low + 1, low + width))
            if low
            else Bar(_hundredths(0), _hundredths(width), self.between(0, width))
            for low in range(0, BINS, width)
        ]

    def limits(self, step: int, *, current_bin: int) -> list[Limit]:
        return [
            Limit(_hundredths(k), self.between(0, k), current=k == current_bin)
            for k in sorted({*range(0, BINS + 1, step), current_bin})
        ]


def scopes(cells: Cells) -> dict[str, Scope]:
    """Every category with decisions, and OVERALL, from the rollup's cells."""
    names = {OVERALL} | {category for category, _, _ in cells}
    return {name: _scope(name, cells) for name in sorted(names)}


def _scope(category: str, cells: Cells) -> Scope:
    def counts(verdict):
        return tuple(cells.get((category, k, verdict), 0) for k in range(BINS + 1))

    unscored_rejected = cells.get((category, NO_SCORE, ActionKind.REJECT), 0)
    unscored = cells.get((category, NO_SCORE, ActionKind.APPROVE), 0) + unscored_rejected
    return Scope(
        category,
        counts(ActionKind.APPROVE),
        counts(ActionKind.REJECT),
        Tally(unscored, unscored_rejected),
    )


def _hundredths(k: int) -> Decimal:
    return Decimal(k) / 100


# The bulk limit and trust


def bulk_limit() -> float:
    return settings.SAFETY_BULK_APPROVE_MAX_SCORE


def limit_bin(limit: float) -> int:
    """The fine bin the limit falls in: counting through it covers every score
    bulk approval accepts (and, for a limit between steps, a little more)."""
    return score_bin(limit)


def limit_verdict(scope: Scope, limit: float) -> str:
    """`safe: …` or `unsafe: …`, in words a lead reads at a glance."""
    k = limit_bin(limit)
    shown = f"{limit:g}"
    if k != NO_SCORE and Decimal(k) / 100 != Decimal(str(limit)):
        shown = f"{limit:g} (counted up to {k / 100:.2f}, the next step)"
    total = scope.total.decisions
    if not total:
        return f"No final decisions yet: nothing shows whether a limit of {shown} is safe."
    below = scope.between(0, k)
    if below.rejected:
        lowest = min(b for b in range(k + 1) if scope.rejected[b]) / 100
        return (
            f"unsafe: {below.rejected:,} of {below.decisions:,} reports scored ≤ {shown} "
            f"were rejected by a moderator in the last {total:,} decisions (the lowest "
            f"scored ≤ {lowest:.2f}); bulk approval would have let them through."
        )
    return (
        f"safe: no rejected report scored ≤ {shown} in the last {total:,} decisions "
        f"({below.decisions:,} of them scored that low)."
    )


def highest_safe_limit(scope: Scope) -> Decimal | None:
    """The highest step below every rejected score, or None if 0 was rejected."""
    rejected_bins = [k for k in range(BINS + 1) if scope.rejected[k]]
    if not rejected_bins:
        return _hundredths(BINS)
    first = rejected_bins[0]
    return _hundredths(first - 1) if first > 0 else None


def trust_problem(scope: Scope, limit: float) -> str | None:
    """Why this category's scores are not to be trusted (TRUST_RULE), or None."""
    let_through = scope.between(0, limit_bin(limit)).rejected
    if let_through:
        return f"{let_through:,} rejected at or below the bulk limit {limit:g}"
    low, high = scope.between(0, BINS // 2), scope.between(BINS // 2 + 1, BINS)
    if (
        low.decisions >= MIN_PER_HALF
        and high.decisions >= MIN_PER_HALF
        and high.rejected_share <= low.rejected_share
    ):
        return (
            f"higher scores are not riskier: {high.rejected_share:.0%} rejected above 0.5, "
            f"{low.rejected_share:.0%} at or below"
        )
    return None


def too_few(scope: Scope) -> bool:
    return scope.total.decisions < MIN_DECISIONS
