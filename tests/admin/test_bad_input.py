"""Hostile and careless input at the admin's boundary: malformed ids are 404,
filters and search ignore or refuse values outside their domain with a message,
numbers from forms are checked against their column's range. Never a 500.

The Django test client re-raises a view's exception, so a 500 fails these tests
with the exception itself.
"""

import re

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db.models import CharField, TextField

from publishing.models import PublishStatus
from safety import services
from safety.models import ActionKind, ReviewAction
from tests.admin.pages import CHANGELISTS as MODEL_CHANGELISTS
from tests.admin.pages import change_url, video_data
from tests.factories import (
    ArtifactFactory,
    PendingReportFactory,
    PersonaFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    VideoFactory,
)
from tests.safety.pages import QUEUE_URL, endpoint_url, review_url
from videos.models import ArtifactKind, TaskStatus, TaskType, Video, VideoStatus

pytestmark = pytest.mark.django_db

# The model tables' lists, and the work lists people go through.
CHANGELISTS = [
    *MODEL_CHANGELISTS,
    "/admin/safety/reviewqueueitem/",
    "/admin/publishing/readyvideo/",
    "/admin/publishing/publishfailure/",
]
GALLERY = "/admin/videos/artifact/gallery/"
# What every changelist reads from its query string besides its filters.
LIST_PARAMETERS = ["q", "o", "p", "all", "e", "_facets", "_to_field", "_popup"]
HOSTILE = [
    "\x00",
    "\x00x",
    "not-a-uuid",
    "zzz",
    "-1",
    "0",
    "99999999999999999999999",
    "²",
    "1e5",
    "",
    "1.5",
    "'",
    "%",
    "a" * 5000,
]
# object_id in Django's and our views; report_id, video_id in the queue's and approve page's.
KEY_IN_ROUTE = re.compile(r"<(?:path|uuid|str):\w+>")
MALFORMED_IDS = ["not-a-uuid", "xyz", "%00", "..%2F..", "9" * 40, "-" * 200]


def id_urls() -> list[str]:
    """Every admin URL that takes an object id, from the URL patterns themselves,
    so a page added tomorrow is covered the day it is added."""
    urls = []
    for model, model_admin in admin.site._registry.items():
        if isinstance(model._meta.pk, CharField | TextField):
            continue  # any text is a well-formed key (pghistory's events)
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for pattern in model_admin.urls:
            route = str(pattern.pattern)
            if KEY_IN_ROUTE.search(route):
                urls.append(base + route)
    return urls


@pytest.fixture
def superuser_client(admin_user, client_for):
    return client_for(admin_user)


@pytest.fixture
def rows(db):
    """One row on every list, so each list renders its columns and filters."""
    persona = PersonaFactory(name="Nova")
    PendingReportFactory(task__video__persona=persona)
    ready = VideoFactory(persona=persona, status=VideoStatus.READY)
    ArtifactFactory(video=ready, kind=ArtifactKind.RENDER, s3_path="s3://bucket/render.webm")
    failed = TaskFactory(video=ready, type=TaskType.PUBLISH, status=TaskStatus.FAILED, attempts=5)
    PublishReceiptFactory(video=ready, status=PublishStatus.FAILED, task=failed, error="boom")
    PublishReceiptFactory(video=ready, channel="tiktok", status=PublishStatus.PUBLISHED)
    SafetyReportFactory()


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# Malformed ids


@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
@pytest.mark.parametrize("route", id_urls())
def test_a_malformed_id_is_404_on_every_admin_url_taking_one(superuser_client, route, bad_id):
    url = KEY_IN_ROUTE.sub(bad_id, route)
    assert superuser_client.get(url).status_code == 404
    assert superuser_client.post(url, {}).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/admin/safety/reviewqueueitem/not-a-uuid/change/",
        "/admin/publishing/readyvideo/xyz/change/",
    ],
)
def test_the_malformed_ids_of_the_issue_are_404_for_staff_and_a_login_for_others(
    client, admin_user, url
):
    assert client.get(url).url.startswith("/admin/login/")
    client.force_login(admin_user)
    assert client.get(url).status_code == 404
    # A well-formed key of no row is Django's "does not exist", as before.
    missing = client.get(url.replace(url.split("/")[4], "00000000-0000-0000-0000-000000000000"))
    assert missing.status_code in (302, 404)


# Filters and search


