"""The review queue as moderators see it in the admin: which reports it lists and
in what order, its filters, its numbers, the review page and bulk approval."""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.utils import timezone
from psycopg.types.json import Jsonb

from contentops.roles import MODERATORS
from safety import services
from safety.models import ActionKind, ReviewAction, ReviewStatus, SafetyReport
from tests.factories import (
    ArtifactFactory,
    PendingReportFactory,
    PersonaFactory,
    SafetyReportFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)
from tests.safety.pages import QUEUE_URL, attribute, html, review_url, select, select_one, text
from videos.models import ArtifactKind, TaskType, VideoStatus

pytestmark = pytest.mark.django_db


def pending(*, age: float = 0, **fields) -> SafetyReport:
    """A report on the queue that arrived `age` minutes ago."""
    return PendingReportFactory(created_at=timezone.now() - timedelta(minutes=age), **fields)


def decide(report, who, kind=ActionKind.APPROVE, reason="no_violation", note=""):
    return services.decide(
        report_id=report.pk, moderator=who, kind=kind, reason_code=reason, note=note
    )


def queue_ids(response) -> list:
    assert response.status_code == 200
    return [report.pk for report in response.context["cl"].result_list]


@pytest.fixture(autouse=True)
def sla(settings):
    # The thresholds come from the environment; the tests' ages are chosen around these.
    settings.SAFETY_SLA_WARNING_MINUTES = 60
    settings.SAFETY_SLA_BREACH_MINUTES = 240


@pytest.fixture
def colleague(db):
    return UserFactory(username="colleague", groups=[MODERATORS])


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
    browser = client_for(moderator)
    assert queue_ids(browser.get(QUEUE_URL)) == [existing.pk]
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

    response = browser.get(QUEUE_URL)
    assert queue_ids(response) == [inserted, existing.pk]
    assert text(select_one(html(response), "#queue-stats strong")) == "2"
    review = html(browser.get(f"{QUEUE_URL}{inserted}/review/"))
    assert "evidence.detector" in text(select_one(review, "#issues"))


def test_reports_with_malformed_issues_still_list_and_open(client_for, moderator):
    shapes = [None, {"category": "not a list"}, ["just text"], [{"severity": "extreme"}]]
    reports = [pending(issues=issues) for issues in shapes]
    browser = client_for(moderator)
    response = browser.get(QUEUE_URL)
    assert set(queue_ids(response)) == {report.pk for report in reports}
    for report in reports:
        assert browser.get(review_url(report)).status_code == 200


# The queue's numbers


def test_queue_size_and_oldest_wait_show_on_the_index_and_the_queue_header(
    client_for, moderator, colleague
):
    pending(age=95)
    pending(age=10)
    pending(age=1)
    decide(pending(age=5000), colleague)  # decided: no longer waiting
    browser = client_for(moderator)

    summary = select_one(html(browser.get("/admin/")), "#review-queue-summary")
    assert text(summary).startswith("Review queue 3 reports waiting for a human")
    assert text(select_one(summary, "span.sla-warning")) == "1 h 35 min"

    stats = select_one(html(browser.get(QUEUE_URL)), "#queue-stats")
    assert text(select_one(stats, "strong")) == "3"
    assert text(select_one(stats, "span.sla-warning")) == "1 h 35 min"


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


# The review page

RENDER_BYTES = (
    Path(__file__).resolve().parents[2] / "seeding/demo_media/render.webm"
).read_bytes()
SCRIPT = (
    "TEN FACTS ABOUT OCTOPUSES\n"
    "[BODY 0:05]\n"
    "Octopuses have three hearts.\n"
    "Then he swings the bat at the tank.\n"
    "[OUTRO 0:40]\n"
)


