"""The incidents list: leads and superusers read it, nobody writes it."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from monitoring.models import Incident, IncidentKind

pytestmark = pytest.mark.django_db

LIST = "/admin/monitoring/incident/"


def make_incidents(count: int) -> list[Incident]:
    now = timezone.now()
    return [
        Incident.objects.create(
            kind=IncidentKind.CHANNEL_FAILING,
            subject=f"channel-{n}",
            summary=f"The channel channel-{n} failed its last 3 publishes.",
            opened_at=now - timedelta(minutes=n),
            resolved_at=now if n % 2 else None,
            webhook_sent_at=now if n % 3 else None,
        )
        for n in range(count)
    ]


@pytest.fixture
def lead_client(roles, lead, client_for):
    return client_for(lead)


def test_a_lead_reads_the_incidents_list_and_an_incident(lead_client):
    opened, resolved = make_incidents(2)

    listing = lead_client.get(LIST)
    page = lead_client.get(f"{LIST}{opened.pk}/change/")

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [opened, resolved]
    content = listing.content.decode()
    assert "The channel channel-0 failed its last 3 publishes." in content
    assert "open for" in content and "resolved" in content
    assert page.status_code == 200
    assert b'name="_save"' not in page.content


@pytest.mark.parametrize("who", ["moderator", "editor", "viewer"])
def test_other_staff_may_not_read_incidents(roles, request, client_for, who):
    client = client_for(request.getfixturevalue(who))
    [incident] = make_incidents(1)

    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{incident.pk}/change/").status_code == 403


@pytest.mark.parametrize("who", ["lead", "admin_user"])
def test_nobody_changes_or_deletes_an_incident(roles, request, client_for, who):
    client = client_for(request.getfixturevalue(who))
    [incident] = make_incidents(1)
    before = Incident.objects.values().get()

    changed = client.post(f"{LIST}{incident.pk}/change/", {"summary": "all fine"})
    deleted = client.post(f"{LIST}{incident.pk}/delete/", {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    assert client.get(f"{LIST}add/").status_code == 403
    assert Incident.objects.values().get() == before


def test_the_state_filter_lists_open_or_resolved(lead_client):
    incidents = make_incidents(4)

    open_ones = lead_client.get(LIST, {"state": "open"}).context["cl"].result_list
    resolved = lead_client.get(LIST, {"state": "resolved"}).context["cl"].result_list

    assert list(open_ones) == [incidents[0], incidents[2]]
    assert list(resolved) == [incidents[1], incidents[3]]


@pytest.mark.parametrize(
    "query, says",
    [
        ({"state": "bogus"}, "The list's filters were not valid here"),
        ({"kind": "bogus"}, "Ignored the filter “kind”"),
        ({"kind": "a\x00b"}, "cannot contain a NUL character"),
    ],
)
def test_a_bad_filter_is_ignored_with_a_message(lead_client, query, says):
    make_incidents(2)

    response = lead_client.get(LIST, query, follow=True)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2
    assert any(says in str(m) for m in get_messages(response.wsgi_request))


def test_a_lead_sees_monitoring_on_the_admin_index(lead_client):
    response = lead_client.get("/admin/")

    assert LIST.encode() in response.content


# session, user (with their permissions: accounts.backends), the page of
# incidents (no count: it is capped), the capped count.
LIST_QUERIES = {"admin_user": 4, "lead": 4}


@pytest.mark.parametrize("who", ["admin_user", "lead"])
@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_query_count_is_pinned(
    roles, request, client_for, who, rows, django_assert_num_queries
):
    client = client_for(request.getfixturevalue(who))
    make_incidents(rows)

    with django_assert_num_queries(LIST_QUERIES[who]):
        assert client.get(LIST).status_code == 200


# ... and the incident.
CHANGE_PAGE_QUERIES = {"admin_user": 3, "lead": 3}


@pytest.mark.parametrize("who", ["admin_user", "lead"])
def test_the_change_page_query_count_is_pinned(
    roles, request, client_for, who, django_assert_num_queries
):
    client = client_for(request.getfixturevalue(who))
    [incident] = make_incidents(1)

    with django_assert_num_queries(CHANGE_PAGE_QUERIES[who]):
        assert client.get(f"{LIST}{incident.pk}/change/").status_code == 200