@pytest.mark.parametrize("url", CHANGELISTS)
def test_every_filter_and_list_parameter_survives_hostile_values(superuser_client, rows, url):
    first = superuser_client.get(url)
    assert first.status_code == 200
    names = {
        name for spec in first.context["cl"].filter_specs for name in spec.expected_parameters()
    }
    for name in sorted(names) + LIST_PARAMETERS:
        for value in HOSTILE:
            response = superuser_client.get(url, {name: value}, follow=True)
            # Django refuses a reference to a field it does not allow with a 400.
            refused = name == "_to_field" and value and "\x00" not in value
            assert response.status_code == (400 if refused else 200), (name, value)
            assert "Database error" not in response.content.decode(), (name, value)


@pytest.mark.parametrize(
    ("url", "query", "name"),
    [
        ("/admin/publishing/publishreceipt/", "channel=%00", "channel"),
        ("/admin/safety/reviewqueueitem/", "category=%00", "category"),
        ("/admin/videos/task/", "status=%00x", "status"),
        ("/admin/videos/video/", "q=%00", "q"),
    ],
)
def test_a_nul_in_a_filter_or_search_is_ignored_with_a_message(
    superuser_client, rows, url, query, name
):
    response = superuser_client.get(f"{url}?{query}&o=1")
    assert response.status_code == 302
    assert response.url == f"{url}?o=1"
    assert messages_of(response) == [
        f"Ignored “{name}”: a filter or search cannot contain a NUL character."
    ]


@pytest.mark.parametrize(
    ("url", "key", "value", "vocabulary"),
    [
        ("/admin/videos/video/", "status", "bogus", "approved, archived, draft"),
        ("/admin/videos/task/", "type__exact", "Render", "audio, publish, render"),
        ("/admin/videos/artifact/", "kind__in", "render,podcast", "audio, render, script"),
        ("/admin/publishing/publishreceipt/", "status__exact", "", "failed, pending"),
    ],
)
def test_a_value_outside_a_columns_vocabulary_is_ignored_with_a_message(
    superuser_client, rows, url, key, value, vocabulary
):
    response = superuser_client.get(url, {key: value, "o": "1"})
    assert response.status_code == 302
    assert response.url == f"{url}?o=1"
    (message,) = messages_of(response)
    assert message.startswith(f"Ignored the filter “{key}”: “{value}” is not one of {vocabulary}")


def test_a_persona_filter_that_is_not_a_key_shows_the_queue_unfiltered_with_a_message(
    superuser_client, rows
):
    response = superuser_client.get(QUEUE_URL, {"persona": "not-a-uuid"}, follow=True)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1
    assert "The list's filters were not valid here, so it is shown unfiltered." in [
        str(m) for m in response.context["messages"]
    ]


def test_a_bad_filter_next_to_the_error_flag_is_not_a_database_error(superuser_client, rows):
    response = superuser_client.get(
        "/admin/publishing/publishreceipt/", {"e": "1", "timestamp__gte": "never"}, follow=True
    )
    assert response.status_code == 200
    assert "Database error" not in response.content.decode()
    assert response.context["cl"].result_count == 2


