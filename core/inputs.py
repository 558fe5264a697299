"""Values people (or anything posing as a browser) send in forms and query
strings, parsed at the boundary: a value outside its domain is a message a
person understands, never an exception deeper down (a DataError from Postgres,
an OverflowError from datetime arithmetic).
"""

import uuid
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

# Postgres `integer`: the columns (state_version, attempts ...) a form's number lands in.
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


class InvalidInput(ValueError):
    """A value that is not what its field takes; the message says so to a person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def form_int(raw, *, name: str, minimum: int = INT_MIN, maximum: int = INT_MAX) -> int | None:
    """An integer from a form field: None when blank, else ASCII digits with an
    optional sign, within [minimum, maximum].

    Not `str.isdigit()`: it accepts "²" and other digits `int()` refuses.
    """
    text = (raw or "").strip()
    if not text:
        return None
    digits = text[1:] if text[0] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidInput(f"The {name} must be a whole number, not “{shown(text)}”.")
    # Long digit strings are out of range whatever they say; int() of thousands raises.
    if len(digits.lstrip("0")) > 20 or not minimum <= int(text) <= maximum:
        raise InvalidInput(f"The {name} must be between {minimum:,} and {maximum:,}.")
    return int(text)


def form_datetime(raw, *, name: str) -> datetime | None:
    """A moment from a form field (ISO 8601, as `<input type="datetime-local">`
    sends it): None when blank; naive times are in the current time zone.

    Whether the moment is one the caller accepts is the caller's rule: year 1
    at +14:00 parses, though it is year 0 in UTC, where arithmetic overflows."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"The {name} “{shown(text)}” is not a date and time (YYYY-MM-DD HH:MM)."
        ) from None
    return moment


def storable_moment(moment: datetime) -> None:
    """A form validator: `moment` must be one Postgres stores and psycopg reads
    back, years 1 to 9999 in UTC (9999-12-31 23:59 in New York is year 10,000)."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            "This date and time is outside the years 1 to 9999 in UTC; choose a nearer one.",
            code="out_of_range",
        ) from None


def query_uuid(raw) -> uuid.UUID | None:
    """A key from a query string, or None when it is not one."""
    try:
        return uuid.UUID(str(raw).strip())
    except ValueError:
        return None


def query_text(raw) -> str | None:
    """Text from a query string that Postgres can compare with, or None: a NUL
    character cannot be in a text value, so a query with one would fail."""
    if raw is None or "\x00" in raw:
        return None
    return raw


def shown(text: str, limit: int = 40) -> str:
    """`text` safe and short enough to repeat back in a message."""
    text = text.replace("\x00", "\\0")
    return text if len(text) <= limit else text[: limit - 1] + "…"
