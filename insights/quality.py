"""The dashboard's quality section: how decisions hold up under blind second
review (safety's QA), per moderator and per category, and how far the
pipeline's score can be trusted (safety's calibration). Read from
safety.qa_stats, which groups in the database (a few rows per moderator or
category, whatever the number of samples), and from the calibration rollup.
Counts cover all time (QA samples are few; a period would leave most cells
empty)."""

from django.urls import reverse

from insights.dashboard import VIEW_ALL, Chart, Period, Section, add_section
from insights.sections import admin_list
from safety import calibration, qa_stats
from safety.calibration_models import OVERALL


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _kappa(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _agreement_chart(chart_id: str, title: str, x_label: str, rows) -> Chart:
    return Chart(
        chart_id,
        title,
        "bar",
        x_label,
        [f"{row.label} ({row.pairs})" for row in rows],
        [
            ("Agreement (%)", [_percent(row.percent) for row in rows]),
            ("Cohen's kappa × 100", [_kappa(row.kappa) for row in rows]),
        ],
        reverse("admin:safety_qasample_agreement"),
        "Agreement per moderator and category",
        note="In brackets: second reviews compared. Kappa is agreement beyond chance "
        "(100 = perfect, 0 = chance); empty when undefined (one verdict throughout).",
    )


def _calibration_chart() -> Chart:
    """The reliability diagram over all categories, with the bulk limit's verdict."""
    overall = calibration.scopes(calibration.rollup_cells())[OVERALL]
    bars = overall.bars(10)
    return Chart(
        "score-calibration",
        "Share of reports moderators rejected, by the pipeline's score",
        "bar",
        "Score",
        [f"{bar.low}–{bar.high}" for bar in bars],
        [
            ("Rejected (%)", [_percent(_share(bar.tally)) for bar in bars]),
            ("Decisions", [bar.tally.decisions for bar in bars]),
        ],
        reverse("admin:safety_decisionlog_calibration"),
        "Score calibration, per category",
        note=calibration.limit_verdict(overall, calibration.bulk_limit()),
    )


def _share(tally) -> float | None:
    share = tally.rejected_share
    return None if share is None else 100 * share


def quality_charts(period: Period) -> list[Chart]:
    overturns = qa_stats.overturn_by_moderator()
    return [
        _agreement_chart(
            "qa-agreement-moderators",
            "Agreement with the blind second review, per moderator",
            "First decider",
            qa_stats.agreement_by_moderator(),
        ),
        _agreement_chart(
            "qa-agreement-categories",
            "Agreement with the blind second review, per category",
            "Worst issue category",
            qa_stats.agreement_by_category(),
        ),
        Chart(
            "qa-overturns",
            "Overturn rate: decisions a lead's verdict reversed",
            "bar",
            "First decider",
            [f"{row.label} ({row.closed})" for row in overturns],
            [
                (
                    "Overturned (%)",
                    [
                        _percent(100 * row.rate) if row.rate is not None else None
                        for row in overturns
                    ],
                )
            ],
            admin_list("safety_qasample"),
            "QA samples",
            note="In brackets: sampled decisions settled (agreed, or by a lead).",
        ),
        _calibration_chart(),
    ]


def register() -> None:
    add_section(Section("quality", "Quality assurance", VIEW_ALL, quality_charts, "Leads"))
