"""HTML for what a list writes many times a page: Django's escaping, without
its lazy-text wrappers.

`format_html` and `conditional_escape` check every argument for lazy text
through `keep_lazy` on each call: about a third of a list's row time went to
that bookkeeping (cProfile of the review queue's 350 cells). These give the
same text (tests/core/test_markup.py compares them with Django's).
"""

import html

from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe


def escaped(value) -> str:
    """`conditional_escape(value)`: safe text as it is, the rest escaped."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return SafeString(html.escape(str(value)))


def format_markup(format_string: str, *args) -> SafeString:
    """`format_html(format_string, *args)`."""
    return mark_safe(format_string.format(*[escaped(arg) for arg in args]))
