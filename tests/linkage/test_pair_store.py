"""Scoring only what changed (lib/linkage/pair_store.py) on a city large enough to estimate u."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.linkage.organisations import SETTINGS
from pipelines.lib.linkage.pair_store import PairStore
from pipelines.lib.linkage.scoring import MIN_RECORDS_TO_ESTIMATE_U, ScoredPairs, score_pairs

RECORDS = MIN_RECORDS_TO_ESTIMATE_U + 1_000
# Organisation records as organisations.py loads them, in twos that are one shop (the same name,
# county and phone) and share a name's first characters with others.
_RECORDS_SQL = f"""
create or replace table records as
select
    'r' || lpad(i::varchar, 5, '0') as record_id,
    null::varchar as uscc,
    '锦江小吃' || (i // 2)::varchar as name,
    case when (i // 2) % 2 = 0 then '510104' else '510105' end as county_code,
    null::varchar[] as places,
    null::varchar as main_place,
    '1380000' || lpad((i // 2)::varchar, 4, '0') as phone,
    case when i % 3 = 0 then '王' || (i % 700)::varchar end as legal_rep_name,
    '锦江小吃' || (i // 2)::varchar as summary,
    null::varchar as label
from range({RECORDS}) as r(i)
"""


def _score(connection: duckdb.DuckDBPyConnection, store: PairStore) -> ScoredPairs:
    return score_pairs(connection, "records", SETTINGS, 0.5, store)


def test_changed_records_alone_are_scored_with_the_kept_model(tmp_path: Path) -> None:
    connection = duckdb.connect()
    connection.execute(_RECORDS_SQL)
    store = PairStore(tmp_path / "organisation")

    first = _score(connection, store)
    assert first.rescored == first.records == RECORDS and first.pairs.height > 1_000
    model = store.model_path.read_text(encoding="utf-8")  # u estimated from the data, and kept

    # A day's change: phones corrected, records gone, records new.
    connection.execute("""
        update records set phone = '1390000' || right(record_id, 4) where hash(record_id) % 50 = 0;
        delete from records where hash(record_id) % 97 = 0;
        insert into records select 'n' || record_id, uscc, name, county_code, places, main_place,
            phone, legal_rep_name, summary, label from records where hash(record_id) % 200 = 1;
    """)
    [(now,)] = connection.execute("select count(*) from records").fetchall()
    second = _score(connection, store)
    assert second.records == now and 0 < second.rescored < now / 10
    assert store.model_path.read_text(encoding="utf-8") == model

    everything = _score(connection, PairStore(store.folder, rescore_all=True))
    assert everything.rescored == now
    assert second.pairs.equals(everything.pairs)
    # The removed records' pairs are gone, and the new records have pairs of their own.
    ids = pl.concat([second.pairs["record_id_l"], second.pairs["record_id_r"]])
    assert ids.is_in(connection.sql("select record_id from records").pl()["record_id"]).all()
    assert ids.str.starts_with("n").any()

    # A city that more than doubled has its u estimated again, and every pair scored with it.
    for copy in ("d", "e"):
        connection.execute(
            f"insert into records select '{copy}' || record_id, uscc, name || '{copy}', county_code,"
            f" places, main_place, phone || '{copy}', legal_rep_name, summary, label"
            " from records where left(record_id, 1) in ('r', 'n')"
        )
    grown = _score(connection, store)
    assert grown.rescored == grown.records == 3 * now
    assert store.model_path.read_text(encoding="utf-8") != model


def test_a_small_city_keeps_no_model_and_is_scored_as_stated(tmp_path: Path) -> None:
    connection = duckdb.connect()
    connection.execute(_RECORDS_SQL.replace(str(RECORDS), "300"))
    store = PairStore(tmp_path / "organisation")
    scored = _score(connection, store)
    assert not store.model_path.exists() and store.pairs_path.is_file()
    # Nothing changed: nothing scored, the same pairs.
    again = _score(connection, store)
    assert again.rescored == 0 and again.pairs.equals(scored.pairs)
