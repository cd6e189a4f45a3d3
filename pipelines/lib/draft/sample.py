"""Read a department's sample file for drafting: format, encoding, delimiter, name pattern, values.

CSV and XLSX go through ingestion's own readers (`lib/ingest/read.py`), so the draft sees
every value exactly as ingestion will: the same decoding, the same header names, the same
rows rejected as malformed. JSON lines are read the way ingestion reads them too (DuckDB's
`json_transform` to text), with the structure taken from the file itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl

from pipelines.lib.contracts.model import DAY_PLACEHOLDER
from pipelines.lib.contracts.vocabulary import CSV_DELIMITERS
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.read import (
    SOURCE_ROW,
    RawDelivery,
    UnreadableFile,
    read_csv,
    read_xlsx,
)
from pipelines.lib.ingest.workbook import Workbook

FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".xlsx": "xlsx",
}
SNIFF_BYTES = 1 << 16
UTF8_BOM = b"\xef\xbb\xbf"
# Eight digits that are a calendar day, not inside a longer run of digits.
_DAY_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")


class DraftError(Exception):
    """The sample cannot be drafted from: one line saying why and what to do."""


@dataclass
class Sample:
    """The delivered file as text columns, and how it is delivered."""

    path: Path
    format: str  # csv, jsonl, xlsx
    encoding: str | None  # csv only: utf-8, utf-8-sig or gb18030
    delimiter: str  # csv only
    file_pattern: str  # the file name with its day as {yyyymmdd}
    day: date | None  # the delivery day the name stands for
    rows: pl.DataFrame  # every delivered column as text; arrays of objects as lists of structs
    rejected: int  # rows the reader rejects (malformed, undecodable)
    notes: list[str] = field(default_factory=list)  # what the engineer should know
    # CSV and XLSX: the file exactly as ingestion reads it, so the draft's dry run reuses it.
    raw: RawDelivery | None = None
    # JSON lines: top-level keys holding an object or a list of plain values (kept as JSON text).
    json_text: frozenset[str] = frozenset()

    @property
    def sheet(self) -> str | None:
        """XLSX: the sheet the rows come from."""
        return self.raw.sheet if self.raw is not None else None

    @property
    def header_row(self) -> int | None:
        """XLSX: the row of column names, as the spreadsheet numbers it."""
        return self.raw.header_row if self.raw is not None else None

    @property
    def columns(self) -> list[str]:
        return [c for c in self.rows.columns if c != SOURCE_ROW]


def read_sample(path: Path) -> Sample:
    if not path.is_file():
        raise DraftError(f"{path}: no such file")
    fmt = FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS_BY_SUFFIX))
        raise DraftError(f"{path.name}: cannot tell the format from the name (known: {known})")
    if path.stat().st_size == 0:
        raise DraftError(f"{path.name}: the file is empty: draft from a delivery with rows")
    pattern, day, notes = file_pattern(path.name)
    connection = connect()
    raw = None
    json_text: frozenset[str] = frozenset()
    try:
        if fmt == "csv":
            encoding = sniff_encoding(path)
            delimiter = sniff_delimiter(path, encoding)
            raw = read_csv(path, encoding, connection, delimiter=delimiter)
            rows, rejected = raw.rows, raw.rejects.height
            notes += raw.notes
        elif fmt == "xlsx":
            encoding, delimiter = None, ","
            sheet, sheet_notes = _sheet_to_draft_from(path)
            raw = read_xlsx(path, sheet)
            rows, rejected = raw.rows, raw.rejects.height
            notes += sheet_notes + raw.notes
        else:
            encoding, delimiter = None, ","
            rows, rejected, json_text = read_json_lines(path, connection)
    except UnreadableFile as error:
        raise DraftError(str(error)) from None
    finally:
        connection.close()
    if rejected:
        notes.append(
            f"{rejected} row(s) of the sample are malformed or undecodable: ingestion "
            "quarantines them whatever the contract says"
        )
    if rows.height == 0:
        raise DraftError(f"{path.name}: no data rows: draft from a delivery with rows")
    unnamed = [c for c in rows.columns if not c.strip()]
    if unnamed:
        # A contract reads columns by name: one without a name cannot be read (ingestion
        # reports it as unexpected), so it is left out, and said.
        rows = rows.drop(unnamed)
        notes.append(
            f"{len(unnamed)} column(s) have no name in the header: left out (ask the department"
            " to name them) # TODO: review"
        )
    return Sample(
        path, fmt, encoding, delimiter, pattern, day, rows, rejected, notes, raw, json_text
    )


def _sheet_to_draft_from(path: Path) -> tuple[str | None, list[str]]:
    """The workbook's first sheet holding data (ingestion refuses to guess between two: the
    draft names the one it read), and the others holding data, to review."""
    try:
        with Workbook(path) as book:
            filled = [n for n in book.sheet_names if book.first_filled_row(n) is not None]
    except Exception as error:  # zipfile and XML errors: not a workbook
        raise UnreadableFile(f"{path.name}: not readable as an XLSX workbook ({error})") from None
    if len(filled) <= 1:
        return (filled[0] if filled else None), []
    others = ", ".join(repr(n) for n in filled[1:])
    return filled[0], [
        f"drafted from sheet {filled[0]!r}; {others} "
        + ("hold" if len(filled) > 2 else "holds")
        + " data too, never read: is the "
        "contract's sheet the right one? # TODO: review"
    ]


def file_pattern(name: str) -> tuple[str, date | None, list[str]]:
    """The name with its (last) yyyymmdd date as the day placeholder, and that day."""
    matches = [
        m for m in _DAY_IN_NAME.finditer(name) if _calendar_day(m.group(1), m.group(2), m.group(3))
    ]
    if matches:
        last = matches[-1]
        day = _calendar_day(last.group(1), last.group(2), last.group(3))
        return name[: last.start()] + DAY_PLACEHOLDER + name[last.end() :], day, []
    stem, dot, suffix = name.rpartition(".")
    pattern = f"{stem}_{DAY_PLACEHOLDER}{dot}{suffix}" if dot else f"{name}_{DAY_PLACEHOLDER}"
    return (
        pattern,
        None,
        [
            f"the sample's name holds no yyyymmdd day: files will have to be named like "
            f"{pattern!r} (the day each file is delivered for) # TODO: review"
        ],
    )


def _calendar_day(year: str, month: str, day: str) -> date | None:
    try:
        return datetime(int(year), int(month), int(day)).date()
    except ValueError:
        return None


def sniff_encoding(path: Path) -> str:
    """utf-8-sig (a byte-order mark), utf-8, or gb18030 (which reads GBK): the whole file must decode."""
    data = path.read_bytes()
    if data.startswith(UTF8_BOM):
        encoding = "utf-8-sig"
    else:
        encoding = next((e for e in ("utf-8", "gb18030") if _decodes(data, e)), "")
    if not encoding or (encoding == "utf-8-sig" and not _decodes(data[3:], "utf-8")):
        raise DraftError(
            f"{path.name}: neither UTF-8 nor GB 18030 (GBK): ask the department for one of "
            "them, or convert the file"
        )
    return encoding


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(path: Path, encoding: str) -> str:
    """The separator that splits the first lines into the same number (more than one) of fields."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    lines = text.splitlines()[:-1] or text.splitlines()  # the last line may be cut short
    lines = [line for line in lines[:50] if line.strip()]
    best, best_score = ",", 0.0
    for delimiter in sorted(CSV_DELIMITERS):
        widths = [
            len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
        ]
        if not widths or widths[0] < 2:
            continue
        # The share of lines as wide as the header, then the width: ties go to the comma.
        score = sum(w == widths[0] for w in widths) / len(widths) + widths[0] / 1000
        if score > best_score or (score == best_score and delimiter == ","):
            best, best_score = delimiter, score
    return best


