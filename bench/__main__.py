"""`make bench`: build the datasets, measure, print the table, write docs/benchmarks.md.

Run inside the bench stack (`scripts/stack.sh bench -- .venv/bin/python -m bench
...`), which provides DATABASE_URL (the cluster) and S3. Fast check of the
harness itself: `make bench BENCH_ARGS="--sizes S --requests 5"`.
"""

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

from bench import datasets, fixtures, machine, pages, publishing, replica, report, review
from bench.client import BenchError, Session
from bench.server import Gunicorn

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "bench" / "logs"
ANALYSIS = Path(__file__).resolve().parent / "analysis.md"
STEPS = ("pages", "review", "saves", "publish", "replica")


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def arguments(argv=None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,L", help="S, L or NAME=VIDEOS, comma-separated")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warmup", type=int, help="untimed requests first (default 3 per worker)")
    parser.add_argument("--gunicorn-workers", type=int, default=2 * cores + 1)
    parser.add_argument("--port", type=int, default=8580, help="gunicorn's port")
    parser.add_argument("--moderators", type=int, default=fixtures.MODERATORS)
    parser.add_argument("--presses", type=int, help="review next presses per moderator")
    parser.add_argument("--save-rows", type=int, default=2000, help="rows per kind of save")
    parser.add_argument("--publish-tasks", type=int, default=300)
    parser.add_argument("--publish-slow-tasks", type=int, default=160, help="on the 1 s channel")
    parser.add_argument("--publish-concurrency", type=int, default=8, help="of each worker")
    parser.add_argument("--publish-wakeups", type=int, default=30, help="tasks falling due")
    parser.add_argument("--publish-workers", default="1,2,4")
    parser.add_argument("--publish-rounds", type=int, default=3, help="on the local channel")
    parser.add_argument("--replica-clients", type=int, default=8, help="concurrent list clients")
    parser.add_argument("--replica-seconds", type=float, default=20, help="per read mode")
    parser.add_argument("--only", default=",".join(STEPS), help=f"some of {', '.join(STEPS)}")
    parser.add_argument("--no-seed", action="store_true", help="use the databases as they are")
    parser.add_argument("--output", default="docs/benchmarks.md", help="'-' writes no file")
    args = parser.parse_args(argv)
    args.warmup = args.warmup if args.warmup is not None else max(3, 3 * args.gunicorn_workers)
    args.presses = args.presses or args.requests
    args.only = {s.strip() for s in args.only.split(",") if s.strip()}
    return args


