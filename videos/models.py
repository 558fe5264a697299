import uuid

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from core.db import SeedNow, SeedUUID
from core.history import tracked
from core.locking import VersionedModel, state_version_trigger
from core.vocabulary import check_in


class VideoStatus(models.TextChoices):
    DRAFT = "draft"
    PRODUCING = "producing"
    IN_REVIEW = "in_review", "In review"
    READY = "ready"
    APPROVED = "approved"
    PUBLISHED = "published"
    REJECTED = "rejected"
    FAILED = "failed"
    ARCHIVED = "archived"


class TaskType(models.TextChoices):
    SCRIPT = "script"
    AUDIO = "audio"
    RENDER = "render"
    THUMBNAIL = "thumbnail"
    SAFETY_CHECK = "safety_check", "Safety check"
    PUBLISH = "publish"


class TaskStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ArtifactKind(models.TextChoices):
    SCRIPT = "script"
    RENDER = "render"
    THUMBNAIL = "thumbnail"
    AUDIO = "audio"


@tracked()
class Video(VersionedModel):
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, db_default=SeedUUID(), db_column="video_id"
    )
    persona = models.ForeignKey(
        "personas.Persona", models.PROTECT, null=True, db_column="persona_id", db_index=False
    )
    title = models.TextField(null=True)
    status = models.TextField(choices=VideoStatus, default=VideoStatus.DRAFT, null=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(
        default=timezone.now, db_default=SeedNow(), null=True, editable=False
    )

    class Meta:
        db_table = "videos"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state_version"], name="idx_videos_state_version"),
            models.Index(fields=["persona"], name="videos_persona_id_idx"),
            models.Index(fields=["-created_at"], name="videos_created_at_idx"),
            models.Index(fields=["status", "-created_at"], name="videos_status_created_idx"),
            # title__icontains (UPPER(title) LIKE '%…%') uses it instead of a full scan.
            # Every search reads the whole of GIN's pending list (titles written
            # since its last flush): at the default limit, 4 MB, that was 10 times
            # the rest of a search's index reads at 1M videos. 64 kB, the least.
            GinIndex(
                OpClass(Upper("title"), name="gin_trgm_ops"),
                name="videos_title_trgm_idx",
                gin_pending_list_limit=64,
            ),
        ]
        constraints = [check_in("status", VideoStatus, name="videos_status_valid")]
        triggers = [state_version_trigger("persona_id", "title", "status", "published_at")]

    def __str__(self):
        return self.display_name(self.pk, self.title)

    @staticmethod
    def display_name(key, title) -> str:
        """How a video is named on every page: by its title, else its key (for
        lists that read only these two columns, not the video)."""
        return title or f"Untitled video {key}"


# A lease is renewed every few seconds while a worker publishes: not history.
@tracked(exclude=["leased_by", "lease_expires_at"])
class Task(VersionedModel):
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, db_default=SeedUUID(), db_column="task_id"
    )
    video = models.ForeignKey(
        Video, models.PROTECT, null=True, blank=True, db_column="video_id", db_index=False
    )
    type = models.TextField(choices=TaskType, null=True)
    payload = models.JSONField(null=True, blank=True)
    status = models.TextField(choices=TaskStatus, default=TaskStatus.QUEUED, null=True)
    created_at = models.DateTimeField(
        default=timezone.now, db_default=SeedNow(), null=True, editable=False
    )
    # Ours, not the seed's, for the workers that run tasks (publishing): nullable
    # or defaulted in the database, so the pipeline's inserts keep working. The
    # lease columns are not state: renewing a lease does not bump the version.
    not_before = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.IntegerField(default=0, db_default=0, editable=False)
    last_error = models.TextField(null=True, blank=True, editable=False)
    leased_by = models.TextField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "tasks"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state_version"], name="idx_tasks_state_version"),
            models.Index(fields=["status"], name="idx_tasks_status"),
            models.Index(fields=["video", "created_at"], name="tasks_video_created_idx"),
            models.Index(fields=["-created_at"], name="tasks_created_at_idx"),
            # The task list's filters, each in the list's order: by status (and
            # type), by type.
            models.Index(fields=["status", "type", "-created_at"], name="tasks_status_type_idx"),
            models.Index(fields=["type", "-created_at"], name="tasks_type_created_idx"),
            # The publish queue: what is waiting or leased, by when it may run.
            models.Index(
                fields=["not_before", "created_at"],
                name="tasks_publish_queue_idx",
                condition=models.Q(type="publish", status__in=["queued", "running"]),
            ),
        ]
        constraints = [
            check_in("type", TaskType, name="tasks_type_valid"),
            check_in("status", TaskStatus, name="tasks_status_valid"),
        ]
        triggers = [state_version_trigger("video_id", "type", "payload", "status")]

    def __str__(self):
        return f"{self.get_type_display() or 'task'} {str(self.pk)[:8]}"


class ArtifactQuerySet(models.QuerySet):
    def for_cards(self):
        """Newest first, with what a card names: the video and its persona."""
        # The order of artifacts_newest_idx, stable across pages.
        return self.select_related("video__persona").order_by("-created_at", "-pk")


@tracked()
class Artifact(models.Model):
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, db_default=SeedUUID(), db_column="artifact_id"
    )
    video = models.ForeignKey(
        Video, models.PROTECT, null=True, db_column="video_id", db_index=False
    )
    s3_path = models.TextField(null=True)
    kind = models.TextField(choices=ArtifactKind, null=True)
    created_at = models.DateTimeField(
        default=timezone.now, db_default=SeedNow(), null=True, editable=False
    )

    objects = ArtifactQuerySet.as_manager()

    class Meta:
        db_table = "artifacts"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["video", "kind"], name="artifacts_video_kind_idx"),
            # Newest first, the key breaking ties: the gallery's and changelist's order.
            models.Index(fields=["-created_at", "-id"], name="artifacts_newest_idx"),
            models.Index(fields=["kind", "-created_at", "-id"], name="artifacts_kind_newest_idx"),
        ]
        constraints = [check_in("kind", ArtifactKind, name="artifacts_kind_valid")]

    def __str__(self):
        return f"{self.get_kind_display() or 'artifact'} {str(self.pk)[:8]}"
