"""The run history's SQLite databases: written without fsync and held open while `safecity run`
records a run there, so an event's connection never checkpoints and deletes the log; afterwards
they are closed and left as Dagster's default storage leaves them. Databases elsewhere are
untouched."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from pipelines.lib.instance_storage import run_history_without_waits


def _event(path: Path) -> int:
    """What Dagster's SQLite storage does per event: a new engine, one write, closed; the
    connection's `synchronous` setting (0 is OFF, 2 FULL)."""
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(sa.text("CREATE TABLE IF NOT EXISTS events (body TEXT)"))
        connection.execute(sa.text("INSERT INTO events VALUES ('x')"))
        connection.commit()
        synchronous = connection.execute(sa.text("PRAGMA synchronous")).scalar_one()
    engine.dispose()
    return int(synchronous)


def _wal(path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(sa.text("PRAGMA journal_mode=WAL"))
    engine.dispose()


def test_held_open_and_without_fsync_only_under_the_home_and_only_in_the_block(
    tmp_path: Path,
) -> None:
    home, elsewhere = tmp_path / "dagster_home", tmp_path / "other"
    home.mkdir()
    elsewhere.mkdir()
    run, other = home / "run.db", elsewhere / "other.db"
    for path in (run, other):
        _wal(path)

    with run_history_without_waits(home):
        assert [_event(run) for _ in range(3)] == [0, 0, 0]
        # Held open: the write-ahead log outlives each event's connection.
        assert Path(f"{run}-wal").exists()
        assert _event(other) == 2
        assert not Path(f"{other}-wal").exists()  # its last connection closed it

    # Closed after the block: the log is checkpointed into the database and removed.
    assert not Path(f"{run}-wal").exists()
    assert _event(run) == 2
    engine = sa.create_engine(f"sqlite:///{run}", poolclass=NullPool)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one() == 4
    engine.dispose()
