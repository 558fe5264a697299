"""Where a publish worker's time goes: one worker, in this process, empties a
queue of the bench's approvals on a channel served by another process, and
each phase of each task is timed (wall clock, per task), so what sits around
the channel call shows.

    source var/bench/env.sh   # or the bench stack's
    DATABASE_URL=.../contentops_bench_publish python -m bench.publishing_profile \
        --tasks 160 --concurrency 8 --channel slow

It prepares the tasks itself (bench/publishing.py's `prepare`), and cleans up
after. The channel server runs in a child process, so its threads do not
share this process's GIL with the worker's.
"""

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import threading
import time

from bench import publishing
from bench.djangoside import setup

SERVER = """
import sys, time
from bench.publishing import channel_server
print(channel_server().url, flush=True)
sys.stdin.read()
"""
# Functions timed on every call, as module:qualified name (those missing are skipped).
PHASES = [
    "publishing.delivery:claim_due",
    "publishing.worker:Worker._sweep",
    "publishing.worker:Worker.publish",
    "publishing.delivery:_read_claimed",  # before the call slot
    "publishing.delivery:_check",  # every check, before the slot (and in it if something changed)
    "publishing.delivery:_call_if_unchanged",  # in the slot: one query, then the call
    "publishing.delivery:_state",  # that query (and the first in each _check)
    "publishing.delivery:_check_and_call",  # the slot before the pre-check (older code)
    "publishing.delivery:_not_publishable",
    "safety.clearance:clearance_problem",
    "publishing.delivery:_manifest",
    "videos.storage:object_infos",
    "videos.storage:presigned_url",
    "publishing.channels:WebhookAdapter.publish",
    "publishing.channels:LocalAdapter.publish",
    "publishing.delivery:_record_success",
]
spans: dict[str, list[float]] = {}
calls: list[tuple[float, float]] = []  # (start, end) of each channel call
lock = threading.Lock()


def _timed(name, function):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            ended = time.perf_counter()
            with lock:
                spans.setdefault(name, []).append((ended - started) * 1000)
                if name.endswith("Adapter.publish"):
                    calls.append((started, ended))

    return timed


def instrument() -> None:
    import importlib

    for phase in PHASES:
        module_name, _, path = phase.partition(":")
        owner = importlib.import_module(module_name)
        *parents, attribute = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        if hasattr(owner, attribute):
            setattr(owner, attribute, _timed(path, getattr(owner, attribute)))


def in_flight_profile(concurrency: int) -> dict:
    """How many calls were at the channel, on average, between the first
    call's start and the last call's end; calls ended per second after the
    first wave of them (the steady rate); and the time a task held its call
    slot besides the call itself, per task (ms)."""
    if not calls:
        return {}
    start, end = min(s for s, _ in calls), max(e for _, e in calls)
    busy = sum(e - s for s, e in calls)
    ends = sorted(e for _, e in calls)
    steady = publishing.steady_rate(ends, concurrency)
    slot = spans.get("_call_if_unchanged") or spans.get("_check_and_call", [])  # now, before
    in_slot = sum(slot) - sum(v for _, v in _call_spans())
    return {"calls": len(calls), "seconds": round(end - start, 2),
            "mean_in_flight": round(busy / (end - start), 2),
            "steady_per_second": steady and round(steady, 2),
            "in_slot_ms_per_task": round(in_slot / len(calls), 1)}  # fmt: skip


def _call_spans():
    return [(name, v) for name, values in spans.items() if name.endswith("Adapter.publish")
            for v in values]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=160)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--channel", default="slow", choices=["slow", "now", "local"])
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    url = server.stdout.readline().strip()
    webhook = {"adapter": "webhook", "timeout": 30}
    from bench.publishing import CHANNELS, DUE, LEFT, TITLE

    os.environ["PUBLISH_CHANNELS"] = json.dumps({
        **CHANNELS,
        "slow": {**webhook, "label": "Slow", "url": f"{url}/slow"},
        "now": {**webhook, "label": "Now", "url": f"{url}/now"},
    })  # fmt: skip
    os.environ["LOG_LEVEL"] = "WARNING"
    setup()
    from django.db import connection

    from publishing.worker import Worker

    try:
        publishing.prepare(args.tasks, args.channel)
        instrument()
        worker = Worker(name="profile", poll=5, concurrency=args.concurrency)
        thread = threading.Thread(target=worker.run)  # as `manage.py publish_worker` runs it
        thread.start()
        worker.idle.wait(60)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(DUE, [f"{TITLE} %"])
            while _left(cursor, LEFT, f"{TITLE} %"):
                time.sleep(0.05)
        seconds = time.perf_counter() - started
        worker.stop()
        thread.join()
        handled = args.tasks
        rate = round(handled / seconds, 2)
        print(json.dumps({"tasks": handled, "seconds": round(seconds, 2), "per_second": rate,
                          **in_flight_profile(args.concurrency)}))  # fmt: skip
        for name, values in spans.items():
            print(f"{name:40} n={len(values):4} total={sum(values):8.0f} ms "
                  f"median={statistics.median(values):7.1f} p95={_p95(values):7.1f} "
                  f"max={max(values):7.1f}")  # fmt: skip
    finally:
        publishing.cleanup()
        server.stdin.close()
        server.wait()


def _left(cursor, query: str, pattern: str) -> int:
    cursor.execute(query, [pattern])
    return cursor.fetchone()[0]


def _p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


if __name__ == "__main__":
    main()
