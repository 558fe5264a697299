"""The QA pages: blind while a sample waits for its second review, the queue
without one's own decisions, the lead's agreement table, bad input answered
with a message, and pinned query counts."""

import pytest

from contentops.roles import LEADS, MODERATORS
from safety import qa
from safety.models import QASample, QAStatus
from tests.factories import ArtifactFactory, PersonaFactory, UserFactory, VideoFactory
from tests.helpers import decide, html, pending, queue_ids, select, select_one, text
from videos.models import ArtifactKind, VideoStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("warm_content_types")]

QA_URL = "/admin/safety/qasample/"
SECRET_NOTE = "Checked frame 17 carefully XYZZY"


def qa_url(sample, name="review") -> str:
    return f"{QA_URL}{sample.pk}/{name}/"


@pytest.fixture(autouse=True)
def every_decision_drawn(settings):
    settings.SAFETY_QA_SAMPLE_RATE = 1.0


@pytest.fixture
def first_moderator(roles):
    return UserFactory(username="firstmod-qwerty", groups=[MODERATORS])


@pytest.fixture
def second(roles):
    return UserFactory(username="second", groups=[MODERATORS])


@pytest.fixture
def boss(roles):
    return UserFactory(username="boss", groups=[LEADS])


def drawn(moderator, kind="approve", **report) -> QASample:
    reason = "acceptable_in_context" if kind == "approve" else "self_harm"
    action = decide(pending(**report), moderator, kind, reason, SECRET_NOTE)
    return QASample.objects.get(first_decision=action)


# Blind


@pytest.mark.parametrize("kind", ["approve", "reject"])
def test_the_qa_page_hides_the_first_verdict_reason_note_and_moderator(
    client_for, first_moderator, second, kind
):
    sample = drawn(first_moderator, kind, task__video__title="Octopus facts")
    verdict = "approved" if kind == "approve" else "rejected"
    client = client_for(second)
    for url in (qa_url(sample), f"{QA_URL}{sample.pk}/change/", QA_URL):
        page = client.get(url)
        assert page.status_code == 200
        assert "Octopus facts" in page.text
        for secret in (SECRET_NOTE, "firstmod-qwerty", verdict, "Ready", "Rejected"):
            assert secret not in page.text, f"{url} shows {secret!r}"
    # The form offers every reason alike: none is marked as the one chosen.
    assert "selected" not in text(select_one(html(client.get(qa_url(sample))), "#decision-form"))
    # Once the second review is in, the page tells the whole story.
    qa.review(
        sample_id=sample.pk,
        reviewer=second,
        kind=kind,
        reason_code="no_violation" if kind == "approve" else "violence",
        note="agree",
    )
    after = client.get(qa_url(sample)).text
    assert SECRET_NOTE in after and "firstmod-qwerty" in after


def test_the_queue_lists_no_decision_of_ones_own(client_for, first_moderator, second):
    theirs, mine = drawn(first_moderator), drawn(second)
    assert queue_ids(client_for(second).get(QA_URL)) == [theirs.pk]
    assert queue_ids(client_for(first_moderator).get(QA_URL)) == [mine.pk]
    own = client_for(second).get(qa_url(mine))
    assert "must be someone else's" in text(select_one(html(own), "#qa-problem"))
    assert not select(html(own), "#decision-form")


# Working it


def test_a_second_review_through_the_page_moves_on_to_the_next_sample(
    client_for, first_moderator, second
):
    older, newer = drawn(first_moderator), drawn(first_moderator)
    client = client_for(second)
    response = client.post(f"{QA_URL}next/")
    assert response["Location"] == qa_url(older)
    response = client.post(
        qa_url(older, "decide"),
        {"decision": "reject", "reason_reject": "violence", "note": "a knife at 0:12"},
    )
    assert response["Location"] == qa_url(newer)
    assert QASample.objects.get(pk=older.pk).status == QAStatus.DISPUTED


