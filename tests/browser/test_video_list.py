"""The videos list in a browser: one line per video, however long its title."""

import pytest
from playwright.sync_api import expect

from contentops.roles import EDITORS
from tests.factories import UserFactory, VideoFactory

pytestmark = pytest.mark.browser

LONG_TITLE = "Why the deep sea is stranger than the surface of the moon, explained " * 4


def test_every_row_is_one_line_and_a_long_title_is_cut_short_with_its_whole_text_on_hover(
    new_context, login
):
    VideoFactory(title="Short")
    VideoFactory(title=LONG_TITLE)
    page = login(new_context(), UserFactory(username="editor", groups=[EDITORS]))
    page.goto("/admin/videos/video/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)

    heights = [rows.nth(n).bounding_box()["height"] for n in range(2)]
    assert heights[0] == heights[1], "the long title's row should be as tall as the short one's"
    long_title = page.locator(".field-title_column .one-line", has_text="Why the deep sea")
    expect(long_title).to_have_attribute("title", LONG_TITLE)
    cut = long_title.evaluate("span => span.scrollWidth > span.clientWidth")
    assert cut, "the long title should be cut short on screen"
    # The other columns and the filters stay on screen beside it.
    for part in ("#result_list", "#changelist-filter"):
        box = page.locator(part).bounding_box()
        assert box["x"] + box["width"] <= page.viewport_size["width"], f"{part} is cut off"
