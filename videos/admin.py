from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse

from core.admin_core import ContentAdmin
from core.admin_links import admin_link, short_id, video_link
from core.admin_locking import VersionedAdminMixin, VersionedModelForm, report_guarded
from core.admin_pages import AdminPage, AdminPagesMixin, render_page
from core.changelist_rows import one_line
from core.inputs import query_uuid
from core.json_fields import PrettyJSONField, json_object
from core.pagination import page_number, window
from videos import media_types, services, storage
from videos.filters import ArtifactFilter
from videos.models import Artifact, ArtifactKind, Task, TaskStatus, Video
from videos.previews import browser_content_type, preview_artifact, preview_artifacts

GALLERY_PER_PAGE = 24
GALLERY_MAX_PAGES = 100


class LockedVideoForm(forms.ModelForm):
    """Any form that edits a video obeys services.edit_problem (the approved lock)."""

    def clean(self):
        cleaned = super().clean()
        # The row as loaded for this post: the status the lock is decided on.
        problem = self.instance.pk and services.edit_problem(status=self.instance.status)
        if problem:
            model_fields = {field.name for field in Video._meta.fields}
            for name in [name for name in self.changed_data if name in model_fields]:
                self.add_error(name, ValidationError(problem, code="locked"))
        return cleaned


class VideoForm(LockedVideoForm, VersionedModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            # Offered only the corrections a person may make; others get clean_status's reason.
            self.fields["status"].widget.choices = [
                choice
                for choice in self.fields["status"].choices
                if not services.status_by_hand_problem(current=self.instance.status, new=choice[0])
            ]

    def clean_status(self):
        status = self.cleaned_data.get("status")
        problem = services.status_by_hand_problem(current=self.instance.status, new=status)
        if problem:
            raise ValidationError(problem, code="not_by_hand")
        return status


@admin.register(Video)
class VideoAdmin(AdminPagesMixin, VersionedAdminMixin, ContentAdmin):
    # Its timeline page reads safety and publishing: the project adds it (contentops/timeline.py).
    form = VideoForm
    list_display = (
        "id_column",
        "title_column",
        "persona_column",
        "status",
        "version_column",
        "created_at",
        "timeline_column",
    )
    # One line per video: the title is edited on the change form it links to.
    list_display_links = ("id_column", "title_column")
    list_select_related = ("persona",)
    list_columns = ("title", "status", "state_version", "created_at", "persona__name")
    list_filter = ("status",)
    # Only orders an index serves: any other would sort the whole table.
    sortable_by = ("created_at",)
    text_search_fields = ("title__icontains",)
    uuid_search_fields = ("pk", "persona_id")
    autocomplete_fields = ("persona",)
    fields = ("title", "persona", "status", "published_at")
    actions = ("archive_selected",)
    change_form_template = "admin/videos/video/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # Approved for publishing: locked until published or its publishes are
        # cancelled (an edit made anyway, say by SQL, voids the approval).
        if obj is not None and services.edit_problem(status=obj.status):
            return self.fields
        if obj is None or not request.user.is_superuser:
            # A video's state moves through the named operations (review
            # decisions, approval, the publish worker, archive), never by hand;
            # a new one starts as a draft.
            return ("status", "published_at")
        # A superuser may correct the status, within status_by_hand_problem;
        # when it was published is the worker's record.
        return ("published_at",)

    @admin.display(description="Video")
    def id_column(self, obj):
        return short_id(obj)

    @admin.display(description="Title")
    def title_column(self, obj):
        return one_line(obj.title)

    @admin.display(description="Persona")
    def persona_column(self, obj):
        return admin_link(obj.persona)

    @admin.display(description="Timeline")
    def timeline_column(self, obj):
        return video_link(obj, "timeline")

    @admin.action(description="Archive selected videos", permissions=["change"])
    def archive_selected(self, request, queryset):
        result = services.archive_videos(versions=self.guarded_versions(request, queryset))
        report_guarded(request, Video, result, "archived")


class TaskForm(VersionedModelForm):
    payload = PrettyJSONField(required=False, shape=json_object)

    class Meta:
        model = Task
        fields = ["video", "type", "payload"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "type" in self.fields:
            # Not offered; a crafted post of it gets clean_type's reason.
            self.fields["type"].widget.choices = [
                choice
                for choice in self.fields["type"].choices
                if services.task_by_hand_problem(task_type=choice[0]) is None
            ]

    def clean_type(self):
        task_type = self.cleaned_data.get("type")
        problem = services.task_by_hand_problem(task_type=task_type)
        if problem:
            raise ValidationError(problem, code="not_by_hand")
        return task_type


@admin.register(Task)
class TaskAdmin(VersionedAdminMixin, ContentAdmin):
    """People ask the pipeline for work (a task of any type but publish) and
    cancel or requeue it through the actions. What the task is (video, type),
    where it stands (status, attempts, errors) and publish tasks as a whole are
    the pipeline's and publishing's record: read-only here. A payload may be
    corrected only while the task waits in the queue, before anything read it."""

    form = TaskForm
    list_display = ("id_column", "type", "status", "video_column", "version_column", "created_at")
    list_display_links = ("id_column",)
    list_select_related = ("video",)
    list_filter = ("type", "status")
    sortable_by = ("created_at",)
    uuid_search_fields = ("pk", "video_id")
    search_help_text = "Search by task or video UUID."
    autocomplete_fields = ("video",)
    actions = ("cancel_selected", "requeue_selected")
    RECORD_FIELDS = (
        "video_column",
        "type",
        "status",
        "not_before",
        "attempts",
        "last_error",
        "created_at",
    )

    def get_queryset(self, request):
        # The change page names the video: one join, not a second query.
        return super().get_queryset(request).select_related("video")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("video", "type", "payload")
        return (*self.RECORD_FIELDS, "payload")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if self.payload_editable(obj):
            return self.RECORD_FIELDS
        return (*self.RECORD_FIELDS, "payload")

    @staticmethod
    def payload_editable(task) -> bool:
        return (
            task.status == TaskStatus.QUEUED
            and services.task_by_hand_problem(task_type=task.type) is None
        )

    def has_change_permission(self, request, obj=None):
        if obj is not None and not self.payload_editable(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and services.task_by_hand_problem(task_type=obj.type):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="Task")
    def id_column(self, obj):
        return short_id(obj)

    @admin.display(description="Video")
    def video_column(self, obj):
        return video_link(obj.video)

    @admin.action(description="Cancel selected tasks", permissions=["change"])
    def cancel_selected(self, request, queryset):
        result = services.cancel_tasks(versions=self.guarded_versions(request, queryset))
        report_guarded(request, Task, result, "cancelled")

    @admin.action(description="Requeue selected failed or cancelled tasks", permissions=["change"])
    def requeue_selected(self, request, queryset):
        result = services.requeue_tasks(versions=self.guarded_versions(request, queryset))
        report_guarded(request, Task, result, "requeued")


class UploadForm(forms.Form):
    file = forms.FileField(label="New file")


def gallery_page(request, model_admin):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    filters = ArtifactFilter(request.GET, queryset=Artifact.objects.for_cards())
    rows = filters.qs if filters.is_valid() else Artifact.objects.none()
    page = window(
        rows,
        number=page_number(request.GET.get("page")),
        per_page=GALLERY_PER_PAGE,
        max_pages=GALLERY_MAX_PAGES,
    )
    return render_page(
        request,
        model_admin,
        "admin/videos/artifact/gallery.html",
        title="Artifact gallery",
        filters=filters,
        page=page,
        # S3 is not asked: cards the cache cannot tell about are "checking",
        # and the page's script asks gallery_files_page about them.
        previews=preview_artifacts(page.rows, ask_s3=False),
        media=model_admin.media + filters.form.media,
        may_upload=model_admin.has_change_permission(request),
    )


def gallery_files_page(request, model_admin):
    """What S3 holds for the gallery cards named by `?id=` (at most a page's):
    asked by the gallery's script once the page is shown, so that no page
    waits on S3. JSON: per card its state, its file line and, unless the card
    already shows it right (a file S3 has, whose media is loading), its preview."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    ids = [query_uuid(raw) for raw in request.GET.getlist("id")]
    if not ids or None in ids or len(ids) > GALLERY_PER_PAGE:
        message = f"Name 1 to {GALLERY_PER_PAGE} artifacts by their UUIDs (?id=…)."
        return JsonResponse({"error": message}, status=400)
    previews = preview_artifacts(Artifact.objects.filter(pk__in=ids))
    return JsonResponse(
        {"files": [_file_state(preview) for preview in previews], "warning": previews.warning}
    )


def _file_state(preview) -> dict:
    shown_right = not preview.problem and preview.artifact.kind != ArtifactKind.SCRIPT
    fragment = {"preview": preview, "artifact": preview.artifact}
    return {
        "id": str(preview.artifact.pk),
        "state": preview.problem or "ok",
        "file": render_to_string("admin/videos/artifact_file.html", fragment).strip(),
        "preview": None
        if shown_right
        else render_to_string("admin/videos/artifact_preview.html", fragment).strip(),
    }


def content_page(request, model_admin, object_id):
    """A redirect to a fresh presigned URL, for a user who may view the artifact."""
    artifact = model_admin.get_object(request, object_id)
    if not model_admin.has_view_permission(request, artifact):
        raise PermissionDenied
    if artifact is None:
        return _unavailable(request, model_admin, None, f"No artifact with key {object_id}.", 404)
    try:
        info = storage.object_info(artifact)
    except storage.InvalidS3Path as error:
        return _unavailable(request, model_admin, artifact, str(error), 404)
    except storage.StorageUnavailable as error:
        return _unavailable(request, model_admin, artifact, str(error), 503)
    if info is None:
        message = f"The file {artifact.s3_path} is missing in S3."
        return _unavailable(request, model_admin, artifact, message, 404)
    content_type = browser_content_type(artifact, info)
    return redirect(storage.presigned_url(artifact, content_type=content_type))


def _unavailable(request, model_admin, artifact, message, status):
    return render_page(
        request,
        model_admin,
        "admin/videos/artifact/unavailable.html",
        title="File unavailable",
        status=status,
        artifact=artifact,
        message=message,
    )


def upload_page(request, model_admin, object_id):
    artifact = model_admin.get_object(request, object_id)
    if not model_admin.has_change_permission(request, artifact):
        raise PermissionDenied
    if artifact is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    form = UploadForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            services.replace_artifact_file(artifact=artifact, file=form.cleaned_data["file"])
        except ValidationError as error:
            form.add_error("file", error)
        except storage.StorageUnavailable as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Stored the new file as {artifact.s3_path}.")
            return redirect(reverse("admin:videos_artifact_change", args=[artifact.pk]))
    return render_page(
        request,
        model_admin,
        "admin/videos/artifact/upload.html",
        title=f"Upload a replacement for {artifact}",
        original=artifact,
        form=form,
        previews=preview_artifact(artifact),
        accepted=media_types.accepted_labels(artifact.kind),
        limit=filesizeformat(settings.ARTIFACT_UPLOAD_MAX_BYTES),
    )


@admin.register(Artifact)
class ArtifactAdmin(AdminPagesMixin, ContentAdmin):
    """An artifact is what the pipeline made: nobody adds one by hand (a new
    row would change what a cleared video publishes), and people change only
    its file, through the upload, which keeps the path, key and kind in step."""

    list_display = ("id_column", "kind", "video_column", "s3_path", "created_at")
    list_display_links = ("id_column",)
    list_select_related = ("video",)
    list_filter = ("kind",)
    sortable_by = ("created_at",)
    text_search_fields = ("s3_path__startswith",)
    uuid_search_fields = ("pk", "video_id")
    autocomplete_fields = ("video",)
    change_form_template = "admin/videos/artifact/change_form.html"
    change_list_template = "admin/videos/artifact/change_list.html"

    admin_pages = (
        AdminPage("gallery/", gallery_page, "gallery"),
        AdminPage("gallery/files/", gallery_files_page, "gallery_files"),
        AdminPage("<path:object_id>/content/", content_page, "content"),
        AdminPage("<path:object_id>/upload/", upload_page, "upload"),
    )

    fields = ("video_column", "kind", "s3_path")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["previews"] = preview_artifact(obj)
            context["may_upload"] = self.has_change_permission(request, obj)
            context["show_save"] = context["show_save_and_continue"] = False
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="Artifact")
    def id_column(self, obj):
        return short_id(obj)

    @admin.display(description="Video")
    def video_column(self, obj):
        return video_link(obj.video)
