"""Every admin page runs a fixed number of queries, however many rows it shows.

Counts are pinned exactly: a change that adds a query (an N+1 on a column, a
lookup per row) fails here and has to be looked at. Content types are warmed
first, as they are in a running process, so the counts are the steady state.
"""

import pghistory
import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from contentops.roles import CONTENT_MODELS
from tests.factories import (
    ArtifactFactory,
    PersonaFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)

FACTORIES = {
    "personas/persona": PersonaFactory,
    "videos/video": VideoFactory,
    "videos/task": TaskFactory,
    "videos/artifact": ArtifactFactory,
    "safety/safetyreport": SafetyReportFactory,
    "publishing/publishreceipt": PublishReceiptFactory,
}

# A field per model that an edit changes, so the history page has events to show.
EDITS = {
    "personas/persona": lambda n: {"name": f"Persona edit {n}"},
    "videos/video": lambda n: {"title": f"Video edit {n}"},
    "videos/task": lambda n: {"payload": {"edit": n}},
    "videos/artifact": lambda n: {"s3_path": f"s3://contentops/edit/{n}"},
    "safety/safetyreport": lambda n: {"score": n / 100},
    "publishing/publishreceipt": lambda n: {"remote_id": f"remote-{n}"},
}

# session, user (with their permissions: accounts.backends) ...
CHANGELIST_QUERIES = {
    # ... count of the filtered rows, the page of rows with their related rows.
    "admin": dict.fromkeys(FACTORIES, 4),
    "viewer": dict.fromkeys(FACTORIES, 4),
}

# Tasks, reports and receipts name their video (and a report its task) in read-only
# columns, loaded with the row by a join.
_ONE_QUERY = ["personas/persona", "videos/task", "safety/safetyreport", "publishing/publishreceipt"]
CHANGE_PAGE_QUERIES = {
    # ... the row, the row its foreign key widget names (none on the pages of _ONE_QUERY).
    "admin": dict.fromkeys(FACTORIES, 4) | dict.fromkeys(_ONE_QUERY, 3),
    "viewer": dict.fromkeys(FACTORIES, 4) | dict.fromkeys(_ONE_QUERY, 3),
}

HISTORY_PAGE_QUERIES = {
    # ... the row, its events with their contexts, the users the events name.
    "admin": 5,
    "viewer": 5,
}

ROW_COUNTS = [3, 30]


@pytest.fixture(autouse=True)
def warm_content_types(db):
    ContentType.objects.get_for_models(*(apps.get_model(*name) for name in CONTENT_MODELS))


@pytest.fixture(params=["admin", "viewer"])
def who(request, db):
    return request.param


@pytest.fixture
def person_client(request, who, client_for):
    return client_for(request.getfixturevalue("admin_user" if who == "admin" else "viewer"))


def edit_as_people(obj, count: int, model: str) -> None:
    """`count` edits of `obj`, each recorded as made by one of two admin users."""
    people = [UserFactory(), UserFactory()]
    for n in range(count):
        with pghistory.context(user=people[n % 2].pk, url="/admin/"):
            type(obj).objects.filter(pk=obj.pk).update(**EDITS[model](n))


@pytest.mark.parametrize("rows", ROW_COUNTS)
@pytest.mark.parametrize("model", FACTORIES)
def test_changelist_query_count_does_not_grow_with_rows(
    person_client, who, model, rows, django_assert_num_queries
):
    FACTORIES[model].create_batch(rows)
    with django_assert_num_queries(CHANGELIST_QUERIES[who][model]):
        response = person_client.get(f"/admin/{model}/")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("rows", ROW_COUNTS)
@pytest.mark.parametrize("model", FACTORIES)
def test_change_page_query_count_is_pinned(
    person_client, who, model, rows, django_assert_num_queries
):
    obj = FACTORIES[model].create_batch(rows)[0]
    with django_assert_num_queries(CHANGE_PAGE_QUERIES[who][model]):
        response = person_client.get(f"/admin/{model}/{obj.pk}/change/")
    assert response.status_code == 200


@pytest.mark.parametrize("events", ROW_COUNTS)
@pytest.mark.parametrize("model", FACTORIES)
def test_history_page_query_count_does_not_grow_with_events(
    person_client, who, model, events, django_assert_num_queries
):
    obj = FACTORIES[model]()
    edit_as_people(obj, events, model)
    with django_assert_num_queries(HISTORY_PAGE_QUERIES[who]):
        response = person_client.get(f"/admin/{model}/{obj.pk}/history/")
    assert response.status_code == 200
    # The insert and every edit, each naming who made it.
    assert len(response.context["events"]) == events + 1
