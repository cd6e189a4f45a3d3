"""The values and conditions a feed's `mapping` may use: a closed set of forms over its properties.

    business_name                          a property (inside `each`: one of the items')
    {const: fire_station}                  the same text for every record
    {firstOf: [uscc, {prefix: [permit_no, 18]}]}   the first that is not null
    {prefix: [permit_no, 18]}              the first characters of a text property
    {template: '{hazard_level}: {description?}'}   text; `{a}` null: all null, `{b?}` null: ''
    {sum: [serious_injuries, minor_injuries]}      numbers added, a null counting as 0

    {column: result, equals: 不符合}  {column: result, in: [...]}  {column: x, present: true}

The dbt models are generated from these (never SQL written in a contract), so each form is
checked here against the properties it names: their existence, type, enum and standard.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.lib.contracts.model import (
    ColumnValue,
    Condition,
    ConstantValue,
    Field,
    FirstOf,
    MappedValue,
    Prefix,
    Sum,
    Template,
    TemplateSlot,
)
from pipelines.lib.contracts.shapes import is_number
from pipelines.lib.contracts.vocabulary import CONDITION_TESTS, NUMERIC_TYPES, TEMPORAL_TYPES
from pipelines.lib.contracts.yaml_source import KeyPath, Problems

TEXT_FORMS = frozenset({"const", "firstOf", "prefix", "template"})
COUNT_FORMS = frozenset({"sum"})
_SLOT = re.compile(r"\{([a-z][a-z0-9_]*)(\??)\}")


@dataclass(frozen=True)
class Columns:
    """The properties a mapping may name at one level: the record's, or an array's items'.

    `declared` holds every name the YAML declares, compiled or not: a property that did not
    compile is reported already, so naming it here is not a second problem.
    """

    fields: Mapping[str, Field]
    declared: Collection[str]
    array: str | None = None  # the array property whose items these are

    def where(self) -> str:
        return f"a property of {self.array}'s items" if self.array else "a property"

    def field(self, name: Any, at: KeyPath, problems: Problems) -> Field | None:
        """The field `name` refers to, or None (reported, unless reported already)."""
        if not isinstance(name, str) or name not in self.declared:
            hint = " (inside `each`, name the items' properties)" if self.array else ""
            problems.add(at, f"{name!r} is not {self.where()}{hint}")
            return None
        found = self.fields.get(name)
        if found is not None and found.logical_type == "array":
            problems.add(at, f"{name} is an array: map its items with `each: {name}`")
            return None
        return found

    def typed(
        self, name: Any, at: KeyPath, problems: Problems, types: Collection[str], need: str
    ) -> Field | None:
        found = self.field(name, at, problems)
        if found is not None and found.logical_type not in types:
            problems.add(at, f"{name} must be {need}, not {found.logical_type}")
            return None
        return found

    def standard(self, name: Any, at: KeyPath, problems: Problems, standard: str) -> Field | None:
        """A property declaring `standard`: the only ones ingestion checks (or hashes)."""
        found = self.field(name, at, problems)
        if found is not None and found.standard != standard:
            problems.add(at, f"{name} has no `standard: {standard}`")
            return None
        return found


def mapped_value(
    value: Any, at: KeyPath, columns: Columns, problems: Problems, forms: frozenset[str]
) -> MappedValue | None:
    """A property name or one of `forms` ({const}, {firstOf}, {prefix}, {template}, {sum})."""
    if isinstance(value, str):
        return ColumnValue(value) if columns.field(value, at, problems) else None
    shown = ", ".join(f"{{{form}: ...}}" for form in sorted(forms))
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in forms:
        problems.add(at, f"a value is a property name or one of {shown}, not {value!r}")
        return None
    form, argument = next(iter(value.items()))
    at = (*at, form)
    if form == "const":
        return _constant(argument, at, problems)
    if form == "firstOf":
        return _first_of(argument, at, columns, problems, forms)
    if form == "prefix":
        return _prefix(argument, at, columns, problems)
    if form == "template":
        return _template(argument, at, columns, problems)
    return _sum(argument, at, columns, problems)


def count_value(
    value: Any, at: KeyPath, columns: Columns, problems: Problems
) -> ColumnValue | Sum | None:
    """A number of people: an integer or number property, or {sum: [...]} of them."""
    if isinstance(value, str):
        found = columns.typed(value, at, problems, NUMERIC_TYPES, "a number")
        return ColumnValue(value) if found else None
    counted = mapped_value(value, at, columns, problems, COUNT_FORMS)
    return counted if isinstance(counted, Sum) else None


def temporal_column(
    value: Any, at: KeyPath, columns: Columns, problems: Problems, *, required: bool = False
) -> str | None:
    """A date or timestamp property (`required`: one that is never null)."""
    found = columns.typed(value, at, problems, TEMPORAL_TYPES, "a date or timestamp")
    if found is None:
        return None
    if required and not found.required:
        problems.add(at, f"{found.name} must be required: fct_event.occurred_at is")
        return None
    return found.name


def condition(value: Any, at: KeyPath, columns: Columns, problems: Problems) -> Condition | None:
    """{column, equals: v} | {column, in: [v, ...]} | {column, present: true}."""
    tests = [test for test in CONDITION_TESTS if isinstance(value, dict) and test in value]
    if not isinstance(value, dict) or len(tests) != 1 or set(value) != {"column", tests[0]}:
        problems.add(
            at,
            "a condition is {column, equals: v}, {column, in: [v, ...]} or {column, present: true}",
        )
        return None
    test, argument = tests[0], value[tests[0]]
    found = columns.field(value["column"], (*at, "column"), problems)
    if test == "present":
        if argument is not True:
            problems.add((*at, test), "present must be true (a value is there)")
            return None
        return Condition(column=found.name, test=test, values=()) if found else None
    values = argument if test == "in" else [argument]
    if test == "in" and (not isinstance(argument, list) or not argument):
        problems.add((*at, test), "in must list one or more values")
        return None
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        problems.add((*at, test), f"{test} compares with text or numbers, not {argument!r}")
        return None
    texts = tuple(str(v) for v in values)
    if found is None:
        return None
    outside = [v for v in texts if found.enum and v not in found.enum]
    if outside:
        # A value the column can never hold would make a condition that is never met.
        problems.add(
            (*at, test),
            f"{', '.join(repr(v) for v in outside)} is not a value of {found.name} "
            f"(its enum: {', '.join(found.enum)})",
        )
        return None
    return Condition(column=found.name, test=test, values=texts)


def _constant(argument: Any, at: KeyPath, problems: Problems) -> ConstantValue | None:
    if isinstance(argument, str) and argument:
        return ConstantValue(argument)
    if is_number(argument):
        return ConstantValue(str(argument))
    problems.add(at, f"const is a text or a number, not {argument!r}")
    return None


def _first_of(
    argument: Any, at: KeyPath, columns: Columns, problems: Problems, forms: frozenset[str]
) -> FirstOf | None:
    if not isinstance(argument, list) or len(argument) < 2:
        problems.add(at, "firstOf lists two or more values, the first not null is taken")
        return None
    values = [mapped_value(v, (*at, i), columns, problems, forms) for i, v in enumerate(argument)]
    kept = [v for v in values if v is not None]
    return FirstOf(tuple(kept)) if len(kept) == len(values) else None


def _prefix(argument: Any, at: KeyPath, columns: Columns, problems: Problems) -> Prefix | None:
    if (
        not isinstance(argument, list)
        or len(argument) != 2
        or not isinstance(argument[1], int)
        or isinstance(argument[1], bool)
        or argument[1] < 1
    ):
        problems.add(
            at, f"prefix is [property, length], the length a whole number from 1, not {argument!r}"
        )
        return None
    found = columns.typed(argument[0], (*at, 0), problems, ("string",), "text")
    return Prefix(column=found.name, length=argument[1]) if found else None


def _template(argument: Any, at: KeyPath, columns: Columns, problems: Problems) -> Template | None:
    if not isinstance(argument, str) or not _SLOT.search(argument):
        problems.add(at, "a template is text with {property} (or {property?}) slots")
        return None
    pieces: list[str | TemplateSlot] = []
    end = 0
    ok = True
    for match in _SLOT.finditer(argument):
        pieces.append(argument[end : match.start()])
        name, optional = match.group(1), match.group(2) == "?"
        ok = columns.field(name, at, problems) is not None and ok
        pieces.append(TemplateSlot(column=name, optional=optional))
        end = match.end()
    pieces.append(argument[end:])
    literal = "".join(piece for piece in pieces if isinstance(piece, str))
    if "{" in literal or "}" in literal:
        # Braces would be read by dbt's Jinja in the generated model.
        problems.add(at, "braces belong to slots only: {property} or {property?}")
        return None
    return Template(text=argument, pieces=tuple(p for p in pieces if p != "")) if ok else None


def _sum(argument: Any, at: KeyPath, columns: Columns, problems: Problems) -> Sum | None:
    if not isinstance(argument, list) or len(argument) < 2:
        problems.add(at, "sum lists two or more number properties")
        return None
    found = [
        columns.typed(name, (*at, i), problems, NUMERIC_TYPES, "a number")
        for i, name in enumerate(argument)
    ]
    return Sum(tuple(f.name for f in found if f)) if all(found) else None
