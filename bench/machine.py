"""What the benchmark ran on."""

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def _os() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def describe(connection) -> dict[str, str]:
    import django

    kib = _first("/proc/meminfo", "MemTotal").split()[0]
    ram = f"{int(kib) / 1024 / 1024:.1f} GiB" if kib.isdigit() else "?"
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain") else ""
    settings = ", ".join(
        f"{name} {connection.execute(f'SHOW {name}').fetchone()[0]}"
        for name in ("shared_buffers", "work_mem", "effective_cache_size")
    )
    return {
        "CPU": _first("/proc/cpuinfo", "model name"),
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": _os(),
        "Postgres": connection.execute("SHOW server_version").fetchone()[0] + f" ({settings})",
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "git commit": _git("rev-parse", "--short", "HEAD") + dirty,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
