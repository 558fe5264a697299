"""Business operations on videos, tasks and artifacts. Each is one write."""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError

from contentops.locking import GuardedUpdate
from videos import media_types, storage
from videos.models import Artifact, Task, TaskStatus, Video, VideoStatus

ARCHIVABLE = [VideoStatus.DRAFT, VideoStatus.READY, VideoStatus.REJECTED, VideoStatus.FAILED]
CANCELLABLE = [TaskStatus.QUEUED, TaskStatus.RUNNING]
REQUEUEABLE = [TaskStatus.FAILED, TaskStatus.CANCELLED]


def archive_videos(*, versions: Mapping) -> GuardedUpdate:
    """Archive videos that are not in production, review or publishing."""
    return Video.objects.filter(status__in=ARCHIVABLE).update_guarded(
        versions, status=VideoStatus.ARCHIVED
    )


def cancel_tasks(*, versions: Mapping) -> GuardedUpdate:
    """Cancel tasks that have not finished."""
    return Task.objects.filter(status__in=CANCELLABLE).update_guarded(
        versions, status=TaskStatus.CANCELLED
    )


def requeue_tasks(*, versions: Mapping) -> GuardedUpdate:
    """Put failed or cancelled tasks back in the queue."""
    return Task.objects.filter(status__in=REQUEUEABLE).update_guarded(
        versions, status=TaskStatus.QUEUED
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
