"""Bulk approval from the review queue: the confirmation page, each report its
own decision, and the reports it refuses, named."""

import pytest
from django.contrib.messages import get_messages

from safety import services
from safety.models import ActionKind, ReviewAction, ReviewStatus, SafetyReport
from tests.helpers import attribute, decide, html, pending, select, select_one, text
from tests.safety.pages import QUEUE_URL

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sla", "warm_content_types")]


# Bulk approval


def bulk_post(client, reports, **fields):
    data = {"action": "bulk_approve", "_selected_action": [str(r.pk) for r in reports]}
    return client.post(QUEUE_URL, data | fields)


@pytest.fixture
def low_and_risky(settings):
    settings.SAFETY_BULK_APPROVE_MAX_SCORE = 0.3
    return {
        "low": pending(score=0.1, task__video__title="Low one"),
        "limit": pending(score=0.3, task__video__title="At the limit"),
        "risky": pending(score=0.6, task__video__title="Risky one"),
    }


# Session, user with their permissions, the queue's summary (the unfiltered
# list's count), then Django's changelist for the action: filter choices (read
# once: the second changelist the action view builds finds them in the process
# cache); then the selected reports with their videos.
BULK_CONFIRMATION_QUERIES = 6


@pytest.mark.parametrize("count", [3, 30])
def test_bulk_confirmation_page_query_count_does_not_grow_with_reports(
    client_for, moderator, count, django_assert_num_queries
):
    reports = [pending(score=0.1 if n % 2 else 0.9) for n in range(count)]
    client = client_for(moderator)
    with django_assert_num_queries(BULK_CONFIRMATION_QUERIES):
        response = bulk_post(client, reports)
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
