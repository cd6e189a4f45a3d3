"""Read one landing file as the department delivered it: every value as text.

Rows the file format itself breaks (wrong encoding, too many or too few fields,
invalid JSON, an over-long line) come back as rejects with their source row
number and original text, so they can be quarantined without taking valid rows
down with them. DuckDB's CSV reader reports such rows one by one
(`store_rejects`), after `csv_records` has cut an irregular file into records and
decoded it line by line; JSON lines are read as text lines and validated in SQL.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import fastexcel
import numpy as np
import polars as pl

from pipelines.lib.contracts import FeedContract, Field
from pipelines.lib.ingest.csv_records import GB18030, UTF8, Records, split_records
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
REJECT_COLUMN = "column"  # optional in rejects: the column a reader can name (a JSON value's type)
REJECTS_WITH_COLUMN = pl.Schema([*REJECT_SCHEMA.items(), (REJECT_COLUMN, pl.String)])
MAX_LINE_BYTES = (
    32 << 20
)  # a 10 MB field must reach the contract's length rule, not break the reader

_TWO_BYTE_UTF8_LEADS = bytes(range(0xC2, 0xE0))  # UTF-8 lead bytes of U+0080 to U+07FF
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


def read_csv(
    path: Path,
    declared_encoding: str,
    connection: duckdb.DuckDBPyConnection,
    delimiter: str = ",",
) -> RawDelivery:
    """Every record of a CSV file, as text, or as a reject with its rule, number and text.

    A clean UTF-8 (or ASCII) file, one record per line, is read by DuckDB as delivered: the
    fast path, taken only when DuckDB keeps every line as a row; one without quotes, by polars.
    So is a GB 18030 file without quotes whose lines are all GB 18030, once decoded. Any
    other file (another encoding, a reject, a quoted line break, a blank line) is cut into
    records and decoded line by line first (`csv_records`: an unclosed quote breaks one
    record, not the rest of the file; each line is read in the encoding it is in), and DuckDB
    parses the records.
    """
    data = path.read_bytes()
    declared = UTF8 if declared_encoding == "utf-8-sig" else declared_encoding
    # GB 18030 text that happens to be valid UTF-8 reads as two-byte UTF-8 characters (Latin,
    # Greek, Cyrillic letters): a file holding any is read line by line, where that is judged.
    if data.isascii() or (declared == UTF8 and not _has_two_byte_utf8(data)):
        raw = _read_unquoted_csv(data, delimiter) or _read_clean_utf8_csv(
            path, data, connection, delimiter
        )
        if raw is not None:
            return raw
    elif declared == GB18030 and b'"' not in data and (text := _all_gb18030(data)) is not None:
        raw = _read_unquoted_csv(text.encode(UTF8), delimiter, encoding=GB18030)
        if raw is not None:
            return raw
    return _read_records(path, split_records(data, declared, delimiter), connection, delimiter)


def _all_gb18030(data: bytes) -> str | None:
    """The text of a GB 18030 file every line of which `split_records` would read as GB 18030
    or ASCII; None for any other.

    A line valid in both encodings is judged there (which reading is the more ordinary text),
    so a file with a non-ASCII line that is valid UTF-8 is left to it, as is one that starts
    with a UTF-8 byte-order mark or holds a bare CR (a line end `split_records` cuts at).
    Whole or line by line, the decoding is the same: GB 18030 never uses CR or LF inside a
    character. Checking the lines costs about a tenth of cutting and decoding them one by one.
    """
    if data.startswith(b"\xef\xbb\xbf") or b"\r" in data.replace(b"\r\n", b""):
        return None
    if any(not line.isascii() and _is_utf8(line) for line in data.split(b"\n")):
        return None
    try:
        return data.decode(GB18030)
    except UnicodeDecodeError:
        return None


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode(UTF8)
    except UnicodeDecodeError:
        return False
    return True


def _read_unquoted_csv(data: bytes, delimiter: str, encoding: str = UTF8) -> RawDelivery | None:
    """A file without a quote character whose every line holds the header's fields, read by
    polars from its UTF-8 `data` (delivered in `encoding`); None for any other file.

    Such a file can have no reject, so DuckDB's reader with per-row rejects, which takes two to
    four times longer (traffic_flow on `large`: 0.22-0.41 s a day against 0.09 s), is not
    needed. A line with more fields than the header stops polars; one with fewer leaves the
    file short of the delimiters every line must hold; a quoted field, a blank line, a bare
    CR, invalid UTF-8 or a line over the reader's maximum sends the file to the readers below,
    which find and reject the broken rows.
    """
    if b'"' in data or (len(data) > MAX_LINE_BYTES and _longest_line(data) > MAX_LINE_BYTES):
        return None
    first_line = data.split(b"\n", 1)[0].removesuffix(b"\r")
    if b"\r" in first_line:  # a bare CR ends lines here; polars only knows LF and CRLF
        return None
    header = _header_names([first_line.decode(UTF8, "replace")], delimiter)
    lines = _physical_lines(data)
    if not header or data.count(delimiter.encode()) != (len(header) - 1) * lines:
        return None
    try:
        rows = pl.read_csv(
            data,
            has_header=True,
            separator=delimiter,
            quote_char=None,
            infer_schema=False,
            encoding="utf8",
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None
    if rows.height != lines - 1 or rows.width != len(header):
        return None
    rows.columns = header
    return _every_line_a_row(rows, encoding)


def _every_line_a_row(rows: pl.DataFrame, encoding: str = UTF8) -> RawDelivery:
    """A file read whole, every data line a row: numbered from 1, nothing rejected."""
    return RawDelivery(
        rows=rows.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(SOURCE_ROW)),
        rejects=pl.DataFrame(schema=REJECT_SCHEMA),
        columns=rows.columns,
        encoding=encoding,
    )


def _longest_line(data: bytes) -> int:
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    return int(np.diff(ends, prepend=-1, append=len(data)).max())


def _read_clean_utf8_csv(
    path: Path, data: bytes, connection: duckdb.DuckDBPyConnection, delimiter: str
) -> RawDelivery | None:
    """The file read by DuckDB as it is, if every data line is a row (None if not)."""
    header = csv_header(path, delimiter)
    if not header:
        return None
    try:
        rows, rejects = _duckdb_csv(path, path, header, connection, delimiter)
    except UnreadableFile:
        return None  # e.g. a quoted bare CR in an LF file: the records path reads it
    if rejects.height or rows.height != _physical_lines(data) - 1:
        return None
    return _every_line_a_row(rows)


def _has_two_byte_utf8(data: bytes) -> bool:
    return len(data.translate(None, _TWO_BYTE_UTF8_LEADS)) != len(data)  # 3 ms for 2.4 MB


def _physical_lines(data: bytes) -> int:
    """Lines ended by LF, CRLF or a bare CR, and a last line without an end."""
    ends = data.count(b"\n")
    if b"\r" in data:
        ends += data.count(b"\r") - data.count(b"\r\n")
    return ends + (0 if data.endswith((b"\n", b"\r")) else 1)


def _read_records(
    path: Path, split: Records, connection: duckdb.DuckDBPyConnection, delimiter: str
) -> RawDelivery:
    """The records DuckDB parses, one per line of a UTF-8 file (quoted line breaks stood in for).

    Decoded in Python, never by DuckDB's encodings extension: it mis-decodes a GB 18030
    character that straddles its 64 KiB decoding chunk, rejecting valid rows."""
    if split.header is None:
        return RawDelivery(
            _empty_rows(),
            pl.DataFrame(schema=REJECT_SCHEMA),
            [],
            encoding=split.encoding,
            notes=[*split.notes, "no header line"],
        )
    if not split.header_decoded:
        raise UnreadableFile(
            f"{path.name}: the header line is neither UTF-8 nor GB 18030 text: not a CSV file "
            "(a workbook or other binary file delivered under a CSV name?)"
        )
    kept = [r for r in split.records if r.rule is None]
    broken = pl.DataFrame(
        {
            SOURCE_ROW: [r.number for r in split.records if r.rule is not None],
            "rule": [r.rule for r in split.records if r.rule is not None],
            "detail": [r.detail for r in split.records if r.rule is not None],
            "original": [r.text for r in split.records if r.rule is not None],
        },
        schema=REJECT_SCHEMA,
    )
    # DuckDB cannot read a quoted bare CR, and counts lines, not records, once a record spans
    # several: inside records, line breaks become two noncharacters the file does not hold.
    lines = [split.header, *(r.text for r in kept)]
    breaks = {}
    if split.multiline or "\r" in split.header or "\n" in split.header:
        breaks = _line_break_stand_ins(lines)
        for character, stand_in in breaks.items():
            lines = [line.replace(character, stand_in) for line in lines]
    with tempfile.NamedTemporaryFile(suffix=".csv", prefix="safecity-records-") as records:
        records.write("\n".join(lines).encode("utf-8") + b"\n")
        records.flush()
        header = _restored(csv_header(Path(records.name), delimiter), breaks)
        rows, rejects = _duckdb_csv(path, Path(records.name), header, connection, delimiter)
    numbers = np.array([r.number for r in kept], dtype=np.int64)
    rejected = rejects[SOURCE_ROW].to_numpy() - 1  # positions among the kept records
    surviving = np.setdiff1d(np.arange(len(kept)), rejected, assume_unique=True)
    if surviving.size != rows.height:
        raise UnreadableFile(
            f"{path.name}: {rows.height} rows read but {surviving.size} records expected: "
            "the CSV is too irregular to read record by record (report it with the file)"
        )
    if breaks:
        rows = rows.with_columns(
            _restored_column(pl.col(c), breaks) for c in rows.columns if rows[c].dtype == pl.String
        )
        rejects = rejects.with_columns(_restored_column(pl.col("original"), breaks))
    rejects = rejects.with_columns(pl.Series(SOURCE_ROW, numbers[rejected], dtype=pl.Int64))
    return RawDelivery(
        rows=rows.with_columns(pl.Series(SOURCE_ROW, numbers[surviving])),
        rejects=pl.concat([broken, rejects.cast(REJECT_SCHEMA)]).sort(SOURCE_ROW),
        columns=rows.columns,
        encoding=split.encoding,
        notes=split.notes,
    )


def _line_break_stand_ins(lines: list[str]) -> dict[str, str]:
    """CR and LF mapped to two Unicode noncharacters (U+FDD0 to U+FDEF) absent from the text."""
    free = [chr(c) for c in range(0xFDD0, 0xFDF0) if not any(chr(c) in line for line in lines)]
    if len(free) < 2:
        raise UnreadableFile("the file holds every Unicode noncharacter: not read as CSV")
    return {"\r": free[0], "\n": free[1]}


def _restored(names: list[str], breaks: dict[str, str]) -> list[str]:
    for character, stand_in in breaks.items():
        names = [name.replace(stand_in, character) for name in names]
    return names


def _restored_column(column: pl.Expr, breaks: dict[str, str]) -> pl.Expr:
    for character, stand_in in breaks.items():
        column = column.str.replace_all(stand_in, character, literal=True)
    return column


def _duckdb_csv(
    path: Path,
    readable: Path,
    header: list[str],
    connection: duckdb.DuckDBPyConnection,
    delimiter: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows DuckDB keeps, and its rejects (SOURCE_ROW: the data line, 1 after the header)."""
    table = f"rejects_{abs(hash(str(path)))}"
    try:
        # No sniffing: the dialect is fixed and the columns come from the header, so one
        # broken row is a reject instead of an unreadable file.
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
    return rows, rejects.cast(REJECT_SCHEMA)


