"""The artifact gallery: filters (django-filter), uncounted pages that keep the
filters, cards with what S3 says, and a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ArtifactFactory, PersonaFactory, UserFactory, VideoFactory
from videos import admin as videos_admin
from videos.filters import ArtifactFilter
from videos.models import Artifact, ArtifactKind, Video, VideoStatus

pytestmark = pytest.mark.django_db

GALLERY = "/admin/videos/artifact/gallery/"
FILES = "/admin/videos/artifact/gallery/files/"
NOW = timezone.now()


def shown(response) -> list:
    return [preview.artifact.pk for preview in response.context["previews"]]


@pytest.fixture
def catalogue(db):
    """Two personas' artifacts over two weeks: who, what kind, which status, when."""
    nova = PersonaFactory(name="Nova Reyes")
    marco = PersonaFactory(name="Marco Bellini")
    octopus = VideoFactory(persona=nova, title="Ten facts about octopuses", status="published")
    pasta = VideoFactory(persona=marco, title="Fresh pasta by hand", status=VideoStatus.READY)
    tides = VideoFactory(persona=nova, title="Why tides happen", status=VideoStatus.DRAFT)

    def artifact(video, kind, days_ago):
        return ArtifactFactory(video=video, kind=kind, created_at=NOW - timedelta(days=days_ago))

    return {
        "nova": nova,
        "marco": marco,
        "octopus render": artifact(octopus, ArtifactKind.RENDER, 1),
        "octopus thumbnail": artifact(octopus, ArtifactKind.THUMBNAIL, 2),
        "pasta render": artifact(pasta, ArtifactKind.RENDER, 3),
        "pasta thumbnail": artifact(pasta, ArtifactKind.THUMBNAIL, 9),
        "tides thumbnail": artifact(tides, ArtifactKind.THUMBNAIL, 12),
    }


def test_the_gallery_shows_every_artifact_newest_first(client_for, viewer, catalogue):
    response = client_for(viewer).get(GALLERY)

    assert response.status_code == 200
    assert shown(response) == [
        catalogue[name].pk
        for name in [
            "octopus render",
            "octopus thumbnail",
            "pasta render",
            "pasta thumbnail",
            "tides thumbnail",
        ]
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "render"}, ["octopus render", "pasta render"]),
        ({"persona": "marco"}, ["pasta render", "pasta thumbnail"]),
        ({"status": "draft"}, ["tides thumbnail"]),
        ({"title": "OCTOPUS"}, ["octopus render", "octopus thumbnail"]),
        (
            {"created_after": 10},
            ["octopus render", "octopus thumbnail", "pasta render", "pasta thumbnail"],
        ),
        ({"created_before": 9}, ["pasta thumbnail", "tides thumbnail"]),
        ({"created_after": 3, "created_before": 2}, ["octopus thumbnail", "pasta render"]),
        # "Every thumbnail of this persona this week"
        ({"kind": "thumbnail", "persona": "nova", "created_after": 7}, ["octopus thumbnail"]),
        ({"kind": "audio"}, []),
    ],
)
def test_filters_narrow_the_gallery(client_for, viewer, catalogue, query, expected):
    params = {}
    for name, value in query.items():
        if name == "persona":
            value = catalogue[value].pk
        elif name.startswith("created_"):
            value = (NOW - timedelta(days=value)).date().isoformat()
        params[name] = value

    response = client_for(viewer).get(GALLERY, params)

    assert response.status_code == 200
    assert shown(response) == [catalogue[name].pk for name in expected]
    if not expected:
        assert "No artifact matches these filters." in response.content.decode()


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"created_after": "last tuesday"}, "Enter a valid date."),
        ({"persona": "8d0f3c8e-4a4b-4f57-9c55-0b2d7b0c1e11"}, "Select a valid choice."),
        ({"kind": "podcast"}, "Select a valid choice. podcast is not one of"),
    ],
)
def test_an_invalid_filter_is_shown_and_lists_nothing(client_for, viewer, catalogue, params, error):
    response = client_for(viewer).get(GALLERY, params)

    assert response.status_code == 200
    assert shown(response) == []
    assert error in response.content.decode()
    assert "Correct the filters above" in response.content.decode()


