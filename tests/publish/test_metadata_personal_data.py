"""Issue 18, done when: the metadata PII scan finds nothing.

Dagster's event log keeps every materialisation's metadata (previews, sample failures, notes,
tables) and every check result's, for anyone who opens the UI. They pass the same masking as
extracts: this scans every value of every event the tiny city's `safecity run` recorded for
the city's true names, phones and identity numbers (ground_truth/persons.parquet), the way
test_personal_data scans the extracts. The scan is shown to find them where they are: in the
landing files, and in a preview left unmasked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import as_text
from pipelines.defs.ingest.checks import markdown
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import partition, read_partition
from tests.publish.helpers import IDENTITY_NUMBER, PHONE, text_outside_persons

CELL = re.compile(r"[|\n]|\\\|")  # a markdown table's cells; JSON is decoded to its values


class Scan:
    """The true identity numbers, phones and names found in some texts."""

    def __init__(self, persons: pl.DataFrame, non_person_text: set[str]):
        self.numbers = set(persons["id_number"].to_list())
        self.phones = set(persons["phone"].drop_nulls().to_list())
        # A name that is also part of a place or organisation (江凯 in 锦江凯…) proves nothing;
        # every other name found in a value is a person's.
        self.names = {
            name
            for name in persons["name"].to_list()
            if not any(name in text for text in non_person_text)
        }
        assert len(self.names) > 100
        self.lengths = sorted({len(name) for name in self.names})

    def found(self, texts: Iterator[str]) -> dict[str, set[str]]:
        hits: dict[str, set[str]] = {"identity numbers": set(), "phones": set(), "names": set()}
        for text in texts:
            hits["identity numbers"] |= set(IDENTITY_NUMBER.findall(text)) & self.numbers
            hits["phones"] |= set(PHONE.findall(text)) & self.phones
            windows = {text[i : i + n] for n in self.lengths for i in range(len(text) - n + 1)}
            hits["names"] |= windows & self.names
        return {kind: found for kind, found in hits.items() if found}


@pytest.fixture(scope="module")
def scan(built_city: Path) -> Scan:
    persons = pl.read_parquet(DataDir(built_city).ground_truth / "persons.parquet")
    return Scan(persons, text_outside_persons(DataDir(built_city).analytics))


def metadata_texts(metadata: dict[str, dg.MetadataValue]) -> Iterator[str]:
    for label, value in metadata.items():
        yield label
        yield from _texts(value.value)


def _texts(raw: object) -> Iterator[str]:
    if isinstance(raw, dict):
        for key, inner in raw.items():
            yield str(key)
            yield from _texts(inner)
    elif isinstance(raw, (list, tuple)):
        for inner in raw:
            yield from _texts(inner)
    elif isinstance(raw, dg.TableSchema):
        yield json.dumps([c.__dict__ for c in raw.columns], ensure_ascii=False, default=str)
    elif raw is not None:
        text = str(raw)
        yield text
        yield from (cell.strip() for cell in CELL.split(text))


def recorded_metadata(instance: dg.DagsterInstance) -> Iterator[tuple[str, str]]:
    """(where, text) for every metadata value and check description of every recorded run."""
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.is_step_materialization:
                m = event.step_materialization_data.materialization
                where = f"{m.asset_key.to_user_string()} {m.partition or ''}"
                yield from ((where, t) for t in metadata_texts(dict(m.metadata)))
            elif event.event_type == dg.DagsterEventType.ASSET_OBSERVATION:
                o = event.asset_observation_data.asset_observation
                where = f"observation {o.asset_key.to_user_string()}"
                yield from ((where, t) for t in metadata_texts(dict(o.metadata)))
            elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                c = event.asset_check_evaluation_data
                where = f"check {c.asset_key.to_user_string()} {c.check_name}"
                yield from ((where, t) for t in metadata_texts(dict(c.metadata)))
                if c.description:
                    yield where, c.description


def test_no_personal_value_in_any_recorded_metadata(built_city: Path, scan: Scan) -> None:
    instance = dg.DagsterInstance.from_config(str(built_city / "dagster_home"))
    texts = list(recorded_metadata(instance))
    places = {where.split(" ")[0] for where, _ in texts}
    # Every stage's metadata was read: ingestion, the warehouse and what is built on it.
    assert any(p.startswith("bronze/") for p in places) and len(places) > 40, sorted(places)
    leaks = {where: found for where, text in texts if (found := scan.found(iter([text])))}
    assert not leaks, {
        where: {k: sorted(v)[:3] for k, v in f.items()} for where, f in leaks.items()
    }


def test_the_scan_finds_them_in_the_landing_files(built_city: Path, scan: Scan) -> None:
    landing = DataDir(built_city).landing / "traffic_police" / "traffic_accidents"
    texts = (
        line for path in sorted(landing.iterdir()) for line in path.read_text("utf-8").splitlines()
    )
    assert set(scan.found(texts)) == {"identity numbers", "phones", "names"}


def test_the_scan_finds_drivers_in_an_unmasked_preview(built_city: Path, scan: Scan) -> None:
    """The bronze rows the traffic accidents preview shows, left unmasked: nested drivers found."""
    contract = FEED_CONTRACTS[("traffic_police", "traffic_accidents")]
    data = DataDir(built_city)
    days = sorted((data.bronze / "traffic_police" / "traffic_accidents").glob("date=*"))
    found: dict[str, set[str]] = {}
    for day in days:
        bronze, _ = read_partition(
            partition(data, contract, date.fromisoformat(day.name.removeprefix("date=")))
        )
        unmasked = markdown(as_text(bronze.head(5)), width=10_000)
        for kind, hits in scan.found(
            metadata_texts({"preview": dg.MetadataValue.md(unmasked)})
        ).items():
            found.setdefault(kind, set()).update(hits)
    assert set(found) >= {"phones", "names"}, found
