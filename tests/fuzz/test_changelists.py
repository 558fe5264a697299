"""Every changelist (and the gallery) asked with hostile query strings: filters,
search, ordering, page numbers, and names no page knows. Never a 500; a page
that answers shows nothing injected unescaped."""

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import (
    ArtifactFactory,
    PendingReportFactory,
    PublishReceiptFactory,
    TaskFactory,
    VideoFactory,
)
from tests.fuzz.cases import case, fuzz, send
from tests.fuzz.strategies import SCRIPT, hostile_text, integers_as_text

# Each list's own parameters (its filters), beside those every changelist takes.
LISTS = {
    "/admin/personas/persona/": [],
    "/admin/videos/video/": ["status", "status__exact"],
    "/admin/videos/task/": ["type", "type__exact", "status", "status__exact"],
    "/admin/videos/artifact/": ["kind", "kind__exact"],
    "/admin/videos/artifact/gallery/": ["kind", "persona", "status", "created_after"]
    + ["created_before", "title", "page"],
    "/admin/safety/safetyreport/": ["requires_human_review", "requires_human_review__exact"],
    "/admin/safety/reviewqueueitem/": ["state", "held", "category", "severity", "waiting"]
    + ["persona"],
    "/admin/safety/decisionlog/": ["decision", "reason", "moderator", "category"]
    + ["created_at__gte", "created_at__lt"],
    "/admin/safety/qalog/": ["stage", "verdict", "reviewer", "created_at__gte", "created_at__lt"],
    "/admin/safety/qasample/": ["state"],
    "/admin/insights/dashboard/": ["days", "section", "csv"],
    "/admin/publishing/readyvideo/": [],
    "/admin/publishing/publishreceipt/": ["channel", "status", "status__exact"]
    + ["timestamp__gte", "timestamp__lt"],
    "/admin/publishing/publishfailure/": ["channel"],
}
COMMON = ["q", "o", "p", "all", "e", "_changelist_filters", "_to_field", "_popup", "zz"]


def query(names):
    value = st.one_of(hostile_text(60), integers_as_text())
    return st.dictionaries(st.sampled_from(names), value, max_size=4)


@pytest.fixture
def some_rows(db):
    """A few rows of each kind, one of them carrying script in its text, so
    every list has something to show and escape."""
    video = VideoFactory(title=SCRIPT)
    TaskFactory(video=video)
    ArtifactFactory(video=video)
    PendingReportFactory(task__video=video, category=SCRIPT)
    PublishReceiptFactory(video=video, remote_id=SCRIPT)


@pytest.mark.parametrize("url", LISTS)
@fuzz(max_examples=40)
@given(data=st.data())
def test_a_changelist_asked_anything_answers_without_a_500(superuser_client, some_rows, url, data):
    params = data.draw(query(LISTS[url] + COMMON), label="params")
    with case("changelists: query strings"):
        send(superuser_client, "changelists: query strings", "get", f"{url}?{urlencode(params)}")


# The query strings issue 10 lists, asked of every list on every run.
KNOWN = {
    "persona": "not-a-uuid",
    "category": "\x00",
    "channel": "\x00",
    "status": "\x00x",
    "created_after": "notadate",
    "q": "\x00",
    "p": "9" * 400,
}


@pytest.mark.parametrize("url", LISTS)
def test_a_changelist_asked_the_values_that_once_broke_lists_answers_without_a_500(
    superuser_client, some_rows, url
):
    for name in [*LISTS[url], "q", "p"]:
        if name in KNOWN:
            with case("changelists: query strings"):
                send(
                    superuser_client,
                    "changelists: query strings",
                    "get",
                    f"{url}?{urlencode({name: KNOWN[name]})}",
                )
