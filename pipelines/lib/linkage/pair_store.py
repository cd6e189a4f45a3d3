"""Scored pairs kept between runs, so that a daily run scores only the records that changed.

Kept in the lake beside the key registry (`registry.py`), so they outlive a warehouse rebuild:

    lake/linkage/<kind>/model.json       the Splink model the pairs were scored with: the stated
                                          settings and the u probabilities estimated from the data
    lake/linkage/<kind>/records.parquet  record_id -> fingerprint of every column scoring reads
    lake/linkage/<kind>/pairs.parquet    every pair that scored at or above the review threshold

A pair's score depends only on the model and its two records (no term-frequency adjustment).
So with the same model, the pairs of two unchanged records are the pairs a full scoring gives,
and only pairs with a new or changed record need scoring: the same pairs, to the last bit, as
scoring everything again. Pairs are kept only while the model, the review threshold and the
code (with the library versions) are those they were scored by: any other change scores every
pair again.

The model's u probabilities are estimated once the kind has enough records to estimate them
from (scoring.MIN_RECORDS_TO_ESTIMATE_U; below that the stated u are used, and nothing is
kept). The model is then kept, until the stated settings change or the records have doubled
since: estimating u again on every day's data would change every score a little and leave
nothing to reuse. Deleting `model.json` has it estimated again on the next run that builds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipelines.lib.atomic import atomic_output
from pipelines.lib.storage import Location, read_parquet_or_empty

FINGERPRINTS_SCHEMA = pl.Schema({"record_id": pl.String, "fingerprint": pl.String})
# Splink names each linker at random: not part of what the model is.
_UNSTABLE_MODEL_KEYS = ("linker_uid",)


def model_digest(model: dict[str, Any]) -> str:
    """What identifies a model: its settings and parameters, written canonically."""
    stable = {k: v for k, v in model.items() if k not in _UNSTABLE_MODEL_KEYS}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class StoredPairs:
    fingerprints: pl.DataFrame  # record_id, fingerprint
    pairs: pl.DataFrame  # as scoring.PAIRS_SCHEMA


@dataclass(frozen=True)
class PairStore:
    folder: Location  # lake/linkage/<kind>, local or in object storage
    # Score every pair again (`safecity run --full-refresh`), with the stored model.
    rescore_all: bool = False

    @property
    def model_path(self) -> Location:
        return self.folder / "model.json"

    @property
    def fingerprints_path(self) -> Location:
        return self.folder / "records.parquet"

    @property
    def pairs_path(self) -> Location:
        return self.folder / "pairs.parquet"

    def model_for(self, stated_as: str, records: int) -> dict[str, Any] | None:
        """The stored model, if it was estimated from the model stated as `stated_as` (a digest)
        on at least half as many records as there are (a city that doubled is estimated again)."""
        if not self.model_path.is_file():
            return None
        stored = json.loads(self.model_path.read_text(encoding="utf-8"))
        if stored.get("stated") != stated_as or records > 2 * stored.get("records", 0):
            return None
        model: dict[str, Any] = stored["model"]
        return model

    def save_model(self, stated_as: str, model: dict[str, Any], records: int) -> None:
        document = {"stated": stated_as, "records": records, "model": model}
        with atomic_output(self.model_path) as tmp:
            tmp.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")

    def scored_by(self, scoring: str, pairs_schema: pl.Schema) -> StoredPairs | None:
        """The fingerprints and pairs of the last run, if it scored them the way `scoring` (a
        digest of the model, the threshold and the code) says; None: score every pair."""
        if self.rescore_all or not self.pairs_path.is_file():
            return None
        with self.pairs_path.open("rb") as file:
            if pl.read_parquet_metadata(file).get("scoring") != scoring:
                return None
        pairs = read_parquet_or_empty(self.pairs_path, pairs_schema)
        if pairs.schema != pairs_schema:
            return None
        return StoredPairs(
            fingerprints=read_parquet_or_empty(self.fingerprints_path, FINGERPRINTS_SCHEMA),
            pairs=pairs,
        )

    def save(self, scoring: str, fingerprints: pl.DataFrame, pairs: pl.DataFrame) -> None:
        """The old fingerprints go first, then the pairs, then their fingerprints: a run stopped
        in between leaves pairs without fingerprints, and the next run scores every pair."""
        if self.fingerprints_path.is_file():
            self.fingerprints_path.unlink()
        with atomic_output(self.pairs_path) as tmp:
            pairs.write_parquet(tmp, metadata={"scoring": scoring})
        with atomic_output(self.fingerprints_path) as tmp:
            fingerprints.write_parquet(tmp)
