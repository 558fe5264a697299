"""keyed_url reverses a URL name once and fills each row's key in: the same URL
`reverse` gives, under any script prefix."""

import uuid

import pytest
from django.urls import get_script_prefix, reverse, set_script_prefix

from core.admin_links import keyed_url

NAMES = [
    "admin:videos_video_change",
    "admin:videos_video_timeline",
    "admin:safety_reviewqueueitem_review",
    "admin:publishing_readyvideo_approve",
]


@pytest.fixture
def prefix():
    before = get_script_prefix()
    yield set_script_prefix
    set_script_prefix(before)


@pytest.mark.parametrize("name", NAMES)
def test_a_keyed_url_is_the_reversed_url(name):
    for key in (uuid.uuid4(), uuid.uuid4()):
        assert keyed_url(name, key) == reverse(name, args=[key])


@pytest.mark.parametrize("name", NAMES)
def test_a_keyed_url_follows_the_script_prefix(name, prefix):
    key = uuid.uuid4()
    keyed_url(name, key)  # reversed under the first prefix
    prefix("/backoffice/")
    assert keyed_url(name, key) == reverse(name, args=[key])
    assert keyed_url(name, key).startswith("/backoffice/admin/")


def test_a_key_that_is_not_a_uuid_is_reversed_as_it_is():
    assert keyed_url("admin:axes_accessattempt_change", 42) == reverse(
        "admin:axes_accessattempt_change", args=[42]
    )
