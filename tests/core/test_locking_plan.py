"""A guarded save finds its row by primary key, whatever the version's statistics say."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import VideoFactory
from videos.models import Video

pytestmark = pytest.mark.django_db


def test_a_guarded_save_goes_by_primary_key_at_a_version_the_statistics_call_rare():
    VideoFactory.create_batch(300)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE videos")  # every row at version 0
    video = Video.objects.order_by("pk").first()
    # A version the statistics have never seen (the trigger bumps it to 1): the
    # seed's index on state_version looks as selective as the primary key.
    Video.objects.filter(pk=video.pk).update(title="Moved on")
    video.refresh_from_db()
    assert video.state_version == 1
    video.title = "Guarded"
    with CaptureQueriesContext(connection) as queries:
        video.save(update_fields=["title"])
    [update] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + update)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "videos_pkey" in plan
    assert "idx_videos_state_version" not in plan
    assert Video.objects.get(pk=video.pk).state_version == 2
