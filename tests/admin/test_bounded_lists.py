"""Admin lists never count a whole large table: they count matching rows up to
ADMIN_COUNT_LIMIT, say "more than N" beyond it and offer no pages past it.

The limit is set small here (and the page size with it) so a few rows exceed it.
"""

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import VideoFactory
from videos.models import Video, VideoStatus

PER_PAGE = 5
LIMIT = 10


@pytest.fixture
def small_pages(settings, monkeypatch):
    settings.ADMIN_COUNT_LIMIT = LIMIT
    monkeypatch.setattr(admin.site._registry[Video], "list_per_page", PER_PAGE)


@pytest.fixture
def superuser_client(admin_user, client_for):
    return client_for(admin_user)


def count_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if "COUNT(" in q["sql"]]


def test_a_list_counts_only_up_to_the_limit(small_pages, superuser_client):
    VideoFactory.create_batch(30)
    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.get("/admin/videos/video/")
    cl = response.context["cl"]
    assert cl.paginator.capped
    assert cl.paginator.num_pages == LIMIT // PER_PAGE
    # One bounded count (the limit plus one row), never a COUNT over the table.
    [count] = count_queries(queries.captured_queries)
    assert f"LIMIT {LIMIT + 1}" in count
    assert f"more than {LIMIT} videos" in response.text
    assert len(cl.result_list) == PER_PAGE


def test_pages_past_the_limit_are_not_offered(small_pages, superuser_client):
    VideoFactory.create_batch(30)
    last = superuser_client.get("/admin/videos/video/", {"p": LIMIT // PER_PAGE})
    assert last.status_code == 200
    assert len(last.context["cl"].result_list) == PER_PAGE
    beyond = superuser_client.get("/admin/videos/video/", {"p": LIMIT // PER_PAGE + 1})
    # Django's answer to a page that does not exist: back to the list, flagged.
    assert beyond.status_code == 302
    assert "e=1" in beyond["Location"]


def test_an_unfiltered_capped_list_names_the_planners_estimate(small_pages, superuser_client):
    VideoFactory.create_batch(30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE videos")
    response = superuser_client.get("/admin/videos/video/")
    assert "(about 30 in all)" in response.text


def test_a_filtered_list_asks_for_no_estimate(
    small_pages, superuser_client, django_assert_num_queries
):
    VideoFactory.create_batch(30, status=VideoStatus.READY)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE videos")
    # The unfiltered list: session, user, count, rows, estimate.
    with django_assert_num_queries(5):
        superuser_client.get("/admin/videos/video/")
    # Filtered, the estimate of the whole table would mislead: no such query.
    with django_assert_num_queries(4):
        response = superuser_client.get(
            "/admin/videos/video/", {"status__exact": VideoStatus.READY}
        )
    assert response.context["cl"].paginator.capped
    assert "in all" not in response.text


def test_a_search_counts_only_up_to_the_search_limit(small_pages, superuser_client, settings):
    settings.ADMIN_SEARCH_COUNT_LIMIT = PER_PAGE
    VideoFactory.create_batch(30, title="Octopus facts")
    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.get("/admin/videos/video/", {"q": "octopus"})
    # Each row counted is a row whose title was tested: fewer for a search.
    [count] = count_queries(queries.captured_queries)
    assert f"LIMIT {PER_PAGE + 1}" in count
    cl = response.context["cl"]
    assert cl.paginator.capped and cl.paginator.num_pages == 1
    assert f"more than {PER_PAGE} results" in response.text
    # Without a search term the list's own limit holds.
    assert superuser_client.get("/admin/videos/video/").context["cl"].paginator.limit == LIMIT


def test_a_list_under_the_limit_counts_exactly(small_pages, superuser_client):
    VideoFactory.create_batch(8)
    response = superuser_client.get("/admin/videos/video/")
    cl = response.context["cl"]
    assert not cl.paginator.capped
    assert cl.result_count == 8
    assert cl.paginator.num_pages == 2
    assert "8 videos" in response.text
    assert "Select all 8 videos" in response.text


def test_select_all_is_not_offered_when_the_count_is_capped(small_pages, superuser_client):
    VideoFactory.create_batch(30)
    response = superuser_client.get("/admin/videos/video/")
    assert "Select all 30" not in response.text
    assert "Select all 11" not in response.text
    assert 'class="question' not in response.text


def archive_all(superuser_client, videos):
    """The archive action on every matching row: the first page ticked, then
    "select all" (select_across)."""
    return superuser_client.post(
        "/admin/videos/video/",
        {
            "action": "archive_selected",
            "select_across": "1",
            "index": "0",
            helpers.ACTION_CHECKBOX_NAME: [str(v.pk) for v in videos[:PER_PAGE]],
        },
        follow=True,
    )


def test_an_action_over_all_rows_is_refused_when_the_count_is_capped(small_pages, superuser_client):
    videos = VideoFactory.create_batch(30, status=VideoStatus.READY)
    response = archive_all(superuser_client, videos)
    assert f"An action can run on at most {LIMIT} rows at once" in response.text
    assert not Video.objects.filter(status=VideoStatus.ARCHIVED).exists()


def test_an_action_over_all_rows_runs_under_the_limit(small_pages, superuser_client):
    videos = VideoFactory.create_batch(8, status=VideoStatus.READY)
    archive_all(superuser_client, videos)
    assert Video.objects.filter(status=VideoStatus.ARCHIVED).count() == 8


LOADS_A_TABLE = (
    admin.RelatedFieldListFilter,
    admin.RelatedOnlyFieldListFilter,
    admin.AllValuesFieldListFilter,
)


# Our lists, over the pipeline's tables (users and groups are few).
OUR_LISTS = [
    ma
    for ma in admin.site._registry.values()
    if ma.opts.app_label in ("personas", "videos", "safety", "publishing")
]


@pytest.mark.parametrize("model_admin", OUR_LISTS, ids=lambda ma: str(ma.opts))
def test_no_list_filter_reads_its_choices_off_a_table(model_admin, admin_user, rf):
    """Django's filters on a foreign key or a free-text column list every
    related row or every distinct value: on a big table, a scan per page."""
    request = rf.get("/")
    request.user = admin_user
    changelist = model_admin.get_changelist_instance(request)
    loading = [
        type(spec).__name__ for spec in changelist.filter_specs if isinstance(spec, LOADS_A_TABLE)
    ]
    assert loading == []
