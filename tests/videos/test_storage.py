"""videos.storage against the real S3: paths, presigned URLs as S3 judges them,
object info, text, and S3 missing objects or stopped."""

import hashlib
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage

from tests.factories import ArtifactFactory
from tests.helpers import http_get
from videos import storage
from videos.models import ArtifactKind

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "bucket", "key"),
    [
        ("s3://contentops/videos/1/render/a.webm", "contentops", "videos/1/render/a.webm"),
        ("s3://my.bucket-2/a b/ç.txt", "my.bucket-2", "a b/ç.txt"),
    ],
)
def test_an_s3_path_is_parsed_into_bucket_and_key(path, bucket, key):
    assert storage.parse_s3_path(path) == storage.S3Location(bucket, key)
    assert str(storage.parse_s3_path(path)) == path


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (None, "The artifact has no S3 path."),
        ("  ", "The artifact has no S3 path."),
        ("https://bucket/key.png", "is not an S3 path: it must start with s3://"),
        ("contentops/key.png", "is not an S3 path"),
        ("s3://", "does not name a valid bucket"),
        ("s3:///key.png", "does not name a valid bucket"),
        ("s3://Upper_Case/key.png", "does not name a valid bucket ('Upper_Case')"),
        ("s3://bucket", "names no object"),
        ("s3://bucket/", "names no object"),
        ("s3://bucket//key.png", "names no object"),
        ("s3://bucket/folder/", "names no object"),
        ("s3://bucket/a/../b.png", "has a '.' or '..' part"),
    ],
)
def test_a_malformed_s3_path_is_a_clear_error(path, message):
    with pytest.raises(storage.InvalidS3Path) as raised:
        storage.parse_s3_path(path)
    assert message in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_paths_in_another_bucket_are_refused():
    artifact = ArtifactFactory(s3_path="s3://someone-else/videos/a.png")

    with pytest.raises(storage.InvalidS3Path) as raised:
        storage.presigned_url(artifact)

    assert "in the bucket 'someone-else'" in str(raised.value)
    assert f"serves only {default_storage.bucket_name!r}" in str(raised.value)


def test_a_presigned_url_fetches_the_object_and_serves_ranges(stored_artifact):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, b"0123456789" * 100, "image/png")

    url = storage.presigned_url(artifact)

    status, headers, body = http_get(url)
    assert (status, body) == (200, b"0123456789" * 100)
    assert headers["Content-Type"] == "image/png"
    # Players seek with range requests.
    status, headers, body = http_get(url, Range="bytes=995-")
    assert (status, body) == (206, b"56789")
    assert headers["Content-Range"] == "bytes 995-999/1000"


def test_a_presigned_url_expires_after_the_configured_seconds(stored_artifact, settings):
    settings.S3_PRESIGN_SECONDS = 1
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, b"png", "image/png")

    url = storage.presigned_url(artifact)

    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["1"]
    assert http_get(url)[0] == 200
    time.sleep(2.1)
    status, _, body = http_get(url)
    assert status == 403
    assert b"expired" in body.lower()


def test_the_default_lifetime_is_five_minutes(stored_artifact):
    url = storage.presigned_url(stored_artifact(ArtifactKind.THUMBNAIL, b"png", "image/png"))
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["300"]


def test_s3_refuses_a_tampered_presigned_url(stored_artifact):
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, b"png", "image/png")
    url = storage.presigned_url(artifact)
    head, signature = url.rsplit("X-Amz-Signature=", 1)

    forged = head + "X-Amz-Signature=" + ("0" if signature[0] != "0" else "1") + signature[1:]
    other_key = url.replace("/file.bin?", "/other.bin?")
    longer = url.replace("X-Amz-Expires=300", "X-Amz-Expires=86400")

    for tampered in (forged, other_key, longer):
        assert tampered != url
        assert http_get(tampered)[0] == 403


def test_browsers_get_urls_signed_for_the_public_endpoint(stored_artifact, storage_options):
    # The same server under another name, as a public hostname would be.
    app = urlsplit(default_storage.endpoint_url)
    public = f"{app.scheme}://localhost:{app.port}"
    storage_options("browser", endpoint_url=public)
    artifact = stored_artifact(ArtifactKind.THUMBNAIL, b"png", "image/png")

    for_browser = storage.presigned_url(artifact)
    for_app = storage.presigned_url(artifact, for_browser=False)

    assert for_browser.startswith(f"{public}/{default_storage.bucket_name}/tests/")
    assert for_app.startswith(f"{default_storage.endpoint_url}/{default_storage.bucket_name}/")
    assert http_get(for_browser)[0] == 200
    assert http_get(for_app)[0] == 200


