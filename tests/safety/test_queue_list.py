"""The review queue as moderators see it in the admin: which reports it lists and
in what order, its filters, the rows the pipeline writes, and its numbers."""

from datetime import timedelta

import pytest
from django.utils import timezone
from psycopg.types.json import Jsonb

from safety import services
from safety.models import SafetyReport
from tests.factories import (
    PendingReportFactory,
    PersonaFactory,
    SafetyReportFactory,
    TaskFactory,
)
from tests.helpers import attribute, decide, html, pending, queue_ids, select, select_one, text
from tests.safety.pages import QUEUE_URL, review_url
from videos.models import TaskType, VideoStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sla", "warm_content_types")]


# What the queue lists


def test_the_queue_lists_pending_reports_worst_severity_then_score_then_oldest(
    client_for, moderator, colleague
):
    low_but_oldest = pending(severity="low", score=0.95, age=600)
    high_unscored = pending(severity="high", score=None, age=900)
    high_low_score = pending(severity="high", score=0.4, age=500)
    high_top_older = pending(severity="high", score=0.8, age=60)
    high_top_newer = pending(severity="high", score=0.8, age=5)
    critical = pending(severity="critical", score=0.1, age=1)
    # Not waiting for a moderator: cleared by the pipeline, decided, escalated.
    SafetyReportFactory(requires_human_review=False, score=0.99)
    decide(pending(severity="critical", score=0.99), colleague)
    decide(pending(severity="critical", score=0.98), colleague, "reject", "violence", "seen")
    decide(pending(severity="critical"), colleague, "escalate", "legal_review", "lead?")

    response = client_for(moderator).get(QUEUE_URL)

    assert queue_ids(response) == [
        critical.pk,
        high_top_older.pk,
        high_top_newer.pk,
        high_low_score.pk,
        high_unscored.pk,
        low_but_oldest.pk,
    ]
    rows = select(html(response), "#result_list tbody tr")
    assert len(rows) == 6
    assert "critical" in text(rows[0]) and "low" in text(rows[-1])


def test_the_queue_shows_wait_score_issues_video_persona_and_holder(
    client_for, moderator, colleague
):
    report = pending(
        age=95,
        score=0.72,
        task__video__title="Ten facts about octopuses",
        task__video__persona__name="Ocean Explainers",
        issues=[
            {"category": "violence", "severity": "medium"},
            {"category": "hate", "severity": "critical"},
        ],
    )
    services.claim(report_id=report.pk, moderator=colleague)

    row = select_one(html(client_for(moderator).get(QUEUE_URL)), "#result_list tbody tr")

    assert text(select_one(row, "span.sla-warning")) == "1 h 35 min"
    assert "0.72" in text(row)
    assert "hate (critical), violence (medium)" in text(row)
    assert "Ten facts about octopuses" in text(row)
    assert "Ocean Explainers" in text(row)
    assert "colleague until" in text(row)
    assert attribute(select_one(row, "a.button"), "href") == review_url(report)


def test_the_queue_links_each_video_and_names_the_untitled_and_the_missing(client_for, moderator):
    titled = pending(age=3, task__video__title="Tide pools <at night>")
    untitled = pending(age=2, task__video__title="", task__video__persona=None)
    taskless = pending(age=1, task=None)

    page = html(client_for(moderator).get(QUEUE_URL))
    rows = {
        attribute(select_one(row, "a.button"), "href"): row
        for row in select(page, "#result_list tbody tr")
    }

    video = titled.task.video
    link = select_one(rows[review_url(titled)], "td.field-video_column a")
    assert attribute(link, "href") == f"/admin/videos/video/{video.pk}/timeline/"
    assert text(link) == "Tide pools <at night>"
    assert text(select_one(rows[review_url(titled)], "td.field-persona_column")) == (
        video.persona.name
    )
    untitled_video = untitled.task.video
    cell = select_one(rows[review_url(untitled)], "td.field-video_column")
    assert text(cell) == f"Untitled video {untitled_video.pk}"
    assert text(select_one(rows[review_url(untitled)], "td.field-persona_column")) == "—"
    assert text(select_one(rows[review_url(taskless)], "td.field-video_column")) == "—"
    assert text(select_one(rows[review_url(taskless)], "td.field-persona_column")) == "—"


