"""The score calibration page for leads, and its numbers as CSV.

Served under the decision log's admin (/admin/safety/decisionlog/calibration/).
It reads only the rollup (one query), so it costs the same at a million
videos as at ten.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from core import inputs
from core.admin_pages import render_page
from core.csv_export import streaming_csv
from safety import calibration
from safety.calibration_models import OVERALL
from safety.models import ActionKind

PERMISSION = "safety.view_calibration"
DEFAULT_BAR_WIDTH = 10
DEFAULT_LIMIT_STEP = 5


@dataclass(frozen=True)
class Choices:
    category: str
    bars: int  # hundredths
    step: int  # hundredths

    def query(self, **changes) -> str:
        values = {"category": self.category, "bars": self.bars, "step": self.step} | changes
        return urlencode(
            {
                "category": values["category"],
                "bars": _as_text(values["bars"]),
                "step": _as_text(values["step"]),
            }
        )


def _as_text(hundredths: int) -> str:
    return f"{hundredths / 100:.2f}"


def _hundredths_param(query, name: str, allowed: tuple[int, ...], default: int, what: str):
    """One of `allowed` widths from the query string, and None; anything else
    gives `default` and why."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default, None
    spellings = {text: w for w in allowed for text in (f"{w / 100:g}", _as_text(w))}
    if raw.strip() in spellings:
        return spellings[raw.strip()], None
    return default, (
        f"Ignored {what} “{inputs.shown(raw)}”: choose one of "
        f"{', '.join(_as_text(w) for w in allowed)}; showing {_as_text(default)}."
    )


def read_choices(query, scopes: dict) -> tuple[Choices, list[str]]:
    """What the query string asks to see, and what in it was ignored and why."""
    problems = []
    category = query.get("category") or OVERALL
    if category not in scopes:
        shown = inputs.shown(category.replace("\x00", ""))
        problems.append(f"No final decisions in the category “{shown}”: showing all categories.")
        category = OVERALL
    bars, bars_problem = _hundredths_param(
        query, "bars", calibration.BAR_WIDTHS, DEFAULT_BAR_WIDTH, "the bar width"
    )
    step, step_problem = _hundredths_param(
        query, "step", calibration.LIMIT_STEPS, DEFAULT_LIMIT_STEP, "the limit step"
    )
    problems += [problem for problem in (bars_problem, step_problem) if problem]
    return Choices(category=category, bars=bars, step=step), problems


def _require(request) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


@dataclass(frozen=True)
class CategoryRow:
    scope: calibration.Scope
    let_through: int  # rejected at or below the bulk limit
    problem: str | None
    too_few: bool
    query: str
    log_query: str  # its rejections in the decision log


def category_rows(scopes: dict, choices: Choices, limit: float) -> list[CategoryRow]:
    limit_bin = calibration.limit_bin(limit)
    rows = [
        CategoryRow(
            scope=scope,
            let_through=scope.between(0, limit_bin).rejected,
            problem=calibration.trust_problem(scope, limit),
            too_few=calibration.too_few(scope),
            query=choices.query(category=name),
            log_query=urlencode(
                {"decision": ActionKind.REJECT, **({"category": name} if name else {})}
            ),
        )
        for name, scope in scopes.items()
    ]
    # Overall first, then the categories with most decisions.
    return sorted(rows, key=lambda row: (row.scope.category != OVERALL, -row.scope.total.decisions))


def chart_data(scope: calibration.Scope, choices: Choices, limit: float) -> dict:
    """What calibration.js draws: the bars and the limits, with their counts."""
    limit_bin = calibration.limit_bin(limit)
    return {
        "category": scope.label,
        "limit": limit,
        "bars": [
            {
                "label": f"{bar.low:.2f}–{bar.high:.2f}",
                "decisions": bar.tally.decisions,
                "rejected": bar.tally.rejected,
                "share": bar.tally.rejected_share,
            }
            for bar in scope.bars(choices.bars)
        ],
        # Every step of 0.01, so the curve shows exactly where rejections start.
        "limits": [
            {
                "limit": float(row.limit),
                "decisions": row.tally.decisions,
                "rejected": row.tally.rejected,
                "current": row.current,
            }
            for row in scope.limits(1, current_bin=limit_bin)
        ],
    }


@require_safe
def calibration_page(request, model_admin):
    _require(request)
    scopes = calibration.scopes(calibration.rollup_cells())
    choices, problems = read_choices(request.GET, scopes)
    for problem in problems:
        messages.warning(request, problem)
    scope, limit = scopes[choices.category], calibration.bulk_limit()
    limit_bin = calibration.limit_bin(limit)
    verdict = calibration.limit_verdict(scopes[OVERALL], limit)
    return render_page(
        request,
        model_admin,
        "admin/safety/calibration.html",
        title="Score calibration",
        choices=choices,
        scope=scope,
        limit=limit,
        verdict=verdict,
        safe=verdict.startswith("safe"),
        highest_safe=calibration.highest_safe_limit(scopes[OVERALL]),
        categories=category_rows(scopes, choices, limit),
        bars=scope.bars(choices.bars),
        limits=scope.limits(choices.step, current_bin=limit_bin),
        chart=chart_data(scope, choices, limit),
        trust_rule=calibration.TRUST_RULE,
        bar_widths=[(w, _as_text(w)) for w in calibration.BAR_WIDTHS],
        limit_steps=[(s, _as_text(s)) for s in calibration.LIMIT_STEPS],
        log_url=reverse("admin:safety_decisionlog_changelist"),
        csv_url=reverse("admin:safety_decisionlog_calibration_csv") + "?" + choices.query(),
    )


CSV_HEADER = (
    "category",
    "table",
    "score_from",
    "score_to",
    "decisions",
    "rejected",
    "approved",
    "rejected_share",
    "current_limit",
)


@require_safe
def calibration_csv(request, model_admin):
    """Every category's bars and limits at the page's widths, one CSV."""
    _require(request)
    scopes = calibration.scopes(calibration.rollup_cells())
    choices, problems = read_choices(request.GET, scopes)
    if problems:
        # The page says what is wrong with the query, and offers the CSV of what it shows.
        page = reverse("admin:safety_decisionlog_calibration")
        return HttpResponseRedirect(f"{page}?{request.GET.urlencode()}")
    limit_bin = calibration.limit_bin(calibration.bulk_limit())
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return streaming_csv(
        filename=f"score-calibration-{stamp}.csv",
        header=CSV_HEADER,
        rows=_csv_rows(scopes, choices, limit_bin),
    )


def _csv_rows(scopes, choices: Choices, limit_bin: int):
    for scope in scopes.values():
        for bar in scope.bars(choices.bars):
            yield _csv_row(scope, "reliability", bar.low, bar.high, bar.tally, "")
        for row in scope.limits(choices.step, current_bin=limit_bin):
            yield _csv_row(scope, "limit", 0, row.limit, row.tally, row.current)
        if scope.unscored.decisions:
            yield _csv_row(scope, "no score", "", "", scope.unscored, "")


def _csv_row(scope, table, low, high, tally, current) -> list:
    share = tally.rejected_share
    return [
        scope.label,
        table,
        str(low),
        str(high),
        tally.decisions,
        tally.rejected,
        tally.approved,
        "" if share is None else round(share, 4),
        current,
    ]
