"""Replacing an artifact's file: checks, the key it is stored under, and who may."""

import re
import struct

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import ArtifactFactory
from tests.helpers import http_get
from videos import services, storage
from videos.models import Artifact, ArtifactKind

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 56
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 60
WEBP = b"RIFF" + struct.pack("<I", 60) + b"WEBPVP8 " + b"\0" * 52
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\0" * 48
MP4 = b"\0\0\0\x18ftypisom" + b"\0" * 52
WAV = b"RIFF" + struct.pack("<I", 60) + b"WAVEfmt " + b"\0" * 52
MP3 = b"ID3\x04" + b"\0" * 60
OGG = b"OggS" + b"\0" * 60
SCRIPT = "HOOK: Bonjour, ça va ?\nBODY\n".encode()


def upload(name, content, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


def upload_url(artifact) -> str:
    return f"/admin/videos/artifact/{artifact.pk}/upload/"


def stored(artifact) -> tuple[bytes, str]:
    location = storage.locate(artifact)
    head = default_storage.connection.meta.client.get_object(
        Bucket=location.bucket, Key=location.key
    )
    return head["Body"].read(), head["ContentType"]


@pytest.mark.parametrize(
    ("kind", "content", "declared", "extension", "content_type"),
    [
        (ArtifactKind.THUMBNAIL, PNG, "image/png", "png", "image/png"),
        (ArtifactKind.THUMBNAIL, JPEG, "image/jpeg", "jpg", "image/jpeg"),
        (ArtifactKind.THUMBNAIL, WEBP, "application/octet-stream", "webp", "image/webp"),
        (ArtifactKind.RENDER, WEBM, "video/webm", "webm", "video/webm"),
        (ArtifactKind.RENDER, MP4, "video/mp4", "mp4", "video/mp4"),
        (ArtifactKind.AUDIO, WAV, "audio/x-wav", "wav", "audio/wav"),
        (ArtifactKind.AUDIO, MP3, "audio/mpeg", "mp3", "audio/mpeg"),
        (ArtifactKind.AUDIO, OGG, "audio/ogg", "ogg", "audio/ogg"),
        (ArtifactKind.SCRIPT, SCRIPT, "text/markdown", "txt", "text/plain; charset=utf-8"),
    ],
)
def test_a_replacement_is_stored_under_a_new_key_of_its_video_and_kind(
    stored_artifact, replaced_objects, kind, content, declared, extension, content_type
):
    artifact = stored_artifact(kind, b"old content", "application/octet-stream")
    old_path = artifact.s3_path
    replaced_objects(artifact)

    services.replace_artifact_file(artifact=artifact, file=upload("new", content, declared))

    artifact.refresh_from_db()
    key = storage.locate(artifact).key
    assert re.fullmatch(rf"videos/{artifact.video_id}/{kind}/[0-9a-f-]{{36}}\.{extension}", key), (
        key
    )
    assert stored(artifact) == (content, content_type)
    # The old file stays: the artifact's history still names it.
    assert stored(Artifact(s3_path=old_path)) == (b"old content", "application/octet-stream")
    events = Artifact.pgh_event_model.objects.filter(pgh_obj_id=artifact.pk).order_by("pgh_id")
    assert [event.s3_path for event in events] == [old_path, artifact.s3_path]


@pytest.mark.parametrize(
    ("kind", "content", "declared", "message"),
    [
        (
            ArtifactKind.RENDER,
            PNG,
            "image/png",
            "Render files must be one of: WebM, MP4; this file",
        ),
        (
            ArtifactKind.THUMBNAIL,
            b"<svg onload=alert(1)>",
            "image/svg+xml",
            "Thumbnail files must be one of: PNG, JPEG, WebP",
        ),
        (
            ArtifactKind.THUMBNAIL,
            PNG,
            "image/jpeg",
            "The file says it is image/jpeg, but its content is PNG",
        ),
        (ArtifactKind.AUDIO, WEBM, "audio/webm", "Audio files must be one of: WAV, MP3, Ogg, M4A"),
        (
            ArtifactKind.SCRIPT,
            b"caf\xe9\n",
            "text/plain",
            "A script must be UTF-8 text; this file is not.",
        ),
        (ArtifactKind.SCRIPT, PNG, "text/plain", "Script files must be one of: UTF-8 text"),
        (ArtifactKind.SCRIPT, b"", "text/plain", "The file is empty."),
    ],
)
def test_a_file_that_is_not_of_the_kind_is_refused(
    stored_artifact, kind, content, declared, message
):
    artifact = stored_artifact(kind, b"old", "application/octet-stream")
    before = artifact.s3_path

    with pytest.raises(ValidationError) as raised:
        services.replace_artifact_file(artifact=artifact, file=upload("f", content, declared))

    assert message in raised.value.messages[0]
    assert Artifact.objects.get(pk=artifact.pk).s3_path == before


def test_a_file_over_the_size_limit_is_refused(stored_artifact, settings):
    settings.ARTIFACT_UPLOAD_MAX_BYTES = 1024
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, b"old", "image/png")

    with pytest.raises(ValidationError) as raised:
        services.replace_artifact_file(
            artifact=artifact, file=upload("big.png", PNG + b"\0" * 1000, "image/png")
        )

    assert raised.value.messages == [
        "The file is 1.0\xa0KB (1,064 bytes), over the limit of 1.0\xa0KB (1,024 bytes)."
    ]