def app_env(secret_key: str) -> dict:
    """The app's environment for gunicorn, workers and Django-side steps."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP to gunicorn, no proxy in front
        "SERVER_TIMING": "1",
        # Its users sign in with a password alone: it measures pages, not sign-in.
        "TWO_FACTOR_REQUIRED": "0",
        "BENCH_STOCK_ADMIN": "1",
        "PUBLISH_CHANNELS": publishing.channels_env(),
        "LOG_LEVEL": "WARNING",
    }


def build(data: datasets.Dataset, env: dict, *, seed: bool) -> dict:
    if datasets.ensure_database(data):
        say(f"{data.name}: created database {data.database}")
    say(f"{data.name}: migrating {data.database}")
    datasets.manage(data, env, "migrate", "--noinput", "-v", "0")
    if seed:
        say(f"{data.name}: seed_scale --videos {data.videos:,} (a no-op when loaded)")
        started = time.monotonic()
        datasets.manage(data, env, "seed_scale", "--videos", str(data.videos))
        say(f"{data.name}: data ready in {time.monotonic() - started:.0f} s")
    return datasets.django_step(data, env, "fixtures")


def measure_pages(run, served: list, args) -> None:
    """Every page of every dataset, the datasets side by side: `served` holds
    (dataset, its picks, a session on its own server) for each."""
    found: dict[str, report.PageResult] = {}
    listed = [{page.name: page for page in pages.pages(picks)} for _, picks, _ in served]
    for name in dict.fromkeys(name for by_name in listed for name in by_name):
        having = [(s, by_name.get(name)) for s, by_name in zip(served, listed, strict=True)]
        having = [(data, session, page) for (data, _, session), page in having if page]
        first = having[0][2]
        result = found[name] = report.PageResult(
            name,
            is_list=first.stock is not None,
            notes={data.name: page.note for data, _, page in having},
        )
        result.ours = _side_by_side(having, lambda page: page.ours, args)
        if first.stock:
            result.stock = _side_by_side(having, lambda page: page.stock, args)
        for data, _, _ in having:
            ours, stock = result.ours[data.name], result.stock.get(data.name)
            line = f"{data.name}: {name}: {ours.median:.1f} ms median, {ours.query_count()} queries"
            say(line + (f"; stock {stock.median:.1f} ms" if stock else ""))
    run.pages = list(found.values())


def _side_by_side(having: list, path, args) -> dict:
    """{dataset name: Timing} of `path(page)` on each (dataset, session, page)."""
    timed = pages.measure_side_by_side(
        [(session, path(page)) for _, session, page in having],
        warmup=args.warmup, requests=args.requests,
    )  # fmt: skip
    return {data.name: timing for (data, _, _), timing in zip(having, timed, strict=True)}


def measure_review(data, env, args) -> report.ReviewNextResult:
    say(f"{data.name}: review next, {args.moderators} moderators at once")
    sessions = [Session("127.0.0.1", args.review_port) for _ in range(args.moderators)]
    for session, name in zip(sessions, fixtures.moderator_names(args.moderators), strict=True):
        session.log_in(name, fixtures.PASSWORD)
    result = review.review_next(sessions, warmup=3, presses=args.presses)
    result.size = data.name
    say(f"{data.name}: review next p95 {result.timing.p95:.1f} ms (server)")
    return result


def measure_replica(run, data, env, picks: dict, args) -> None:
    if not env.get("BENCH_DATABASE_REPLICA_URL"):
        run.notes.append("Replica not measured: this bench stack started no replica.")
        return
    run.replica_pages = [page.ours for page in pages.pages(picks) if page.stock]
    say(f"{data.name}: list throughput, {args.replica_clients} clients, without and with replica")
    run.replica = replica.compare(
        env=env, dataset_url=data.url, paths=run.replica_pages, port=args.port,
        workers=args.gunicorn_workers, clients=args.replica_clients,
        seconds=args.replica_seconds, logs=LOGS,
        log_in=lambda session: session.log_in(fixtures.ADMIN, fixtures.PASSWORD),
    )  # fmt: skip
    for found in run.replica:
        say(f"{data.name}: reads {found.mode}: {found.per_second:.1f} requests/s")


def measure_saves(data, env, args) -> report.SaveResult:
    say(f"{data.name}: saves, {args.save_rows:,} rows each")
    found = datasets.django_step(data, env, "saves", "--rows", str(args.save_rows))
    return report.SaveResult(found["rows"], found["rows_per_second"], size=data.name)


def measure_publish(run, env, args) -> None:
    publishing.measure(run, env, args, say, LOGS)


def main(argv=None) -> int:
    args = arguments(argv)
    if not os.environ.get("DATABASE_URL"):
        raise BenchError("DATABASE_URL is not set: run me through `make bench`.")
    LOGS.mkdir(parents=True, exist_ok=True)
    sizes = datasets.parse_sizes(args.sizes)
    env = app_env(os.environ.get("SECRET_KEY") or "bench-insecure-secret-key")
    run = report.Run(sizes=sizes, requests=args.requests)
    say("collecting static files (the server runs in production mode)")
    datasets.run_python(
        os.environ["DATABASE_URL"], env, "manage.py", "collectstatic", "--noinput", "-v", "0",
        capture=False,
    )  # fmt: skip
    built = []
    for name, videos in sizes.items():
        data = datasets.dataset(os.environ["DATABASE_URL"], name, videos)
        say(f"{name}: {videos:,} videos in {data.database}")
        built.append((data, build(data, env, seed=not args.no_seed)))
    data, picks = built[-1]
    server_env = {**env, "DATABASE_URL": data.url}
    with contextlib.ExitStack() as servers:
        # A server of its own for each dataset, all up at once: the pages are
        # measured side by side (bench.pages.measure_side_by_side).
        served = []
        for n, (each, each_picks) in enumerate(built):
            log = LOGS / f"gunicorn-{each.name}.log"
            port = args.port + n
            each_env = {**env, "DATABASE_URL": each.url}
            servers.enter_context(
                Gunicorn(env=each_env, port=port, workers=args.gunicorn_workers, log=log)
            )
            session = Session("127.0.0.1", port)
            session.log_in(fixtures.ADMIN, fixtures.PASSWORD)
            served.append((each, each_picks, session))
        if "pages" in args.only:
            measure_pages(run, served, args)
        if "review" in args.only:
            # On the last dataset's server: the others are idle.
            args.review_port = args.port + len(built) - 1
            if picks.get("report"):
                run.review_next = measure_review(data, env, args)
            else:
                run.notes.append(f"Review next not measured: {data.name} has no pending report.")
    if "replica" in args.only:
        measure_replica(run, data, server_env, picks, args)
    if "saves" in args.only:
        run.saves = measure_saves(data, env, args)
    if "publish" in args.only:
        measure_publish(run, env, args)
    with datasets.connect(data) as connection:
        run.machine = machine.describe(connection)
    run.machine["gunicorn"] = f"{args.gunicorn_workers} sync workers"
    # What the numbers cannot say (profiles, the scale past this machine) is
    # written by hand in bench/analysis.md and kept under the measured tables.
    table = report.render(run) + "\n" + ANALYSIS.read_text()
    print(table)
    if args.output != "-":
        (ROOT / args.output).write_text(table)
        say(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        say(f"ERROR: {error}")
        sys.exit(1)
