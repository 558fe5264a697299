"""The dashboard page: sections per role, charts with tables, CSV and list links,
bad query strings, and a query count that does not grow with the data."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from contentops.roles import EDITORS, LEADS, MODERATORS, STAFF_VIEWERS
from insights.sampling import sample_queue
from publishing.models import PublishStatus
from safety import services
from tests.factories import (
    PendingReportFactory,
    PublishReceiptFactory,
    TaskFactory,
    UserFactory,
)
from videos.models import TaskStatus, TaskType

URL = "/admin/insights/dashboard/"
ALL = ["queue", "moderators", "pipeline", "publishing", "quality"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def warm_content_types(db):
    ContentType.objects.get_for_models(Permission)


def sections(response) -> list[str]:
    return [section.slug for section, _ in response.context["blocks"]]


def charts(response) -> dict:
    return {chart.id: chart for _, cs in response.context["blocks"] for chart in cs}


def some_work(rows: int, *, moderator=None) -> None:
    reports = PendingReportFactory.create_batch(rows)
    for report in reports[: rows // 2] if moderator else ():
        services.claim(report_id=report.pk, moderator=moderator)
        services.decide(
            report_id=report.pk, moderator=moderator, kind="reject",
            reason_code="violence", note="Seen in the render.",
        )  # fmt: skip
    TaskFactory.create_batch(rows, type=TaskType.RENDER, status=TaskStatus.FAILED)
    PublishReceiptFactory.create_batch(rows, status=PublishStatus.FAILED, error="HTTP 500")
    sample_queue()


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        (LEADS, ALL),
        (MODERATORS, ["queue", "pipeline"]),
        (EDITORS, ["pipeline", "publishing"]),
        (STAFF_VIEWERS, ["pipeline"]),
    ],
)
def test_each_role_sees_the_sections_its_permissions_open(roles, client_for, group, expected):
    response = client_for(UserFactory(groups=[group])).get(URL)
    assert response.status_code == 200
    assert sections(response) == expected


def test_staff_without_any_section_is_refused_and_not_linked_from_the_index(client_for):
    client = client_for(UserFactory())
    assert client.get(URL).status_code == 403
    assert URL not in client.get("/admin/").content.decode()


def test_the_index_links_the_dashboard_for_those_who_may_see_it(roles, client_for):
    response = client_for(UserFactory(groups=[STAFF_VIEWERS])).get("/admin/")
    assert f'href="{URL}"' in response.content.decode()


def test_a_lead_sees_every_chart_with_its_numbers_csv_and_list(roles, lead, client_for):
    some_work(2)
    response = client_for(lead).get(URL)
    page = response.content.decode()
    found = charts(response)
    assert set(found) == {
        "queue-depth", "queue-oldest-wait", "queue-flow", "sla-breaches",
        "decisions-per-moderator", "handle-time",
        "tasks-by-status", "task-failure-rate", "task-durations", "video-ages",
        "receipts-per-day", "publish-latency", "publish-failures",
        "qa-agreement-moderators", "qa-agreement-categories", "qa-overturns",
        "score-calibration",
    }  # fmt: skip
    for chart in found.values():
        assert f'id="{chart.script_id}"' in page  # the data dashboard.js draws
        assert f'data-chart="{chart.script_id}"' in page
        assert f'href="{chart.link}"'.replace("&", "&amp;") in page
        assert f"csv={chart.id}" in page
    assert found["queue-depth"].series == [("Waiting", [2])]
    by_type = {row[0]: row for row in found["tasks-by-status"].rows()}
    assert by_type["render"][1:] == [0, 0, 0, 2, 0]  # queued, running, succeeded, failed, cancelled
    assert found["task-failure-rate"].rows()[2] == ["render", 100.0]
    assert found["publish-failures"].rows() == [["youtube: HTTP 500", 2]]


def test_the_csv_download_holds_the_charts_table(roles, lead, client_for):
    some_work(3)
    response = client_for(lead).get(URL, {"section": "pipeline", "csv": "tasks-by-status"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="tasks-by-status-14-days.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Type", "Queued", "Running", "Succeeded", "Failed", "Cancelled"]
    assert ["render", "0", "0", "0", "3", "0"] in rows


def test_a_csv_cell_a_spreadsheet_would_run_is_quoted(roles, lead, client_for):
    PublishReceiptFactory(status=PublishStatus.FAILED, error="=HYPERLINK(1)")
    response = client_for(lead).get(URL, {"csv": "publish-failures"})
    assert "youtube: =HYPERLINK(1)" in response.content.decode()  # channel first: safe
    PublishReceiptFactory(status=PublishStatus.FAILED, channel="=cmd", error="x")
    response = client_for(lead).get(URL, {"csv": "publish-failures"})
    assert "'=cmd: x" in response.content.decode()


def test_every_chart_and_table_row_links_to_a_list_that_accepts_its_filter(
    roles, admin_user, client_for
):
    some_work(1)
    client = client_for(admin_user)
    found = charts(client.get(URL))
    links = {chart.link for chart in found.values()}
    links |= {link for chart in found.values() for link in chart.row_links}
    assert any("type__exact=render" in link for link in links)
    for link in links:
        response = client.get(link)
        # An unknown filter sends the admin back with ?e=1.
        assert response.status_code == 200, link


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"days": "abc"}, "The range “abc” is not one the dashboard shows"),
        ({"days": "9" * 40}, "is not one the dashboard shows"),
        ({"days": "14\x00"}, "is not one the dashboard shows"),
        ({"section": "nope"}, "There is no section “nope”; choose one of: queue, pipeline."),
        ({"section": "moderators"}, "You may not see the section “moderators”."),
        ({"csv": "nope"}, "There is no chart “nope” on this dashboard to download."),
        ({"section": "queue", "csv": "tasks-by-status"}, "There is no chart"),
    ],
)
def test_a_bad_query_string_gets_a_message_not_an_error(roles, client_for, query, message):
    response = client_for(UserFactory(groups=[MODERATORS])).get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize(
    ("who", "queries"),
    [
        # session, user with their permissions (accounts.backends); then per
        # section: queue (samples, reports in, decisions), moderators (decisions,
        # handle times, usernames), pipeline (task counts, durations, video ages),
        # publishing (receipts, latency, failures), quality (agreement per moderator,
        # per category; overturns: settled samples, leads' verdicts; the calibration
        # rollup).
        (LEADS, 2 + 3 + 3 + 3 + 3 + 5),
        (STAFF_VIEWERS, 2 + 3),  # the pipeline only
    ],
)
def test_the_dashboard_query_count_does_not_grow_with_rows(
    roles, client_for, rows, who, queries, django_assert_num_queries
):
    some_work(rows, moderator=UserFactory(groups=[MODERATORS]))
    client = client_for(UserFactory(groups=[who]))
    with django_assert_num_queries(queries):
        response = client.get(URL)
    assert response.status_code == 200
    if who == LEADS:
        assert sum(charts(response)["queue-flow"].series[1][1]) == rows // 2


def test_the_page_runs_no_inline_script_or_style(roles, lead, client_for):
    """What the Content-Security-Policy (no 'unsafe-inline') will demand."""
    some_work(1)
    page = client_for(lead).get(URL).content.decode()
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts, "the page loads its scripts"
    for attributes in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)
    assert "/static/core/vendor/chartjs/chart.umd.min.js" in page


# The numbers table as the dashboard's template wrote it, loop by loop: the
# chart now writes it itself (Chart.numbers_table), the same HTML.
DJANGOS_TABLE = (
    "<table>\n<thead><tr>{% for column in chart.columns %}"
    '<th scope="col">{{ column }}</th>{% endfor %}</tr></thead>\n<tbody>\n'
    "{% for row, link in chart.table %}\n<tr>{% for value in row %}{% if forloop.first %}"
    '<th scope="row">{% if link %}<a href="{{ link }}">{{ value }}</a>'
    "{% else %}{{ value }}{% endif %}</th>"
    '{% else %}<td>{{ value|default_if_none:"—" }}</td>{% endif %}{% endfor %}</tr>\n'
    "{% endfor %}\n</tbody>\n</table>"
)


@pytest.mark.parametrize("linked", [True, False])
def test_a_charts_numbers_table_is_what_the_template_wrote(linked):
    from django.template import Context, Template

    from insights.dashboard import Chart

    chart = Chart(
        id="x",
        title="T",
        kind="bar",
        x_label='Day <"of">',
        labels=["2026-11-30", "<b>&</b>", "1234567"],
        series=[("Reports & more", [1234567, None, 0]), ("Share", [0.25, 12.5, None])],
        link="/admin/",
        link_text="All",
        row_links=["/admin/?a=1&b=<2>", None, "/admin/?c=3"] if linked else [],
    )
    expected = Template(DJANGOS_TABLE).render(Context({"chart": chart}))
    assert chart.numbers_table().split() == expected.split()
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in chart.numbers_table()


def test_the_page_shows_each_charts_numbers_table(roles, lead, client_for):
    response = client_for(lead).get("/admin/insights/dashboard/")
    page = response.content.decode()
    charts = [chart for _, charts in response.context["blocks"] for chart in charts]
    assert charts
    for chart in charts:
        if chart.labels:
            assert chart.numbers_table() in page