def test_the_persona_filter_never_lists_the_persona_table(client_for, viewer, catalogue):
    PersonaFactory.create_batch(30)

    html = client_for(viewer).get(GALLERY, {"persona": catalogue["nova"].pk}).content.decode()

    select = re.search(r'<select name="persona".*?</select>', html, re.S).group()
    assert "admin-autocomplete" in select
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == ["", "Nova Reyes"]


def card_of(html: str, artifact) -> str:
    return re.search(
        rf'<article class="artifact-card" data-artifact="{artifact.pk}".*?</article>', html, re.S
    ).group()


def files(client, *artifacts) -> dict:
    """The files endpoint's answer for these cards: id -> state, plus the warning."""
    response = client.get(FILES, {"id": [artifact.pk for artifact in artifacts]})
    assert response.status_code == 200, response.content
    answer = response.json()
    return {file.pop("id"): file for file in answer["files"]} | {"warning": answer["warning"]}


def test_cards_show_kind_video_persona_size_and_type(client_for, viewer, stored_artifact):
    video = VideoFactory(title="Ten facts about octopuses", persona__name="Nova Reyes")
    artifact = stored_artifact(
        ArtifactKind.THUMBNAIL, b"\x89PNG" + b"\0" * 2044, "image/png", video=video
    )
    client = client_for(viewer)

    card = card_of(client.get(GALLERY).content.decode(), artifact)
    answer = files(client, artifact)
    again = card_of(client.get(GALLERY).content.decode(), artifact)

    assert f'<img src="/admin/videos/artifact/{artifact.pk}/content/"' in card
    assert "Thumbnail" in card
    assert (
        f'<a href="/admin/videos/video/{video.pk}/timeline/">Ten facts about octopuses</a>' in card
    )
    assert "Nova Reyes" in card
    # Size and type are S3's: asked after the page, then known to the next one.
    assert 'data-file-state="checking"' in card and "Asking S3 for the size and type" in card
    assert answer[str(artifact.pk)] == {
        "state": "ok",
        "file": '<p class="artifact-card-file">2.0\xa0KB · image/png</p>',
        "preview": None,  # the card's image is loading already
    }
    assert 'data-file-state="ok"' in again and "2.0\xa0KB · image/png" in again


def test_a_missing_file_is_marked_missing(client_for, viewer, missing_path):
    artifact = ArtifactFactory(kind=ArtifactKind.RENDER, s3_path=missing_path)
    client = client_for(viewer)

    answer = files(client, artifact)[str(artifact.pk)]
    html = client.get(GALLERY).content.decode()

    assert answer["state"] == "missing"
    assert "<strong>Missing</strong> Missing in S3: " + missing_path in answer["preview"]
    assert "<video" not in answer["preview"]
    assert "<strong>Missing</strong> Missing in S3: " + missing_path in html
    assert "<video" not in html


def test_an_invalid_path_is_marked_at_once_without_s3(client_for, viewer, s3_requests):
    artifact = ArtifactFactory(kind=ArtifactKind.THUMBNAIL, s3_path="https://example.com/x.png")

    html = client_for(viewer).get(GALLERY).content.decode()

    card = card_of(html, artifact)
    assert 'data-file-state="invalid"' in card and "<strong>Invalid path</strong>" in card
    assert s3_requests == []


