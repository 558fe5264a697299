"""Approving a video for publishing: what it would publish, whether it may
(the page shows these reads), and the operation, `approve_publish`, which
checks them again under the video's row lock; the worker checks once more
before publishing. Whether a video is cleared, and what it would publish, is
safety.clearance's.

An editor's approval makes one publish task and one pending receipt per
channel and moves the video to approved.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from publishing import channels, locks
from publishing.lapses import changer, lapse_clearance
from publishing.models import PublishReceipt, PublishStatus
from publishing.transitions import APPROVE_PERMISSION, PublishRefused, require
from safety.clearance import (  # noqa: F401 - publishing's names for them
    PUBLISHED_KINDS,
    REQUIRED_KIND,
    changed_files_problem,
    clearance_problem,
    fingerprint,
    publish_set,
    publish_sets,
    verdict_problem,
)
from safety.issues import issues_summary
from safety.models import ActionKind, ReviewAction, SafetyReport
from videos import storage
from videos.models import Artifact, Task, TaskStatus, TaskType, Video, VideoStatus

# How long ago "now" may be when an editor picks a time: the page took a moment.
SCHEDULE_GRACE = timedelta(minutes=2)


def uncleared_reason(video_id, *, etags: dict | None = None) -> str | None:
    """Why the video is not cleared for publishing, or None: safety.clearance's
    one check (its reports' verdicts and the files they saw)."""
    return clearance_problem(video_id, etags=etags)


@dataclass
class ReportSummary:
    report: SafetyReport
    decision: ReviewAction | None

    @property
    def verdict(self) -> str:
        if self.report.review_status:
            return self.report.get_review_status_display()
        return "waiting for a moderator" if self.report.requires_human_review else "cleared"

    @property
    def categories(self) -> str:
        return issues_summary(self.report.issues)


def safety_summary(video_id) -> list[ReportSummary]:
    """The video's reports, newest first, each with its final decision: two queries."""
    decisions = ReviewAction.objects.filter(
        kind__in=[ActionKind.APPROVE, ActionKind.REJECT]
    ).select_related("actor")
    reports = (
        SafetyReport.objects.filter(task__video_id=video_id)
        .order_by("-created_at")
        .prefetch_related(Prefetch("review_actions", queryset=decisions, to_attr="decisions"))
    )
    return [ReportSummary(r, r.decisions[0] if r.decisions else None) for r in reports]


# The operation


def approve_publish(
    *,
    video_id,
    editor,
    channel_names: list[str],
    video_version: int,
    artifacts_seen: str,
    not_before: datetime | None = None,
) -> list[PublishReceipt]:
    """Approve a ready video for `channel_names`, now or at `not_before`.

    Guarded on the video's version and the files the editor's page showed
    (`artifacts_seen`, an `fingerprint`): anything that changed since
    is refused, as are uncleared reports, channels already published to and
    channels the editor may not publish to. Returns the pending receipts.
    """
    require(editor, APPROVE_PERMISSION)
    now = timezone.now()
    chosen = _channels_for(editor, channel_names)
    when = _schedule(not_before, now)
    files = publish_set(video_id)
    if fingerprint(files) != artifacts_seen:
        raise PublishRefused(
            "The video's files changed since the page loaded; reload and check them again.",
            conflict=True,
        )
    _check_render(files)  # before asking S3 about the files
    etags = _etags(files)
    _lapse_if_changed(video_id, etags)
    with transaction.atomic():
        video = _lock_video(video_id)
        _check_version(video, video_version)
        check_approvable(video, files=files, etags=etags)
        _check_unpublished(video, chosen)
        if fingerprint(publish_set(video_id)) != artifacts_seen:
            raise PublishRefused("The video's files changed a moment ago; reload.", conflict=True)
        video.status = VideoStatus.APPROVED
        video.save(update_fields=["status"])
        return [
            _schedule_channel(video, channel, editor, files, etags, when, now) for channel in chosen
        ]


def _channels_for(editor, names) -> list[channels.Channel]:
    names = list(dict.fromkeys(names))
    if not names:
        raise PublishRefused("Choose at least one channel.")
    configured = channels.configured()
    chosen = []
    for name in names:
        channel = configured.get(name)
        if channel is None:
            raise PublishRefused(f"There is no channel {name!r} (PUBLISH_CHANNELS).")
        if not editor.has_perm(channel.permission):
            raise PublishRefused(f"You may not publish to {channel.label}.", forbidden=True)
        chosen.append(channel)
    return chosen


def schedule_problem(not_before: datetime | None, now: datetime) -> str | None:
    """Why a publish cannot be scheduled for `not_before`, or None.

    The window is from now (less `SCHEDULE_GRACE`) to `PUBLISH_SCHEDULE_MAX_DAYS`
    ahead: a far time (year 9999 at -14:00 is past year 10,000 in UTC) would be
    stored where no reader can load it again, and stop the worker's sweep."""
    if not_before is None:
        return None
    latest = now + timedelta(days=settings.PUBLISH_SCHEDULE_MAX_DAYS)
    too_late = (
        f"Publishing can be scheduled at most {settings.PUBLISH_SCHEDULE_MAX_DAYS} days "
        f"ahead: the latest allowed time is {_shown(latest)}."
    )
    passed = f"{not_before:%Y-%m-%d %H:%M} has passed: choose a later time, or publish now."
    try:
        utc = not_before.astimezone(UTC)
    except OverflowError:
        # Beyond the calendar's edge in UTC: year 9999 at -14:00, or year 1 at +14:00.
        return too_late if not_before.year > 1 else passed
    if utc > latest:
        return too_late
    if utc < now - SCHEDULE_GRACE:
        return passed
    return None


def _schedule(not_before: datetime | None, now: datetime) -> datetime:
    problem = schedule_problem(not_before, now)
    if problem:
        raise PublishRefused(problem)
    return now if not_before is None else max(not_before, now)


def _shown(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"


def _etags(files: list[Artifact]) -> dict:
    """What S3 holds for each file now (not from a cache): its ETag, by artifact id.
    S3 is asked about all the files at once; the first file's problem is the refusal."""
    infos = storage.object_infos(files, fresh=True)
    etags = {}
    for artifact in files:
        try:
            info = infos[artifact.pk].result()
        except storage.StorageUnavailable as error:
            raise PublishRefused(f"{error} Nothing was approved; try again.") from None
        except storage.InvalidS3Path as error:
            raise PublishRefused(f"The {artifact.kind} cannot be published: {error}") from None
        if info is None:
            raise PublishRefused(f"The {artifact.kind} file {artifact.s3_path} is missing in S3.")
        etags[artifact.pk] = info.etag
    return etags


def _lock_video(video_id) -> Video:
    try:
        return locks.lock_video(video_id)
    except Video.DoesNotExist:
        raise PublishRefused("That video does not exist (any more).") from None


def _lapse_if_changed(video_id, etags: dict) -> None:
    """A file changed since the video was cleared (an upload, a pipeline write,
    an object overwritten in place): the clearance lapses and nothing is approved."""
    problem = changed_files_problem(video_id, etags=etags)
    if problem and lapse_clearance(video_id=video_id, reason=problem, actor=changer(video_id)):
        raise PublishRefused(
            f"{problem} It cannot be approved: it went back to safety review.", conflict=True
        )


def check_approvable(video: Video, *, files: list[Artifact], etags: dict | None = None) -> None:
    """Refuse (PublishRefused) unless `video` may be approved with `files`:
    ready, cleared by safety (for the files' `etags` when known), with a render.
    The approve page asks this before anyone acts; `approve_publish` asks it
    again under the video's lock."""
    if video.status != VideoStatus.READY:
        raise PublishRefused(
            f"This video is {video.get_status_display().lower()}, not ready to publish.",
            conflict=True,
        )
    problem = clearance_problem(video.pk, etags=etags)
    if problem:
        raise PublishRefused(f"{problem} It cannot be approved.")
    _check_render(files)


def _check_render(files: list[Artifact]) -> None:
    if not any(a.kind == REQUIRED_KIND for a in files):
        raise PublishRefused("The video has no render to publish.")


def _check_version(video: Video, version_seen: int) -> None:
    if video.state_version != version_seen:
        raise PublishRefused(
            f"This video changed since the page loaded (you saw version {version_seen}, it is "
            f"now at version {video.state_version}); reload and check it again.",
            conflict=True,
        )


def _check_unpublished(video: Video, chosen) -> None:
    published = set(
        PublishReceipt.objects.filter(
            video=video, channel__in=[c.name for c in chosen], status=PublishStatus.PUBLISHED
        ).values_list("channel", flat=True)
    )
    if published:
        labels = ", ".join(c.label for c in chosen if c.name in published)
        raise PublishRefused(f"This video is already published to {labels}.", conflict=True)


def _schedule_channel(video, channel, editor, files, etags, when, now) -> PublishReceipt:
    receipt_id = uuid.uuid4()
    task = Task.objects.create(
        video=video,
        type=TaskType.PUBLISH,
        status=TaskStatus.QUEUED,
        not_before=when,
        payload=publish_payload(
            video=video,
            channel=channel.name,
            receipt_id=receipt_id,
            editor=editor,
            files=files,
            etags=etags,
            when=when,
            now=now,
        ),
    )
    return PublishReceipt.objects.create(
        id=receipt_id,
        video=video,
        channel=channel.name,
        status=PublishStatus.PENDING,
        task=task,
        timestamp=now,
    )


def publish_payload(*, video, channel: str, receipt_id, editor, files, etags, when, now) -> dict:
    """A publish task's payload: what was approved, by whom, for when. The worker
    publishes only if the video and its files are still what it names."""
    return {
        "channel": channel,
        "receipt_id": str(receipt_id),
        "not_before": when.isoformat(),
        "approved_by": {"id": editor.pk, "username": editor.get_username()},
        "approved_at": now.isoformat(),
        "video_version": video.state_version,
        "title": video.title,
        "persona_id": str(video.persona_id) if video.persona_id else None,
        "artifacts": [
            {"id": str(a.pk), "kind": a.kind, "s3_path": a.s3_path, "etag": etags[a.pk]}
            for a in files
        ],
    }