# Filters


@pytest.fixture
def assortment(moderator, colleague):
    """Reports named by who holds them (`lapsed`: the colleague's lease ran out),
    each in another corner of severity, category, wait and persona; one
    escalated and one decided report on top."""
    ocean, kitchen = PersonaFactory(name="Ocean"), PersonaFactory(name="Kitchen")
    reports = {
        "mine": pending(severity="critical", category="hate", age=30, task__video__persona=ocean),
        "colleagues": pending(
            severity="high", category="violence", age=90, task__video__persona=kitchen
        ),
        "lapsed": pending(
            severity="medium", category="violence", age=300, task__video__persona=ocean
        ),
        "nobodys": pending(severity="low", category="spam", age=2000, task__video__persona=kitchen),
        "escalated": pending(
            severity="medium", category="violence", age=10, task__video__persona__name="Lead"
        ),
    }
    services.claim(report_id=reports["mine"].pk, moderator=moderator)
    services.claim(report_id=reports["colleagues"].pk, moderator=colleague)
    services.claim(report_id=reports["lapsed"].pk, moderator=colleague)
    SafetyReport.objects.filter(pk=reports["lapsed"].pk).update(
        claim_expires_at=timezone.now() - timedelta(seconds=1)
    )
    decide(reports["escalated"], colleague, "escalate", "policy_unclear", "not sure")
    decide(pending(category="hate", task__video__persona=ocean), colleague)
    return {"reports": reports, "personas": {"ocean": ocean.pk, "kitchen": kitchen.pk}}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["mine", "colleagues", "lapsed", "nobodys"]),
        ("state=pending", ["mine", "colleagues", "lapsed", "nobodys"]),
        ("state=escalated", ["escalated"]),
        ("held=mine", ["mine"]),
        ("held=others", ["colleagues"]),
        ("held=unclaimed", ["lapsed", "nobodys"]),
        ("category=hate", ["mine"]),
        ("category=violence", ["colleagues", "lapsed"]),
        ("category=violence&state=escalated", ["escalated"]),
        ("severity=high", ["mine", "colleagues"]),
        ("severity=medium", ["mine", "colleagues", "lapsed"]),
        ("waiting=warning", ["colleagues", "lapsed", "nobodys"]),
        ("waiting=breach", ["lapsed", "nobodys"]),
        ("waiting=day", ["nobodys"]),
        ("persona={ocean}", ["mine", "lapsed"]),
        ("persona={kitchen}&held=unclaimed", ["nobodys"]),
    ],
)
def test_filters_narrow_the_queue(client_for, moderator, assortment, query, expected):
    url = f"{QUEUE_URL}?{query.format(**assortment['personas'])}"
    response = client_for(moderator).get(url)
    assert queue_ids(response) == [assortment["reports"][name].pk for name in expected]


def test_filters_offer_the_categories_and_personas_of_open_reports(
    client_for, moderator, assortment
):
    PendingReportFactory(category="gambling", task__video__persona__name="Casino")
    decide(PendingReportFactory(category="drugs", task__video__persona__name="Pharmacy"), moderator)

    response = client_for(moderator).get(QUEUE_URL)

    choices = {
        spec.title: [choice["display"] for choice in spec.choices(response.context["cl"])][1:]
        for spec in response.context["cl"].filter_specs
    }
    assert choices["issue category"] == ["gambling", "hate", "spam", "violence"]
    assert choices["persona"] == ["Casino", "Kitchen", "Lead", "Ocean"]


# Rows the pipeline writes


@pytest.mark.django_db(transaction=True)
def test_a_report_the_pipeline_inserts_with_sql_is_on_the_next_load(
    roles, client_for, moderator, pipeline_db
):
    existing = pending(severity="high", score=0.9)
    client = client_for(moderator)
    assert queue_ids(client.get(QUEUE_URL)) == [existing.pk]
    task = TaskFactory(type=TaskType.SAFETY_CHECK, video__status=VideoStatus.IN_REVIEW)

    issues = [
        {
            "category": "self_harm",
            "severity": "critical",
            "evidence": {"artifact": "audio", "start": 3, "detector": "asr-v2"},
            "confidence": 0.97,
        }
    ]
    inserted = (
        pipeline_db()
        .execute(
            "INSERT INTO safety_reports (task_id, score, issues, requires_human_review) "
            "VALUES (%s, %s, %s, true) RETURNING report_id",
            [task.pk, 0.4, Jsonb(issues)],
        )
        .fetchone()[0]
    )

    response = client.get(QUEUE_URL)
    assert queue_ids(response) == [inserted, existing.pk]
    assert text(select_one(html(response), "#queue-stats strong")) == "2"
    review = html(client.get(f"{QUEUE_URL}{inserted}/review/"))
    assert "evidence.detector" in text(select_one(review, "#issues"))


