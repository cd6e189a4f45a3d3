"""Names that reach SQL text or a path, checked before they get there.

Values go into SQL as query parameters, never pasted. Names cannot: DuckDB takes no
parameter for a table, a column, a schema or an ATTACH alias, and a path is made of
names. So every name from configuration, a contract, the database or the command line
(a table, a column, a department, a feed, an entity kind) is checked here, against its
known values where there is a list of them, else against a strict pattern, before it is
pasted into SQL (quoted) or joined into a path: `x'; drop table y; --` and `../../etc`
are refused with a clear error instead of run or followed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Lowercase letters, digits and underscores, not starting with a digit: every name safecity
# gives (contracts' snake_case, dbt's models, the linkage tables, `_source_file`).
NAME = re.compile(r"[a-z_][a-z0-9_]*")


class UnsafeName(ValueError):
    """A name that would reach SQL or a path is not one safecity knows or accepts."""


def checked(name: str, what: str) -> str:
    """`name` itself, when it is a safe name (NAME); else UnsafeName saying what it was for."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise UnsafeName(
            f"{what} {name!r} is not a safe name: use lowercase letters, digits and underscores "
            f"(snake_case), not starting with a digit"
        )
    return name


def one_of(name: str, known: Iterable[str], what: str) -> str:
    """`name` itself, when it is one of `known`; else UnsafeName listing them."""
    allowed = tuple(known)
    if name not in allowed:
        raise UnsafeName(f"unknown {what} {name!r}: expected one of {', '.join(allowed)}")
    return checked(name, what)


def quoted(name: str, what: str = "SQL identifier") -> str:
    """A checked name as a quoted SQL identifier."""
    return f'"{checked(name, what)}"'


def qualified(*parts: str, what: str = "table") -> str:
    """`catalog.schema.table` (or fewer parts), each part checked and quoted."""
    return ".".join(quoted(part, what) for part in parts)
