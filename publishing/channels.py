"""Channels: where approved videos are published, and the adapters that do it.

Channels are configured in `settings.PUBLISH_CHANNELS` (the environment
variable of that name, a JSON object), channel name -> options:

    {"youtube": {"adapter": "webhook", "label": "YouTube",
                 "url": "https://publisher.internal/youtube", "timeout": 30,
                 "remote_url": "https://www.youtube.com/watch?v={remote_id}"},
     "archive": {"adapter": "local", "folder": "/srv/archive"}}

`adapter` is "webhook", "local", or the dotted path of an `Adapter` subclass.
`label` (how people see the channel) and `remote_url` (a link to what was
published, `{remote_id}` filled in) are optional; every other key goes to the
adapter's constructor, so a misspelt option is an error at startup
(`manage.py check` names it).

Who may publish where is a permission per channel, `publishing.publish_to_<name>`,
which `migrate` creates for each configured channel (see `sync_permissions`).

Writing an adapter (YouTube, TikTok, …) is a small subclass of `Adapter`:

    class YouTubeAdapter(Adapter):
        def __init__(self, *, channel, credentials_file):
            super().__init__(channel=channel)
            self.client = youtube_client(credentials_file)

        def publish(self, manifest):
            found = self.client.find(tag=manifest.idempotency_key)
            if found:
                return found.id  # a retry after a worker died: already up
            render = manifest.artifact("render")
            try:
                return self.client.upload(render.url, title=manifest.title,
                                          tags=[manifest.idempotency_key]).id
            except QuotaExceeded as error:
                raise TemporaryFailure(str(error)) from error

        def retract(self, retraction):
            self.client.delete(retraction.remote_id, missing_ok=True)

and `"adapter": "myproject.youtube.YouTubeAdapter"` in the channel's options.
"""

import functools
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from http.client import HTTPException
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

CHANNEL_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
PERMISSION_PREFIX = "publish_to_"
# What a channel may answer as its id for a video: printable, one line, short.
REMOTE_ID = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")
# A name the local adapter may use for a file in its folder: no path, no dot first.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class ChannelFailure(Exception):
    """A channel could not publish or retract; the message says why."""

    retryable = True


class TemporaryFailure(ChannelFailure):
    """It may work later (timeout, 5xx, rate limit): the worker retries with backoff."""


class PermanentFailure(ChannelFailure):
    """It will not work by trying again (the channel refused): the receipt fails."""

    retryable = False


@dataclass(frozen=True)
class ManifestArtifact:
    id: str
    kind: str
    url: str  # a presigned GET URL, valid for S3_PRESIGN_SECONDS
    etag: str
    size: int | None
    content_type: str


@dataclass(frozen=True)
class Manifest:
    """What a channel receives: the video, its persona and its approved files."""

    idempotency_key: str  # the receipt's id: the same for every attempt
    channel: str
    video_id: str
    title: str
    persona: dict  # {"id": …, "name": …}
    approved_by: str
    artifacts: tuple[ManifestArtifact, ...]

    def artifact(self, kind: str) -> ManifestArtifact | None:
        return next((a for a in self.artifacts if a.kind == kind), None)

    def as_json(self) -> dict:
        return asdict(self) | {"artifacts": [asdict(a) for a in self.artifacts]}


@dataclass(frozen=True)
class Retraction:
    idempotency_key: str  # the receipt's id, as it was published with
    channel: str
    video_id: str
    remote_id: str


class Adapter:
    """How one channel publishes. Subclass it and implement both methods.

    An adapter is built once per process from the channel's options (keyword
    arguments of `__init__`) and may serve several threads. Both methods run
    outside any database transaction, maybe in several workers on several
    machines at once, and must be idempotent:

    - `publish(manifest)` returns the channel's id for the video. A call with
      an idempotency key the channel has seen returns that call's remote id
      and publishes nothing new: a worker that died mid-publish is retried
      with the same key.
    - `retract(retraction)` takes the video down; something already gone is
      a success.

    Raise `TemporaryFailure` for what may pass (the worker retries with
    backoff) and `PermanentFailure` for what will not (the receipt fails at
    once). Any other exception counts as temporary.
    """

    def __init__(self, *, channel: str):
        self.channel = channel

    def publish(self, manifest: Manifest) -> str:
        raise NotImplementedError

    def retract(self, retraction: Retraction) -> None:
        raise NotImplementedError


