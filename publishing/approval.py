"""Reads for approving a video: what it would publish, and whether it may.

The approve page shows them and `services.approve_publish` checks them again
under the video's row lock; the worker checks them once more before publishing.
"""

import hashlib
from dataclasses import dataclass

from django.db.models import Prefetch

from safety.issues import issues_summary
from safety.models import ActionKind, ReviewAction, ReviewStatus, SafetyReport
from videos.models import Artifact, ArtifactKind

# What goes out to a channel: the newest artifact of each kind. A render is required.
PUBLISHED_KINDS = (ArtifactKind.RENDER, ArtifactKind.THUMBNAIL, ArtifactKind.SCRIPT)
REQUIRED_KIND = ArtifactKind.RENDER


def publish_set(video_id) -> list[Artifact]:
    """The newest artifact of each published kind, in PUBLISHED_KINDS order: one query."""
    return publish_sets([video_id]).get(video_id, [])


def publish_sets(video_ids) -> dict:
    """`publish_set` of several videos at once (video id -> files): one query."""
    newest = (
        Artifact.objects.filter(video_id__in=list(video_ids), kind__in=PUBLISHED_KINDS)
        .order_by("video_id", "kind", "-created_at", "-pk")
        .distinct("video_id", "kind")
    )
    rank = {kind: n for n, kind in enumerate(PUBLISHED_KINDS)}
    sets = {}
    for artifact in newest:
        sets.setdefault(artifact.video_id, []).append(artifact)
    return {video: sorted(files, key=lambda a: rank[a.kind]) for video, files in sets.items()}


def fingerprint(artifacts) -> str:
    """Names exactly these files: a page carries it, so the editor approves what they saw."""
    parts = sorted(f"{a.kind}:{a.pk}:{a.s3_path}" for a in artifacts)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def uncleared_reason(video_id) -> str | None:
    """Why the video's safety reports do not clear it for publishing, or None.

    A report the pipeline did not send to a human clears the video; one it
    did must be approved by a moderator (pending or escalated does not clear).
    """
    return verdict_problem(
        SafetyReport.objects.filter(task__video_id=video_id).values_list(
            "requires_human_review", "review_status"
        )
    )


def verdict_problem(verdicts) -> str | None:
    """`uncleared_reason` of reports already read: (requires_human_review, review_status) pairs."""
    verdicts = set(verdicts)
    if any(status == ReviewStatus.REJECTED for _, status in verdicts):
        return "A safety report on this video was rejected."
    if any(
        status == ReviewStatus.ESCALATED or (needs_human and status is None)
        for needs_human, status in verdicts
    ):
        return "A safety report on this video is still waiting for a moderator."
    return None


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
