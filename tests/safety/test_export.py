"""The decision log and its CSV export: what each row says, that any filter of
the list narrows it, that it streams through a server-side cursor, and that no
cell runs as a formula in a spreadsheet."""

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from safety import services
from safety.calibration_models import DecisionLog
from safety.decision_log import EXPORT_CHUNK_ROWS
from safety.models import ActionKind, ReviewAction, SafetyReport
from tests.factories import ArtifactFactory, PendingReportFactory
from tests.fuzz.cases import case, fuzz, send
from tests.fuzz.strategies import hostile_text, integers_as_text
from tests.helpers import attribute, html, select, select_one
from videos.models import ArtifactKind

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles", "warm_content_types", "warm_decision_log_type"),
]

LIST_URL = "/admin/safety/decisionlog/"
EXPORT_URL = "/admin/safety/decisionlog/export/"
HEADER = [
    "decided_at",
    "decision",
    "report",
    "video",
    "categories",
    "issues",
    "reason_code",
    "reason",
    "note",
    "score_seen",
    "video_version_seen",
    "files_seen",
    "moderator",
]


@pytest.fixture
def warm_decision_log_type(db):
    """The decision log's content type read once, as a running process has it."""
    ContentType.objects.get_for_model(DecisionLog, for_concrete_model=False)


def decide(report, who, kind, reason, note=""):
    return services.decide(
        report_id=report.pk, moderator=who, kind=kind, reason_code=reason, note=note
    )


def exported(response) -> list[dict]:
    assert response.status_code == 200, response
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


@pytest.fixture
def log(moderator, lead, s3_media):
    """Four decisions and a claim; the spam rejection with a file it saw."""
    spam = PendingReportFactory(score=0.25, category="spam", severity="high")
    ArtifactFactory(
        video=spam.task.video,
        kind=ArtifactKind.SCRIPT,
        s3_path=s3_media("script.txt", b"HELLO\n"),
    )
    violence = PendingReportFactory(score=0.1, category="violence")
    unsure = PendingReportFactory(score=0.6, category="spam")
    late = PendingReportFactory(score=0.9, category="violence")
    services.claim(report_id=late.pk, moderator=lead)
    return {
        "spam": decide(spam, moderator, ActionKind.REJECT, "hate", '=HYPERLINK("http://x","y")'),
        "violence": decide(violence, moderator, ActionKind.APPROVE, "no_violation"),
        "unsure": decide(unsure, moderator, ActionKind.ESCALATE, "other", "@SUM(1)"),
        "late": decide(late, lead, ActionKind.REJECT, "violence", "plain"),
    }


def test_the_export_is_one_row_per_decision_with_its_statement_of_reasons(client_for, lead, log):
    rows = exported(client_for(lead).get(EXPORT_URL, {"decision": "reject", "category": "spam"}))
    assert len(rows) == 1
    row, action = rows[0], log["spam"]
    report = SafetyReport.objects.select_related("task").get(pk=action.report_id)
    assert row["decided_at"] == action.created_at.isoformat()
    assert row["decision"] == "reject"
    assert row["report"] == str(report.pk)
    assert row["video"] == str(report.task.video_id)
    assert row["categories"] == "spam"
    assert row["issues"] == "spam (high)"
    assert (row["reason_code"], row["reason"]) == ("hate", "Hate or harassment")
    assert row["note"] == '\'=HYPERLINK("http://x","y")'
    assert row["score_seen"] == "0.25"
    assert row["moderator"] == "moderator"
    assert row["files_seen"].startswith("1 file: script s3://")
    assert "etag " in row["files_seen"]


def test_without_filters_the_export_holds_every_decision_newest_first_and_no_claims(
    client_for, lead, log
):
    rows = exported(client_for(lead).get(EXPORT_URL))
    assert [r["decision"] for r in rows] == ["reject", "escalate", "approve", "reject"]
    assert rows[1]["note"] == "'@SUM(1)"  # neutralised for spreadsheets
    assert rows[0]["report"] == str(log["late"].report_id)


