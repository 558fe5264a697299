"""A stock Django admin of the same tables, for `make bench` only.

Each ModelAdmin here is what a Django tutorial would write for the model: the
columns our pages show, as plain field names, the same filters, and
`search_fields` as stock (the key searched as text) — nothing tuned: Django's
paginator with its COUNT(*), default search and ordering. The benchmark
measures our pages beside these on the same data. Mounted at /stock-admin/
only when settings.BENCH_STOCK_ADMIN is on (contentops/urls.py); never in
production.
"""

from django.contrib import admin

from safety.models import SafetyReport
from videos.models import Artifact, Task, Video

site = admin.AdminSite(name="stock")
site.site_header = "Stock admin (benchmark only)"


class StockAdmin(admin.ModelAdmin):
    # Django's own templates, not the project's overrides of the same names.
    change_list_template = "admin/change_list.html"
    change_form_template = "admin/change_form.html"


@admin.register(Video, site=site)
class VideoAdmin(StockAdmin):
    # Ready to publish is this list at ?status__exact=ready.
    list_display = ("id", "title", "persona", "status", "state_version", "created_at")
    list_filter = ("status",)
    search_fields = ("id", "title")


@admin.register(Task, site=site)
class TaskAdmin(StockAdmin):
    list_display = ("id", "type", "status", "video", "state_version", "created_at")
    list_filter = ("type", "status")
    search_fields = ("id", "video__id")


@admin.register(Artifact, site=site)
class ArtifactAdmin(StockAdmin):
    list_display = ("id", "kind", "video", "s3_path", "created_at")
    list_filter = ("kind",)
    search_fields = ("id", "s3_path")


@admin.register(SafetyReport, site=site)
class SafetyReportAdmin(StockAdmin):
    # The review queue is this list at
    # ?requires_human_review__exact=1&review_status__isnull=True.
    list_display = ("created_at", "score", "issues", "task", "claimed_by")
    list_filter = ("requires_human_review", "review_status")
    search_fields = ("id",)
