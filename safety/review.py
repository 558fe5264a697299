"""Reads for the review page: a report, its video, artifacts and history, in a
fixed number of queries whatever the video's past."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, Subquery

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


# Claims and releases the page lists, the newest: every "Review next" that
# passes a report on adds a release and the next one's claim, so a report at
# the top of a busy queue gathers hundreds (at 800 the page took 80 ms).
# Decisions and take-overs are always all listed.
LISTED_LEASE_ENTRIES = 20
LEASE_KINDS = (ActionKind.CLAIM, ActionKind.RELEASE)


@dataclass
class ReviewLog:
    """The report's actions the page lists, oldest first, and how many older
    claims and releases it leaves out (`unlisted`)."""

    actions: list[ReviewAction] = field(default_factory=list)
    unlisted: int = 0

    def __iter__(self):
        return iter(self.actions)

    def __len__(self):
        return len(self.actions)


def review_log(report: SafetyReport) -> ReviewLog:
    """The report's actions, oldest first, but for claims and releases only the
    newest LISTED_LEASE_ENTRIES (one query, whatever the report's past); each
    decision's `seen` is what it judged (files, ETags, the video's version),
    read defensively."""
    leases = ReviewAction.objects.filter(report=report, kind__in=LEASE_KINDS)
    newest = leases.order_by("-created_at", "-id").values("id")[:LISTED_LEASE_ENTRIES]
    every_lease = leases.values("report").annotate(n=Count("id")).values("n")
    actions = list(
        report.review_actions.filter(~Q(kind__in=LEASE_KINDS) | Q(id__in=Subquery(newest)))
        .select_related("actor", "previous_holder")
        .annotate(leases=Subquery(every_lease))
        .order_by("created_at", "id")
    )
    for action in actions:
        action.seen = read_snapshot(action.files_seen)
    listed = sum(1 for action in actions if action.kind in LEASE_KINDS)
    return ReviewLog(actions, (actions[0].leases or 0) - listed if actions else 0)


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
