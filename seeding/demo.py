"""The demo data behind `manage.py seed_demo`: personas, videos in every status,
their tasks, real media files in S3, safety reports, publish receipts, and one
user per role.

What to create is data, in `demo_media/catalogue.json`; this module turns it
into rows through the models. Seeding is idempotent: demo personas and videos
have fixed UUIDs, and when they are present the catalogue is reused (media S3
lost is uploaded again) and only the users are brought back to their roles and
password.
"""

import functools
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pghistory
import pgtrigger
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from contentops.roles import EDITORS, LEADS, MODERATORS, STAFF_VIEWERS
from insights import rollups
from personas.models import Persona
from publishing.approval import publish_payload, publish_set
from publishing.channels import PERMISSION_PREFIX, sync_permissions
from publishing.models import PublishReceipt, PublishStatus
from safety.models import ActionKind, ReviewAction, SafetyReport
from safety.services import decide
from seeding.demo_content import ARTIFACT_KIND, MEDIA, media_content, task_payload
from videos.models import Artifact, ArtifactKind, Task, TaskStatus, TaskType, Video, VideoStatus
from videos.storage import S3Location, StorageUnavailable, artifact_key, object_info, store

DEFAULT_PASSWORD = "contentops-demo"
DEMO_MEDIA = Path(__file__).resolve().parent / "demo_media"
CATALOGUE = DEMO_MEDIA / "catalogue.json"

_NAMESPACE = uuid.UUID("5f0c8a53-3c2e-4d4e-9a51-6f1f6b1f0d3e")
# Any constant works; it only has to be the same in every seed_demo process.
_ADVISORY_LOCK = 0x5EED_DE30


class DemoSeedError(Exception):
    """Seeding cannot go on; the message says why, in one line."""


# --- the catalogue -------------------------------------------------------------


@dataclass(frozen=True)
class PersonaPlan:
    slug: str
    name: str
    tone_profile: dict
    thumbnail_colours: tuple[str, str]  # "#rrggbb", left to right
    audio_pitch: float  # Hz of the first note

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, f"persona/{self.slug}")


@dataclass(frozen=True)
class VideoPlan:
    title: str
    persona: PersonaPlan
    status: VideoStatus
    age_days: float
    steps: tuple[tuple[TaskType, TaskStatus], ...]
    safety_report: dict | None  # score, requires_human_review, issues
    receipts: tuple[dict, ...]  # channel, status, remote_id

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, f"video/{self.title}")


def steps(*pairs: str) -> tuple[tuple[TaskType, TaskStatus], ...]:
    """Tasks in pipeline order, each written `"<type>:<status>"`."""
    return tuple(
        (TaskType(task_type), TaskStatus(task_status))
        for task_type, task_status in (pair.split(":") for pair in pairs)
    )


_MADE = ("script:succeeded", "audio:succeeded", "render:succeeded", "thumbnail:succeeded")
_CHECKED = (*_MADE, "safety_check:succeeded")

# The tasks a video in each status has been through, oldest first, unless its
# catalogue entry lists its own.
PIPELINE = {
    VideoStatus.DRAFT: steps("script:queued"),
    VideoStatus.PRODUCING: steps("script:succeeded", "audio:running", "render:queued"),
    VideoStatus.IN_REVIEW: steps(*_CHECKED),
    VideoStatus.READY: steps(*_CHECKED),
    # Publish tasks come with the video's receipts: one per channel (create_publish).
    VideoStatus.APPROVED: steps(*_CHECKED),
    VideoStatus.PUBLISHED: steps(*_CHECKED),
    VideoStatus.REJECTED: steps(*_CHECKED),
    VideoStatus.FAILED: steps(
        "script:succeeded", "audio:succeeded", "render:failed", "thumbnail:cancelled"
    ),
    VideoStatus.ARCHIVED: steps(*_CHECKED),
}


@functools.cache
def catalogue() -> tuple[tuple[PersonaPlan, ...], tuple[VideoPlan, ...]]:
    """The demo personas and videos, read from `demo_media/catalogue.json`."""
    document = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    personas = {
        entry["slug"]: PersonaPlan(
            **{**entry, "thumbnail_colours": tuple(entry["thumbnail_colours"])}
        )
        for entry in document["personas"]
    }
    videos = tuple(_video_plan(entry, personas) for entry in document["videos"])
    return tuple(personas.values()), videos


