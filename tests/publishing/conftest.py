"""Channels, people and ready videos for the publishing tests.

Channels are local folders under the test's tmp_path; the files a video
would publish are real objects in the test S3 bucket.
"""

import pytest

from contentops.roles import EDITORS
from publishing import channels
from seeding.demo_content import RENDER_WEBM, gradient_png
from tests.factories import (
    ArtifactFactory,
    SafetyReportFactory,
    UserFactory,
    VideoFactory,
    clear_for_publishing,
)
from tests.helpers import SCRIPT, approve, grant_channels, local_channel_config
from videos.models import Artifact, ArtifactKind, VideoStatus


@pytest.fixture
def channel_root(tmp_path):
    return tmp_path / "channels"


@pytest.fixture
def local_channels(settings, channel_root, db):
    """Two channels, youtube and tiktok, each writing manifests to a folder."""
    settings.PUBLISH_CHANNELS = local_channel_config(channel_root)
    channels.sync_permissions()
    return settings.PUBLISH_CHANNELS


@pytest.fixture
def publisher(roles, local_channels):
    """An editor who may publish to both channels."""
    return grant_channels(UserFactory(username="publisher", groups=[EDITORS]), "youtube", "tiktok")


@pytest.fixture
def files(s3_media) -> dict:
    """A render, thumbnail and script in S3: kind -> s3 path."""
    return {
        ArtifactKind.RENDER: s3_media("render.webm", RENDER_WEBM.read_bytes()),
        ArtifactKind.THUMBNAIL: s3_media(
            "thumbnail.png", gradient_png(b"\x10\x60\xa0", b"\x90\xe0\xf0")
        ),
        ArtifactKind.SCRIPT: s3_media("script.txt", SCRIPT),
    }


@pytest.fixture
def ready_video(files):
    """`ready_video(**fields)`: a safety-cleared video with its files in S3."""

    def make(*, kinds=tuple(files), **fields):
        video = VideoFactory(**{"status": VideoStatus.READY, **fields})
        for kind in kinds:
            ArtifactFactory(video=video, kind=kind, s3_path=files[kind])
        # Written after the files, as the pipeline checks them: it clears them as they are.
        SafetyReportFactory(task__video=video, requires_human_review=False, score=0.1)
        return video

    return make


@pytest.fixture
def approved_render_in_place(publisher, ready_video, s3_media):
    """An approved publish whose render has an S3 key of its own, to overwrite
    in place: (its receipt, the render's key in the bucket)."""
    path = s3_media("render-in-place.webm", RENDER_WEBM.read_bytes())
    video = ready_video(kinds=[ArtifactKind.THUMBNAIL])
    Artifact.objects.create(video=video, kind=ArtifactKind.RENDER, s3_path=path)
    clear_for_publishing(video)
    (receipt,) = approve(video, publisher)
    return receipt, path.split("/", 3)[3]


@pytest.fixture
def webhook_server():
    """A channel behind the webhook adapter: a real HTTP server (see webhook_server.py)."""
    from tests.publishing.webhook_server import WebhookServer

    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhook_channel(settings, webhook_server, db):
    """One channel, "hook", publishing to `webhook_server` with a short timeout."""
    settings.PUBLISH_CHANNELS = {
        "hook": {"adapter": "webhook", "label": "Hook", "url": webhook_server.url, "timeout": 0.5}
    }
    channels.sync_permissions()
    return channels.get("hook")
