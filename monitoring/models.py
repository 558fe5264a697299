from django.db import models
from django.utils import timezone

from core.vocabulary import check_in


class WorkerHeartbeat(models.Model):
    """The last time each publish worker swept: one small row per worker."""

    # host:pid, as publishing.worker.Worker names itself.
    name = models.TextField(primary_key=True)
    seen_at = models.DateTimeField()

    class Meta:
        db_table = "monitoring_heartbeats"
        indexes = [models.Index(fields=["-seen_at"], name="heartbeats_seen_idx")]

    def __str__(self):
        return self.name


class IncidentKind(models.TextChoices):
    SLA_BREACH = "sla_breach", "Review queue past its SLA"
    PUBLISH_OVERDUE = "publish_overdue", "Publish overdue (no worker running?)"
    CHANNEL_FAILING = "channel_failing", "Channel keeps failing"


class Incident(models.Model):
    """One stretch of time a condition held: opened when the monitor first
    saw it, resolved when it saw it clear. People are told once, when it opens."""

    Kind = IncidentKind

    kind = models.TextField(choices=IncidentKind)
    # What it is about within its kind (a channel's name), or "".
    subject = models.TextField(blank=True, default="")
    summary = models.TextField()
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Notification: each way is sent once; a failure is kept and tried again.
    webhook_sent_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    notify_attempts = models.IntegerField(default=0)
    next_notify_at = models.DateTimeField(null=True, blank=True)
    notify_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "monitoring_incidents"
        ordering = ["-opened_at"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["-opened_at"], name="incidents_opened_idx"),
            models.Index(
                fields=["next_notify_at"],
                name="incidents_notify_idx",
                condition=models.Q(next_notify_at__isnull=False),
            ),
        ]
        constraints = [
            check_in("kind", IncidentKind, name="monitoring_incidents_kind_valid"),
            # One open incident per condition, however many monitors run.
            models.UniqueConstraint(
                fields=["kind", "subject"],
                condition=models.Q(resolved_at__isnull=True),
                name="monitoring_incidents_one_open",
            ),
        ]

    def __str__(self):
        label = self.get_kind_display()
        return f"{label}: {self.subject}" if self.subject else label

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
