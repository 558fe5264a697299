"""The moderator's pages: the review page and the POST endpoints behind its buttons.

Every view checks the review permission itself (the services check again);
refusals caused by someone else acting first answer 409 with the page and a
message, never a 500.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import inputs
from core.admin_links import keyed_url
from core.admin_pages import render_page
from safety import clearance, review, services
from safety.highlight import highlight
from safety.issues import as_text
from safety.models import ActionKind, SafetyReport
from safety.queue import describe_wait, sla_level
from videos.storage import ArtifactMissing, InvalidS3Path, StorageUnavailable, read_text


def _require_reviewer(request) -> None:
    if not request.user.has_perm(services.REVIEW_PERMISSION):
        raise PermissionDenied


def review_url(report_id) -> str:
    return keyed_url("admin:safety_reviewqueueitem_review", report_id)


def queue_url() -> str:
    return reverse("admin:safety_reviewqueueitem_changelist")


def _script_preview(artifacts, lines):
    scripts = artifacts.get("script") or []
    if not scripts:
        return None
    artifact = scripts[0].artifact
    preview = {"artifact": artifact, "segments": None, "error": None, "truncated": False}
    if scripts[0].problem:
        preview["error"] = scripts[0].message or "S3 did not answer; the script cannot be shown."
        return preview
    try:
        text = read_text(artifact, limit_bytes=review.SCRIPT_INLINE_BYTES)
    except (ArtifactMissing, StorageUnavailable, InvalidS3Path) as problem:
        preview["error"] = str(problem)
        return preview
    preview["truncated"] = len(text.encode()) >= review.SCRIPT_INLINE_BYTES
    preview["segments"] = highlight(text, [line.excerpt for line in lines])
    return preview


def _readable(document) -> list[tuple[str, str]]:
    """A JSON object's entries as text a person reads; any other shape whole, as JSON."""
    if document is None:
        return []
    if not isinstance(document, dict):
        return [("profile", as_text(document))]
    return [(str(key), as_text(value)) for key, value in document.items()]


def review_page(request, model_admin, report_id, *, error=None, status=200):
    _require_reviewer(request)
    try:
        report = review.report_for_review(report_id)
    except SafetyReport.DoesNotExist:
        raise Http404("No such safety report.") from None
    now = timezone.now()
    video = report.video
    return render_page(
        request,
        model_admin,
        "admin/safety/review.html",
        title=f"Review: {video or 'report without a video'}",
        status=status,
        **_review_context(request, report, video, now=now, error=error),
    )


def _review_context(request, report, video, *, now, error) -> dict:
    lines = review.issue_lines(report.issues)
    artifacts = review.video_artifacts(video)
    waited = now - report.created_at if report.created_at else None
    return {
        "report": report,
        "video": video,
        "persona": video.persona if video else None,
        "tone_profile": _readable(video.persona.tone_profile if video and video.persona else None),
        "issue_lines": lines,
        "artifacts": artifacts,
        # What the decision form says it judged: decide refuses if the files changed.
        "files_fingerprint": clearance.fingerprint(
            preview.artifact for previews in artifacts.values() for preview in previews
        ),
        "script": _script_preview(artifacts, lines),
        "log": review.review_log(report),
        "earlier": review.earlier_reports(report),
        "holds": report.held_by(request.user, now),
        "held_by_other": report.held_by_other(request.user, now),
        "is_lead": request.user.has_perm(services.TAKEOVER_PERMISSION),
        "decided": report.is_decided,
        "may_decide": not report.is_decided and _may_decide(report, request.user, now),
        "reason_codes": settings.SAFETY_REASON_CODES,
        "renew_seconds": settings.SAFETY_LEASE_RENEW_SECONDS,
        "waited": describe_wait(waited),
        "sla": sla_level(waited),
        "error": error,
        "queue_url": queue_url(),
    }


def _may_decide(report, user, now) -> bool:
    """Whether the page offers the decision form: the operation's own check."""
    try:
        services.check_may_decide(report, user, now=now)
    except (services.ReviewRefused, PermissionDenied):
        return False
    return True


def _refused(request, model_admin, report_id, refusal: services.ReviewRefused):
    return review_page(
        request,
        model_admin,
        report_id,
        error=refusal.message,
        status=409 if refusal.conflict else 400,
    )


@require_POST
def review_next(request, model_admin):
    _require_reviewer(request)
    skip = request.POST.get("skip") or None
    try:
        report = services.claim_next(moderator=request.user, skip=skip)
    except ValidationError:
        return HttpResponseBadRequest("That is not a report id.")
    if report is None:
        messages.success(request, "The queue is empty: nothing waits for a human.")
        return redirect(queue_url())
    return redirect(review_url(report.pk))


@require_POST
def claim(request, model_admin, report_id):
    _require_reviewer(request)
    try:
        services.claim(report_id=report_id, moderator=request.user)
    except services.ReviewRefused as refusal:
        return _refused(request, model_admin, report_id, refusal)
    return redirect(review_url(report_id))


@require_POST
def renew(request, model_admin, report_id):
    _require_reviewer(request)
    try:
        report = services.renew_claim(report_id=report_id, moderator=request.user)
    except services.ReviewRefused as refusal:
        return JsonResponse({"error": refusal.message}, status=409)
    return JsonResponse({"expires_at": report.claim_expires_at.isoformat()})


@require_POST
def release(request, model_admin, report_id):
    _require_reviewer(request)
    try:
        services.release_claim(report_id=report_id, moderator=request.user)
    except services.ReviewRefused as refusal:
        return _refused(request, model_admin, report_id, refusal)
    messages.info(request, "Released: the report is back in the queue.")
    return redirect(queue_url())


@require_POST
def take_over(request, model_admin, report_id):
    _require_reviewer(request)
    if not request.user.has_perm(services.TAKEOVER_PERMISSION):
        raise PermissionDenied
    try:
        services.take_over(report_id=report_id, lead=request.user)
    except services.ReviewRefused as refusal:
        return _refused(request, model_admin, report_id, refusal)
    messages.warning(request, "You took this report over; the log records it.")
    return redirect(review_url(report_id))


@require_POST
def decide(request, model_admin, report_id):
    _require_reviewer(request)
    kind = request.POST.get("decision", "")
    try:
        version = inputs.form_int(request.POST.get("video_version_seen"), name="video version")
    except inputs.InvalidInput as error:
        return review_page(request, model_admin, report_id, error=error.message, status=400)
    try:
        action = services.decide(
            report_id=report_id,
            moderator=request.user,
            kind=kind,
            reason_code=request.POST.get(f"reason_{kind}", request.POST.get("reason", "")),
            note=request.POST.get("note", ""),
            video_version_seen=version,
            files_fingerprint=request.POST.get("files_seen", ""),
        )
    except services.ReviewRefused as refusal:
        return _refused(request, model_admin, report_id, refusal)
    verb = {ActionKind.APPROVE: "Approved", ActionKind.REJECT: "Rejected"}.get(
        action.kind, "Escalated"
    )
    messages.success(request, f"{verb} the report on “{_video_title(action.report)}”.")
    following = services.claim_next(moderator=request.user)
    if following is None:
        messages.info(request, "That was the last one: the queue is empty.")
        return redirect(queue_url())
    return redirect(review_url(following.pk))


def _video_title(report) -> str:
    video = report.video
    return str(video) if video else "a report without a video"
