"""Rows and files for the fault tests, made inside the app's own process
(`manage.py shell`) on the private services, through the factories and the
real operations. Each function prints what the test needs, as JSON."""

import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from publishing import approval
from seeding.demo_content import RENDER_WEBM, gradient_png
from tests.factories import (
    ArtifactFactory,
    PendingReportFactory,
    SafetyReportFactory,
    VideoFactory,
)
from tests.faults.stack import PASSWORD
from videos.models import Artifact, ArtifactKind, VideoStatus

FILES = {
    ArtifactKind.RENDER: ("render.webm", lambda: RENDER_WEBM.read_bytes()),
    ArtifactKind.THUMBNAIL: ("thumb.png", lambda: gradient_png(b"\x10\x60\xa0", b"\x90\xe0\xf0")),
    ArtifactKind.SCRIPT: ("script.txt", lambda: b"A SCRIPT\n\n[HOOK 0:00]\nHello.\n"),
}


def superuser(username: str = "faults"):
    users = get_user_model().objects
    return users.filter(username=username).first() or users.create_superuser(
        username, f"{username}@example.com", PASSWORD
    )


def _stored(video, kind) -> str:
    name, content = FILES[kind]
    key = default_storage.save(f"faults/{video.pk}/{name}", ContentFile(content()))
    return f"s3://{default_storage.bucket_name}/{key}"


def _ready_video(kinds=tuple(FILES)):
    video = VideoFactory(status=VideoStatus.READY)
    for kind in kinds:
        ArtifactFactory(video=video, kind=kind, s3_path=_stored(video, kind))
    # Written after the files, as the pipeline checks them: it clears them as they are.
    SafetyReportFactory(task__video=video, requires_human_review=False, score=0.1)
    return video


def approved(*, count: int, channel: str) -> None:
    """`count` videos approved for `channel`, due in an hour (tests make them due)."""
    editor = superuser()
    later = timezone.now() + timedelta(hours=1)
    receipts = []
    for _ in range(count):
        video = _ready_video(kinds=[ArtifactKind.RENDER])
        video.refresh_from_db()
        receipts += approval.approve_publish(
            video_id=video.pk,
            editor=editor,
            channel_names=[channel],
            video_version=video.state_version,
            artifacts_seen=approval.fingerprint(approval.publish_set(video.pk)),
            not_before=later,
        )
    print(json.dumps([str(r.pk) for r in receipts]))


def review_world() -> None:
    """A video with its three files, and a report waiting for a moderator."""
    superuser()
    video = _ready_video()
    report = PendingReportFactory(task__video=video)
    artifact = Artifact.objects.get(video=video, kind=ArtifactKind.RENDER)
    print(
        json.dumps({"video": str(video.pk), "report": str(report.pk), "artifact": str(artifact.pk)})
    )
