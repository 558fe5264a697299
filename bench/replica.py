"""List throughput with the reads split between the primary and its replica.

Several clients (threads, each its own signed-in session) request the list
pages round-robin for a fixed time against gunicorn, twice: reading only
from the primary, then with DATABASE_REPLICA_URL pointing at the bench
stack's streaming replica (BENCH_DATABASE_REPLICA_URL, started by
`scripts/stack.sh bench`). Requests per second and server times are the
result; the replica's own transaction count shows the reads went there.
"""

import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.client import BenchError, Session
from bench.server import Gunicorn

# The cookie that keeps a person who just wrote on the primary (signing in
# writes); the clients drop it, as it lapses for people after a while.
PRIMARY_COOKIE = "contentops_primary_until"


@dataclass
class Throughput:
    mode: str  # "primary only" or "replica"
    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    server_ms: list[float] = field(default_factory=list)
    replica_transactions: int | None = None  # on the replica, during the run

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.server_ms) if self.server_ms else 0.0

    @property
    def p95(self) -> float:
        ordered = sorted(self.server_ms)
        return ordered[max(0, int(0.95 * len(ordered) + 0.999) - 1)] if ordered else 0.0


def database_on(server_url: str, dataset_url: str) -> str:
    """The dataset's database on the server of `server_url`."""
    return urlunsplit(urlsplit(server_url)._replace(path=urlsplit(dataset_url).path))


def replica_transactions(replica_url: str) -> int:
    database = urlsplit(replica_url).path.lstrip("/")
    with psycopg.connect(replica_url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            [database],
        ).fetchone()
    return int(row[0]) if row else 0


def hammer(port: int, paths: list[str], *, clients: int, seconds: float, log_in) -> Throughput:
    """`clients` sessions over `paths` for `seconds`, all starting together."""
    sessions = [Session("127.0.0.1", port) for _ in range(clients)]
    for session in sessions:
        log_in(session)
        session.cookies.pop(PRIMARY_COOKIE, None)
    found = Throughput("", clients, seconds)
    lock, start = threading.Lock(), threading.Barrier(clients)

    def client(n: int, session: Session) -> None:
        start.wait(timeout=300)
        deadline, turn = time.monotonic() + seconds, n
        while time.monotonic() < deadline:
            response = session.get(paths[turn % len(paths)])
            turn += 1
            with lock:
                if response.status != 200:
                    found.errors += 1
                    continue
                found.requests += 1
                found.server_ms.append(response.server_timing()[0])

    threads = [threading.Thread(target=client, args=(n, s)) for n, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def compare(*, env: dict, dataset_url: str, paths: list[str], port: int, workers: int,
            clients: int, seconds: float, log_in, logs: Path) -> list[Throughput]:  # fmt: skip
    """The lists' throughput reading only the primary, then through the replica."""
    server = env.get("BENCH_DATABASE_REPLICA_URL", "")
    if not server:
        raise BenchError("BENCH_DATABASE_REPLICA_URL is not set: the bench stack starts a replica.")
    replica_url = database_on(server, dataset_url)
    modes = [
        ("primary only", {}),
        ("replica", {"DATABASE_REPLICA_URL": replica_url}),
    ]
    results = []
    for mode, extra in modes:
        log = logs / f"gunicorn-replica-{mode.split()[0]}.log"
        with Gunicorn(env={**env, **extra}, port=port, workers=workers, log=log):
            before = replica_transactions(replica_url)
            found = hammer(port, paths, clients=clients, seconds=seconds, log_in=log_in)
            found.replica_transactions = replica_transactions(replica_url) - before
        found.mode = mode
        results.append(found)
    return results


def section(results: list[Throughput], *, pages: list[str]) -> list[str]:
    """The report's Markdown section (empty when the step did not run)."""
    if not results:
        return []
    header = (
        "| reads | clients | seconds | requests/s | median ms | p95 ms | errors | replica xacts |"
    )
    lines = ["", "## List throughput with a read replica", "", header, "|" + " --- |" * 8]
    for r in results:
        lines.append(
            f"| {r.mode} | {r.clients} | {r.seconds:.0f} | {r.per_second:.1f} | {r.median:.1f} "
            f"| {r.p95:.1f} | {r.errors} | {r.replica_transactions} |"
        )
    lines += [
        "",
        "Clients request these lists round-robin, all at once, for a fixed time: "
        + ", ".join(f"`{p}`" for p in pages)
        + ". The replica is a streaming replica on the same machine (same cores); "
        "replica xacts are the transactions it served meanwhile.",
    ]
    return lines