class LocalAdapter(Adapter):
    """Writes each manifest to `<folder>/<idempotency key>.json`.

    Every delivery also appends a line to `<folder>/published.log` (time,
    event, key, process), so what the channel received can be counted. A key
    seen before is logged as a repeat and changes nothing. `delay` (seconds)
    makes publishing slow, for demos and tests.
    """

    def __init__(self, *, channel: str, folder: str, delay: float = 0):
        super().__init__(channel=channel)
        self.folder = Path(settings.BASE_DIR, folder)
        self.delay = float(delay)

    def publish(self, manifest: Manifest) -> str:
        key = _file_name(manifest.idempotency_key, "idempotency key")
        if self.delay:
            time.sleep(self.delay)
        self.folder.mkdir(parents=True, exist_ok=True)
        scratch = self.folder / f".{key}.{uuid.uuid4().hex}.tmp"
        scratch.write_text(json.dumps(manifest.as_json(), indent=2))
        try:
            # A hard link never replaces an existing file: one manifest per key.
            os.link(scratch, self.folder / f"{key}.json")
            self._log("published", key)
        except FileExistsError:
            self._log("repeat", key)
        finally:
            scratch.unlink()
        return key

    def retract(self, retraction: Retraction) -> None:
        remote_id = _file_name(retraction.remote_id, "remote id")
        published = self.folder / f"{remote_id}.json"
        if published.exists():
            (self.folder / "retracted").mkdir(exist_ok=True)
            os.replace(published, self.folder / "retracted" / published.name)
        self._log("retracted", remote_id)

    def _log(self, event: str, key: str) -> None:
        line = f"{timezone.now().isoformat()}\t{event}\t{key}\t{os.getpid()}\n"
        self.folder.mkdir(parents=True, exist_ok=True)
        # One write of one short line with O_APPEND: lines from workers never interleave.
        with open(self.folder / "published.log", "a") as log:
            log.write(line)


def _file_name(name, what: str) -> str:
    """`name` if it names a file inside the folder; a remote id such as
    `../../x` (a hand-made receipt's, say) would reach outside it."""
    if not isinstance(name, str) or not FILE_NAME.fullmatch(name):
        raise PermanentFailure(f"The {what} {name!r:.80} is not a plain file name.")
    return name


