"""A real HTTP server on 127.0.0.1 playing a channel behind the webhook adapter.

By default it answers like a well-behaved channel: 200 with a remote id, the
same id again for an idempotency key it has seen (and no second publication).
`script` queues other answers (a status, a delay, a hang until released, a
redirect, or raw bytes that are no JSON object) for the next requests;
`requests` records every request it received, with its headers, and
`most_in_flight` the most it was answering at once.
"""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: dict | None = None  # None: the idempotent default
    delay: float = 0
    hang: bool = False  # wait until `release()`
    location: str | None = None  # a Location header (a redirect with a 3xx status)
    raw: bytes | None = None  # the body as it is, instead of JSON


@dataclass
class Received:
    key: str
    body: dict
    path: str = "/publish"
    headers: dict = field(default_factory=dict)


@dataclass
class ChannelState:
    requests: list[Received] = field(default_factory=list)
    published: dict = field(default_factory=dict)  # key -> remote id
    retracted: list[str] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)
    hanging: threading.Event = field(default_factory=threading.Event)
    in_flight: int = 0
    most_in_flight: int = 0


class WebhookServer:
    def __init__(self):
        self.state = ChannelState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/publish"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.state.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, *answers: Answer) -> None:
        with self.state.lock:
            self.state.script.extend(answers)

    def release(self) -> None:
        self.state.released.set()

    @property
    def requests(self) -> list[Received]:
        return list(self.state.requests)

    @property
    def published(self) -> dict:
        return dict(self.state.published)

    @property
    def in_flight(self) -> int:
        return self.state.in_flight

    @property
    def most_in_flight(self) -> int:
        return self.state.most_in_flight


class _Handler(BaseHTTPRequestHandler):
    state: ChannelState

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers.get("Idempotency-Key", "")
        with self.state.lock:
            self.state.requests.append(Received(key, body, self.path, dict(self.headers)))
            answer = self.state.script.pop(0) if self.state.script else Answer()
            self.state.in_flight += 1
            self.state.most_in_flight = max(self.state.most_in_flight, self.state.in_flight)
        try:
            self._answer(key, body, answer)
        finally:
            with self.state.lock:
                self.state.in_flight -= 1

    def _answer(self, key: str, body: dict, answer: Answer) -> None:
        status, document = answer.status, answer.body
        if document is None and status < 300:
            # The channel acts before it answers: a client that never hears
            # back has still published.
            document = self._idempotent(key, body)
        if answer.hang:
            self.state.hanging.set()
            self.state.released.wait(timeout=60)
        if answer.delay:
            self.state.released.wait(timeout=answer.delay)
        payload = answer.raw if answer.raw is not None else json.dumps(document or {}).encode()
        self._send(status, payload, location=answer.location)

    def _idempotent(self, key: str, body: dict) -> dict:
        with self.state.lock:
            if body.get("action") == "retract":
                self.state.retracted.append(body["remote_id"])
                return {}
            if key not in self.state.published:
                self.state.published[key] = f"remote-{len(self.state.published) + 1}"
            return {"remote_id": self.state.published[key]}

    def _send(self, status: int, payload: bytes, *, location: str | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout, or a killed worker)
