import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone

from core.db import SeedNow, SeedUUID
from core.history import tracked
from core.leases import LeasedRow
from core.vocabulary import check_in


class Severity(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class ReviewStatus(models.TextChoices):
    """A human's verdict on a report. Escalated is not final: a lead decides."""

    APPROVED = "approved"
    REJECTED = "rejected"
    ESCALATED = "escalated"


FINAL_STATUSES = (ReviewStatus.APPROVED, ReviewStatus.REJECTED)


class ReportQuerySet(models.QuerySet):
    def open(self):
        """Pending and escalated reports: everything a moderator or lead may still decide."""
        return self.filter(
            models.Q(requires_human_review=True, review_status__isnull=True)
            | models.Q(review_status=ReviewStatus.ESCALATED)
        )

    def live_claims(self, now):
        """Reports someone holds: claimed, and the lease not yet run out."""
        return self.filter(self._live_claim(now))

    def without_live_claim(self, now):
        return self.exclude(self._live_claim(now))

    @staticmethod
    def _live_claim(now) -> models.Q:
        return models.Q(claimed_by__isnull=False, claim_expires_at__gt=now)


# Claims and releases are not events: the review log (ReviewAction) records
# each one with its holder, and "Review next" makes two a press, each an event
# row and a context write that doubled the press's WAL. Every other change
# still snapshots who held the report.
@tracked(exclude=["severity_rank", "claim_expires_at"], quiet=["claimed_by"])
class SafetyReport(LeasedRow, models.Model):
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
    # Ours, not the seed's: all nullable, so the pipeline's inserts keep working.
    review_status = models.TextField(choices=ReviewStatus, null=True, blank=True, editable=False)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The worst severity among the issues (0 none, 4 critical), for ordering the queue.
    severity_rank = models.GeneratedField(
        expression=models.Func(
            models.F("issues"), function="safety_max_severity", output_field=models.IntegerField()
        ),
        output_field=models.IntegerField(),
        db_persist=True,
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        db_table = "safety_reports"
        ordering = ["-created_at"]
        permissions = [
            ("review_safetyreport", "Can work the review queue and decide reports"),
            ("takeover_safetyreport", "Can take over a report another moderator holds"),
        ]
        indexes = [
            models.Index(fields=["task"], name="safety_reports_task_id_idx"),
            models.Index(fields=["-created_at"], name="safety_reports_created_idx"),
            # The review queue: pending reports, worst first, then oldest.
            models.Index(
                models.F("severity_rank").desc(),
                models.F("score").desc(nulls_last=True),
                models.F("created_at").asc(),
                name="safety_reports_queue_idx",
                condition=models.Q(requires_human_review=True, review_status__isnull=True),
            ),
            models.Index(
                fields=["created_at"],
                name="safety_reports_escalated_idx",
                condition=models.Q(review_status="escalated"),
            ),
            models.Index(
                fields=["claimed_by"],
                name="safety_reports_claimed_by_idx",
                condition=models.Q(claimed_by__isnull=False),
            ),
        ]
        constraints = [
            check_in("review_status", ReviewStatus, name="safety_reports_review_status_valid"),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=1) | models.Q(score__isnull=True),
                name="safety_reports_score_range",
                violation_error_message="The score must be between 0 and 1.",
            ),
        ]

    def __str__(self):
        return f"Safety report {str(self.pk)[:8]}"

    @property
    def is_decided(self) -> bool:
        """Approved or rejected: final (an escalation waits for a lead)."""
        return self.review_status in FINAL_STATUSES

    @property
    def video(self):
        """The report's video, through its task; None when either is missing."""
        return self.task.video if self.task_id else None

    @property
    def video_id(self):
        """The key of the report's video, without loading the video."""
        return self.task.video_id if self.task_id else None


class ActionKind(models.TextChoices):
    CLAIM = "claim"
    RELEASE = "release"
    TAKEOVER = "takeover", "Take over"
    APPROVE = "approve"
    REJECT = "reject"
    ESCALATE = "escalate"


