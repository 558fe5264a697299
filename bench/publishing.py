"""Publish-worker throughput: K `manage.py publish_worker` processes on the
local channel, emptying a queue of approved videos the bench makes itself.

Django side (`python -m bench.publishing prepare|timing|cleanup`): make M
ready videos with real files in S3 and approve each through
`publishing.approval.approve_publish`, scheduled an hour ahead so nothing is
due while the workers start; read how long the workers took from the task
history; delete the bench's rows again. The orchestrator side (`run`) starts
the workers, makes the tasks due, waits until the queue is empty, stops them.
"""

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.djangoside import progress, result, setup

TITLE = "bench-publish"
CHANNEL = "local"
ROOT = Path(__file__).resolve().parent.parent
FOLDER = "var/bench/publish/local"
CHANNELS = {CHANNEL: {"adapter": "local", "label": "Local folder", "folder": FOLDER}}
KEYS = {"render": "bench/publish/render.webm", "thumbnail": "bench/publish/thumbnail.png",
        "script": "bench/publish/script.txt"}  # fmt: skip


# Django side


def bench_videos():
    from videos.models import Video

    return Video.objects.filter(title__startswith=f"{TITLE} ")


def upload_files() -> dict:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from seeding.demo_content import RENDER_WEBM, gradient_png

    content = {
        "render": RENDER_WEBM.read_bytes(),
        "thumbnail": gradient_png(b"\x20\x40\x80", b"\xe0\x90\x30"),
        "script": b"A bench script.\n",
    }
    for kind, key in KEYS.items():
        if not default_storage.exists(key):
            default_storage.save(key, ContentFile(content[kind]))
    return {kind: f"s3://{default_storage.bucket_name}/{key}" for kind, key in KEYS.items()}


def cleanup() -> int:
    from publishing.models import PublishReceipt
    from safety.models import QAClearedReport, QASample, SafetyReport
    from videos.models import Artifact, Task

    videos = bench_videos()
    PublishReceipt.objects.filter(video__in=videos).delete()
    # The clearing reports (and what QA drew of them) before their tasks.
    reports = SafetyReport.objects.filter(task__video__in=videos)
    QASample.objects.filter(report__in=reports).delete()
    QAClearedReport.objects.filter(report_id__in=reports.values("pk")).delete()
    reports.delete()
    Task.objects.filter(video__in=videos).delete()
    Artifact.objects.filter(video__in=videos).delete()
    count, _ = videos.delete()
    shutil.rmtree(ROOT / FOLDER, ignore_errors=True)
    return count


def prepare(count: int) -> dict:
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench.fixtures import EDITOR
    from personas.models import Persona
    from publishing import approval, channels, locks
    from safety.models import SafetyReport
    from videos.models import Artifact, Task, TaskStatus, TaskType, Video, VideoStatus

    cleanup()
    channels.sync_permissions()
    editor = get_user_model().objects.get(username=EDITOR)
    paths = upload_files()
    persona, _ = Persona.objects.get_or_create(name="Bench publisher")
    when = timezone.now() + timedelta(hours=1)
    progress(f"publish: approving {count} videos for the {CHANNEL} channel")
    for n in range(count):
        video = Video.objects.create(
            title=f"{TITLE} {n:04d}", persona=persona, status=VideoStatus.READY
        )
        Artifact.objects.bulk_create(
            Artifact(video=video, kind=kind, s3_path=path) for kind, path in paths.items()
        )
        # The pipeline's safety check, written after the files, clears them as
        # they are (safety.clearance): without it nothing may be approved.
        check = Task.objects.create(
            video=video, type=TaskType.SAFETY_CHECK, status=TaskStatus.SUCCEEDED
        )
        SafetyReport.objects.create(task=check, score=0.05, issues=[], requires_human_review=False)
        approval.approve_publish(
            video_id=video.pk,
            editor=editor,
            channel_names=[CHANNEL],
            video_version=video.state_version,
            artifacts_seen=approval.fingerprint(approval.publish_set(video.pk)),
            not_before=when,
        )
    foreign = locks.due(when + timedelta(minutes=1)).exclude(video__in=bench_videos()).count()
    return {"tasks": count, "foreign_due": foreign}


def timing() -> dict:
    from django.apps import apps
    from django.db.models import Count, Max, Min

    from publishing.models import PublishReceipt
    from videos.models import Task

    tasks = Task.objects.filter(video__in=bench_videos(), type="publish").values("pk")
    events = apps.get_model("videos", "TaskEvent").objects.filter(pgh_obj_id__in=tasks)
    first = events.filter(status="running").aggregate(t=Min("pgh_created_at"))["t"]
    last = events.filter(status__in=["succeeded", "failed", "cancelled"]).aggregate(
        t=Max("pgh_created_at")
    )["t"]
    receipts = (
        PublishReceipt.objects.filter(video__in=bench_videos())
        .values("status")
        .annotate(n=Count("pk"))
    )
    return {
        "seconds": (last - first).total_seconds() if first and last else 0.0,
        "outcomes": {row["status"]: row["n"] for row in receipts},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["prepare", "timing", "cleanup"])
    parser.add_argument("--tasks", type=int, default=300)
    args = parser.parse_args()
    setup()
    if args.step == "prepare":
        result(prepare(args.tasks))
    elif args.step == "timing":
        result(timing())
    else:
        result({"deleted": cleanup()})


# Orchestrator side

DUE = """
UPDATE tasks SET not_before = now()
  FROM videos
 WHERE tasks.video_id = videos.video_id AND videos.title LIKE %s AND tasks.type = 'publish'
"""
LEFT = """
SELECT count(*) FROM tasks JOIN videos USING (video_id)
 WHERE videos.title LIKE %s AND tasks.type = 'publish' AND tasks.status IN ('queued', 'running')
"""


def run(connection, env: dict, workers: int, log_dir: Path, timeout: float = 900) -> None:
    """Start `workers` publish workers, make the bench's tasks due, wait until
    none is left, stop the workers."""
    processes = []
    try:
        for n in range(workers):
            log = log_dir / f"publish-worker-{workers}-{n}.log"
            processes.append(
                (
                    subprocess.Popen(
                        [sys.executable, "manage.py", "publish_worker"],
                        cwd=ROOT,
                        env=env,
                        stdout=log.open("w"),
                        stderr=subprocess.STDOUT,
                    ),
                    log,
                )
            )
        deadline = time.monotonic() + 120
        while not all("started" in log.read_text() for _, log in processes):
            if time.monotonic() > deadline or any(p.poll() is not None for p, _ in processes):
                raise RuntimeError(f"publish workers did not start; see {log_dir}")
            time.sleep(0.1)
        pattern = f"{TITLE} %"
        connection.execute(DUE, [pattern])
        deadline = time.monotonic() + timeout
        while connection.execute(LEFT, [pattern]).fetchone()[0]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"publish workers did not empty the queue; see {log_dir}")
            time.sleep(0.05)
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in processes:
            process.wait(timeout=60)


def channels_env() -> str:
    return json.dumps(CHANNELS)


if __name__ == "__main__":
    sys.exit(main())
