"""Moderation operations. Each one owns its transaction, checks and log row.

Claims are leases: a moderator holds a report until the lease lapses, renews it
while the review page is open, or releases it. Decisions are append-only
ReviewAction rows; the first final decision on a report wins, and its effect
on the video is a guarded write.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core import leases
from safety import clearance, qa_sampling, signals
from safety.models import ActionKind, ReviewAction, ReviewStatus, SafetyReport
from safety.queue import QUEUE_ORDER, pending_reports
from videos.models import Video, VideoStatus

REVIEW_PERMISSION = "safety.review_safetyreport"
TAKEOVER_PERMISSION = "safety.takeover_safetyreport"

OUTCOME_STATUS = {
    ActionKind.APPROVE: ReviewStatus.APPROVED,
    ActionKind.REJECT: ReviewStatus.REJECTED,
    ActionKind.ESCALATE: ReviewStatus.ESCALATED,
}
NOTE_REQUIRED = (ActionKind.REJECT, ActionKind.ESCALATE)
VIDEO_RETRIES = 5


class ReviewRefused(Exception):
    """A review operation that cannot happen; the message tells the person why.

    `conflict` marks refusals caused by someone else acting first (HTTP 409).
    """

    def __init__(self, message: str, *, conflict: bool = False):
        super().__init__(message)
        self.message = message
        self.conflict = conflict


def lease() -> timedelta:
    return timedelta(seconds=settings.SAFETY_LEASE_SECONDS)


def reason_codes(kind: str) -> dict[str, str]:
    return dict(settings.SAFETY_REASON_CODES.get(kind, []))


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def _holder_name(report: SafetyReport) -> str:
    return report.claimed_by.get_username() if report.claimed_by else "nobody"


def _lock(report_id) -> SafetyReport:
    try:
        return (
            SafetyReport.objects.select_for_update(of=("self",))
            .select_related("claimed_by")
            .get(pk=report_id)
        )
    except SafetyReport.DoesNotExist:
        raise ReviewRefused("That report does not exist (any more).") from None


def _log(report, actor, kind, **fields) -> ReviewAction:
    return ReviewAction.objects.create(
        report=report, actor=actor, kind=kind, score_seen=report.score, **fields
    )


def _set_claim(report: SafetyReport, user, now) -> None:
    report.claimed_by = user
    report.claim_expires_at = now + lease()
    report.save(update_fields=["claimed_by", "claim_expires_at"])


# Claims


def claim_next(*, moderator, skip=None) -> SafetyReport | None:
    """Hand the moderator the report they hold, else the worst unclaimed one.

    `skip` is a report the moderator passes on: released back to the queue
    and not handed out again in this call. One statement (core.leases), whose
    SKIP LOCKED lets any number of moderators press "Review next" at once:
    each locks a different row, and none waits for another.
    """
    _require(moderator, REVIEW_PERMISSION)
    now = timezone.now()
    return leases.claim_next(
        candidates=_review_candidates,
        holder=moderator,
        skip=skip,
        now=now,
        until=now + lease(),
        log=LEASE_LOG,
    )


def _review_candidates(moderator, skip):
    candidates = pending_reports().order_by(*QUEUE_ORDER)
    return candidates if skip is None else candidates.exclude(pk=skip)


# Claims and releases as ReviewAction rows, as `_log` writes them.
LEASE_LOG = leases.LeaseLog(
    model=ReviewAction,
    row="report",
    constants=(("reason_code", ""), ("note", "")),
    copied=(("score_seen", "score"),),
)


def _release_if_held(report_id, moderator) -> None:
    report = SafetyReport.objects.select_for_update().filter(pk=report_id).first()
    if report is not None and report.claimed_by_id == moderator.pk:
        report.claimed_by = None
        report.claim_expires_at = None
        report.save(update_fields=["claimed_by", "claim_expires_at"])
        _log(report, moderator, ActionKind.RELEASE)


def claim(*, report_id, moderator) -> SafetyReport:
    """Claim one report (from the queue or the escalations list)."""
    _require(moderator, REVIEW_PERMISSION)
    now = timezone.now()
    with transaction.atomic():
        report = _lock(report_id)
        _refuse_if_decided(report)
        if report.held_by_other(moderator, now):
            raise ReviewRefused(
                f"{_holder_name(report)} is reviewing this report until "
                f"{timezone.localtime(report.claim_expires_at):%H:%M}.",
                conflict=True,
            )
        renewing = report.claimed_by_id == moderator.pk
        _set_claim(report, moderator, now)
        if not renewing:
            _log(report, moderator, ActionKind.CLAIM)
    return report


def renew_claim(*, report_id, moderator) -> SafetyReport:
    """Extend the moderator's lease while their review page is open."""
    _require(moderator, REVIEW_PERMISSION)
    now = timezone.now()
    with transaction.atomic():
        report = _lock(report_id)
        if report.claimed_by_id != moderator.pk or report.is_decided:
            raise ReviewRefused(
                f"You no longer hold this report (now held by {_holder_name(report)}).",
                conflict=True,
            )
        _set_claim(report, moderator, now)
    return report


