"""Reads for the review page: a report, its video, artifacts and history, in a
fixed number of queries whatever the video's past."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from safety.clearance import read_snapshot
from safety.issues import KNOWN_KEYS
from safety.models import ActionKind, ReviewAction, SafetyReport
from videos.models import Artifact, ArtifactKind
from videos.previews import preview_artifacts

EVIDENCE_KEYS = ("artifact", "start", "end", "excerpt")
SCRIPT_INLINE_BYTES = 64 * 1024


@dataclass
class IssueLine:
    """One issue as a person reads it; keys we do not know are kept in `extra`."""

    category: str
    severity: str
    message: str = ""
    artifact: str = ""
    start: float | None = None
    end: float | None = None
    excerpt: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def seekable(self) -> bool:
        return self.start is not None


def _seconds(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def issue_lines(issues) -> list[IssueLine]:
    if not isinstance(issues, list):
        return [IssueLine("unreadable", "", extra={"issues": issues})] if issues else []
    lines = []
    for issue in issues:
        if not isinstance(issue, dict):
            lines.append(IssueLine("unreadable", "", extra={"value": issue}))
            continue
        evidence = issue.get("evidence")
        evidence = evidence if isinstance(evidence, dict) else {}
        extra = {k: v for k, v in issue.items() if k not in KNOWN_KEYS}
        if issue.get("evidence") is not None and not evidence:
            extra["evidence"] = issue["evidence"]
        extra.update({f"evidence.{k}": v for k, v in evidence.items() if k not in EVIDENCE_KEYS})
        lines.append(
            IssueLine(
                category=str(issue.get("category", "?")),
                severity=str(issue.get("severity", "?")),
                message=str(issue.get("message", "")),
                artifact=str(evidence.get("artifact", "")),
                start=_seconds(evidence.get("start")),
                end=_seconds(evidence.get("end")),
                excerpt=str(evidence.get("excerpt", "")),
                extra=extra,
            )
        )
    return lines


def report_for_review(report_id) -> SafetyReport:
    return SafetyReport.objects.select_related("task__video__persona", "claimed_by").get(
        pk=report_id
    )


def review_log(report: SafetyReport) -> list[ReviewAction]:
    """The report's actions, oldest first; each decision's `seen` is what it
    judged (files, ETags, the video's version), read defensively."""
    actions = list(
        report.review_actions.select_related("actor", "previous_holder").order_by(
            "created_at", "id"
        )
    )
    for action in actions:
        action.seen = read_snapshot(action.files_seen)
    return actions


class MediaByKind(dict):
    """The video's artifact previews by kind, newest first; `warning` says S3
    did not answer."""

    warning = ""


def video_artifacts(video) -> MediaByKind:
    media = MediaByKind({kind: [] for kind in ArtifactKind.values})
    if video is None:
        return media
    previews = preview_artifacts(Artifact.objects.filter(video=video).order_by("-created_at"))
    for preview in previews:
        media.setdefault(preview.artifact.kind or "other", []).append(preview)
    media.warning = previews.warning
    return media


def earlier_reports(report: SafetyReport) -> list[SafetyReport]:
    """The video's other reports, newest first, each with its decisions."""
    video_id = report.task.video_id if report.task_id else None
    if video_id is None:
        return []
    decisions = ReviewAction.objects.filter(
        kind__in=[ActionKind.APPROVE, ActionKind.REJECT, ActionKind.ESCALATE]
    ).select_related("actor")
    return list(
        SafetyReport.objects.filter(task__video_id=video_id)
        .exclude(pk=report.pk)
        .order_by("-created_at")
        .prefetch_related(Prefetch("review_actions", queryset=decisions, to_attr="decisions"))
    )