def test_the_export_takes_the_lists_search_and_moderator_filter(client_for, lead, log):
    client = client_for(lead)
    by_report = exported(client.get(EXPORT_URL, {"q": str(log["violence"].report_id)}))
    assert [r["decision"] for r in by_report] == ["approve"]
    by_lead = exported(client.get(EXPORT_URL, {"moderator": str(lead.pk)}))
    assert [r["report"] for r in by_lead] == [str(log["late"].report_id)]


def test_the_list_offers_the_export_of_exactly_what_it_shows(client_for, lead, log):
    page = html(client_for(lead).get(LIST_URL, {"decision": "reject"}))
    assert attribute(select_one(page, "#export-link"), "href") == f"{EXPORT_URL}?decision=reject"
    assert len(select(page, "#result_list tbody tr")) == 2


def test_the_export_streams_more_rows_than_one_chunk_through_a_server_side_cursor(
    client_for, lead, moderator
):
    count = EXPORT_CHUNK_ROWS + 150
    reports = SafetyReport.objects.bulk_create(
        SafetyReport(score=n / count, issues=[{"category": "spam"}], requires_human_review=True)
        for n in range(count)
    )
    ReviewAction.objects.bulk_create(
        ReviewAction(report=r, actor=moderator, kind=ActionKind.APPROVE, reason_code="no_violation")
        for r in reports
    )
    response = client_for(lead).get(EXPORT_URL)
    assert response.streaming
    chunks = iter(response.streaming_content)
    next(chunks)
    next(chunks)  # the first row: its chunk is fetched, the cursor stays open
    assert open_cursors() == 1, "a server-side cursor serves the rows"
    rest = b"".join(chunks).decode().splitlines()
    assert len(rest) == count - 1
    assert open_cursors() == 0


def open_cursors() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"decision": "bogus"}, "Ignored the filter “decision”: “bogus” is not one of"),
        ({"reason": "=1+1"}, "Ignored the filter “reason”: “=1+1” is not one of"),
        ({"q": "a\x00b"}, "Ignored “q”: a filter or search cannot contain a NUL character."),
    ],
)
def test_an_export_with_a_bad_filter_exports_nothing_and_the_list_says_why(
    client_for, lead, log, query, message
):
    client = client_for(lead)
    response = client.get(EXPORT_URL, query, follow=True)
    assert not response.streaming
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(m.startswith("Nothing was exported") for m in said), said
    assert any(m.startswith(message) for m in said), said


@pytest.mark.parametrize(
    "query", [{"moderator": "abc"}, {"moderator": "9" * 40}, {"created_at__gte": "yesterday"}]
)
def test_an_export_with_an_invalid_filter_value_exports_nothing(client_for, lead, log, query):
    response = client_for(lead).get(EXPORT_URL, query, follow=True)
    assert not response.streaming
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(m.startswith("Nothing was exported: the filters are not valid") for m in said)


def test_the_list_shows_a_bad_moderator_filter_unfiltered_with_a_message(client_for, lead, log):
    response = client_for(lead).get(LIST_URL, {"moderator": "abc"}, follow=True)
    assert response.status_code == 200
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("not valid here" in m for m in said), said


@pytest.mark.parametrize("who", ["moderator", "editor", "viewer"])
def test_only_leads_and_superusers_read_or_export_the_log(
    request, client_for, who, lead, admin_user
):
    client = client_for(request.getfixturevalue(who))
    assert client.get(LIST_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    for person in (lead, admin_user):
        client = client_for(person)
        assert client.get(LIST_URL).status_code == 200
        assert client.get(EXPORT_URL).status_code == 200


def test_a_lead_without_the_export_permission_reads_the_log_but_cannot_export(client_for, lead):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_decisionlog"))
    client = client_for(reader)
    assert client.get(LIST_URL).status_code == 200
    assert not select(html(client.get(LIST_URL)), "#export-link")
    assert client.get(EXPORT_URL).status_code == 403


# Session, user with their permissions, then: the moderator filter's
# people, the category filter's categories (the calibration rollup), the
# bounded count and the page of decisions (report and moderator joined).
LIST_QUERIES = 6


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_the_same_queries_however_many_decisions(
    client_for, lead, moderator, count, django_assert_num_queries
):
    for n in range(count):
        decide(PendingReportFactory(score=n / count), moderator, ActionKind.APPROVE, "no_violation")
    client = client_for(lead)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST_URL)
    assert len(select(html(response), "#result_list tbody tr")) == count


