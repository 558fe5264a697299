"""Dates, times and numbers in list cells, as Django shows them, for a fraction
of the cost.

Django formats each date cell through `formats.localize`: it looks the format
up, builds a `DateFormat` (which checks the time zone for ambiguity) and splits
the format string again, 42-60 µs a cell, about a tenth of a list page. Here
the format is split once per page, and each of its pieces is formatted by
Django itself once per process for each value of the few fields it reads (the
date, or the hour and minute for "P"), so a cell costs a time zone conversion
and a few dictionary lookups. tests/core/test_cell_formats.py compares the two
for many values, formats and languages.

Numbers: Django looks up the locale's three separators for every cell; here
once per page.
"""

import datetime
import functools
from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.utils import dateformat, formats, numberformat, timezone, translation

# Pieces that read only the date (year, month, day).
DATE_PIECES = frozenset("bdDEFjlLmMnNoStwWyYz")
# Pieces that read only the time of day, with the fields each reads.
TIME_PIECES = {
    "a": ("hour",),
    "A": ("hour",),
    "f": ("hour", "minute"),
    "g": ("hour",),
    "G": ("hour",),
    "h": ("hour",),
    "H": ("hour",),
    "i": ("minute",),
    "P": ("hour", "minute"),
    "s": ("second",),
    "u": ("microsecond",),
}
# Every other piece (c e I O r T U Z) reads the time zone: those formats are
# left to Django, cell by cell.

Format = Callable[[datetime.date | datetime.time], str]


def field_format(field) -> Format | None:
    """value -> its text, as `display_for_field` shows a non-empty value of
    `field`, in the active language and time zone; None if `field` holds no
    date or time."""
    if isinstance(field, models.DateTimeField):
        return datetime_format(formats.get_format("DATETIME_FORMAT"))
    if isinstance(field, models.DateField):
        return _compiled(formats.get_format("DATE_FORMAT"), date_only=True) or formats.localize
    if isinstance(field, models.TimeField):
        return _compiled(formats.get_format("TIME_FORMAT"), time_only=True) or formats.localize
    return None


def number_format(field) -> Callable[[int | float], str] | None:
    """value -> its text, as `display_for_field` shows a number of `field`
    (an integer or float column; not a decimal, not a boolean), in the active
    language; None for other fields."""
    if not isinstance(field, (models.IntegerField, models.FloatField)):
        return None
    language = translation.get_language()
    separators = [
        formats.get_format(name, language, use_l10n=True)
        for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
    ]
    decimal, grouping, thousands = separators
    return lambda value: numberformat.format(
        value, decimal, None, grouping, thousands, force_grouping=False, use_l10n=True
    )


def datetime_format(format_string: str) -> Format:
    """datetime -> `formats.localize(timezone.template_localtime(value))` with
    the active locale's DATETIME_FORMAT being `format_string`."""
    compiled = _compiled(format_string)
    if compiled is None:
        return lambda value: dateformat.format(timezone.template_localtime(value), format_string)
    zone = timezone.get_current_timezone() if settings.USE_TZ else None

    def shown(value):
        if (
            zone is not None
            and value.utcoffset() is not None
            and getattr(value, "convert_to_local_time", True)
        ):
            value = value.astimezone(zone)
        return compiled(value)

    return shown


def _compiled(format_string: str, *, date_only=False, time_only=False) -> Format | None:
    """value -> `dateformat.format(value, format_string)`, piece by piece from
    the process's memory; None when a piece reads the time zone (or, for a
    date or a time alone, a piece Django would refuse)."""
    language = translation.get_language()
    allowed = DATE_PIECES if date_only else TIME_PIECES.keys() if time_only else None
    parts = []
    # Django's own split: odd items are format characters, even ones literal text.
    for index, piece in enumerate(dateformat.re_formatchars.split(str(format_string))):
        if not index % 2:
            if piece:
                parts.append(dateformat.re_escaped.sub(r"\1", piece))
            continue
        if allowed is not None and piece not in allowed:
            return None
        if piece in DATE_PIECES:
            parts.append(functools.partial(_date_piece, language, piece))
        elif piece in TIME_PIECES:
            parts.append(functools.partial(_time_piece, language, piece, TIME_PIECES[piece]))
        else:
            return None
    return lambda value: "".join([p if type(p) is str else p(value) for p in parts])


def _date_piece(language, piece, value) -> str:
    return _formatted_date(language, piece, value.year, value.month, value.day)


def _time_piece(language, piece, fields, value) -> str:
    return _formatted_time(language, piece, *[getattr(value, name) for name in fields])


@functools.lru_cache(maxsize=8192)
def _formatted_date(language, piece, year, month, day) -> str:
    # `language` keys the cache (month and day names are translated); the
    # caller formats in that language, the active one.
    return dateformat.DateFormat(datetime.date(year, month, day)).format(piece)


@functools.lru_cache(maxsize=8192)
def _formatted_time(language, piece, *fields) -> str:
    names = TIME_PIECES[piece]
    moment = datetime.time(**dict(zip(names, fields, strict=True)))
    return dateformat.TimeFormat(moment).format(piece)
