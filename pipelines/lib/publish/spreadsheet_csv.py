"""CSV for departments that open extracts in a spreadsheet: no cell is ever taken as a formula.

Following OWASP's CSV injection guidance, a text cell that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading single quote, which spreadsheets show
as text; every field is quoted and embedded quotes doubled. Only text columns are
touched: a number or a date cannot hold a formula, and `-3` must stay a number.

UTF-8 with a byte-order mark, because Excel reads a CSV without one in the system's
code page and would garble every Chinese name.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pipelines.lib.duckdb_connection import sql_string
from pipelines.lib.sql_names import quoted

BOM = "\ufeff".encode("utf-8")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The same characters as a regular-expression class, for the SQL below (a constant, no input).
_FORMULA_START = "^[=+\\-@\\t\\r]"
_TEXT_TYPES = ("VARCHAR",)


def neutralised_select(query: str, columns: Sequence[tuple[str, str]]) -> str:
    """Wrap `query` so that every text column (name, DuckDB type) is neutralised as above."""
    expressions = []
    for name, type_ in columns:
        column = quoted(name)
        if type_ in _TEXT_TYPES:
            expressions.append(
                f"CASE WHEN regexp_matches({column}, '{_FORMULA_START}') THEN '''' || {column} "
                f"ELSE {column} END AS {column}"
            )
        else:
            expressions.append(column)
    return f"SELECT {', '.join(expressions)} FROM ({query})"


def write_csv(
    connection: duckdb.DuckDBPyConnection,
    query: str,
    parameters: dict[str, object],
    columns: Sequence[tuple[str, str]],
    path: Path,
) -> None:
    """Write the rows of `query` to `path` as spreadsheet-safe CSV."""
    body = path.with_name(path.name + ".body")
    connection.execute(
        f"COPY ({neutralised_select(query, columns)}) TO {sql_string(str(body))} "
        "(FORMAT csv, HEADER true, FORCE_QUOTE *, DELIMITER ',', QUOTE '\"', ESCAPE '\"')",
        parameters,
    )
    # DuckDB's CSV writer has no byte-order mark option: prepend it.
    with path.open("wb") as out, body.open("rb") as source:
        out.write(BOM)
        shutil.copyfileobj(source, out)
    body.unlink()
