"""The rollups the dashboard reads: small tables kept up to date as work happens.

Counter tables hold `n` per key and `slot`. Writers add to the slot of their
own backend (`pg_backend_pid() % SLOTS`), so two transactions counting the same
key at once rarely wait on one row; readers sum the slots. A key's rows may sum
to zero: the triggers add and subtract, and delete rows only when the source
table is truncated; a rebuild rewrites them all.

Duration tables are histograms: `bucket` b counts durations in
[2^((b-1)/4), 2^(b/4)) seconds (bucket 0: under a second), so a quantile read
from them is at most 19% above the true value (insights.quantiles).
"""

from django.db import models


class Counter(models.Model):
    slot = models.SmallIntegerField(default=0)
    n = models.BigIntegerField(default=0)

    class Meta:
        abstract = True

    def describe(self) -> str:
        return f"{self._meta.verbose_name}: {self.n}"


def _unique(*fields: str, name: str) -> models.UniqueConstraint:
    # NULLS NOT DISTINCT: a null key (a row the pipeline left without a type) is
    # one key, so ON CONFLICT finds its row instead of adding another.
    return models.UniqueConstraint(fields=[*fields, "slot"], name=name, nulls_distinct=False)


class ReportsIn(Counter):
    """Reports that asked for a human, per day they arrived (UTC)."""

    day = models.DateField(null=True)

    class Meta:
        db_table = "insights_reports_in"
        constraints = [_unique("day", name="insights_reports_in_key")]

    def __str__(self):
        return self.describe()


class Decisions(Counter):
    """Decisions (approve, reject, escalate) per day, moderator and kind; `breached`
    when the report had waited longer than the SLA when it was decided."""

    day = models.DateField(null=True)
    actor_id = models.IntegerField(null=True)
    kind = models.TextField(null=True)
    breached = models.BooleanField(null=True)

    class Meta:
        db_table = "insights_decisions"
        constraints = [
            _unique("day", "actor_id", "kind", "breached", name="insights_decisions_key")
        ]

    def __str__(self):
        return self.describe()


class HandleTime(Counter):
    """Time from a moderator's claim (or takeover) to their decision, per day and
    moderator; bucket null when they decided without holding the report (bulk)."""

    day = models.DateField(null=True)
    actor_id = models.IntegerField(null=True)
    bucket = models.IntegerField(null=True)

    class Meta:
        db_table = "insights_handle_time"
        constraints = [_unique("day", "actor_id", "bucket", name="insights_handle_time_key")]

    def __str__(self):
        return self.describe()


class TaskCounts(Counter):
    """Tasks per type and status, now."""

    type = models.TextField(null=True)
    status = models.TextField(null=True)

    class Meta:
        db_table = "insights_task_counts"
        constraints = [_unique("type", "status", name="insights_task_counts_key")]

    def __str__(self):
        return self.describe()


class TaskDurations(Counter):
    """How long tasks took, created to finished (succeeded or failed), per day
    they finished and type. An observation: tasks hold no finish time, so a
    trigger measures it when a task's status turns final, and a rebuild keeps it."""

    day = models.DateField(null=True)
    type = models.TextField(null=True)
    status = models.TextField(null=True)
    bucket = models.IntegerField(null=True)

    class Meta:
        db_table = "insights_task_durations"
        constraints = [
            _unique("day", "type", "status", "bucket", name="insights_task_durations_key")
        ]

    def __str__(self):
        return self.describe()


class VideoStatusSince(models.Model):
    """Each video's status and since when it has held it (the videos table keeps
    no such time): written by a row trigger on videos when the status changes,
    so an observation; a rebuild adds videos loaded with triggers off, as in
    their status since they were created."""

    video_id = models.UUIDField(primary_key=True)
    status = models.TextField(null=True)
    since = models.DateTimeField()

    class Meta:
        db_table = "insights_video_status_since"

    def __str__(self):
        return f"{self.video_id}: {self.status} since {self.since}"


class VideoAges(Counter):
    """Videos per status and the day (UTC) they entered it."""

    status = models.TextField(null=True)
    day = models.DateField(null=True)

    class Meta:
        db_table = "insights_video_ages"
        constraints = [_unique("status", "day", name="insights_video_ages_key")]

    def __str__(self):
        return self.describe()


class Receipts(Counter):
    """Publish receipts per day of their last change, channel and status."""

    day = models.DateField(null=True)
    channel = models.TextField(null=True)
    status = models.TextField(null=True)

    class Meta:
        db_table = "insights_receipts"
        constraints = [_unique("day", "channel", "status", name="insights_receipts_key")]

    def __str__(self):
        return self.describe()


class PublishLatency(Counter):
    """Approval (the publish task's creation) to published, per day published and channel."""

    day = models.DateField(null=True)
    channel = models.TextField(null=True)
    bucket = models.IntegerField(null=True)

    class Meta:
        db_table = "insights_publish_latency"
        constraints = [_unique("day", "channel", "bucket", name="insights_publish_latency_key")]

    def __str__(self):
        return self.describe()


class PublishFailures(Counter):
    """Failed receipts now, per channel and the first line of what went wrong."""

    channel = models.TextField(null=True)
    answer = models.TextField(null=True)

    class Meta:
        db_table = "insights_publish_failures"
        constraints = [_unique("channel", "answer", name="insights_publish_failures_key")]

    def __str__(self):
        return self.describe()


class QueueSample(models.Model):
    """The review queue once an hour, taken by the publish worker's sweep: an
    observation (past depths cannot be recomputed), kept by a rebuild."""

    hour = models.DateTimeField(primary_key=True)
    depth = models.IntegerField()
    oldest_created_at = models.DateTimeField(null=True)
    over_sla = models.IntegerField()

    class Meta:
        db_table = "insights_queue_samples"
        ordering = ["hour"]

    def __str__(self):
        return f"Review queue at {self.hour:%Y-%m-%d %H:00}: {self.depth}"


class Dashboard(models.Model):
    """No table: the admin's entry for the dashboard page, and its permission."""

    class Meta:
        managed = False
        db_table = "insights_dashboard_none"
        default_permissions = ()
        permissions = [("view_dashboard", "Can see every section of the dashboard")]
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"

    def __str__(self):
        return "Dashboard"
