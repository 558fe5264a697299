"""The QA pages: the blind second-review page, the buttons behind it, the
lead's verdict and the agreement table.

The second reviewer's page never carries the report's verdict, its reason,
note or decider, nor the video's status (which would tell the verdict): it
shows them only once the sample has its second review. Refusals answer as the
review queue's do: 409 when someone acted first, 400 otherwise, never a 500.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core import inputs
from core.admin_pages import render_page
from safety import qa, qa_stats, review
from safety.models import QAStatus
from safety.queue import describe_wait
from safety.views import _script_preview

VERDICT_KINDS = ("approve", "reject")


def may_work(user) -> bool:
    return user.has_perm(qa.REVIEW_PERMISSION) or user.has_perm(qa.RESOLVE_PERMISSION)


def _require_worker(request) -> None:
    if not may_work(request.user):
        raise PermissionDenied


def _require_reviewer(request) -> None:
    if not request.user.has_perm(qa.REVIEW_PERMISSION):
        raise PermissionDenied


def qa_url(sample_id) -> str:
    return reverse("admin:safety_qasample_review", args=[sample_id])


def queue_url(state: str = "") -> str:
    url = reverse("admin:safety_qasample_changelist")
    return f"{url}?state={state}" if state else url


def _sample(sample_id):
    sample = (
        qa.QASample.objects.select_related("report__task__video__persona", "claimed_by")
        .filter(pk=sample_id)
        .first()
    )
    if sample is None:
        raise Http404("No such QA sample.")
    return sample


def review_page(request, model_admin, sample_id, *, error=None, status=200):
    _require_worker(request)
    sample = _sample(sample_id)
    video = sample.report.video
    return render_page(
        request,
        model_admin,
        "admin/safety/qa_review.html",
        title=f"QA: {video or 'report without a video'}",
        status=status,
        **_context(request, sample, video, error=error),
    )


def _context(request, sample, video, *, error) -> dict:
    user, now = request.user, timezone.now()
    report = sample.report
    lines = review.issue_lines(report.issues)
    artifacts = review.video_artifacts(video)
    problem = qa.review_problem(sample, user, now=now) if sample.status == QAStatus.OPEN else None
    return {
        "sample": sample,
        "report": report,
        "video": video,
        "persona": video.persona if video else None,
        "issue_lines": lines,
        "artifacts": artifacts,
        "script": _script_preview(artifacts, lines),
        "holds": sample.held_by(user, now),
        "held_by_other": sample.held_by_other(user, now),
        "is_open": sample.status == QAStatus.OPEN,
        "problem": problem,
        "may_review": sample.status == QAStatus.OPEN
        and problem is None
        and user.has_perm(qa.REVIEW_PERMISSION),
        "may_resolve": sample.status == QAStatus.DISPUTED
        and qa.resolve_problem(sample, user) is None,
        # Blind until the second review is in.
        "verdicts": [] if sample.status == QAStatus.OPEN else _verdicts(sample),
        "reason_codes": {kind: settings.SAFETY_REASON_CODES[kind] for kind in VERDICT_KINDS},
        "renew_seconds": settings.SAFETY_LEASE_RENEW_SECONDS,
        "waited": describe_wait(now - sample.created_at),
        "error": error,
        "queue_url": queue_url(),
    }


def _verdicts(sample) -> list[dict]:
    """The report's verdict, then the QA verdicts, as the page lists them."""
    first = sample.first_decision
    rows = [
        {
            "stage": "Decision" if first else "Cleared by the pipeline",
            "who": first.actor.get_username() if first else "the pipeline",
            "verdict": sample.get_first_verdict_display(),
            "reason": first.reason_code if first else "",
            "note": first.note if first else "",
            "at": first.created_at if first else sample.report.created_at,
        }
    ]
    for action in sample.actions.filter(kind__in=qa.QAAction.VERDICTS).select_related("actor"):
        rows.append(
            {
                "stage": action.get_stage_display(),
                "who": action.actor.get_username(),
                "verdict": action.verdict,
                "reason": action.reason_code,
                "note": action.note,
                "at": action.created_at,
            }
        )
    return rows


def _refused(request, model_admin, sample_id, refusal: qa.ReviewRefused):
    return review_page(
        request,
        model_admin,
        sample_id,
        error=refusal.message,
        status=409 if refusal.conflict else 400,
    )


def _go_next(request, sample):
    if sample is None:
        messages.success(request, "Nothing waits for a second review that you may give.")
        return redirect(queue_url())
    return redirect(qa_url(sample.pk))


@require_POST
def review_next(request, model_admin):
    _require_reviewer(request)
    try:
        skip = inputs.form_int(request.POST.get("skip"), name="sample to skip", minimum=1)
    except inputs.InvalidInput as error:
        messages.error(request, error.message)
        return redirect(queue_url())
    return _go_next(request, qa.claim_next(reviewer=request.user, skip=skip))


@require_POST
def claim(request, model_admin, sample_id):
    _require_reviewer(request)
    try:
        qa.claim(sample_id=sample_id, reviewer=request.user)
    except qa.ReviewRefused as refusal:
        return _refused(request, model_admin, sample_id, refusal)
    return redirect(qa_url(sample_id))


@require_POST
def renew(request, model_admin, sample_id):
    _require_reviewer(request)
    try:
        sample = qa.renew_claim(sample_id=sample_id, reviewer=request.user)
    except qa.ReviewRefused as refusal:
        return JsonResponse({"error": refusal.message}, status=409)
    return JsonResponse({"expires_at": sample.claim_expires_at.isoformat()})


@require_POST
def release(request, model_admin, sample_id):
    _require_reviewer(request)
    try:
        qa.release_claim(sample_id=sample_id, reviewer=request.user)
    except qa.ReviewRefused as refusal:
        return _refused(request, model_admin, sample_id, refusal)
    messages.info(request, "Released: the sample is back in the QA queue.")
    return redirect(queue_url())


def _verdict_fields(request) -> dict:
    kind = request.POST.get("decision", "")
    return {
        "kind": kind,
        "reason_code": request.POST.get(f"reason_{kind}", request.POST.get("reason", "")),
        "note": request.POST.get("note", ""),
    }


@require_POST
def decide(request, model_admin, sample_id):
    _require_reviewer(request)
    try:
        qa.review(sample_id=sample_id, reviewer=request.user, **_verdict_fields(request))
    except qa.ReviewRefused as refusal:
        return _refused(request, model_admin, sample_id, refusal)
    messages.success(request, "Second review recorded.")
    return _go_next(request, qa.claim_next(reviewer=request.user))


@require_POST
def resolve(request, model_admin, sample_id):
    if not request.user.has_perm(qa.RESOLVE_PERMISSION):
        raise PermissionDenied
    try:
        action = qa.resolve(sample_id=sample_id, lead=request.user, **_verdict_fields(request))
    except qa.ReviewRefused as refusal:
        return _refused(request, model_admin, sample_id, refusal)
    messages.success(request, f"Your verdict stands: {action.verdict}.")
    return redirect(queue_url("disputed"))


@require_GET
def agreement_page(request, model_admin):
    if not request.user.has_perm(qa.RESOLVE_PERMISSION):
        raise PermissionDenied
    return render_page(
        request,
        model_admin,
        "admin/safety/qa_agreement.html",
        title="QA agreement",
        by_moderator=qa_stats.agreement_by_moderator(),
        by_category=qa_stats.agreement_by_category(),
        overturns=qa_stats.overturn_by_moderator(),
        queue_url=queue_url(),
    )
