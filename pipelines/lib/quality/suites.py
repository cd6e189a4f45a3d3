"""One Great Expectations suite per published table, derived from its warehouse contract.

The contract says what every value must be (required, keys, enumerations, patterns,
lengths, ranges); the manifest says which columns the department received and how
each was treated. A column delivered in clear gets the contract's content rules. A
masked or pseudonymised column gets rules that prove the treatment instead, and never
the contract's content rules: a suite that expected `M`/`F` in a pseudonymised `sex`
column would fail on every correct extract, and one that expected identity-number
patterns would pass only on a leak.

Pure: contract and manifest in, suite out. Every expectation carries its reason in
words (`notes`, shown in the data docs, and `meta["safecity"]`, read by the summary).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe

from pipelines.lib.contracts.tables import Column, TableContract
from pipelines.lib.quality.extract import PublishedTable

# A pseudonym is a keyed HMAC-SHA-256, written as its hexadecimal digest (issue 6).
PSEUDONYM_PATTERN = r"^[0-9a-f]{64}$"
# A masked value keeps some characters and stars out the rest, or is left empty.
MASK_PATTERN = r"\*"

META_KEY = "safecity"


def suite_for_table(
    contract: TableContract, published: PublishedTable | None = None
) -> gx.ExpectationSuite:
    """The suite for one table as published; without `published`, every contract column in clear."""
    return gx.ExpectationSuite(
        name=contract.name,
        expectations=list(expectations_for_table(contract, published)),
        meta={META_KEY: {"contract": contract.path.name, "contract_version": contract.version}},
    )


def expectations_for_table(
    contract: TableContract, published: PublishedTable | None = None
) -> Iterator[gxe.Expectation]:
    treatments = (
        {c.name: c.treatment for c in published.columns}
        if published is not None
        else {c.name: "clear" for c in contract.columns}
    )
    granted = [c for c in contract.columns if c.name in treatments]
    # A published column the contract does not know is left out of the expected set,
    # so the column check names it as unexpected.
    expected_columns = [c.name for c in granted]
    yield _expect(
        gxe.ExpectTableColumnsToMatchSet,
        "columns",
        f"the columns are exactly the {len(expected_columns)} granted from the {contract.name} contract",
        column_set=expected_columns,
        exact_match=True,
    )
    if published is not None and published.rows is not None:
        yield _expect(
            gxe.ExpectTableRowCountToEqual,
            "row_count",
            f"{published.rows:,} rows, as the manifest says",
            value=published.rows,
        )

    keys = [c for c in contract.columns if c.primary_key]
    if len(keys) > 1 and all(c.name in treatments and treatments[c.name] != "masked" for c in keys):
        names = [c.name for c in keys]
        yield _expect(
            gxe.ExpectCompoundColumnsToBeUnique,
            "primary_key",
            f"({', '.join(names)}) is the primary key: no two rows share it",
            column_list=names,
        )
    for column in granted:
        treatment = treatments[column.name]
        if treatment == "clear":
            yield from _content_rules(column, single_key=len(keys) == 1)
        elif treatment == "pseudonymised":
            yield from _pseudonym_rules(column, single_key=len(keys) == 1)
        else:
            yield _expect(
                gxe.ExpectColumnValuesToMatchRegex,
                "masked",
                f"{column.name} is masked: every value contains '*' (or is empty), none is in clear",
                column=column.name,
                regex=MASK_PATTERN,
            )


def _content_rules(column: Column, *, single_key: bool) -> Iterator[gxe.Expectation]:
    name = column.name
    if column.required:
        yield _required(name)
    if column.unique or (column.primary_key and single_key):
        what = "the primary key" if column.primary_key else "unique"
        yield _expect(
            gxe.ExpectColumnValuesToBeUnique,
            "unique",
            f"{name} is {what}: no duplicates",
            column=name,
        )
    if column.enum:
        values = [_typed(column, value) for value in column.enum]
        yield _expect(
            gxe.ExpectColumnValuesToBeInSet,
            "enum",
            f"{name} is one of: {', '.join(column.enum)}",
            column=name,
            value_set=values,
        )
    if column.pattern:
        yield _expect(
            gxe.ExpectColumnValuesToMatchRegex,
            "pattern",
            f"{name} matches the contract's pattern {column.pattern}",
            column=name,
            regex=column.pattern,
        )
    if column.min_length is not None or column.max_length is not None:
        yield _expect(
            gxe.ExpectColumnValueLengthsToBeBetween,
            "length",
            f"{name} is {_bounds(column.min_length, column.max_length)} characters long",
            column=name,
            min_value=column.min_length,
            max_value=column.max_length,
        )
    if column.minimum is not None or column.maximum is not None:
        yield _expect(
            gxe.ExpectColumnValuesToBeBetween,
            "range",
            f"{name} is {_bounds(_number(column.minimum), _number(column.maximum))}",
            column=name,
            min_value=_number(column.minimum),
            max_value=_number(column.maximum),
        )


def _pseudonym_rules(column: Column, *, single_key: bool) -> Iterator[gxe.Expectation]:
    # A keyed hash of a value is present exactly when the value is, and distinct values
    # keep distinct pseudonyms: required and unique still hold. Nothing else of the
    # clear value's rules can.
    name = column.name
    if column.required:
        yield _required(name)
    if column.unique or (column.primary_key and single_key):
        yield _expect(
            gxe.ExpectColumnValuesToBeUnique,
            "unique",
            f"{name} is unique: no duplicate pseudonyms",
            column=name,
        )
    yield _expect(
        gxe.ExpectColumnValuesToMatchRegex,
        "pseudonymised",
        f"{name} is pseudonymised: every value is a 64-character hexadecimal keyed hash, none is in clear",
        column=name,
        regex=PSEUDONYM_PATTERN,
    )


def _required(name: str) -> gxe.Expectation:
    return _expect(
        gxe.ExpectColumnValuesToNotBeNull,
        "required",
        f"{name} is required: no empty values",
        column=name,
    )


def _expect(
    kind: type[gxe.Expectation], rule: str, words: str, column: str | None = None, **kwargs: Any
) -> gxe.Expectation:
    if column is not None:
        kwargs["column"] = column
    return kind(
        notes=words, meta={META_KEY: {"rule": rule, "column": column, "words": words}}, **kwargs
    )


def _typed(column: Column, value: str) -> Any:
    if column.logical_type == "integer":
        return int(value)
    if column.logical_type == "number":
        return float(value)
    return value


def _number(value: float | None) -> float | int | None:
    return int(value) if value is not None and value.is_integer() else value


def _bounds(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    return f"at least {low}" if low is not None else f"at most {high}"
