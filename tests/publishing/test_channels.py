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
