"""JSON documents in admin forms: bad input is a form error, never a 500;
unknown keys from the pipeline survive a save; documents are shown indented.
(Reports' issues have no form: they are the pipeline's, read-only, see
tests/admin/test_pipeline_records.py.)"""

import json
from html import unescape

import pytest

from personas.models import Persona
from tests.admin.pages import change_url, persona_data, task_data
from tests.factories import PersonaFactory, SafetyReportFactory, TaskFactory
from videos.models import Task

MALFORMED = '{"a": '


@pytest.fixture
def superuser_client(admin_user, client_for):
    return client_for(admin_user)


def post(superuser_client, obj, data):
    response = superuser_client.post(change_url(obj), data)
    assert response.status_code == 200, "the form should be re-shown with its errors"
    return response.context["adminform"].form


def saved(superuser_client, obj, data):
    response = superuser_client.post(change_url(obj), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return type(obj).objects.get(pk=obj.pk)


def test_malformed_tone_profile_is_a_form_error_and_nothing_is_saved(superuser_client):
    persona = PersonaFactory(name="Ada")
    form = post(
        superuser_client, persona, persona_data(persona, name="Changed", tone_profile=MALFORMED)
    )
    assert form.errors["tone_profile"] == [
        "This is not valid JSON: Expecting value at line 1, column 7."
    ]
    assert Persona.objects.get(pk=persona.pk).name == "Ada"


def test_malformed_task_payload_is_a_form_error_and_nothing_is_saved(superuser_client):
    task = TaskFactory(payload={"prompt": "before"})
    form = post(superuser_client, task, task_data(task, payload=MALFORMED, status="failed"))
    assert "This is not valid JSON" in form.errors["payload"][0]
    stored = Task.objects.get(pk=task.pk)
    assert (stored.payload, stored.status, stored.state_version) == (
        {"prompt": "before"},
        "queued",
        0,
    )


def test_malformed_json_is_shown_back_as_typed(superuser_client):
    persona = PersonaFactory()
    response = superuser_client.post(
        change_url(persona), persona_data(persona, tone_profile=MALFORMED)
    )
    assert f">\n{MALFORMED}</textarea>" in unescape(response.content.decode())


@pytest.mark.parametrize("profile", ['["warm", "brisk"]', "[]"])
def test_tone_profile_that_is_not_an_object_is_a_form_error(superuser_client, profile):
    persona = PersonaFactory(tone_profile={"voice": "warm"})
    form = post(superuser_client, persona, persona_data(persona, tone_profile=profile))
    assert form.errors["tone_profile"] == ["Expected a JSON object ({…}), got a list."]
    assert Persona.objects.get(pk=persona.pk).tone_profile == {"voice": "warm"}


@pytest.mark.parametrize(
    ("payload", "got"),
    [('"render it"', "a string"), ("[1]", "a list"), ("3", "a number"), ("true", "true/false")],
)
def test_task_payload_that_is_not_an_object_is_a_form_error_naming_what_it_got(
    superuser_client, payload, got
):
    task = TaskFactory()
    form = post(superuser_client, task, task_data(task, payload=payload))
    assert form.errors["payload"] == [f"Expected a JSON object ({{…}}), got {got}."]


def test_unknown_keys_in_tone_profile_are_saved_and_kept(superuser_client):
    persona = PersonaFactory()
    profile = {"voice": "calm", "x_pipeline": {"model": "tts-9", "weights": [0.2, 0.8]}}
    stored = saved(
        superuser_client, persona, persona_data(persona, tone_profile=json.dumps(profile))
    )
    assert stored.tone_profile == profile


def test_unknown_keys_in_task_payload_are_saved_and_kept(superuser_client):
    task = TaskFactory(payload={})
    payload = {"prompt": "a cat", "x_retry": {"attempt": 2}}
    stored = saved(superuser_client, task, task_data(task, payload=json.dumps(payload)))
    assert stored.payload == payload


def test_empty_documents_of_the_right_shape_are_saved(superuser_client):
    persona = PersonaFactory()
    assert (
        saved(superuser_client, persona, persona_data(persona, tone_profile="{}")).tone_profile
        == {}
    )


def test_blank_json_field_saves_no_document(superuser_client):
    persona = PersonaFactory()
    assert (
        saved(superuser_client, persona, persona_data(persona, tone_profile="")).tone_profile
        is None
    )


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (lambda: PersonaFactory(tone_profile={"voice": "warm", "pace": "brisk"}), "tone_profile"),
        (lambda: TaskFactory(payload={"voice": "warm", "pace": "brisk"}), "payload"),
        (
            lambda: SafetyReportFactory(issues=[{"category": "violence", "severity": "low"}]),
            "issues",
        ),
    ],
)
def test_json_is_shown_indented_on_the_change_page(superuser_client, factory, field):
    obj = factory()
    stored = getattr(type(obj).objects.get(pk=obj.pk), field)  # in jsonb's key order
    page = unescape(superuser_client.get(change_url(obj)).content.decode())
    assert json.dumps(stored, indent=2) in page


