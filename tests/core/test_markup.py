"""core.markup escapes as Django does, for any text, safe or lazy or not text."""

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import format_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from core.markup import escaped, format_markup

values = st.one_of(
    st.text(),
    st.text().map(mark_safe),
    st.text().map(lambda text: format_lazy("{}", text)),
    st.integers(),
    st.none(),
    st.floats(allow_nan=False),
)


@settings(max_examples=500, deadline=None)
@given(value=values)
def test_escaped_is_conditional_escape(value):
    ours, djangos = escaped(value), conditional_escape(value)
    assert ours == djangos and isinstance(ours, SafeString)


@settings(max_examples=300, deadline=None)
@given(args=st.lists(values, min_size=1, max_size=3))
def test_format_markup_is_format_html(args):
    format_string = '<a href="{}">' + "{} " * (len(args) - 1) + "</a>"
    ours, djangos = format_markup(format_string, *args), format_html(format_string, *args)
    assert ours == djangos and isinstance(ours, SafeString)
