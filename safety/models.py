import uuid

from django.db import models
from django.utils import timezone

from contentops.db import SeedNow, SeedUUID
from contentops.history import tracked


class Severity(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@tracked()
class SafetyReport(models.Model):
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, db_default=SeedUUID(), db_column="report_id"
    )
    task = models.ForeignKey(
        "videos.Task", models.PROTECT, null=True, db_column="task_id", db_index=False
    )
    score = models.FloatField(null=True, help_text="Risk from 0 (safe) to 1 (riskiest).")
    issues = models.JSONField(null=True, blank=True)
    requires_human_review = models.BooleanField(default=False, db_default=False, null=True)
    created_at = models.DateTimeField(
        default=timezone.now, db_default=SeedNow(), null=True, editable=False
    )

    class Meta:
        db_table = "safety_reports"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["task"], name="safety_reports_task_id_idx"),
            models.Index(fields=["-created_at"], name="safety_reports_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=1) | models.Q(score__isnull=True),
                name="safety_reports_score_range",
                violation_error_message="The score must be between 0 and 1.",
            )
        ]

    def __str__(self):
        return f"Safety report {str(self.pk)[:8]}"
