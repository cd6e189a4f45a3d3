"""A writer waits while another process briefly holds the warehouse file, and fails clearly if it never lets go."""

import os
import subprocess
import sys
import time

import duckdb
import pytest

from pipelines.lib import duckdb_connection

HOLD_READ_ONLY = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE t AS SELECT 1 AS x")
    return path


def hold(database, seconds: float) -> subprocess.Popen:
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_READ_ONLY, str(database), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "holding"
    return reader


def test_writer_waits_for_a_brief_reader(database):
    reader = hold(database, 1.5)
    started = time.monotonic()
    with duckdb_connection.connect(str(database)) as connection:
        waited = time.monotonic() - started
        connection.execute("INSERT INTO t VALUES (2)")
    reader.wait(timeout=30)
    assert waited >= 0.5  # it really was refused at first, and waited
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM t").fetchone()[0] == 2


def test_writer_gives_up_on_a_lock_held_too_long(database, monkeypatch):
    monkeypatch.setattr(duckdb_connection, "LOCK_WAIT_SECONDS", 0.5)
    reader = hold(database, 5)
    try:
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb_connection.connect(str(database))
    finally:
        reader.kill()
        reader.wait()


def test_attaching_for_writing_waits_for_a_brief_reader(database):
    """Linkage stages attach the warehouse to an in-memory connection: the same wait applies."""
    reader = hold(database, 1.5)
    started = time.monotonic()
    connection = duckdb_connection.connect()
    duckdb_connection.attach(connection, str(database), "wh")
    waited = time.monotonic() - started
    connection.execute("INSERT INTO wh.t VALUES (3)")
    connection.close()
    reader.wait(timeout=30)
    assert waited >= 0.5


def test_a_connection_is_in_utc_whatever_the_hosts_time_zone():
    """As dbt's (profiles.yml): a timestamp with time zone cast to a date must not change with the host."""
    query = (
        "from pipelines.lib.duckdb_connection import connect; "
        "print(connect().sql(\"select current_setting('TimeZone'), "
        "cast(TIMESTAMPTZ '2026-10-04 07:55:00+08' as date)\").fetchone())"
    )
    shown = subprocess.run(
        [sys.executable, "-c", query],
        env={**os.environ, "TZ": "Asia/Shanghai"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert shown == "('UTC', datetime.date(2026, 10, 3))"