def release_claim(*, report_id, moderator) -> None:
    """Give the report back to the queue."""
    _require(moderator, REVIEW_PERMISSION)
    with transaction.atomic():
        report = _lock(report_id)
        if report.claimed_by_id != moderator.pk:
            raise ReviewRefused("You do not hold this report.", conflict=True)
        _release_if_held(report.pk, moderator)


def take_over(*, report_id, lead) -> SafetyReport:
    """A lead takes a report another moderator holds; the log names both."""
    _require(lead, REVIEW_PERMISSION)
    _require(lead, TAKEOVER_PERMISSION)
    now = timezone.now()
    with transaction.atomic():
        report = _lock(report_id)
        _refuse_if_decided(report)
        _take_over_locked(report, lead, now)
    return report


def _take_over_locked(report, lead, now) -> None:
    if not report.held_by_other(lead, now):
        _set_claim(report, lead, now)
        _log(report, lead, ActionKind.CLAIM)
        return
    previous = report.claimed_by
    _set_claim(report, lead, now)
    _log(report, lead, ActionKind.TAKEOVER, previous_holder=previous)


# Decisions


def _refuse_if_decided(report: SafetyReport) -> None:
    if report.is_decided:
        decision = report.review_actions.filter(kind__in=["approve", "reject"]).first()
        who = decision.actor.get_username() if decision else "someone"
        when = f" at {timezone.localtime(decision.created_at):%H:%M}" if decision else ""
        raise ReviewRefused(
            f"This report was already {report.review_status} by {who}{when}; "
            "your decision was not recorded.",
            conflict=True,
        )


def _validate(kind: str, reason_code: str, note: str) -> None:
    if kind not in OUTCOME_STATUS:
        raise ReviewRefused(f"Unknown decision {kind!r}: approve, reject or escalate.")
    if reason_code not in reason_codes(kind):
        raise ReviewRefused(f"Choose a reason for {kind}: {reason_code!r} is not one of them.")
    if kind in NOTE_REQUIRED and not note.strip():
        raise ReviewRefused(f"A note is required to {kind}: say what you saw.")
    if "\x00" in note:
        raise ReviewRefused("The note contains a NUL character, which cannot be stored; remove it.")