@pytest.fixture
def reviewed(moderator, colleague, s3_media):
    """A report with evidence, unknown keys, a script in S3, a log and an earlier report."""
    video = VideoFactory(
        title="Ten facts about octopuses",
        status=VideoStatus.IN_REVIEW,
        persona=PersonaFactory(
            name="Ocean Explainers",
            tone_profile={"voice": "calm", "pace": "slow", "taboo": ["sharks"]},
        ),
    )
    ArtifactFactory(
        video=video,
        kind=ArtifactKind.SCRIPT,
        s3_path=s3_media("script.txt", SCRIPT.encode()),
    )
    ArtifactFactory(
        video=video, kind=ArtifactKind.RENDER, s3_path=s3_media("render.webm", RENDER_BYTES)
    )
    earlier = pending(task__video=video, age=600, score=0.3)
    decide(earlier, colleague, reason="false_positive")
    # Added after that approval: S3 could not have confirmed a missing file.
    ArtifactFactory(
        video=video,
        kind=ArtifactKind.THUMBNAIL,
        s3_path=f"s3://{default_storage.bucket_name}/tests/gone/thumbnail.png",
    )
    report = pending(
        task__video=video,
        age=20,
        score=0.83,
        issues=[
            {
                "category": "violence",
                "severity": "high",
                "message": "A swing at the tank",
                "evidence": {
                    "artifact": "render",
                    "start": 12.5,
                    "end": 14,
                    "excerpt": "he swings the bat",
                    "frame": 312,
                },
                "detector": "vision-v7",
            },
            {"category": "hate", "severity": "low", "evidence": "see transcript"},
        ],
    )
    services.claim(report_id=report.pk, moderator=moderator)
    return report


def test_review_page_shows_the_score_and_every_issue_with_its_evidence(
    client_for, moderator, reviewed
):
    page = html(client_for(moderator).get(review_url(reviewed)))

    assert text(select_one(page, "#report-score")) == "0.83"
    violence, hate = select(page, "#issues li.issue")
    assert text(violence).startswith("high violence : A swing at the tank")
    seek = select_one(violence, "button.seek[data-start]")
    assert (attribute(seek, "data-start"), attribute(seek, "data-artifact")) == ("12.5", "render")
    assert text(seek) == "▶ 12.5s–14.0s in render"
    assert text(select_one(violence, "blockquote.excerpt")) == "“he swings the bat”"
    assert text(select_one(violence, "dl.extra")) == "detector vision-v7 evidence.frame 312"
    # Evidence that is not an object is kept as it came.
    assert select(hate, "button.seek") == []
    assert text(select_one(hate, "dl.extra")) == "evidence see transcript"


def test_review_page_shows_the_video_persona_tone_and_the_script_with_quotes_marked(
    client_for, moderator, reviewed
):
    page = html(client_for(moderator).get(review_url(reviewed)))

    assert text(select_one(page, "#video-title")) == "Ten facts about octopuses"
    assert "Persona Ocean Explainers" in text(select_one(page, ".review-video dl.facts"))
    # jsonb keeps keys by length, then bytes.
    assert text(select_one(page, "details.tone dl")) == 'pace slow taboo ["sharks"] voice calm'
    script = select_one(page, "#script-text")
    assert [text(mark) for mark in select(script, "mark")] == ["he swings the bat"]
    assert "Octopuses have three hearts." in text(script)
    assert select(page, "#review-media video") != []
    # A thumbnail whose object S3 no longer has is marked, not a broken image.
    missing = select_one(page, "#review-media .media-thumbnail .artifact-missing")
    assert text(missing).startswith("Missing")


def test_review_page_shows_the_log_and_earlier_reports_with_their_decisions(
    client_for, moderator, reviewed
):
    page = html(client_for(moderator).get(review_url(reviewed)))

    log = select(page, "#review-log tr")
    assert len(log) == 1 and "moderator Claim" in text(log[0])
    earlier = select(page, "#earlier-reports tr")
    assert len(earlier) == 1
    assert "score 0.3 Approved Approve by colleague (false_positive)" in text(earlier[0])
    assert text(select_one(page, "#review-claim")).startswith("You hold this report until")


def test_review_page_says_when_the_script_is_missing_from_s3(client_for, moderator):
    report = pending()
    ArtifactFactory(
        video=report.task.video,
        kind=ArtifactKind.SCRIPT,
        s3_path=f"s3://{default_storage.bucket_name}/tests/{uuid.uuid4().hex}/gone.txt",
    )
    response = client_for(moderator).get(review_url(report))
    assert response.status_code == 200
    assert "missing" in text(select_one(html(response), ".media-script")).lower()


# Pinned query counts


@pytest.fixture(autouse=True)
def warm_content_types(db):
    ContentType.objects.get_for_models(SafetyReport, Permission)


def fill_queue(count: int, holders) -> None:
    """`count` reports on different videos and personas, some held, with artifacts."""
    for n in range(count):
        report = pending(age=n, score=n / count, severity=["low", "medium", "high"][n % 3])
        ArtifactFactory(video=report.task.video, kind=ArtifactKind.RENDER)
        if n % 2:
            services.claim(report_id=report.pk, moderator=holders[n % len(holders)])


