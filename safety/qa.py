"""QA operations: the blind second review of a drawn report, and a lead's
verdict when the two reviews disagree. Each owns its transaction and its
append-only QAAction row; refusals are services.ReviewRefused, as the review
queue's are, so the pages answer the same way.

Claims are leases, as in the review queue. Nobody second-reviews their own
decision, nor a report they decided or escalated; a lead does not settle a
disagreement they took part in. The lead's verdict stands: when it reverses
the report's verdict it is applied through the review's own operations (see
`apply_verdict`).
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core import leases
from safety import services
from safety.models import (
    QAAction,
    QAActionKind,
    QASample,
    QAStage,
    QAStatus,
    QAVerdict,
    ReviewAction,
    SafetyReport,
)
from videos.models import Task, TaskStatus, TaskType, Video, VideoStatus

REVIEW_PERMISSION = services.REVIEW_PERMISSION
RESOLVE_PERMISSION = "safety.resolve_qasample"
ReviewRefused = services.ReviewRefused

QUEUE_ORDER = ("created_at", "id")
VERDICT_OF = {QAActionKind.APPROVE: QAVerdict.APPROVED, QAActionKind.REJECT: QAVerdict.REJECTED}
OWN = "You decided this report: its second review must be someone else's."


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def _lock(sample_id) -> QASample:
    try:
        return (
            QASample.objects.select_for_update(of=("self",))
            .select_related("claimed_by")
            .get(pk=sample_id)
        )
    except QASample.DoesNotExist:
        raise ReviewRefused("That QA sample does not exist.") from None


def _log(sample, actor, kind, *, stage=QAStage.REVIEW, **fields) -> QAAction:
    return QAAction.objects.create(sample=sample, actor=actor, kind=kind, stage=stage, **fields)


def _set_claim(sample: QASample, user, now) -> None:
    sample.claimed_by = user
    sample.claim_expires_at = now + services.lease()
    sample.save(update_fields=["claimed_by", "claim_expires_at"])


def _decided_by(user):
    """The report's own decisions (approve, reject, escalate) by `user`."""
    return ReviewAction.objects.filter(
        report_id=OuterRef("report_id"), actor=user, kind__in=ReviewAction.DECISIONS
    )


def reviewable_by(user, samples: QuerySet[QASample] | None = None) -> QuerySet[QASample]:
    """Open samples `user` may second-review: not their decision, nor a report
    they decided or escalated."""
    samples = QASample.objects.all() if samples is None else samples
    return (
        samples.filter(status=QAStatus.OPEN)
        .exclude(moderator=user)
        .exclude(Exists(_decided_by(user)))
    )


def took_part(sample: QASample, user) -> bool:
    """`user` decided the report, or gave its second review."""
    if sample.moderator_id == user.pk:
        return True
    decided = ReviewAction.objects.filter(
        report_id=sample.report_id, actor=user, kind__in=ReviewAction.DECISIONS
    )
    reviewed = sample.actions.filter(actor=user, stage=QAStage.REVIEW, kind__in=QAAction.VERDICTS)
    return decided.exists() or reviewed.exists()


# Checks the pages ask


def check_may_review(sample: QASample, user, *, now) -> None:
    """Refuse unless `user` may give `sample` its second review now."""
    if sample.status != QAStatus.OPEN:
        raise ReviewRefused(
            "This QA sample already has its second review; yours was not recorded.",
            conflict=True,
        )
    if took_part(sample, user):
        raise ReviewRefused(OWN)
    if sample.held_by_other(user, now):
        raise ReviewRefused(
            f"{sample.claimed_by.get_username()} is reviewing this sample until "
            f"{timezone.localtime(sample.claim_expires_at):%H:%M}.",
            conflict=True,
        )


def review_problem(sample: QASample, user, *, now) -> str | None:
    try:
        check_may_review(sample, user, now=now)
    except ReviewRefused as refusal:
        return refusal.message
    return None


