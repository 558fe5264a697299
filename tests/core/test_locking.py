"""The optimistic-locking contract, on real Postgres connections.

Django's connection and psycopg connections (the pipeline) write the same rows;
every test commits for real (transactional_db) so each side sees the other.
"""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from core.locking import VersionConflict
from tests.factories import TaskFactory, VideoFactory
from tests.helpers import reload
from videos.models import Task, TaskStatus, Video, VideoStatus
from videos.services import archive_videos

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(target):
    """Run `target` on another thread, hence on another database connection."""
    errors = []

    def run():
        try:
            target()
        except BaseException as error:  # surfaced in the test thread
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


# ORM against ORM


def test_save_issues_guarded_update_and_bumps_version():
    video = VideoFactory(title="first")
    assert video.state_version == 0
    video.title = "second"
    video.save()
    assert video.state_version == 1
    assert reload(video).state_version == 1
    assert reload(video).title == "second"


def test_stale_instance_save_raises_with_current_version_and_writes_nothing():
    video = VideoFactory(title="original")
    mine, theirs = reload(video), reload(video)
    theirs.title = "theirs"
    theirs.save()
    mine.title = "mine"
    with pytest.raises(VersionConflict) as raised:
        mine.save()
    assert raised.value.expected == 0
    assert raised.value.current == 1
    assert "changed by someone else" in str(raised.value)
    assert reload(video).title == "theirs"
    assert mine.state_version == 0, "a failed save keeps the loaded version"


def test_concurrent_orm_writer_blocks_then_conflicts_after_first_commits():
    video = VideoFactory(title="original")
    first_saved = threading.Event()
    release = threading.Event()

    def first_writer():
        with transaction.atomic():
            other = Video.objects.get(pk=video.pk)
            other.title = "first"
            other.save()
            first_saved.set()
            release.wait(timeout=10)

    thread, errors = in_thread(first_writer)
    assert first_saved.wait(timeout=10)
    mine = reload(video)  # the first writer has not committed: still version 0
    assert mine.state_version == 0
    mine.title = "second"
    release_timer = threading.Timer(0.3, release.set)
    release_timer.start()
    with pytest.raises(VersionConflict) as raised:
        mine.save()  # waits on the row lock, then finds version 1
    thread.join()
    assert not errors
    assert raised.value.current == 1
    assert reload(video).title == "first"


def test_save_with_update_fields_still_checks_and_bumps():
    video = VideoFactory(title="a", status=VideoStatus.DRAFT)
    video.title = "b"
    video.save(update_fields=["title"])
    assert reload(video).state_version == 1
    stale = Video.objects.get(pk=video.pk)
    stale.state_version = 0
    stale.status = VideoStatus.ARCHIVED
    with pytest.raises(VersionConflict):
        stale.save(update_fields=["status"])
    assert reload(video).status == VideoStatus.DRAFT


def test_save_of_deleted_row_raises_and_never_reinserts(pipeline_db):
    task = TaskFactory()
    pipeline_db().execute("DELETE FROM tasks WHERE task_id = %s", [task.pk])
    task.status = TaskStatus.RUNNING
    with pytest.raises(VersionConflict) as raised:
        task.save()
    assert raised.value.deleted
    assert "deleted" in str(raised.value)
    assert not Task.objects.filter(pk=task.pk).exists()


def test_rolled_back_transaction_restores_instance_version():
    video = VideoFactory()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            video.title = "inside"
            video.save()
            assert video.state_version == 1
            raise RuntimeError("roll back")
    assert video.state_version == 0
    assert reload(video).state_version == 0
    video.title = "after rollback"
    video.save()  # the restored version matches the database again
    assert reload(video).title == "after rollback"


def test_rolled_back_savepoint_restores_only_its_own_bump():
    video = VideoFactory()
    with transaction.atomic():
        video.title = "outer"
        video.save()
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                video.title = "inner"
                video.save()
                assert video.state_version == 2
                raise RuntimeError("roll back the savepoint")
        assert video.state_version == 1
    assert video.state_version == 1
    assert reload(video).state_version == 1


def test_committed_transaction_keeps_new_version():
    video = VideoFactory()
    with transaction.atomic():
        video.title = "committed"
        video.save()
    assert video.state_version == 1 == reload(video).state_version