class ReviewAction(models.Model):
    """One thing a moderator did to a report: the review log, append-only.

    Decisions (approve, reject, escalate) are rows here with their reason and
    what the moderator saw; claims, releases and takeovers too, so the log of
    a report reads in one place. The database keeps it append-only and allows
    one final decision per report, whoever asks and however concurrently.
    """

    Kind = ActionKind
    DECISIONS = (ActionKind.APPROVE, ActionKind.REJECT, ActionKind.ESCALATE)

    report = models.ForeignKey(SafetyReport, models.PROTECT, related_name="review_actions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    kind = models.TextField(choices=ActionKind)
    reason_code = models.TextField(blank=True, default="")
    note = models.TextField(blank=True, default="")
    score_seen = models.FloatField(null=True, blank=True)
    video_version_seen = models.IntegerField(null=True, blank=True)
    # What a decision judged: each artifact of the video (id, kind, path, S3
    # ETag) and the video's version, as safety.clearance.snapshot writes it.
    # Null on claims and on decisions recorded before files were bound.
    files_seen = models.JSONField(null=True, blank=True, editable=False)
    previous_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=models.functions.Now())

    class Meta:
        db_table = "safety_review_actions"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["report", "created_at"], name="review_actions_report_idx")]
        constraints = [
            check_in("kind", ActionKind, name="review_actions_kind_valid"),
            models.UniqueConstraint(
                fields=["report"],
                condition=models.Q(kind__in=["approve", "reject"]),
                name="review_actions_one_final_decision",
                violation_error_message="This report already has a final decision.",
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.actor_id} on {self.report_id}"

    @property
    def is_decision(self) -> bool:
        return self.kind in self.DECISIONS


class ReviewQueueItem(SafetyReport):
    """The review queue in the admin: safety reports as moderators work them."""

    class Meta:
        proxy = True
        verbose_name = "report to review"
        verbose_name_plural = "reports to review"
        default_permissions = ()


class ClearanceLapse(models.Model):
    """A video's safety clearance lapsed because a reviewed file changed: why,
    when, and who acted if a person did. Pages show the newest one."""

    video = models.ForeignKey(
        "videos.Video", models.PROTECT, related_name="+", db_column="video_id", db_index=False
    )
    reason = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=models.functions.Now())

    class Meta:
        db_table = "safety_clearance_lapses"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["video", "-created_at"], name="clearance_lapses_video_idx")]

    def __str__(self):
        return f"Clearance of {self.video_id} lapsed at {self.created_at:%Y-%m-%d %H:%M}"


