import uuid

from django.db import models
from django.utils import timezone

from contentops.db import SeedNow, SeedUUID
from contentops.history import tracked
from contentops.vocabulary import check_in


class PublishStatus(models.TextChoices):
    PENDING = "pending"
    PUBLISHED = "published"
    FAILED = "failed"
    RETRACTED = "retracted"


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
    timestamp = models.DateTimeField(default=timezone.now, db_default=SeedNow(), null=True)

    class Meta:
        db_table = "publish_receipts"
        ordering = ["-timestamp"]
        indexes = [
            models.Index(fields=["channel"], name="idx_publish_channel"),
            models.Index(fields=["video"], name="publish_receipts_video_id_idx"),
            models.Index(fields=["-timestamp"], name="publish_receipts_ts_idx"),
        ]
        constraints = [check_in("status", PublishStatus, name="publish_receipts_status_valid")]

    def __str__(self):
        return f"{self.channel or 'receipt'} {str(self.pk)[:8]}"
