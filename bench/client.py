"""An HTTP client for the bench: one logged-in admin session, timed requests.

Plain http.client (no dependencies); cookies are kept by hand, so the
session works over plain HTTP against a server in production mode.
"""

import http.client
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

TIMING = re.compile(r'app;dur=([\d.]+).*?db;dur=([\d.]+);desc="(\d+) quer')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class BenchError(Exception):
    """Something the benchmark needs did not work; the message says what."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    client_ms: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def server_timing(self) -> tuple[float, int, float]:
        """(app time in ms, query count, their time in ms) from the Server-Timing header."""
        match = TIMING.search(self.headers.get("server-timing", ""))
        if not match:
            raise BenchError(
                "The response has no Server-Timing header: is the server running "
                "with SERVER_TIMING=1?"
            )
        return float(match[1]), int(match[3]), float(match[2])


class Session:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(host, port, timeout=300)

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        start = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            raw = self.connection.getresponse()
            payload = raw.read()
        except (http.client.HTTPException, OSError):
            # gunicorn's sync workers close every connection: open a new one.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            raw = self.connection.getresponse()
            payload = raw.read()
        client_ms = (time.perf_counter() - start) * 1000
        for value in raw.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        headers = {k.lower(): v for k, v in raw.headers.items()}
        return Response(raw.status, headers, payload, client_ms)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Response:
        return self.request("POST", path, form)

    def log_in(self, username: str, password: str) -> None:
        page = self.get("/admin/login/")
        token = CSRF_FIELD.search(page.body.decode())
        if page.status != 200 or not token:
            raise BenchError(f"GET /admin/login/ answered {page.status} without a login form.")
        answer = self.post(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        )
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise BenchError(f"Could not log in as {username} (answer {answer.status}).")

    def close(self) -> None:
        self.connection.close()
