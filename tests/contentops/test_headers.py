"""Every kind of page carries the security headers (Content-Security-Policy,
Referrer-Policy, Permissions-Policy) and holds no inline code the policy refuses;
the policy's report address and report-only mode come from the environment."""

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test import Client

from publishing import channels
from seeding.demo_content import RENDER_WEBM, chime_wav, gradient_png
from tests.contentops.test_settings import PRODUCTION_KEY, manage
from tests.factories import (
    ArtifactFactory,
    PendingReportFactory,
    SafetyReportFactory,
    VideoFactory,
)
from tests.helpers import closed_port, local_channel_config, logged_in
from tests.safety.pages import review_url
from videos.models import ArtifactKind, VideoStatus

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

PAGES = ["login", "changelist", "change_form", "review", "gallery", "approve", "unavailable"]
MEDIA = {
    ArtifactKind.RENDER: ("render.webm", RENDER_WEBM.read_bytes()),
    ArtifactKind.AUDIO: ("audio.wav", chime_wav(440.0)),
    ArtifactKind.THUMBNAIL: ("thumbnail.png", gradient_png(b"\x10\x60\xa0", b"\x90\xe0\xf0")),
    ArtifactKind.SCRIPT: ("script.txt", b"[HOOK 0:00]\nHello.\n"),
}
DENIED_FEATURES = [
    "accelerometer",
    "browsing-topics",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "serial",
    "usb",
]


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} appears twice in {header!r}"
        parsed[name] = sources
    return parsed


def expected_policy() -> dict[str, list[str]]:
    bucket = settings.S3_BROWSER_SOURCE
    return {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", bucket],
        "media-src": ["'self'", bucket],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    }


# The pages, one of each kind


def add_media(video, s3_media):
    """A render, audio, thumbnail and script of `video`, real objects in S3."""
    for kind, (name, content) in MEDIA.items():
        ArtifactFactory(video=video, kind=kind, s3_path=s3_media(name, content))
    return video


@pytest.fixture
def database_away(django_db_blocker):
    """Every query fails to connect, as when Postgres is down (tests/core/test_unavailable.py)."""
    with django_db_blocker.unblock():
        connection.close()
        saved = dict(connection.settings_dict)
        connection.settings_dict.update(HOST="127.0.0.1", PORT=closed_port())
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


@pytest.fixture
def page(request, admin_user, s3_media, settings, tmp_path):
    """The response of a page of the kind the test names, as a superuser gets it."""
    kind = request.param
    if kind == "login":
        return Client().get("/admin/login/")
    if kind == "unavailable":
        request.getfixturevalue("database_away")
        client = Client(raise_request_exception=False)
        # A session cookie, so the request needs the database at once.
        client.cookies["sessionid"] = "a" * 32
        response = client.get("/admin/videos/video/")
        assert response.status_code == 503
        return response
    settings.PUBLISH_CHANNELS = local_channel_config(tmp_path)
    channels.sync_permissions()
    report = PendingReportFactory()
    add_media(report.task.video, s3_media)
    ready = add_media(VideoFactory(status=VideoStatus.READY), s3_media)
    SafetyReportFactory(task__video=ready, requires_human_review=False, score=0.1)
    url = {
        "changelist": "/admin/videos/video/",
        "change_form": f"/admin/videos/video/{ready.pk}/change/",
        "review": review_url(report),
        "gallery": "/admin/videos/artifact/gallery/",
        "approve": f"/admin/publishing/readyvideo/{ready.pk}/approve/",
    }[kind]
    response = logged_in(admin_user).get(url)
    assert response.status_code == 200, url
    return response


# What a page may hold

# json_script data blocks: never run, so the policy lets them be.
DATA_BLOCKS = {"application/json", "application/ld+json"}


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' refuses to run or apply."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in attrs and attrs.get("type") not in DATA_BLOCKS:
            self.found.append("<script> without src")
        for name, value in attrs.items():
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=>")
            elif (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")


def inline_code(markup: str) -> list[str]:
    parser = InlineCode()
    parser.feed(markup)
    parser.close()
    return parser.found


def test_the_inline_code_finder_finds_each_kind_the_policy_refuses():
    markup = """<style>p {}</style><script>go()</script><p style="color: red">
        <button onclick="go()"></button><a href="javascript:go()"></a>
        <script src="/static/x.js"></script><script type="application/json">{}</script>"""

    assert inline_code(markup) == [
        "<style>",
        "<script> without src",
        "<p style=>",
        "<button onclick=>",
        "<a href=javascript:>",
    ]


@pytest.mark.parametrize("page", PAGES, indirect=True)
def test_the_page_holds_no_inline_script_or_style(page):
    assert inline_code(page.content.decode()) == []


def test_no_list_page_turns_off_both_action_bars():
    """Django's list page would then add an inline <style>, which the policy refuses."""
    registered = admin.site._registry.values()
    both_off = [
        str(model_admin)
        for model_admin in registered
        if not model_admin.actions_on_top and not model_admin.actions_on_bottom
    ]
    assert len(registered) > 5
    assert both_off == []


@pytest.mark.parametrize(
    "template",
    sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("*/templates/**/*.html")),
)
def test_no_template_of_ours_holds_inline_script_or_style(template):
    assert inline_code((ROOT / template).read_text()) == []