def test_a_presigned_url_can_make_s3_answer_with_another_type(stored_artifact):
    artifact = stored_artifact(ArtifactKind.SCRIPT, b"<script>alert(1)</script>", "text/html")

    url = storage.presigned_url(artifact, content_type="text/plain; charset=utf-8")

    status, headers, _ = http_get(url)
    assert status == 200
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Content-Disposition"] == "inline"


def test_object_info_gives_size_type_and_etag_and_is_cached(stored_artifact, s3_requests):
    body = b"RIFF" + b"\0" * 60
    artifact = stored_artifact(ArtifactKind.AUDIO, body, "audio/wav")
    s3_requests.clear()

    first = storage.object_info(artifact)
    again = storage.object_info(artifact)

    etag = hashlib.md5(body).hexdigest()  # S3's ETag of an object put in one part
    assert first == again == storage.ObjectInfo(size=64, content_type="audio/wav", etag=etag)
    assert s3_requests == ["HeadObject"]


def test_fresh_object_info_asks_s3_and_sees_an_object_written_over(stored_artifact, s3_requests):
    artifact = stored_artifact(ArtifactKind.SCRIPT, b"first", "text/plain")
    before = storage.object_info(artifact)
    location = storage.locate(artifact)
    default_storage.connection.meta.client.put_object(
        Bucket=location.bucket, Key=location.key, Body=b"second", ContentType="text/plain"
    )
    s3_requests.clear()

    assert storage.object_info(artifact) == before, "the cache has not seen it"
    fresh = storage.object_info(artifact, fresh=True)
    assert fresh.etag == hashlib.md5(b"second").hexdigest() != before.etag
    assert storage.object_info(artifact) == fresh, "and the cache is refreshed"
    assert s3_requests == ["HeadObject"]


def test_object_info_of_a_missing_object_is_none(missing_path, s3_requests):
    artifact = ArtifactFactory(s3_path=missing_path)

    assert storage.object_info(artifact) is None
    assert storage.object_info(artifact) is None
    assert s3_requests == ["HeadObject"]


def test_a_stopped_s3_is_reported_as_unavailable(s3_stopped, missing_path):
    artifact = ArtifactFactory(s3_path=missing_path)

    started = time.monotonic()
    with pytest.raises(storage.StorageUnavailable) as raised:
        storage.object_info(artifact)
    with pytest.raises(storage.StorageUnavailable):
        storage.read_text(artifact, limit_bytes=10)

    assert time.monotonic() - started < 10
    assert str(raised.value).startswith(f"S3 at {s3_stopped} is unavailable: ")


def test_wrong_credentials_are_reported_as_unavailable(storage_options, missing_path):
    storage_options("default", secret_key="not-the-secret")

    with pytest.raises(storage.StorageUnavailable) as raised:
        storage.object_info(ArtifactFactory(s3_path=missing_path))

    assert "refused the request" in str(raised.value)


def test_read_text_reads_the_start_as_utf8(stored_artifact):
    text = "Grüße aus Köln. " * 20
    artifact = stored_artifact(ArtifactKind.SCRIPT, text.encode(), "text/plain")

    assert storage.read_text(artifact, limit_bytes=10_000) == text
    # "Grü" is 4 bytes: the cut "ß" (2 bytes) is left out, not garbled.
    assert storage.read_text(artifact, limit_bytes=5) == "Grü"
    assert storage.read_text(artifact, limit_bytes=6) == "Grüß"


def test_read_text_replaces_bytes_that_are_not_utf8(stored_artifact):
    artifact = stored_artifact(ArtifactKind.SCRIPT, b"caf\xe9 ok\n", "text/plain")

    assert storage.read_text(artifact, limit_bytes=100) == "caf\ufffd ok\n"


def test_read_text_of_an_empty_or_missing_object(stored_artifact, missing_path):
    assert storage.read_text(stored_artifact("script", b"", "text/plain"), limit_bytes=10) == ""
    with pytest.raises(storage.ArtifactMissing) as raised:
        storage.read_text(ArtifactFactory(s3_path=missing_path), limit_bytes=10)
    assert str(raised.value) == f"The file {missing_path} is missing in S3."


