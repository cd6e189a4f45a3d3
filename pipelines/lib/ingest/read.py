"""Read one landing file as the department delivered it: every value as text.

Rows the file format itself breaks (wrong encoding, too many or too few fields,
invalid JSON, an over-long line) come back as rejects with their source row
number and original text, so they can be quarantined without taking valid rows
down with them. DuckDB's CSV reader reports such rows one by one
(`store_rejects`); JSON lines are read as text lines and validated in SQL.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import fastexcel
import numpy as np
import polars as pl

from pipelines.lib.contracts import FeedContract
from pipelines.lib.ingest.workbook import (
    HEADER_SEARCH_ROWS,
    FormulaCell,
    Workbook,
    column_letter,
    header_index,
    unique_names,
)

# 1-based data row (CSV and XLSX: after the header, an XLSX's blank rows not counted; JSON lines: the line)
SOURCE_ROW = "_source_row"
REJECT_SCHEMA = pl.Schema(
    {
        SOURCE_ROW: pl.Int64,
        "rule": pl.String,
        "detail": pl.String,
        "original": pl.String,
    }
)
ENCODINGS = ("utf-8", "gb18030")  # what departments actually send; UTF-8 with a BOM is utf-8 here
SNIFF_BYTES = 1 << 16
MAX_LINE_BYTES = (
    32 << 20
)  # a 10 MB field must reach the contract's length rule, not break the reader

_CSV_REJECTS = {
    "INVALID ENCODING": "encoding_invalid",
    "TOO MANY COLUMNS": "row_malformed",
    "MISSING COLUMNS": "row_malformed",
    "UNQUOTED VALUE": "row_malformed",
    "LINE SIZE OVER MAXIMUM": "row_too_long",
}


class UnreadableFile(Exception):
    """The file cannot be read at all (not a workbook, not text): one clear line for the run."""


@dataclass
class RawDelivery:
    rows: pl.DataFrame  # the department's columns as text, plus SOURCE_ROW
    rejects: pl.DataFrame  # REJECT_SCHEMA
    columns: list[str]  # the columns (or JSON keys) the file actually carried
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    sheet: str | None = None  # xlsx: the sheet read
    header_row: int | None = None  # xlsx: the row of column names, as the spreadsheet numbers it

    @property
    def landed(self) -> int:
        return self.rows.height + self.rejects.height


def read_delivery(
    path: Path, contract: FeedContract, connection: duckdb.DuckDBPyConnection
) -> RawDelivery:
    if path.stat().st_size == 0:
        return RawDelivery(
            _empty_rows(), pl.DataFrame(schema=REJECT_SCHEMA), [], notes=["empty file"]
        )
    fmt = contract.landing.format
    if fmt == "csv":
        return read_csv(
            path, contract.landing.encoding, connection, delimiter=contract.landing.delimiter
        )
    if fmt == "jsonl":
        return read_json_lines(path, contract, connection)
    if fmt == "xlsx":
        landing = contract.landing
        raw = read_xlsx(path, landing.sheet, landing.header_row, contract.source_columns)
        return _rejects_by_field(raw, contract)
    raise ValueError(f"{contract.path}: unknown landing format {fmt!r}")


def detect_encoding(path: Path, declared: str) -> tuple[str, list[str]]:
    """The declared encoding, unless most of the file's start is in another one we know.

    Judged line by line over the first 64 KiB: one stray line in another encoding
    is that line's problem (it is quarantined), not a reason to re-read every line.
    GB 18030 accepts almost any byte pair, so it can never win over a UTF-8 file
    whose lines mostly decode as UTF-8.
    """
    declared = "utf-8" if declared == "utf-8-sig" else declared
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    # The last line may be cut in the middle of a character: leave it out.
    lines = [line for line in sample.split(b"\n")[:-1] if not line.isascii()]
    if not lines:
        return declared, []

    def failures(encoding: str) -> int:
        count = 0
        for line in lines:  # at most a few hundred sample lines, once per file
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                count += 1
        return count

    declared_failures = failures(declared)
    if declared_failures * 2 <= len(lines):
        stray = (
            [f"some lines are not valid {declared}: they are quarantined"]
            if declared_failures
            else []
        )
        return declared, stray
    for candidate in (e for e in ENCODINGS if e != declared):
        if failures(candidate) == 0:
            return candidate, [
                f"declared {declared} but the file is {candidate}: read as {candidate}"
            ]
    return declared, [f"the file is not valid {declared}: undecodable rows are quarantined"]


def read_csv(
    path: Path,
    declared_encoding: str,
    connection: duckdb.DuckDBPyConnection,
    delimiter: str = ",",
) -> RawDelivery:
    encoding, notes = detect_encoding(path, declared_encoding)
    if encoding == "utf-8":
        return _read_utf8_csv(path, path, encoding, notes, connection, delimiter)
    # DuckDB's encodings extension mis-decodes a multi-byte character that straddles its
    # 64 KiB decoding chunk (seen with GB 18030), rejecting valid rows. Python's codec has
    # no such limit: transcode to UTF-8, marking undecodable bytes, and read that instead.
    text = path.read_bytes().decode(encoding, errors="replace")
    with tempfile.NamedTemporaryFile(suffix=".csv", prefix="safecity-transcoded-") as utf8:
        utf8.write(text.encode("utf-8"))
        utf8.flush()
        raw = _read_utf8_csv(path, Path(utf8.name), encoding, notes, connection, delimiter)
    return _reject_replacement_characters(raw)


def _read_utf8_csv(
    path: Path,
    readable: Path,
    encoding: str,
    notes: list[str],
    connection: duckdb.DuckDBPyConnection,
    delimiter: str = ",",
) -> RawDelivery:
    header = csv_header(readable, delimiter)
    if not header:
        return RawDelivery(
            _empty_rows(),
            pl.DataFrame(schema=REJECT_SCHEMA),
            [],
            encoding=encoding,
            notes=[*notes, "no header line"],
        )
    table = f"rejects_{abs(hash(str(path)))}"
    try:
        # No sniffing: the dialect is fixed and the columns come from the header, so one
        # broken row (say an unclosed quote) is a reject instead of an unreadable file.
        rows = connection.execute(
            f"""
            SELECT * FROM read_csv(?, header=true, auto_detect=false, columns=?, delim=?, quote='"', escape='"',
                                   strict_mode=true, null_padding=false, encoding='utf-8',
                                   store_rejects=true, rejects_table='{table}', rejects_scan='{table}_scan',
                                   max_line_size={MAX_LINE_BYTES}, buffer_size={2 * MAX_LINE_BYTES})
            """,
            [str(readable), {f"column{i:03d}": "VARCHAR" for i in range(len(header))}, delimiter],
        ).pl()
        rows.columns = header
        rejects = connection.execute(
            f"SELECT line, error_type::VARCHAR AS error_type, error_message, csv_line FROM {table} ORDER BY line"
        ).pl()
    except duckdb.Error as error:
        raise UnreadableFile(f"{path.name}: not readable as CSV ({_first_line(error)})") from error
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {table}; DROP TABLE IF EXISTS {table}_scan")
    # A row can fail several ways; one reject per source row, the first reason.
    rejects = rejects.unique("line", keep="first", maintain_order=True).select(
        (pl.col("line").cast(pl.Int64) - 1).alias(SOURCE_ROW),  # line 1 is the header
        pl.col("error_type").replace_strict(_CSV_REJECTS, default="row_malformed").alias("rule"),
        pl.col("error_message").str.split("\n").list.first().alias("detail"),
        pl.col("csv_line").alias("original"),
    )
    return RawDelivery(
        rows=rows.with_columns(
            pl.Series(SOURCE_ROW, _surviving_rows(rows.height, rejects[SOURCE_ROW]))
        ),
        rejects=rejects.cast(REJECT_SCHEMA),
        columns=rows.columns,
        encoding=encoding,
        notes=notes,
    )


def csv_header(path: Path, delimiter: str = ",") -> list[str]:
    """The column names of a UTF-8 CSV file's first line (a byte-order mark dropped); names made unique."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        first = next(csv.reader(handle, delimiter=delimiter), [])
    names = [name.lstrip("\ufeff").strip() for name in first]
    # DuckDB needs distinct names; a repeated header keeps its first spelling, later ones numbered.
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return unique


