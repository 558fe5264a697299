"""The bench times a page on every dataset in turn, request by request, so a
busy minute of the machine falls on every size alike."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.client import BenchError, Session
from bench.pages import measure_side_by_side


class Recording(BaseHTTPRequestHandler):
    """Answers every GET with a Server-Timing header, noting the paths asked."""

    asked: list[str] = []

    def do_GET(self):
        self.asked.append(self.path)
        status = 500 if self.path == "/broken" else 200
        self.send_response(status)
        self.send_header("Server-Timing", 'app;dur=12.5, db;dur=2.5;desc="3 queries"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Recording.asked = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_the_datasets_take_turns_request_by_request(server):
    session = Session("127.0.0.1", server.server_address[1])
    small, large = measure_side_by_side(
        [(session, "/small"), (session, "/large")], warmup=1, requests=3
    )
    assert Recording.asked == ["/small", "/large"] * 4
    # The warm-up is not timed; the rest are, from the Server-Timing header.
    assert small.server_ms == large.server_ms == [12.5] * 3
    assert small.queries == [3] * 3 and small.db_ms == [2.5] * 3


def test_a_page_that_fails_stops_the_run(server):
    session = Session("127.0.0.1", server.server_address[1])
    with pytest.raises(BenchError, match="/broken answered 500"):
        measure_side_by_side([(session, "/fine"), (session, "/broken")], warmup=0, requests=2)
