"""The admin never overwrites a write it has not shown: change forms and actions
are guarded by the version each row had when the page was loaded.

Another writer is simulated between the page load and the post by a plain
UPDATE (the database trigger bumps the version) or another instance's save().
"""

import re
from html import unescape

import pytest
from django.db import connection

from core.admin_locking import FieldConflict
from tests.admin.pages import change_url, history_url, task_data, video_data
from tests.factories import PersonaFactory, TaskFactory, UserFactory, VideoFactory
from tests.helpers import reload
from videos.models import Task, Video, VideoStatus


@pytest.fixture
def superuser_client(admin_user, client_for):
    return client_for(admin_user)


def loaded_version(response) -> int:
    """The version the change form carries, as the browser would post it back."""
    match = re.search(r'name="loaded_version" value="(\d+)"', response.content.decode())
    assert match, "the change form should carry the version it was loaded at"
    return int(match.group(1))


def conflict_box(response) -> str:
    html = response.content.decode()
    start = html.find('id="version-conflict"')
    assert start != -1, "the page should show the version conflict"
    return unescape(html[start : html.index("</table>", start)])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def action_post(action: str, seen: dict) -> dict:
    data = {"action": action, "index": 0, "_selected_action": list(seen)}
    data.update({f"_seen_version_{pk}": version for pk, version in seen.items()})
    return data


# Change form


def test_change_form_carries_the_version_it_was_loaded_at(superuser_client):
    video = VideoFactory()
    Video.objects.filter(pk=video.pk).update(title="moved on")
    assert loaded_version(superuser_client.get(change_url(video))) == 1