def test_an_artifact_without_a_video_has_no_key_for_a_file():
    artifact = ArtifactFactory(video=None, kind=ArtifactKind.THUMBNAIL)

    with pytest.raises(ValidationError, match="no video or no kind"):
        services.replace_artifact_file(artifact=artifact, file=upload("a.png", PNG, "image/png"))


def test_a_stopped_s3_leaves_the_artifact_as_it_was(stored_artifact, storage_options):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, b"old", "image/png")
    before = artifact.s3_path
    storage_options("default", endpoint_url="http://127.0.0.1:9")

    with pytest.raises(storage.StorageUnavailable):
        services.replace_artifact_file(artifact=artifact, file=upload("a.png", PNG, "image/png"))

    assert Artifact.objects.get(pk=artifact.pk).s3_path == before


def test_an_editor_uploads_a_replacement_through_the_admin(
    client_for, editor, stored_artifact, replaced_objects
):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, b"old", "image/png")
    replaced_objects(artifact)
    client = client_for(editor)

    page = client.get(upload_url(artifact))
    response = client.post(upload_url(artifact), {"file": upload("new.png", PNG, "image/png")})

    assert page.status_code == 200
    assert "PNG, JPEG, WebP; at most 256.0\xa0MB" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/videos/artifact/{artifact.pk}/change/"
    artifact.refresh_from_db()
    assert stored(artifact) == (PNG, "image/png")
    # The history names who replaced it.
    event = Artifact.pgh_event_model.objects.filter(pgh_obj_id=artifact.pk).latest("pgh_id")
    assert event.pgh_context.metadata["user"] == editor.pk
    followed = client.get(response["Location"])
    assert f"Stored the new file as {artifact.s3_path}." in followed.content.decode()
    content = client.get(f"/admin/videos/artifact/{artifact.pk}/content/")
    assert http_get(content["Location"])[2] == PNG


def test_a_refused_upload_shows_why_and_changes_nothing(client_for, editor, stored_artifact):
    artifact = stored_artifact(ArtifactKind.RENDER, b"old", "video/webm")

    response = client_for(editor).post(
        upload_url(artifact), {"file": upload("clip.png", PNG, "image/png")}
    )

    assert response.status_code == 200
    assert "Render files must be one of: WebM, MP4" in response.content.decode()
    assert Artifact.objects.get(pk=artifact.pk).s3_path == artifact.s3_path


@pytest.mark.parametrize("who", ["viewer", "moderator"])
def test_roles_without_change_permission_may_not_upload(request, client_for, stored_artifact, who):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, b"old", "image/png")
    client = client_for(request.getfixturevalue(who))

    page = client.get(upload_url(artifact))
    post = client.post(upload_url(artifact), {"file": upload("new.png", PNG, "image/png")})

    assert (page.status_code, post.status_code) == (403, 403)
    assert Artifact.objects.get(pk=artifact.pk).s3_path == artifact.s3_path
    listed = default_storage.listdir(f"videos/{artifact.video_id}/thumbnail")
    assert listed == ([], [])


@pytest.mark.parametrize("who", ["viewer", "moderator"])
def test_roles_without_change_permission_are_not_offered_the_upload(
    request, client_for, stored_artifact, who
):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, PNG, "image/png")
    client = client_for(request.getfixturevalue(who))

    for url in [f"/admin/videos/artifact/{artifact.pk}/change/", "/admin/videos/artifact/gallery/"]:
        assert upload_url(artifact) not in client.get(url).content.decode()


def test_editors_are_offered_the_upload(client_for, editor, stored_artifact):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, PNG, "image/png")
    client = client_for(editor)

    for url in [f"/admin/videos/artifact/{artifact.pk}/change/", "/admin/videos/artifact/gallery/"]:
        assert (
            f'<a href="{upload_url(artifact)}">Upload a replacement</a>'
            in client.get(url).content.decode()
        )


def test_anonymous_visitors_are_sent_to_log_in(client, stored_artifact):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, PNG, "image/png")

    response = client.post(upload_url(artifact), {"file": upload("a.png", PNG, "image/png")})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_editors_change_an_artifact_only_through_its_file(client_for, editor, stored_artifact):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, PNG, "image/png")
    other = ArtifactFactory()
    change = f"/admin/videos/artifact/{artifact.pk}/change/"
    client = client_for(editor)

    page = client.get(change).content.decode()
    # Meanwhile the pipeline points the artifact at a new file.
    newer = f"s3://{default_storage.bucket_name}/videos/pipeline/newer.png"
    Artifact.objects.filter(pk=artifact.pk).update(s3_path=newer)
    response = client.post(
        change,
        {
            "video": other.video_id,
            "kind": ArtifactKind.RENDER,
            "s3_path": f"s3://{default_storage.bucket_name}/someone/else.png",
        },
    )

    assert 'name="_save"' not in page
    assert response.status_code == 302
    stored_row = Artifact.objects.get(pk=artifact.pk)
    assert (stored_row.video_id, stored_row.kind, stored_row.s3_path) == (
        artifact.video_id,
        artifact.kind,
        newer,
    )


# session, user (with their permissions: accounts.backends), the artifact
@pytest.mark.parametrize(("who", "queries"), [("admin_user", 3), ("editor", 3)])
def test_upload_page_query_count_is_pinned(
    request, client_for, stored_artifact, who, queries, django_assert_num_queries
):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, PNG, "image/png")
    ArtifactFactory.create_batch(10, video=artifact.video)
    client = client_for(request.getfixturevalue(who))

    with django_assert_num_queries(queries):
        assert client.get(upload_url(artifact)).status_code == 200
