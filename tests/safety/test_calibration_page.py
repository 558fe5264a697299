"""The score calibration page and its CSV: who sees them, what they show, what
a bad query string gets, and a query count that does not grow with decisions."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from hypothesis import given
from hypothesis import strategies as st

from safety import services
from safety.models import ActionKind
from tests.factories import PendingReportFactory
from tests.fuzz.cases import case, fuzz, send
from tests.fuzz.strategies import hostile_text
from tests.helpers import attribute, html, select, select_one, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles", "warm_content_types")]

PAGE_URL = "/admin/safety/decisionlog/calibration/"
CSV_URL = "/admin/safety/decisionlog/calibration/csv/"


def decided(moderator, score, categories, kind):
    report = PendingReportFactory(score=score, issues=[{"category": c} for c in categories])
    services.decide(
        report_id=report.pk,
        moderator=moderator,
        kind=kind,
        reason_code="violence" if kind == ActionKind.REJECT else "no_violation",
        note="seen it",
    )
    return report


@pytest.fixture
def decisions(moderator, settings):
    settings.SAFETY_BULK_APPROVE_MAX_SCORE = 0.3
    approve, reject = ActionKind.APPROVE, ActionKind.REJECT
    decided(moderator, 0.05, ["violence"], approve)
    decided(moderator, 0.25, ["spam"], reject)
    decided(moderator, 0.30, ["violence"], approve)
    decided(moderator, 0.80, ["violence", "spam"], reject)
    decided(moderator, 0.95, [None], approve)  # a category that is not text: unknown


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_leads_see_the_verdict_on_the_bulk_limit(client_for, lead, decisions):
    page = html(client_for(lead).get(PAGE_URL))
    verdict = text(select_one(page, "#limit-verdict"))
    assert "0.3" in verdict
    assert "unsafe: 1 of 3 reports scored ≤ 0.3 were rejected" in verdict
    assert "last 5 decisions" in verdict
    assert "limit-unsafe" in attribute(select_one(page, "#limit-verdict"), "class")
    assert text(select_one(page, "#highest-safe")) == "0.24"


def test_the_page_says_safe_when_nothing_under_the_limit_was_rejected(
    client_for, lead, decisions, settings
):
    settings.SAFETY_BULK_APPROVE_MAX_SCORE = 0.2
    verdict = text(select_one(html(client_for(lead).get(PAGE_URL)), "#limit-verdict"))
    assert "safe: no rejected report scored ≤ 0.2 in the last 5 decisions" in verdict


def test_categories_are_listed_with_the_ones_not_to_trust_flagged(client_for, lead, decisions):
    page = html(client_for(lead).get(PAGE_URL))
    rows = {
        attribute(row, "data-category"): [text(cell) for cell in select(row, "td")]
        for row in select(page, "#calibration-categories tbody tr")
    }
    assert rows[""][:5] == ["all categories", "5", "2", "40.0%", "1"]
    assert rows["spam"][:5] == ["spam", "2", "2", "100.0%", "1"]
    assert rows["spam"][5] == "Do not trust: 1 rejected at or below the bulk limit 0.3"
    assert rows["violence"][5] == "Too few decisions to judge"
    assert rows["unknown"][:3] == ["unknown", "1", "0"]
    assert "not to be trusted" in text(select_one(page, "#trust-rule"))


def test_the_tables_hold_the_charts_numbers(client_for, lead, decisions):
    response = client_for(lead).get(PAGE_URL, {"bars": "0.1", "step": "0.1"})
    page = html(response)
    bars = [[text(c) for c in select(r, "td")] for r in select(page, "#reliability-table tbody tr")]
    assert bars[0] == ["0.00–0.10", "1", "0", "0.0%"]
    assert bars[2] == ["0.20–0.30", "2", "1", "50.0%"]
    assert bars[7] == ["0.70–0.80", "1", "1", "100.0%"]
    limits = {
        text(select(r, "td")[0]): [text(c) for c in select(r, "td")[1:]]
        for r in select(page, "#limits-table tbody tr")
    }
    assert limits["≤ 0.30 (current limit 0.3)"] == ["3", "1", "2"]
    assert limits["≤ 1.00"] == ["5", "2", "3"]
    chart = response.context["chart"]
    assert chart["bars"][2] == {"label": "0.20–0.30", "decisions": 2, "rejected": 1, "share": 0.5}
    assert [row["limit"] for row in chart["limits"] if row["current"]] == [0.3]
    assert len(chart["limits"]) == 101


def test_one_categorys_page_shows_only_its_decisions(client_for, lead, decisions):
    response = client_for(lead).get(PAGE_URL, {"category": "spam"})
    assert text(select_one(html(response), "#scope-heading")) == "Spam"
    assert sum(bar["decisions"] for bar in response.context["chart"]["bars"]) == 2


def test_the_chart_is_drawn_from_static_files_with_the_numbers_embedded(
    client_for, lead, decisions
):
    page = html(client_for(lead).get(PAGE_URL))
    sources = [attribute(s, "src") for s in select(page, "script")]
    assert "/static/core/vendor/chartjs/chart.umd.min.js" in sources
    assert "/static/safety/calibration.js" in sources
    embedded = select_one(page, "#calibration-data")
    assert attribute(embedded, "type") == "application/json"
    # No inline script besides the data, and no inline styles (CSP).
    inline = [s for s in select(page, "script") if not attribute(s, "src")]
    assert inline == [embedded] or all(attribute(s, "type") == "application/json" for s in inline)
    assert not select(page, "[style]")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"bars": "abc"}, "Ignored the bar width “abc”: choose one of 0.05, 0.10, 0.20"),
        ({"bars": "0.07"}, "Ignored the bar width “0.07”"),
        ({"step": "NaN"}, "Ignored the limit step “NaN”: choose one of 0.01, 0.05, 0.10"),
        ({"step": "1e999"}, "Ignored the limit step “1e999”"),
        ({"category": "nothing-here"}, "No final decisions in the category “nothing-here”"),
        ({"category": "a\x00b"}, "No final decisions in the category “ab”"),
    ],
)
def test_bad_query_strings_get_a_message_and_the_defaults(
    client_for, lead, decisions, query, message
):
    response = client_for(lead).get(PAGE_URL, query)
    assert response.status_code == 200
    assert any(m.startswith(message) for m in messages_of(response)), messages_of(response)


def test_a_csv_asked_with_a_bad_query_string_sends_the_lead_to_the_page_saying_why(
    client_for, lead, decisions
):
    response = client_for(lead).get(CSV_URL, {"bars": "0.33"}, follow=True)
    assert not response.streaming
    assert response.redirect_chain[0][0] == f"{PAGE_URL}?bars=0.33"
    assert messages_of(response) == [
        "Ignored the bar width “0.33”: choose one of 0.05, 0.10, 0.20; showing 0.10."
    ]


def test_the_csv_holds_every_categorys_bars_and_limits(client_for, lead, decisions):
    response = client_for(lead).get(CSV_URL, {"bars": "0.2", "step": "0.1"})
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="score-calibration-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))
    overall = [r for r in rows if r["category"] == "all categories"]
    assert len(overall) == 5 + 11
    limit = next(r for r in overall if r["table"] == "limit" and r["score_to"] == "0.3")
    assert (limit["decisions"], limit["rejected"], limit["current_limit"]) == ("3", "1", "yes")
    spam_bar = next(
        r
        for r in rows
        if r["category"] == "spam" and r["table"] == "reliability" and r["score_from"] == "0.2"
    )
    assert (spam_bar["decisions"], spam_bar["rejected"], spam_bar["rejected_share"]) == (
        "1",
        "1",
        "1.0",
    )
    assert {r["category"] for r in rows} == {"all categories", "spam", "violence", "unknown"}


@pytest.mark.parametrize("who", ["moderator", "editor", "viewer"])
def test_only_leads_and_superusers_see_the_calibration(request, client_for, who, lead):
    client = client_for(request.getfixturevalue(who))
    assert client.get(PAGE_URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403
    assert client_for(lead).get(PAGE_URL).status_code == 200


# Session, user with their permissions, then: the rollup.
PAGE_QUERIES = 3


@pytest.mark.parametrize("count", [2, 20])
def test_the_page_runs_the_same_queries_however_many_decisions(
    client_for, lead, moderator, count, django_assert_num_queries
):
    for n in range(count):
        kind = ActionKind.REJECT if n % 3 == 0 else ActionKind.APPROVE
        decided(moderator, n / count, [f"category-{n % 4}"], kind)
    client = client_for(lead)
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(PAGE_URL)
    assert response.status_code == 200


@fuzz(max_examples=40)
@given(
    params=st.dictionaries(
        st.sampled_from(["category", "bars", "step", "zz"]), hostile_text(40), max_size=3
    ),
    url=st.sampled_from([PAGE_URL, CSV_URL]),
)
def test_the_page_and_csv_asked_anything_answer_without_a_500(
    client_for, lead, decisions, params, url
):
    client = client_for(lead)
    with case("calibration: query strings"):
        response = send(client, "calibration: query strings", "get", url, data=params)
        assert response.status_code in (200, 302)


def test_a_category_the_pipeline_wrote_as_markup_is_shown_escaped(client_for, lead, moderator):
    from tests.fuzz.strategies import INJECTED, SCRIPT

    decided(moderator, 0.1, [SCRIPT], ActionKind.REJECT)
    client = client_for(lead)
    for url in (PAGE_URL, "/admin/safety/decisionlog/"):
        body = client.get(url).content.decode()
        assert "&lt;script&gt;" in body, url
        assert not any(marker in body for marker in INJECTED), url
    assert client.get(PAGE_URL, {"category": SCRIPT}).context["scope"].category == SCRIPT
