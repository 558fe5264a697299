"""Moderation operations on real Postgres: claims under concurrency, leases,
takeovers, the first decision winning, and what decisions do to the video."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection
from django.utils import timezone

from contentops.roles import MODERATORS
from safety import services
from safety.models import ActionKind, ReviewAction, ReviewStatus, SafetyReport
from tests.factories import SafetyReportFactory, TaskFactory, UserFactory, VideoFactory
from tests.helpers import reload
from videos.models import TaskStatus, TaskType, Video, VideoStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def moderators(roles):
    return [UserFactory(username=f"mod{n}", groups=[MODERATORS]) for n in range(8)]


@pytest.fixture
def plain_moderator(roles):
    """A moderator who may review but is no lead (no takeover permission)."""
    user = UserFactory(username="plain")
    user.user_permissions.add(Permission.objects.get(codename="review_safetyreport"))
    return user


def pending_report(*, score=0.5, severity="medium", video=None, age_minutes=0, **fields):
    video = video or VideoFactory(status=VideoStatus.IN_REVIEW)
    report = SafetyReportFactory(
        task__video=video,
        score=score,
        requires_human_review=True,
        issues=[{"category": "violence", "severity": severity}],
        **fields,
    )
    if age_minutes:
        SafetyReport.objects.filter(pk=report.pk).update(
            created_at=timezone.now() - timedelta(minutes=age_minutes)
        )
    return report


def expire_claim(report):
    SafetyReport.objects.filter(pk=report.pk).update(
        claim_expires_at=timezone.now() - timedelta(seconds=1)
    )


def run_threads(targets):
    """Start every target on its own thread (so its own connection) at once."""
    barrier = threading.Barrier(len(targets))
    results, errors = [None] * len(targets), []

    def run(index, target):
        try:
            barrier.wait(timeout=10)
            results[index] = target()
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


# Claims


def test_review_next_hands_out_worst_severity_then_highest_score_then_oldest(moderators):
    medium_old = pending_report(severity="medium", score=0.9, age_minutes=300)
    critical = pending_report(severity="critical", score=0.2)
    high_low_score = pending_report(severity="high", score=0.3, age_minutes=500)
    high_high_score = pending_report(severity="high", score=0.8)
    order = [services.claim_next(moderator=m).pk for m in moderators[:4]]
    assert order == [critical.pk, high_high_score.pk, high_low_score.pk, medium_old.pk]


def test_concurrent_review_next_never_hands_one_report_to_two_moderators(moderators):
    reports = [pending_report(score=n / 10) for n in range(6)]
    claimed = run_threads([lambda m=m: services.claim_next(moderator=m) for m in moderators])
    got = [report.pk for report in claimed if report is not None]
    assert len(got) == len(set(got)) == 6, "six reports, each to exactly one moderator"
    assert claimed.count(None) == 2
    for report in reports:
        assert ReviewAction.objects.filter(report=report, kind=ActionKind.CLAIM).count() == 1


def test_review_next_resumes_the_report_the_moderator_already_holds(moderators):
    pending_report(score=0.9)
    pending_report(score=0.1)
    first = services.claim_next(moderator=moderators[0])
    again = services.claim_next(moderator=moderators[0])
    assert again.pk == first.pk
    assert ReviewAction.objects.filter(kind=ActionKind.CLAIM).count() == 1


def test_a_lapsed_lease_returns_the_report_to_the_queue(moderators):
    report = pending_report()
    services.claim_next(moderator=moderators[0])
    assert services.claim_next(moderator=moderators[1]) is None
    expire_claim(report)
    taken = services.claim_next(moderator=moderators[1])
    assert taken.pk == report.pk
    assert reload(report).claimed_by == moderators[1]


def test_lease_lasts_the_configured_time_and_renewal_extends_it(moderators, settings):
    settings.SAFETY_LEASE_SECONDS = 600
    report = pending_report()
    before = timezone.now()
    claimed = services.claim_next(moderator=moderators[0])
    assert timedelta(seconds=595) < claimed.claim_expires_at - before < timedelta(seconds=605)
    SafetyReport.objects.filter(pk=report.pk).update(
        claim_expires_at=timezone.now() + timedelta(seconds=5)
    )
    renewed = services.renew_claim(report_id=report.pk, moderator=moderators[0])
    assert renewed.claim_expires_at - timezone.now() > timedelta(seconds=590)


def test_renewal_is_refused_once_someone_else_holds_the_report(moderators):
    report = pending_report()
    services.claim_next(moderator=moderators[0])
    expire_claim(report)
    services.claim_next(moderator=moderators[1])
    with pytest.raises(services.ReviewRefused) as refused:
        services.renew_claim(report_id=report.pk, moderator=moderators[0])
    assert refused.value.conflict
    assert "mod1" in refused.value.message


def test_claiming_a_report_held_by_someone_else_names_them(moderators):
    report = pending_report()
    services.claim_next(moderator=moderators[0])
    with pytest.raises(services.ReviewRefused) as refused:
        services.claim(report_id=report.pk, moderator=moderators[1])
    assert "mod0 is reviewing this report until" in refused.value.message


def test_release_puts_the_report_back_and_is_logged(moderators):
    report = pending_report()
    services.claim_next(moderator=moderators[0])
    services.release_claim(report_id=report.pk, moderator=moderators[0])
    assert reload(report).claimed_by is None
    assert services.claim_next(moderator=moderators[1]).pk == report.pk
    kinds = list(ReviewAction.objects.filter(report=report).values_list("kind", flat=True))
    assert kinds == [ActionKind.CLAIM, ActionKind.RELEASE, ActionKind.CLAIM]


def test_takeover_needs_the_permission_and_is_recorded(moderators, plain_moderator):
    report = pending_report()
    services.claim_next(moderator=plain_moderator)
    with pytest.raises(PermissionDenied):
        services.take_over(report_id=report.pk, lead=UserFactory(username="outsider"))
    lead = moderators[0]
    services.take_over(report_id=report.pk, lead=lead)
    assert reload(report).claimed_by == lead
    takeover = ReviewAction.objects.get(report=report, kind=ActionKind.TAKEOVER)
    assert takeover.actor == lead
    assert takeover.previous_holder == plain_moderator


# Decisions


def decide(report, user, kind="approve", reason=None, note="looked at it"):
    reason = (
        reason
        or {"approve": "no_violation", "reject": "violence", "escalate": "legal_review"}[kind]
    )
    return services.decide(
        report_id=report.pk, moderator=user, kind=kind, reason_code=reason, note=note
    )


def test_only_the_holder_decides_while_the_lease_lasts(moderators, plain_moderator):
    report = pending_report()
    services.claim_next(moderator=moderators[0])
    with pytest.raises(services.ReviewRefused) as refused:
        decide(report, plain_moderator)
    assert refused.value.conflict
    assert "mod0 is reviewing this report" in refused.value.message
    assert reload(report).review_status is None
    expire_claim(report)
    decide(report, plain_moderator)
    assert reload(report).review_status == ReviewStatus.APPROVED


def test_a_lead_deciding_a_held_report_records_the_takeover_first(moderators, plain_moderator):
    report = pending_report()
    services.claim_next(moderator=plain_moderator)
    decide(report, moderators[0], "reject")
    kinds = list(ReviewAction.objects.filter(report=report).values_list("kind", flat=True))
    assert kinds == [ActionKind.CLAIM, ActionKind.TAKEOVER, ActionKind.REJECT]


def test_the_decide_check_a_page_asks_refuses_like_decide_and_acts_on_nothing(
    moderators, plain_moderator
):
    report = pending_report()
    services.claim_next(moderator=moderators[1])
    held = reload(report)
    now = timezone.now()

    with pytest.raises(services.ReviewRefused) as refused:
        services.check_may_decide(held, plain_moderator, now=now)
    assert "mod1 is reviewing this report" in refused.value.message
    services.check_may_decide(held, moderators[0], now=now)  # a lead may take it over

    # Asking is not acting: no takeover, the holder keeps the report.
    assert reload(report).claimed_by == moderators[1]
    assert list(ReviewAction.objects.filter(report=report).values_list("kind", flat=True)) == [
        ActionKind.CLAIM
    ]


def test_first_decision_wins_and_the_second_changes_nothing(moderators):
    report = pending_report()
    decide(report, moderators[0], "approve")
    with pytest.raises(services.ReviewRefused) as refused:
        decide(report, moderators[1], "reject")
    assert refused.value.conflict
    assert "already approved by mod0" in refused.value.message
    assert reload(report).review_status == ReviewStatus.APPROVED
    assert ReviewAction.objects.filter(report=report, kind=ActionKind.REJECT).count() == 0


def test_concurrent_decisions_record_exactly_one(moderators):
    report = pending_report()

    def attempt(user, kind):
        try:
            decide(report, user, kind)
            return "decided"
        except services.ReviewRefused as refusal:
            return refusal.message

    outcomes = run_threads(
        [
            lambda m=m, k=k: attempt(m, k)
            for m, k in zip(moderators, ["approve", "reject"] * 4, strict=True)
        ]
    )
    assert outcomes.count("decided") == 1
    assert ReviewAction.objects.filter(report=report, kind__in=["approve", "reject"]).count() == 1


def test_the_database_allows_one_final_decision_per_report(moderators):
    from django.db import IntegrityError, transaction

    report = pending_report()
    ReviewAction.objects.create(report=report, actor=moderators[0], kind=ActionKind.APPROVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewAction.objects.create(report=report, actor=moderators[1], kind=ActionKind.REJECT)


def test_review_log_is_append_only(moderators, pipeline_db):
    import psycopg

    report = pending_report()
    action = decide(report, moderators[0])
    with pytest.raises(psycopg.errors.RaiseException):
        pipeline_db().execute(
            "UPDATE safety_review_actions SET note = 'rewritten' WHERE id = %s", [action.pk]
        )
    with pytest.raises(psycopg.errors.RaiseException):
        pipeline_db().execute("DELETE FROM safety_review_actions WHERE id = %s", [action.pk])


@pytest.mark.parametrize("kind", ["reject", "escalate"])
def test_reject_and_escalate_need_a_note(moderators, kind):
    report = pending_report()
    with pytest.raises(services.ReviewRefused) as refused:
        decide(report, moderators[0], kind, note="  ")
    assert "A note is required" in refused.value.message
    assert not ReviewAction.objects.filter(report=report).exists()


def test_unknown_decision_or_reason_is_refused_clearly(moderators):
    report = pending_report()
    with pytest.raises(services.ReviewRefused, match="Unknown decision 'delete'"):
        decide(report, moderators[0], "delete", reason="x")
    with pytest.raises(services.ReviewRefused, match="Choose a reason for approve"):
        decide(report, moderators[0], "approve", reason="violence")


def test_decision_records_what_the_moderator_saw(moderators):
    report = pending_report(score=0.42)
    video = report.task.video
    action = services.decide(
        report_id=report.pk,
        moderator=moderators[0],
        kind="reject",
        reason_code="violence",
        note="graphic scene at 0:12",
        video_version_seen=video.state_version,
    )
    action.refresh_from_db()
    assert (action.actor, action.reason_code, action.note) == (
        moderators[0],
        "violence",
        "graphic scene at 0:12",
    )
    assert action.score_seen == 0.42
    assert action.video_version_seen == video.state_version


# What decisions do to the video


def test_video_becomes_ready_when_all_its_reports_are_cleared(moderators):
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    first, second = pending_report(video=video), pending_report(video=video)
    SafetyReportFactory(task__video=video, requires_human_review=False, score=0.1)
    decide(first, moderators[0])
    assert reload(video).status == VideoStatus.IN_REVIEW, "one report still pending"
    decide(second, moderators[1])
    assert reload(video).status == VideoStatus.READY
    assert reload(video).state_version == video.state_version + 1


def test_any_rejection_rejects_the_video_and_cancels_its_publish_work(moderators):
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    report = pending_report(video=video)
    publish = TaskFactory(video=video, type=TaskType.PUBLISH, status=TaskStatus.QUEUED)
    done = TaskFactory(video=video, type=TaskType.RENDER, status=TaskStatus.SUCCEEDED)
    decide(report, moderators[0], "reject")
    assert reload(video).status == VideoStatus.REJECTED
    assert reload(publish).status == TaskStatus.CANCELLED
    assert reload(done).status == TaskStatus.SUCCEEDED


def test_escalation_keeps_the_video_in_review_for_a_lead(moderators, plain_moderator):
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    report = pending_report(video=video)
    decide(report, plain_moderator, "escalate")
    assert reload(report).review_status == ReviewStatus.ESCALATED
    assert reload(video).status == VideoStatus.IN_REVIEW
    with pytest.raises(PermissionDenied):
        decide(report, plain_moderator, "approve")
    decide(report, moderators[0], "approve")
    assert reload(video).status == VideoStatus.READY


def test_video_effect_is_guarded_and_retried_when_the_pipeline_writes_meanwhile(
    moderators, pipeline_db
):
    video = VideoFactory(status=VideoStatus.IN_REVIEW)
    report = pending_report(video=video)
    # A careless pipeline write bumps the version (trigger) between load and decision.
    pipeline_db().execute("UPDATE videos SET title = 'renamed' WHERE video_id = %s", [video.pk])
    decide(report, moderators[0])
    video = reload(video)
    assert (video.status, video.title) == (VideoStatus.READY, "renamed")


# Bulk


def test_bulk_approve_refuses_reports_above_the_limit(moderators, settings):
    settings.SAFETY_BULK_APPROVE_MAX_SCORE = 0.3
    low, risky = pending_report(score=0.1), pending_report(score=0.8)
    result = services.bulk_approve(
        report_ids=[low.pk, risky.pk], moderator=moderators[0], reason_code="no_violation"
    )
    assert result.decided == [low.pk]
    assert "above the bulk limit 0.3" in result.refused[risky.pk]
    assert reload(risky).review_status is None


def test_bulk_approve_gives_each_report_its_own_decision_and_names_conflicts(moderators):
    reports = [pending_report(score=0.1) for _ in range(3)]
    decide(reports[1], moderators[1], "reject")
    result = services.bulk_approve(
        report_ids=[r.pk for r in reports], moderator=moderators[0], reason_code="no_violation"
    )
    assert sorted(map(str, result.decided)) == sorted(str(r.pk) for r in (reports[0], reports[2]))
    assert "already rejected by mod1" in result.refused[reports[1].pk]
    for report in (reports[0], reports[2]):
        assert ReviewAction.objects.filter(report=report, kind=ActionKind.APPROVE).count() == 1


def test_nobody_without_the_review_permission_can_act(roles):
    editor = UserFactory(username="ed", groups=["Editors"])
    report = pending_report()
    for call in (
        lambda: services.claim_next(moderator=editor),
        lambda: services.claim(report_id=report.pk, moderator=editor),
        lambda: decide(report, editor),
        lambda: services.bulk_approve(
            report_ids=[report.pk], moderator=editor, reason_code="no_violation"
        ),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Video.objects.get(pk=report.task.video_id).status == VideoStatus.IN_REVIEW


def test_review_next_with_skip_passes_the_held_report_back_and_hands_another(moderators):
    worst, other = pending_report(severity="critical"), pending_report(severity="low")
    assert services.claim_next(moderator=moderators[0]).pk == worst.pk
    following = services.claim_next(moderator=moderators[0], skip=worst.pk)
    assert following.pk == other.pk
    assert reload(worst).claimed_by is None
    assert services.claim_next(moderator=moderators[1]).pk == worst.pk
    kinds = list(ReviewAction.objects.filter(report=worst).values_list("kind", flat=True))
    assert kinds == [ActionKind.CLAIM, ActionKind.RELEASE, ActionKind.CLAIM]