def check_may_resolve(sample: QASample, lead) -> None:
    """Refuse unless `lead` may settle `sample`'s disagreement."""
    if not lead.has_perm(RESOLVE_PERMISSION):
        raise PermissionDenied
    if sample.status == QAStatus.RESOLVED:
        raise ReviewRefused("A lead already settled this sample.", conflict=True)
    if sample.status != QAStatus.DISPUTED:
        raise ReviewRefused("Only a disagreement between the two reviews goes to a lead.")
    if took_part(sample, lead):
        raise ReviewRefused("You reviewed this report: another lead must settle it.")


def resolve_problem(sample: QASample, user) -> str | None:
    try:
        check_may_resolve(sample, user)
    except (ReviewRefused, PermissionDenied) as refusal:
        return getattr(refusal, "message", "Only a lead settles a disagreement.")
    return None


# Claims


def claim_next(*, reviewer, skip=None) -> QASample | None:
    """The sample the reviewer holds, else the oldest one nobody holds. `skip`
    is passed back (released) and not handed out again in this call. One
    statement, the review queue's (core.leases)."""
    _require(reviewer, REVIEW_PERMISSION)
    now = timezone.now()
    return leases.claim_next(
        candidates=_candidates,
        holder=reviewer,
        skip=skip,
        now=now,
        until=now + services.lease(),
        log=LEASE_LOG,
    )


def _candidates(reviewer, skip):
    candidates = reviewable_by(reviewer).order_by(*QUEUE_ORDER)
    return candidates if skip is None else candidates.exclude(pk=skip)


LEASE_LOG = leases.LeaseLog(
    model=QAAction,
    row="sample",
    constants=(("stage", QAStage.REVIEW), ("reason_code", ""), ("note", "")),
)


def _release_if_held(sample_id, reviewer) -> None:
    sample = QASample.objects.select_for_update().filter(pk=sample_id).first()
    if sample is not None and sample.claimed_by_id == reviewer.pk:
        sample.claimed_by = None
        sample.claim_expires_at = None
        sample.save(update_fields=["claimed_by", "claim_expires_at"])
        _log(sample, reviewer, QAActionKind.RELEASE)


def claim(*, sample_id, reviewer) -> QASample:
    _require(reviewer, REVIEW_PERMISSION)
    now = timezone.now()
    with transaction.atomic():
        sample = _lock(sample_id)
        check_may_review(sample, reviewer, now=now)
        renewing = sample.claimed_by_id == reviewer.pk
        _set_claim(sample, reviewer, now)
        if not renewing:
            _log(sample, reviewer, QAActionKind.CLAIM)
    return sample


def renew_claim(*, sample_id, reviewer) -> QASample:
    """Extend the reviewer's lease while their QA page is open."""
    _require(reviewer, REVIEW_PERMISSION)
    now = timezone.now()
    with transaction.atomic():
        sample = _lock(sample_id)
        if sample.claimed_by_id != reviewer.pk or sample.status != QAStatus.OPEN:
            raise ReviewRefused("You no longer hold this QA sample.", conflict=True)
        _set_claim(sample, reviewer, now)
    return sample


def release_claim(*, sample_id, reviewer) -> None:
    _require(reviewer, REVIEW_PERMISSION)
    with transaction.atomic():
        sample = _lock(sample_id)
        if sample.claimed_by_id != reviewer.pk:
            raise ReviewRefused("You do not hold this QA sample.", conflict=True)
        _release_if_held(sample.pk, reviewer)


# Verdicts


def _validate(kind: str, reason_code: str, note: str) -> None:
    if kind not in VERDICT_OF:
        raise ReviewRefused(f"Unknown verdict {kind!r}: approve or reject.")
    if reason_code not in services.reason_codes(kind):
        raise ReviewRefused(f"Choose a reason for {kind}: {reason_code!r} is not one of them.")
    if kind == QAActionKind.REJECT and not note.strip():
        raise ReviewRefused("A note is required to reject: say what you saw.")
    if "\x00" in note:
        raise ReviewRefused("The note contains a NUL character, which cannot be stored; remove it.")


