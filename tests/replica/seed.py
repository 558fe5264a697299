"""Rows for the replica tests, made in the app's own process (`manage.py
shell`) through the factories, printed as JSON."""

import json
import uuid

from tests.factories import ArtifactFactory, PendingReportFactory, VideoFactory
from tests.faults import seed
from videos.models import ArtifactKind


def world() -> None:
    """The superuser; a draft video with a thumbnail; a report waiting for a human."""
    seed.superuser()
    mark = uuid.uuid4().hex[:8]
    video = VideoFactory(title=f"Seen on both servers {mark}")
    artifact = ArtifactFactory(
        video=video, kind=ArtifactKind.THUMBNAIL, s3_path=f"s3://contentops/replica/{mark}.png"
    )
    report = PendingReportFactory()
    print(
        json.dumps(
            {
                "video": str(video.pk),
                "title": video.title,
                "persona": str(video.persona_id),
                "artifact": str(artifact.pk),
                "report": str(report.pk),
            }
        )
    )