def test_a_stopped_s3_still_renders_the_gallery_and_its_files_say_so(
    client_for, viewer, catalogue, s3_stopped
):
    for artifact in Artifact.objects.all():
        Artifact.objects.filter(pk=artifact.pk).update(
            s3_path=f"s3://{default_storage.bucket_name}/tests/{artifact.pk}"
        )
    client = client_for(viewer)

    response = client.get(GALLERY)
    answer = files(client, *Artifact.objects.all())

    assert response.status_code == 200
    assert len(shown(response)) == 5
    assert response.content.decode().count('data-file-state="checking"') == 5
    assert f"S3 at {s3_stopped} is unavailable" in answer.pop("warning")
    assert {file["state"] for file in answer.values()} == {"unknown"}
    assert all(
        "S3 did not answer; this preview may not load." in file["preview"]
        for file in answer.values()
    )


def test_the_gallery_page_never_asks_s3(client_for, viewer, stored_artifact, s3_requests):
    stored_artifact(ArtifactKind.THUMBNAIL, b"\x89PNG", "image/png")
    stored_artifact(ArtifactKind.SCRIPT, b"HOOK\nBODY\n", "text/plain")
    s3_requests.clear()

    client_for(viewer).get(GALLERY)

    assert s3_requests == []


def test_files_checked_once_are_told_by_the_page_and_asked_no_more(
    client_for, viewer, stored_artifact, s3_requests
):
    thumbnail = stored_artifact(ArtifactKind.THUMBNAIL, b"\x89PNG", "image/png")
    script = stored_artifact(ArtifactKind.SCRIPT, b"HOOK\nBODY\n", "text/plain")
    client = client_for(viewer)
    s3_requests.clear()

    first = files(client, thumbnail, script)
    asked = list(s3_requests)
    s3_requests.clear()
    second = files(client, thumbnail, script)
    html = client.get(GALLERY).content.decode()

    assert sorted(asked) == ["GetObject", "HeadObject", "HeadObject"]
    assert s3_requests == []
    assert second == first
    assert '<pre class="artifact-script">HOOK\nBODY\n</pre>' in first[str(script.pk)]["preview"]
    assert '<pre class="artifact-script">HOOK\nBODY\n</pre>' in html
    assert 'data-file-state="checking"' not in html


def test_the_files_of_a_cold_gallery_are_asked_about_at_once(
    client_for, viewer, stored_artifact, s3_proxy
):
    cards = [
        stored_artifact(kind, body, content_type)
        for kind, body, content_type in [
            (ArtifactKind.THUMBNAIL, b"\x89PNG", "image/png"),
            (ArtifactKind.RENDER, b"\x1aE\xdf\xa3", "video/webm"),
            (ArtifactKind.AUDIO, b"RIFF" + b"\0" * 60, "audio/wav"),
            (ArtifactKind.SCRIPT, b"HOOK\nBODY\n", "text/plain"),
            (ArtifactKind.SCRIPT, b"OTHER\n", "text/plain"),
        ]
    ]
    client = client_for(viewer)
    proxy = s3_proxy(hold={"HEAD": 5, "GET": 2})

    client.get(GALLERY)
    answer = files(client, *cards)

    # The page asked nothing; its files: five HEADs held until all five were in
    # flight, then the scripts' excerpts, both at once.
    assert proxy.methods() == ["HEAD"] * 5 + ["GET"] * 2
    assert proxy.most_in_flight == {"HEAD": 5, "GET": 2}
    assert not answer.pop("warning")
    assert [answer[str(a.pk)]["file"] for a in cards] == [
        f'<p class="artifact-card-file">{size}\xa0bytes · {content_type}</p>'
        for size, content_type in [
            (4, "image/png"),
            (4, "video/webm"),
            (64, "audio/wav"),
            (10, "text/plain"),
            (6, "text/plain"),
        ]
    ]
    assert '<pre class="artifact-script">HOOK\nBODY\n</pre>' in answer[str(cards[3].pk)]["preview"]
    assert '<pre class="artifact-script">OTHER\n</pre>' in answer[str(cards[4].pk)]["preview"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Name 1 to 24 artifacts"),
        ("?id=zzz", "Name 1 to 24 artifacts"),
        ("?id=" + "&id=".join(["8d0f3c8e-4a4b-4f57-9c55-0b2d7b0c1e11"] * 25), "Name 1 to 24"),
    ],
)
def test_the_files_endpoint_refuses_what_names_no_page_of_cards(client_for, viewer, query, message):
    response = client_for(viewer).get(FILES + query)

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_the_files_endpoint_answers_only_for_artifacts_that_exist(client_for, viewer, missing_path):
    artifact = ArtifactFactory(kind=ArtifactKind.RENDER, s3_path=missing_path)

    response = client_for(viewer).get(
        FILES, {"id": [artifact.pk, "8d0f3c8e-4a4b-4f57-9c55-0b2d7b0c1e11"]}
    )

    assert [file["id"] for file in response.json()["files"]] == [str(artifact.pk)]


