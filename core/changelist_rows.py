"""Changelist rows rendered from a plan made once per page.

Django's `items_for_result` works out for every cell of every row what its
column is (a field, a method, a link, which CSS classes), renders each row's
action checkbox through the widget templates and reverses each row's URL: at
50 rows that was most of a list's time. Here each column is worked out once per
page (`plan`), so a row costs its values and a few string joins. The HTML is
Django's, cell for cell (tests/core/test_changelist_rows.py compares them).

Values are still shown by Django's own `display_for_field`/`display_for_value`,
so a column reads the same on every list; dates and times by core.cell_formats,
which gives the same text for a tenth of the cost.
"""

import datetime
import html
from collections.abc import Callable

from django.contrib.admin import helpers
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    result_headers,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from core import cell_formats
from core.admin_links import SAMPLE_KEY, keyed_url
from core.markup import escaped, format_markup

Cell = Callable[[models.Model], str]
# Text a column method returns (most return HTML made by format_markup).
TEXTS = (str, SafeString)


def result_list(cl) -> dict:
    """The context of admin/change_list_results.html, as Django's `result_list`
    tag builds it, with each row one string made by the page's plan."""
    if not plannable(cl):
        return admin_list.result_list(cl)
    headers = list(result_headers(cl))
    cells = plan(cl)
    rows = [mark_safe("".join([cell(row) for cell in cells])) for row in cl.result_list]
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        # One item per row, as Django's tag gives them (a row's items joined).
        "results": [ResultList(None, [row]) for row in rows],
        # And the table's body in one piece: the template's loop over the rows
        # cost 43 µs a row (2 ms of a 50-row list), joining them a fiftieth.
        "planned_rows": mark_safe("".join([f"\n<tr>{row}</tr>" for row in rows])),
    }


def plannable(cl) -> bool:
    """Whether the plan renders this list. Not an editable list (its rows carry
    forms), a popup (its links answer the opener) or one whose links Django
    places by itself (no list_display_links): Django renders those."""
    unplaced = cl.list_display_links is not None and not cl.list_display_links
    return not (cl.formset or cl.is_popup or unplaced)


def plan(cl) -> list[Cell]:
    """One function per column, rendering that column's cell of a row."""
    links = set(cl.list_display_links or ())
    first_link = next((name for name in cl.list_display if name in links), None)
    cells = []
    for index, name in enumerate(cl.list_display):
        if name == "action_checkbox":
            cells.append(_checkbox_cell())
            continue
        tag = ("th" if name == first_link else "td") if name in links else None
        cells.append(_cell(cl, name, index, tag))
    return cells


def _checkbox_cell() -> Cell:
    # ModelAdmin.action_checkbox, without its widget's templates: the label
    # translated once per page, the row's text and key escaped into it.
    label = gettext("Select this object for an action - {}")
    name = escape(helpers.ACTION_CHECKBOX_NAME)

    def cell(row):
        return (
            f'<td class="action-checkbox"><input type="checkbox" name="{name}" '
            f'value="{html.escape(str(row.pk))}" class="action-select" '
            f'aria-label="{label.format(html.escape(str(row)))}"></td>'
        )

    return cell


def _cell(cl, name, index, tag) -> Cell:
    empty = cl.model_admin.get_empty_value_display()
    css = f"field-{_coerce_field_name(name, index)}"
    field = _model_field(cl.lookup_opts, name)
    if field is not None and not field.auto_created:
        if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
            css += " nowrap"
        fixed = mark_safe(f' class="{css}"')
        value = _field_value(field, empty, avoid_link=tag is not None)
        return _wrapped(cl, lambda raw: fixed, value, tag, empty)
    plain, nowrap = mark_safe(f' class="{css}"'), mark_safe(f' class="{css} nowrap"')

    def classes(raw):
        # Django marks a method's column nowrap by the value's type, row by row.
        return nowrap if isinstance(raw, (datetime.date, datetime.time)) else plain

    return _wrapped(cl, classes, _attribute_value(cl, name, empty), tag, empty)


