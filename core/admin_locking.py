"""The admin side of optimistic locking.

Change forms carry the version the user loaded and re-check it under a row
lock before saving; a conflict re-shows the form with the user's input, a
message and a table of the database's values against theirs. Changelists
carry each row's version (the version column), so actions are guarded per
row: conflicting rows are named, the others acted on.
"""

import json
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.db import connections, router
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from core.inputs import InvalidInput, form_int
from core.locking import GuardedUpdate, VersionConflict
from core.markup import format_markup

SEEN_VERSION_PREFIX = "_seen_version_"


@dataclass
class FieldConflict:
    label: str
    database: str
    yours: str


def _display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2, ensure_ascii=False)
    return str(value)


class VersionedModelForm(forms.ModelForm):
    """A change form that carries, and checks, the version the user loaded."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    conflict: VersionConflict | None = None
    field_conflicts: list[FieldConflict] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields["loaded_version"].initial = self.instance.state_version

    def clean(self):
        cleaned = super().clean()
        if self.instance._state.adding:
            return cleaned
        loaded = cleaned.get("loaded_version")
        current = self._current_row()
        version = current.state_version if current is not None else None
        if loaded is None or version != loaded:
            self._report_conflict(
                VersionConflict(type(self.instance), self.instance.pk, loaded, version), current
            )
        self.instance.state_version = loaded
        return cleaned

    def _post_clean(self):
        # On a conflict the instance keeps the database's values, so the page
        # around the form (heading, breadcrumbs) shows the row as it now is.
        if self.conflict is None:
            super()._post_clean()

    def _current_row(self):
        model = type(self.instance)
        rows = model._base_manager.using(router.db_for_write(model)).filter(pk=self.instance.pk)
        if connections[rows.db].in_atomic_block:
            # Hold the row until this request's transaction ends, so nobody
            # can write between this check and our save.
            rows = rows.select_for_update()
        return rows.first()

    def _report_conflict(self, conflict: VersionConflict, current) -> None:
        self.conflict = conflict
        self.field_conflicts = self._field_conflicts(current) if current is not None else []
        # Re-shown, the form carries the version now in the database: saving
        # it again is a deliberate choice made after seeing the table.
        self.data = self.data.copy()
        self.data[self.add_prefix("loaded_version")] = conflict.current
        raise forms.ValidationError(
            conflict.message
            + (
                " Your input is kept below. Compare it with the database's values, then "
                "save again to apply yours, or reload to start from the current version."
                if not conflict.deleted
                else ""
            ),
            code="version_conflict",
        )

    def _field_conflicts(self, current) -> list[FieldConflict]:
        rows = []
        for name, field in self.fields.items():
            if name == "loaded_version" or name not in self.cleaned_data:
                continue
            theirs = self.cleaned_data[name]
            model_field = current._meta.get_field(name)
            ours = getattr(current, name)
            if model_field.is_relation:
                same = (theirs.pk if theirs is not None else None) == getattr(
                    current, model_field.attname
                )
            else:
                same = theirs == ours
            if not same:
                if model_field.choices:
                    theirs = dict(model_field.flatchoices).get(theirs, theirs)
                    ours = dict(model_field.flatchoices).get(ours, ours)
                rows.append(
                    FieldConflict(capfirst(field.label or name), _display(ours), _display(theirs))
                )
        return rows


def seen_versions(request, pks) -> dict:
    """The version of each row as the user's changelist showed it."""
    versions = {}
    for pk in pks:
        try:
            seen = form_int(request.POST.get(f"{SEEN_VERSION_PREFIX}{pk}"), name="version")
        except InvalidInput:
            seen = -1  # no row has it: the row counts as changed since, never as unseen
        if seen is not None:
            versions[pk] = seen
    return versions


def report_guarded(request, model, result: GuardedUpdate, verb: str) -> None:
    """Tell the user what a guarded write did, naming every row it refused."""
    opts = model._meta
    if result.updated:
        count = len(result.updated)
        name = opts.verbose_name if count == 1 else opts.verbose_name_plural
        messages.success(request, f"{capfirst(verb)} {count} {name}.")
    refused = list(result.conflicts) + list(result.skipped)
    if not refused:
        return
    names = {obj.pk: obj for obj in model._base_manager.filter(pk__in=refused)}

    def link(pk):
        obj = names.get(pk)
        if obj is None:
            return format_html("{} (deleted)", pk)
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
        return format_html('<a href="{}">{}</a>', url, obj)

    if result.conflicts:
        items = format_html_join(
            ", ",
            "{} (now version {})",
            (
                (link(pk), version if version is not None else "—")
                for pk, version in result.conflicts.items()
            ),
        )
        messages.warning(
            request,
            format_html(
                "Not {}: changed by someone else since you loaded the page: {}. "
                "Reload to see their changes.",
                verb,
                items,
            ),
        )
    if result.skipped:
        messages.warning(
            request,
            format_html(
                "Not {}, because their state does not allow it: {}.",
                verb,
                format_html_join(", ", "{}", ((link(pk),) for pk in result.skipped)),
            ),
        )


class VersionedAdminMixin:
    """For ModelAdmins of VersionedModel: guarded change forms and actions.

    Put `version_column` in list_display: it shows the row's version and
    carries it back to the server with every changelist post.
    """

    form = VersionedModelForm
    change_form_template = "admin/core/versioned_change_form.html"

    def get_fields(self, request, obj=None):
        return [name for name in super().get_fields(request, obj) if name != "loaded_version"]

    @staticmethod
    # On the function: the admin reads the header from what getattr returns,
    # the function itself, not the staticmethod (which left it "Version column").
    @admin.display(description="Version")
    def version_column(obj):
        return format_markup(
            'v{}<input type="hidden" name="{}{}" value="{}">',
            obj.state_version,
            SEEN_VERSION_PREFIX,
            obj.pk,
            obj.state_version,
        )

    def guarded_versions(self, request, queryset) -> dict:
        """pk -> version for an action's rows: the version the page showed,
        or for rows it never showed (select all across pages) the version now."""
        pks = list(queryset.values_list("pk", flat=True))
        seen = seen_versions(request, pks)
        unseen = [pk for pk in pks if pk not in seen]
        if unseen:
            seen.update(
                queryset.model._base_manager.filter(pk__in=unseen).values_list(
                    "pk", "state_version"
                )
            )
        return seen
