"""STAND-IN until the artifact storage branch lands (replaced wholesale at merge)."""

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import default_storage


class InvalidS3Path(ValueError):
    pass


class ArtifactMissing(Exception):
    pass


class StorageUnavailable(Exception):
    pass


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str
    etag: str


def _key(artifact) -> str:
    path = artifact.s3_path or ""
    if not path.startswith("s3://") or path.count("/") < 3:
        raise InvalidS3Path(f"{path!r} is not an S3 path.")
    return path.split("/", 3)[3]


def _client():
    return default_storage.connection.meta.client


def presigned_url(artifact, *, for_browser=True, content_type=None) -> str:
    return _client().generate_presigned_url(
        "get_object",
        Params={"Bucket": default_storage.bucket_name, "Key": _key(artifact)},
        ExpiresIn=getattr(settings, "S3_PRESIGN_SECONDS", 300),
    )


def object_info(artifact, *, fresh: bool = False) -> ObjectInfo | None:
    try:
        head = _client().head_object(Bucket=default_storage.bucket_name, Key=_key(artifact))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise StorageUnavailable(f"S3 is unavailable: {error}") from None
    except BotoCoreError as error:
        raise StorageUnavailable(f"S3 is unavailable: {error}") from None
    return ObjectInfo(
        size=head["ContentLength"],
        content_type=head.get("ContentType") or "application/octet-stream",
        etag=head.get("ETag", "").strip('"'),
    )


def read_text(artifact, *, limit_bytes: int) -> str:
    try:
        with default_storage.open(_key(artifact)) as handle:
            return handle.read(limit_bytes).decode("utf-8", "replace")
    except FileNotFoundError:
        raise ArtifactMissing("The script is missing in S3.") from None
    except Exception as error:  # noqa: BLE001
        raise StorageUnavailable(f"S3 is unavailable: {error}") from None
