"""The videos list shows one line per video: no form fields in a row but the
action checkbox and the version it carries, and the title, cut short on screen
when long, linking to the change form where it is edited."""

import pytest

from tests.factories import VideoFactory
from tests.helpers import attribute, html, select, text

pytestmark = pytest.mark.django_db

LONG_TITLE = "A very long title " * 12


@pytest.fixture
def superuser_client(admin_user, client_for):
    return client_for(admin_user)


def test_a_row_holds_no_form_field_but_the_checkbox_and_its_version(superuser_client):
    VideoFactory.create_batch(3)
    page = html(superuser_client.get("/admin/videos/video/"))
    rows = select(page, "#result_list tbody tr")
    assert len(rows) == 3
    for row in rows:
        assert select(row, "textarea") == []
        fields = [(attribute(i, "type"), attribute(i, "name")) for i in select(row, "input")]
        assert [kind for kind, _ in fields] == ["checkbox", "hidden"]
        assert fields[1][1].startswith("_seen_version_")
    # No formset either: nothing on the page posts titles back.
    names = [attribute(i, "name") for i in select(page, "#changelist-form input")]
    assert "form-TOTAL_FORMS" not in names


def test_a_long_title_is_one_line_with_the_whole_title_in_its_title_attribute(
    superuser_client,
):
    video = VideoFactory(title=LONG_TITLE)
    page = html(superuser_client.get("/admin/videos/video/"))
    [cell] = select(page, "#result_list td.field-title_column")
    [link] = select(cell, "a")
    assert attribute(link, "href") == f"/admin/videos/video/{video.pk}/change/"
    [title] = select(link, "span.one-line")
    assert attribute(title, "title") == LONG_TITLE
    assert text(title) == LONG_TITLE.strip()
