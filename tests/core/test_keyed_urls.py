"""`{% keyed_url %}` (core/templatetags/keyed_urls.py) links exactly as `{% url %}`."""

import uuid

import pytest
from django.template import engines

KEYS = [uuid.uuid4(), "42", uuid.UUID(int=1)]


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize("key", KEYS, ids=["uuid", "not a uuid", "small uuid"])
@pytest.mark.parametrize(
    "name",
    ["admin:videos_artifact_content", "admin:videos_video_timeline", "admin:videos_video_change"],
)
def test_keyed_url_is_the_url_tag(name, key):
    url = render("{% url name key %}", name=name, key=key)

    assert render("{% load keyed_urls %}{% keyed_url name key %}", name=name, key=key) == url
    assert (
        render(
            "{% load keyed_urls %}{% keyed_url name key as link %}[{{ link }}]", name=name, key=key
        )
        == f"[{url}]"
    )