DEEP = "[" * 100_000 + "]" * 100_000
TOO_BIG_INTEGER = "9007199254740992"  # 2**53


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"a": NaN}', "NaN is not a number JSON documents here may hold"),
        ('{"a": Infinity}', "Infinity is not a number JSON documents here may hold"),
        ('{"a": -Infinity}', "-Infinity is not a number JSON documents here may hold"),
        ('{"x": 1e999}', "The number 1e999 is too large to store."),
        ('{"x": -1e999}', "The number -1e999 is too large to store."),
        (f'{{"x": {TOO_BIG_INTEGER}}}', "The integer 9007199254740992 is too large"),
        ('{"x": ' + "9" * 5000 + "}", "The integer 999999999999999999999999… (5000 characters)"),
        ('{"a": "x\\u0000y"}', "contains a NUL character (\\u0000), which cannot be stored."),
        ('{"\\u0000": 1}', "contains a NUL character (\\u0000), which cannot be stored."),
        ('{"a": "\\ud800"}', "half of a UTF-16 surrogate pair"),
        ('{"a": ' + DEEP + "}", "nested more than 64 levels deep."),
        ("[" * 65 + "]" * 65, "nested more than 64 levels deep."),
        ('{"a": "' + "x" * 300_000 + '"}', "This document is 293 KB; at most 256 KB are accepted."),
    ],
)
@pytest.mark.parametrize("field", ["tone_profile", "payload"])
def test_json_that_postgres_or_our_readers_cannot_hold_is_a_form_error(
    superuser_client, field, document, message
):
    if field == "tone_profile":
        obj = PersonaFactory(tone_profile={"voice": "warm"})
        data = persona_data(obj, tone_profile=document)
    else:
        obj = TaskFactory(payload={"voice": "warm"})
        data = task_data(obj, payload=document)
    form = post(superuser_client, obj, data)
    assert len(form.errors[field]) == 1
    assert message in form.errors[field][0]
    assert getattr(type(obj).objects.get(pk=obj.pk), field) == {"voice": "warm"}


def test_a_refused_document_is_shown_back_as_typed(superuser_client):
    persona = PersonaFactory()
    typed = '{"a": NaN}'
    response = superuser_client.post(change_url(persona), persona_data(persona, tone_profile=typed))
    assert f">\n{typed}</textarea>" in unescape(response.content.decode())


def test_documents_at_the_limits_are_saved_and_one_past_them_refused(superuser_client):
    persona = PersonaFactory()
    past = {"nested": "[" * 65 + "]" * 65, "big": str(2**53), "small": str(-(2**53))}
    for name, text in past.items():
        form = post(
            superuser_client, persona, persona_data(persona, tone_profile=f'{{"{name}": {text}}}')
        )
        assert form.errors["tone_profile"], name
    profile = {
        "nested": json.loads("[" * 63 + "]" * 63),
        "big": 2**53 - 1,
        "small": -(2**53 - 1),
        "float": 2.5,
        "text": "héllo \U0001f600",
    }
    stored = saved(
        superuser_client, persona, persona_data(persona, tone_profile=json.dumps(profile))
    )
    assert stored.tone_profile == profile