def _reject_replacement_characters(raw: RawDelivery) -> RawDelivery:
    """Rows holding bytes the declared encoding could not decode (now U+FFFD) are rejects."""
    text_columns = [c for c in raw.rows.columns if c != SOURCE_ROW]
    if not text_columns or raw.rows.height == 0:
        return raw
    undecodable = pl.any_horizontal(
        [pl.col(c).str.contains("\ufffd", literal=True) for c in text_columns]
    ).fill_null(False)
    bad = raw.rows.filter(undecodable)
    if bad.height == 0:
        return raw
    rejected = bad.select(
        SOURCE_ROW,
        pl.lit("encoding_invalid").alias("rule"),
        pl.lit(f"bytes that are not {raw.encoding}").alias("detail"),
        pl.struct(text_columns).struct.json_encode().alias("original"),
    )
    return RawDelivery(
        rows=raw.rows.filter(~undecodable),
        rejects=pl.concat([raw.rejects, rejected.cast(REJECT_SCHEMA)]).sort(SOURCE_ROW),
        columns=raw.columns,
        encoding=raw.encoding,
        notes=raw.notes,
    )


def _surviving_rows(kept: int, rejected: pl.Series) -> np.ndarray:
    """Source row numbers of the rows the reader kept: all rows, minus the rejected, in order."""
    total = kept + rejected.len()
    return np.setdiff1d(np.arange(1, total + 1), rejected.to_numpy(), assume_unique=True)[:kept]


