"""Private services for the fault tests: a Postgres cluster, a SeaweedFS S3 and
the app's own processes, so a fault injected here never reaches the shared
test stack or another test.

Postgres comes from the machine's binaries (as scripts/stack.sh finds them),
SeaweedFS from the venv the tests run in; each lives in a temp folder of its
own, on free ports, and is removed afterwards.
"""

import http.cookiejar
import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "faults-password"


def pg_bin() -> Path:
    candidates = [Path("/usr/lib/postgresql/15/bin")]
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    on_path = shutil.which("pg_ctl")
    for found in candidates + ([Path(on_path).resolve().parent] if on_path else []):
        if all((found / name).exists() for name in ("pg_ctl", "initdb", "psql")):
            return found
    raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) are not installed")


def free_port(*, with_grpc: bool = False) -> int:
    """A port nobody listens on; with_grpc, `port + 10000` too (SeaweedFS's rule)."""
    while True:
        port = random.randint(20000, 29999) if with_grpc else _any_port()
        if all(_free(p) for p in ([port, port + 10000] if with_grpc else [port])):
            return port


def _any_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def until(condition, *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def private_folder(prefix: str) -> Path:
    # Postgres runs as `postgres` when the tests run as root: it must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix=f"contentops-{prefix}-"))
    folder.chmod(0o755)
    return folder


class PrivatePostgres:
    """A throwaway cluster with a `contentops` superuser and database."""

    def __init__(self):
        self.bin = pg_bin()
        self.folder = private_folder("pg")
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = f"postgres://contentops:contentops@127.0.0.1:{self.port}/contentops"

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_owner, *args], capture_output=True, text=True)
        assert done.returncode == 0, f"{args[0]}: {done.stderr[-2000:]}"

    def start_new(self) -> "PrivatePostgres":
        if self.as_owner:
            shutil.chown(self.folder, "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.folder}'\nmax_connections = 100\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        self.start()
        self._run(
            str(self.bin / "psql"),
            "-X",
            "-q",
            "-h",
            str(self.folder),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            "CREATE ROLE contentops LOGIN SUPERUSER PASSWORD 'contentops'",
        )
        self._run(
            str(self.bin / "createdb"),
            "-h",
            str(self.folder),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-O",
            "contentops",
            "contentops",
        )
        return self

    def pg_ctl(self, *args: str) -> None:
        log = str(self.folder / "pg.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", log, "-w", *args)

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True)

    def query(self, sql: str, *params) -> list[tuple]:
        """Rows of `sql`, asked on a connection of its own (none survives a restart)."""
        with self.connect() as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def ask_until(self, sql: str, *params, timeout: float, what: str) -> list[tuple]:
        """Rows of `sql` once there are any, asking again while the server is away."""

        def ask():
            try:
                return self.query(sql, *params)
            except psycopg.OperationalError:
                return []

        return until(ask, timeout=timeout, what=what, interval=0.2)

    def remove(self) -> None:
        try:
            self.stop()
        except AssertionError:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateS3:
    """`weed mini` with one bucket and one identity, started and killed at will."""

    ACCESS_KEY, SECRET_KEY, BUCKET = "faults", "faults-secret", "faults"

    def __init__(self):
        self.weed = Path(sys.executable).parent / "weed"
        self.folder = private_folder("s3")
        self.ports = {
            name: free_port(with_grpc=True) for name in ("s3", "master", "volume", "filer", "admin")
        }
        self.url = f"http://127.0.0.1:{self.ports['s3']}"
        self.process: subprocess.Popen | None = None
        (self.folder / "identities.json").write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "faults",
                            "credentials": [
                                {"accessKey": self.ACCESS_KEY, "secretKey": self.SECRET_KEY}
                            ],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )

    def env(self) -> dict:
        return {
            "S3_ENDPOINT_URL": self.url,
            "S3_BUCKET": self.BUCKET,
            "S3_ACCESS_KEY_ID": self.ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": self.SECRET_KEY,
            "S3_REGION": "us-east-1",
        }

    def start(self) -> "PrivateS3":
        p, f = self.ports, self.folder
        flags = [
            f"-dir={f / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            *(f"-{name}.port={p[name]}" for name in ("master", "volume", "filer", "s3")),
            *(
                f"-{name}.port.grpc={p[name] + 10000}"
                for name in ("master", "volume", "filer", "s3")
            ),
            f"-filer.localSocket={f / 'filer.sock'}",
            f"-s3.localSocket={f / 's3.sock'}",
            f"-s3.config={f / 'identities.json'}",
            "-s3.iam=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            f"-admin.port={p['admin']}",
            f"-admin.port.grpc={p['admin'] + 10000}",
            f"-bucket={self.BUCKET}",
        ]
        (f / "data").mkdir(exist_ok=True)
        (f / "mini.options").unlink(missing_ok=True)
        (f / "data" / "mini.options").unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [str(self.weed), "mini", *flags],
            stdin=subprocess.DEVNULL,
            stdout=(f / "weed.log").open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        bucket = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "s3_bucket.py"), "--create", "--timeout", "60"],
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
        )
        assert bucket.returncode == 0, bucket.stderr + (f / "weed.log").read_text()[-3000:]
        return self

    def kill(self) -> None:
        """Gone at once, as when the S3 host dies."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


class App:
    """The app's processes (manage.py commands, a server, workers) on private services."""

    def __init__(self, postgres: PrivatePostgres, s3: PrivateS3, folder: Path, **settings: str):
        self.folder = folder
        self.env = {
            **os.environ,
            "DATABASE_URL": postgres.url,
            **s3.env(),
            # As `make run` does: DEBUG on, plain HTTP.
            "DEBUG": "1",
            "SECRET_KEY": "faults-insecure-key",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            **settings,
        }
        self.processes: list[subprocess.Popen] = []

    def manage(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stderr[-4000:]}"
        return done.stdout

    def python(self, code: str) -> str:
        """Run `code` in the app's Django (manage.py shell) and return what it printed."""
        return self.manage("shell", "--no-imports", "-c", code)

    def spawn(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        log = self.folder / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log = log
        self.processes.append(process)
        return process

    def serve(self) -> str:
        port = free_port()
        self.spawn("server", "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}")
        base = f"http://127.0.0.1:{port}"
        until(lambda: _answers(base), timeout=60, what="the server to answer")
        return base

    def workers(self, count: int) -> list[subprocess.Popen]:
        started = [
            self.spawn(f"worker-{len(self.processes)}", "publish_worker", LOG_LEVEL="INFO")
            for _ in range(count)
        ]
        for worker in started:
            until(
                lambda w=worker: "started" in w.log.read_text(),
                timeout=60,
                what=f"a worker to start ({worker.log})",
            )
        return started

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _answers(base: str) -> bool:
    try:
        urllib.request.urlopen(f"{base}/admin/login/", timeout=5)
        return True
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


class Browser:
    """A signed-in HTTP client over urllib: cookies, CSRF token, no redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def login(self, username: str, password: str = PASSWORD) -> "Browser":
        self.get("/admin/login/")
        status, _, _ = self.post(
            "/admin/login/?next=/admin/", {"username": username, "password": password}
        )
        assert status == 302, f"login as {username} answered {status}"
        return self

    def csrf(self) -> str:
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def get(self, path: str) -> tuple[int, dict, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), **data}).encode()
        return self._open(urllib.request.Request(self.base + path, data=body))

    def upload(self, path: str, field: str, name: str, content: bytes) -> tuple[int, dict, str]:
        boundary = "----faults" + str(random.getrandbits(64))
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
            f"\r\n\r\n{self.csrf()}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        request = urllib.request.Request(self.base + path, data=b"".join(parts))
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        request.add_header("Referer", self.base + path)
        return self._open(request)

    def _open(self, request) -> tuple[int, dict, str]:
        request.add_header("Referer", self.base + "/admin/")
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


class FaultyWebhook:
    """A channel behind the webhook adapter that misbehaves as told: `mode` is
    "ok" (a remote id per idempotency key), "hang" (no answer for a minute),
    "redirect" (302 to /elsewhere, which counts who followed it) or "garbage"
    (200 with a body that is not JSON)."""

    def __init__(self):
        self.mode = "ok"
        self.published: dict[str, int] = {}  # idempotency key -> times published
        self.followed = 0  # requests that reached /elsewhere
        self.release = threading.Event()
        webhook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                webhook._answer(self)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                webhook._answer(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/publish"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def _answer(self, handler) -> None:
        if handler.path == "/elsewhere":
            self.followed += 1
            return self._send(handler, 200, b'{"remote_id": "followed-a-redirect"}')
        if self.mode == "hang":
            self.release.wait(timeout=60)
            return self._send(handler, 504, b"{}")
        if self.mode == "redirect":
            return self._send(handler, 302, b"", location="/elsewhere")
        if self.mode == "garbage":
            return self._send(handler, 200, b"<html>\x00 not json \xff")
        key = handler.headers.get("Idempotency-Key", "")
        self.published[key] = self.published.get(key, 0) + 1
        return self._send(handler, 200, json.dumps({"remote_id": f"hook-{key}"}).encode())

    @staticmethod
    def _send(handler, status: int, body: bytes, location: str | None = None) -> None:
        try:
            handler.send_response(status)
            if location:
                handler.send_header("Location", location)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the worker gave up waiting

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
