"""Publish workers' heartbeats: each sweep records that its worker is alive."""

import os
import socket
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from monitoring.models import WorkerHeartbeat


def worker_name() -> str:
    """This process as publishing.worker.Worker names itself by default."""
    return f"{socket.gethostname()}:{os.getpid()}"


def beat() -> None:
    """A sweep step: record that this worker is alive, and forget workers long gone."""
    now = timezone.now()
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(name=worker_name(), seen_at=now)],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["seen_at"],
    )
    prune(now=now)


def prune(*, now) -> int:
    """Delete the heartbeats of workers silent for WORKER_HEARTBEAT_PRUNE_SECONDS."""
    stale = now - timedelta(seconds=settings.WORKER_HEARTBEAT_PRUNE_SECONDS)
    deleted, _ = WorkerHeartbeat.objects.filter(seen_at__lt=stale).delete()
    return deleted