def _one_verdict(operation):
    """The one-verdict-per-stage index caught a writer that skipped the lock."""
    try:
        return operation()
    except IntegrityError:
        raise ReviewRefused(
            "Someone recorded this verdict a moment ago; yours was not recorded.", conflict=True
        ) from None


def review(*, sample_id, reviewer, kind: str, reason_code: str, note: str = "") -> QAAction:
    """The blind second review: agreeing with the report's verdict closes the
    sample, disagreeing sends it to a lead."""
    _require(reviewer, REVIEW_PERMISSION)
    _validate(kind, reason_code, note)

    def record() -> QAAction:
        with transaction.atomic():
            sample = _lock(sample_id)
            check_may_review(sample, reviewer, now=timezone.now())
            action = _log(sample, reviewer, kind, reason_code=reason_code, note=note.strip())
            agreed = VERDICT_OF[kind] == sample.first_verdict
            sample.status = QAStatus.AGREED if agreed else QAStatus.DISPUTED
            sample.claimed_by = None
            sample.claim_expires_at = None
            sample.save(update_fields=["status", "claimed_by", "claim_expires_at"])
        return action

    return _one_verdict(record)


def resolve(*, sample_id, lead, kind: str, reason_code: str, note: str = "") -> QAAction:
    """A lead settles a disagreement; their verdict stands, applied to the
    report and its video when it reverses the report's verdict."""
    if not lead.has_perm(RESOLVE_PERMISSION):
        raise PermissionDenied
    _validate(kind, reason_code, note)

    def record() -> QAAction:
        with transaction.atomic():
            sample = _lock(sample_id)
            check_may_resolve(sample, lead)
            action = _log(
                sample, lead, kind, stage=QAStage.LEAD, reason_code=reason_code, note=note.strip()
            )
            sample.status = QAStatus.RESOLVED
            sample.save(update_fields=["status"])
            if VERDICT_OF[kind] != sample.first_verdict:
                apply_verdict(report_id=sample.report_id, verdict=VERDICT_OF[kind])
        return action

    return _one_verdict(record)


def apply_verdict(*, report_id, verdict: str) -> None:
    """The lead reversed the report's verdict (in their resolve's transaction).

    Rejected: the report is marked rejected and services.settle_video rejects
    the video, whatever it had reached, published included; its video_rejected
    signal has publishing cancel its publishes and retract its receipts.

    Approved (a rejection reversed): the report is marked approved, and the
    video, unless another report still rejects it, goes back to producing
    with a queued safety check, as a lapsed clearance does; never straight to
    ready. While it was rejected nobody watched its files (clearance lapses
    only watch ready and approved videos) and its publishes were cancelled,
    so the pipeline checks its files again and, if it asks, a moderator
    reviews them before an editor may publish.
    """
    report = SafetyReport.objects.select_for_update(of=("self",)).get(pk=report_id)
    report.review_status = verdict
    report.save(update_fields=["review_status"])
    video_id = report.video_id
    if video_id is None:
        return
    if verdict == QAVerdict.REJECTED:
        services.settle_video(video_id)
    else:
        _back_to_review(video_id)


BACK_TO_REVIEW = "A lead reversed the rejection in QA: the files are checked again."


def _back_to_review(video_id) -> None:
    rejected = SafetyReport.objects.filter(task__video_id=video_id, review_status="rejected")
    for _ in range(services.VIDEO_RETRIES):
        video = Video.objects.get(pk=video_id)
        if video.status != VideoStatus.REJECTED or rejected.exists():
            return
        result = Video.objects.update_guarded(
            {video.pk: video.state_version}, status=VideoStatus.PRODUCING
        )
        if result.updated:
            Task.objects.create(
                video_id=video_id,
                type=TaskType.SAFETY_CHECK,
                status=TaskStatus.QUEUED,
                payload={"reason": "qa_rejection_reversed", "detail": BACK_TO_REVIEW},
            )
            return
    raise ReviewRefused("The video kept changing while we updated it; try again.", conflict=True)
