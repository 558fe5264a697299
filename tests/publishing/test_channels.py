"""Channels from settings, their permissions, and the two adapters that ship:
the local folder, and the webhook against a real HTTP server."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured

from publishing import channels
from publishing.channels import (
    Adapter,
    Manifest,
    ManifestArtifact,
    PermanentFailure,
    Retraction,
    TemporaryFailure,
)
from tests.factories import UserFactory
from tests.publishing.webhook_server import Answer


class RecordingAdapter(Adapter):
    """An adapter from outside publishing/, named by its dotted path."""

    def __init__(self, *, channel, account):
        super().__init__(channel=channel)
        self.account = account


def manifest(key="4b0a7c2e-0000-4000-8000-000000000001") -> Manifest:
    return Manifest(
        idempotency_key=key,
        channel="hook",
        video_id="v-1",
        title="Ten facts about octopuses",
        persona={"id": "p-1", "name": "Ocean Explainers"},
        approved_by="publisher",
        artifacts=(
            ManifestArtifact(
                "a-1", "render", "https://s3.example/r?sig", "etag1", 10, "video/webm"
            ),
        ),
    )


# Configuration


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"YouTube!": {"adapter": "local", "folder": "x"}}, "is not a channel name"),
        ({"yt": {"folder": "x"}}, 'needs an "adapter"'),
        ({"yt": {"adapter": "carrier-pigeon"}}, "no adapter 'carrier-pigeon'"),
        ({"yt": {"adapter": "local", "folder": "x", "colour": "red"}}, "colour"),
        ({"yt": {"adapter": "webhook"}}, "url"),
        ({"yt": {"adapter": "django.db.models.Model"}}, "is no Adapter"),
        (["yt"], "must be a JSON object"),
    ],
)
def test_a_bad_channel_configuration_is_named_at_startup(settings, config, message):
    settings.PUBLISH_CHANNELS = config
    with pytest.raises(ImproperlyConfigured, match=message):
        channels.configured()
    (error,) = channels.check_configuration()
    assert error.id == "publishing.E001" and message in error.msg


def test_an_adapter_of_ones_own_is_named_by_its_dotted_path(settings):
    settings.PUBLISH_CHANNELS = {
        "yt": {
            "adapter": "tests.publishing.test_channels.RecordingAdapter",
            "label": "YouTube",
            "account": "brand",
        }
    }
    channel = channels.get("yt")
    assert isinstance(channel.adapter, RecordingAdapter)
    assert (channel.label, channel.adapter.account, channel.adapter.channel) == (
        "YouTube",
        "brand",
        "yt",
    )
    assert channels.check_configuration() == []


def test_a_remote_url_pattern_links_remote_ids(settings):
    settings.PUBLISH_CHANNELS = {
        "yt": {
            "adapter": "local",
            "folder": "x",
            "remote_url": "https://yt.example/w?v={remote_id}",
        },
        "plain": {"adapter": "local", "folder": "y"},
    }
    assert channels.get("yt").link("abc") == "https://yt.example/w?v=abc"
    assert channels.get("yt").link("../x&y=1#z") == "https://yt.example/w?v=..%2Fx%26y%3D1%23z"
    assert channels.get("yt").link(None) is None
    assert channels.get("plain").link("abc") is None


@pytest.mark.django_db
def test_each_configured_channel_gets_a_permission_nobody_holds_until_granted(settings, editor):
    settings.PUBLISH_CHANNELS = {"vimeo": {"adapter": "local", "label": "Vimeo", "folder": "v"}}
    channels.sync_permissions()
    permission = Permission.objects.get(codename="publish_to_vimeo")
    assert permission.name == "Can publish to Vimeo"
    assert channels.allowed(editor) == []
    editor.user_permissions.add(permission)
    editor = type(editor).objects.get(pk=editor.pk)
    assert [c.name for c in channels.allowed(editor)] == ["vimeo"]
    assert [c.name for c in channels.allowed(UserFactory(is_superuser=True))] == ["vimeo"]


# The local adapter


def test_local_adapter_writes_the_manifest_and_logs_the_delivery(settings, tmp_path):
    settings.PUBLISH_CHANNELS = {"box": {"adapter": "local", "folder": str(tmp_path)}}
    adapter = channels.get("box").adapter
    sent = manifest()
    remote_id = adapter.publish(sent)
    assert remote_id == sent.idempotency_key
    written = json.loads((tmp_path / f"{remote_id}.json").read_text())
    assert written["title"] == "Ten facts about octopuses"
    assert written["artifacts"][0]["url"] == "https://s3.example/r?sig"
    log = (tmp_path / "published.log").read_text().splitlines()
    assert [line.split("\t")[1:3] for line in log] == [["published", remote_id]]


def test_local_adapter_publishes_a_key_once_and_logs_the_repeat(settings, tmp_path):
    settings.PUBLISH_CHANNELS = {"box": {"adapter": "local", "folder": str(tmp_path)}}
    adapter = channels.get("box").adapter
    assert adapter.publish(manifest()) == adapter.publish(manifest())
    events = [line.split("\t")[1] for line in (tmp_path / "published.log").open()]
    assert events == ["published", "repeat"]
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_local_adapter_retracts_into_a_folder_of_its_own(settings, tmp_path):
    settings.PUBLISH_CHANNELS = {"box": {"adapter": "local", "folder": str(tmp_path)}}
    adapter = channels.get("box").adapter
    remote_id = adapter.publish(manifest())
    retraction = Retraction(remote_id, "box", "v-1", remote_id)
    adapter.retract(retraction)
    adapter.retract(retraction)  # already gone: still fine
    assert not (tmp_path / f"{remote_id}.json").exists()
    assert (tmp_path / "retracted" / f"{remote_id}.json").exists()


def test_local_adapter_retracts_from_a_folder_that_was_never_made(settings, tmp_path):
    folder = tmp_path / "gone"
    settings.PUBLISH_CHANNELS = {"box": {"adapter": "local", "folder": str(folder)}}
    channels.get("box").adapter.retract(Retraction("r-1", "box", "v-1", "r-1"))
    events = [line.split("\t")[1:3] for line in (folder / "published.log").open()]
    assert events == [["retracted", "r-1"]]


# The webhook adapter, against a real HTTP server


def test_webhook_posts_the_manifest_with_its_idempotency_key(webhook_channel, webhook_server):
    sent = manifest()
    assert webhook_channel.adapter.publish(sent) == "remote-1"
    (request,) = webhook_server.requests
    assert request.key == sent.idempotency_key
    assert request.body == {"action": "publish", **sent.as_json()}


def test_webhook_sends_a_key_again_and_the_channel_answers_the_same_id(
    webhook_channel, webhook_server
):
    first = webhook_channel.adapter.publish(manifest())
    assert webhook_channel.adapter.publish(manifest()) == first
    assert len(webhook_server.requests) == 2
    assert len(webhook_server.published) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_webhook_5xx_and_throttling_are_temporary(webhook_channel, webhook_server, status):
    webhook_server.script(Answer(status=status, body={"error": "busy"}))
    with pytest.raises(TemporaryFailure, match=f"answered {status}"):
        webhook_channel.adapter.publish(manifest())


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_webhook_4xx_is_permanent(webhook_channel, webhook_server, status):
    webhook_server.script(Answer(status=status, body={"error": "video too long"}))
    with pytest.raises(PermanentFailure, match=f'answered {status}: {{"error": "video too long"}}'):
        webhook_channel.adapter.publish(manifest())


def test_webhook_timeout_is_temporary(webhook_channel, webhook_server):
    webhook_server.script(Answer(delay=2))
    with pytest.raises(TemporaryFailure, match="did not answer"):
        webhook_channel.adapter.publish(manifest())


def test_webhook_to_nothing_listening_is_temporary(settings, db):
    settings.PUBLISH_CHANNELS = {
        "hook": {"adapter": "webhook", "url": "http://127.0.0.1:9/publish", "timeout": 0.5}
    }
    with pytest.raises(TemporaryFailure, match="did not answer"):
        channels.get("hook").adapter.publish(manifest())


def test_webhook_success_without_a_remote_id_is_permanent(webhook_channel, webhook_server):
    webhook_server.script(Answer(status=200, body={"ok": True}))
    with pytest.raises(PermanentFailure, match="without a remote id"):
        webhook_channel.adapter.publish(manifest())


def test_webhook_retract_accepts_a_video_already_gone(webhook_channel, webhook_server):
    retraction = Retraction("key-1", "hook", "v-1", "remote-1")
    webhook_channel.adapter.retract(retraction)
    webhook_server.script(Answer(status=404))
    webhook_channel.adapter.retract(retraction)
    assert [r.body["action"] for r in webhook_server.requests] == ["retract", "retract"]
    webhook_server.script(Answer(status=500))
    with pytest.raises(TemporaryFailure):
        webhook_channel.adapter.retract(retraction)


@pytest.fixture
def secret_hook(settings, webhook_server, db):
    """A webhook channel whose URL and headers hold secrets."""
    settings.PUBLISH_CHANNELS = {
        "hook": {
            "adapter": "webhook",
            "url": webhook_server.url + "?token=url-secret-123",
            "timeout": 0.5,
            "headers": {"Authorization": "Bearer header-secret-456"},
        }
    }
    return channels.get("hook").adapter


def assert_no_secret(message: str, webhook_server):
    assert "url-secret-123" not in message
    assert "header-secret-456" not in message
    assert webhook_server.url.split("/publish")[0] not in message  # not even the host


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_webhook_redirect_is_a_permanent_failure_and_is_not_followed(
    secret_hook, webhook_server, status
):
    elsewhere = webhook_server.url.replace("/publish", "/elsewhere")
    webhook_server.script(Answer(status=status, location=elsewhere))
    with pytest.raises(PermanentFailure, match=f"answered {status}, a redirect") as failure:
        secret_hook.publish(manifest())
    assert [r.path for r in webhook_server.requests] == ["/publish?token=url-secret-123"]
    assert_no_secret(str(failure.value), webhook_server)


def test_webhook_sends_its_headers_but_never_names_them_or_its_url_in_a_failure(
    secret_hook, webhook_server
):
    echo = f"bad token Bearer header-secret-456 for {webhook_server.url}?token=url-secret-123"
    webhook_server.script(Answer(status=401, raw=echo.encode()), Answer(status=503))
    with pytest.raises(PermanentFailure, match="The channel hook answered 401") as refused:
        secret_hook.publish(manifest())
    with pytest.raises(TemporaryFailure, match="The channel hook answered 503") as busy:
        secret_hook.publish(manifest())
    assert webhook_server.requests[0].headers["Authorization"] == "Bearer header-secret-456"
    for failure in (refused, busy):
        assert_no_secret(str(failure.value), webhook_server)
    assert "[redacted]" in str(refused.value)


def test_webhook_timeout_names_no_url(secret_hook, webhook_server):
    webhook_server.script(Answer(hang=True))
    with pytest.raises(TemporaryFailure, match="The channel hook did not answer") as failure:
        secret_hook.publish(manifest())
    webhook_server.release()
    assert_no_secret(str(failure.value), webhook_server)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<html>Bad gateway</html>", "something other than a JSON object"),
        (b"", "without a remote id"),
        (b"[1, 2, 3]", "something other than a JSON object"),
        (b'"remote-1"', "something other than a JSON object"),
        (b"[" * 100_000, "something other than a JSON object"),
        (b'{"remote_id": 12345}', "not a short line of printable text"),
        (b'{"remote_id": ["r-1"]}', "not a short line of printable text"),
        (b'{"remote_id": {"id": "r-1"}}', "not a short line of printable text"),
        (json.dumps({"remote_id": "r" * 256}).encode(), "not a short line of printable text"),
        (b'{"remote_id": "r-1\\nr-2"}', "not a short line of printable text"),
        (b'{"remote_id": ""}', "without a remote id"),
    ],
)
def test_webhook_garbage_answers_are_permanent_failures(secret_hook, webhook_server, raw, message):
    webhook_server.script(Answer(status=200, raw=raw))
    with pytest.raises(PermanentFailure, match=message) as failure:
        secret_hook.publish(manifest())
    assert_no_secret(str(failure.value), webhook_server)


@pytest.mark.parametrize(
    "remote_id", ["../../x", "../outside", "/etc/passwd", ".hidden", "a/b", ""]
)
def test_local_adapter_refuses_a_remote_id_that_is_no_plain_file_name(
    settings, tmp_path, remote_id
):
    folder = tmp_path / "box"
    settings.PUBLISH_CHANNELS = {"box": {"adapter": "local", "folder": str(folder)}}
    adapter = channels.get("box").adapter
    adapter.publish(manifest())
    outside = tmp_path / "x.json"
    outside.write_text("{}")
    with pytest.raises(PermanentFailure, match="is not a plain file name"):
        adapter.retract(Retraction("4b0a7c2e-0000-4000-8000-000000000001", "box", "v-1", remote_id))
    assert outside.exists()
    assert not (folder / "retracted").exists()


@pytest.mark.parametrize("key", ["../../x", "a/b", ".x"])
def test_local_adapter_refuses_an_idempotency_key_that_is_no_plain_file_name(
    settings, tmp_path, key
):
    settings.PUBLISH_CHANNELS = {"box": {"adapter": "local", "folder": str(tmp_path / "box")}}
    with pytest.raises(PermanentFailure, match="is not a plain file name"):
        channels.get("box").adapter.publish(manifest(key))
    assert list(tmp_path.rglob("*.json")) == []
