from django.contrib import admin

from contentops.admin_core import ContentAdmin
from contentops.admin_links import admin_link, short_id
from publishing.models import PublishReceipt


@admin.register(PublishReceipt)
class PublishReceiptAdmin(ContentAdmin):
    list_display = ("id_column", "video_column", "channel", "status", "remote_id", "timestamp")
    list_display_links = ("id_column",)
    list_select_related = ("video",)
    list_filter = ("status", "channel")
    text_search_fields = ("remote_id",)
    uuid_search_fields = ("pk", "video_id")
    autocomplete_fields = ("video",)

    @admin.display(description="Receipt")
    def id_column(self, obj):
        return short_id(obj)

    @admin.display(description="Video")
    def video_column(self, obj):
        return admin_link(obj.video)
