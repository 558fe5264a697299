"""Artifacts in S3: where each one is, what S3 knows of it, and links for browsers.

`artifacts.s3_path` holds `s3://bucket/key`. Everything here goes through
django-storages' boto3 client (STORAGES["default"]); presigned URLs for
browsers are signed for STORAGES["browser"], which differs only in its endpoint
when S3_PUBLIC_ENDPOINT_URL is set. The app serves one bucket, S3_BUCKET: it
never signs a URL for a bucket it was not configured for.
"""

import codecs
import functools
import hashlib
import os
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage, storages

# S3's bucket naming rules, as far as a path can break them.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
# What S3 said of an object stays true while it sits under the same key (a
# replacement gets a new key); an object reported missing may appear soon.
INFO_SECONDS = 60 * 60
MISSING_SECONDS = 30


class InvalidS3Path(ValueError):
    """An artifact's s3_path that is not `s3://<bucket>/<key>` in the app's bucket."""


class ArtifactMissing(Exception):
    """S3 has no object at the artifact's path."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(f"The file {path} is missing in S3.")


class StorageUnavailable(Exception):
    """S3 did not answer, or refused the app's credentials."""

    def __init__(self, reason: str):
        self.reason = reason
        endpoint = default_storage.endpoint_url or "the default AWS endpoint"
        super().__init__(f"S3 at {endpoint} is unavailable: {reason}")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    def __str__(self):
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str
    etag: str  # S3's ETag, unquoted: it changes whenever the object's content does


@dataclass(frozen=True)
class Answer:
    """What S3 said of one object: a value, or the error that stands for it
    (InvalidS3Path, ArtifactMissing, StorageUnavailable)."""

    value: object = None
    error: Exception | None = None

    def result(self):
        """The value, as the one-object functions return it, or their error raised."""
        if self.error is not None:
            raise self.error
        return self.value


def parse_s3_path(path: str | None) -> S3Location:
    """`s3://bucket/key` as a location; anything else raises InvalidS3Path."""
    if not path or not path.strip():
        raise InvalidS3Path("The artifact has no S3 path.")
    if not path.startswith("s3://"):
        raise InvalidS3Path(f"{path!r} is not an S3 path: it must start with s3://.")
    bucket, _, key = path.removeprefix("s3://").partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise InvalidS3Path(f"{path!r} does not name a valid bucket ({bucket!r}).")
    if not key or key.startswith("/") or key.endswith("/"):
        raise InvalidS3Path(f"{path!r} names no object: its key is empty or a folder.")
    if any(part in (".", "..") for part in key.split("/")):
        raise InvalidS3Path(f"{path!r} has a '.' or '..' part in its key.")
    return S3Location(bucket, key)


def locate(artifact) -> S3Location:
    """The artifact's location, which must be in the app's bucket."""
    location = parse_s3_path(artifact.s3_path)
    if location.bucket != default_storage.bucket_name:
        raise InvalidS3Path(
            f"{artifact.s3_path!r} is in the bucket {location.bucket!r}; this app serves "
            f"only {default_storage.bucket_name!r} (S3_BUCKET)."
        )
    return location


def presigned_url(artifact, *, for_browser=True, content_type: str | None = None) -> str:
    """A GET URL for the artifact's object, valid for S3_PRESIGN_SECONDS.

    Only for a user already allowed to view the artifact. `content_type`
    overrides the type S3 answers with (and makes the browser show it inline).
    """
    location = locate(artifact)
    params = {"Bucket": location.bucket, "Key": location.key}
    if content_type:
        params["ResponseContentType"] = content_type
        params["ResponseContentDisposition"] = "inline"
    return _client("browser" if for_browser else "default").generate_presigned_url(
        "get_object", Params=params, ExpiresIn=settings.S3_PRESIGN_SECONDS
    )


def object_info(artifact, *, fresh: bool = False) -> ObjectInfo | None:
    """Size, content type and ETag S3 holds for the artifact; None when it is missing.

    `fresh` asks S3 rather than the cache (and refreshes the cache): for checks
    that must see an object written over in place, such as publishing's.
    """
    return object_infos([artifact], fresh=fresh)[artifact.pk].result()


def object_infos(artifacts, *, fresh: bool = False) -> dict:
    """`object_info` of each artifact, by artifact id, as an Answer.

    S3 is asked about the objects the cache does not know (all of them when
    `fresh`) at once: see `_concurrently`. An artifact with an invalid path
    answers InvalidS3Path without asking.
    """
    answers, wanted = _locate_all(artifacts)
    cached = {} if fresh else _cached_infos(wanted)
    asked = _concurrently(_head, [location for location in wanted if location not in cached])
    for location, ids in wanted.items():
        answers.update(dict.fromkeys(ids, cached.get(location) or asked[location]))
    return answers


def known_object_infos(artifacts) -> dict:
    """`object_info` of the artifacts this process's cache knows, by artifact id,
    as an Answer; an invalid path answers InvalidS3Path. Never asks S3: an
    artifact S3 was not asked about lately (INFO_SECONDS for a file it had,
    MISSING_SECONDS for one it did not) is left out."""
    answers, wanted = _locate_all(artifacts)
    for location, answer in _cached_infos(wanted).items():
        answers.update(dict.fromkeys(wanted[location], answer))
    return answers


def _cached_infos(locations) -> dict:
    """location -> Answer, for the locations the cache knows."""
    keys = {cache_key("info", location): location for location in locations}
    cached = cache.get_many(list(keys))
    return {keys[key]: Answer(value=value or None) for key, value in cached.items()}