# ORM against the pipeline's raw SQL


GUARDED_SQL = (
    "UPDATE videos SET title = %s, state_version = state_version + 1 "
    "WHERE video_id = %s AND state_version = %s"
)


def test_raw_writer_following_the_pattern_makes_the_orm_conflict(pipeline_db):
    video = VideoFactory(title="original")
    result = pipeline_db().execute(GUARDED_SQL, ["pipeline", video.pk, 0])
    assert result.rowcount == 1
    video.title = "admin"
    with pytest.raises(VersionConflict) as raised:
        video.save()
    assert raised.value.current == 1
    assert reload(video).title == "pipeline"


def test_orm_write_makes_the_raw_writer_match_no_row(pipeline_db):
    video = VideoFactory(title="original")
    video.title = "admin"
    video.save()
    result = pipeline_db().execute(GUARDED_SQL, ["pipeline", video.pk, 0])
    assert result.rowcount == 0
    assert reload(video).title == "admin"


def test_careless_raw_writer_still_bumps_version_so_orm_conflicts(pipeline_db):
    video = VideoFactory(title="original")
    pipeline_db().execute("UPDATE videos SET status = 'failed' WHERE video_id = %s", [video.pk])
    assert reload(video).state_version == 1
    video.title = "admin"
    with pytest.raises(VersionConflict):
        video.save()
    assert reload(video).status == VideoStatus.FAILED


def test_careless_writer_cannot_set_an_arbitrary_version(pipeline_db):
    video = VideoFactory()
    video.title = "v1"
    video.save()
    video.title = "v2"
    video.save()
    pipeline_db().execute(
        "UPDATE videos SET title = 'rewound', state_version = 0 WHERE video_id = %s", [video.pk]
    )
    assert reload(video).state_version == 3


def test_update_that_changes_nothing_keeps_version(pipeline_db):
    task = TaskFactory(status=TaskStatus.QUEUED)
    pipeline_db().execute("UPDATE tasks SET status = status WHERE task_id = %s", [task.pk])
    assert reload(task).state_version == 0


def test_orm_queryset_update_is_bumped_by_the_trigger():
    task = TaskFactory(status=TaskStatus.QUEUED)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.RUNNING)
    assert reload(task).state_version == 1


# Guarded bulk updates


def test_update_guarded_updates_matching_rows_and_names_the_others(pipeline_db):
    fresh, changed, gone = VideoFactory.create_batch(3, status=VideoStatus.DRAFT)
    pipeline_db().execute(GUARDED_SQL, ["pipeline", changed.pk, 0])
    pipeline_db().execute("DELETE FROM videos WHERE video_id = %s", [gone.pk])
    result = Video.objects.update_guarded(
        {fresh.pk: 0, changed.pk: 0, gone.pk: 0}, status=VideoStatus.ARCHIVED
    )
    assert result.updated == [fresh.pk]
    assert result.conflicts == {changed.pk: 1, gone.pk: None}
    assert reload(fresh).status == VideoStatus.ARCHIVED
    assert reload(fresh).state_version == 1
    assert reload(changed).status == VideoStatus.DRAFT


def test_update_guarded_skips_rows_outside_the_queryset():
    draft = VideoFactory(status=VideoStatus.DRAFT)
    published = VideoFactory(status=VideoStatus.PUBLISHED)
    result = archive_videos(versions={draft.pk: 0, published.pk: 0})
    assert result.updated == [draft.pk]
    assert result.skipped == [published.pk]
    assert reload(published).status == VideoStatus.PUBLISHED
    assert reload(published).state_version == 0


# No lost update under contention


def test_hammer_threads_with_retry_lose_no_increment():
    threads_count, increments = 8, 25
    video = VideoFactory(title="0")

    def increment_many():
        done = 0
        while done < increments:
            current = Video.objects.get(pk=video.pk)
            current.title = str(int(current.title) + 1)
            try:
                current.save(update_fields=["title"])
            except VersionConflict:
                continue
            done += 1

    started = [in_thread(increment_many) for _ in range(threads_count)]
    for thread, errors in started:
        thread.join(timeout=120)
        assert not errors
    final = reload(video)
    assert int(final.title) == threads_count * increments
    assert final.state_version == threads_count * increments