# The headers


@pytest.mark.parametrize("page", PAGES, indirect=True)
def test_the_content_security_policy_allows_this_site_and_the_bucket_only(page):
    assert directives(page["Content-Security-Policy"]) == expected_policy()
    assert "unsafe" not in page["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in page


@pytest.mark.parametrize("page", PAGES, indirect=True)
def test_no_site_may_frame_the_page(page):
    assert directives(page["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("page", PAGES, indirect=True)
def test_the_referrer_leaves_only_for_this_site(page):
    assert page["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("page", PAGES, indirect=True)
def test_the_permissions_policy_refuses_the_unused_browser_features(page):
    assert page["Permissions-Policy"] == ", ".join(f"{name}=()" for name in DENIED_FEATURES)


@pytest.mark.parametrize("page", ["login"], indirect=True)
def test_no_reports_are_asked_for_by_default(page):
    policy = directives(page["Content-Security-Policy"])
    assert "report-uri" not in policy and "report-to" not in policy
    assert "Reporting-Endpoints" not in page


# From the environment, in production mode


def production_headers(**env) -> dict[str, str]:
    """The headers a production process (DEBUG off) sends with a page (its 404:
    pages with static files need collectstatic's manifest)."""
    show = (
        "import json; from django.test import Client;"
        "r = Client().get('/no-such-page/', secure=True);"
        "print(json.dumps(dict(r.headers)))"
    )
    result = manage(
        "shell",
        "-c",
        show,
        env={"SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "testserver", **env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_a_report_address_asks_browsers_for_reports_by_both_mechanisms():
    headers = production_headers(CSP_REPORT_URI="https://reports.example.com/csp")

    policy = directives(headers["Content-Security-Policy"])
    assert policy["report-uri"] == ["https://reports.example.com/csp"]
    assert policy["report-to"] == ["csp"]
    assert headers["Reporting-Endpoints"] == 'csp="https://reports.example.com/csp"'


def test_report_only_mode_reports_the_same_policy_and_enforces_none():
    headers = production_headers(CSP_REPORT_ONLY="1", CSP_REPORT_URI="/csp-reports/")

    assert "Content-Security-Policy" not in headers
    policy = directives(headers["Content-Security-Policy-Report-Only"])
    assert policy["report-uri"] == ["/csp-reports/"]
    assert policy["frame-ancestors"] == ["'none'"]
    # Browsers ignore frame-ancestors in a report-only policy: this header still refuses frames.
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "value", ["reports.example.com/csp", "https://x.example/a;b", 'https://x.example/"', "//x"]
)
def test_a_report_address_that_is_no_url_is_a_clear_error(value):
    result = manage("check", env={"DEBUG": "1", "CSP_REPORT_URI": value})
    assert result.returncode != 0
    assert f"CSP_REPORT_URI={value!r} is not a URL" in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"S3_ENDPOINT_URL": "http://s3.internal:9000"},
        {
            "S3_ENDPOINT_URL": "http://s3.internal:9000",
            "S3_PUBLIC_ENDPOINT_URL": "https://s3.example.com/",
        },
        {"S3_ENDPOINT_URL": "", "S3_REGION": "us-east-1"},
        {"S3_ENDPOINT_URL": "", "S3_REGION": "eu-west-1"},
    ],
    ids=["endpoint", "public endpoint", "aws us-east-1", "aws eu-west-1"],
)
def test_the_policy_allows_media_from_where_browsers_are_sent(env):
    """A presigned URL for a browser, made by the storage itself, is within the
    bucket source the policy allows for images and media."""
    show = (
        "import json; from django.conf import settings;"
        "from django.core.files.storage import storages;"
        "policy = settings.CONTENT_SECURITY_POLICY['DIRECTIVES'];"
        "print(json.dumps([storages['browser'].url('tests/a.png'),"
        " policy['img-src'], policy['media-src']]))"
    )
    result = manage("shell", "-c", show, env={"DEBUG": "1", "S3_BUCKET": "media-bucket", **env})
    assert result.returncode == 0, result.stderr
    url, images, media = json.loads(result.stdout.splitlines()[-1])

    bucket = images[1]
    assert images == media == ["'self'", bucket]
    assert bucket.endswith("/media-bucket/")
    assert url.startswith(bucket)
    if "S3_PUBLIC_ENDPOINT_URL" in env:
        assert bucket == "https://s3.example.com/media-bucket/"
