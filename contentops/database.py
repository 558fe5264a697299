"""The replica's database settings, checked before anything connects."""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def replica_database(
    url: str, *, primary: dict, sticky_seconds: int, max_lag_seconds: float
) -> dict:
    """DATABASE_REPLICA_URL parsed with the primary's connection options."""
    check_replica_timing(sticky_seconds=sticky_seconds, max_lag_seconds=max_lag_seconds)
    try:
        replica = dj_database_url.parse(
            url, conn_max_age=primary["CONN_MAX_AGE"], conn_health_checks=True
        )
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL is not a database URL: {error}") from None
    if replica["ENGINE"] != primary["ENGINE"]:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must name a PostgreSQL server (postgres://…), "
            "a streaming replica of DATABASE_URL's."
        )
    if not replica.get("NAME"):
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name the database (…/contentops).")
    # A replica that does not answer must cost a page seconds, not minutes:
    # libpq waits forever by default. A timeout in the URL wins.
    replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # A replica refuses writes; Django's own test databases stay on the primary.
    replica["TEST"] = {"MIRROR": "default"}
    return replica


def check_replica_timing(*, sticky_seconds: int, max_lag_seconds: float) -> None:
    if not max_lag_seconds > 0:
        raise ImproperlyConfigured("DATABASE_REPLICA_MAX_LAG_SECONDS must be above 0.")
    if sticky_seconds <= max_lag_seconds:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_STICKY_SECONDS must be above DATABASE_REPLICA_MAX_LAG_SECONDS: "
            "else a person's own change could still be missing from the replica "
            "when their reads go back to it."
        )