def decide(
    *,
    report_id,
    moderator,
    kind: str,
    reason_code: str,
    note: str = "",
    video_version_seen: int | None = None,
    files_fingerprint: str | None = None,
    take_over_held: bool = True,
    bulk: bool = False,
) -> ReviewAction:
    """Approve, reject or escalate a report; the first final decision wins.

    The holder of the claim decides; a lead with the takeover permission may
    decide a report someone else holds (the takeover is logged first), and
    only a lead decides an escalated report. The video follows the verdicts
    of all its reports (see `settle_video`).

    The decision records what it judged (`files_seen`, safety.clearance's
    snapshot): `files_fingerprint` is what the review page showed, refused
    when the video's files changed since; an approval whose files S3 did not
    confirm is refused; a rejection or escalation is recorded whatever S3
    answers, noting the files it could not confirm.

    A final decision may be drawn for QA (safety.qa_sampling), `bulk` ones at
    the bulk rate.
    """
    _require(moderator, REVIEW_PERMISSION)
    _validate(kind, reason_code, note)
    now = timezone.now()
    video_id = SafetyReport.objects.filter(pk=report_id).values_list("task__video_id").first()
    seen = _files_seen(video_id[0] if video_id else None, kind, files_fingerprint)
    try:
        with transaction.atomic():
            report = _lock(report_id)
            check_may_decide(report, moderator, kind=kind, now=now, take_over_held=take_over_held)
            if report.held_by_other(moderator, now):
                _take_over_locked(report, moderator, now)
            _check_files_unchanged(report, seen)
            action = _log(
                report,
                moderator,
                kind,
                reason_code=reason_code,
                note=note.strip(),
                video_version_seen=video_version_seen,
                files_seen=seen,
            )
            report.review_status = OUTCOME_STATUS[kind]
            report.claimed_by = None
            report.claim_expires_at = None
            report.save(update_fields=["review_status", "claimed_by", "claim_expires_at"])
            qa_sampling.sample_decision(action=action, bulk=bulk)
            if report.video_id:
                settle_video(report.video_id)
    except IntegrityError:
        # The one-final-decision index caught a writer that skipped the row lock.
        raise ReviewRefused(
            "This report was decided by someone else a moment ago; your decision was not recorded.",
            conflict=True,
        ) from None
    return action


FILES_CHANGED = (
    "The video's files changed since the page loaded; reload and review them again. "
    "Your decision was not recorded."
)


def _files_seen(video_id, kind: str, files_fingerprint: str | None) -> dict | None:
    """The snapshot of the video's files a decision records, read before any
    row lock (it asks S3). None for a report without a video."""
    if video_id is None:
        return None
    if files_fingerprint == "":
        raise ReviewRefused(
            "The decision did not say which files you saw; reload the page and decide again."
        )
    if files_fingerprint is not None and files_fingerprint != clearance.fingerprint(
        clearance.video_files(video_id)
    ):
        raise ReviewRefused(FILES_CHANGED, conflict=True)
    seen = clearance.snapshot(video_id)
    if kind == ActionKind.APPROVE:
        problem = clearance.unconfirmed_problem(seen)
        if problem:
            raise ReviewRefused(problem)
    return seen


def _check_files_unchanged(report: SafetyReport, seen: dict | None) -> None:
    """Under the report's lock: the files are still those the snapshot names,
    and the snapshot records the video's version as it is decided."""
    if seen is None:
        return
    video_id = report.video_id
    files = clearance.video_files(video_id)
    if clearance.fingerprint(files) != clearance.snapshot_fingerprint(seen):
        raise ReviewRefused(FILES_CHANGED, conflict=True)
    seen["video_version"] = (
        Video.objects.filter(pk=video_id).values_list("state_version", flat=True).first()
    )


def check_may_decide(report, moderator, *, kind=None, now, take_over_held=True) -> None:
    """Refuse (ReviewRefused; PermissionDenied for an escalated report and no
    lead) unless `moderator` may decide `report` now, as `kind` when given.
    The review page asks it to offer the decision form; `decide` asks it under
    the report's lock, then takes the report over if someone else holds it."""
    _refuse_if_decided(report)
    is_lead = moderator.has_perm(TAKEOVER_PERMISSION)
    if report.review_status == ReviewStatus.ESCALATED:
        if not is_lead:
            raise PermissionDenied
        if kind == ActionKind.ESCALATE:
            raise ReviewRefused("This report is already escalated; approve or reject it.")
    if report.held_by_other(moderator, now) and not (is_lead and take_over_held):
        raise ReviewRefused(
            f"{_holder_name(report)} is reviewing this report until "
            f"{timezone.localtime(report.claim_expires_at):%H:%M}; only they, or a lead "
            "taking it over, can decide it.",
            conflict=True,
        )


