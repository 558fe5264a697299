"""What every ModelAdmin here shares: UUID search on the key, history from the
database's event tables, and a guard on permissions for custom views."""

import uuid

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.text import capfirst

from contentops.history_view import event_rows
from contentops.pagination import BoundedPaginator


def parse_uuid(term: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(term.strip())
    except ValueError:
        return None


class BoundedListAdmin(admin.ModelAdmin):
    """A changelist that stays as fast at millions of rows as at thousands: it
    counts matching rows only up to `ADMIN_COUNT_LIMIT` (never the whole table)
    and pages no further, and "select all" acts on no more rows than that."""

    paginator = BoundedPaginator
    show_full_result_count = False

    def response_action(self, request, queryset):
        # The page hides "select all" when the count is capped; a crafted POST
        # must not run an action over an uncounted number of rows either.
        if request.POST.get("select_across") == "1":
            selected = self.get_paginator(request, queryset, self.list_per_page)
            if selected.capped:
                messages.error(
                    request,
                    f"An action can run on at most {selected.limit:,} rows at once: "
                    "narrow the list with filters or search first.",
                )
                return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


class WorkListAdmin(BoundedListAdmin):
    """A list people work through (a queue), not a table they edit: only users
    `may_work` see it, and nobody adds, changes or deletes rows through it."""

    def may_work(self, request) -> bool:
        raise NotImplementedError

    def has_view_permission(self, request, obj=None):
        return self.may_work(request)

    def has_module_permission(self, request):
        return self.may_work(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ContentAdmin(BoundedListAdmin):
    """Search is bounded: a UUID matches by exact value on `uuid_search_fields`
    (the key's index is used, never a cast to text); any other term goes to
    `text_search_fields`, ORM lookups such as "title__icontains"."""

    uuid_search_fields: tuple[str, ...] = ("pk",)
    text_search_fields: tuple[str, ...] = ()
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
        if key:
            return queryset.filter(pk__in=self.rows_with_key(key)), False
        if not self.text_search_fields:
            return queryset.none(), False
        match = Q()
        for name in self.text_search_fields:
            match |= Q(**{name: term})
        return queryset.filter(match), False

    def rows_with_key(self, key: uuid.UUID):
        """The keys of rows where any of `uuid_search_fields` equals `key`.

        One indexed lookup per field, combined with UNION: an OR of them would
        stop Postgres from using the indexes as soon as one field is across a
        join (task__video_id), and it would scan the whole table instead.
        """
        rows = self.model._base_manager.order_by()
        lookups = [rows.filter(**{name: key}).values("pk") for name in self.uuid_search_fields]
        return lookups[0].union(*lookups[1:])

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
