"""STAND-IN until the artifact storage branch lands (replaced wholesale at merge)."""

from django.core.files.storage import default_storage


class ArtifactMissing(Exception):
    pass


class StorageUnavailable(Exception):
    pass


def _key(artifact) -> str:
    path = artifact.s3_path or ""
    return path.split("/", 3)[3] if path.startswith("s3://") and path.count("/") >= 3 else path


def read_text(artifact, *, limit_bytes: int) -> str:
    try:
        with default_storage.open(_key(artifact)) as handle:
            return handle.read(limit_bytes).decode("utf-8", "replace")
    except FileNotFoundError:
        raise ArtifactMissing("The script is missing in S3.") from None
    except Exception as error:  # noqa: BLE001
        raise StorageUnavailable(f"S3 is unavailable: {error}") from None
