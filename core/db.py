"""Database-side defaults exactly as the seed schema writes them, and reading
timestamps Python cannot hold.

Django's own `Now()` renders `STATEMENT_TIMESTAMP()` and `RandomUUID()` renders
`gen_random_uuid()`; the contract with the pipeline is the seed's DDL, so the
models name the seed's functions.
"""

from datetime import UTC, date, datetime

from django.db import models
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg import DataError
from psycopg.types.datetime import DateLoader, TimestampLoader


class SeedNow(models.Func):
    template = "now()"
    output_field = models.DateTimeField()


class SeedUUID(models.Func):
    template = "uuid_generate_v4()"
    output_field = models.UUIDField()


# Timestamps psycopg cannot read.
#
# Postgres stores timestamps up to 294276 AD, 'infinity' and BC dates; Python's
# datetime stops at 9999. A row holding such a value, written by any program,
# would raise on every read of it: a page listing it answers 500 and a worker
# sweeping it stops for good. Reads clamp it to a sentinel instead, a day inside
# Python's range so converting it to any time zone still works (values in that
# last day are clamped too); pages can show the sentinels as "out of range".
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
NAIVE = (EARLIEST.replace(tzinfo=None), LATEST.replace(tzinfo=None))
DAYS = (EARLIEST.date(), LATEST.date())


def out_of_range(value) -> bool:
    """Whether `value` is a sentinel a database read put for a timestamp or
    date outside what Python can hold and show."""
    if isinstance(value, datetime):
        low, high = NAIVE if value.tzinfo is None else (EARLIEST, LATEST)
    elif isinstance(value, date):
        low, high = DAYS
    else:
        return False
    return not low < value < high


def _clamped(load, low, high):
    """`load`, reading values past `low` or `high` as `low` or `high`."""

    def clamped_load(self, data):
        try:
            value = load(self, data)
        except DataError as error:
            if "too large" in str(error):
                return high
            if "too small" in str(error):
                return low
            raise
        return min(max(value, low), high)

    return clamped_load


def register_clamping_loaders(*, sender=None, connection, **kwargs) -> None:
    """Make this Django connection read out-of-range timestamps and dates as
    sentinels (connected to `connection_created`)."""
    if connection.vendor != "postgresql":
        return
    tz = connection.timezone  # Django re-registers its own loader on a mismatch
    aware = (EARLIEST, LATEST) if tz is not None else NAIVE
    loaders = {
        "timestamptz": type(
            "ClampedTzLoader",
            (BaseTzLoader,),
            {"timezone": tz, "load": _clamped(BaseTzLoader.load, *aware)},
        ),
        "timestamp": type(
            "ClampedLoader", (TimestampLoader,), {"load": _clamped(TimestampLoader.load, *NAIVE)}
        ),
        "date": type(
            "ClampedDateLoader", (DateLoader,), {"load": _clamped(DateLoader.load, *DAYS)}
        ),
    }
    for name, loader in loaders.items():
        connection.connection.adapters.register_loader(name, loader)
