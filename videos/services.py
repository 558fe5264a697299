"""Business operations on videos, tasks and artifacts. Each is one write."""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError

from core.locking import GuardedUpdate
from videos import media_types, storage
from videos.models import Artifact, Task, TaskStatus, TaskType, Video, VideoStatus

ARCHIVABLE = [VideoStatus.DRAFT, VideoStatus.READY, VideoStatus.REJECTED, VideoStatus.FAILED]
CANCELLABLE = [TaskStatus.QUEUED, TaskStatus.RUNNING]
REQUEUEABLE = [TaskStatus.FAILED, TaskStatus.CANCELLED]
# A superuser may correct a video to these: none claims that a review or a
# publish happened. The others are reached only through the named operations.
STATUSES_BY_HAND = [
    VideoStatus.DRAFT,
    VideoStatus.PRODUCING,
    VideoStatus.FAILED,
    VideoStatus.ARCHIVED,
]
# Made by approval with their receipts, and cancelled, retried and finished only
# by publishing's operations and its worker, which keep the receipts in step.
NOT_BY_HAND = [TaskType.PUBLISH]


# Approved for publishing: what goes out must be what the editor approved.
LOCKED = [VideoStatus.APPROVED]


def edit_problem(*, status) -> str | None:
    """Why a person may not edit a video in `status` (any path: its change form,
    the list's inline title), or None. An approved video is locked until it is
    published or its publishes are cancelled; an edit made anyway, say by SQL,
    voids the approval."""
    if status in LOCKED:
        return (
            "This video is approved for publishing: it cannot be edited until it is published "
            "or its publishes are cancelled (Publishing → Receipts)."
        )
    return None


def status_by_hand_problem(*, current, new) -> str | None:
    """Why a person may not move a video from `current` to `new` status, or None."""
    if new == current or new in STATUSES_BY_HAND:
        return None
    allowed = ", ".join(str(status) for status in STATUSES_BY_HAND)
    return (
        f"A video becomes {new} only through a recorded operation (a review decision, an "
        f"approval, the publish worker): by hand it may be set to {allowed}."
    )


def task_by_hand_problem(*, task_type) -> str | None:
    """Why people may not add or edit a task of `task_type`, or None."""
    if task_type in NOT_BY_HAND:
        return (
            "A publish task is made by approving the video for publishing (Publishing → Ready "
            "to publish), together with its receipt: it cannot be added or edited by hand."
        )
    return None


def archive_videos(*, versions: Mapping) -> GuardedUpdate:
    """Archive videos that are not in production, review or publishing."""
    return Video.objects.filter(status__in=ARCHIVABLE).update_guarded(
        versions, status=VideoStatus.ARCHIVED
    )


def cancel_tasks(*, versions: Mapping) -> GuardedUpdate:
    """Cancel tasks that have not finished (publish tasks: publishing's cancel)."""
    return (
        Task.objects.filter(status__in=CANCELLABLE)
        .exclude(type__in=NOT_BY_HAND)
        .update_guarded(versions, status=TaskStatus.CANCELLED)
    )


def requeue_tasks(*, versions: Mapping) -> GuardedUpdate:
    """Put failed or cancelled tasks back in the queue (publish tasks: publishing's retry)."""
    return (
        Task.objects.filter(status__in=REQUEUEABLE)
        .exclude(type__in=NOT_BY_HAND)
        .update_guarded(versions, status=TaskStatus.QUEUED)
    )


def replace_artifact_file(*, artifact: Artifact, file) -> Artifact:
    """Store `file` as the artifact's content, under a new key, and point the artifact at it.

    The checks (size, type for the kind) come first. The object is uploaded
    before the row changes, so the row never names a missing file; the old
    object stays in S3, where the artifact's history still points.
    """
    if artifact.video_id is None or not artifact.kind:
        raise ValidationError("This artifact has no video or no kind, so no key for a new file.")
    media = media_types.check_upload(
        artifact.kind, file, max_bytes=settings.ARTIFACT_UPLOAD_MAX_BYTES
    )
    key = storage.artifact_key(artifact, media.extension)
    location = storage.store(key, file, content_type=media.content_type)
    Artifact.objects.filter(pk=artifact.pk).update(s3_path=str(location))
    artifact.s3_path = str(location)
    return artifact
