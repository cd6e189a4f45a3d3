"""One row-level check of a contract, as a polars expression over the batch."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Rule:
    """One check: rows where `broken` is true break `rule` in `column`."""

    rule: str
    column: str
    broken: pl.Expr
