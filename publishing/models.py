import uuid

from django.db import models
from django.utils import timezone

from core.db import SeedNow, SeedUUID
from core.history import tracked
from core.vocabulary import check_in
from videos.models import Video


class PublishStatus(models.TextChoices):
    PENDING = "pending"
    PUBLISHED = "published"
    FAILED = "failed"
    RETRACTED = "retracted"


class PublishReceiptQuerySet(models.QuerySet):
    def failures(self):
        """Receipts whose publish failed for good and waits for an editor."""
        return self.filter(status=PublishStatus.FAILED, task__status="failed")


@tracked()
class PublishReceipt(models.Model):
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, db_default=SeedUUID(), db_column="publish_id"
    )
    video = models.ForeignKey(
        "videos.Video", models.PROTECT, null=True, db_column="video_id", db_index=False
    )
    channel = models.TextField(null=True)
    status = models.TextField(choices=PublishStatus, default=PublishStatus.PENDING, null=True)
    remote_id = models.TextField(null=True, blank=True)
    # When the receipt last changed status: approved, published, failed, retracted.
    timestamp = models.DateTimeField(default=timezone.now, db_default=SeedNow(), null=True)
    # Ours, not the seed's (nullable): the publish task behind the receipt, and
    # why it last failed.
    task = models.ForeignKey(
        "videos.Task",
        models.PROTECT,
        null=True,
        blank=True,
        db_column="task_id",
        db_index=False,
        editable=False,
        related_name="publish_receipts",
    )
    error = models.TextField(null=True, blank=True, editable=False)

    objects = PublishReceiptQuerySet.as_manager()

    class Meta:
        db_table = "publish_receipts"
        ordering = ["-timestamp"]
        permissions = [
            ("approve_publish", "Can approve videos for publishing"),
            ("retry_publish", "Can retry a failed publish"),
            ("cancel_publish", "Can cancel a scheduled or failed publish"),
            ("retract_publish", "Can retract a published video from a channel"),
        ]
        indexes = [
            models.Index(fields=["channel"], name="idx_publish_channel"),
            models.Index(fields=["video"], name="publish_receipts_video_id_idx"),
            models.Index(fields=["-timestamp"], name="publish_receipts_ts_idx"),
            # The receipt list's filters, in the list's order.
            models.Index(fields=["channel", "-timestamp"], name="publish_receipts_chan_ts_idx"),
            models.Index(fields=["status", "-timestamp"], name="publish_receipts_stat_ts_idx"),
            models.Index(
                fields=["task"],
                name="publish_receipts_task_idx",
                condition=models.Q(task__isnull=False),
            ),
            models.Index(
                fields=["-timestamp"],
                name="publish_receipts_failed_idx",
                condition=models.Q(status="failed"),
            ),
        ]
        constraints = [
            check_in("status", PublishStatus, name="publish_receipts_status_valid"),
            # A video is published to a channel once, whoever writes the receipt.
            models.UniqueConstraint(
                fields=["video", "channel"],
                condition=models.Q(status="published"),
                name="publish_receipts_one_published",
                violation_error_message="This video is already published to this channel.",
            ),
        ]

    def __str__(self):
        return f"{self.channel or 'receipt'} {str(self.pk)[:8]}"


class ReadyVideo(Video):
    """Videos safety cleared and waiting for an editor: the 'Ready to publish' list."""

    class Meta:
        proxy = True
        verbose_name = "video ready to publish"
        verbose_name_plural = "ready to publish"
        default_permissions = ()


class PublishFailure(PublishReceipt):
    """Receipts whose publish failed for good: the 'Publish failures' list."""

    class Meta:
        proxy = True
        verbose_name = "publish failure"
        verbose_name_plural = "publish failures"
        default_permissions = ()
