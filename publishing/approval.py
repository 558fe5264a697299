"""Reads for approving a video: what it would publish, and whether it may.

The approve page shows them and `services.approve_publish` checks them again
under the video's row lock; the worker checks them once more before publishing.
Whether a video is cleared, and what it would publish, is safety.clearance's.
"""

from dataclasses import dataclass

from django.db.models import Prefetch

from safety.clearance import (  # noqa: F401 - publishing's names for them
    PUBLISHED_KINDS,
    REQUIRED_KIND,
    clearance_problem,
    fingerprint,
    publish_set,
    publish_sets,
    verdict_problem,
)
from safety.issues import issues_summary
from safety.models import ActionKind, ReviewAction, SafetyReport


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