def json_structure(contract: FeedContract) -> dict:
    """The json_transform structure that pulls every contracted key (and its aliases) out as text."""
    structure: dict = {key: "VARCHAR" for key in contract.source_columns}
    for f in contract.fields:
        if f.logical_type == "array":
            item: dict = {}
            for sub in f.items:
                _put_path(item, (sub.source or sub.name).split("."), "VARCHAR")
            structure |= {key: [item] for key in f.source_columns}
    return structure


def _put_path(target: dict, path: list[str], leaf: str) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = leaf


def read_json_lines(
    path: Path, contract: FeedContract, connection: duckdb.DuckDBPyConnection
) -> RawDelivery:
    """One JSON object per line; lines numbered here, so a broken line keeps its place."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1].strip() == b"":
        lines.pop()  # the newline that ends the last line does not start another
    frame = pl.DataFrame(
        {
            SOURCE_ROW: np.arange(1, len(lines) + 1, dtype=np.int64),
            "raw": pl.Series(lines, dtype=pl.Binary),
        }
    ).filter(pl.col("raw").bin.size() > 0)  # blank lines are not records
    connection.register("json_lines", frame)
    try:
        checked = connection.execute(
            f"""
            WITH decoded AS (SELECT {SOURCE_ROW}, raw, try(decode(raw)) AS line FROM json_lines),
            checked AS (
                SELECT *, CASE WHEN line IS NULL THEN NULL
                               WHEN json_valid(line) THEN json_type(line) = 'OBJECT'
                               ELSE false END AS ok
                FROM decoded)
            SELECT {SOURCE_ROW}, ok,
                   CASE WHEN ok THEN json_transform(line, ?) END AS record,
                   CASE WHEN ok THEN json_keys(line) END AS keys,
                   CASE WHEN ok THEN NULL WHEN line IS NULL THEN raw END AS undecodable,
                   CASE WHEN ok THEN NULL ELSE line END AS broken
            FROM checked ORDER BY {SOURCE_ROW}
            """,
            [json.dumps(json_structure(contract), ensure_ascii=False)],
        ).pl()
    except duckdb.Error as error:
        raise UnreadableFile(
            f"{path.name}: not readable as JSON lines ({_first_line(error)})"
        ) from error
    finally:
        connection.unregister("json_lines")
    good = checked.filter(pl.col("ok").fill_null(False))
    bad = checked.filter(~pl.col("ok").fill_null(False))
    rejects = bad.select(
        SOURCE_ROW,
        pl.when(pl.col("ok").is_null())
        .then(pl.lit("encoding_invalid"))
        .otherwise(pl.lit("row_malformed"))
        .alias("rule"),
        pl.when(pl.col("ok").is_null())
        .then(pl.lit("not valid UTF-8"))
        .otherwise(pl.lit("not a JSON object"))
        .alias("detail"),
        # Only the few undecodable lines are decoded here, each with its bytes shown, nothing lost.
        pl.coalesce(
            "broken",
            pl.col("undecodable").map_elements(
                lambda raw: raw.decode("utf-8", "backslashreplace"), return_dtype=pl.String
            ),
        ).alias("original"),
    )
    keys = good["keys"].explode().drop_nulls().unique().sort().to_list() if good.height else []
    rows = (
        good.select("record").unnest("record").with_columns(good[SOURCE_ROW])
        if good.height
        else _empty_rows()
    )
    return RawDelivery(rows, rejects.cast(REJECT_SCHEMA), keys, encoding="utf-8")


def read_xlsx(
    path: Path,
    sheet: str | None = None,
    header_row: int | None = None,
    known_columns: Collection[str] = (),
) -> RawDelivery:
    """One sheet of a workbook: the contract's `sheet`, else the only one holding data.

    The header is the contract's `headerRow`, else the row among the first few that names
    the most `known_columns` (a title above it is skipped, and said). Data rows are numbered
    from 1 after the header, blank rows not counted. A formula's cached value is read, as
    the department saw it, with a note naming its cells; a formula whose value is an error
    or was never computed quarantines its row (`formula_error`, `formula_not_computed`).
    """
    try:
        with Workbook(path) as book:
            chosen, notes = _chosen_sheet(book, sheet, path.name)
            if chosen is None:
                empty = pl.DataFrame(schema=REJECT_SCHEMA)
                return RawDelivery(_empty_rows(), empty, [], notes=notes, sheet=sheet)
            first_row = book.first_filled_row(chosen) or 1
            formulas = book.formula_cells(chosen)
        loaded = fastexcel.read_excel(path).load_sheet(chosen, header_row=None, dtypes="string")
        grid = loaded.to_polars()
        first_column = loaded.available_columns()[0].absolute_index if grid.width else 0
    except UnreadableFile:
        raise
    except Exception as error:  # zipfile, XML and calamine errors for a file that is not a workbook
        raise UnreadableFile(
            f"{path.name}: not readable as an XLSX workbook ({_first_line(error)})"
        ) from error
    grid.columns = [column_letter(first_column + i) for i in range(grid.width)]
    at = _header_position(grid, first_row, header_row, frozenset(known_columns), chosen, path.name)
    if at > 0 and header_row is None:
        notes.append(_skipped_rows_note(grid.head(at), first_row, chosen))
    return _sheet_rows(grid, first_row, at, formulas, notes, chosen)


def _chosen_sheet(book: Workbook, sheet: str | None, file: str) -> tuple[str | None, list[str]]:
    """The sheet to read (None: no sheet holds data) and what to say about the choice.

    With no sheet named, two sheets holding data are refused rather than one read: the other
    could hold the rest of the records, and reading half a delivery without a word is loss.
    """
    names = book.sheet_names
    listed = ", ".join(repr(n) for n in names) or "none"
    if sheet is not None:
        if sheet not in names:
            raise UnreadableFile(
                f"{file}: no sheet {sheet!r} (the contract's landing sheet); the workbook's sheets: "
                f"{listed}: ask the department, or name the right one in the contract"
            )
        if book.first_filled_row(sheet) is None:
            return None, [f"sheet {sheet!r} is empty"]
        return sheet, []
    filled = [n for n in names if book.first_filled_row(n) is not None]
    if not filled:
        return None, [f"no sheet holds any data (sheets: {listed})"]
    if len(filled) > 1:
        shown = ", ".join(repr(n) for n in filled)
        raise UnreadableFile(
            f"{file}: {len(filled)} sheets hold data ({shown}) and the contract names none: "
            f"set the landing's sheet (e.g. sheet: {filled[0]}) to the one holding the records"
        )
    if len(names) == 1:
        return filled[0], []
    return filled[0], [
        f"read sheet {filled[0]!r}, the only one holding data (sheets: {listed}); "
        f"name it in the contract's landing: sheet: {filled[0]}"
    ]


def _header_position(
    grid: pl.DataFrame,
    first_row: int,
    header_row: int | None,
    names: frozenset[str],
    sheet: str,
    file: str,
) -> int:
    """The header's index in `grid` (whose first row is the sheet's row `first_row`)."""
    if header_row is None:
        head = grid.head(HEADER_SEARCH_ROWS).rows()
        return header_index(head, names)
    at = header_row - first_row
    if not 0 <= at < grid.height or all(v is None for v in grid.row(at)):
        raise UnreadableFile(
            f"{file}: row {header_row} of sheet {sheet!r}, the contract's headerRow, is empty "
            f"(the first row holding anything is {first_row}): correct headerRow, or ask the department"
        )
    return at


def _skipped_rows_note(above: pl.DataFrame, first_row: int, sheet: str) -> str:
    texts = [
        " ".join(v.strip() for v in row if v is not None and v.strip())[:80] for row in above.rows()
    ]
    shown = "; ".join(repr(t) for t in texts if t)
    header = first_row + above.height
    return (
        f"column names read from row {header} of sheet {sheet!r}; the rows above it are not "
        f"data ({shown}): declare headerRow: {header} in the contract's landing"
    )


def _sheet_rows(
    grid: pl.DataFrame,
    first_row: int,
    at: int,
    formulas: list[FormulaCell],
    notes: list[str],
    sheet: str,
) -> RawDelivery:
    """The rows below the header as text, and the rows whose formulas give no value as rejects."""
    header_sheet_row = first_row + at
    header = [(v or "").strip() for v in grid.row(at)]
    data = grid.slice(at + 1)
    # A column with neither name nor value is no column (calamine's range can be wider).
    names = {
        letter: name
        for letter, name in zip(grid.columns, header, strict=True)
        if name or data[letter].null_count() < data.height
    }
    names = dict(zip(names, unique_names(list(names.values())), strict=True))
    data_cells = [c for c in formulas if c.row > header_sheet_row]
    failed = [c for c in data_cells if not c.computed]
    failed_rows = sorted({c.row for c in failed})
    # Blank rows are no records (as in CSV); a row whose only cell is a failed formula is one.
    sheet_rows = np.arange(header_sheet_row + 1, header_sheet_row + 1 + data.height)
    # Column by column: a query per sheet costs more than the sheet is worth, at this size.
    filled = np.zeros(data.height, dtype=bool)
    for column in data.iter_columns():
        if column.null_count() == 0:  # a column filled in every row: no row is blank
            filled[:] = True
            break
        filled |= column.is_not_null().to_numpy()
    filled |= np.isin(sheet_rows, failed_rows)
    records = (data if filled.all() else data.filter(pl.Series(filled)))[list(names)]
    record_rows = sheet_rows[filled]
    past_range = [r for r in failed_rows if r > sheet_rows[-1:].max(initial=header_sheet_row)]
    if past_range:  # calamine saw no value in them at all
        nulls = pl.DataFrame({c: [None] * len(past_range) for c in records.columns})
        records = pl.concat([records, nulls.cast(pl.String)])
        record_rows = np.concatenate([record_rows, past_range])
    records.columns = list(names.values())
    records = records.hstack([pl.Series(SOURCE_ROW, np.arange(1, records.height + 1))])
    if computed := [c for c in data_cells if c.computed]:
        notes.append(_formula_note(computed, names))
    if failed:
        notes.append(
            f"{len(failed)} cell(s) hold a formula error or a formula never computed: their rows "
            "are quarantined (ask the department to recalculate and save from the spreadsheet)"
        )
        failing = np.isin(record_rows, failed_rows)
        rejects = _formula_rejects(records.filter(pl.Series(failing)), failed, names)
        records = records.filter(pl.Series(~failing))
    else:
        rejects = pl.DataFrame(schema=REJECT_SCHEMA)
    return RawDelivery(
        records,
        rejects,
        list(names.values()),
        notes=notes,
        sheet=sheet,
        header_row=header_sheet_row,
    )


def _rejects_by_field(raw: RawDelivery, contract: FeedContract) -> RawDelivery:
    """Rejects that name a delivered column name the field it feeds, as quarantine does elsewhere
    (a part of a derived field as `field (column)`); a column the contract does not read keeps its name."""
    if "column" not in raw.rejects.columns or raw.rejects.height == 0:
        return raw
    fields = {
        column: (f.name if f.derived is None else f"{f.name} ({column})")
        for f in contract.fields
        for column in f.source_columns
    }
    raw.rejects = raw.rejects.with_columns(pl.col("column").replace(fields))
    return raw


def _formula_note(cells: list[FormulaCell], names: dict[str, str]) -> str:
    by_column: dict[str, list[FormulaCell]] = {}
    for cell in cells:
        by_column.setdefault(
            names.get(column_letter(cell.column), column_letter(cell.column)), []
        ).append(cell)
    parts = [
        f"{name} ({found[0].ref})"
        if len(found) == 1
        else f"{name} ({len(found)} cells, {found[0].ref} to {found[-1].ref})"
        for name, found in by_column.items()
    ]
    return (
        f"{len(cells)} value(s) are formulas' results, read as the spreadsheet showed them: "
        + ", ".join(parts)
    )


def _formula_rejects(
    failing: pl.DataFrame, failed: list[FormulaCell], names: dict[str, str]
) -> pl.DataFrame:
    """One reject per row with failed formulas: the first one's rule and column, every one in `original`."""
    by_row: dict[int, list[FormulaCell]] = {}
    for cell in sorted(failed, key=lambda c: (c.row, c.column)):
        by_row.setdefault(cell.row, []).append(cell)
    rejects = []
    # `failing` holds those rows, in sheet order: the same order as by_row's.
    for values, cells in zip(failing.iter_rows(named=True), by_row.values(), strict=True):
        original = {name: values[name] for name in names.values()}
        for cell in cells:
            letter = column_letter(cell.column)
            original[names.get(letter, letter)] = cell.delivered
        first = cells[0]
        rejects.append(
            {
                SOURCE_ROW: values[SOURCE_ROW],
                "rule": "formula_error" if first.error else "formula_not_computed",
                "detail": "; ".join(c.problem for c in cells),
                "original": json.dumps(original, ensure_ascii=False),
                "column": names.get(column_letter(first.column), column_letter(first.column)),
            }
        )
    return pl.DataFrame(rejects, schema=REJECT_SCHEMA | {"column": pl.String})


def _empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema={SOURCE_ROW: pl.Int64})


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
