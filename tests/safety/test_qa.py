"""The QA operations on real Postgres: never one's own decision, leases and
Review next, append-only verdicts, and a disagreement settled by a lead whose
verdict is applied to the report and its video."""

from datetime import timedelta

import psycopg
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from contentops.roles import LEADS, MODERATORS
from publishing import channels, lapses
from publishing.models import PublishReceipt, PublishStatus
from publishing.worker import SWEEP_STEPS
from safety import qa
from safety.models import (
    QAAction,
    QASample,
    QAStage,
    QAStatus,
    ReviewStatus,
)
from tests.factories import (
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)
from tests.helpers import decide, local_channel_config, pending, reload
from videos.models import Task, TaskStatus, TaskType, VideoStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_decision_drawn(settings):
    settings.SAFETY_QA_SAMPLE_RATE = 1.0


@pytest.fixture
def mods(roles):
    return [UserFactory(username=f"mod{n}", groups=[MODERATORS]) for n in range(3)]


@pytest.fixture
def leads(roles):
    return [UserFactory(username=f"lead{n}", groups=[LEADS]) for n in range(2)]


def drawn_decision(moderator, kind="approve", *, video=None, **report):
    """A report `moderator` decided, drawn for QA."""
    report = pending(**({"task__video": video} if video else {}), **report)
    reason, note = ("no_violation", "") if kind == "approve" else ("violence", "graphic")
    action = decide(report, moderator, kind, reason, note)
    return QASample.objects.get(first_decision=action)


def second_review(sample, reviewer, kind, note="looked again"):
    reason = "no_violation" if kind == "approve" else "violence"
    return qa.review(
        sample_id=sample.pk, reviewer=reviewer, kind=kind, reason_code=reason, note=note
    )


def settle(sample, lead, kind, note="my verdict"):
    reason = "no_violation" if kind == "approve" else "violence"
    return qa.resolve(sample_id=sample.pk, lead=lead, kind=kind, reason_code=reason, note=note)


# Never one's own


def test_a_moderator_is_never_handed_nor_allowed_their_own_decision(mods):
    sample = drawn_decision(mods[0])
    assert qa.claim_next(reviewer=mods[0]) is None
    with pytest.raises(qa.ReviewRefused, match="must be someone else's"):
        qa.claim(sample_id=sample.pk, reviewer=mods[0])
    with pytest.raises(qa.ReviewRefused, match="must be someone else's"):
        second_review(sample, mods[0], "approve")
    assert qa.claim_next(reviewer=mods[1]) == sample


def test_nor_a_report_they_escalated_for_a_lead_to_decide(mods, leads):
    report = pending()
    decide(report, mods[0], "escalate", "policy_unclear", "not sure")
    action = decide(report, leads[0], "approve")
    sample = QASample.objects.get(first_decision=action)
    assert sample.moderator == leads[0]
    assert qa.claim_next(reviewer=mods[0]) is None, "mod0 escalated it"
    assert qa.claim_next(reviewer=mods[1]) == sample


# Leases and Review next


