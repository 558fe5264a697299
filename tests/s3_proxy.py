"""A real HTTP proxy on 127.0.0.1 in front of the test S3, which shows whether
the app asks S3 about several objects at once.

The app's endpoint is pointed at it; it forwards each request as it came (the
Host header too, which the signature covers) and relays the answer. A request
whose method is in `hold` ({"HEAD": 3}) waits, before it is forwarded, until
that many requests of its method are in flight at once (or `patience` seconds
pass, so a client that asks one at a time still gets its answers, slowly):
`most_in_flight` then tells requests that overlapped from requests made one
after another, whatever the machine's speed.
"""

import http.client
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class S3Proxy:
    """`with S3Proxy(upstream) as proxy:` serves at `proxy.url` until the block ends."""

    def __init__(self, upstream: str, *, hold: dict, patience: float = 3.0):
        self.upstream = urlsplit(upstream)
        self.hold, self.patience = hold, patience
        self.received: list[tuple[str, str]] = []  # (method, path) in arrival order
        self.in_flight: Counter = Counter()
        self.most_in_flight: Counter = Counter()  # by method
        self.changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        with self.changed:
            # Let held requests go: the app's threads must not wait on a finished test.
            self.hold = {}
            self.changed.notify_all()
        self.server.shutdown()
        self.server.server_close()

    def methods(self) -> list[str]:
        return [method for method, _ in self.received]

    def arrive(self, method: str, path: str) -> None:
        with self.changed:
            self.received.append((method, path))
            self.in_flight[method] += 1
            self.most_in_flight[method] = max(self.most_in_flight[method], self.in_flight[method])
            self.changed.notify_all()
            if method in self.hold:
                self.changed.wait_for(
                    lambda: self.most_in_flight[method] >= self.hold.get(method, 0),
                    self.patience,
                )

    def leave(self, method: str) -> None:
        with self.changed:
            self.in_flight[method] -= 1

    def forward(self, method: str, path: str, headers, body: bytes):
        upstream = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=30
        )
        try:
            sent = {name: value for name, value in headers if name.lower() != "expect"}
            upstream.request(method, path, body=body or None, headers=sent)
            answer = upstream.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            upstream.close()


def _handler(proxy: S3Proxy):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            proxy.arrive(self.command, self.path)
            try:
                status, headers, content = proxy.forward(
                    self.command, self.path, self.headers.items(), body
                )
            finally:
                proxy.leave(self.command)
            self.send_response_only(status)
            for name, value in headers:
                if name.lower() not in ("transfer-encoding", "connection"):
                    self.send_header(name, value)
            if not any(name.lower() == "content-length" for name, _ in headers):
                self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _relay

        def log_message(self, *args):
            pass

    return Handler