def test_reports_with_malformed_issues_still_list_and_open(client_for, moderator):
    shapes = [None, {"category": "not a list"}, ["just text"], [{"severity": "extreme"}]]
    reports = [pending(issues=issues) for issues in shapes]
    client = client_for(moderator)
    response = client.get(QUEUE_URL)
    assert set(queue_ids(response)) == {report.pk for report in reports}
    for report in reports:
        assert client.get(review_url(report)).status_code == 200


# The queue's numbers


def test_queue_size_and_oldest_wait_show_on_the_index_and_the_queue_header(
    client_for, moderator, colleague
):
    pending(age=95)
    pending(age=10)
    pending(age=1)
    decide(pending(age=5000), colleague)  # decided: no longer waiting
    client = client_for(moderator)

    summary = select_one(html(client.get("/admin/")), "#review-queue-summary")
    assert text(summary).startswith("Review queue 3 reports waiting for a human")
    assert text(select_one(summary, "span.sla-warning")) == "1 h 35 min"

    stats = select_one(html(client.get(QUEUE_URL)), "#queue-stats")
    assert text(select_one(stats, "strong")) == "3"
    assert text(select_one(stats, "span.sla-warning")) == "1 h 35 min"


def test_the_lists_count_and_pages_match_the_reports_each_view_shows(
    client_for, moderator, colleague, settings
):
    settings.ADMIN_COUNT_LIMIT = 100
    waiting = [pending(age=n) for n in range(53)]
    for report in [pending(age=1000 + n) for n in range(3)]:
        decide(report, colleague, "escalate", "legal_review", "lead?")
    SafetyReportFactory(requires_human_review=False)
    client = client_for(moderator)

    # Unfiltered: the waiting reports, as many as the header says, on two pages.
    first = client.get(QUEUE_URL)
    assert first.context["cl"].result_count == 53
    assert text(select_one(html(first), "#queue-stats strong")) == "53"
    second = client.get(QUEUE_URL, {"p": 2})
    assert second.context["cl"].result_count == 53
    assert set(queue_ids(first) + queue_ids(second)) == {r.pk for r in waiting}
    assert "53 " in text(select_one(html(second), "p.paginator"))
    # Filtered views count their own rows.
    assert client.get(QUEUE_URL, {"state": "escalated"}).context["cl"].result_count == 3
    assert client.get(QUEUE_URL, {"waiting": "day"}).context["cl"].result_count == 0
    # Past the count limit the unfiltered list says "more than", as other lists do.
    settings.ADMIN_COUNT_LIMIT = 50
    capped = client.get(QUEUE_URL)
    assert capped.context["cl"].paginator.capped
    assert capped.context["cl"].result_count == 51


def test_an_empty_queue_says_so_without_a_wait(client_for, moderator):
    summary = select_one(html(client_for(moderator).get("/admin/")), "#review-queue-summary")
    assert text(summary) == "Review queue 0 reports waiting for a human."
    assert select(summary, "span.sla") == []


def test_breached_sla_is_marked(client_for, moderator, settings):
    settings.SAFETY_SLA_BREACH_MINUTES = 120
    pending(age=3 * 24 * 60)
    stats = select_one(html(client_for(moderator).get(QUEUE_URL)), "#queue-stats")
    assert text(select_one(stats, "span.sla-breach")) == "3 days"


def test_people_who_do_not_review_see_no_queue_on_the_index(client_for, editor):
    pending()
    response = client_for(editor).get("/admin/")
    assert response.status_code == 200
    assert select(html(response), "#review-queue-summary") == []
    assert QUEUE_URL not in response.content.decode()
