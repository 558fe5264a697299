"""core.cell_formats shows dates and times as Django's changelist does: the same
text as `display_for_field` for any value, format, language and time zone."""

import datetime
import zoneinfo

from django.contrib.admin.utils import display_for_field
from django.db import models
from django.test import override_settings
from django.utils import dateformat, formats, timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from core import cell_formats

LANGUAGES = ["en-us", "en-gb", "de", "fr", "ja", "ru", "pt-br", "ar"]
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"]
# Every format character Django knows, with literal and escaped text between.
PIECES = list("aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ") + [" ", ", ", "\\\\", "\\j", "x"]

datetimes = st.datetimes(
    min_value=datetime.datetime(1900, 1, 1),
    max_value=datetime.datetime(2200, 12, 31),
    timezones=st.sampled_from([datetime.UTC, zoneinfo.ZoneInfo("Pacific/Chatham")]),
)
format_strings = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)

EXAMPLES = settings(max_examples=400, deadline=None)


def in_locale(language, zone, check):
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        check()


@EXAMPLES
@given(
    value=datetimes,
    language=st.sampled_from(LANGUAGES),
    zone=st.sampled_from(ZONES),
)
def test_a_datetime_cell_reads_as_djangos(value, language, zone):
    field = models.DateTimeField()

    def check():
        assert cell_formats.field_format(field)(value) == display_for_field(value, field, "-")

    in_locale(language, zone, check)


@EXAMPLES
@given(value=st.dates(), language=st.sampled_from(LANGUAGES))
def test_a_date_cell_reads_as_djangos(value, language):
    field = models.DateField()

    def check():
        assert cell_formats.field_format(field)(value) == display_for_field(value, field, "-")

    in_locale(language, "UTC", check)


@EXAMPLES
@given(value=st.times(), language=st.sampled_from(LANGUAGES))
def test_a_time_cell_reads_as_djangos(value, language):
    field = models.TimeField()

    def check():
        assert cell_formats.field_format(field)(value) == display_for_field(value, field, "-")

    in_locale(language, "UTC", check)


@EXAMPLES
@given(
    value=datetimes,
    format_string=format_strings,
    language=st.sampled_from(LANGUAGES),
    zone=st.sampled_from(ZONES),
)
def test_any_datetime_format_reads_as_djangos(value, format_string, language, zone):
    def check():
        local = timezone.template_localtime(value)
        assert cell_formats.datetime_format(format_string)(value) == dateformat.format(
            local, format_string
        )

    in_locale(language, zone, check)


def test_a_naive_datetime_is_not_converted():
    naive = datetime.datetime(2026, 3, 1, 23, 30)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):
        shown = cell_formats.datetime_format(formats.get_format("DATETIME_FORMAT"))(naive)
    assert shown == "March 1, 2026, 11:30 p.m."


def test_a_format_reading_the_time_zone_is_left_to_django():
    value = datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        shown = cell_formats.datetime_format("H:i T")(value)
    assert shown == "14:00 CEST"


@EXAMPLES
@given(
    value=st.one_of(
        st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False)
    ),
    language=st.sampled_from(LANGUAGES),
    grouping=st.booleans(),
)
def test_a_number_cell_reads_as_djangos(value, language, grouping):
    field = models.FloatField() if isinstance(value, float) else models.IntegerField()

    def check():
        with override_settings(USE_THOUSAND_SEPARATOR=grouping):
            shown = cell_formats.number_format(field)(value)
            assert shown == display_for_field(value, field, "-")

    in_locale(language, "UTC", check)


def test_other_fields_are_not_numbers():
    assert cell_formats.number_format(models.DecimalField()) is None
    assert cell_formats.number_format(models.BooleanField()) is None