def _head(client, location: S3Location) -> Answer:
    key = cache_key("info", location)
    try:
        head = client.head_object(Bucket=location.bucket, Key=location.key)
    except ClientError as error:
        if _not_found(error):
            cache.set(key, False, MISSING_SECONDS)
            return Answer(value=None)
        return Answer(error=_unavailable(error))
    except BotoCoreError as error:
        return Answer(error=_unavailable(error))
    info = ObjectInfo(
        size=head["ContentLength"],
        content_type=head.get("ContentType") or "application/octet-stream",
        etag=head.get("ETag", "").strip('"'),
    )
    cache.set(key, info, INFO_SECONDS)
    return Answer(value=info)


def read_text(artifact, *, limit_bytes: int) -> str:
    """The first `limit_bytes` of the object as text (UTF-8; bad bytes replaced).

    A character the limit cuts in two is left out rather than replaced.
    """
    return read_texts([artifact], limit_bytes=limit_bytes)[artifact.pk].result()


def read_texts(artifacts, *, limit_bytes: int) -> dict:
    """`read_text` of each artifact, by artifact id, as an Answer: read at once."""
    answers, wanted = _locate_all(artifacts)
    read = _concurrently(functools.partial(_read_start, limit_bytes=limit_bytes), list(wanted))
    for location, ids in wanted.items():
        answers.update(dict.fromkeys(ids, read[location]))
    return answers


def _read_start(client, location: S3Location, *, limit_bytes: int) -> Answer:
    try:
        response = client.get_object(
            Bucket=location.bucket, Key=location.key, Range=f"bytes=0-{limit_bytes - 1}"
        )
        data = response["Body"].read(limit_bytes)
    except ClientError as error:
        if _not_found(error):
            return Answer(error=ArtifactMissing(str(location)))
        if error.response.get("Error", {}).get("Code") == "InvalidRange":
            return Answer(value="")  # an empty object
        return Answer(error=_unavailable(error))
    except BotoCoreError as error:
        return Answer(error=_unavailable(error))
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return Answer(value=decoder.decode(data, final=len(data) < limit_bytes))


def _locate_all(artifacts) -> tuple[dict, dict]:
    """Artifacts whose path is invalid (id -> Answer), and the ids at each valid location."""
    invalid, wanted = {}, {}
    for artifact in artifacts:
        try:
            wanted.setdefault(locate(artifact), []).append(artifact.pk)
        except InvalidS3Path as error:
            invalid[artifact.pk] = Answer(error=error)
    return invalid, wanted


def _concurrently(ask, locations: list) -> dict:
    """`ask(client, location)` for each location (location -> Answer), up to
    S3_CONCURRENCY at a time, waiting at most S3_BATCH_SECONDS in all.

    A page shows many files: asked one after another, S3's latency adds up per
    file, and a slow S3 would hold the page for a timeout per file. What has not
    answered in time is unavailable; a request already sent runs on and still
    fills the cache. boto3 clients are thread-safe, but django-storages makes one
    per thread (a new session each): the threads share the caller's.
    """
    if not locations:
        return {}
    client = _client()
    pool = _pool(os.getpid())
    futures = {pool.submit(ask, client, location): location for location in locations}
    done, late = wait(futures, timeout=settings.S3_BATCH_SECONDS)
    answers = {futures[future]: future.result() for future in done}
    if late:
        slow = StorageUnavailable(
            f"it did not answer within {settings.S3_BATCH_SECONDS:g} s "
            f"({len(late)} of {len(locations)} requests; S3_BATCH_SECONDS)."
        )
        for future in late:
            future.cancel()  # still queued: never sent
            answers[futures[future]] = Answer(error=slow)
    return answers


@functools.cache
def _pool(pid: int) -> ThreadPoolExecutor:
    """The process's threads that ask S3, kept: starting threads for every page
    costs milliseconds on a busy machine. One per process id, because a forked
    gunicorn worker inherits its parent's pool without the threads."""
    return ThreadPoolExecutor(max_workers=settings.S3_CONCURRENCY, thread_name_prefix="s3")


def artifact_key(artifact, extension: str) -> str:
    """A new key for a file of the artifact: its video, its kind and a fresh UUID."""
    return f"videos/{artifact.video_id}/{artifact.kind}/{uuid.uuid4()}.{extension}"


def store(key: str, file, *, content_type: str) -> S3Location:
    """Upload `file` under `key` (new: existing objects are never overwritten)."""
    file.content_type = content_type
    try:
        saved = default_storage.save(key, file)
    except (ClientError, BotoCoreError, S3UploadFailedError) as error:
        raise _unavailable(error) from None
    return S3Location(default_storage.bucket_name, saved)


def _client(alias: str = "default"):
    """The boto3 client of STORAGES[alias], one for every thread of the process.

    django-storages makes a client per thread, from a new session that reads
    the service's model again: 0.3–1 s of CPU each, which a publish worker's
    threads paid on their first task, one after another. boto3 clients are
    thread-safe; a forked process makes its own.
    """
    with _clients_lock:  # threads starting at once make one, not one each
        storage = storages[alias]
        key = (id(storage), os.getpid())
        if key not in _clients:
            # Kept with its storage, so its id is not another's (tests change the settings).
            _clients[key] = (storage, storage.connection.meta.client)
        return _clients[key][1]


_clients: dict = {}
_clients_lock = threading.Lock()


def make_clients() -> None:
    """Make the process's S3 clients now (no request is sent): a publish
    worker does, before it waits for work, so its first publish does not wait."""
    _client("default")
    _client("browser")


def cache_key(kind: str, location: S3Location) -> str:
    return f"s3:{kind}:" + hashlib.sha256(str(location).encode()).hexdigest()


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code", "") in _NOT_FOUND


def _unavailable(error: Exception) -> StorageUnavailable:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "error")
        return StorageUnavailable(f"it refused the request ({code}); check the S3_* settings.")
    return StorageUnavailable(f"{error}.")
