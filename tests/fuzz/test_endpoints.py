"""Every custom endpoint with hostile fields: the review page's buttons (claim,
renew, release, take over, decide, next), the approve page, the upload, the
content view, the timeline, and the object pages of every model asked for keys
that are not keys. Never a 500; a refused POST changes nothing."""

import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import example, given
from hypothesis import strategies as st

from publishing import channels
from publishing.models import PublishReceipt
from safety.models import ReviewAction, SafetyReport
from tests.factories import ArtifactFactory, PendingReportFactory, SafetyReportFactory, VideoFactory
from tests.fuzz.cases import case, fuzz, send
from tests.fuzz.strategies import SCRIPT, hostile_text, ids, integers_as_text
from tests.helpers import local_channel_config, rows
from videos.models import Artifact, ArtifactKind, Task, Video, VideoStatus

QUEUE = "/admin/safety/reviewqueueitem/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 56


@pytest.fixture
def channels_configured(settings, tmp_path, db):
    settings.PUBLISH_CHANNELS = local_channel_config(tmp_path)
    channels.sync_permissions()


# The review page


def review_state(report) -> tuple:
    return rows(SafetyReport, pk=report.pk), ReviewAction.objects.count()


# Stands for a value only known once the example's rows exist (the report's
# key, the video's version, the approve page's fingerprint), so that examples
# can be written out below.
REAL = "<the real one>"


def real_or(strategy):
    return st.one_of(st.just(REAL), strategy)


review_posts = st.fixed_dictionaries(
    {
        "button": st.sampled_from(["claim", "renew", "release", "takeover", "decide"]),
        "key": real_or(ids()),
        "decision": st.one_of(st.sampled_from(["approve", "reject", "escalate"]), hostile_text(20)),
        "reason": st.one_of(st.sampled_from(["no_violation", "false_positive"]), hostile_text(30)),
        "note": hostile_text(),
        "video_version_seen": real_or(integers_as_text()),
    }
)


# The inputs issue 10 lists, tried first on every run.
@example(
    post={
        "button": "decide",
        "key": REAL,
        "decision": "approve",
        "reason": "no_violation",
        "note": "",
        "video_version_seen": "²",
    }
)
@fuzz(max_examples=60)
@given(post=review_posts)
def test_review_buttons_posted_with_anything_act_or_refuse_without_writing(superuser_client, post):
    with case("endpoints: review page"):
        report = PendingReportFactory(task__video__title=SCRIPT)
        before = review_state(report)
        real = {"key": str(report.pk), "video_version_seen": str(report.task.video.state_version)}
        post = {name: real[name] if value == REAL else value for name, value in post.items()}
        posted = {
            "decision": post["decision"],
            f"reason_{post['decision']}": post["reason"],
            "reason": post["reason"],
            "note": post["note"],
            "video_version_seen": post["video_version_seen"],
        }
        url = f"{QUEUE}{quote(post['key'], safe='')}/{post['button']}/"
        response = send(superuser_client, "endpoints: review page", "post", url, data=posted)
        if response.status_code not in (200, 302):
            assert review_state(report) == before
        page = send(
            superuser_client, "endpoints: review page", "get", f"{QUEUE}{report.pk}/review/"
        )
        assert page.status_code == 200


@fuzz(max_examples=30)
@given(skip=st.one_of(ids(), st.just("")))
def test_review_next_posted_with_any_skip_answers_without_a_500(superuser_client, skip):
    with case("endpoints: review next"):
        PendingReportFactory()
        send(
            superuser_client, "endpoints: review next", "post", f"{QUEUE}next/", data={"skip": skip}
        )


# The approve page


def fingerprint(page) -> str:
    found = re.search(rb'name="artifacts" value="([^"]*)"', page.content)
    return found.group(1).decode() if found else ""


def publishing_state(video) -> tuple:
    return (
        rows(Video, pk=video.pk),
        rows(PublishReceipt, video=video),
        rows(Task, video=video),
    )


@pytest.fixture
def stored_files(s3_media) -> dict:
    return {
        ArtifactKind.RENDER: s3_media("render.webm", b"\x1aE\xdf\xa3" + b"\0" * 60),
        ArtifactKind.THUMBNAIL: s3_media("thumbnail.png", PNG),
    }


approve_posts = st.fixed_dictionaries(
    {
        "channel": st.lists(st.one_of(st.sampled_from(["youtube", "tiktok"]), hostile_text(20))),
        "when": st.one_of(st.sampled_from(["now", "at"]), hostile_text(10)),
        "publish_at": st.one_of(
            st.datetimes().map(lambda moment: moment.isoformat()),
            st.sampled_from(["2030-01-01T10:00", "2030-01-01T10:00:00+14:00"]),
            hostile_text(40),
        ),
        "video_version": real_or(integers_as_text()),
        "artifacts": real_or(hostile_text(70)),
    }
)


def approving(*, publish_at="", version=REAL) -> dict:
    when = "at" if publish_at else "now"
    return {"channel": ["youtube"], "when": when, "publish_at": publish_at} | {
        "video_version": version,
        "artifacts": REAL,
    }


