"""Candidate keys: columns (or pairs) never empty and unique over the whole file.

Uniqueness is counted on every row of the file, never on a sample (a key that holds on a
sample of a million rows says nothing): one vectorised `n_unique` per candidate, so the
cost is a hash of each candidate column, and pairs are only tried when no single column
is a key. Identifier-like columns are preferred (a name saying id, code or number, and a
pattern or credit-code standard); a name or an address that happens to be unique in a
small file is listed as a candidate, never chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import polars as pl

from pipelines.lib.draft.columns import _DEADLINE, DraftField, _named
from pipelines.lib.draft.values import _CODE_NAME

MAX_PAIR_COLUMNS = 8  # pairs are tried among the best-ranked columns only
NEAR_KEY_SHARE = 0.02  # duplicates and empties up to this share make a "nearly a key" note
KEY_TYPES = ("string", "integer", "date", "timestamp")


@dataclass
class Keys:
    key: tuple[str, ...] = ()  # field names, in key order
    notes: list[str] = field(default_factory=list)


def find_keys(fields: list[DraftField], text: pl.DataFrame) -> Keys:
    """`text`: the sample's delivered columns as ingestion sees them (normalised, markers null)."""
    rows = text.height
    # A person's phone or number identifies a person, not a record: never a feed's key.
    ranked = sorted(
        (
            f
            for f in fields
            if f.source
            and f.logical_type in KEY_TYPES
            and f.classification == "internal"
            and not _named(_DEADLINE, f)  # a deadline identifies nothing
        ),
        key=lambda f: (_rank(f), fields.index(f)),
    )
    unique = [f for f in ranked if f.required and f.distinct == rows]
    chosen = [f for f in unique if _rank(f) <= 2]
    if chosen:
        others = [f.name for f in unique if f is not chosen[0]]
        notes = [f"also never empty and unique in this file: {', '.join(others)}"] if others else []
        return Keys((chosen[0].name,), notes + _small_file(rows))
    candidates = [f for f in ranked if f.required and _rank(f) <= 3][:MAX_PAIR_COLUMNS]
    for first, second in sorted(
        combinations(candidates, 2), key=lambda p: (_rank(p[0]) + _rank(p[1]), _order(p, ranked))
    ):
        if min(_rank(first), _rank(second)) > 2 or first.distinct * second.distinct < rows:
            continue
        if text.select(pl.struct(first.source, second.source).n_unique()).item() == rows:
            pair = sorted((first, second), key=fields.index)
            return Keys((pair[0].name, pair[1].name), _small_file(rows))
    notes = [
        "no identifier (or pair) is never empty and unique in this file: no primary key # TODO: review"
    ]
    near = _near_key(ranked, text)
    if near:
        notes.append(near)
    if unique:
        notes.append(
            f"unique in this file but not identifiers: {', '.join(f.name for f in unique)}"
        )
    return Keys((), notes)


def _rank(f: DraftField) -> int:
    """0: an identifier by name and shape; 1: by shape; 2: by name; 3: a time; 4: anything else.

    Only 0 to 2 make a key alone; a time makes one with an identifier (station and hour).
    """
    if f.enum or f.standard in ("admin_county", "admin_township"):
        return 4  # categories and places are shared by many records
    by_name = f.standard == "uscc" or _named(_CODE_NAME, f)
    by_shape = f.logical_type == "string" and (f.pattern is not None or f.standard == "uscc")
    if by_name and by_shape:
        return 0
    if by_shape:
        return 1
    if by_name:
        return 2
    return 3 if f.logical_type in ("date", "timestamp") else 4


def _order(pair: tuple[DraftField, DraftField], ranked: list[DraftField]) -> tuple[int, int]:
    return ranked.index(pair[0]), ranked.index(pair[1])


def _small_file(rows: int) -> list[str]:
    if rows >= 100:
        return []
    return [f"unique over only {rows} row(s): weak evidence for a key # TODO: review"]


def _near_key(ranked: list[DraftField], text: pl.DataFrame) -> str | None:
    """The best identifier column or pair that is unique but for a few repeats or empties."""
    rows = text.height
    allowed = max(1, int(rows * NEAR_KEY_SHARE))
    best = [f for f in ranked if _rank(f) <= 3][:MAX_PAIR_COLUMNS]
    options: list[tuple[DraftField, ...]] = [(f,) for f in best if _rank(f) <= 2]
    options += sorted(
        (p for p in combinations(best, 2) if min(_rank(p[0]), _rank(p[1])) <= 2),
        key=lambda p: _rank(p[0]) + _rank(p[1]),
    )
    for option in options:
        columns = [f.source for f in option]
        present = text.select(columns).drop_nulls()
        empty = rows - present.height
        repeated = present.height - present.select(pl.struct(columns).n_unique()).item()
        if 0 < empty + repeated <= allowed:
            names = ", ".join(f.name for f in option)
            return (
                f"({names}) is unique but for {repeated} repeated and {empty} empty row(s): if "
                "those are resent or broken records, make it the primary key (they are then "
                "quarantined as duplicate_key or required_missing) # TODO: review"
            )
    return None