class ArtifactChange(models.Model):
    """The outbox of artifact writes, filled by a trigger on `artifacts` so that
    the pipeline's plain SQL is caught without our code running.

    One row per statement and video. `changed_at` is the database clock at the
    write; the clearance check reads updates and deletes from here (an insert
    has its row's created_at), and the publish worker's sweep lapses the
    clearance of ready and approved videos whose files no longer match.
    """

    video_id = models.UUIDField()
    operation = models.TextField()  # INSERT, UPDATE or DELETE
    changed_at = models.DateTimeField(db_default=models.Func(function="clock_timestamp"))
    # The pghistory context of the write (the admin user and URL), when there was one.
    context = models.JSONField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "safety_artifact_changes"
        indexes = [
            models.Index(fields=["video_id", "changed_at"], name="artifact_changes_video_idx"),
            models.Index(
                fields=["id"],
                name="artifact_changes_pending_idx",
                condition=models.Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.operation} of {self.video_id}'s artifacts at {self.changed_at}"


# Quality assurance by blind second review (issue 13, part 3).


class QASource(models.TextChoices):
    """Why a report is in QA: a moderator's final decision, one of a bulk
    approval, or a report the pipeline cleared without asking for a human."""

    DECISION = "decision"
    BULK = "bulk", "Bulk approval"
    PIPELINE = "pipeline", "Cleared by the pipeline"


class QAStatus(models.TextChoices):
    OPEN = "open", "Waiting for a second review"
    AGREED = "agreed", "Second review agreed"
    DISPUTED = "disputed", "Disagreement: waiting for a lead"
    RESOLVED = "resolved", "Settled by a lead"


class QAVerdict(models.TextChoices):
    APPROVED = "approved"
    REJECTED = "rejected"


class QASample(LeasedRow, models.Model):
    """A report drawn for a blind second review. `first_verdict`, `moderator`
    and `first_decision` are what the second reviewer must not see; the
    verdicts after them are QAAction rows, append-only. `status` and the claim
    are the queue's working state, written only by safety.qa."""

    report = models.OneToOneField(SafetyReport, models.PROTECT, related_name="qa_sample")
    source = models.TextField(choices=QASource)
    first_decision = models.ForeignKey(
        ReviewAction, models.PROTECT, null=True, blank=True, related_name="+"
    )
    first_verdict = models.TextField(choices=QAVerdict)
    # Null when the pipeline cleared the report: nobody decided it.
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The stratum's category: the worst issue's ("" when the report lists none).
    category = models.TextField(blank=True, default="")
    status = models.TextField(choices=QAStatus, default=QAStatus.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=models.functions.Now())

    class Meta:
        db_table = "safety_qa_samples"
        ordering = ["created_at", "id"]
        verbose_name = "QA sample"
        default_permissions = ()
        permissions = [("resolve_qasample", "Can settle QA disagreements (a lead's verdict)")]
        indexes = [
            models.Index(
                fields=["status", "created_at", "id"],
                name="qa_samples_queue_idx",
                condition=models.Q(status__in=["open", "disputed"]),
            ),
            models.Index(fields=["moderator", "status"], name="qa_samples_moderator_idx"),
        ]
        constraints = [
            check_in("source", QASource, name="qa_samples_source_valid"),
            check_in("status", QAStatus, name="qa_samples_status_valid"),
            check_in("first_verdict", QAVerdict, name="qa_samples_first_verdict_valid"),
        ]

    def __str__(self):
        return f"QA of report {str(self.report_id)[:8]}"


class QAStage(models.TextChoices):
    REVIEW = "review", "Second review"
    LEAD = "lead", "Lead's verdict"


class QAActionKind(models.TextChoices):
    CLAIM = "claim"
    RELEASE = "release"
    APPROVE = "approve"
    REJECT = "reject"


class QAAction(models.Model):
    """What someone did to a QA sample: claims, the second reviewer's verdict
    and the lead's. Append-only in the database, one verdict per stage."""

    Kind = QAActionKind
    VERDICTS = (QAActionKind.APPROVE, QAActionKind.REJECT)

    sample = models.ForeignKey(QASample, models.PROTECT, related_name="actions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    stage = models.TextField(choices=QAStage)
    kind = models.TextField(choices=QAActionKind)
    reason_code = models.TextField(blank=True, default="")
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_default=models.functions.Now())

    class Meta:
        db_table = "safety_qa_actions"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sample", "created_at"], name="qa_actions_sample_idx")]
        constraints = [
            check_in("stage", QAStage, name="qa_actions_stage_valid"),
            check_in("kind", QAActionKind, name="qa_actions_kind_valid"),
            models.UniqueConstraint(
                fields=["sample", "stage"],
                condition=models.Q(kind__in=["approve", "reject"]),
                name="qa_actions_one_verdict_per_stage",
                violation_error_message="This QA sample already has a verdict at this stage.",
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.stage}) by {self.actor_id} on {self.sample_id}"

    @property
    def verdict(self) -> str | None:
        return {"approve": QAVerdict.APPROVED, "reject": QAVerdict.REJECTED}.get(self.kind)


class QAStratum(models.Model):
    """How many items of one stratum (source, moderator, category) sampling
    has seen: the k-th is drawn when floor(k·rate) passes a whole number, so
    each stratum's share is exact, not a coin's."""

    key = models.TextField(primary_key=True)
    seen = models.BigIntegerField(default=0)

    class Meta:
        db_table = "safety_qa_strata"

    def __str__(self):
        return f"{self.key}: {self.seen}"


class QAClearedReport(models.Model):
    """The outbox of reports the pipeline cleared without a human, filled by a
    trigger on `safety_reports` (its inserts are plain SQL); the publish
    worker's sweep samples them and deletes the rows it read."""

    report_id = models.UUIDField()

    class Meta:
        db_table = "safety_qa_cleared_reports"

    def __str__(self):
        return f"Cleared report {self.report_id}"


# The decision log's proxy and the calibration rollup live in their own module.
from safety.calibration_models import CalibrationCount, DecisionLog, QALog  # noqa: E402, F401
