"""What every ModelAdmin here shares: UUID search on the key, history from the
database's event tables, and a guard on permissions for custom views."""

import functools
import uuid

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG, SEARCH_VAR, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern
from django.utils.text import capfirst

from core import inputs
from core.history_view import event_rows
from core.pagination import BoundedPaginator


def keyed_pattern(model_admin, pattern):
    """`pattern`, answering 404 when its object id cannot be a key of the model.

    Django's views look such an id up and fail in their own ways (a redirect
    saying it was deleted, a ValidationError from a custom view's query)."""
    if not isinstance(pattern, URLPattern) or "object_id" not in pattern.pattern.converters:
        return pattern
    view = pattern.callback

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        object_id = kwargs["object_id"]
        # Only for users of the site: others get the login page, as for any id.
        if model_admin.admin_site.has_permission(request) and not is_key(model_admin, object_id):
            raise Http404(f"No {model_admin.opts.verbose_name} has the key {object_id!r}.")
        return view(request, *args, **kwargs)

    return URLPattern(pattern.pattern, checked, pattern.default_args, pattern.name)


def is_key(model_admin, object_id: str) -> bool:
    """Whether `object_id`, as quoted in an admin URL, can be a key of the admin's model."""
    return can_be_key(model_admin.opts, unquote(object_id))


def can_be_key(opts, value) -> bool:
    """Whether `value` can be a primary key of the model of `opts`."""
    return value not in ("", None) and _fits(opts.pk, value)


def _unusable_parameters(query) -> list[str]:
    """The query string's parameters no database column can be compared with."""
    return [
        key
        for key, values in query.lists()
        if any(inputs.query_text(text) is None for text in (key, *values))
    ]


class KeyCheckedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete, re-showing a form whose key was typed as anything:
    a value that cannot be a key is left out of the lookup (the field itself
    says it is not a valid choice) instead of breaking the page."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        target = remote.model._meta.get_field(remote.field_name)
        return super().optgroups(name, [v for v in value if _fits(target, v)], attr)


def _fits(field, value) -> bool:
    if value in ("", None):
        return True
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


class ColumnsChangeList(ChangeList):
    """A changelist loading only its admin's `list_columns`, when it names them."""

    def apply_select_related(self, qs):
        qs = super().apply_select_related(qs)
        columns = self.model_admin.list_columns
        return qs if columns is None else qs.only(*columns)


