"""The review queue's pages keep a pinned number of queries, however many
reports there are."""

import pytest
from django.core.cache import cache

from safety import services
from safety.models import ActionKind, ReviewAction
from tests.factories import (
    ArtifactFactory,
    VideoFactory,
)
from tests.helpers import decide, pending, queue_ids
from tests.safety.pages import QUEUE_URL, next_url, review_url
from videos.models import ArtifactKind, VideoStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sla", "warm_content_types")]


# Pinned query counts


def fill_queue(count: int, holders) -> None:
    """`count` reports on different videos and personas, some held, with artifacts."""
    for n in range(count):
        report = pending(age=n, score=n / count, severity=["low", "medium", "high"][n % 3])
        ArtifactFactory(video=report.task.video, kind=ArtifactKind.RENDER)
        if n % 2:
            services.claim(report_id=report.pk, moderator=holders[n % len(holders)])


# Session, user with their permissions (accounts.backends), then: the queue's
# summary (its count is the unfiltered list's), the category and persona
# filters' choices and the page of rows (video, persona and holder joined).
QUEUE_QUERIES = 6
# Session, user with their permissions, then: the report (video, persona, holder
# joined), its artifacts, its log (actors joined), the earlier reports, their decisions.
REVIEW_PAGE_QUERIES = 7
# Session, user with their permissions, then: the queue's summary, the recent actions box.
INDEX_QUERIES = 4


@pytest.mark.parametrize("count", [3, 30])
def test_queue_query_count_does_not_grow_with_reports(
    client_for, moderator, colleague, count, django_assert_num_queries
):
    fill_queue(count, [moderator, colleague])
    client = client_for(moderator)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QUEUE_URL)
    assert len(queue_ids(response)) == count


def test_a_filtered_queue_counts_its_own_rows(
    client_for, moderator, colleague, django_assert_num_queries
):
    fill_queue(4, [moderator, colleague])
    client = client_for(moderator)
    client.get(QUEUE_URL)  # the filters' choices cached
    with django_assert_num_queries(QUEUE_QUERIES - 2 + 1):
        response = client.get(QUEUE_URL, {"held": "others"})
    assert response.context["cl"].result_count == 2


def test_queue_filter_choices_are_read_once_per_minute_per_process(
    client_for, moderator, colleague, django_assert_num_queries
):
    fill_queue(3, [moderator, colleague])
    client = client_for(moderator)
    first = client.get(QUEUE_URL)
    # The category and persona choices come from the process cache this time.
    with django_assert_num_queries(QUEUE_QUERIES - 2):
        again = client.get(QUEUE_URL)
    filters = [spec.lookup_choices for spec in first.context["cl"].filter_specs]
    assert [spec.lookup_choices for spec in again.context["cl"].filter_specs] == filters
    pending(category="spam")  # a category no open report had
    assert "spam" not in again.text
    cache.clear()  # what a minute's expiry does
    assert "spam" in client.get(QUEUE_URL).text


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
    client = client_for(moderator)
    with django_assert_num_queries(REVIEW_PAGE_QUERIES):
        response = client.get(review_url(report))
    assert response.status_code == 200
    assert len(response.context["earlier"]) == earlier


@pytest.mark.parametrize("count", [3, 30])
def test_admin_index_query_count_for_a_moderator_does_not_grow_with_reports(
    client_for, moderator, colleague, count, django_assert_num_queries
):
    fill_queue(count, [colleague])
    client = client_for(moderator)
    with django_assert_num_queries(INDEX_QUERIES):
        response = client.get("/admin/")
    assert response.context["review_queue"].size == count


# Session, user with their permissions, then one statement: release the skipped
# report, claim the next, log both (core.leases.claim_next).
REVIEW_NEXT_QUERIES = 3


@pytest.mark.parametrize("count", [3, 30])
def test_review_next_passing_on_a_report_is_one_statement_however_long_the_queue(
    client_for, moderator, colleague, count, django_assert_num_queries
):
    fill_queue(count, [colleague])
    client = client_for(moderator)
    held = client.post(next_url()).url
    with django_assert_num_queries(REVIEW_NEXT_QUERIES):
        response = client.post(next_url(), {"skip": held.split("/")[-3]})
    assert response.status_code == 302
    assert response.url not in (held, QUEUE_URL)
    kinds = ReviewAction.objects.filter(actor=moderator).values_list("kind", flat=True)
    assert sorted(kinds) == sorted([ActionKind.CLAIM, ActionKind.RELEASE, ActionKind.CLAIM])
