"""A publish's checks and its call slot (PUBLISH_CONCURRENCY): every check,
S3's included, runs while the task waits for a slot; in the slot one query
confirms that nothing the checks read in the database changed, or the whole
check runs again there. So a change that lands while a task waits for its
slot never reaches a channel, and a slot holds one query and the call."""

import contextlib
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contentops.roles import MODERATORS
from publishing import delivery
from publishing.models import PublishReceipt, PublishStatus
from safety import services as safety_services
from safety.models import ReviewStatus
from tests.factories import (
    PublishReceiptFactory,
    SafetyReportFactory,
    UserFactory,
)
from tests.helpers import approve, reload
from videos.models import Artifact, ArtifactKind, Task, TaskStatus, Video

pytestmark = pytest.mark.django_db(transaction=True)


class Slot:
    """A call slot for `delivery.publish_task` that runs `change()` as the
    task takes it (its checks done, its call not yet made) and notes the
    queries run while it is held."""

    def __init__(self, change=lambda: None, *, after_call=lambda: None):
        self.change = change
        self.after_call = after_call  # as the call ends, before its outcome is recorded
        self.taken = False
        self.queries: list[str] = []

    @contextlib.contextmanager
    def __call__(self):
        self.taken = True
        self.change()
        with CaptureQueriesContext(connection) as captured:
            yield
        self.queries = [query["sql"] for query in captured.captured_queries]
        self.after_call()


def publish(receipt: PublishReceipt, slot: Slot) -> str:
    (task,) = delivery.claim_due(worker="w", limit=1)
    assert task.pk == receipt.task_id
    return delivery.publish_task(task_id=task.pk, worker="w", calling=slot)


def sent(channel_root) -> list:
    return sorted(p.stem for p in (channel_root / "youtube").glob("*.json"))


def test_in_the_slot_one_query_and_the_call_neither_s3_nor_the_checks_again(
    publisher, ready_video, channel_root, s3_proxy
):
    (receipt,) = approve(ready_video(), publisher)
    proxy = s3_proxy(hold={})
    asked = []
    slot = Slot(change=lambda: asked.append(len(proxy.received)))

    assert publish(receipt, slot) == "published"

    assert sent(channel_root) == [str(receipt.pk)]
    (query,) = slot.queries
    assert "safety_reports" in query and "safety_artifact_changes" in query
    assert asked == [3], "S3 was asked about the three files before the slot"
    assert len(proxy.received) == 3, "and not again in it"


def reject_by_sql(video):
    # A rejection written without cancelling the publish work (the pipeline, by SQL).
    SafetyReportFactory(
        task__video=video, requires_human_review=True, review_status=ReviewStatus.REJECTED
    )


def reject_by_a_moderator(video):
    report = SafetyReportFactory(task__video=video, requires_human_review=True)
    safety_services.decide(
        report_id=report.pk,
        moderator=UserFactory(username="mod", groups=[MODERATORS]),
        kind="reject",
        reason_code="violence",
        note="a late complaint",
    )


def replace_the_thumbnail(video):
    Artifact.objects.filter(video=video, kind=ArtifactKind.THUMBNAIL).update(
        s3_path=f"s3://{default_storage.bucket_name}/another-thumbnail.png"
    )


def edit_the_title(video):
    Video.objects.filter(pk=video.pk).update(title="A title nobody approved")


def publish_it_elsewhere(video):
    # Another receipt (say, a second approval's) published the video on the channel.
    PublishReceiptFactory(video=video, status=PublishStatus.PUBLISHED, remote_id="elsewhere")


def take_the_lease(video):
    Task.objects.filter(video=video, status=TaskStatus.RUNNING).update(leased_by="another")


