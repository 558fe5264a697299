"""The editor's approve page: what would be published where, and the form to approve it.

The page carries the video's version and a fingerprint of the files it shows;
`approval.approve_publish` refuses if either changed, so an editor approves
exactly what they saw.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_text_list

from core import inputs
from core.admin_links import keyed_url
from core.admin_pages import render_page
from publishing import approval, channels, transitions
from publishing.models import PublishReceipt, PublishStatus
from safety.models import ClearanceLapse
from videos import storage
from videos.models import Artifact, Video


def _require_approver(request) -> None:
    if not request.user.has_perm(transitions.APPROVE_PERMISSION):
        raise PermissionDenied


def approve_url(video_id) -> str:
    return keyed_url("admin:publishing_readyvideo_approve", video_id)


def ready_list_url() -> str:
    return reverse("admin:publishing_readyvideo_changelist")


@dataclass
class OutgoingFile:
    """One file that would go out, as the page shows it. `url` is the artifact's
    content view, which checks permission and the type served on every open:
    the page itself holds no S3 link."""

    artifact: Artifact
    url: str | None
    problem: str | None


def _outgoing(files) -> list[OutgoingFile]:
    shown = []
    for artifact in files:
        try:
            storage.locate(artifact)
        except storage.InvalidS3Path as error:
            shown.append(OutgoingFile(artifact, None, str(error)))
            continue
        url = reverse("admin:videos_artifact_content", args=[artifact.pk])
        shown.append(OutgoingFile(artifact, url, None))
    return shown


def _blocker(video: Video, files) -> str | None:
    """Why the video cannot be approved, in the operation's own words."""
    try:
        approval.check_approvable(video, files=files)
    except transitions.PublishRefused as refusal:
        return refusal.message
    return None


def approve_page(request, model_admin, video_id):
    _require_approver(request)
    if request.method == "POST":
        return _approve(request, model_admin, video_id)
    return _page(request, model_admin, video_id)


def _page(request, model_admin, video_id, *, error=None, status=200, form=None):
    video = Video.objects.select_related("persona").filter(pk=video_id).first()
    if video is None:
        raise Http404("No such video.")
    files = approval.publish_set(video.pk)
    published = set(
        PublishReceipt.objects.filter(video=video, status=PublishStatus.PUBLISHED).values_list(
            "channel", flat=True
        )
    )
    configured = channels.configured().values()
    reports = approval.safety_summary(video.pk)
    blocker = _blocker(video, files)
    form = form or {}
    return render_page(
        request,
        model_admin,
        "admin/publishing/approve.html",
        title=f"Approve for publishing: {video}",
        status=status,
        video=video,
        files=_outgoing(files),
        fingerprint=approval.fingerprint(files),
        reports=reports,
        blocker=blocker,
        # Why the video last went back to safety review, for the blocker to explain.
        lapse=blocker
        and ClearanceLapse.objects.filter(video=video).select_related("actor").first(),
        channels=[
            {
                "channel": channel,
                "published": channel.name in published,
                "checked": channel.name in form.get("channels", ()),
            }
            for channel in configured
            if request.user.has_perm(channel.permission)
        ],
        not_allowed=[c for c in configured if not request.user.has_perm(c.permission)],
        form=form,
        error=error,
        ready_list_url=ready_list_url(),
        time_zone=timezone.get_current_timezone_name(),
    )


def _parse_time(raw: str) -> datetime:
    moment = inputs.form_datetime(raw, name="publishing time")
    if moment is None:
        raise inputs.InvalidInput("Give a date and time.")
    return moment


def _approve(request, model_admin, video_id):
    post = request.POST
    form = {
        "channels": post.getlist("channel"),
        "when": post.get("when", "now"),
        "publish_at": post.get("publish_at", ""),
    }
    try:
        not_before = _parse_time(form["publish_at"]) if form["when"] == "at" else None
        version = inputs.form_int(post.get("video_version"), name="video version")
    except inputs.InvalidInput as error:
        return _page(request, model_admin, video_id, error=error.message, status=400, form=form)
    try:
        receipts = approval.approve_publish(
            video_id=video_id,
            editor=request.user,
            channel_names=form["channels"],
            # No version: the page was not ours; it cannot match any video's.
            video_version=-1 if version is None else version,
            artifacts_seen=post.get("artifacts", ""),
            not_before=not_before,
        )
    except transitions.PublishRefused as refusal:
        status = 403 if refusal.forbidden else 409 if refusal.conflict else 400
        return _page(
            request, model_admin, video_id, error=refusal.message, status=status, form=form
        )
    labels = get_text_list([str(channels.get(r.channel) or r.channel) for r in receipts], "and")
    when = (
        f"at {timezone.localtime(not_before):%Y-%m-%d %H:%M}"
        if not_before and not_before > timezone.now()
        else "now"
    )
    title = receipts[0].video if receipts else video_id
    messages.success(request, f"Approved “{title}” for {labels}: publishing {when}.")
    return redirect(f"{reverse('admin:publishing_publishreceipt_changelist')}?q={video_id}")