def test_stale_change_form_shows_the_conflict_and_overwrites_nothing(superuser_client):
    video = VideoFactory(title="original", status=VideoStatus.DRAFT)
    version = loaded_version(superuser_client.get(change_url(video)))
    Video.objects.filter(pk=video.pk).update(title="theirs")

    response = superuser_client.post(
        change_url(video),
        video_data(video, title="mine", status=VideoStatus.FAILED, loaded_version=version),
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.field_conflicts == [
        FieldConflict("Title", database="theirs", yours="mine"),
        FieldConflict("Status", database="Draft", yours="Failed"),
    ]
    box = conflict_box(response)
    assert "theirs" in box and "mine" in box
    assert "was changed by someone else" in response.content.decode()
    assert form["title"].value() == "mine"
    assert form["status"].value() == VideoStatus.FAILED
    stored = reload(video)
    assert (stored.title, stored.status, stored.state_version) == ("theirs", "draft", 1)


def test_saving_again_after_a_conflict_applies_the_users_values(superuser_client):
    video = VideoFactory(title="original")
    version = loaded_version(superuser_client.get(change_url(video)))
    Video.objects.filter(pk=video.pk).update(title="theirs")
    refused = superuser_client.post(
        change_url(video), video_data(video, title="mine", loaded_version=version)
    )

    again = superuser_client.post(
        change_url(video), video_data(video, title="mine", loaded_version=loaded_version(refused))
    )

    assert again.status_code == 302
    stored = reload(video)
    assert (stored.title, stored.state_version) == ("mine", 2)


def test_change_form_conflicts_with_another_instances_save(superuser_client):
    video = VideoFactory(title="original")
    version = loaded_version(superuser_client.get(change_url(video)))
    theirs = reload(video)
    theirs.persona = PersonaFactory(name="Theirs")
    theirs.save()

    response = superuser_client.post(change_url(video), video_data(video, loaded_version=version))

    assert response.status_code == 200
    assert response.context["adminform"].form.field_conflicts == [
        FieldConflict("Persona", database="Theirs", yours=str(video.persona))
    ]
    assert reload(video).persona.name == "Theirs"


def test_post_without_a_loaded_version_is_refused_like_a_conflict(superuser_client):
    video = VideoFactory(title="original")
    data = video_data(video, title="mine")
    del data["loaded_version"]

    response = superuser_client.post(change_url(video), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.conflict is not None and form.conflict.expected is None
    assert form.field_conflicts == [FieldConflict("Title", database="original", yours="mine")]
    assert 'id="version-conflict"' in response.content.decode()
    assert loaded_version(response) == 0
    assert reload(video).title == "original"


def test_up_to_date_change_form_saves_and_bumps_the_version(superuser_client):
    video = VideoFactory(title="original")
    version = loaded_version(superuser_client.get(change_url(video)))
    response = superuser_client.post(
        change_url(video), video_data(video, title="mine", loaded_version=version)
    )
    assert response.status_code == 302
    stored = reload(video)
    assert (stored.title, stored.state_version) == ("mine", 1)


def test_stale_task_form_shows_json_payloads_side_by_side(superuser_client):
    task = TaskFactory(payload={"prompt": "a cat"})
    version = loaded_version(superuser_client.get(change_url(task)))
    Task.objects.filter(pk=task.pk).update(payload={"prompt": "a dog"})

    response = superuser_client.post(
        change_url(task),
        task_data(task, payload='{"prompt": "a bird"}', loaded_version=version),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.field_conflicts == [
        FieldConflict(
            "Payload", database='{\n  "prompt": "a dog"\n}', yours='{\n  "prompt": "a bird"\n}'
        )
    ]
    assert reload(task).payload == {"prompt": "a dog"}


# Lists


def test_the_videos_list_carries_the_version_of_each_row_it_shows(superuser_client):
    # What an action posts back, so it acts only on rows unchanged since.
    videos = VideoFactory.create_batch(2)
    Video.objects.filter(pk=videos[0].pk).update(title="moved on")
    page = superuser_client.get("/admin/videos/video/").content.decode()
    assert f'name="_seen_version_{videos[0].pk}" value="1"' in page
    assert f'name="_seen_version_{videos[1].pk}" value="0"' in page


@pytest.mark.parametrize("model", ["video", "task"])
def test_the_lists_head_the_version_column_version(superuser_client, model):
    TaskFactory()  # a task and its video: a list with a row
    page = superuser_client.get(f"/admin/videos/{model}/").content.decode()
    header = re.search(
        r'<th[^>]*class="[^"]*column-version_column[^"]*"[^>]*>(.*?)</th>', page, re.S
    )
    assert header, "the list should have the version column"
    assert re.sub(r"<[^>]+>", "", header.group(1)).strip() == "Version"


# Actions


def test_archive_action_archives_unchanged_rows_and_names_the_rest(superuser_client):
    first, second, changed = VideoFactory.create_batch(3, status=VideoStatus.DRAFT)
    published = VideoFactory(status=VideoStatus.PUBLISHED, title="Live one")
    seen = {video.pk: video.state_version for video in [first, second, changed, published]}
    Video.objects.filter(pk=changed.pk).update(title="theirs")

    response = superuser_client.post(
        "/admin/videos/video/", action_post("archive_selected", seen), follow=True
    )

    statuses = {v.pk: v.status for v in Video.objects.filter(pk__in=seen)}
    assert statuses == {
        first.pk: VideoStatus.ARCHIVED,
        second.pk: VideoStatus.ARCHIVED,
        changed.pk: VideoStatus.DRAFT,
        published.pk: VideoStatus.PUBLISHED,
    }
    messages = messages_of(response)
    assert "Archived 2 videos." in messages
    [conflict] = [m for m in messages if "changed by someone else" in m]
    assert change_url(changed) in conflict and "theirs" in conflict
    [skipped] = [m for m in messages if "does not allow it" in m]
    assert change_url(published) in skipped and "Live one" in skipped
    assert change_url(first) not in conflict + skipped


def test_archive_action_without_seen_versions_uses_the_versions_now(superuser_client):
    # "Select all" across pages posts no version for rows the page never showed.
    video = VideoFactory(status=VideoStatus.DRAFT)
    data = {"action": "archive_selected", "index": 0, "_selected_action": [video.pk]}
    superuser_client.post("/admin/videos/video/", data)
    assert reload(video).status == VideoStatus.ARCHIVED


# History


def test_history_names_the_admin_who_changed_the_video(superuser_client):
    video = VideoFactory(title="original")
    superuser_client.post(change_url(video), video_data(video, title="mine"))

    events = superuser_client.get(history_url(video)).context["events"]

    assert [(e.label, e.who) for e in events] == [
        ("update", "admin"),
        ("insert", "a program (SQL)"),
    ]
    assert ("title", "original", "mine") in events[0].changes


def test_history_names_a_program_for_raw_sql_updates(superuser_client):
    video = VideoFactory(title="original")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE videos SET title = %s, state_version = state_version + 1 WHERE video_id = %s",
            ["from the pipeline", video.pk],
        )

    response = superuser_client.get(history_url(video))

    latest = response.context["events"][0]
    assert (latest.label, latest.who) == ("update", "a program (SQL)")
    assert ("title", "original", "from the pipeline") in latest.changes
    assert "a program (SQL)" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_history_tells_an_admin_change_from_a_later_sql_change(client_for):
    # Committed requests, as in production: the admin's context must not leak
    # into the pipeline's next write.
    superuser_client = client_for(UserFactory(username="admin", is_superuser=True))
    video = VideoFactory(title="original")
    superuser_client.post(change_url(video), video_data(video, title="mine"))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE videos SET title = 'pipeline' WHERE video_id = %s", [video.pk])

    events = superuser_client.get(history_url(video)).context["events"]

    assert [(e.label, e.who) for e in events] == [
        ("update", "a program (SQL)"),
        ("update", "admin"),
        ("insert", "a program (SQL)"),
    ]
