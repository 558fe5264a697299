"""Columns that link one admin row to another without extra queries."""

from django.urls import reverse
from django.utils.html import format_html

# Rows with a page that tells more than their change form: a link to such a
# row goes there (the page links on to the change form).
OVERVIEW_PAGES = {"videos.video": "timeline"}


def admin_url(obj) -> str:
    opts = obj._meta
    page = OVERVIEW_PAGES.get(opts.label_lower, "change")
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{page}", args=[obj.pk])


def admin_link(obj, label=None):
    if obj is None:
        return "—"
    return format_html('<a href="{}">{}</a>', admin_url(obj), label if label is not None else obj)


def video_link(video, label=None):
    """A link to the video's timeline, the page about its whole life."""
    return admin_link(video, label)


def short_id(obj) -> str:
    return str(obj.pk)[:8]
