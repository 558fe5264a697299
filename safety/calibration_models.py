"""The logs as leads read them (decisions, QA verdicts), and the rollup behind
score calibration.

Imported at the end of safety.models, so Django finds these models there.
"""

from django.db import models

from safety.models import QAAction, ReviewAction

# The rollup's key for "every category": the empty text, which no category
# read from a report can be (a blank category counts as unknown).
OVERALL = ""


class DecisionLog(ReviewAction):
    """Decisions (approve, reject, escalate) from the review log, read-only.

    A proxy, so its permissions are the leads' own: reading the log, exporting
    it, and the score calibration drawn from it.
    """

    class Meta:
        proxy = True
        verbose_name = "decision"
        verbose_name_plural = "decision log"
        default_permissions = ("view",)
        permissions = [
            ("export_decisionlog", "Can export the decision log as CSV"),
            ("view_calibration", "Can see the calibration of the pipeline's score"),
        ]


class QALog(QAAction):
    """Verdicts of blind second reviews and of leads (QA), read-only: a proxy,
    so reading it is a permission of its own (exporting is the decision log's)."""

    class Meta:
        proxy = True
        verbose_name = "QA verdict"
        verbose_name_plural = "QA log"
        default_permissions = ("view",)


class CalibrationCount(models.Model):
    """Final decisions counted by category, score bin and verdict.

    Kept by the database: a trigger on safety_review_actions adds each final
    decision (approve, reject) as it is inserted, however it is inserted, so
    the calibration page reads a few thousand rows at any size of the log.
    `score_bin` k holds the scores s with (k-1)/100 < s <= k/100 (0 holds
    0 exactly; -1 a decision without a score): see safety.calibration.score_bin.
    """

    category = models.TextField()  # OVERALL for all reports, once each
    score_bin = models.SmallIntegerField()
    verdict = models.TextField()  # the decision's kind: approve or reject
    decisions = models.BigIntegerField(default=0)

    class Meta:
        db_table = "safety_calibration_counts"
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["category", "score_bin", "verdict"], name="calibration_counts_key"
            )
        ]

    def __str__(self):
        return f"{self.category or 'all'} bin {self.score_bin} {self.verdict}: {self.decisions}"
