"""The incidents list, /health/ and /metrics asked with hostile input: never a
500, nothing injected shown unescaped, and no metrics without the token."""

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.models import Incident, IncidentKind
from tests.factories import UserFactory
from tests.fuzz.cases import case, fuzz, send
from tests.fuzz.strategies import SCRIPT, hostile_text, integers_as_text
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db

PARAMETERS = ["kind", "kind__exact", "state", "q", "o", "p", "all", "e", "_to_field", "zz"]


@pytest.fixture
def superuser_client(db):
    user = UserFactory(username="fuzz-admin", is_superuser=True)
    return logged_in(user, raise_request_exception=True)


@pytest.fixture
def incident(db):
    return Incident.objects.create(
        kind=IncidentKind.CHANNEL_FAILING, subject=SCRIPT, summary=SCRIPT, notify_error=SCRIPT
    )


def values():
    return st.one_of(hostile_text(60), integers_as_text())


@fuzz(max_examples=60)
@given(params=st.dictionaries(st.sampled_from(PARAMETERS), values(), max_size=4))
def test_the_incidents_list_asked_anything_answers_without_a_500(
    superuser_client, incident, params
):
    with case("monitoring: incidents list"):
        url = f"/admin/monitoring/incident/?{urlencode(params)}"
        send(superuser_client, "monitoring: incidents list", "get", url)


@fuzz(max_examples=30)
@given(object_id=st.one_of(hostile_text(40), integers_as_text()))
def test_an_incident_page_asked_any_id_answers_without_a_500(superuser_client, object_id):
    with case("monitoring: incident page"):
        url = f"/admin/monitoring/incident/{object_id.replace('/', '%2F')}/change/"
        response = send(superuser_client, "monitoring: incident page", "get", url)
        assert response.status_code in (200, 302, 404)


@fuzz(max_examples=60)
@given(authorization=hostile_text(80), query=hostile_text(40))
def test_metrics_and_health_asked_anything_answer_without_a_500(
    client, settings, authorization, query
):
    settings.METRICS_TOKEN = "the-token"
    with case("monitoring: endpoints"):
        metrics = send(
            client,
            "monitoring: endpoints",
            "get",
            f"/metrics?{urlencode({'q': query})}",
            headers={"Authorization": authorization},
        )
        assert metrics.status_code == 401
        health = send(client, "monitoring: endpoints", "get", f"/health/?{urlencode({'q': query})}")
        assert health.status_code in (200, 503)