def _model_field(opts, name):
    if callable(name):
        return None
    try:
        return _get_non_gfk_field(opts, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        return None


def _blank_as_empty(raw):
    return "" if isinstance(raw, str) and raw.strip() == "" else raw


def _field_value(field, empty, *, avoid_link):
    """row -> (the field's value as Django's changelist shows it, the raw value)."""
    if isinstance(field.remote_field, models.ManyToOneRel):
        # A foreign key: the related row by its str (list_select_related loads it).
        def related(row):
            obj = getattr(row, field.name)
            return (empty if obj is None else obj), obj

        return related
    if field.flatchoices:
        labels = dict(field.flatchoices)  # the vocabulary, read once per page

        def chosen(row):
            raw = _blank_as_empty(getattr(row, field.attname))
            return labels.get(raw, empty), raw

        return chosen

    formatted = cell_formats.field_format(field) or cell_formats.number_format(field)
    if formatted is not None:

        def formatted_shown(row):
            raw = getattr(row, field.attname)
            return (empty if raw is None else formatted(raw)), raw

        return formatted_shown

    def shown(row):
        raw = _blank_as_empty(getattr(row, field.attname))
        return display_for_field(raw, field, empty, avoid_link=avoid_link), raw

    return shown


def _attribute_value(cl, name, empty):
    """row -> (a method's or attribute's value as Django shows it, the raw value)."""
    model_admin = cl.model_admin
    if callable(name):
        method = name
    elif hasattr(model_admin, name) and name != "__str__":
        method = getattr(model_admin, name)
    else:
        method = None
    attr = method or getattr(cl.model, name, None)
    shown_empty = getattr(attr, "empty_value_display", empty)
    boolean = getattr(attr, "boolean", False)
    if isinstance(attr, property) and hasattr(attr, "fget"):
        boolean = getattr(attr.fget, "boolean", False)

    def shown(row):
        raw = method(row) if method else lookup_field(name, row, model_admin)[2]
        if type(raw) in TEXTS and not boolean and raw.strip():
            return raw, raw  # what display_for_value gives text, without its checks
        raw = _blank_as_empty(raw)
        return display_for_value(raw, shown_empty, boolean), raw

    return shown


def _wrapped(cl, classes, value, tag, empty) -> Cell:
    """The cell: the value in a <td>, or for a link column a link in `tag`."""
    link = _row_link(cl) if tag else None

    def cell(row):
        try:
            shown, raw = value(row)
        except ObjectDoesNotExist:
            shown, raw = empty, None
        attrs = classes(raw)
        if link is None:
            return f"<td{attrs}>{escaped(shown)}</td>"
        return f'<{tag}{attrs}><a href="{link(row)}">{escaped(shown)}</a></{tag}>'

    return cell


def _row_link(cl) -> Callable[[models.Model], str]:
    """row -> the escaped URL of its change page, keeping the list's filters,
    as `ChangeList.url_for_result` with `add_preserved_filters` makes it."""
    context = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
    if not isinstance(cl.opts.pk, models.UUIDField):
        return lambda row: escape(add_preserved_filters(context, cl.url_for_result(row)))
    viewname = f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change"
    sample = keyed_url(viewname, SAMPLE_KEY, current_app=cl.model_admin.admin_site.name)
    # The filters go in the query string: the key's place in the URL stays put.
    before, _, after = escape(add_preserved_filters(context, sample)).partition(str(SAMPLE_KEY))
    return lambda row: f"{before}{getattr(row, cl.pk_attname)}{after}"


def one_line(text) -> str:
    """`text` for a list cell: on one line, cut short with an ellipsis when
    long (core/lists.css), whole in its title attribute (shown on hover)."""
    return format_markup('<span class="one-line" title="{}">{}</span>', text, text)
