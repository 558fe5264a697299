"""Reads for the review page: a report, its video, artifacts and history, in a
fixed number of queries whatever the video's past."""

from django.db.models import Prefetch

from safety.clearance import read_snapshot
from safety.issues import Issue, parse_issues
from safety.models import ActionKind, ReviewAction, SafetyReport
from videos.models import Artifact, ArtifactKind
from videos.previews import preview_artifacts

SCRIPT_INLINE_BYTES = 64 * 1024


def issue_lines(issues) -> list[Issue]:
    """The report's issues as the page shows them, whatever shape the pipeline wrote."""
    return parse_issues(issues)


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
    # The page reads the newest script itself, longer than a preview's excerpt.
    previews = preview_artifacts(
        Artifact.objects.filter(video=video).order_by("-created_at"), excerpts=False
    )
    for preview in previews:
        media.setdefault(preview.artifact.kind or "other", []).append(preview)
    media.warning = previews.warning
    return media


def earlier_reports(report: SafetyReport) -> list[SafetyReport]:
    """The video's other reports, newest first, each with its decisions."""
    video_id = report.video_id
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
