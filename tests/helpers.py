"""What test modules share: reloading rows, clients logged in as a person (with
the second factor passed, too), publishing channels and approvals, reports on
the review queue, ports and plain HTTP, and reading the HTML a page renders.

Fixtures live in the conftest files; everything a test module imports lives here."""

import re
import socket
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.html import Element, parse_html
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp, totp

from accounts import two_factor
from publishing import approval
from safety import services
from safety.models import ActionKind, SafetyReport
from tests.factories import PendingReportFactory

# Rows


def reload(obj):
    """The row as stored now, as a new object (no cached relations or permissions)."""
    return type(obj).objects.get(pk=obj.pk)


def rows(model, **filters) -> list[dict]:
    """The rows as stored, for comparing before and after a refused request."""
    return list(model._base_manager.filter(**filters).order_by("pk").values())


def table(model) -> dict[str, dict]:
    """Every row of the model by its key as text, as stored."""
    names = [field.attname for field in model._meta.concrete_fields]
    return {str(row["pk"]): row for row in model._base_manager.values("pk", *names)}


# Clients per person


def logged_in(user, **options) -> Client:
    """A test client of its own, logged in as `user` (the `client_for` fixture shares one)."""
    client = Client(**options)
    client.force_login(user)
    return client


def enrol(user):
    """`user` with an authenticator app set up, through the operation: (device, backup codes)."""
    key = two_factor.new_secret()
    code = totp(bytes.fromhex(key))
    return two_factor.enrol(user=user, key=key, code=f"{code:06d}")


def next_code(device) -> str:
    """The app's code for the step after the last one used: valid now (one step of
    tolerance), and not spent. Good for one use; a second needs the step after."""
    device.refresh_from_db()
    return f"{hotp(device.bin_key, device.last_t + 1, device.digits):0{device.digits}d}"


def verified(user, device, **options) -> Client:
    """A client of its own, logged in as `user` in a session that passed the second factor."""
    client = logged_in(user, **options)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def grant_channels(user, *names):
    """`user` (reloaded, so no stale permission cache) with the channels' permissions."""
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=[f"publish_to_{name}" for name in names])
    )
    return get_user_model().objects.get(pk=user.pk)


def sign_in(client, username, password, *, address="10.0.0.1"):
    """POST the admin's sign-in form as a browser at `address` would.
    302: signed in; 200: refused (wrong name or password); 429: locked out."""
    form = {"username": username, "password": password, "next": "/admin/"}
    return client.post("/admin/login/", form, REMOTE_ADDR=address)


# Publishing

SCRIPT = b"A SHORT SCRIPT\n\n[HOOK 0:00]\nHello.\n"


def local_channel_config(root, **extra) -> dict:
    """PUBLISH_CHANNELS for two local channels, youtube and tiktok, in folders under `root`."""
    return {
        "youtube": {
            "adapter": "local",
            "label": "YouTube",
            "folder": str(root / "youtube"),
            "remote_url": "https://youtube.example/watch?v={remote_id}",
            **extra,
        },
        "tiktok": {"adapter": "local", "label": "TikTok", "folder": str(root / "tiktok"), **extra},
    }


def approve(video, editor, channel_names=("youtube",), **options):
    """Approve as the approve page would, with the version and files it showed."""
    video.refresh_from_db()
    fields = {
        "video_version": video.state_version,
        "artifacts_seen": approval.fingerprint(approval.publish_set(video.pk)),
        **options,
    }
    return approval.approve_publish(
        video_id=video.pk, editor=editor, channel_names=list(channel_names), **fields
    )


# The review queue


def pending(*, age: float = 0, **fields) -> SafetyReport:
    """A report on the queue that arrived `age` minutes ago."""
    return PendingReportFactory(created_at=timezone.now() - timedelta(minutes=age), **fields)


def decide(report, who, kind=ActionKind.APPROVE, reason="no_violation", note=""):
    """`who` decides the report, as the review page's buttons do."""
    return services.decide(
        report_id=report.pk, moderator=who, kind=kind, reason_code=reason, note=note
    )


def queue_ids(response) -> list:
    """The keys of the reports a queue page lists, in its order."""
    assert response.status_code == 200
    return [report.pk for report in response.context["cl"].result_list]


# Servers, ports and plain HTTP


def server_settings() -> dict:
    """How psycopg reaches the test database server, from Django's settings."""
    from django.db import connection

    settings = connection.settings_dict
    return {
        "host": settings["HOST"],
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"],
    }


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url, **headers):
    """Status, headers and body of a GET, as a browser fetches a presigned URL:
    plain HTTP, no AWS credentials."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


# Reading HTML


def html(response) -> Element:
    return parse_html(response.content.decode())


_SIMPLE = re.compile(r"^(?P<tag>[\w-]*)(?P<rest>(?:[#.][\w-]+|\[[\w.-]+\])*)$")
_PART = re.compile(r"([#.])([\w-]+)|\[([\w.-]+)\]")


def _matches(element: Element, simple: str) -> bool:
    found = _SIMPLE.match(simple)
    if not found:
        raise ValueError(f"unsupported selector {simple!r}")
    if found["tag"] and element.name != found["tag"]:
        return False
    attributes = dict(element.attributes)
    for mark, name, attribute in _PART.findall(found["rest"]):
        if mark == "#" and attributes.get("id") != name:
            return False
        if mark == "." and name not in (attributes.get("class") or "").split():
            return False
        if attribute and attribute not in attributes:
            return False
    return True


def _descendants(element: Element):
    for child in element.children:
        if isinstance(child, Element):
            yield child
            yield from _descendants(child)


def select(root: Element, selector: str) -> list[Element]:
    """Elements matching a CSS selector of tags, #ids, .classes and [attributes],
    with descendant combinators (spaces): enough for these tests, nothing more."""
    found = [root]
    for simple in selector.split():
        found = list(
            {id(e): e for base in found for e in _descendants(base) if _matches(e, simple)}.values()
        )
    return found


def select_one(root: Element, selector: str) -> Element:
    found = select(root, selector)
    assert len(found) == 1, f"{len(found)} elements match {selector!r}"
    return found[0]


def text(element: Element | str) -> str:
    """The element's text, whitespace collapsed, as a person reads it."""
    if isinstance(element, str):
        return element
    return " ".join(" ".join(text(child) for child in element.children).split())


def attribute(element: Element, name: str) -> str | None:
    return dict(element.attributes).get(name)


def wait_for(condition, what: str, *, seconds: float = 60):
    """Poll `condition` until it returns something true, and return that; fail
    naming `what` after `seconds` (a deadline generous for a shared machine,
    never what a test asserts)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def in_thread(work) -> threading.Thread:
    """`work()` started in a thread that closes its own database connection."""

    def run():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
