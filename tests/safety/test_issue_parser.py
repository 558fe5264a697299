"""Reading a report's `issues` as the pipeline wrote it, whatever its shape: what
is understood is shown, what is not is shown as given and marked, nothing raises.

The pages that show issues (queue, review page, approve page, timeline) are
tested here with the shapes that once broke them; tests/fuzz tries many more."""

import json
import sys

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from publishing.approval import ReportSummary
from safety.issues import MAX_SECONDS, Issue, issues_summary, parse_issues
from safety.models import SafetyReport
from tests.factories import PendingReportFactory, TaskFactory
from tests.fuzz.strategies import json_values
from tests.helpers import html, select, select_one, text
from tests.safety.pages import QUEUE_URL, review_url
from videos.models import TaskStatus, TaskType

pytestmark = pytest.mark.django_db

FOUR_HUNDRED_DIGITS = int("9" * 400)


# The parser


def test_a_well_formed_issue_is_read_whole_with_unknown_keys_kept():
    (issue,) = parse_issues(
        [
            {
                "category": "violence",
                "severity": "high",
                "message": "a swing",
                "evidence": {"artifact": "render", "start": 12.5, "end": "14", "frame": 312},
                "detector": {"name": "vision-v7"},
            }
        ]
    )
    assert (issue.category, issue.severity, issue.message, issue.artifact) == (
        "violence",
        "high",
        "a swing",
        "render",
    )
    assert (issue.start.seconds, issue.end.seconds) == (12.5, 14.0)
    assert issue.seekable and issue.severity_known and issue.rank == 3
    assert issue.extra == {"detector": '{"name": "vision-v7"}', "evidence.frame": "312"}
    assert issue.malformed == ()


@pytest.mark.parametrize(
    "start",
    [
        FOUR_HUNDRED_DIGITS,
        -3,
        1e308,
        "NaN",
        "Infinity",
        "1" * 400,
        "soon",
        [1],
        True,
        MAX_SECONDS + 1,
    ],
)
def test_an_evidence_time_that_is_not_one_is_kept_as_given_and_not_seekable(start):
    (issue,) = parse_issues([{"category": "c", "severity": "low", "evidence": {"start": start}}])
    assert issue.start.seconds is None and not issue.seekable
    assert issue.start.given == (start if isinstance(start, str) else issue.start.given)
    assert issue.start.given  # shown, never dropped


def test_a_400_digit_time_is_shown_with_all_its_digits():
    (issue,) = parse_issues(
        [{"category": "c", "severity": "low", "evidence": {"start": FOUR_HUNDRED_DIGITS}}]
    )
    assert issue.start.given == "9" * 400


@pytest.mark.parametrize(
    "severity", [["high"], {"level": "high"}, 3, None, "extreme", "hígh", " high"]
)
def test_a_severity_outside_the_vocabulary_is_shown_marked_unknown_and_ranked_lowest(severity):
    (issue,) = parse_issues([{"category": "spam", "severity": severity}])
    assert not issue.severity_known and issue.rank == 0
    assert issue.severity == (severity if isinstance(severity, str) else issue.severity)
    assert issue.severity not in ("", "?")


def test_values_that_are_not_text_are_shown_as_json_and_named_malformed():
    (issue,) = parse_issues([{"category": {"a": 1}, "severity": "low", "message": 7}])
    assert (issue.category, issue.message) == ('{"a": 1}', "7")
    assert set(issue.malformed) == {"category", "message"}


@pytest.mark.parametrize("document", [7, "text", {"category": "x"}, True, 0, ""])
def test_a_document_that_is_not_a_list_is_one_unreadable_issue_holding_it(document):
    (issue,) = parse_issues(document)
    assert issue.unreadable and issue.label == "unreadable issue"
    assert "issues" in issue.extra


def test_entries_that_are_not_objects_are_kept_as_unreadable_issues():
    issues = parse_issues(["just text", None, {"category": "spam", "severity": "low"}])
    assert [i.unreadable for i in issues] == [True, True, False]
    assert [i.extra.get("value") for i in issues[:2]] == ["just text", "null"]


