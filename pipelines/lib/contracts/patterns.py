"""Patterns checked at load time by the engine that will run them: polars' Rust regex.

Python's `re` accepts what Rust's regex refuses (`\\Z`, look-around, back-references),
so a pattern `re` likes could still fail ingestion with a cut-off `regex parse error:`
and no file or line. Compiling it here with polars turns that into a contract problem.
"""

from __future__ import annotations

ENGINE = "ingestion runs patterns in polars' Rust regex engine: no look-around, no back-references, \\z or $ for the end"


def pattern_problem(pattern: str) -> str | None:
    """Why the ingestion engine cannot run `pattern`, or None when it can."""
    import polars as pl  # here, not at import: loading contracts stays cheap for the CLI

    try:
        pl.select(pl.lit("", pl.String).str.contains(pattern))
    except pl.exceptions.PolarsError as error:
        # Quoted as written in the YAML, not repr(): a doubled backslash would mislead.
        return f"pattern '{pattern}': {_reason(str(error))} ({ENGINE})"
    return None


def _reason(message: str) -> str:
    """The engine's own reason and the part of the pattern it points at, on one line.

    Its message is a small drawing: the pattern, a line of carets under the culprit,
    then `error: <reason>`.
    """
    lines = message.splitlines()
    reason = next(
        (line.removeprefix("error: ") for line in lines if line.startswith("error: ")), ""
    )
    carets = next(
        (i for i, line in enumerate(lines) if line.strip() and set(line.strip()) == {"^"}), None
    )
    if not reason:
        return lines[0] if lines else "not a valid pattern"
    if carets is None or carets == 0:
        return reason
    drawn, marks = lines[carets - 1], lines[carets]
    start = len(marks) - len(marks.lstrip())
    culprit = drawn[start : start + len(marks.strip())]
    return f"{reason} at '{culprit}'" if culprit else reason
