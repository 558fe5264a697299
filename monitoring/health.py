"""Is this app server fit to serve? Three cheap checks for load balancers.

Each answers ok or failing, never why: the reason (a hostname, a driver's
message) stays in the log, and the body of /health/ is public.
"""

import logging
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import storages
from django.db import DatabaseError, connection
from django.utils import timezone

from monitoring import readings

log = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        log.warning("Health: the database failed", exc_info=True)
        _close_quietly()
        return False


def s3_ok() -> bool:
    """The artifacts' bucket answers (HEAD bucket, with the app's short timeouts)."""
    storage = storages["default"]
    try:
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        return True
    except (BotoCoreError, ClientError):
        log.warning("Health: S3 failed", exc_info=True)
        return False


def worker_ok() -> bool:
    """A publish worker swept within HEALTH_HEARTBEAT_MAX_AGE_SECONDS."""
    try:
        newest = readings.newest_heartbeat()
    except DatabaseError:
        _close_quietly()
        return False
    limit = timedelta(seconds=settings.HEALTH_HEARTBEAT_MAX_AGE_SECONDS)
    return newest is not None and timezone.now() - newest <= limit


CHECKS = {"database": database_ok, "s3": s3_ok, "worker": worker_ok}


def report() -> dict[str, str]:
    """Each check's name -> "ok" or "failing"."""
    return {name: "ok" if check() else "failing" for name, check in CHECKS.items()}


def _close_quietly() -> None:
    try:
        connection.close()
    except DatabaseError:
        pass
