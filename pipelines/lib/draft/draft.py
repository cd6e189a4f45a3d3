"""Draft a feed contract from one delivered file: infer, write, check by loading and dry-running it.

The draft accepts every row of its sample (columns.py says how), except rows breaking a
national standard or lying outside the city, which ingestion quarantines whatever a
contract says. The draft is loaded like any contract and run over its own sample with
the real enforcement code; its header reports that dry run, so the engineer sees at once
what it would keep out.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.lib.contracts.loader import load_contract
from pipelines.lib.contracts.vocabulary import CONTRACT_SUFFIX, EPOCH_MS, SNAKE_CASE
from pipelines.lib.contracts.yaml_source import ContractError
from pipelines.lib.draft.columns import DraftField, infer_field
from pipelines.lib.draft.document import Drafted, contract_document
from pipelines.lib.draft.keys import find_keys
from pipelines.lib.draft.names import english_name, unique_names
from pipelines.lib.draft.position import find_position
from pipelines.lib.draft.sample import DraftError, Sample, read_sample
from pipelines.lib.draft.values import MARKER_WORDS, markers_in, normalised_frame
from pipelines.lib.draft.yaml_text import to_yaml
from pipelines.lib.ingest.dry_run import DryRun, dry_run

ITEM_SEPARATOR = "."  # item paths inside arrays, as contracts write them (driver.idNo)


@dataclass
class Draft:
    drafted: Drafted
    text: str  # the contract's YAML
    check: DryRun  # the draft held to its own sample

    @property
    def key(self) -> tuple[str, ...]:
        return self.drafted.keys.key


def checked_names(department: str, feed: str) -> None:
    """The names a contract's path is made of: snake_case, so never `..` or SQL (DraftError)."""
    for what, name in (("department", department), ("feed", feed)):
        if not SNAKE_CASE.fullmatch(name):
            raise DraftError(f"{what} {name!r} must be snake_case, e.g. urban_management")


def draft_contract(path: Path, department: str, feed: str) -> Draft:
    checked_names(department, feed)
    sample = read_sample(path)
    drafted = infer(sample, department, feed)
    document = contract_document(drafted)
    body = to_yaml(document)
    with tempfile.TemporaryDirectory(prefix="safecity-draft-") as folder:
        contract_path = Path(folder) / "feeds" / department / f"{feed}{CONTRACT_SUFFIX}"
        contract_path.parent.mkdir(parents=True)
        contract_path.write_text(body, encoding="utf-8")
        try:
            contract = load_contract(contract_path, Path(folder))
        except ContractError as error:
            problems = "; ".join(error.messages)
            raise DraftError(
                f"the draft does not load (a bug in `contract draft`): {problems}"
            ) from None
        check = dry_run(contract, path, sample.day, sample.raw)
    return Draft(drafted, to_yaml(document, header(drafted, check)), check)


def infer(sample: Sample, department: str, feed: str) -> Drafted:
    rows = sample.rows.height
    scalars = [c for c in sample.columns if sample.rows.schema[c] == pl.String]
    arrays = [c for c in sample.columns if isinstance(sample.rows.schema[c], pl.List)]
    text = normalised_frame(sample.rows.select(scalars))
    items = {column: item_texts(sample.rows[column]) for column in arrays}
    marker_columns = markers_in(text)
    for column, frame in items.items():
        for path, seen in markers_in(frame).items():
            marker_columns[f"{column}[].{path}"] = seen
    found = {m for seen in marker_columns.values() for m in seen}
    markers = tuple(m for m in MARKER_WORDS if m in found)
    text = without(text, markers)
    fields: list[DraftField] = []
    for column in sample.columns:
        if column in items:
            fields.append(array_field(column, sample.rows[column], without(items[column], markers)))
        else:
            drafted = infer_field(column, text[column], rows, sample.day)
            drafted.json_text = column in sample.json_text
            fields.append(drafted)
    name_fields(fields)
    share_formats(fields)
    position = find_position(fields, text)
    admin_names(fields)
    keys = find_keys(fields, text)
    return Drafted(sample, department, feed, fields, markers, marker_columns, position, keys)


def without(frame: pl.DataFrame, markers: tuple[str, ...]) -> pl.DataFrame:
    """Markers as null, as ingestion reads them."""
    if not markers:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).is_in(list(markers))).then(None).otherwise(pl.col(c)).alias(c)
        for c in frame.columns
    )


