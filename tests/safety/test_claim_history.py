"""Where a claim is recorded: the review log, not the report's change history.

"Review next" claims and releases a report on every press; the review log
(ReviewAction) keeps each one, so the history table does not write an event
for them too. Every other change of a report still does, with its holder.
"""

import pytest

from safety.models import ActionKind, SafetyReport
from tests.helpers import decide, html, pending, select, text
from tests.safety.pages import next_url, review_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("warm_content_types")]

Event = SafetyReport.pgh_event_model


def test_review_next_claims_and_releases_write_no_history_event(client_for, moderator):
    first, second = pending(age=30, score=0.9), pending(age=20, score=0.4)
    before = Event.objects.count()
    client = client_for(moderator)

    held = client.post(next_url())
    client.post(next_url(), {"skip": str(first.pk)})

    assert held.url == review_url(first)
    assert SafetyReport.objects.get(pk=second.pk).claimed_by_id == moderator.pk
    assert Event.objects.count() == before


def test_claims_and_releases_show_in_the_review_log_of_the_report(client_for, moderator):
    first, _ = pending(age=30, score=0.9), pending(age=20, score=0.4)
    client = client_for(moderator)
    client.post(next_url())
    client.post(next_url(), {"skip": str(first.pk)})

    log = select(html(client.get(review_url(first))), "#review-log tr")

    assert len(log) == 2
    assert text(log[0]).endswith("moderator Claim")
    assert text(log[1]).endswith("moderator Release")


def test_a_decision_is_still_an_event_with_the_holder_it_cleared(client_for, moderator):
    report = pending(score=0.9)
    client = client_for(moderator)
    client.post(next_url())
    before = Event.objects.filter(pgh_obj_id=report.pk).count()

    decide(report, moderator)

    events = Event.objects.filter(pgh_obj_id=report.pk).order_by("pgh_id")
    assert events.count() == before + 1
    assert events.last().review_status == "approved" and events.last().claimed_by_id is None
    assert ActionKind.APPROVE in report.review_actions.values_list("kind", flat=True)


def test_a_long_run_of_claims_lists_the_newest_and_says_how_many_it_leaves_out(
    client_for, moderator, django_assert_num_queries
):
    from safety import review

    report, other = pending(age=30, score=0.9), pending(age=20, score=0.4)
    client = client_for(moderator)
    client.post(next_url())  # claims `report`
    passes = review.LISTED_LEASE_ENTRIES  # each pass: a release of one, a claim of the other
    held = report
    for _ in range(passes):
        client.post(next_url(), {"skip": str(held.pk)})
        held = other if held == report else report
    client.post(next_url(), {"skip": str(held.pk)})
    decide(report, moderator)
    entries = review.ReviewAction.objects.filter(report=report)
    leases = entries.filter(kind__in=review.LEASE_KINDS).count()
    assert leases > review.LISTED_LEASE_ENTRIES

    page = html(client.get(review_url(report)))
    rows = select(page, "#review-log tr")
    unlisted = leases - review.LISTED_LEASE_ENTRIES
    assert text(rows[0]).startswith(f"{unlisted} earlier claims and releases not listed")
    listed = [text(row) for row in rows[1:]]
    assert len(listed) == review.LISTED_LEASE_ENTRIES + 1
    assert "Approve" in listed[-1]
    # The newest claims and releases, oldest first, as they happened.
    newest = list(entries.exclude(kind="approve").order_by("-created_at", "-id"))[
        : review.LISTED_LEASE_ENTRIES
    ]
    assert [row.split(" moderator ")[1] for row in listed[:-1]] == [
        e.get_kind_display() for e in reversed(newest)
    ]
    with django_assert_num_queries(1):
        log = review.review_log(report)
    assert log.unlisted == unlisted