def test_no_document_is_no_issues():
    assert parse_issues(None) == [] and parse_issues([]) == []


def test_the_summary_puts_the_worst_first_and_unknown_severities_last():
    document = [
        {"category": "a", "severity": ["high"]},
        {"category": "b", "severity": "low"},
        {"category": "c", "severity": "critical"},
        "junk",
    ]
    assert issues_summary(document, worst_first=True, limit=2) == "c (critical), b (low) +2"
    assert issues_summary(document) == ('a (["high"]), b (low), c (critical), unreadable issue')


def test_an_integer_python_cannot_print_is_named_not_raised():
    # Past sys.get_int_max_str_digits() (jsonb's 131,072 here) str(int) raises
    # ValueError: show that there was a number.
    too_long = 10 ** (sys.get_int_max_str_digits() + 1)
    (parsed,) = parse_issues([{"category": "c", "severity": "low", "size": too_long}])
    assert parsed.extra["size"] == "<unreadable int>"


def test_an_issue_without_category_or_severity_reads_as_question_marks():
    assert Issue().label == "? (?)"
    assert parse_issues([{}])[0].label == "? (?)"


# The pages that broke


def _pending_with_sql(pipeline_db, issues) -> SafetyReport:
    task = TaskFactory(type=TaskType.SAFETY_CHECK, status=TaskStatus.SUCCEEDED)
    report_id = (
        pipeline_db()
        .execute(
            "INSERT INTO safety_reports (task_id, score, issues, requires_human_review) "
            "VALUES (%s, 0.5, %s, true) RETURNING report_id",
            [task.pk, Jsonb(issues)],
        )
        .fetchone()[0]
    )
    return SafetyReport.objects.get(pk=report_id)


@pytest.mark.django_db(transaction=True)
def test_an_open_report_with_a_list_for_severity_leaves_the_queue_working(
    roles, client_for, moderator, pipeline_db
):
    odd = _pending_with_sql(pipeline_db, [{"category": "spam", "severity": ["high"]}])
    fine = PendingReportFactory(severity="low", category="violence")
    response = client_for(moderator).get(QUEUE_URL)
    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [fine.pk, odd.pk]
    assert "spam ([&quot;high&quot;])" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_evidence_start_of_400_digits_is_shown_marked_not_a_time_without_a_seek(
    roles, client_for, moderator, pipeline_db
):
    report = _pending_with_sql(
        pipeline_db,
        [{"category": "hate", "severity": "high", "evidence": {"start": FOUR_HUNDRED_DIGITS}}],
    )
    response = client_for(moderator).get(review_url(report))
    assert response.status_code == 200
    (line,) = select(html(response), "#issues li.issue")
    assert select(line, "button.seek") == []
    assert text(select_one(line, "span.not-a-time")) == f"start {'9' * 400} (not a time)"


@pytest.mark.django_db(transaction=True)
def test_a_severity_outside_the_vocabulary_is_marked_unknown_on_the_review_page(
    roles, client_for, moderator, pipeline_db
):
    report = _pending_with_sql(
        pipeline_db, [{"category": "hate", "severity": {"<script>": "x"}, "message": "<b>hi</b>"}]
    )
    response = client_for(moderator).get(review_url(report))
    body = response.content.decode()
    (line,) = select(html(response), "#issues li.issue.severity-unknown")
    assert "(unknown severity)" in text(line)
    assert text(select_one(line, "span.not-text")) == "Not text as expected: severity."
    assert "<script>" not in body and "<b>hi</b>" not in body
    assert "&lt;b&gt;hi&lt;/b&gt;" in body