def _video_plan(entry: dict, personas: dict[str, PersonaPlan]) -> VideoPlan:
    status = VideoStatus(entry["status"])
    return VideoPlan(
        title=entry["title"],
        persona=personas[entry["persona"]],
        status=status,
        age_days=entry["age_days"],
        steps=steps(*entry["tasks"]) if "tasks" in entry else PIPELINE[status],
        safety_report=entry.get("safety_report"),
        receipts=tuple(entry.get("receipts", ())),
    )


@dataclass(frozen=True)
class DemoUser:
    username: str
    group: str | None
    superuser: bool = False

    @property
    def role(self) -> str:
        return "superuser" if self.superuser else self.group


DEMO_USERS = (
    DemoUser("admin", None, superuser=True),
    DemoUser("lead", LEADS),
    DemoUser("moderator", MODERATORS),
    DemoUser("editor", EDITORS),
    DemoUser("viewer", STAFF_VIEWERS),
)


# --- the operation -------------------------------------------------------------


@dataclass(frozen=True)
class DemoSeed:
    """What a run did: created the catalogue or reused it, and who can log in."""

    created: bool
    restored_media: int
    counts: dict[str, int]
    users: tuple[DemoUser, ...] = DEMO_USERS


def seed_demo(*, password: str) -> DemoSeed:
    """Load the demo catalogue unless it is there; set up the demo users."""
    check_storage()
    with pghistory.context(source="seed_demo"), transaction.atomic():
        with connection.cursor() as cursor:
            # Two runs at once must not both find the database empty.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
        users = {user.username: ensure_demo_user(user, password=password) for user in DEMO_USERS}
        created = not demo_present()
        if created:
            create_catalogue(
                now=timezone.now(), moderator=users["moderator"], editor=users["editor"]
            )
            # The dashboard reads rollups: recount them from what was just loaded.
            rollups.rebuild()
        restored = 0 if created else restore_missing_media()
    return DemoSeed(created=created, restored_media=restored, counts=demo_counts())


def demo_present() -> bool:
    personas, _ = catalogue()
    return Persona.objects.filter(pk__in=[persona.id for persona in personas]).exists()


def create_catalogue(*, now: datetime, moderator, editor) -> None:
    personas, videos = catalogue()
    rows = {
        plan.slug: Persona.objects.create(
            id=plan.id,
            name=plan.name,
            tone_profile=plan.tone_profile,
            created_at=now - timedelta(days=90),
        )
        for plan in personas
    }
    for plan in videos:
        create_video(
            plan, persona=rows[plan.persona.slug], now=now, moderator=moderator, editor=editor
        )


def create_video(plan: VideoPlan, *, persona: Persona, now: datetime, moderator, editor) -> Video:
    started = now - timedelta(days=plan.age_days)
    finished = started + timedelta(hours=3)
    video = Video.objects.create(
        id=plan.id,
        persona=persona,
        title=plan.title,
        status=plan.status,
        created_at=started,
        published_at=finished if plan.status == VideoStatus.PUBLISHED else None,
    )
    for number, (task_type, task_status) in enumerate(plan.steps, start=1):
        at = started + timedelta(minutes=9 * number)
        create_task(video, plan, task_type, task_status, at=at, moderator=moderator)
    for receipt in plan.receipts:
        create_publish(video, receipt, editor=editor, at=finished, now=now)
    return video


# A publish task's status for each status its receipt is in.
PUBLISH_TASK_STATUS = {
    PublishStatus.PENDING: TaskStatus.QUEUED,
    PublishStatus.PUBLISHED: TaskStatus.SUCCEEDED,
    PublishStatus.RETRACTED: TaskStatus.SUCCEEDED,
    PublishStatus.FAILED: TaskStatus.FAILED,
}


