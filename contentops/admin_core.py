"""What every ModelAdmin here shares: UUID search on the key, history from the
database's event tables, and a guard on permissions for custom views."""

import uuid

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.text import capfirst

from contentops.history_view import event_rows


def parse_uuid(term: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(term.strip())
    except ValueError:
        return None


class ContentAdmin(admin.ModelAdmin):
    """Search is bounded: a UUID matches by exact value on `uuid_search_fields`
    (the key's index is used, never a cast to text); any other term goes to
    `text_search_fields`, ORM lookups such as "title__icontains"."""

    uuid_search_fields: tuple[str, ...] = ("pk",)
    text_search_fields: tuple[str, ...] = ()
    show_full_result_count = False
    list_per_page = 50
    object_history_template = "admin/contentops/object_history.html"

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # Django shows the search box, and allows autocomplete, only with search_fields.
        self.search_fields = self.text_search_fields or self.uuid_search_fields

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        key = parse_uuid(term)
        names, value = (self.uuid_search_fields, key) if key else (self.text_search_fields, term)
        if not names:
            return queryset.none(), False
        match = Q()
        for name in names:
            match |= Q(**{name: value})
        return queryset.filter(match), False

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with key {object_id}.")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        users = get_user_model()._default_manager
        context = {
            **self.admin_site.each_context(request),
            "title": f"History of {obj}",
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "events": event_rows(obj, users),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)