def test_a_report_whose_issues_is_a_bare_number_shows_on_the_timeline_marked(
    client_for, admin_user
):
    report = PendingReportFactory(issues=42)
    video = report.task.video
    response = client_for(admin_user).get(f"/admin/videos/video/{video.pk}/timeline/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<strong class="malformed">unreadable issue</strong>' in body
    assert "issues: 42" in body


def test_a_payload_time_past_the_years_python_holds_leaves_the_timeline_working(
    client_for, admin_user
):
    task = TaskFactory(
        status=TaskStatus.SUCCEEDED,
        payload={
            "started_at": "0001-01-01T00:00:00+14:00",
            "finished_at": "9999-12-31T23:59:59-14:00",
        },
    )
    response = client_for(admin_user).get(f"/admin/videos/video/{task.video_id}/timeline/")
    assert response.status_code == 200


def test_the_approve_page_summary_reads_any_shape(client_for, admin_user):
    report = PendingReportFactory(issues=[{"category": ["x"], "severity": 5}, "junk"])
    summary = ReportSummary(report, None)
    assert summary.categories == '["x"] (5), unreadable issue'


def test_the_queue_offers_only_text_categories_and_lists_every_report(client_for, moderator):
    odd = [
        PendingReportFactory(issues=[{"category": value, "severity": "low"}])
        for value in (None, 5, ["spam"])
    ]
    spam = PendingReportFactory(issues=[{"category": "spam", "severity": "low"}])
    response = client_for(moderator).get(QUEUE_URL)
    assert response.status_code == 200
    assert {r.pk for r in response.context["cl"].result_list} == {r.pk for r in [*odd, spam]}
    (categories,) = [
        spec for spec in response.context["cl"].filter_specs if spec.title == "issue category"
    ]
    assert [c["display"] for c in categories.choices(response.context["cl"])][1:] == ["spam"]


# The queue's order: the SQL rank agrees with the parser, whatever the shape


def test_capitals_do_not_make_a_severity_unknown():
    (issue,) = parse_issues([{"category": "c", "severity": "HIGH"}])
    assert issue.severity_known and issue.rank == 3 and issue.severity == "HIGH"
    assert issue.severity_class == "high"


severities = st.one_of(
    st.sampled_from(["low", "medium", "high", "critical", "HIGH", "Low", "extreme", "", " low"]),
    json_values,
)
issue_documents = st.one_of(
    st.lists(
        st.one_of(
            st.fixed_dictionaries({}, optional={"category": json_values, "severity": severities}),
            json_values,
        ),
        max_size=4,
    ),
    json_values,
)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(document=issue_documents)
def test_the_sql_rank_of_any_document_is_the_worst_rank_the_parser_reads(document):
    """A pipeline INSERT of any document succeeds, and safety_max_severity
    (the queue's order) ranks it as the page's parser does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT safety_max_severity(%s::jsonb)", [json.dumps(document)])
        (rank,) = cursor.fetchone()
    assert rank == max((issue.rank for issue in parse_issues(document)), default=0)


@pytest.mark.parametrize(
    "document",
    ["42", '"text"', "null", "{}", '[[["deep"]]]', '[{"severity": {"a": 1}}]', "[null, 1, true]"],
)
def test_a_malformed_document_inserted_by_sql_is_stored_with_rank_zero(document):
    task = TaskFactory(type=TaskType.SAFETY_CHECK)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO safety_reports (task_id, issues, requires_human_review) "
            "VALUES (%s, %s::jsonb, true) RETURNING severity_rank",
            [task.pk, document],
        )
        assert cursor.fetchone() == (0,)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(document=issue_documents, limit=st.one_of(st.none(), st.integers(0, 4)))
def test_the_summary_of_any_document_is_the_parsers_labels(document, limit):
    """issues_summary reads only category and severity: the same text as the
    labels and ranks of the whole parse."""
    issues = sorted(parse_issues(document), key=lambda issue: issue.rank, reverse=True)
    shown = issues if limit is None else issues[:limit]
    rest = f" +{len(issues) - len(shown)}" if len(issues) > len(shown) else ""
    expected = ", ".join(issue.label for issue in shown) + rest
    assert issues_summary(document, worst_first=True, limit=limit) == expected
    plain = ", ".join(issue.label for issue in parse_issues(document))
    assert issues_summary(document) == plain