def create_publish(video: Video, plan: dict, *, editor, at: datetime, now: datetime):
    """A receipt and its publish task, as an editor's approval and the worker
    leave them. A pending one is due `publish_in_hours` after seeding (0: the
    worker of `make run` publishes it at once)."""
    status = PublishStatus(plan["status"])
    pending, failed = status == PublishStatus.PENDING, status == PublishStatus.FAILED
    files = publish_set(video.pk)
    with storage_errors():
        etags = {artifact.pk: object_info(artifact, fresh=True).etag for artifact in files}
    when = now + timedelta(hours=plan.get("publish_in_hours", 0)) if pending else at
    receipt_id = uuid.uuid5(_NAMESPACE, f"receipt/{video.pk}/{plan['channel']}")
    error = plan.get("error")
    task = Task.objects.create(
        video=video,
        type=TaskType.PUBLISH,
        status=PUBLISH_TASK_STATUS[status],
        not_before=when,
        attempts=settings.PUBLISH_MAX_ATTEMPTS if failed else 0 if pending else 1,
        last_error=error if failed else None,
        payload=publish_payload(
            video=video,
            channel=plan["channel"],
            receipt_id=receipt_id,
            editor=editor,
            files=files,
            etags=etags,
            when=when,
            now=at - timedelta(minutes=30),
        ),
        created_at=at - timedelta(minutes=30),
    )
    return PublishReceipt.objects.create(
        id=receipt_id,
        video=video,
        channel=plan["channel"],
        status=status,
        remote_id=plan.get("remote_id"),
        timestamp=at,
        task=task,
        error=error,
    )


def create_task(
    video: Video,
    plan: VideoPlan,
    task_type: TaskType,
    task_status: TaskStatus,
    *,
    at: datetime,
    moderator,
) -> Task:
    payload = task_payload(plan, task_type, task_status, at=at)
    kind = ARTIFACT_KIND.get(task_type)
    if kind and task_status == TaskStatus.SUCCEEDED:
        payload["output"] = create_artifact(video, plan, kind, at=at).s3_path
    task = Task.objects.create(
        video=video, type=task_type, status=task_status, payload=payload, created_at=at
    )
    report = plan.safety_report
    if task_type == TaskType.SAFETY_CHECK and task_status == TaskStatus.SUCCEEDED and report:
        created = SafetyReport.objects.create(
            task=task,
            score=report["score"],
            issues=report["issues"],
            requires_human_review=report.get("requires_human_review", False),
            created_at=at + timedelta(minutes=2),
        )
        if created.requires_human_review:
            record_past_verdict(created, video, moderator, at=at + timedelta(hours=1))
    return task


# Videos past review carry the verdict a moderator gave, so only the videos
# still in review fill the demo's queue.
PAST_VERDICTS = {
    VideoStatus.READY: (ActionKind.APPROVE, "acceptable_in_context"),
    VideoStatus.APPROVED: (ActionKind.APPROVE, "acceptable_in_context"),
    VideoStatus.PUBLISHED: (ActionKind.APPROVE, "acceptable_in_context"),
    VideoStatus.REJECTED: (ActionKind.REJECT, "other_violation"),
    VideoStatus.ARCHIVED: (ActionKind.REJECT, "other_violation"),
}


def record_past_verdict(report: SafetyReport, video: Video, moderator, *, at: datetime) -> None:
    """The moderator's decision, made through safety's own operation: it records
    the files it saw (safety.clearance), so a ready video is cleared to approve.
    The video is already in the status the verdict leads to, so deciding leaves
    it there."""
    verdict = PAST_VERDICTS.get(video.status)
    if verdict is None:
        return
    kind, reason = verdict
    action = decide(
        report_id=report.pk,
        moderator=moderator,
        kind=kind,
        reason_code=reason,
        note="Decided during the demo's history.",
        video_version_seen=video.state_version,
    )
    # The log is append-only; the demo alone may date its decision in the
    # past it makes up, inside its own seeding transaction.
    with pgtrigger.ignore(f"{ReviewAction._meta.label}:append_only"):
        ReviewAction.objects.filter(pk=action.pk).update(created_at=at)


def create_artifact(video: Video, plan: VideoPlan, kind: ArtifactKind, *, at: datetime):
    # Upload first, as the pipeline does: a row never points at nothing, and an
    # upload whose row is rolled back is only an orphan object.
    key = artifact_key(Artifact(video=video, kind=kind), MEDIA[kind].extension)
    location = upload(key, plan, kind)
    return Artifact.objects.create(video=video, kind=kind, s3_path=str(location), created_at=at)


