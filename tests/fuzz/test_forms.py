"""Every admin add and change form, posted with generated and hostile values.

Whatever is posted: never a 500, and a refused form (anything but the redirect
that follows a save) leaves the table exactly as it was."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from personas.models import Persona
from publishing.models import PublishReceipt
from safety.models import SafetyReport
from tests.admin.pages import change_data, change_url, changelist_url
from tests.factories import (
    ArtifactFactory,
    PersonaFactory,
    PublishReceiptFactory,
    SafetyReportFactory,
    TaskFactory,
    VideoFactory,
)
from tests.fuzz.cases import case, fuzz, send
from tests.fuzz.strategies import hostile_json, hostile_text, ids, integers_as_text
from tests.helpers import rows
from videos.models import Artifact, Task, Video


def vocabulary(*values):
    return st.one_of(st.sampled_from(values), hostile_text(20))


def date_parts(name):
    day = st.one_of(st.dates().map(str), hostile_text(30))
    time = st.one_of(st.times().map(str), hostile_text(30))
    return st.fixed_dictionaries({f"{name}_0": day, f"{name}_1": time})


def persona_fields(obj, video):
    return st.fixed_dictionaries({"name": hostile_text(), "tone_profile": hostile_json()})


def video_fields(obj, video):
    return st.fixed_dictionaries(
        {
            "title": hostile_text(),
            "persona": ids([video.persona_id]),
            "status": vocabulary("draft", "producing", "ready", "published"),
            "loaded_version": st.one_of(st.just(str(obj.state_version)), integers_as_text()),
        }
    ).flatmap(lambda data: date_parts("published_at").map(lambda dates: {**data, **dates}))


def task_fields(obj, video):
    return st.fixed_dictionaries(
        {
            "video": ids([video.pk]),
            "type": vocabulary("script", "render", "publish", "safety_check"),
            "status": vocabulary("queued", "running", "failed"),
            "payload": hostile_json(),
            "loaded_version": st.one_of(st.just(str(obj.state_version)), integers_as_text()),
        }
    )


def artifact_fields(obj, video):
    return st.fixed_dictionaries(
        {
            "video": ids([video.pk]),
            "kind": vocabulary("script", "render", "thumbnail", "audio"),
            "s3_path": st.one_of(
                st.sampled_from(["s3://contentops/a/b.txt", "s3://../x", "s3://b/"]),
                hostile_text().map(lambda text: "s3://contentops/" + text),
                hostile_text(),
            ),
        }
    )


def report_fields(obj, video):
    return st.fixed_dictionaries(
        {
            "task": ids([obj.task_id]),
            "score": st.one_of(
                st.floats(allow_nan=True, allow_infinity=True).map(str), hostile_text(30)
            ),
            "issues": hostile_json(),
            "requires_human_review": st.sampled_from(["on", "", "\x00"]),
        }
    )


def receipt_fields(obj, video):
    return st.fixed_dictionaries(
        {
            "video": ids([video.pk]),
            "channel": vocabulary("youtube", "tiktok"),
            "status": vocabulary("pending", "published", "failed", "retracted"),
            "remote_id": hostile_text(),
        }
    ).flatmap(lambda data: date_parts("timestamp").map(lambda dates: {**data, **dates}))


FORMS = {
    "persona": (Persona, PersonaFactory, persona_fields),
    "video": (Video, VideoFactory, video_fields),
    "task": (Task, TaskFactory, task_fields),
    "artifact": (Artifact, ArtifactFactory, artifact_fields),
    "safety report": (SafetyReport, SafetyReportFactory, report_fields),
    "publish receipt": (PublishReceipt, PublishReceiptFactory, receipt_fields),
}


@pytest.mark.parametrize("name", FORMS)
@fuzz(max_examples=30)
@given(data=st.data())
def test_an_add_form_posted_with_anything_adds_a_row_or_refuses_without_writing(
    superuser_client, name, data
):
    model, factory, fields = FORMS[name]
    with case(f"forms: add {name}"):
        sample = factory()  # only for the generated keys to point at something real
        video = VideoFactory()
        before = rows(model)
        posted = data.draw(fields(sample, video), label="posted")
        response = send(
            superuser_client,
            f"forms: add {name}",
            "post",
            f"{changelist_url(sample)}add/",
            data=posted,
        )
        if response.status_code != 302:
            assert rows(model) == before


@pytest.mark.parametrize("name", FORMS)
@fuzz(max_examples=30)
@given(data=st.data())
def test_a_change_form_posted_with_anything_saves_or_refuses_without_writing(
    superuser_client, name, data
):
    model, factory, fields = FORMS[name]
    with case(f"forms: change {name}"):
        obj = factory()
        video = VideoFactory()
        before = rows(model, pk=obj.pk)
        # Start from the form as the page fills it, then overwrite what was drawn.
        posted = change_data(obj) | data.draw(fields(obj, video), label="posted")
        response = send(
            superuser_client, f"forms: change {name}", "post", change_url(obj), data=posted
        )
        if response.status_code != 302:
            assert rows(model, pk=obj.pk) == before
