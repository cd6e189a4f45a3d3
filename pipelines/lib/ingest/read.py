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
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from pipelines.lib.contracts import FeedContract, Field

SOURCE_ROW = (
    "_source_row"  # 1-based data row (CSV and XLSX: after the header; JSON lines: the line)
)
REJECT_SCHEMA = pl.Schema(
    {
        SOURCE_ROW: pl.Int64,
        "rule": pl.String,
        "detail": pl.String,
        "original": pl.String,
    }
)
REJECT_COLUMN = "column"  # optional in rejects: the column a reader can name (a JSON value's type)
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
        return read_xlsx(path)
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


def _put_path(target: dict, path: list[str], leaf: object) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = leaf


@dataclass(frozen=True)
class JsonShape:
    """What the contract expects at one place of a delivered JSON object.

    `kind`: "value" (a string or a number: a value is read from its text, as a CSV cell's
    would be, so a number or a time may come quoted and a number's text serves a string),
    "boolean" (also true or false), "list" (of `members[0]`) or "object" (with `members`).
    `column`: the quarantine column when the type is wrong: the field, and the delivered path.
    """

    kind: str
    column: str
    members: tuple[tuple[str, JsonShape], ...] = ()

    def wrong(self, value: object) -> str | None:
        """The column of the first place where `value` has a type the contract does not allow."""
        if value is None:
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
                kind = "boolean" if f.logical_type == "boolean" else "value"
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
                   CASE WHEN ok THEN strlen(line) - strlen(replace(line, '{{', '')) END AS braces,
                   CASE WHEN ok THEN strlen(line) - strlen(replace(line, '[', '')) END AS brackets,
                   CASE WHEN ok THEN NULL WHEN line IS NULL THEN raw END AS undecodable,
                   CASE WHEN ok THEN NULL ELSE line END AS broken,
                   NULL::VARCHAR AS strict_error, NULL::VARCHAR AS wrong_type
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
        rows, rejects.cast({**REJECT_SCHEMA, REJECT_COLUMN: pl.String}), keys, encoding="utf-8"
    )


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


def read_xlsx(path: Path) -> RawDelivery:
    try:
        rows = pl.read_excel(path, engine="calamine", infer_schema_length=0)
    except Exception as error:  # calamine raises its own types for a file that is not a workbook
        raise UnreadableFile(
            f"{path.name}: not readable as an XLSX workbook ({_first_line(error)})"
        ) from error
    rows = rows.rename({c: c.strip() for c in rows.columns})
    return RawDelivery(
        rows.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(SOURCE_ROW)),
        pl.DataFrame(schema=REJECT_SCHEMA),
        rows.columns,
    )


def _empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema={SOURCE_ROW: pl.Int64})


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
