"""Text normalisation shared by every contract: trimming and full-width to half-width.

Departments type codes and numbers with an input method that often produces
full-width forms (８８号, （分店）, ＪＹ…); the common standard is half-width ASCII.
"""

from __future__ import annotations

import polars as pl

# U+FF01..U+FF5E are the full-width forms of ASCII U+0021..U+007E; U+3000 is the ideographic space.
_FULL_WIDTH = [chr(code) for code in range(0xFF01, 0xFF5F)] + ["\u3000"]
_HALF_WIDTH = [chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)] + [" "]


def half_width_expr(column: pl.Expr) -> pl.Expr:
    return column.str.replace_many(_FULL_WIDTH, _HALF_WIDTH)


# Matches any character half_width_expr would change.
FULL_WIDTH_PATTERN = "[\uff01-\uff5e\u3000]"


def normalise_text_expr(column: pl.Expr, half_width: bool = True) -> pl.Expr:
    """Half-width (unless the caller knows there is nothing full-width), trimmed; empty is missing."""
    text = (half_width_expr(column) if half_width else column).str.strip_chars()
    # replace, not when/then: 12 ms instead of 18 for a column of 955,000 values.
    return text.replace("", None)


_TO_HALF_WIDTH = str.maketrans(dict(zip(_FULL_WIDTH, _HALF_WIDTH, strict=True)))


def normalise_text(text: str) -> str:
    """What normalise_text_expr makes of one value (empty stays empty here)."""
    return text.translate(_TO_HALF_WIDTH).strip()