def csv_header(path: Path, delimiter: str = ",") -> list[str]:
    """The column names of a UTF-8 CSV file's first line (a byte-order mark dropped); names made unique."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return _header_names(handle, delimiter)


def _header_names(lines: Iterable[str], delimiter: str) -> list[str]:
    """The names in the first record of `lines`, trimmed; made unique (DuckDB needs distinct names)."""
    first = next(csv.reader(lines, delimiter=delimiter), [])
    return unique_names([name.lstrip("\ufeff").strip() for name in first])


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


def _put_path(target: dict, path: list[str], leaf: object) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = leaf


@dataclass(frozen=True)
class JsonShape:
    """What the contract expects at one place of a delivered JSON object.

    `kind`: "value" (a string or a number: a value is read from its text, as a CSV cell's
    would be, so a number or a time may come quoted and a number's text serves a string),
    "boolean" (also true or false), "list" (of `members[0]`), "object" (with `members`) or
    "json" (any JSON value, kept as its text: a string field with `jsonText`).
    `column`: the quarantine column when the type is wrong: the field, and the delivered path.
    """

    kind: str
    column: str
    members: tuple[tuple[str, JsonShape], ...] = ()

    def wrong(self, value: object) -> str | None:
        """The column of the first place where `value` has a type the contract does not allow."""
        if value is None or self.kind == "json":
            return None  # missing: the required rule speaks for it
        if self.kind == "list":
            if not isinstance(value, list):
                return self.column
            ((_, item),) = self.members
            for element in value:
                found = item.column if element is None else item.wrong(element)  # a null item too
                if found:
                    return found
            return None
        if self.kind == "object":
            if not isinstance(value, dict):
                return self.column
            for key, shape in self.members:
                found = shape.wrong(value.get(key))
                if found:
                    return found
            return None
        if isinstance(value, (dict, list)) or (isinstance(value, bool) and self.kind != "boolean"):
            return self.column
        return None


def json_shape(contract: FeedContract) -> JsonShape:
    """The shape of one delivered JSON object, from the contract: every key and nested path it reads."""
    members: list[tuple[str, JsonShape]] = []
    for f in contract.fields:
        for key in f.source_columns:
            column = f.name if key == f.name else f"{f.name} ({key})"
            if f.logical_type == "array":
                members.append((key, JsonShape("list", column, (("", _item_shape(f, key)),))))
            else:
                kind = (
                    "boolean" if f.logical_type == "boolean" else "json" if f.json_text else "value"
                )
                members.append((key, JsonShape(kind, column)))
    point = contract.coordinates.point if contract.coordinates is not None else None
    if point is not None:
        spec = contract.coordinates
        column = f"{spec.longitude},{spec.latitude} ({point.source})"  # type: ignore[union-attr]
        members.append((point.source, JsonShape("value", column)))
    return JsonShape("object", "", tuple(members))


def _item_shape(array: Field, key: str) -> JsonShape:
    """An array's item: an object holding each item property at its dotted path."""
    tree: dict = {}
    for sub in array.items:
        _put_path(tree, (sub.source or sub.name).split("."), sub)

    def shape(node: dict, path: str) -> JsonShape:
        members = []
        for name, child in node.items():
            at = f"{path}.{name}"
            if isinstance(child, dict):
                members.append((name, shape(child, at)))
            else:
                kind = "boolean" if child.logical_type == "boolean" else "value"
                members.append((name, JsonShape(kind, f"{array.name}.{child.name} ({key}[]{at})")))
        column = f"{array.name} ({key}[]{path})"
        return JsonShape("object", column, tuple(members))

    return shape(tree, "")


@cache
def _second_look(contract: FeedContract) -> pl.Expr:
    """Which read lines to parse again in Python, from cheap signs (never another parse).

    DuckDB's `second_look` (maybe lenient JSON, or a `true` or `false`, which only a boolean
    field takes), a key repeated at the top, more or fewer braces and brackets than the
    contracted lists and their items' objects need (an object or a list for a value, a text
    for an item or a driver), or a contracted list json_transform could not read while its key
    was delivered.
    """
    record, keys = pl.col("record"), pl.col("keys")
    braces, brackets, no_list = [pl.lit(1)], [pl.lit(0)], [pl.lit(False)]
    for f in contract.fields:
        if f.logical_type != "array":
            continue
        within = {
            tuple(parts[:depth])
            for parts in ((sub.source or sub.name).split(".") for sub in f.items)
            for depth in range(1, len(parts))
        }
        for key in f.source_columns:
            value = record.struct.field(key)
            braces.append(value.list.len().fill_null(0) * (1 + len(within)))
            brackets.append(value.is_not_null().cast(pl.Int64))
            no_list.append(value.is_null() & keys.list.contains(key))
    return pl.col("ok").fill_null(False) & (
        pl.col("second_look").fill_null(False)
        | (keys.list.len() != keys.list.n_unique())
        | (pl.col("braces") != pl.sum_horizontal(braces))
        | (pl.col("brackets") != pl.sum_horizontal(brackets))
        | pl.any_horizontal(no_list)
    )


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# DuckDB's JSON reader is lenient where RFC 8259 is not: a trailing comma, NaN and Infinity
# pass json_valid, and a repeated key silently keeps its first value. Lines where any of them
# may be are parsed again, strictly, in Python (few lines: a comma before a bracket inside a
# string, or the word NaN in a name, passes that second look).
_TRAILING_COMMA = r",\s*[\]}]"  # a literal in the SQL: a parameter is compiled again and again
BOM = b"\xef\xbb\xbf"
_JSON_WHITESPACE = b" \t\r"  # with the newline that ends a line: what may surround a JSON text


def read_json_lines(
    path: Path, contract: FeedContract, connection: duckdb.DuckDBPyConnection
) -> RawDelivery:
    """One JSON object per line; lines numbered here, so a broken line keeps its place.

    Lines with nothing but whitespace are not records; a byte-order mark before the first line
    is dropped. A line that is not one strict JSON object is `row_malformed`; a contracted value
    of the wrong JSON type (an object for a name, a text where a list of vehicles is contracted)
    is `type_invalid` in its column; both keep the line as delivered.
    """
    data = path.read_bytes()
    if data.startswith(BOM):
        data = data[len(BOM) :]
    lines = data.split(b"\n")
    if lines and lines[-1].strip() == b"":
        lines.pop()  # the newline that ends the last line does not start another
    records = np.array([bool(text.strip(_JSON_WHITESPACE)) for text in lines], dtype=bool)
    frame = pl.DataFrame(
        {
            SOURCE_ROW: np.arange(1, len(lines) + 1, dtype=np.int64)[records],
            "raw": pl.Series(lines, dtype=pl.Binary).filter(records),
        }
    )  # empty and whitespace-only lines are not records
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
                   CASE WHEN ok THEN regexp_matches(line, {_sql_string(_TRAILING_COMMA)})
                                     OR contains(line, 'NaN') OR contains(line, 'Infinity')
                                     OR contains(line, 'true') OR contains(line, 'false') END AS second_look,
                   CASE WHEN ok THEN NULL WHEN line IS NULL THEN raw END AS undecodable,
                   CASE WHEN ok THEN NULL ELSE line END AS broken,
                   NULL::VARCHAR AS strict_error, NULL::VARCHAR AS wrong_type
            FROM checked
            """,
            [json.dumps(json_structure(contract), ensure_ascii=False)],
        ).pl()
    except duckdb.Error as error:
        raise UnreadableFile(
            f"{path.name}: not readable as JSON lines ({_first_line(error)})"
        ) from error
    finally:
        connection.unregister("json_lines")
    # DuckDB keeps the lines' order here (no join, no aggregate); sorted only if it ever did not.
    if not checked[SOURCE_ROW].is_sorted():
        checked = checked.sort(SOURCE_ROW)
    checked = checked.with_columns(_braces_and_brackets(frame["raw"], checked["ok"]))
    checked = _looked_at_again(checked, frame, contract)
    good = checked.filter(pl.col("ok").fill_null(False) & pl.col("wrong_type").is_null())
    bad = checked.filter(~pl.col("ok").fill_null(False) | pl.col("wrong_type").is_not_null())
    rejects = bad.select(
        SOURCE_ROW,
        pl.when(pl.col("ok").is_null())
        .then(pl.lit("encoding_invalid"))
        .when(pl.col("ok"))
        .then(pl.lit("type_invalid"))
        .otherwise(pl.lit("row_malformed"))
        .alias("rule"),
        pl.when(pl.col("ok").is_null())
        .then(pl.lit("not valid UTF-8"))
        .when(pl.col("ok"))
        .then(pl.lit("a value of the wrong JSON type"))
        .otherwise(pl.coalesce("strict_error", pl.lit("not a JSON object")))
        .alias("detail"),
        # Only the few undecodable lines are decoded here, each with its bytes shown, nothing lost.
        pl.coalesce(
            "broken",
            pl.col("undecodable").map_elements(
                lambda raw: raw.decode("utf-8", "backslashreplace"), return_dtype=pl.String
            ),
        ).alias("original"),
        pl.col("wrong_type").alias(REJECT_COLUMN),
    )
    keys = good["keys"].explode().drop_nulls().unique().sort().to_list() if good.height else []
    rows = (
        good.select("record").unnest("record").with_columns(good[SOURCE_ROW])
        if good.height
        else _empty_rows()
    )
    return RawDelivery(
        rows,
        rejects.cast(REJECTS_WITH_COLUMN),
        keys,
        encoding="utf-8",
    )


def _braces_and_brackets(raw: pl.Series, ok: pl.Series) -> list[pl.Series]:
    """How many `{` and `[` each line that is one JSON object holds (null for the others):
    counted by polars, a tenth of the time DuckDB's replace() took."""
    at = np.flatnonzero(ok.fill_null(False).to_numpy())
    text = raw.gather(at).cast(pl.String)  # ok lines were decoded as UTF-8
    return [
        pl.repeat(None, raw.len(), dtype=pl.UInt32, eager=True)
        .alias(name)
        .scatter(at, text.str.count_matches(character, literal=True))
        for name, character in (("braces", "{"), ("brackets", "["))
    ]


def _looked_at_again(
    checked: pl.DataFrame, frame: pl.DataFrame, contract: FeedContract
) -> pl.DataFrame:
    """The few lines DuckDB may have read leniently, or whose values may have a wrong JSON type,
    parsed again in Python: strictly (no trailing comma, NaN or repeated key), then against the
    contract's shape. Fills `strict_error` and `wrong_type`, and marks strictly invalid lines not ok."""
    suspect = checked.select(_second_look(contract)).to_series()
    if not suspect.any():  # the usual case: nothing more to do
        return checked
    at = np.flatnonzero(suspect.to_numpy())
    shape = json_shape(contract)
    lines = frame.filter(pl.col(SOURCE_ROW).is_in(checked[SOURCE_ROW].gather(at).implode()))
    errors, wrong, texts = [], [], []
    for raw in lines["raw"]:
        text = raw.decode("utf-8")
        error, value = strict_json(text)
        errors.append(error)
        wrong.append(None if error else shape.wrong(value))
        texts.append(text if error or wrong[-1] else None)
    strict_error = checked["strict_error"].scatter(at, pl.Series(errors, dtype=pl.String))
    return checked.with_columns(
        strict_error,
        checked["wrong_type"].scatter(at, pl.Series(wrong, dtype=pl.String)),
        checked["broken"].scatter(at, pl.Series(texts, dtype=pl.String)),
        pl.when(strict_error.is_not_null()).then(False).otherwise(pl.col("ok")).alias("ok"),
    )


def strict_json(line: str) -> tuple[str | None, object]:
    """The line parsed as strict JSON (RFC 8259, each key of an object once): (why not, None) or (None, value)."""
    try:
        value = json.loads(
            line, parse_constant=_refuse_constant, object_pairs_hook=_refuse_repeated_keys
        )
    except ValueError as error:  # json.JSONDecodeError too
        return f"not strict JSON: {error}", None
    return None, value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _refuse_repeated_keys(pairs: list[tuple[str, object]]) -> dict:
    # RFC 8259 leaves a repeated name's meaning to the reader (DuckDB keeps the first value,
    # most others the last): which value the department meant is unknown, so the row is refused.
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"key {key!r} repeated in one object")
        seen[key] = value
    return seen


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
