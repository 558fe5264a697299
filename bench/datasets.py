"""The benchmark's databases: one per size in the bench cluster, kept between
runs, migrated and filled by `manage.py seed_scale` (a no-op once loaded)."""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.client import BenchError

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"S": 10_000, "L": 1_000_000}


@dataclass(frozen=True)
class Dataset:
    name: str  # S, L, …
    videos: int
    url: str  # DATABASE_URL of its database

    @property
    def database(self) -> str:
        return urlsplit(self.url).path.lstrip("/")


def parse_sizes(spec: str) -> dict[str, int]:
    """ "S,L" or "S,M=100000": names of SIZES, or NAME=VIDEOS."""
    sizes = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, count = part.partition("=")
        name = name.upper()
        if count:
            sizes[name] = int(count.replace("_", ""))
        elif name in SIZES:
            sizes[name] = SIZES[name]
        else:
            raise BenchError(f"Unknown size {part!r}: use {', '.join(SIZES)} or NAME=VIDEOS.")
    if not sizes:
        raise BenchError("No sizes to measure.")
    return sizes


def dataset(server_url: str, name: str, videos: int) -> Dataset:
    """The dataset `name` on the server of `server_url` (DATABASE_URL of the stack)."""
    parts = urlsplit(server_url)
    url = urlunsplit(parts._replace(path=f"/contentops_bench_{name.lower()}"))
    return Dataset(name, videos, url)


def ensure_database(data: Dataset) -> bool:
    """Create the dataset's database when missing; True if it was made now."""
    server = urlunsplit(urlsplit(data.url)._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        if admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [data.database]
        ).fetchone():
            return False
        admin.execute(f'CREATE DATABASE "{data.database}"')
    return True


def manage(data: Dataset, env: dict, *args: str, capture: bool = False) -> str:
    """Run `manage.py args` against the dataset's database; its output shows as progress."""
    return run_python(data.url, env, "manage.py", *args, capture=capture)


def django_step(data: Dataset, env: dict, module: str, *args: str) -> dict:
    """Run `python -m bench.<module> args` (Django set up against the dataset);
    it prints its progress to stderr and its result as JSON, last on stdout."""
    output = run_python(data.url, env, "-m", f"bench.{module}", *args, capture=True)
    return json.loads(output.strip().splitlines()[-1])


def run_python(url: str, env: dict, *args: str, capture: bool) -> str:
    """Python with the app's environment against the database at `url`."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**env, "DATABASE_URL": url},
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    if result.returncode != 0:
        raise BenchError(f"`{' '.join(args)}` failed (exit {result.returncode}).")
    return result.stdout or ""


def connect(data: Dataset) -> psycopg.Connection:
    return psycopg.connect(data.url, autocommit=True)
