from django.contrib import admin

from contentops.admin_core import ContentAdmin
from contentops.admin_links import admin_link, short_id
from contentops.admin_locking import VersionedAdminMixin, VersionedModelForm, report_guarded
from contentops.json_fields import PrettyJSONField, json_object
from videos import services
from videos.models import Artifact, Task, Video


@admin.register(Video)
class VideoAdmin(VersionedAdminMixin, ContentAdmin):
    list_display = (
        "id_column",
        "title",
        "persona_column",
        "status",
        "version_column",
        "created_at",
    )
    list_display_links = ("id_column",)
    list_editable = ("title",)
    list_select_related = ("persona",)
    list_filter = ("status",)
    text_search_fields = ("title__icontains",)
    uuid_search_fields = ("pk", "persona_id")
    autocomplete_fields = ("persona",)
    fields = ("title", "persona", "status", "published_at")
    actions = ("archive_selected",)

    @admin.display(description="Video")
    def id_column(self, obj):
        return short_id(obj)

    @admin.display(description="Persona")
    def persona_column(self, obj):
        return admin_link(obj.persona)

    @admin.action(description="Archive selected videos", permissions=["change"])
    def archive_selected(self, request, queryset):
        result = services.archive_videos(versions=self.guarded_versions(request, queryset))
        report_guarded(request, Video, result, "archived")


class TaskForm(VersionedModelForm):
    payload = PrettyJSONField(required=False, shape=json_object)

    class Meta:
        model = Task
        fields = ["video", "type", "status", "payload"]


@admin.register(Task)
class TaskAdmin(VersionedAdminMixin, ContentAdmin):
    form = TaskForm
    list_display = ("id_column", "type", "status", "video_column", "version_column", "created_at")
    list_display_links = ("id_column",)
    list_select_related = ("video",)
    list_filter = ("type", "status")
    uuid_search_fields = ("pk", "video_id")
    search_help_text = "Search by task or video UUID."
    autocomplete_fields = ("video",)
    actions = ("cancel_selected", "requeue_selected")

    @admin.display(description="Task")
    def id_column(self, obj):
        return short_id(obj)

    @admin.display(description="Video")
    def video_column(self, obj):
        return admin_link(obj.video)

    @admin.action(description="Cancel selected tasks", permissions=["change"])
    def cancel_selected(self, request, queryset):
        result = services.cancel_tasks(versions=self.guarded_versions(request, queryset))
        report_guarded(request, Task, result, "cancelled")

    @admin.action(description="Requeue selected failed or cancelled tasks", permissions=["change"])
    def requeue_selected(self, request, queryset):
        result = services.requeue_tasks(versions=self.guarded_versions(request, queryset))
        report_guarded(request, Task, result, "requeued")


@admin.register(Artifact)
class ArtifactAdmin(ContentAdmin):
    list_display = ("id_column", "kind", "video_column", "s3_path", "created_at")
    list_display_links = ("id_column",)
    list_select_related = ("video",)
    list_filter = ("kind",)
    text_search_fields = ("s3_path__startswith",)
    uuid_search_fields = ("pk", "video_id")
    autocomplete_fields = ("video",)

    @admin.display(description="Artifact")
    def id_column(self, obj):
        return short_id(obj)

    @admin.display(description="Video")
    def video_column(self, obj):
        return admin_link(obj.video)
