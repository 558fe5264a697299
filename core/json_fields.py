"""JSON in admin forms: shown pretty-printed, validated for shape on input.

A malformed document or one of the wrong shape is a form error naming the
problem, never a 500; unknown keys from the pipeline are kept as they are.
What Postgres's jsonb or our readers cannot hold is refused the same way:
NaN and infinities, numbers that overflow, integers beyond `MAX_INTEGER`,
NUL characters, documents nested deeper than `MAX_DEPTH` or larger than
`settings.ADMIN_JSON_MAX_BYTES`.
"""

import json
import math
import re
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

# Python's json parser recurses once per level and fails (RecursionError) in
# the thousands; no document of ours needs more than a few levels.
MAX_DEPTH = 64
# The largest integer every JSON reader (a browser's included) keeps exactly.
MAX_INTEGER = 2**53 - 1
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


class PrettyJSONField(forms.JSONField):
    """A JSONField that pretty-prints and checks the decoded value with `shape`."""

    def __init__(self, *, shape: Callable[[object], None] | None = None, **kwargs):
        kwargs.setdefault(
            "widget", forms.Textarea(attrs={"rows": 12, "class": "vLargeTextField json"})
        )
        super().__init__(**kwargs)
        self.shape = shape
        self.error_messages["invalid"] = "Enter valid JSON: %(value)s is not."

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            parse_document(value)
        return super().to_python(value)

    def bound_data(self, data, initial):
        # A refused document is shown back as typed (Django would parse it
        # again here, and fail on one nested too deep).
        if isinstance(data, str) and not self.disabled:
            try:
                parse_document(data)
            except ValidationError:
                return forms.fields.InvalidJSONInput(data)
        return super().bound_data(data, initial)

    def validate(self, value):
        super().validate(value)
        # Only a blank field means "no document": {} where a list belongs is the wrong shape.
        if value is not None and self.shape:
            self.shape(value)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


def parse_document(text: str):
    """The JSON document `text`, or a ValidationError saying what is wrong with it."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > settings.ADMIN_JSON_MAX_BYTES:
        raise ValidationError(
            f"This document is {_kb(size)}; at most {_kb(settings.ADMIN_JSON_MAX_BYTES)} "
            "are accepted.",
            code="too_large",
        )
    if _depth(text) > MAX_DEPTH:
        raise ValidationError(
            f"This document is nested more than {MAX_DEPTH} levels deep.", code="too_deep"
        )
    try:
        document = json.loads(
            text, parse_constant=_no_constant, parse_float=_float, parse_int=_integer
        )
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"This is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}.",
            code="invalid",
        ) from None
    problem = _text_problem(document)
    if problem:
        raise ValidationError(problem, code="unstorable_text")
    return document


def _depth(text: str) -> int:
    """How deeply `text` nests objects and lists, counted without recursion."""
    depth = deepest = 0
    for char in _STRING.sub("", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str):
    raise ValidationError(
        f"{name} is not a number JSON documents here may hold: use a finite number or null.",
        code="not_finite",
    )


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValidationError(f"The number {_short(text)} is too large to store.", code="overflow")
    return value


def _integer(text: str) -> int:
    digits = text.lstrip("-")
    # Checked on the digits first: int() of thousands of digits is refused by Python.
    if len(digits) > len(str(MAX_INTEGER)) or abs(int(text)) > MAX_INTEGER:
        raise ValidationError(
            f"The integer {_short(text)} is too large: whole numbers must be between "
            f"-{MAX_INTEGER:,} and {MAX_INTEGER:,}.",
            code="overflow",
        )
    return int(text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_problem(document) -> str | None:
    """Why a string in `document` cannot be stored in jsonb, if one cannot."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            return "The document contains a NUL character (\\u0000), which cannot be stored."
        if isinstance(value, str) and _SURROGATE.search(value):
            return (
                "The document contains half of a UTF-16 surrogate pair (\\ud800–\\udfff "
                "alone), which is not a character."
            )
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return None


def _kb(size: int) -> str:
    return f"{math.ceil(size / 1024):,} KB"


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def json_object(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError(
            f"Expected a JSON object ({{…}}), got {_type_name(value)}.", code="shape"
        )


def _type_name(value) -> str:
    # isinstance, not type(): forms.JSONField decodes strings to JSONString, and
    # bool is an int.
    for kind, name in (
        (dict, "an object"),
        (list, "a list"),
        (str, "a string"),
        (bool, "true/false"),
        ((int, float), "a number"),
    ):
        if isinstance(value, kind):
            return name
    return "null"