class WebhookAdapter(Adapter):
    """POSTs JSON to `url`: the manifest with `"action": "publish"`, or
    `"action": "retract"` with the remote id; the idempotency key is also in
    the `Idempotency-Key` header.

    A 2xx answer with a JSON object holding `remote_id` (or `id`), a short
    line of printable text, publishes; any other 2xx answer is a permanent
    failure. Timeouts, connection errors, 5xx, 408 and 429 are temporary; any
    other 4xx, and any redirect (never followed: the channel's address is
    the configured one), is permanent. Retracting accepts 2xx, 404 and 410.
    `headers` are sent with every request (say, an Authorization header).

    Failures name the channel, never the URL or the headers: their messages
    are stored where staff read them, and both may hold secrets.
    """

    def __init__(self, *, channel: str, url: str, timeout: float = 30, headers=None):
        super().__init__(channel=channel)
        self.url = url
        self.timeout = float(timeout)
        self.headers = dict(headers or {})
        self._opener = urllib.request.build_opener(_NoRedirects)

    def publish(self, manifest: Manifest) -> str:
        status, answer = self._post(
            {"action": "publish", **manifest.as_json()}, manifest.idempotency_key
        )
        if answer is None:
            raise PermanentFailure(
                f"{self._name} answered {status} with something other than a JSON object: "
                "check the channel for this video."
            )
        remote_id = answer.get("remote_id") or answer.get("id")
        if not remote_id:
            raise PermanentFailure(f"{self._name} answered {status} without a remote id.")
        if not isinstance(remote_id, str) or not REMOTE_ID.fullmatch(remote_id):
            raise PermanentFailure(
                f"{self._name} answered {status} with a remote id that is not a short line of "
                "printable text: check the channel for this video."
            )
        return remote_id

    def retract(self, retraction: Retraction) -> None:
        self._post({"action": "retract", **asdict(retraction)}, retraction.idempotency_key)

    @property
    def _name(self) -> str:
        return f"The channel {self.channel}"

    def _post(self, body: dict, key: str) -> tuple[int, dict | None]:
        """The answer's status and JSON object (None if it sent no object)."""
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key, **self.headers},
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, _json_object(response.read(64 * 1024))
        except urllib.error.HTTPError as error:
            if body["action"] == "retract" and error.code in (404, 410):
                return error.code, {}
            raise self._refusal(error) from None
        except (OSError, HTTPException) as error:  # URLError and timeouts are OSErrors
            reason = getattr(error, "reason", None) or error or "timed out"
            reason = self._redact(str(reason))
            raise TemporaryFailure(f"{self._name} did not answer: {reason}.") from None

    def _refusal(self, error: urllib.error.HTTPError) -> ChannelFailure:
        if 300 <= error.code < 400:
            return PermanentFailure(
                f"{self._name} answered {error.code}, a redirect; redirects are not followed "
                "(configure the channel's new address)."
            )
        detail = self._redact(error.read(500).decode("utf-8", "replace").strip())
        message = f"{self._name} answered {error.code}" + (f": {detail}" if detail else ".")
        if error.code >= 500 or error.code in (408, 429):
            return TemporaryFailure(message)
        return PermanentFailure(message)

    def _redact(self, text: str) -> str:
        """`text` without the URL or a header's value, should the channel echo them."""
        secrets = [self.url, *(str(v) for v in self.headers.values())]
        for secret in sorted(filter(None, secrets), key=len, reverse=True):
            text = text.replace(secret, "[redacted]")
        return text


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx reaches the adapter as an HTTPError, unfollowed."""

    def redirect_request(self, *args, **kwargs):
        return None


def _json_object(raw: bytes) -> dict | None:
    try:
        document = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


ADAPTERS = {"local": LocalAdapter, "webhook": WebhookAdapter}


@dataclass(frozen=True)
class Channel:
    name: str
    label: str
    adapter: Adapter
    remote_url: str | None = None
    options: dict = field(default_factory=dict, compare=False)

    @property
    def permission(self) -> str:
        return f"publishing.{PERMISSION_PREFIX}{self.name}"

    def link(self, remote_id: str | None) -> str | None:
        if not remote_id or not self.remote_url:
            return None
        # Quoted: a remote id is the channel's (or a pipeline's) text, not part of our URL.
        return self.remote_url.replace("{remote_id}", urllib.parse.quote(remote_id, safe=""))

    def __str__(self):
        return self.label


def _build(name: str, options) -> Channel:
    if not isinstance(name, str) or not CHANNEL_NAME.fullmatch(name):
        raise ImproperlyConfigured(
            f"PUBLISH_CHANNELS: {name!r} is not a channel name (lower-case letters, digits, "
            "'-' and '_', at most 63)."
        )
    if not isinstance(options, dict) or "adapter" not in options:
        raise ImproperlyConfigured(f'PUBLISH_CHANNELS[{name!r}] needs an "adapter".')
    options = dict(options)
    adapter_name = options.pop("adapter")
    label = str(options.pop("label", name))
    remote_url = options.pop("remote_url", None)
    try:
        adapter_class = ADAPTERS.get(adapter_name) or import_string(adapter_name)
    except ImportError:
        raise ImproperlyConfigured(
            f"PUBLISH_CHANNELS[{name!r}]: no adapter {adapter_name!r} (use "
            f"{', '.join(ADAPTERS)} or the dotted path of an Adapter class)."
        ) from None
    if not (isinstance(adapter_class, type) and issubclass(adapter_class, Adapter)):
        raise ImproperlyConfigured(f"PUBLISH_CHANNELS[{name!r}]: {adapter_name} is no Adapter.")
    try:
        adapter = adapter_class(channel=name, **options)
    except TypeError as error:
        raise ImproperlyConfigured(f"PUBLISH_CHANNELS[{name!r}]: {error}.") from None
    return Channel(name, label, adapter, remote_url, options)


def configured() -> dict[str, Channel]:
    """The channels of settings.PUBLISH_CHANNELS, by name, in their order there."""
    config = settings.PUBLISH_CHANNELS
    if not isinstance(config, dict):
        raise ImproperlyConfigured("PUBLISH_CHANNELS must be a JSON object: name -> options.")
    # Built once per configuration (adapters keep no per-call state).
    return _built(json.dumps(config))


@functools.lru_cache(maxsize=4)
def _built(config: str) -> dict[str, Channel]:
    return {name: _build(name, options) for name, options in json.loads(config).items()}


def get(name: str) -> Channel | None:
    return configured().get(name)


def allowed(user) -> list[Channel]:
    """The channels `user` may publish to."""
    return [channel for channel in configured().values() if user.has_perm(channel.permission)]


def check_configuration(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A system check: `manage.py check` (and every command) names a bad channel."""
    try:
        configured()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="publishing.E001")]
    return []


def sync_permissions(apps=None, **kwargs) -> None:
    """Create the permission `publish_to_<name>` for each configured channel.

    Runs after every `migrate` (post_migrate), so a channel added to the
    settings gets its permission at the next deploy; nobody holds it until an
    administrator grants it to a group or user. Permissions of channels no
    longer configured are kept, so grants survive a channel's brief removal.
    """
    from django.apps import apps as global_apps

    apps = apps or global_apps
    try:
        Permission = apps.get_model("auth", "Permission")
        ContentType = apps.get_model("contenttypes", "ContentType")
    except LookupError:
        return
    content_type, _ = ContentType.objects.get_or_create(
        app_label="publishing", model="publishreceipt"
    )
    for name, options in settings.PUBLISH_CHANNELS.items():
        label = options.get("label", name) if isinstance(options, dict) else name
        Permission.objects.update_or_create(
            content_type=content_type,
            codename=f"{PERMISSION_PREFIX}{name}",
            defaults={"name": f"Can publish to {label}"[:255]},
        )