def test_review_next_hands_the_oldest_resumes_the_held_and_skips_on_request(mods):
    older, newer = drawn_decision(mods[0]), drawn_decision(mods[0])
    assert qa.claim_next(reviewer=mods[1]) == older
    assert qa.claim_next(reviewer=mods[1]) == older, "resumes what it holds"
    assert qa.claim_next(reviewer=mods[2]) == newer, "older is held"
    assert qa.claim_next(reviewer=mods[1], skip=older.pk) is None, "newer is held too"
    assert reload(older).claimed_by is None, "skipped: released"
    assert list(older.actions.values_list("actor__username", "kind")) == [
        ("mod1", "claim"),
        ("mod1", "release"),
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_review_next_never_hands_one_sample_to_two_reviewers(roles):
    from tests.safety.test_services import run_threads

    first = UserFactory(username="first", groups=[MODERATORS])
    samples = [drawn_decision(first) for _ in range(3)]
    reviewers = [UserFactory(username=f"rev{n}", groups=[MODERATORS]) for n in range(5)]
    handed = run_threads([lambda r=r: qa.claim_next(reviewer=r) for r in reviewers])
    got = [sample.pk for sample in handed if sample is not None]
    assert sorted(got) == sorted(s.pk for s in samples), "each once, two reviewers get none"
    assert QAAction.objects.filter(kind="claim").count() == 3


def test_a_held_sample_is_refused_to_others_until_its_lease_lapses(mods, settings):
    settings.SAFETY_LEASE_SECONDS = 600
    sample = drawn_decision(mods[0])
    held = qa.claim(sample_id=sample.pk, reviewer=mods[1])
    assert held.claim_expires_at > timezone.now() + timedelta(seconds=590)
    with pytest.raises(qa.ReviewRefused, match="mod1 is reviewing") as refused:
        second_review(sample, mods[2], "approve")
    assert refused.value.conflict
    QASample.objects.filter(pk=sample.pk).update(claim_expires_at=timezone.now())
    assert qa.claim_next(reviewer=mods[2]) == sample
    with pytest.raises(qa.ReviewRefused, match="no longer hold"):
        qa.renew_claim(sample_id=sample.pk, reviewer=mods[1])


# Verdicts


def test_agreement_closes_the_sample(mods):
    sample = drawn_decision(mods[0], "reject")
    second_review(sample, mods[1], "reject")
    assert reload(sample).status == QAStatus.AGREED
    with pytest.raises(qa.ReviewRefused, match="already has its second review"):
        second_review(sample, mods[2], "approve")


def test_a_disagreement_goes_to_a_lead_and_only_a_lead_settles_it(mods, leads):
    sample = drawn_decision(mods[0])
    second_review(sample, mods[1], "reject")
    assert reload(sample).status == QAStatus.DISPUTED
    with pytest.raises(PermissionDenied):
        settle(sample, mods[2], "approve")
    settle(sample, leads[0], "approve")
    assert reload(sample).status == QAStatus.RESOLVED
    with pytest.raises(qa.ReviewRefused, match="already settled"):
        settle(sample, leads[1], "reject")


def test_a_lead_who_reviewed_the_report_does_not_settle_it(mods, leads):
    sample = drawn_decision(mods[0])
    second_review(sample, leads[0], "reject")
    with pytest.raises(qa.ReviewRefused, match="another lead"):
        settle(sample, leads[0], "reject")


def test_a_reject_needs_a_note_and_a_known_reason(mods):
    sample = drawn_decision(mods[0])
    with pytest.raises(qa.ReviewRefused, match="A note is required"):
        second_review(sample, mods[1], "reject", note=" ")
    with pytest.raises(qa.ReviewRefused, match="Unknown verdict 'escalate'"):
        qa.review(sample_id=sample.pk, reviewer=mods[1], kind="escalate", reason_code="x")
    assert not sample.actions.filter(kind__in=QAAction.VERDICTS).exists()


def test_qa_verdicts_are_append_only_in_the_database(mods, transactional_db, connect_to):
    from django.db import connection

    sample = drawn_decision(mods[0])
    verdict = second_review(sample, mods[1], "approve")
    pipeline = connect_to(connection.settings_dict["NAME"])
    with pytest.raises(psycopg.errors.RaiseException):
        pipeline.execute("UPDATE safety_qa_actions SET kind = 'reject' WHERE id = %s", [verdict.pk])
    with pytest.raises(psycopg.errors.RaiseException):
        pipeline.execute("DELETE FROM safety_qa_actions WHERE id = %s", [verdict.pk])


def test_the_database_allows_one_verdict_per_stage(mods):
    sample = drawn_decision(mods[0])
    QAAction.objects.create(sample=sample, actor=mods[1], stage=QAStage.REVIEW, kind="approve")
    with pytest.raises(IntegrityError), transaction.atomic():
        QAAction.objects.create(sample=sample, actor=mods[2], stage=QAStage.REVIEW, kind="reject")


# The lead's verdict, applied


def test_a_lead_rejecting_an_approval_rejects_the_video_and_cancels_its_publishes(mods, leads):
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    sample = drawn_decision(mods[0], video=video)
    assert reload(video).status == VideoStatus.READY
    publish = TaskFactory(video=video, type=TaskType.PUBLISH, status=TaskStatus.QUEUED)
    second_review(sample, mods[1], "reject")
    settle(sample, leads[0], "reject")
    assert reload(sample.report).review_status == ReviewStatus.REJECTED
    assert reload(video).status == VideoStatus.REJECTED
    assert reload(publish).status == TaskStatus.CANCELLED


def test_a_lead_rejecting_a_published_video_retracts_its_receipt(
    mods, leads, settings, tmp_path, django_capture_on_commit_callbacks, client_for
):
    settings.PUBLISH_CHANNELS = local_channel_config(tmp_path)
    channels.sync_permissions()
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    sample = drawn_decision(mods[0], video=video)
    video.refresh_from_db()
    video.status = VideoStatus.PUBLISHED
    video.save()
    receipt = PublishReceiptFactory(
        video=video, channel="youtube", status=PublishStatus.PUBLISHED, remote_id="remote-1"
    )
    second_review(sample, mods[1], "reject")
    with django_capture_on_commit_callbacks(execute=True):
        settle(sample, leads[0], "reject")
    receipt = reload(receipt)
    assert receipt.status == PublishStatus.RETRACTED
    assert "rejected in safety review" in receipt.error
    assert reload(video).status == VideoStatus.REJECTED
    # The receipt's page tells anyone who may read it.
    page = client_for(leads[0]).get(f"/admin/publishing/publishreceipt/{receipt.pk}/change/")
    assert "Retracted" in page.text and "a lead&#x27;s QA verdict" in page.text


def test_a_lead_approving_a_rejection_sends_the_video_back_to_review_never_to_ready(mods, leads):
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    sample = drawn_decision(mods[0], "reject", video=video)
    assert reload(video).status == VideoStatus.REJECTED
    second_review(sample, mods[1], "approve")
    settle(sample, leads[0], "approve")
    assert reload(sample.report).review_status == ReviewStatus.APPROVED
    assert reload(video).status == VideoStatus.PRODUCING
    # The pipeline checks the files again; a moderator reviews them if it asks.
    checks = Task.objects.filter(video=video, payload__reason="qa_rejection_reversed")
    assert list(checks.values_list("type", "status")) == [
        (TaskType.SAFETY_CHECK, TaskStatus.QUEUED)
    ]


def test_a_rejection_reversed_leaves_the_video_rejected_while_another_report_rejects_it(
    mods, leads
):
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    sample = drawn_decision(mods[0], "reject", video=video)
    decide(pending(task__video=video), mods[2], "reject", "hate", "other report")
    second_review(sample, mods[1], "approve")
    settle(sample, leads[0], "approve")
    assert reload(video).status == VideoStatus.REJECTED


def test_a_lead_upholding_the_decision_changes_nothing_else(mods, leads):
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    sample = drawn_decision(mods[0], video=video)
    version = reload(video).state_version
    second_review(sample, mods[1], "reject")
    settle(sample, leads[0], "approve")
    assert (reload(video).status, reload(video).state_version) == (VideoStatus.READY, version)
    assert reload(sample.report).review_status == ReviewStatus.APPROVED


def test_a_lead_rejecting_what_the_pipeline_cleared_rejects_the_video(mods, leads):
    video = VideoFactory(status=VideoStatus.READY)
    report = SafetyReportFactory(task__video=video, requires_human_review=False)
    sample = QASample.objects.create(report=report, source="pipeline", first_verdict="approved")
    second_review(sample, mods[1], "reject")
    settle(sample, leads[0], "reject")
    assert reload(report).review_status == ReviewStatus.REJECTED
    assert reload(video).status == VideoStatus.REJECTED


def test_nobody_without_the_review_permission_second_reviews(roles, mods):
    sample = drawn_decision(mods[0])
    viewer = UserFactory(username="viewer", groups=["Staff viewers"])
    with pytest.raises(PermissionDenied):
        qa.claim_next(reviewer=viewer)
    with pytest.raises(PermissionDenied):
        second_review(sample, viewer, "approve")
    assert not sample.actions.exists()


# A channel that refuses the retract


@pytest.fixture
def refusing_channel(settings, db):
    from tests.publishing.webhook_server import WebhookServer

    server = WebhookServer().start()
    settings.PUBLISH_CHANNELS = {
        "hook": {"adapter": "webhook", "label": "Hook", "url": server.url, "timeout": 0.5}
    }
    channels.sync_permissions()
    yield server
    server.stop()


def test_a_channel_refusing_the_retract_keeps_the_receipt_published_until_a_sweep_succeeds(
    mods, leads, refusing_channel, django_capture_on_commit_callbacks
):
    from tests.publishing.webhook_server import Answer

    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    sample = drawn_decision(mods[0], video=video)
    receipt = PublishReceiptFactory(
        video=video, channel="hook", status=PublishStatus.PUBLISHED, remote_id="remote-9"
    )
    video.refresh_from_db()
    video.status = VideoStatus.PUBLISHED
    video.save()
    second_review(sample, mods[1], "reject")
    refusing_channel.script(Answer(status=500))
    with django_capture_on_commit_callbacks(execute=True):
        settle(sample, leads[0], "reject")
    assert reload(video).status == VideoStatus.REJECTED
    assert reload(receipt).status == PublishStatus.PUBLISHED, "the channel refused"
    assert lapses.retract_rejected in SWEEP_STEPS
    lapses.retract_rejected()  # the next sweep; the channel now answers 200
    assert reload(receipt).status == PublishStatus.RETRACTED
    actions = [r.body["action"] for r in refusing_channel.requests]
    assert actions == ["retract", "retract"]
    assert PublishReceipt.objects.filter(video=video, status="published").count() == 0