# The inputs issue 10 lists, tried first on every run.
@example(post=approving(publish_at="9999-12-31T23:00:00-14:00"))
@example(post=approving(publish_at="0001-01-01T00:30:00+14:00"))
@example(post=approving(version="²"))
@fuzz(max_examples=60)
@given(post=approve_posts)
def test_the_approve_page_posted_with_anything_approves_or_refuses_without_writing(
    superuser_client, channels_configured, stored_files, post
):
    with case("endpoints: approve page"):
        video = VideoFactory(status=VideoStatus.READY, title=SCRIPT)
        SafetyReportFactory(task__video=video, requires_human_review=False, score=0.1)
        for kind, path in stored_files.items():
            ArtifactFactory(video=video, kind=kind, s3_path=path)
        url = f"/admin/publishing/readyvideo/{video.pk}/approve/"
        page = send(superuser_client, "endpoints: approve page", "get", url)
        before = publishing_state(video)
        real = {"video_version": str(video.state_version), "artifacts": fingerprint(page)}
        posted = {name: real[name] if value == REAL else value for name, value in post.items()}
        response = send(superuser_client, "endpoints: approve page", "post", url, data=posted)
        if response.status_code != 302:
            assert publishing_state(video) == before
        # What was stored must read back: the pages that list it still answer.
        for listed in ("/admin/videos/task/", f"/admin/videos/video/{video.pk}/timeline/"):
            send(superuser_client, "endpoints: approve page", "get", listed)


# Files


@fuzz(max_examples=40)
@given(
    name=st.one_of(
        st.sampled_from(["t.png", "../../x.png", "\x00.png", "a" * 300 + ".png", ".png", "x"]),
        hostile_text(60),
    ),
    content=st.one_of(st.just(PNG), st.binary(max_size=200), st.just(SCRIPT.encode())),
    content_type=st.one_of(st.sampled_from(["image/png", "text/html", ""]), hostile_text(30)),
)
def test_an_upload_of_anything_stores_it_or_refuses_without_writing(
    superuser_client, name, content, content_type
):
    with case("endpoints: upload"):
        artifact = ArtifactFactory(kind=ArtifactKind.THUMBNAIL)
        before = rows(Artifact, pk=artifact.pk)
        # Django's multipart parser drops a file whose name is only a path.
        upload = SimpleUploadedFile(name or "x", content, content_type=content_type or None)
        response = send(
            superuser_client,
            "endpoints: upload",
            "post",
            f"/admin/videos/artifact/{artifact.pk}/upload/",
            data={"file": upload},
        )
        if response.status_code != 302:
            assert rows(Artifact, pk=artifact.pk) == before


OBJECT_PAGES = [
    "/admin/videos/artifact/{}/content/",
    "/admin/videos/artifact/{}/upload/",
    "/admin/videos/video/{}/timeline/",
    "/admin/publishing/readyvideo/{}/approve/",
    "/admin/publishing/readyvideo/{}/change/",
    "/admin/safety/reviewqueueitem/{}/change/",
    "/admin/safety/reviewqueueitem/{}/review/",
    "/admin/publishing/publishfailure/{}/change/",
]
OBJECT_PAGES += [
    f"/admin/{model}/{{}}/{page}/"
    for model in [
        "personas/persona",
        "videos/video",
        "videos/task",
        "videos/artifact",
        "safety/safetyreport",
        "publishing/publishreceipt",
    ]
    for page in ["change", "delete", "history"]
]


@fuzz(max_examples=120)
@given(page=st.sampled_from(OBJECT_PAGES), key=ids())
def test_object_pages_asked_for_any_key_answer_without_a_500(superuser_client, page, key):
    with case("endpoints: object pages"):
        send(superuser_client, "endpoints: object pages", "get", page.format(quote(key, safe="")))


@fuzz(max_examples=40)
@given(
    path=st.one_of(
        st.sampled_from(["s3://contentops/", "s3://../a", "http://x/y", "s3://contentops/a/../b"]),
        hostile_text().map(lambda key: f"s3://contentops/{key}"),
        hostile_text(),
    ).filter(lambda path: "\x00" not in path)  # Postgres text takes no NUL
)
def test_the_content_view_of_an_artifact_with_any_path_answers_without_a_500(
    superuser_client, path
):
    with case("endpoints: content view"):
        artifact = ArtifactFactory(s3_path=path)
        send(
            superuser_client,
            "endpoints: content view",
            "get",
            f"/admin/videos/artifact/{artifact.pk}/content/",
        )


@fuzz(max_examples=40)
@given(keys=st.lists(st.one_of(ids(), hostile_text()), max_size=30))
def test_the_gallery_files_endpoint_asked_for_any_keys_answers_without_a_500(
    superuser_client, keys
):
    with case("endpoints: gallery files"):
        artifact = ArtifactFactory()
        query = "&".join(f"id={quote(key, safe='')}" for key in [*keys, str(artifact.pk)])
        send(
            superuser_client,
            "endpoints: gallery files",
            "get",
            f"/admin/videos/artifact/gallery/files/?{query}",
        )
