"""Columns that link one admin row to another without extra queries."""

import functools
import uuid

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from core.markup import format_markup

# Rows with a page that tells more than their change form: a link to such a
# row goes there (the page links on to the change form).
OVERVIEW_PAGES = {"videos.video": "timeline"}

# Any UUID fits every converter a keyed admin URL uses (path, str, uuid).
SAMPLE_KEY = uuid.UUID(int=0)


def admin_url(obj) -> str:
    return admin_url_for(type(obj), obj.pk)


def admin_url_for(model, key) -> str:
    """The admin page of `model`'s row `key`, for a list that read the key alone."""
    opts = model._meta
    page = OVERVIEW_PAGES.get(opts.label_lower, "change")
    return keyed_url(f"admin:{opts.app_label}_{opts.model_name}_{page}", key)


def keyed_url(viewname: str, key, *, current_app: str | None = None) -> str:
    """`reverse(viewname, args=[key])`, reversed once per URL name for UUID keys.

    A list reverses the same URL for each of its rows, at a fifth of the row's
    time; a UUID is its own text in any URL, so the URL around it is kept.
    """
    if not isinstance(key, uuid.UUID):
        return reverse(viewname, args=[key], current_app=current_app)
    before, after = _around_key(
        viewname, current_app, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF
    )
    return f"{before}{key}{after}"


@functools.lru_cache(maxsize=1024)
def _around_key(viewname, current_app, *where) -> tuple[str, str]:
    # `where` (script prefix and URL configuration) keys the cache: the same
    # name reverses differently under another prefix or set of URLs.
    before, _, after = reverse(viewname, args=[SAMPLE_KEY], current_app=current_app).partition(
        str(SAMPLE_KEY)
    )
    return before, after


def admin_link(obj, label=None):
    if obj is None:
        return "—"
    return format_markup('<a href="{}">{}</a>', admin_url(obj), label if label is not None else obj)


def admin_link_for(model, key, label):
    """`admin_link` to `model`'s row `key`, named `label`, without the row."""
    if key is None:
        return "—"
    return format_markup('<a href="{}">{}</a>', admin_url_for(model, key), label)


def video_link(video, label=None):
    """A link to the video's timeline, the page about its whole life."""
    return admin_link(video, label)


def short_id(obj) -> str:
    return str(obj.pk)[:8]