def item_texts(column: pl.Series) -> pl.DataFrame:
    """Every item of an array column, one row each, its (nested) keys as dotted text columns."""
    items = column.explode().drop_nulls()
    frame = pl.DataFrame({"item": items})
    while any(isinstance(dtype, pl.Struct) for dtype in frame.schema.values()):
        nested = {c: d for c, d in frame.schema.items() if isinstance(d, pl.Struct)}
        frame = frame.with_columns(
            pl.col(c).struct.rename_fields([f"{c}{ITEM_SEPARATOR}{f.name}" for f in d.fields])
            for c, d in nested.items()
        ).unnest(list(nested))
    prefix = f"item{ITEM_SEPARATOR}"
    frame = frame.rename({c: c.removeprefix(prefix) for c in frame.columns})
    return normalised_frame(frame)


def array_field(column: str, values: pl.Series, items: pl.DataFrame) -> DraftField:
    """An array of objects: its item properties as text (ingestion checks their rules as text)."""
    subfields = []
    for path in items.columns:
        sub = infer_field(path, items[path], items.height, None, top_level=False)
        if sub.logical_type != "string":
            sub.notes.append(f"values read as {sub.logical_type}: item properties are text")
            sub.logical_type, sub.formats, sub.minimum = "string", (), None
            sub.missing_values = ()
        subfields.append(sub)
    name_fields(subfields)
    present = int(values.is_not_null().sum())
    named = english_name(column)
    return DraftField(
        source=column,
        name=named.name,
        business_name=None if column.isascii() else column,
        logical_type="array",
        required=present == values.len(),
        items=subfields,
        notes=[f"an array of {items.height:,} object(s) over {values.len():,} rows"],
        classification_note="TODO: review: internal by default (items are classified one by one)",
        present=present,
    )


def share_formats(fields: list[DraftField]) -> None:
    """Each date (or timestamp) column also reads the formats its siblings in the file need.

    A department writes its dates a few ways, in any of its columns: a format seen in one
    column will turn up in the others. Added after a column's own formats, so every value
    the column's own formats read is read the same way.
    """
    for kind in ("date", "timestamp"):
        group = [f for f in fields if f.logical_type == kind and EPOCH_MS not in f.formats]
        shared = list(dict.fromkeys(fmt for f in group for fmt in f.formats))
        for f in group:
            extra = [fmt for fmt in shared if fmt not in f.formats]
            if extra:
                f.formats = (*f.formats, *extra)
                f.notes.append(
                    f"also {', '.join(repr(e) for e in extra)}: other {kind} columns of this "
                    "file use it"
                )


def name_fields(fields: list[DraftField]) -> None:
    for index, f in enumerate(fields, start=1):
        if not f.name:
            f.name = f"column_{index}"
    for f, name in zip(fields, unique_names([f.name for f in fields]), strict=True):
        f.name = name


def admin_names(fields: list[DraftField]) -> None:
    """A division code column is called county_code or township_code, whatever the department calls it."""
    taken = {f.name for f in fields}
    for f in fields:
        wanted = {"admin_county": "county_code", "admin_township": "township_code"}.get(
            f.standard or ""
        )
        if wanted and wanted not in taken and not any(w in f.name for w in ("county", "township")):
            taken.discard(f.name)
            f.name = wanted
            taken.add(wanted)


def header(drafted: Drafted, check: DryRun) -> list[str]:
    sample = drafted.sample
    lines = [
        f"DRAFT contract for {drafted.department}/{drafted.feed}, inferred by `safecity contract draft`",
        f"from {sample.path.name} ({sample.rows.height:,} rows). Nothing here is reviewed yet:",
        "- every line marked TODO needs a person's decision (search for 'TODO: review');",
        "- every classification is a conservative default (personal for names, phones and",
        "  identity numbers, internal otherwise);",
        "- what is declared holds for every row of the sample (types, formats, required, keys,",
        "  patterns, enumerations); what nearly holds is said in a comment instead.",
        "Next: `safecity contract check <this file>`, then `safecity contract try <this file> <a",
        "delivery>` on other days' files; set status: active once reviewed.",
        "",
        f"Held to its own sample: {check.to_bronze:,} rows to bronze, {check.quarantined:,} to quarantine"
        + (":" if check.quarantined else "."),
    ]
    for rule, column, rows in check.by_rule().iter_rows():
        lines.append(f"  {rule} ({column or 'row'}): {rows:,}")
    if check.quarantined:
        lines.append(
            "  (a broken national standard, a point outside the city or a malformed row: see "
            "`contract try`)"
        )
    return lines
