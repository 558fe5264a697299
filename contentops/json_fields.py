"""JSON in admin forms: shown pretty-printed, validated for shape on input.

A malformed document or one of the wrong shape is a form error naming the
problem, never a 500; unknown keys from the pipeline are kept as they are.
"""

import json
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError


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
            try:
                json.loads(value)
            except json.JSONDecodeError as error:
                raise ValidationError(
                    f"This is not valid JSON: {error.msg} at line {error.lineno}, "
                    f"column {error.colno}.",
                    code="invalid",
                ) from None
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        # Only a blank field means "no document": {} where a list belongs is the wrong shape.
        if value is not None and self.shape:
            self.shape(value)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


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