def test_the_client_signs_v4_with_path_style_and_checksums_only_when_required():
    config = default_storage.connection.meta.client.meta.config

    assert config.signature_version == "s3v4"
    assert config.s3 == {"addressing_style": "path"}
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"


def test_every_thread_asks_s3_through_one_client():
    # django-storages would make each thread its own, at 0.3–1 s of CPU each.
    clients = []
    threads = [
        threading.Thread(target=lambda: clients.append(storage._client())) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(client) for client in clients + [storage._client()]}) == 1


# Many objects at once


def test_object_infos_asks_s3_about_the_uncached_objects_at_once(
    stored_artifact, missing_path, s3_proxy
):
    stored = [
        stored_artifact(ArtifactKind.THUMBNAIL, b"\x89PNG", "image/png"),
        stored_artifact(ArtifactKind.AUDIO, b"RIFF" + b"\0" * 60, "audio/wav"),
        stored_artifact(ArtifactKind.SCRIPT, b"HOOK\n", "text/plain"),
    ]
    missing = ArtifactFactory(s3_path=missing_path)
    invalid = ArtifactFactory(s3_path="s3://someone-else/videos/a.png")
    proxy = s3_proxy(hold={"HEAD": 4})

    answers = storage.object_infos([*stored, missing, invalid])

    # The proxy held each HEAD until four were in flight: all were asked at once.
    assert proxy.methods() == ["HEAD"] * 4
    assert proxy.most_in_flight == {"HEAD": 4}
    assert [answers[a.pk].result().size for a in stored] == [4, 64, 5]
    assert answers[missing.pk].result() is None
    with pytest.raises(storage.InvalidS3Path):
        answers[invalid.pk].result()
    # The same cache as object_info: nothing is asked again.
    assert storage.object_info(stored[0]).content_type == "image/png"
    assert storage.object_info(missing) is None
    assert len(proxy.received) == 4


def test_fresh_object_infos_ask_again_and_once_per_object(stored_artifact, s3_proxy):
    first = stored_artifact(ArtifactKind.THUMBNAIL, b"\x89PNG", "image/png")
    same_file = ArtifactFactory(kind=ArtifactKind.THUMBNAIL, s3_path=first.s3_path)
    other = stored_artifact(ArtifactKind.RENDER, b"\x1aE\xdf\xa3", "video/webm")
    storage.object_infos([first, other])
    proxy = s3_proxy(hold={"HEAD": 2})

    answers = storage.object_infos([first, same_file, other], fresh=True)

    assert proxy.methods() == ["HEAD", "HEAD"]
    assert proxy.most_in_flight == {"HEAD": 2}
    assert answers[first.pk] == answers[same_file.pk]
    assert answers[other.pk].result().content_type == "video/webm"


def test_s3_answering_too_slowly_is_unavailable_not_a_hung_page(
    stored_artifact, s3_proxy, settings
):
    artifacts = [stored_artifact(ArtifactKind.THUMBNAIL, b"\x89PNG", "image/png") for _ in range(3)]
    # Held far longer than the app waits: S3 is as good as hung.
    s3_proxy(hold={"HEAD": 99}, patience=30)
    settings.S3_BATCH_SECONDS = 0.5

    answers = storage.object_infos(artifacts)

    for artifact in artifacts:
        with pytest.raises(storage.StorageUnavailable) as raised:
            answers[artifact.pk].result()
        assert "did not answer within 0.5 s (3 of 3 requests; S3_BATCH_SECONDS)" in str(
            raised.value
        )


def test_read_texts_reads_the_starts_at_once(stored_artifact, missing_path, s3_proxy):
    scripts = [
        stored_artifact(ArtifactKind.SCRIPT, f"script {n}\n".encode(), "text/plain")
        for n in range(3)
    ]
    missing = ArtifactFactory(kind=ArtifactKind.SCRIPT, s3_path=missing_path)
    proxy = s3_proxy(hold={"GET": 4})

    answers = storage.read_texts([*scripts, missing], limit_bytes=100)

    assert proxy.methods() == ["GET"] * 4
    assert proxy.most_in_flight == {"GET": 4}
    assert [answers[s.pk].result() for s in scripts] == [f"script {n}\n" for n in range(3)]
    with pytest.raises(storage.ArtifactMissing):
        answers[missing.pk].result()
