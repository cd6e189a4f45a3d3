"""A pattern for a code-like column, generalised from the values it holds.

Values are cut into runs (digits, capitals, small letters, any other single character);
the sequence of run kinds is the value's shape (`JQ2026100100001` is capitals then digits).
One shape gives one pattern with each run's length range (`^JQ\\d{13}$`); a few shapes give
an alternation; values of one length but many shapes (a masked identity number ending in
a digit or X, a credit code mixing digits and letters) are generalised position by
position (`^\\d{6}\\*{8}\\d{3}[\\dX]$`). Digits never become literals (a year inside a code
changes); letters do when enough distinct values share them (`JQ`, `1433A`).

The pattern is formed on a sample of distinct values and then checked on every value
of the column (polars' regex engine, as ingestion runs it); values it misses are added
and the pattern formed again, so it matches every value of the file or is not declared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

SAMPLE_VALUES = 20_000  # distinct values a pattern is formed on
MAX_LENGTH = 40  # longer values are text, not codes
MAX_SHAPES = 4  # more shapes than this is no code
LITERAL_EVIDENCE = 5  # distinct values needed before a shared letter is taken literally
SPECIFIC_EVIDENCE = 20  # distinct values needed before a position is digits or just X (or Y)
TOKEN = r"\d+|[A-Z]+|[a-z]+|[^0-9A-Za-z]"
_META = set(".^$*+?()[]{}|\\")
_KINDS = {"9": r"\d", "A": "[A-Z]", "a": "[a-z]"}


@dataclass
class PatternGuess:
    pattern: str
    notes: list[str] = field(default_factory=list)


def is_code_like(values: pl.Series) -> bool:
    """ASCII without spaces, mostly holding digits, short: a code rather than text."""
    if values.len() == 0:
        return False
    checks = pl.DataFrame({"v": values}).select(
        pl.col("v").str.contains(r"^[\x21-\x7e]+$").all().alias("ascii"),
        pl.col("v").str.contains(r"\d").mean().alias("digits"),
        pl.col("v").str.len_chars().max().alias("longest"),
    )
    ascii_, digits, longest = checks.row(0)
    return bool(ascii_) and digits >= 0.5 and longest <= MAX_LENGTH


def infer_pattern(values: pl.Series) -> PatternGuess | None:
    """A pattern every value matches, or None when the values have no common shape."""
    distinct = values.unique().sort()
    basis = (
        distinct.sample(SAMPLE_VALUES, seed=0).sort()
        if distinct.len() > SAMPLE_VALUES
        else distinct
    )
    for _ in range(3):
        guess = _generalise(basis, values.len())
        if guess is None:
            return None
        missed = distinct.filter(~distinct.str.contains(guess.pattern))
        if missed.len() == 0:
            return guess
        basis = pl.concat([basis, missed.head(SAMPLE_VALUES)]).unique().sort()
    return None


def _generalise(distinct: pl.Series, total: int) -> PatternGuess | None:
    frame = pl.DataFrame({"value": distinct}).with_columns(
        pl.col("value").str.extract_all(TOKEN).alias("tokens")
    )
    frame = frame.with_columns(
        pl.col("tokens")
        .list.eval(
            pl.when(pl.element().str.contains(r"^\d"))
            .then(pl.lit("9"))
            .when(pl.element().str.contains(r"^[A-Z]"))
            .then(pl.lit("A"))
            .when(pl.element().str.contains(r"^[a-z]"))
            .then(pl.lit("a"))
            .otherwise(pl.lit("."))
        )
        .list.join("|")
        .alias("shape")
    )
    shapes = frame.group_by("shape").len().sort("len", "shape", descending=[True, False])
    lengths = distinct.str.len_chars().unique()
    if shapes.height > 1 and lengths.len() == 1:
        pattern = _by_position(distinct)
        return PatternGuess(f"^{pattern}$") if pattern else None
    if shapes.height > MAX_SHAPES:
        return None
    alternatives = [_by_runs(frame.filter(pl.col("shape") == shape)) for shape in shapes["shape"]]
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    notes = []
    if len(alternatives) > 1:
        counts = dict(zip(shapes["shape"], shapes["len"], strict=True))
        rare = [a for a, s in zip(alternatives, shapes["shape"], strict=True) if counts[s] == 1]
        if rare and total >= 100:
            notes.append(
                f"{len(alternatives)} shapes of value; {', '.join(repr(r) for r in rare)} "
                "fit(s) a single value: if it is an error, drop it from the pattern # TODO: review"
            )
    return PatternGuess(f"^{body}$", notes)


def _by_runs(group: pl.DataFrame) -> str:
    """One shape: each run as its kind and length range, or literally when shared."""
    runs = (
        group.select(pl.col("tokens").alias("token"))
        .with_row_index("value")
        .explode("token")
        .with_columns(pl.int_range(pl.len()).over("value").alias("run"))
        .group_by("run")
        .agg(
            pl.col("token").str.len_chars().min().alias("shortest"),
            pl.col("token").str.len_chars().max().alias("longest"),
            pl.col("token").unique().sort().alias("spellings"),
        )
        .sort("run")
    )
    evidence = group.height >= LITERAL_EVIDENCE
    parts = []
    for shortest, longest, spellings in runs.select("shortest", "longest", "spellings").iter_rows():
        first = spellings[0]
        if not first[0].isalnum():
            parts.append(_escape(first))
        elif first[0].isdigit():
            parts.append(r"\d" + _count(shortest, longest))
        elif evidence and len(spellings) == 1:
            parts.append(_escape(first))
        elif evidence and len(spellings) <= 3 and len(first) > 1:
            parts.append("(?:" + "|".join(_escape(s) for s in spellings) + ")")
        else:
            parts.append(_KINDS["A" if first[0].isupper() else "a"] + _count(shortest, longest))
    return "".join(parts)


def _by_position(distinct: pl.Series) -> str | None:
    """Values of one length: each position's character class, equal neighbours merged."""
    length = int(distinct.str.len_chars().max())  # type: ignore[arg-type]
    chars = pl.DataFrame({"v": distinct}).select(
        [pl.col("v").str.slice(i, 1).unique().sort().implode().alias(str(i)) for i in range(length)]
    )
    evidence = distinct.len()
    classes = []
    for i in range(length):
        seen: list[str] = chars[str(i)][0].to_list()
        cls = _position_class(seen, evidence)
        if cls is None:
            return None
        classes.append(cls)
    parts, i = [], 0
    while i < len(classes):
        j = i
        while j < len(classes) and classes[j] == classes[i]:
            j += 1
        parts.append(classes[i] + _count(j - i, j - i))
        i = j
    return "".join(parts)


def _position_class(seen: list[str], evidence: int) -> str | None:
    """A position's characters as a class; `evidence`: how many distinct values show them."""
    digits = [c for c in seen if c.isdigit()]
    others = [c for c in seen if not c.isdigit()]
    if not others:
        return r"\d"
    if len(seen) == 1 and (evidence >= LITERAL_EVIDENCE or not seen[0].isalnum()):
        return _escape(seen[0])
    if all(c.isupper() for c in others):
        if digits and len(others) <= 2 and evidence >= SPECIFIC_EVIDENCE:
            return r"[\d" + "".join(others) + "]"
        return "[0-9A-Z]" if digits else "[A-Z]"
    if all(c.isalpha() and c.isascii() for c in others):
        return "[0-9A-Za-z]" if digits else "[A-Za-z]"
    return None


def _escape(text: str) -> str:
    """Only what the regex engine needs escaped: `-` or `/` escaped would read oddly."""
    return "".join("\\" + c if c in _META else c for c in text)


def _count(shortest: int, longest: int) -> str:
    if shortest == longest:
        return "" if shortest == 1 else f"{{{shortest}}}"
    return f"{{{shortest},{longest}}}"
