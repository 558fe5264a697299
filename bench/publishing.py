"""Publish workers: throughput of K `manage.py publish_worker` processes
emptying a queue of approved videos the bench makes itself, on the local
channel and on a slow one (a webhook that answers after 1 s); and how soon an
idle worker publishes a task once it falls due (wake-ups).

Django side (`python -m bench.publishing prepare|timing|cleanup`): make M
ready videos with real files in S3 and approve each through
`publishing.approval.approve_publish`, scheduled an hour ahead so nothing is
due while the workers start; read how long the workers took from the task
history; delete the bench's rows again. The orchestrator side (`run`,
`wakeups`) starts the workers, makes the tasks due, waits until the queue is
empty, stops them; `ChannelServer` is the webhook channel, in its process.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.djangoside import progress, result, setup

TITLE = "bench-publish"
CHANNEL = "local"
SLOW = "slow"  # a webhook answering after SLOW_SECONDS
NOW = "now"  # the same webhook answering at once: when did the call arrive
SLOW_SECONDS = 1.0
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


def prepare(count: int, channel: str = CHANNEL) -> dict:
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
    progress(f"publish: approving {count} videos for the {channel} channel")
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
            channel_names=[channel],
            video_version=video.state_version,
            artifacts_seen=approval.fingerprint(approval.publish_set(video.pk)),
            not_before=when,
        )
    foreign = locks.due(when + timedelta(minutes=1)).exclude(video__in=bench_videos()).count()
    return {"tasks": count, "foreign_due": foreign}


def timing(wave: int = 0) -> dict:
    """Seconds from the first claim to the last task done, as the task history
    records them, and the outcomes. With `wave` (calls at once: workers times
    concurrency), also the steady rate: tasks done per second from the end of
    the first wave to the last task done, which leaves out the ramp (claiming
    and checking the first tasks) that the span counts once per run."""
    from django.apps import apps
    from django.db.models import Count, Min

    from publishing.models import PublishReceipt
    from videos.models import Task

    tasks = Task.objects.filter(video__in=bench_videos(), type="publish").values("pk")
    events = apps.get_model("videos", "TaskEvent").objects.filter(pgh_obj_id__in=tasks)
    first = events.filter(status="running").aggregate(t=Min("pgh_created_at"))["t"]
    done = sorted(
        events.filter(status__in=["succeeded", "failed", "cancelled"]).values_list(
            "pgh_created_at", flat=True
        )
    )
    receipts = (
        PublishReceipt.objects.filter(video__in=bench_videos())
        .values("status")
        .annotate(n=Count("pk"))
    )
    return {
        "seconds": (done[-1] - first).total_seconds() if first and done else 0.0,
        "steady_per_second": steady_rate([t.timestamp() for t in done], wave),
        "outcomes": {row["status"]: row["n"] for row in receipts},
    }


def steady_rate(done: list[float], wave: int) -> float | None:
    """Tasks done per second after the first `wave` of them (times in seconds,
    sorted): None when there is no second wave to measure."""
    if wave < 1 or len(done) <= wave or done[-1] <= done[wave - 1]:
        return None
    return (len(done) - wave) / (done[-1] - done[wave - 1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["prepare", "timing", "cleanup"])
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--channel", default=CHANNEL)
    parser.add_argument("--wave", type=int, default=0, help="calls at once (timing)")
    args = parser.parse_args()
    setup()
    if args.step == "prepare":
        result(prepare(args.tasks, args.channel))
    elif args.step == "timing":
        result(timing(args.wave))
    else:
        result({"deleted": cleanup()})


# Orchestrator side

DUE = """
UPDATE tasks SET not_before = now()
  FROM videos
 WHERE tasks.video_id = videos.video_id AND videos.title LIKE %s AND tasks.type = 'publish'
"""
# One after another over the spread, in title order, starting a second from now.
SPREAD = """
UPDATE tasks SET not_before = now() + interval '1 second'
       + (%s * (row_number - 1) / greatest(total - 1, 1)) * interval '1 second'
  FROM (SELECT tasks.task_id, row_number() OVER (ORDER BY videos.title) AS row_number,
               count(*) OVER () AS total
          FROM tasks JOIN videos USING (video_id)
         WHERE videos.title LIKE %s AND tasks.type = 'publish') AS spread
 WHERE tasks.task_id = spread.task_id
