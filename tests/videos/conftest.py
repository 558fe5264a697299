"""Artifacts with real objects in the real S3 (the S3_* settings), and S3 stopped."""

import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

from tests.factories import ArtifactFactory
from tests.helpers import closed_port
from videos import storage


@pytest.fixture
def real_s3(settings):
    """The S3 of the S3_* settings, even while a test points the app elsewhere."""
    return storages.create_storage(settings.STORAGES["default"])


@pytest.fixture
def s3_object(real_s3):
    """`s3_object(body, content_type, name=...)`: put an object in the bucket under a
    fresh key; gives its s3:// path. Deleted at the end of the test."""
    keys = []

    def put(body: bytes, content_type: str, *, name: str = "file.bin") -> str:
        key = f"tests/{uuid.uuid4()}/{name}"
        file = ContentFile(body)
        file.content_type = content_type
        keys.append(real_s3.save(key, file))
        return f"s3://{real_s3.bucket_name}/{key}"

    yield put
    for key in keys:
        real_s3.delete(key)


@pytest.fixture
def stored_artifact(s3_object):
    """`stored_artifact(kind, body, content_type, **fields)`: an artifact whose file is in S3."""

    def make(kind, body: bytes, content_type: str, **fields):
        return ArtifactFactory(kind=kind, s3_path=s3_object(body, content_type), **fields)

    return make


@pytest.fixture
def missing_path():
    """An s3:// path in the app's bucket where no object is."""
    return f"s3://{default_storage.bucket_name}/tests/{uuid.uuid4()}/gone.png"


@pytest.fixture
def replaced_objects(real_s3):
    """Delete, at the end of the test, the objects uploads stored for these artifacts."""
    artifacts = []
    yield artifacts.append
    for artifact in artifacts:
        artifact.refresh_from_db()
        real_s3.delete(storage.parse_s3_path(artifact.s3_path).key)


@pytest.fixture
def s3_stopped(storage_options):
    """The app's S3 endpoints point at a port nothing listens on, as when S3 is stopped."""
    dead = f"http://127.0.0.1:{closed_port()}"
    storage_options("default", endpoint_url=dead)
    storage_options("browser", endpoint_url=dead)
    return dead


@pytest.fixture
def s3_requests():
    """Count the requests the app's boto3 client sends to S3 from now on."""
    sent = []

    def count(model, **kwargs):
        sent.append(model.name)

    events = storage._client().meta.events  # the one every thread of the app uses
    events.register("before-call.s3", count)
    yield sent
    events.unregister("before-call.s3", count)