class BoundedListAdmin(admin.ModelAdmin):
    """A changelist that stays as fast at millions of rows as at thousands: it
    counts matching rows only up to `ADMIN_COUNT_LIMIT` (never the whole table),
    or `ADMIN_SEARCH_COUNT_LIMIT` for a search, and pages no further, and
    "select all" acts on no more rows than that.

    Its list ignores, with a message, query values no column can hold and values
    outside a filtered column's vocabulary (see `refused_parameters`)."""

    paginator = BoundedPaginator
    show_full_result_count = False
    # The columns (with list_select_related's, "persona__name") a list's rows
    # read, when fewer than all: each column loaded is decoded for every row,
    # a JSON document (a task's payload, a persona's tone) most of all.
    list_columns: tuple[str, ...] | None = None
    # Rows rendered by core.changelist_rows; a list's own template extends this one.
    change_list_template = "admin/core/change_list.html"

    def changelist_view(self, request, extra_context=None):
        refused = self.refused_parameters(request.GET)
        if refused:
            for why in refused.values():
                messages.warning(request, why)
            return self._without(request, refused)
        if ERROR_FLAG in request.GET and len(request.GET) > 1:
            # Django answers "Database error" to a bad filter next to its flag, which
            # only ever comes alone from its own redirect: drop the flag instead.
            return self._without(request, [ERROR_FLAG])
        return super().changelist_view(request, extra_context)

    def get_changelist(self, request, **kwargs):
        return ColumnsChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # A text search tests each row it counts (LIKE '%word%' has no order to
        # stop early in): its count stops sooner, at a cost that does not grow
        # with the table.
        searched = bool(request.GET.get(SEARCH_VAR, "").strip())
        limit = settings.ADMIN_SEARCH_COUNT_LIMIT if searched else settings.ADMIN_COUNT_LIMIT
        return self.paginator(
            queryset, per_page, orphans, allow_empty_first_page, count_limit=limit
        )

    def refused_parameters(self, query) -> dict[str, str]:
        """The query string's parameters the list ignores, each with the reason:
        a NUL character (no column can hold one), or a value outside the
        vocabulary of a filtered column (it would silently list nothing)."""
        refused = {
            key: f"Ignored “{inputs.shown(key)}”: a filter or search cannot contain a NUL "
            "character."
            for key in _unusable_parameters(query)
        }
        for key, known in self._vocabularies().items():
            for raw in query.getlist(key):
                values = raw.split(",") if key.endswith("__in") else [raw]
                if key not in refused and not set(values) <= known:
                    refused[key] = (
                        f"Ignored the filter “{key}”: “{inputs.shown(raw)}” is not one of "
                        f"{', '.join(sorted(known))}."
                    )
        return refused

    def _vocabularies(self) -> dict[str, set[str]]:
        """Query parameter -> the values it may take, for each filtered column with choices."""
        vocabularies = {}
        for entry in self.list_filter:
            name = entry[0] if isinstance(entry, tuple | list) else entry
            if not isinstance(name, str) or "__" in name:
                continue
            field = self.opts.get_field(name)
            if field.choices:
                known = {str(value) for value, _ in field.flatchoices}
                for key in (name, f"{name}__exact", f"{name}__in"):
                    vocabularies[key] = known
        return vocabularies

    def _without(self, request, keys):
        kept = request.GET.copy()
        for key in keys:
            del kept[key]
        return HttpResponseRedirect(f"{request.path}?{kept.urlencode()}")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeyCheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        # A moment past year 9999 in UTC is stored, then breaks every page that reads it.
        if isinstance(db_field, models.DateTimeField) and field is not None:
            field.validators.append(inputs.storable_moment)
        return field

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters:
            # Django then shows the list unfiltered; say why.
            messages.warning(
                request, "The list's filters were not valid here, so it is shown unfiltered."
            )
            raise

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
        chosen = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        malformed = [value for value in chosen if not can_be_key(self.opts, value)]
        if malformed:
            messages.error(
                request,
                f"The selection names {len(malformed)} row(s) that cannot exist "
                f"(“{inputs.shown(malformed[0])}”…): nothing was done. Reload the list.",
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


class ReadOnlyRecordMixin:
    """Rows another program wrote (a report, a receipt): shown, never added,
    changed or deleted through the admin, superusers included. People act on
    them through the app's operations (actions, custom pages)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WorkListAdmin(ReadOnlyRecordMixin, BoundedListAdmin):
    """A list people work through (a queue), not a table they edit: only users
    `may_work` see it, and nobody adds, changes or deletes rows through it."""

    def may_work(self, request) -> bool:
        raise NotImplementedError

    def has_view_permission(self, request, obj=None):
        return self.may_work(request)

    def has_module_permission(self, request):
        return self.may_work(request)


class ContentAdmin(BoundedListAdmin):
    """Search is bounded: a UUID matches by exact value on `uuid_search_fields`
    (the key's index is used, never a cast to text); any other term goes to
    `text_search_fields`, ORM lookups such as "title__icontains"."""

    uuid_search_fields: tuple[str, ...] = ("pk",)
    text_search_fields: tuple[str, ...] = ()
    list_per_page = 50
    object_history_template = "admin/core/object_history.html"

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # Django shows the search box, and allows autocomplete, only with search_fields.
        self.search_fields = self.text_search_fields or self.uuid_search_fields

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if inputs.query_text(term) is None:
            # No text column holds a NUL: nothing matches (the autocomplete asks here too).
            return queryset.none(), False
        key = inputs.query_uuid(term)
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