def settle_video(video_id) -> None:
    """Move the video by the verdicts on all its reports, guarded on its version.

    Any rejected → rejected, and its unfinished publish tasks are cancelled;
    all cleared (approved, or never needing a human) → ready; otherwise (some
    pending or escalated) the video stays in review. Retried on conflicts.
    """
    for _ in range(VIDEO_RETRIES):
        video = Video.objects.get(pk=video_id)
        target = _verdict_for(video)
        if target is None or video.status == target:
            return
        result = Video.objects.update_guarded({video.pk: video.state_version}, status=target)
        if result.updated:
            if target == VideoStatus.REJECTED:
                # Publishing cancels the video's publishes (it imports safety, not the reverse).
                signals.video_rejected.send(sender=Video, video_id=video_id)
            return
    raise ReviewRefused("The video kept changing while we updated it; try again.", conflict=True)


SETTLEABLE = (VideoStatus.DRAFT, VideoStatus.PRODUCING, VideoStatus.IN_REVIEW)
# Published too: a rejection (a lead's QA verdict, or a later report) takes the
# video down; publishing retracts its receipts on video_rejected.
REJECTABLE = (*SETTLEABLE, VideoStatus.READY, VideoStatus.APPROVED, VideoStatus.PUBLISHED)


def _verdict_for(video: Video) -> str | None:
    # A report the pipeline cleared counts once a lead's QA verdict gave it a status.
    statuses = set(
        SafetyReport.objects.filter(task__video_id=video.pk)
        .filter(Q(requires_human_review=True) | Q(review_status__isnull=False))
        .values_list("review_status", flat=True)
    )
    if ReviewStatus.REJECTED in statuses:
        return VideoStatus.REJECTED if video.status in REJECTABLE else None
    if statuses <= {ReviewStatus.APPROVED} and video.status == VideoStatus.IN_REVIEW:
        return VideoStatus.READY
    return None


# Bulk


@dataclass
class BulkResult:
    decided: list = field(default_factory=list)
    refused: dict = field(default_factory=dict)  # report id -> why


def bulk_problem(*, score) -> str | None:
    """Why a report with `score` may not be approved in bulk, or None: only low
    risk (at most SAFETY_BULK_APPROVE_MAX_SCORE) goes without a look each."""
    limit = settings.SAFETY_BULK_APPROVE_MAX_SCORE
    if score is None or score > limit:
        return f"score {score} is above the bulk limit {limit}"
    return None


def bulk_approve(*, report_ids, moderator, reason_code: str, note: str = "") -> BulkResult:
    """Approve low-risk reports one by one: each gets its own decision row, and
    a report above the score limit, held by someone else or already decided is
    refused by itself while the others go through."""
    _require(moderator, REVIEW_PERMISSION)
    _validate(ActionKind.APPROVE, reason_code, note)
    result = BulkResult()
    scores = dict(SafetyReport.objects.filter(pk__in=report_ids).values_list("pk", "score"))
    for report_id in sorted(report_ids, key=str):
        too_risky = bulk_problem(score=scores.get(report_id))
        if report_id not in scores:
            result.refused[report_id] = "does not exist"
        elif too_risky:
            result.refused[report_id] = too_risky
        else:
            try:
                decide(
                    report_id=report_id,
                    moderator=moderator,
                    kind=ActionKind.APPROVE,
                    reason_code=reason_code,
                    note=note,
                    # Bulk never takes a report from the moderator reviewing it.
                    take_over_held=False,
                    bulk=True,
                )
                result.decided.append(report_id)
            except ReviewRefused as refusal:
                result.refused[report_id] = refusal.message
            except PermissionDenied:
                result.refused[report_id] = "escalated: only a lead may decide it"
    return result