def restore_missing_media() -> int:
    """Upload again the demo media S3 no longer has (say, its data was wiped)."""
    plans = {plan.id: plan for plan in catalogue()[1]}
    restored = 0
    for artifact in Artifact.objects.filter(video_id__in=plans, kind__in=list(MEDIA)):
        key = s3_key(artifact.s3_path)
        with storage_errors():
            missing = key is not None and not default_storage.exists(key)
        if missing:
            upload(key, plans[artifact.video_id], ArtifactKind(artifact.kind))
            restored += 1
    return restored


def ensure_demo_user(spec: DemoUser, *, password: str):
    user, _ = get_user_model().objects.get_or_create(username=spec.username)
    user.is_staff = True
    user.is_active = True
    user.is_superuser = spec.superuser
    user.set_password(password)
    user.save()
    user.groups.set([role_group(spec.group)] if spec.group else [])
    if spec.group == EDITORS:
        # The demo editor may publish to every configured channel.
        sync_permissions()
        user.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="publishing", codename__startswith=PERMISSION_PREFIX
            )
        )
    return user


def role_group(name: str) -> Group:
    try:
        return Group.objects.get(name=name)
    except Group.DoesNotExist:
        raise DemoSeedError(
            f"The group {name!r} is missing; run `manage.py migrate` first."
        ) from None


def demo_counts() -> dict[str, int]:
    personas, videos = catalogue()
    video_ids = [plan.id for plan in videos]
    return {
        "personas": Persona.objects.filter(pk__in=[plan.id for plan in personas]).count(),
        "videos": Video.objects.filter(pk__in=video_ids).count(),
        "tasks": Task.objects.filter(video_id__in=video_ids).count(),
        "artifacts": Artifact.objects.filter(video_id__in=video_ids).count(),
        "safety reports": SafetyReport.objects.filter(task__video_id__in=video_ids).count(),
        "publish receipts": PublishReceipt.objects.filter(video_id__in=video_ids).count(),
    }


# --- storage -------------------------------------------------------------------


def check_storage() -> None:
    """Fail early, in one line, when the bucket cannot be used."""
    with storage_errors():
        default_storage.connection.meta.client.head_bucket(Bucket=default_storage.bucket_name)


def upload(key: str, plan: VideoPlan, kind: ArtifactKind) -> S3Location:
    """Store the file through the videos app, as an upload of the admin is."""
    file = ContentFile(media_content(plan, kind))
    try:
        location = store(key, file, content_type=MEDIA[kind].content_type)
    except StorageUnavailable as error:
        raise DemoSeedError(str(error)) from None
    if location.key != key:
        raise DemoSeedError(f"S3 stored {key} as {location.key}; demo keys must be new.")
    return location


def s3_key(path: str | None) -> str | None:
    """The key of `path` when it is in the configured bucket, else None."""
    prefix = f"s3://{default_storage.bucket_name}/"
    return path.removeprefix(prefix) if path and path.startswith(prefix) else None


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn boto's errors into a DemoSeedError naming the endpoint and bucket."""
    endpoint = default_storage.endpoint_url or "the default AWS endpoint"
    bucket = default_storage.bucket_name
    try:
        yield
    except ClientError as error:
        raise DemoSeedError(f"S3 at {endpoint}: {_refusal(error, bucket)}.") from None
    except NoCredentialsError:
        raise DemoSeedError(
            f"S3 at {endpoint}: no credentials; set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY."
        ) from None
    except BotoCoreError as error:
        raise DemoSeedError(
            f"S3 at {endpoint} is unreachable ({error}); start it or set S3_ENDPOINT_URL."
        ) from None


def _refusal(error: ClientError, bucket: str) -> str:
    code = error.response.get("Error", {}).get("Code", "")
    if code in ("404", "NoSuchBucket", "NotFound"):
        return f"the bucket {bucket!r} does not exist"
    if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return (
            f"access to the bucket {bucket!r} was refused ({code}); "
            "check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"
        )
    return f"{code or 'error'} on bucket {bucket!r}: {error}"