EXPORT_PARAMETERS = ["decision", "reason", "moderator", "category", "q", "o", "p", "e"]
EXPORT_PARAMETERS += ["created_at__gte", "created_at__lt", "zz"]


@fuzz(max_examples=40)
@given(
    params=st.dictionaries(
        st.sampled_from(EXPORT_PARAMETERS),
        st.one_of(hostile_text(40), integers_as_text()),
        max_size=4,
    )
)
def test_the_export_asked_anything_answers_without_a_500(client_for, lead, log, params):
    client = client_for(lead)
    with case("decision log: export"):
        response = send(client, "decision log: export", "get", EXPORT_URL, data=params)
        assert response.status_code in (200, 302)
        if response.streaming:
            b"".join(response.streaming_content)


def page_plans(client, url, params) -> list[str]:
    """The plan of every SELECT on the review log the page ran, with
    sequential scans disabled (one is then there only when no index serves)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    selects = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().startswith("SELECT") and "safety_review_actions" in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE safety_review_actions")
        cursor.execute("SET enable_seqscan = off")
        try:
            plans = []
            for sql in selects:
                cursor.execute("EXPLAIN " + sql)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        finally:
            cursor.execute("RESET enable_seqscan")
    return plans


def test_the_list_reads_the_newest_decisions_from_their_own_index(client_for, lead, log):
    plans = page_plans(client_for(lead), LIST_URL, {})
    assert any("review_actions_decisions_idx" in plan for plan in plans), plans
    assert not any("Seq Scan on safety_review_actions" in plan for plan in plans), plans


def test_searching_by_report_reads_the_logs_report_index(client_for, lead, log):
    plans = page_plans(client_for(lead), LIST_URL, {"q": str(log["spam"].report_id)})
    # Django's index on the report foreign key.
    assert any("safety_review_actions_report_id_" in plan for plan in plans), plans
    assert not any("Seq Scan on safety_review_actions" in plan for plan in plans), plans


# Session, user with their permissions, then: the decision with its
# report and moderator joined.
CHANGE_PAGE_QUERIES = 3


@pytest.mark.parametrize("notes", [1, 40])
def test_a_decisions_page_runs_a_fixed_number_of_queries(
    client_for, lead, moderator, notes, django_assert_num_queries
):
    report = PendingReportFactory(score=0.4)
    action = decide(report, moderator, ActionKind.REJECT, "hate", "why " * notes)
    client = client_for(lead)
    with django_assert_num_queries(CHANGE_PAGE_QUERIES):
        response = client.get(f"{LIST_URL}{action.pk}/change/")
    assert response.status_code == 200
    assert "why why" in response.content.decode() or notes == 1


# Session, user with their permissions, the filters' choices (people,
# categories), then the decisions, read through the cursor as the file streams.
EXPORT_QUERIES = 5


@pytest.mark.parametrize("count", [3, 30])
def test_the_export_runs_a_fixed_number_of_queries(
    client_for, lead, moderator, count, django_assert_num_queries
):
    for n in range(count):
        decide(PendingReportFactory(score=n / count), moderator, ActionKind.APPROVE, "no_violation")
    client = client_for(lead)
    with django_assert_num_queries(EXPORT_QUERIES):
        rows = exported(client.get(EXPORT_URL))
    assert len(rows) == count
