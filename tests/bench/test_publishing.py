"""make bench's publish step makes its own approvals through the real operation,
so they must be cleared for publishing the way the app demands, and its
cleanup must leave none of its rows behind."""

import pytest

from bench import publishing
from bench.fixtures import ensure_users
from publishing import channels
from publishing.models import PublishReceipt, PublishStatus
from safety.models import SafetyReport
from videos.models import Task, TaskType

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_channel(settings, roles):
    settings.PUBLISH_CHANNELS = publishing.CHANNELS
    channels.sync_permissions()  # as the bench's stack has them when users are made
    ensure_users()


def test_prepare_approves_cleared_videos_and_cleanup_removes_them(bench_channel):
    prepared = publishing.prepare(3)

    assert prepared["tasks"] == 3
    videos = publishing.bench_videos()
    assert Task.objects.filter(video__in=videos, type=TaskType.PUBLISH).count() == 3
    receipts = PublishReceipt.objects.filter(video__in=videos)
    assert list(receipts.values_list("status", flat=True)) == [PublishStatus.PENDING] * 3
    assert SafetyReport.objects.filter(task__video__in=videos).count() == 3

    assert publishing.cleanup() == 3
    assert not publishing.bench_videos().exists()
    assert not SafetyReport.objects.filter(task__video__title__startswith=publishing.TITLE)


def test_the_steady_rate_counts_tasks_done_after_the_first_wave_over_the_time_they_took():
    # Two calls at once, each wave a second: the first wave's end to the last task done.
    done = [10.0, 10.1, 11.0, 11.1, 12.0, 12.1]

    assert publishing.steady_rate(done, wave=2) == pytest.approx(4 / 2.0)


@pytest.mark.parametrize("done, wave", [([1.0, 2.0], 2), ([1.0, 2.0], 0), ([1.0, 1.0, 1.0], 1)])
def test_without_a_second_wave_there_is_no_steady_rate(done, wave):
    assert publishing.steady_rate(done, wave=wave) is None