def test_the_files_endpoint_needs_the_view_permission(client_for, client):
    ids = {"id": "8d0f3c8e-4a4b-4f57-9c55-0b2d7b0c1e11"}

    assert client.get(FILES, ids).status_code == 302
    assert client_for(UserFactory(username="nobody")).get(FILES, ids).status_code == 403


# session, user (with their permissions), the artifacts named (S3 is asked
# about their files, not the database).
@pytest.mark.parametrize("rows", [3, 24])
@pytest.mark.parametrize("who", ["admin_user", "viewer"])
def test_files_query_count_does_not_grow_with_rows(
    request, client_for, who, rows, missing_path, django_assert_num_queries
):
    artifacts = ArtifactFactory.create_batch(rows, kind=ArtifactKind.RENDER, s3_path=missing_path)
    client = client_for(request.getfixturevalue(who))

    with django_assert_num_queries(3):
        response = client.get(FILES, {"id": [artifact.pk for artifact in artifacts]})

    assert len(response.json()["files"]) == rows


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(videos_admin, "GALLERY_PER_PAGE", 3)
    monkeypatch.setattr(videos_admin, "GALLERY_MAX_PAGES", 3)


def test_pages_keep_the_filters_and_go_on_newest_first(client_for, viewer, small_pages):
    renders = [
        ArtifactFactory(kind=ArtifactKind.RENDER, created_at=NOW - timedelta(hours=n))
        for n in range(5)
    ]
    ArtifactFactory.create_batch(4, kind=ArtifactKind.AUDIO)
    client = client_for(viewer)

    first = client.get(GALLERY, {"kind": "render"})
    second = client.get(GALLERY, {"kind": "render", "page": 2})

    assert shown(first) == [artifact.pk for artifact in renders[:3]]
    assert shown(second) == [artifact.pk for artifact in renders[3:]]
    assert 'href="?kind=render&amp;page=2" rel="next"' in first.content.decode()
    html = second.content.decode()
    assert 'href="?kind=render&amp;page=1" rel="prev"' in html
    assert 'rel="next"' not in html


def test_pages_stop_at_the_limit_and_say_how_to_go_further(client_for, viewer, small_pages):
    ArtifactFactory.create_batch(10)
    client = client_for(viewer)

    last = client.get(GALLERY, {"page": 3})
    beyond = client.get(GALLERY, {"page": 99})
    nonsense = client.get(GALLERY, {"page": "last"})

    assert len(shown(last)) == 3
    assert 'rel="next"' not in last.content.decode()
    assert "narrow the filters" in last.content.decode()
    assert shown(beyond) == shown(last)
    assert nonsense.context["page"].number == 1


def test_the_gallery_never_counts_its_rows(client_for, viewer, catalogue):
    client = client_for(viewer)

    with CaptureQueriesContext(connection) as queries:
        client.get(GALLERY, {"kind": "thumbnail", "persona": catalogue["nova"].pk})

    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