def read_json_lines(
    path: Path, connection: duckdb.DuckDBPyConnection
) -> tuple[pl.DataFrame, int, frozenset[str]]:
    """Every key of the file's objects as text; arrays of objects as lists of structs of text.

    Also the keys read as JSON text: those holding an object or a list of plain values.
    """
    lines = path.read_bytes().split(b"\n")
    if lines and not lines[-1].strip():
        lines.pop()
    frame = pl.DataFrame(
        {
            SOURCE_ROW: np.arange(1, len(lines) + 1, dtype=np.int64),
            "raw": pl.Series(lines, dtype=pl.Binary),
        }
    ).filter(pl.col("raw").bin.size() > 0)
    connection.register("json_lines", frame)
    try:
        connection.execute(
            f"""
            CREATE TEMP TABLE objects AS
            SELECT {SOURCE_ROW}, line FROM (SELECT {SOURCE_ROW}, try(decode(raw)) AS line FROM json_lines)
            WHERE line IS NOT NULL AND json_valid(line) AND json_type(line) = 'OBJECT'
            """
        )
        found = connection.execute(
            "SELECT json_group_structure(json(line)) FROM objects"
        ).fetchone()
        if found is None or found[0] is None:
            raise DraftError(f"{path.name}: no line is a JSON object")
        kinds = json.loads(found[0])
        structure = text_structure(kinds)
        rows = connection.execute(
            f"SELECT {SOURCE_ROW}, json_transform(line, ?) AS record FROM objects ORDER BY {SOURCE_ROW}",
            [json.dumps(structure, ensure_ascii=False)],
        ).pl()
    except duckdb.Error as error:
        raise DraftError(f"{path.name}: not readable as JSON lines ({error})") from None
    finally:
        connection.unregister("json_lines")
    rejected = frame.height - rows.height
    json_text = frozenset(
        key
        for key, kind in kinds.items()
        if structure[key] == "VARCHAR" and not (isinstance(kind, str) and kind in _PLAIN)
    )
    return rows.select(pl.col("record").struct.unnest(), SOURCE_ROW), rejected, json_text


# json_group_structure's names of plain values; anything else (an object, a list, true or false,
# "JSON" for mixed kinds) may hold a value a string field refuses without jsonText.
_PLAIN = {"VARCHAR", "BIGINT", "UBIGINT", "DOUBLE", "NULL"}


def text_structure(found: dict[str, Any]) -> dict[str, Any]:
    """The json_transform structure that reads every key as text, keeping arrays of objects.

    An object or an array of plain values at the top level stays its JSON text: a contract
    reads top-level keys and, inside arrays of objects, dotted paths.
    """
    structure: dict[str, Any] = {}
    for key, kind in found.items():
        if isinstance(kind, list) and kind and isinstance(kind[0], dict):
            structure[key] = [_leaves_as_text(kind[0])]
        else:
            structure[key] = "VARCHAR"
    return structure


def _leaves_as_text(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _leaves_as_text(kind) if isinstance(kind, dict) else "VARCHAR"
        for key, kind in obj.items()
    }
