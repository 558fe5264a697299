"""The router keeps everything on the primary outside a replica scope, and
never migrates the replica. (Reads on a real replica: tests/replica/.)"""

from core.replicas import REPLICA, ReplicaRouter, reads_allowed, replica_reads
from videos.models import Video


def test_the_replica_is_never_migrated():
    router = ReplicaRouter()
    assert router.allow_migrate(REPLICA, "videos") is False
    assert router.allow_migrate("default", "videos") is True


def test_writes_go_to_the_primary_even_for_a_row_read_from_the_replica():
    video = Video(title="read on the replica")
    video._state.db = REPLICA
    assert ReplicaRouter().db_for_write(Video, instance=video) == "default"


def test_reads_outside_a_scope_are_the_primarys_even_for_a_row_read_from_the_replica():
    video = Video(title="read on the replica")
    video._state.db = REPLICA
    assert ReplicaRouter().db_for_read(Video, instance=video) == "default"


def test_a_scope_without_a_configured_replica_reads_the_primary():
    with replica_reads():
        assert reads_allowed() is False
        assert ReplicaRouter().db_for_read(Video) == "default"