"""
LEFT = """
SELECT count(*) FROM tasks JOIN videos USING (video_id)
 WHERE videos.title LIKE %s AND tasks.type = 'publish' AND tasks.status IN ('queued', 'running')
"""
# When the worker claimed each task, from the task history: the wake-up alone.
CLAIMED = """
SELECT extract(epoch FROM min(events.pgh_created_at) - tasks.not_before) * 1000
  FROM videos_taskevent events JOIN tasks ON tasks.task_id = events.pgh_obj_id
  JOIN videos ON videos.video_id = tasks.video_id
 WHERE videos.title LIKE %s AND tasks.type = 'publish' AND events.status = 'running'
 GROUP BY tasks.task_id, tasks.not_before
"""
SCHEDULED = """
SELECT publish_receipts.publish_id::text, extract(epoch FROM tasks.not_before)
  FROM tasks JOIN videos USING (video_id) JOIN publish_receipts USING (task_id)
 WHERE videos.title LIKE %s AND tasks.type = 'publish'
"""


class ChannelServer:
    """The webhook channels `slow` and `now`, served from the bench's process:
    `/slow` answers each publish after SLOW_SECONDS, `/now` at once. Counts
    the publishes in flight at once, and notes when each key's call arrived."""

    def __init__(self):
        self.arrived: dict[str, float] = {}  # idempotency key -> time.time()
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        handler = type("Handler", (_ChannelHandler,), {"server_state": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def reset(self) -> None:
        with self.lock:
            self.arrived.clear()
            self.most_in_flight = 0

    def channels(self) -> dict:
        webhook = {"adapter": "webhook", "timeout": 30}
        return {
            **CHANNELS,
            SLOW: {**webhook, "label": "Slow webhook", "url": f"{self.url}/slow"},
            NOW: {**webhook, "label": "Webhook", "url": f"{self.url}/now"},
        }


class _ChannelHandler(BaseHTTPRequestHandler):
    server_state: ChannelServer
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_POST(self):
        arrived = time.time()
        self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers.get("Idempotency-Key", "")
        state = self.server_state
        with state.lock:
            state.arrived.setdefault(key, arrived)
            state.in_flight += 1
            state.most_in_flight = max(state.most_in_flight, state.in_flight)
        try:
            if self.path == "/slow":
                time.sleep(SLOW_SECONDS)
            body = json.dumps({"remote_id": key}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with state.lock:
                state.in_flight -= 1


_SERVER: list[ChannelServer] = []


def channel_server() -> ChannelServer:
    """The one channel server of this process, started the first time."""
    if not _SERVER:
        _SERVER.append(ChannelServer())
    return _SERVER[0]


def start_workers(env: dict, count: int, log_dir: Path, label: str) -> list:
    processes = []
    for n in range(count):
        log = log_dir / f"publish-worker-{label}-{n}.log"
        process = subprocess.Popen(
            [sys.executable, "manage.py", "publish_worker"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        processes.append((process, log))
    deadline = time.monotonic() + 120
    while not all("started" in log.read_text() for _, log in processes):
        if time.monotonic() > deadline or any(p.poll() is not None for p, _ in processes):
            stop_workers(processes)
            raise RuntimeError(f"publish workers did not start; see {log_dir}")
        time.sleep(0.1)
    return processes


def stop_workers(processes) -> None:
    for process, _ in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process, _ in processes:
        process.wait(timeout=60)


def wait_until_done(connection, pattern: str, timeout: float, log_dir: Path) -> None:
    deadline = time.monotonic() + timeout
    while connection.execute(LEFT, [pattern]).fetchone()[0]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"publish workers did not empty the queue; see {log_dir}")
        time.sleep(0.05)


def run_workers(connection, env: dict, workers: int, log_dir: Path, timeout: float = 900) -> None:
    """Start `workers` publish workers, make the bench's tasks due, wait until
    none is left, stop the workers."""
    label = f"{env.get('BENCH_CHANNEL', CHANNEL)}-{workers}"
    processes = start_workers(env, workers, log_dir, label)
    try:
        pattern = f"{TITLE} %"
        connection.execute(DUE, [pattern])
        wait_until_done(connection, pattern, timeout, log_dir)
    finally:
        stop_workers(processes)


def wakeups(connection, env: dict, log_dir: Path, spread: float) -> tuple[list, list]:
    """With one idle worker (started, then left alone for a moment), make the
    bench's tasks fall due one after another over `spread` seconds from a
    second from now; the delays of each, in ms, from its `not_before` to the
    moment its call reached the channel, and to its claim."""
    server = channel_server()
    server.reset()
    processes = start_workers(env, 1, log_dir, "wakeups")
    pattern = f"{TITLE} %"
    try:
        time.sleep(2)  # past its first look at the queue: idle
        connection.execute(SPREAD, [spread, pattern])
        wait_until_done(connection, pattern, 120 + spread, log_dir)
    finally:
        stop_workers(processes)
    due = dict(connection.execute(SCHEDULED, [pattern]).fetchall())
    claimed = [float(ms) for (ms,) in connection.execute(CLAIMED, [pattern]).fetchall()]
    # A task the channel never saw (it failed before) has no delay to give.
    called = [
        (server.arrived[key] - float(at)) * 1000 for key, at in due.items() if key in server.arrived
    ]
    return called, claimed


def channels_env() -> str:
    return json.dumps(channel_server().channels())


def measure(run, env: dict, args, say, log_dir: Path) -> None:
    """The publish step of `python -m bench`: throughput on the local and the
    slow channel with each count of workers, then wake-ups; into `run`."""
    from bench import datasets, report

    # A database of its own: the datasets hold publishes scheduled by seed_scale,
    # which come due as the kept datasets age and which the workers would publish.
    data = datasets.dataset(os.environ["DATABASE_URL"], "publish", 0)
    if datasets.ensure_database(data):
        say(f"created database {data.database} for the publish workers")
    datasets.manage(data, env, "migrate", "--noinput", "-v", "0")
    datasets.django_step(data, env, "fixtures")
    concurrency = args.publish_concurrency
    worker_env = {
        **env,
        "DATABASE_URL": data.url,
        "LOG_LEVEL": "INFO",
        "PUBLISH_CONCURRENCY": str(concurrency),
    }
    counts = [int(k) for k in args.publish_workers.split(",") if k.strip()]
    run.worker_size = f"database {data.database}, holding only the bench's own videos"
    # The local channel is bound by this machine's CPU, whose speed drifts from
    # minute to minute: its counts of workers take turns, round after round.
    plans = [(CHANNEL, args.publish_tasks, args.publish_rounds), (SLOW, args.publish_slow_tasks, 1)]
    server = channel_server()
    with datasets.connect(data) as connection:
        for channel, tasks, rounds in plans:
            for round_, workers in ((r, k) for r in range(1, rounds + 1) for k in counts):
                made = _prepare(data, env, tasks, channel)
                if made["foreign_due"]:
                    run.notes.append(
                        f"Publish workers not measured: {made['foreign_due']} publish tasks of "
                        "the dataset itself are due, and the workers would publish them."
                    )
                    return
                say(f"{channel} channel: {workers} publish worker(s), {made['tasks']} tasks")
                server.reset()
                run_env = {**worker_env, "BENCH_CHANNEL": channel}
                run_workers(connection, run_env, workers, log_dir)
                wave = str(workers * concurrency)
                found = datasets.django_step(data, env, "publishing", "timing", "--wave", wave)
                result = report.WorkerResult(
                    workers, made["tasks"], found["seconds"], found["outcomes"], channel,
                    concurrency, server.most_in_flight if channel == SLOW else None,
                    found["steady_per_second"], round_,
                )  # fmt: skip
                say(f"{channel} channel: {workers} worker(s): {result.per_second:.1f} tasks/s")
                run.workers.append(result)
        _prepare(data, env, args.publish_wakeups, NOW)
        spread = args.publish_wakeups / 5  # five a second: the worker is idle between them
        delays, claimed = wakeups(connection, worker_env, log_dir, spread)
        poll = float(env.get("PUBLISH_POLL_SECONDS", 5.0))
        run.wakeups = report.WakeupResult(delays, spread, poll, claimed)
        say(f"wake-ups: {run.wakeups.verdict()}")
    datasets.django_step(data, env, "publishing", "cleanup")


def _prepare(data, env: dict, tasks: int, channel: str) -> dict:
    from bench import datasets

    return datasets.django_step(
        data, env, "publishing", "prepare", "--tasks", str(tasks), "--channel", channel
    )


if __name__ == "__main__":
    sys.exit(main())