# Session, user, user and group permissions, then: the queue's summary, the
# category and persona filters' choices, the count and the page of rows (video,
# persona and holder joined).
QUEUE_QUERIES = 9
# Session, user, permissions, then: the report (video, persona, holder joined),
# its artifacts, its log (actors joined), the earlier reports, their decisions.
REVIEW_PAGE_QUERIES = 9
# Session, user, permissions, then: the queue's summary, the recent actions box.
INDEX_QUERIES = 6


@pytest.mark.parametrize("count", [3, 30])
def test_queue_query_count_does_not_grow_with_reports(
    client_for, moderator, colleague, count, django_assert_num_queries
):
    fill_queue(count, [moderator, colleague])
    browser = client_for(moderator)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = browser.get(QUEUE_URL)
    assert len(queue_ids(response)) == count


def test_queue_filter_choices_are_read_once_per_minute_per_process(
    client_for, moderator, colleague, django_assert_num_queries
):
    fill_queue(3, [moderator, colleague])
    browser = client_for(moderator)
    first = browser.get(QUEUE_URL)
    # The category and persona choices come from the process cache this time.
    with django_assert_num_queries(QUEUE_QUERIES - 2):
        again = browser.get(QUEUE_URL)
    filters = [spec.lookup_choices for spec in first.context["cl"].filter_specs]
    assert [spec.lookup_choices for spec in again.context["cl"].filter_specs] == filters
    pending(category="spam")  # a category no open report had
    assert "spam" not in again.text
    cache.clear()  # what a minute's expiry does
    assert "spam" in browser.get(QUEUE_URL).text


@pytest.mark.parametrize("earlier", [1, 10])
def test_review_page_query_count_does_not_grow_with_the_videos_past(
    client_for, moderator, colleague, earlier, django_assert_num_queries
):
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    for kind in (ArtifactKind.RENDER, ArtifactKind.THUMBNAIL, ArtifactKind.AUDIO):
        ArtifactFactory(video=video, kind=kind, s3_path=f"s3://elsewhere/{kind}")
    for n in range(earlier):
        old = pending(task__video=video, age=1000 + n)
        # Escalations: S3 confirms none of these files, so nobody could approve them.
        decide(old, [moderator, colleague][n % 2], ActionKind.ESCALATE, "other", "unsure")
    report = pending(task__video=video)
    services.claim(report_id=report.pk, moderator=colleague)
    services.take_over(report_id=report.pk, lead=moderator)
    browser = client_for(moderator)
    with django_assert_num_queries(REVIEW_PAGE_QUERIES):
        response = browser.get(review_url(report))
    assert response.status_code == 200
    assert len(response.context["earlier"]) == earlier


@pytest.mark.parametrize("count", [3, 30])
def test_admin_index_query_count_for_a_moderator_does_not_grow_with_reports(
    client_for, moderator, colleague, count, django_assert_num_queries
):
    fill_queue(count, [colleague])
    browser = client_for(moderator)
    with django_assert_num_queries(INDEX_QUERIES):
        response = browser.get("/admin/")
    assert response.context["review_queue"].size == count


# Bulk approval


def bulk_post(browser, reports, **fields):
    data = {"action": "bulk_approve", "_selected_action": [str(r.pk) for r in reports]}
    return browser.post(QUEUE_URL, data | fields)


@pytest.fixture
def low_and_risky(settings):
    settings.SAFETY_BULK_APPROVE_MAX_SCORE = 0.3
    return {
        "low": pending(score=0.1, task__video__title="Low one"),
        "limit": pending(score=0.3, task__video__title="At the limit"),
        "risky": pending(score=0.6, task__video__title="Risky one"),
    }


# Session, user, permissions, the queue's summary, then Django's changelist
# for the action: filter choices (read once: the second changelist the action
# view builds finds them in the process cache), the count; then the selected
# reports with their videos.
BULK_CONFIRMATION_QUERIES = 9


@pytest.mark.parametrize("count", [3, 30])
def test_bulk_confirmation_page_query_count_does_not_grow_with_reports(
    client_for, moderator, count, django_assert_num_queries
):
    reports = [pending(score=0.1 if n % 2 else 0.9) for n in range(count)]
    browser = client_for(moderator)
    with django_assert_num_queries(BULK_CONFIRMATION_QUERIES):
        response = bulk_post(browser, reports)
    assert response.status_code == 200
    assert len(response.context["eligible"]) + len(response.context["too_risky"]) == count