@pytest.mark.parametrize(
    "change, outcome, error",
    [
        (reject_by_sql, "cancelled", "was rejected"),
        (reject_by_a_moderator, "lost", "rejected in safety review"),
        (replace_the_thumbnail, "cancelled", "files were changed after"),
        (edit_the_title, "void", "its title changed"),
        (publish_it_elsewhere, "cancelled", "already published it there"),
        (take_the_lease, "lost", None),
    ],
)
def test_a_change_while_the_task_waits_for_its_slot_stops_the_call(
    publisher, ready_video, channel_root, change, outcome, error
):
    video = ready_video()
    (receipt,) = approve(video, publisher)
    slot = Slot(change=lambda: change(video))

    assert publish(receipt, slot) == outcome

    assert slot.taken, "the checks before the slot passed: the slot's own caught it"
    assert sent(channel_root) == []
    receipt = reload(receipt)
    if error is None:
        assert receipt.status == PublishStatus.PENDING, "left to the worker holding the lease"
    else:
        assert receipt.status == PublishStatus.FAILED
        assert error in receipt.error


def test_s3_answers_older_than_their_bound_are_asked_again_in_the_slot(
    approved_render_in_place, channel_root, monkeypatch
):
    receipt, key = approved_render_in_place

    def overwrite_in_place():
        default_storage.delete(key)
        default_storage.save(key, ContentFile(b"a different render"))

    # Every answer is too old by the time the task takes its slot.
    monkeypatch.setattr(delivery, "S3_ANSWERS_KEEP_SECONDS", -1)

    assert publish(receipt, Slot(change=overwrite_in_place)) == "void"

    assert sent(channel_root) == []
    assert "the render file was replaced in S3" in reload(receipt).error


def clearance_reads(queries) -> int:
    """How many times `clearance_problem` read the video's reports."""
    return sum(sql.startswith('SELECT "safety_reports"."requires_human_review"') for sql in queries)


def test_after_a_call_one_query_confirms_the_clearance_the_checks_saw(
    publisher, ready_video, channel_root
):
    (receipt,) = approve(ready_video(), publisher)

    with CaptureQueriesContext(connection) as captured:
        assert publish(receipt, Slot()) == "published"

    # The check before the slot asked the clearance; recording the success
    # found what it reads unchanged (the state query) and did not ask again.
    assert clearance_reads(q["sql"] for q in captured.captured_queries) == 1
    assert reload(receipt).status == PublishStatus.PUBLISHED


@pytest.mark.parametrize(
    "change, retracted",
    [(reject_by_sql, True), (replace_the_thumbnail, True), (edit_the_title, False)],
)
def test_a_change_landing_during_the_call_is_judged_by_the_clearance_itself(
    publisher, ready_video, channel_root, change, retracted
):
    video = ready_video()
    (receipt,) = approve(video, publisher)

    assert publish(receipt, Slot(after_call=lambda: change(video))) == "published"

    receipt = reload(receipt)
    if retracted:
        assert receipt.status == PublishStatus.RETRACTED
        assert "rejected while it was published" in receipt.error
    else:  # a title is not what the clearance is about
        assert receipt.status == PublishStatus.PUBLISHED


def tables(sql: str) -> set[str]:
    return set(re.findall(r'\b(?:FROM|JOIN)\s+"?([a-z_]+)"?', sql, flags=re.IGNORECASE))


def test_the_slots_one_query_reads_every_table_the_checks_read(publisher, ready_video):
    """`_STATE` stands for the whole check in the slot: a check that comes to
    read another table must add it there, or a change to it would go unseen."""
    (receipt,) = approve(ready_video(), publisher)
    (task,) = delivery.claim_due(worker="w", limit=1)

    with CaptureQueriesContext(connection) as captured:
        checked = delivery._check(task_id=task.pk, receipt=reload(receipt), worker="w")

    assert isinstance(checked, delivery.Ready)
    read = set().union(*(tables(q["sql"]) for q in captured.captured_queries))
    assert {"tasks", "videos", "safety_reports", "artifacts"} <= read
    # The approving moderator's user row: only their name, in a problem's wording.
    read.discard("auth_user")
    assert read <= tables(delivery._STATE), read - tables(delivery._STATE)