# session, user (with their permissions: accounts.backends), the page of artifacts
# with their videos and personas; a persona filter adds the persona (checked,
# then named in its autocomplete).
GALLERY_QUERIES = {
    ("admin_user", False): 3,
    ("admin_user", True): 5,
    ("viewer", False): 3,
    ("viewer", True): 5,
}


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("filtered", [False, True], ids=["all", "filtered"])
@pytest.mark.parametrize("who", ["admin_user", "viewer"])
def test_gallery_query_count_does_not_grow_with_rows(
    request, client_for, who, filtered, rows, django_assert_num_queries
):
    persona = PersonaFactory()
    for n in range(rows):
        ArtifactFactory(
            kind=ArtifactKind.RENDER,
            video=VideoFactory(persona=persona if n % 2 else PersonaFactory(), title=f"Clip {n}"),
        )
    params = (
        {
            "kind": "render",
            "persona": persona.pk,
            "status": "draft",
            "title": "clip",
            "created_after": "2000-01-01",
            "created_before": (NOW + timedelta(days=1)).date().isoformat(),
        }
        if filtered
        else {}
    )
    client = client_for(request.getfixturevalue(who))

    with django_assert_num_queries(GALLERY_QUERIES[who, filtered]):
        response = client.get(GALLERY, params)

    assert response.status_code == 200
    expected = rows // 2 if filtered else rows
    assert len(shown(response)) == min(expected, videos_admin.GALLERY_PER_PAGE)


def test_staff_without_view_permission_get_403(client_for):
    response = client_for(UserFactory(username="nobody")).get(GALLERY)

    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(GALLERY)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_the_artifact_list_links_to_the_gallery(client_for, viewer):
    html = client_for(viewer).get("/admin/videos/artifact/").content.decode()

    assert f'<a href="{GALLERY}">Gallery</a>' in html


@pytest.fixture
def crowded_gallery(db):
    """Thousands of artifacts, analysed, so the planner weighs indexes as it does
    in production; on a handful of rows a full scan is always cheapest."""
    personas = bulk(PersonaFactory, [{}] * 50)
    statuses = [VideoStatus.DRAFT, VideoStatus.READY, VideoStatus.PUBLISHED, VideoStatus.FAILED]
    videos = bulk(
        VideoFactory,
        [
            {"persona": personas[n % 50], "title": f"Clip {n}", "status": statuses[n % 4]}
            for n in range(2000)
        ],
    )
    bulk(
        ArtifactFactory,
        [
            {"video": video, "kind": kind, "created_at": NOW - timedelta(minutes=4 * n + k)}
            for n, video in enumerate(videos)
            for k, kind in enumerate(ArtifactKind.values)
        ],
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE personas, videos, artifacts")


def bulk(factory, fields: list[dict]) -> list:
    return factory._meta.model.objects.bulk_create([factory.build(**values) for values in fields])


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "artifacts_newest_idx"),
        ({"kind": "render"}, "artifacts_kind_newest_idx"),
        # Two days back, so the filter keeps days of artifacts at any time of day:
        # "today" just after midnight keeps a handful, which the planner rightly
        # joins by scanning videos instead.
        ({"created_after": (NOW - timedelta(days=2)).date().isoformat()}, "artifacts_newest_idx"),
    ],
)
def test_the_gallery_page_reads_artifacts_through_an_index(crowded_gallery, params, index):
    filters = ArtifactFilter(params, queryset=Artifact.objects.for_cards())
    assert filters.is_valid()

    plan = filters.qs[: videos_admin.GALLERY_PER_PAGE + 1].explain()

    assert f"Index Scan using {index} on artifacts" in plan
    assert "Seq Scan on artifacts" not in plan
    assert "Seq Scan on videos" not in plan


def test_the_title_filter_can_use_the_trigram_index(catalogue):
    # The planner prefers the trigram index over a full scan only on tables of
    # production size (it does at 200,000 videos); forbidding scans shows it fits.
    videos = Video.objects.filter(title__icontains="octopus").order_by().values("pk")
    sql, params = videos.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Bitmap Index Scan on videos_title_trgm_idx" in plan
