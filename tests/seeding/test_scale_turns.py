"""seed_scale's parallel batches take turns at counting their decisions.

Each batch's decisions are counted into the score calibration's shared rows by
a row trigger, which locks each row's keys as the INSERT reaches it: two
batches at once took them in different orders and deadlocked (a CI run lost
the whole module's load to it). A batch now waits for its turn first."""

import threading

import psycopg
import pytest
from django.db import connection

from safety.models import ReviewAction
from seeding import scale
from seeding.scale_rows import CALIBRATION_TURN
from tests.faults.stack import until
from tests.helpers import server_settings

VIDEOS = 40


def waiting_for_the_turn(other) -> bool:
    (waiting,) = other.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = 0 AND objid = %s",
        [CALIBRATION_TURN],
    ).fetchone()
    return waiting > 0


@pytest.mark.django_db(transaction=True)
def test_a_batch_counts_its_decisions_only_in_its_turn():
    outcome = {}

    def load():
        try:
            outcome["result"] = scale.seed_scale(videos=VIDEOS, batch_size=VIDEOS, jobs=1)
        except BaseException as error:  # noqa: BLE001 - asserted below
            outcome["error"] = error
        finally:
            connection.close()

    name = connection.settings_dict["NAME"]
    with psycopg.connect(dbname=name, autocommit=True, **server_settings()) as other:
        # Another batch's turn, held for as long as this test says.
        other.execute("SELECT pg_advisory_lock(%s)", [CALIBRATION_TURN])
        loader = threading.Thread(target=load)
        loader.start()
        try:
            until(
                lambda: waiting_for_the_turn(other) or not loader.is_alive(),
                timeout=60,
                what="the batch to wait for its turn",
            )
            assert loader.is_alive(), outcome
            (counted,) = other.execute("SELECT count(*) FROM safety_review_actions").fetchone()
            assert counted == 0
        finally:
            other.execute("SELECT pg_advisory_unlock(%s)", [CALIBRATION_TURN])
            loader.join(timeout=120)
    assert "error" not in outcome, outcome
    assert outcome["result"].loaded == VIDEOS
    assert ReviewAction.objects.filter(kind__in=["approve", "reject"]).exists()
