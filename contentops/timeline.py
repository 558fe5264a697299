"""Everything about one video, for its timeline page: what happened, in order.

The page reads videos, safety and publishing, so it lives in the project (the one
package that may import every app) and adds itself to VideoAdmin; its URL is
videos' own: admin:videos_video_timeline, /admin/videos/video/<id>/timeline/.

A fixed number of queries whatever the video holds: its status changes
(history) and the users who made them, its tasks and their status changes,
its artifacts, safety reports and publish receipts.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q, Window
from django.db.models.functions import Lag
from django.utils import timezone

from core.admin_pages import AdminPage, add_pages, render_page
from core.history_view import event_rows
from publishing.models import PublishReceipt
from safety.issues import parse_issues
from safety.models import ActionKind, ClearanceLapse, ReviewAction, SafetyReport
from videos.admin import VideoAdmin
from videos.models import Artifact, Task, TaskStatus, VideoStatus
from videos.previews import Previews, preview_artifacts

FINISHED = {TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED}
# The video's newest history events read for its status changes.
HISTORY_LIMIT = 500


@dataclass(frozen=True)
class StatusChange:
    when: datetime
    who: str
    before: str | None
    after: str | None

    @property
    def before_label(self) -> str:
        return _status_label(self.before)

    @property
    def after_label(self) -> str:
        return _status_label(self.after)


def _status_label(value: str | None) -> str:
    return VideoStatus(value).label if value in VideoStatus.values else (value or "—")


@dataclass(frozen=True)
class TaskStep:
    task: Task
    started: datetime | None
    finished: datetime | None

    @property
    def duration(self) -> timedelta | None:
        if self.started is None:
            return None
        end = self.finished or (timezone.now() if self.task.status == TaskStatus.RUNNING else None)
        return end - self.started if end and end >= self.started else None

    @property
    def duration_text(self) -> str:
        return format_duration(self.duration)


@dataclass
class Timeline:
    video: object
    status_changes: list[StatusChange]
    steps: list[TaskStep]
    artifacts: Previews | None  # None: the user may not see them
    reports: list[SafetyReport] | None
    receipts: list[PublishReceipt] | None
    # When and why the video's safety clearance lapsed (a reviewed file changed).
    lapses: list[ClearanceLapse] | None = None


def video_timeline(video, *, user) -> Timeline:
    """What `user` may see of the life of `video`."""
    tasks = list(Task.objects.filter(video=video).order_by("created_at", "pk"))
    may = user.has_perm
    return Timeline(
        video=video,
        status_changes=video_status_changes(video),
        steps=task_steps(tasks),
        artifacts=(
            preview_artifacts(Artifact.objects.filter(video=video).order_by("created_at", "pk"))
            if may("videos.view_artifact")
            else None
        ),
        reports=_reports(video) if may("safety.view_safetyreport") else None,
        receipts=(
            list(PublishReceipt.objects.filter(video=video).order_by("timestamp", "pk"))
            if may("publishing.view_publishreceipt")
            else None
        ),
        lapses=(
            list(
                ClearanceLapse.objects.filter(video=video)
                .select_related("actor")
                .order_by("created_at", "id")
            )
            if may("safety.view_safetyreport")
            else None
        ),
    )


def _reports(video) -> list[SafetyReport]:
    """The video's reports, oldest first, each with its decisions and its
    `issue_lines` read from whatever shape of `issues` the pipeline wrote."""
    reports = list(
        SafetyReport.objects.filter(task__video=video)
        .select_related("task")
        .prefetch_related(Prefetch("review_actions", queryset=decisions(), to_attr="decisions"))
        .order_by("created_at", "pk")
    )
    for report in reports:
        report.issue_lines = parse_issues(report.issues)
    return reports


def video_status_changes(video) -> list[StatusChange]:
    """Oldest first: the video's statuses as its recorded history holds them."""
    changes = []
    for event in reversed(event_rows(video, get_user_model()._default_manager, HISTORY_LIMIT)):
        for name, before, after in event.changes:
            if name == "status":
                changes.append(StatusChange(event.when, event.who, before, after))
    return changes


def task_steps(tasks: list[Task]) -> list[TaskStep]:
    """Each task with when it started and finished: from the recorded moments its
    status changed, else from `started_at`/`finished_at` in its payload."""
    moments = _status_moments([task.pk for task in tasks])
    steps = []
    for task in tasks:
        seen = moments.get(task.pk, [])
        started = next((at for status, at in seen if status == TaskStatus.RUNNING), None)
        finished = next((at for status, at in seen if status in FINISHED), None)
        steps.append(
            TaskStep(
                task,
                started=started or _payload_time(task, "started_at") or task.created_at,
                finished=(finished or _payload_time(task, "finished_at"))
                if task.status in FINISHED
                else None,
            )
        )
    return steps


def _status_moments(task_ids) -> dict:
    """task pk -> [(status, when)] for each update that changed its status."""
    if not task_ids:
        return {}
    events = (
        Task.pgh_event_model.objects.filter(pgh_obj_id__in=task_ids)
        .annotate(
            before=Window(Lag("status"), partition_by=[F("pgh_obj_id")], order_by=F("pgh_id").asc())
        )
        .filter(Q(before__isnull=True) | ~Q(status=F("before")))
        .order_by("pgh_id")
        .values_list("pgh_obj_id", "pgh_label", "status", "pgh_created_at")
    )
    moments = {}
    for task_id, label, status, when in events:
        # Only transitions seen happening count: a row inserted already
        # finished says nothing of when it finished.
        if label == "update":
            moments.setdefault(task_id, []).append((status, when))
    return moments


def _payload_time(task: Task, name: str) -> datetime | None:
    """A time the pipeline wrote into the payload, if it is one this page can
    show: ISO 8601, and within the years Python and the local zone can hold."""
    raw = task.payload.get(name) if isinstance(task.payload, dict) else None
    try:
        when = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        if when is not None and timezone.is_naive(when):
            when = timezone.make_aware(when, timezone.get_default_timezone())
        # Near year 1 or 9999 the shift to UTC or the local zone overflows.
        return timezone.localtime(when) if when is not None else None
    except (ValueError, OverflowError):
        return None


def format_duration(duration: timedelta | None) -> str:
    if duration is None:
        return "—"
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def decisions():
    """Moderators' decisions on reports, oldest first, with who made them."""
    return (
        ReviewAction.objects.filter(
            kind__in=[ActionKind.APPROVE, ActionKind.REJECT, ActionKind.ESCALATE]
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )


def timeline_page(request, model_admin, object_id):
    video = model_admin.get_object(request, object_id)
    if video is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    if not model_admin.has_view_permission(request, video):
        raise PermissionDenied
    return render_page(
        request,
        model_admin,
        "admin/videos/video/timeline.html",
        title=f"Timeline of {video}",
        timeline=video_timeline(video, user=request.user),
        has_change_permission=model_admin.has_change_permission(request, video),
    )


def add_timeline_page() -> None:
    """Called when the project is ready, before the admin's URLs load."""
    add_pages(VideoAdmin, AdminPage("<path:object_id>/timeline/", timeline_page, "timeline"))