def test_the_gallery_shows_a_malformed_persona_and_date_as_form_errors(superuser_client, rows):
    response = superuser_client.get(GALLERY, {"persona": "zzz", "created_after": "notadate"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "is not a valid UUID." in page
    assert "Enter a valid date." in page
    assert response.context["page"].rows == []


@pytest.mark.parametrize(
    "name", ["kind", "persona", "status", "created_after", "created_before", "title", "page"]
)
def test_the_gallery_survives_hostile_values_in_every_filter(superuser_client, rows, name):
    for value in HOSTILE:
        assert superuser_client.get(GALLERY, {name: value}).status_code == 200, value


# Integers from forms


@pytest.fixture
def claimed(moderator):
    report = PendingReportFactory()
    services.claim(report_id=report.pk, moderator=moderator)
    return report


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("²", "The video version must be a whole number, not “²”."),
        ("٣", "The video version must be a whole number, not “٣”."),
        ("1.0", "The video version must be a whole number, not “1.0”."),
        ("2147483648", "The video version must be between -2,147,483,648 and 2,147,483,647."),
        ("-99999999999", "The video version must be between -2,147,483,648 and 2,147,483,647."),
    ],
)
def test_a_decision_with_a_version_that_is_not_an_integer_is_refused_and_not_recorded(
    client_for, moderator, claimed, version, message
):
    moderator_client = client_for(moderator)
    shown = moderator_client.get(review_url(claimed)).context["files_fingerprint"]
    decision = {"decision": "approve", "reason_approve": "no_violation", "files_seen": shown}
    response = moderator_client.post(
        endpoint_url(claimed, "decide"), {**decision, "video_version_seen": version}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReviewAction.objects.filter(report=claimed, kind=ActionKind.APPROVE).exists()
    # Corrected, the same decision is recorded with its version.
    response = moderator_client.post(
        endpoint_url(claimed, "decide"), {**decision, "video_version_seen": "3"}
    )
    assert response.status_code == 302
    assert ReviewAction.objects.get(report=claimed, kind=ActionKind.APPROVE).video_version_seen == 3


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("not-a-key", "“not-a-key” is not a valid UUID."),
        ("\x00", "Null characters are not allowed."),
        ("1" * 40, f"“{'1' * 40}” is not a valid UUID."),
    ],
)
def test_a_foreign_key_typed_as_anything_is_a_form_error_and_nothing_is_saved(
    superuser_client, bad, message
):
    video = VideoFactory(title="Before")
    response = superuser_client.post(
        change_url(video), video_data(video, title="After", persona=bad)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["persona"] == [message]
    assert Video.objects.get(pk=video.pk).title == "Before"


@pytest.mark.parametrize("bad", ["", "not-a-key", "\x00", "1" * 500])
def test_an_action_on_a_selection_naming_no_possible_row_does_nothing_and_says_so(
    superuser_client, bad
):
    video = VideoFactory(status=VideoStatus.DRAFT)
    data = {"action": "archive_selected", "index": 0, "_selected_action": [video.pk, bad]}
    response = superuser_client.post("/admin/videos/video/", data, follow=True)
    assert response.status_code == 200
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("The selection names 1 row(s) that cannot exist")
    assert Video.objects.get(pk=video.pk).status == VideoStatus.DRAFT


@pytest.mark.parametrize("version", ["²", "x", "1.0", "99999999999"])
def test_a_list_action_with_a_malformed_seen_version_treats_the_row_as_changed(
    superuser_client, version
):
    video = VideoFactory(status=VideoStatus.DRAFT)
    data = {
        "action": "archive_selected",
        "index": 0,
        "_selected_action": [video.pk],
        f"_seen_version_{video.pk}": version,
    }
    response = superuser_client.post("/admin/videos/video/", data, follow=True)
    assert response.status_code == 200
    assert Video.objects.get(pk=video.pk).status == VideoStatus.DRAFT
    assert any("changed by someone else" in m for m in messages_of(response))


def test_a_decision_note_with_a_nul_character_is_refused_and_not_recorded(
    client_for, moderator, claimed
):
    response = client_for(moderator).post(
        endpoint_url(claimed, "decide"),
        {"decision": "reject", "reason_reject": "violence", "note": "saw\x00it"},
    )
    assert response.status_code == 400
    assert "The note contains a NUL character" in response.content.decode()
    assert not ReviewAction.objects.filter(report=claimed, kind=ActionKind.REJECT).exists()


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("videos.video", "persona"),
        ("videos.task", "video"),
        ("videos.artifact", "video"),
        ("publishing.publishreceipt", "video"),
    ],
)
def test_an_autocomplete_term_with_a_nul_character_finds_nothing(
    superuser_client, rows, model, field
):
    app_label, model_name = model.split(".")
    for term in ["\x00", "Nova\x00"]:
        response = superuser_client.get(
            "/admin/autocomplete/",
            {"term": term, "app_label": app_label, "model_name": model_name, "field_name": field},
        )
        assert response.status_code == 200
        assert response.json()["results"] == []


# Dates and times in change forms


@pytest.mark.parametrize(
    ("time_zone", "day", "time"),
    [
        ("America/New_York", "9999-12-31", "23:59:00"),
        ("Asia/Tokyo", "0001-01-01", "00:00:00"),
    ],
)
def test_an_admin_date_time_field_refuses_a_moment_outside_the_years_postgres_reads_back(
    rf, admin_user, settings, time_zone, day, time
):
    # No form edits a date and time today (published_at is the worker's); any that
    # does gets its field from ContentAdmin, which must refuse what no page reads back.
    settings.TIME_ZONE = time_zone
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[Video]
    field = model_admin.formfield_for_dbfield(Video._meta.get_field("published_at"), request)
    with pytest.raises(ValidationError) as refused:
        field.clean([day, time])
    assert refused.value.messages == [
        "This date and time is outside the years 1 to 9999 in UTC; choose a nearer one."
    ]
    assert field.clean(["9999-12-30", "12:00:00"]).year == 9999
