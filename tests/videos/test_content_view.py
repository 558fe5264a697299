"""admin:videos_artifact_content: a permission check, then a redirect to a fresh
presigned URL, which S3 honours; a clear page when the file cannot be had."""

import time

import pytest
from django.urls import reverse

from tests.factories import ArtifactFactory, UserFactory
from tests.helpers import http_get
from videos.models import ArtifactKind

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 56


def content_url(artifact) -> str:
    return reverse("admin:videos_artifact_content", args=[artifact.pk])


@pytest.fixture
def nobody(db):
    """Staff, so let into the admin, but in no group: may see no artifact."""
    return UserFactory(username="nobody")


@pytest.mark.parametrize("who", ["viewer", "moderator", "editor", "admin_user"])
def test_whoever_may_view_artifacts_is_redirected_to_a_working_presigned_url(
    request, client_for, stored_artifact, who
):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, PNG, "image/png")

    response = client_for(request.getfixturevalue(who)).get(content_url(artifact))

    assert response.status_code == 302
    assert "X-Amz-Signature=" in response["Location"]
    assert "no-store" in response["Cache-Control"]
    status, headers, body = http_get(response["Location"])
    assert (status, body, headers["Content-Type"]) == (200, PNG, "image/png")


def test_each_visit_gets_a_fresh_url(client_for, viewer, stored_artifact, settings):
    settings.S3_PRESIGN_SECONDS = 1
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, PNG, "image/png")
    client = client_for(viewer)

    first = client.get(content_url(artifact))["Location"]
    time.sleep(2.1)

    assert http_get(first)[0] == 403
    again = client.get(content_url(artifact))["Location"]
    assert http_get(again)[0] == 200


def test_a_user_without_view_permission_gets_403_and_no_url(client_for, nobody, stored_artifact):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, PNG, "image/png")

    response = client_for(nobody).get(content_url(artifact))

    assert response.status_code == 403
    assert "Location" not in response
    assert b"X-Amz" not in response.content
    assert b"tests/" not in response.content


def test_anonymous_visitors_are_sent_to_log_in(client, stored_artifact):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, PNG, "image/png")

    response = client.get(content_url(artifact))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_a_missing_object_is_a_clear_404(client_for, viewer, missing_path):
    artifact = ArtifactFactory(s3_path=missing_path)

    response = client_for(viewer).get(content_url(artifact))

    assert response.status_code == 404
    assert f"The file {missing_path} is missing in S3." in response.content.decode()


def test_an_invalid_path_is_a_clear_404(client_for, viewer):
    artifact = ArtifactFactory(s3_path="https://example.com/a.png")

    response = client_for(viewer).get(content_url(artifact))

    assert response.status_code == 404
    assert "is not an S3 path: it must start with s3://" in response.content.decode()


def test_an_unknown_artifact_is_a_404(client_for, viewer):
    # A malformed key is a 404 before the view (tests/admin/test_bad_input.py).
    unknown = "00000000-0000-0000-0000-000000000000"
    response = client_for(viewer).get(f"/admin/videos/artifact/{unknown}/content/")

    assert response.status_code == 404
    assert f"No artifact with key {unknown}." in response.content.decode()


def test_a_stopped_s3_is_a_clear_503(client_for, viewer, missing_path, s3_stopped):
    artifact = ArtifactFactory(s3_path=missing_path)

    response = client_for(viewer).get(content_url(artifact))

    assert response.status_code == 503
    assert f"S3 at {s3_stopped} is unavailable" in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "stored", "served"),
    [
        (ArtifactKind.SCRIPT, "text/html", "text/plain; charset=utf-8"),
        (ArtifactKind.THUMBNAIL, "image/svg+xml", "application/octet-stream"),
        (ArtifactKind.RENDER, "text/html", "application/octet-stream"),
        (ArtifactKind.RENDER, "video/webm", "video/webm"),
        (ArtifactKind.AUDIO, "audio/x-wav", "audio/x-wav"),
    ],
)
def test_a_type_a_browser_could_run_is_never_served_as_is(
    client_for, viewer, stored_artifact, kind, stored, served
):
    artifact = stored_artifact(kind, b"<svg onload=alert(1)>", stored)

    location = client_for(viewer).get(content_url(artifact))["Location"]

    status, headers, _ = http_get(location)
    assert (status, headers["Content-Type"]) == (200, served)


@pytest.mark.parametrize(("who", "queries"), [("admin_user", 3), ("viewer", 3)])
def test_content_view_query_count_is_pinned(
    request, client_for, stored_artifact, who, queries, django_assert_num_queries
):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, PNG, "image/png")
    ArtifactFactory.create_batch(20)
    client = client_for(request.getfixturevalue(who))

    # session, user (with their permissions: accounts.backends), the artifact
    with django_assert_num_queries(queries):
        assert client.get(content_url(artifact)).status_code == 302
