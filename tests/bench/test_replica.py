"""The report's section on list throughput with a read replica (made-up numbers)."""

from bench.replica import Throughput, database_on, section


def test_the_section_shows_each_read_mode_with_its_rate():
    primary = Throughput(
        "primary only", clients=8, seconds=20, requests=400, replica_transactions=1
    )
    replica = Throughput("replica", clients=8, seconds=20, requests=500, replica_transactions=900)
    replica.server_ms = [10.0, 20.0, 30.0]

    lines = section([primary, replica], pages=["/admin/videos/video/"])

    assert "| primary only | 8 | 20 | 20.0 | 0.0 | 0.0 | 0 | 1 |" in lines
    assert "| replica | 8 | 20 | 25.0 | 20.0 | 30.0 | 0 | 900 |" in lines
    assert "`/admin/videos/video/`" in lines[-1]


def test_no_section_when_the_step_did_not_run():
    assert section([], pages=[]) == []


def test_the_dataset_is_read_on_the_replica_server():
    assert (
        database_on("postgres://u:p@127.0.0.1:54341/contentops", "postgres://u:p@h:1/bench_l")
        == "postgres://u:p@127.0.0.1:54341/bench_l"
    )
