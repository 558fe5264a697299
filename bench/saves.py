"""Rows per second of three ways to change a video's title (Django side).

`python -m bench.saves --rows N` (DATABASE_URL: one dataset): the guarded
`Video.save(update_fields=["title"])`, a plain Django model save of the same
table without versioning, and raw SQL. Each write is its own autocommit
transaction; each way writes its own N videos (the last by key, away from the
videos the pages are measured on), read beforehand, untimed.
The three take turns, row by row. Every title gets a suffix, and loses it
again afterwards (untimed).
"""

import argparse
import sys
import time

from bench.djangoside import progress, result, setup

SUFFIX = " ·"


def plain_model():
    """The videos table as a plain Django model: no versioning, nothing of ours."""
    from django.db import models

    class PlainVideo(models.Model):
        id = models.UUIDField(primary_key=True, db_column="video_id")
        persona_id = models.UUIDField(null=True)
        title = models.TextField(null=True)
        status = models.TextField(null=True)
        published_at = models.DateTimeField(null=True)
        created_at = models.DateTimeField(null=True)
        state_version = models.IntegerField()

        class Meta:
            app_label = "bench_plain"
            managed = False
            db_table = "videos"

        def __str__(self):
            return self.title or ""

    return PlainVideo


def interleaved(ways: dict) -> dict[str, float]:
    """Rows per second of each way, writing one row of each in turn, so drift
    (caches warming, checkpoints, autovacuum) falls on all alike, and in a
    rotating order."""
    spent = dict.fromkeys(ways, 0.0)
    queues = {name: list(writes) for name, writes in ways.items()}
    names = list(queues)
    for n in range(min(map(len, queues.values()))):
        # Each way goes first in turn: the first write of a round is the slow one
        # (measured: the way always first lost a third of its rate to it).
        shift = n % len(names)
        for name in names[shift:] + names[:shift]:
            writes = queues[name]
            start = time.perf_counter()
            writes[n]()
            spent[name] += time.perf_counter() - start
    rows = min(map(len, queues.values()))
    if not rows:
        raise SystemExit("No videos to save: is the dataset loaded?")
    return {name: rows / seconds for name, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    rows = parser.parse_args().rows
    setup()
    from django.db import connection

    from videos.models import Video

    # From the far end of the keys: the pages are measured on videos picked from
    # the start (bench.fixtures), and every save leaves History events behind,
    # which those videos' history pages and timelines would then show.
    ids = list(Video.objects.order_by("-pk").values_list("pk", flat=True)[: 3 * rows])
    if len(ids) < 3 * rows:
        rows = len(ids) // 3
    guarded_ids, plain_ids, raw_ids = ids[:rows], ids[rows : 2 * rows], ids[2 * rows : 3 * rows]
    titles = dict(Video.objects.filter(pk__in=ids).values_list("pk", "title"))

    videos = list(Video.objects.filter(pk__in=guarded_ids))
    plain = list(plain_model().objects.filter(pk__in=plain_ids))

    def guarded(video):
        def write():
            video.title = (video.title or "") + SUFFIX
            video.save(update_fields=["title"])

        return write

    def plain_save(video):
        def write():
            video.title = (video.title or "") + SUFFIX
            video.save(update_fields=["title"])

        return write

    def raw(pk):
        def write():
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE videos SET title = %s WHERE video_id = %s",
                    [(titles[pk] or "") + SUFFIX, pk],
                )

        return write

    progress(f"saves: {rows:,} rows each way, in turn")
    measured = interleaved(
        {
            "guarded": map(guarded, videos),
            "plain": map(plain_save, plain),
            "raw": map(raw, raw_ids),
        }
    )
    progress("saves: restoring the titles")
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE videos SET title = %s WHERE video_id = %s",
            [(titles[pk], pk) for pk in ids],
        )
    result({"rows": rows, "rows_per_second": measured})


if __name__ == "__main__":
    sys.exit(main())