def test_bulk_approve_asks_for_confirmation_listing_eligible_and_too_risky_apart(
    client_for, moderator, low_and_risky
):
    response = bulk_post(client_for(moderator), low_and_risky.values(), index=0)

    assert response.status_code == 200
    page = html(response)
    eligible = [text(row) for row in select(page, "#bulk-eligible tbody tr")]
    assert [row.split(" ")[0:2] for row in eligible] == [["At", "the"], ["Low", "one"]]
    assert [text(item) for item in select(page, "#bulk-too-risky li")] == ["Risky one (score 0.6)"]
    hidden = {attribute(i, "value") for i in select(page, "#bulk-eligible input")}
    assert hidden == {str(low_and_risky["low"].pk), str(low_and_risky["limit"].pk)}
    assert not ReviewAction.objects.filter(kind=ActionKind.APPROVE).exists()


def test_confirming_bulk_approve_gives_each_report_its_own_decision(
    client_for, moderator, low_and_risky
):
    low, limit = low_and_risky["low"], low_and_risky["limit"]
    response = bulk_post(
        client_for(moderator), [low, limit], confirmed="yes", reason="false_positive", note="batch"
    )

    assert response.status_code == 302
    assert response["Location"] == QUEUE_URL
    approvals = ReviewAction.objects.filter(kind=ActionKind.APPROVE)
    assert sorted(approvals.values_list("report_id", "actor__username", "reason_code", "note")) == [
        (report.pk, "moderator", "false_positive", "batch")
        for report in sorted([low, limit], key=lambda r: r.pk)
    ]
    assert set(
        SafetyReport.objects.filter(pk__in=[low.pk, limit.pk]).values_list(
            "review_status", flat=True
        )
    ) == {ReviewStatus.APPROVED}
    assert SafetyReport.objects.get(pk=low_and_risky["risky"].pk).review_status is None
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Approved 2 reports."]


def test_bulk_approve_without_a_reason_shows_the_form_again_with_an_error(
    client_for, moderator, low_and_risky
):
    response = bulk_post(client_for(moderator), [low_and_risky["low"]], confirmed="yes")

    assert response.status_code == 200
    page = html(response)
    assert "Choose a reason for approve" in text(select_one(page, ".errornote"))
    assert len(select(page, "#bulk-eligible tbody tr")) == 1
    assert not ReviewAction.objects.filter(kind=ActionKind.APPROVE).exists()


def test_bulk_approve_names_each_report_it_refused(client_for, moderator, low_and_risky):
    # A forged confirmation that includes the risky report, and a report someone
    # else decided between the confirmation page and the click.
    low, risky = low_and_risky["low"], low_and_risky["risky"]
    response = bulk_post(
        client_for(moderator), [low, risky], confirmed="yes", reason="no_violation"
    )

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Approved 1 report.",
        "Not approved: Risky one: score 0.6 is above the bulk limit 0.3",
    ]
    assert SafetyReport.objects.get(pk=risky.pk).review_status is None
    assert not ReviewAction.objects.filter(report=risky).exists()


def test_bulk_approve_is_not_offered_to_people_without_the_review_permission(
    client_for, editor, low_and_risky
):
    response = bulk_post(client_for(editor), low_and_risky.values(), index=0)
    assert response.status_code == 403
    assert not ReviewAction.objects.exists()


def test_bulk_approve_leaves_a_report_someone_else_is_reviewing_to_them(
    client_for, moderator, colleague, low_and_risky
):
    low, limit = low_and_risky["low"], low_and_risky["limit"]
    services.claim(report_id=limit.pk, moderator=colleague)

    response = bulk_post(
        client_for(moderator), [low, limit], confirmed="yes", reason="no_violation"
    )

    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages[0] == "Approved 1 report."
    assert messages[1].startswith("Not approved: At the limit: colleague is reviewing")
    assert SafetyReport.objects.get(pk=limit.pk).claimed_by == colleague
    assert not ReviewAction.objects.filter(report=limit, kind=ActionKind.APPROVE).exists()


def test_bulk_approve_names_reports_decided_after_the_confirmation_page(
    client_for, moderator, colleague, low_and_risky
):
    low, limit = low_and_risky["low"], low_and_risky["limit"]
    decide(limit, colleague, "reject", "violence", "seen it")

    response = bulk_post(
        client_for(moderator), [low, limit], confirmed="yes", reason="no_violation"
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Approved 1 report.",
        "Not approved: At the limit: rejected meanwhile.",
    ]
    assert SafetyReport.objects.get(pk=limit.pk).review_status == ReviewStatus.REJECTED
