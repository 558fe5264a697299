"""The dashboard: sections of charts, each section behind a permission.

A section is a title, the permission that shows it, and a function that takes
the period and returns its charts, read from the rollups. Leads (the
`insights.view_dashboard` permission) see every section. To add one:

    from insights.dashboard import Section, add_section
    add_section(Section("qa", "Quality assurance", "safety.view_qa", qa_charts,
                        "Leads and QA reviewers"))

from an AppConfig.ready of an app at or above insights.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from django.template import Context
from django.template.base import render_value_in_context
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.inputs import InvalidInput, shown

VIEW_ALL = "insights.view_dashboard"
PERIODS = (7, 14, 30, 90)  # days a page may show
DEFAULT_DAYS = 14


@dataclass(frozen=True)
class Period:
    """The last `days` days up to today (UTC): what the charts read."""

    days: int
    today: date

    @property
    def first(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


@dataclass
class Chart:
    """One chart, its numbers as a table (a row per label), and the list behind it.

    `series` are (name, values), a value per label. `row_links` (optional) give
    each table row the list behind that row."""

    id: str
    title: str
    kind: str  # a Chart.js type: "bar" or "line"
    x_label: str
    labels: list[str]
    series: list[tuple[str, list]]
    link: str
    link_text: str
    stacked: bool = False
    note: str = ""
    row_links: list[str | None] = field(default_factory=list)

    @property
    def script_id(self) -> str:
        return f"chart-{self.id}-data"

    @property
    def columns(self) -> list[str]:
        return [self.x_label, *(name for name, _ in self.series)]

    def rows(self) -> list[list]:
        return [
            [label, *(values[n] for _, values in self.series)]
            for n, label in enumerate(self.labels)
        ]

    def table(self) -> list[tuple[list, str | None]]:
        links = self.row_links or [None] * len(self.labels)
        return list(zip(self.rows(), links, strict=True))

    def numbers_table(self) -> SafeString:
        """The table of the chart's numbers, as the page shows it: each value
        as `{{ value }}` shows it, a missing one (not the label) as —, a row's
        label linking to its list when it has one. Written here, not by the
        template: its loops over 700 values were a third of the dashboard."""
        context = Context()

        def shown(value):
            return render_value_in_context(value, context)

        head = "".join([f'<th scope="col">{shown(column)}</th>' for column in self.columns])
        rows = []
        for (label, *values), link in self.table():
            first = f'<a href="{shown(link)}">{shown(label)}</a>' if link else shown(label)
            cells = "".join(["<td>—</td>" if v is None else f"<td>{shown(v)}</td>" for v in values])
            rows.append(f'\n<tr><th scope="row">{first}</th>{cells}</tr>')
        return mark_safe(
            f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>{''.join(rows)}\n</tbody>\n</table>"
        )

    def config(self) -> dict:
        """What dashboard.js draws (through json_script)."""
        return {
            "kind": self.kind,
            "stacked": self.stacked,
            "labels": self.labels,
            "series": [{"name": name, "values": values} for name, values in self.series],
        }

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        writer.writerows([[_cell(value) for value in row] for row in self.rows()])
        return out.getvalue()


def _cell(value):
    # Labels can be the pipeline's text (a channel's answer): a spreadsheet
    # must not run one as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    permission: str  # besides leads (VIEW_ALL), who sees it
    charts: Callable[[Period], list[Chart]]
    audience: str  # said on the page: who sees this section


SECTIONS: list[Section] = []


def add_section(section: Section) -> None:
    """Adds a section to the dashboard (once, in the order added)."""
    if section.slug not in {known.slug for known in SECTIONS}:
        SECTIONS.append(section)


def visible_sections(user) -> list[Section]:
    if not user.is_active or not user.is_staff:
        return []
    everything = user.has_perm(VIEW_ALL)
    return [s for s in SECTIONS if everything or user.has_perm(s.permission)]


def parse_days(raw) -> int:
    if raw is None or raw == "":
        return DEFAULT_DAYS
    if raw not in {str(days) for days in PERIODS}:
        choices = ", ".join(str(days) for days in PERIODS)
        raise InvalidInput(
            f"The range “{shown(raw)}” is not one the dashboard shows: {choices} days."
        )
    return int(raw)


def parse_section(raw, *, visible: list[Section]) -> list[Section]:
    """The sections to show: all visible ones, or the one asked for."""
    if raw is None or raw == "":
        return visible
    slugs = [section.slug for section in visible]
    for section in visible:
        if section.slug == raw:
            return [section]
    if any(section.slug == raw for section in SECTIONS):
        raise InvalidInput(f"You may not see the section “{shown(raw)}”.")
    raise InvalidInput(f"There is no section “{shown(raw)}”; choose one of: {', '.join(slugs)}.")


def current_period(days: int) -> Period:
    return Period(days=days, today=timezone.now().astimezone(UTC).date())