def test_a_refused_verdict_is_a_message_not_a_500(client_for, first_moderator, second):
    sample = drawn(first_moderator)
    client = client_for(second)
    response = client.post(qa_url(sample, "decide"), {"decision": "reject", "note": "x"})
    assert response.status_code == 400
    assert "Choose a reason for reject" in text(select_one(html(response), "#review-error"))
    assert client.post(f"{QA_URL}next/", {"skip": "not-a-number"}).status_code == 302
    assert client.get(f"{QA_URL}abc/change/").status_code == 404
    assert client.get(f"{QA_URL}999999/review/").status_code == 404


def test_a_lead_settles_a_disagreement_and_sees_agreement(
    client_for, first_moderator, second, boss
):
    sample = drawn(first_moderator)
    qa.review(sample_id=sample.pk, reviewer=second, kind="reject", reason_code="hate", note="x")
    client = client_for(boss)
    assert queue_ids(client.get(QA_URL, {"state": "disputed"})) == [sample.pk]
    page = html(client.get(qa_url(sample)))
    assert len(select(page, "#qa-verdicts tr")) == 2, "the decision and the second review"
    response = client.post(
        qa_url(sample, "resolve"), {"decision": "reject", "reason_reject": "hate", "note": "yes"}
    )
    assert response.status_code == 302
    assert QASample.objects.get(pk=sample.pk).status == QAStatus.RESOLVED
    table = html(client.get(f"{QA_URL}agreement/"))
    rows = [text(row) for row in select(table, "#qa-by-moderator tbody tr")]
    # One pair, approve then reject: po 0, pe 0, kappa 0.
    assert rows == ["firstmod-qwerty 1 0 0.0 % 0.00"]
    assert [text(r) for r in select(table, "#qa-overturns tbody tr")] == [
        "firstmod-qwerty 1 1 100 %"
    ]
    assert client_for(second).get(f"{QA_URL}agreement/").status_code == 403


# Pinned query counts

# Session, user with their permissions, then: the count and the page of
# samples (report, video and holder joined).
QUEUE_QUERIES = 4
# Session, user with their permissions, then: the sample (report, video, persona, holder
# joined), the artifacts, and the own-decision check (the report's decisions
# by this reviewer, their QA verdicts on it); nothing of the first decision.
REVIEW_PAGE_QUERIES = 6
# Session, user with their permissions, then: agreement per moderator, per
# category, settled samples per moderator, the leads' verdicts per moderator.
AGREEMENT_QUERIES = 6


@pytest.mark.parametrize("count", [2, 20])
def test_qa_queue_query_count_does_not_grow_with_samples(
    client_for, first_moderator, second, count, django_assert_num_queries
):
    for n in range(count):
        sample = drawn(first_moderator, category=["violence", "hate"][n % 2])
        ArtifactFactory(video=sample.report.video, kind=ArtifactKind.RENDER)
    client = client_for(second)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QA_URL)
    assert len(queue_ids(response)) == count


@pytest.mark.parametrize("artifacts", [1, 6])
def test_qa_page_query_count_is_pinned(
    client_for, first_moderator, second, artifacts, django_assert_num_queries
):
    video = VideoFactory(status=VideoStatus.IN_REVIEW, persona=PersonaFactory())
    for n in range(artifacts):
        kind = [ArtifactKind.RENDER, ArtifactKind.THUMBNAIL, ArtifactKind.AUDIO][n % 3]
        ArtifactFactory(video=video, kind=kind, s3_path=f"s3://elsewhere/{n}")
    # A rejection: S3 confirms none of these files, so nobody could approve them.
    sample = drawn(first_moderator, "reject", task__video=video)
    client = client_for(second)
    with django_assert_num_queries(REVIEW_PAGE_QUERIES):
        assert client.get(qa_url(sample)).status_code == 200


@pytest.mark.parametrize("samples", [2, 12])
def test_agreement_page_query_count_does_not_grow_with_samples(
    client_for, first_moderator, second, boss, samples, django_assert_num_queries
):
    for _ in range(samples):
        sample = drawn(first_moderator)
        qa.review(sample_id=sample.pk, reviewer=second, kind="approve", reason_code="no_violation")
    client = client_for(boss)
    with django_assert_num_queries(AGREEMENT_QUERIES):
        assert client.get(f"{QA_URL}agreement/").status_code == 200
