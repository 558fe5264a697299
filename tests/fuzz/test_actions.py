"""Every admin action posted with generated selections and hostile
`_selected_action`, `select_across`, `index` and seen-version fields.

Never a 500; a selection that names no row changes nothing; a row posted with a
version other than its current one is not changed (the guarded write refuses)."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from hypothesis import given
from hypothesis import strategies as st

from core.admin_locking import SEEN_VERSION_PREFIX
from publishing import channels
from publishing.models import PublishReceipt, PublishStatus
from safety.models import ReviewAction, SafetyReport
from tests.factories import (
    PendingReportFactory,
    PublishReceiptFactory,
    TaskFactory,
    VideoFactory,
)
from tests.fuzz.cases import case, fuzz, send
from tests.fuzz.strategies import hostile_text, ids, integers_as_text
from tests.helpers import local_channel_config, table
from videos.models import Task, TaskStatus, TaskType, Video, VideoStatus

ACTIONS = {
    "/admin/videos/video/": (Video, ["archive_selected", "delete_selected"]),
    "/admin/videos/task/": (Task, ["cancel_selected", "requeue_selected", "delete_selected"]),
    "/admin/publishing/publishreceipt/": (
        PublishReceipt,
        ["retract_selected", "cancel_selected", "retry_selected", "delete_selected"],
    ),
    "/admin/publishing/publishfailure/": (PublishReceipt, ["retry_selected", "cancel_selected"]),
    "/admin/safety/reviewqueueitem/": (SafetyReport, ["bulk_approve", "delete_selected"]),
}
INTEGER = re.compile(r"-?[0-9]+")


@pytest.fixture
def channels_configured(settings, tmp_path, db):
    settings.PUBLISH_CHANNELS = local_channel_config(tmp_path)
    channels.sync_permissions()


def make_rows() -> list:
    """Rows in the states each action acts on."""
    ready = VideoFactory(status=VideoStatus.READY)
    failed_task = TaskFactory(type=TaskType.PUBLISH, status=TaskStatus.FAILED, video=ready)
    return [
        VideoFactory(status=VideoStatus.DRAFT),
        ready,
        TaskFactory(status=TaskStatus.QUEUED),
        failed_task,
        PublishReceiptFactory(video=ready, status=PublishStatus.FAILED, task=failed_task),
        PublishReceiptFactory(status=PublishStatus.PUBLISHED, remote_id="r1"),
        PublishReceiptFactory(status=PublishStatus.PENDING),
        PendingReportFactory(score=0.1),
        PendingReportFactory(score=0.9),
    ]


def action_post(draw, names, real):
    selected = draw(st.lists(ids(real), max_size=5), label="selected")
    versions = draw(
        st.dictionaries(st.sampled_from(selected or ["x"]), integers_as_text(), max_size=3),
        label="versions",
    )
    return {
        "action": draw(st.one_of(st.sampled_from(names), hostile_text(20)), label="action"),
        ACTION_CHECKBOX_NAME: selected,
        "select_across": draw(st.sampled_from(["0", "1", "", "\x00", "yes"]), label="across"),
        "index": draw(st.sampled_from(["0", "1", "-1", "99", "x", "²"]), label="index"),
        "confirmed": draw(st.sampled_from(["", "yes"]), label="confirmed"),
        "reason": draw(st.one_of(st.just("false_positive"), hostile_text(30)), label="reason"),
        "note": draw(hostile_text(), label="note"),
        **{f"{SEEN_VERSION_PREFIX}{pk}": version for pk, version in versions.items()},
    }


@pytest.mark.parametrize("url", ACTIONS)
@fuzz(max_examples=40)
@given(data=st.data())
def test_an_action_posted_with_anything_changes_only_what_it_may(
    superuser_client, channels_configured, url, data
):
    model, names = ACTIONS[url]
    with case("actions"):
        made = [obj for obj in make_rows() if isinstance(obj, model)]
        real = {str(obj.pk) for obj in made}
        before = table(model)
        decisions = ReviewAction.objects.count()
        posted = data.draw(st.composite(lambda draw: action_post(draw, names, real))())
        send(superuser_client, "actions", "post", url, data=posted)

        after = table(model)
        chosen = set(posted[ACTION_CHECKBOX_NAME]) & real
        if not chosen and posted["select_across"] != "1":
            assert after == before
            assert ReviewAction.objects.count() == decisions
        for pk in chosen:
            raw = posted.get(f"{SEEN_VERSION_PREFIX}{pk}", "")
            version = before[pk].get("state_version")
            if version is not None and INTEGER.fullmatch(raw) and int(raw) != version:
                assert after.get(pk) == before[pk], "a stale version changed the row"
