"""Mapping values and conditions as DuckDB SQL, for the generated dbt models.

The forms are the closed set of `pipelines/lib/contracts/mapping_values.py`; a contract never
holds SQL. Every text a contract gives (a constant, an enum value, a template's literal
pieces) goes through `literal`, the one place that quotes: a value with a quote, a comment
marker or Jinja braces stays a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
)

TEXT_TYPES = frozenset({"string"})


def literal(text: str) -> str:
    """A SQL string literal that dbt's Jinja leaves as it is."""
    quoted = "'" + text.replace("'", "''") + "'"
    # dbt renders every model as Jinja first: braces are printed by Jinja itself.
    if "{" in quoted or "}" in quoted:
        return "".join("{{ '{' }}" if c == "{" else "{{ '}' }}" if c == "}" else c for c in quoted)
    return quoted


class Record:
    """The columns a mapping names, as SQL: the staged record's, or (inside `each`) an item's."""

    def __init__(self, fields: Mapping[str, Field], prefix: str = "") -> None:
        self.fields = fields
        self.prefix = prefix  # e.g. "_item." for the properties of an array's items

    def column(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def text(self, name: str) -> str:
        """The column as text (numbers and times as DuckDB writes them)."""
        field = self.fields.get(name)
        if field is not None and field.logical_type in TEXT_TYPES:
            return self.column(name)
        return f"cast({self.column(name)} as varchar)"

    def value(self, value: MappedValue) -> str:
        if isinstance(value, ColumnValue):
            return self.column(value.column)
        if isinstance(value, ConstantValue):
            return literal(value.value)
        if isinstance(value, FirstOf):
            return f"coalesce({', '.join(self.value(v) for v in value.values)})"
        if isinstance(value, Prefix):
            return f"left({self.column(value.column)}, {value.length})"
        if isinstance(value, Template):
            return self.template(value)
        if isinstance(value, Sum):
            return " + ".join(f"coalesce({self.column(c)}, 0)" for c in value.columns)
        raise TypeError(f"not a mapped value: {value!r}")

    def template(self, template: Template) -> str:
        parts: list[str] = []
        for piece in template.pieces:
            if isinstance(piece, str):
                parts.append(literal(piece))
            elif piece.optional:
                parts.append(f"coalesce({self.text(piece.column)}, '')")
            else:
                parts.append(self.text(piece.column))
        return " || ".join(parts) if parts else "''"

    def condition(self, condition: Condition) -> str:
        column = self.column(condition.column)
        if condition.test == "present":
            return f"{column} is not null"
        if condition.test == "equals":
            return f"{column} = {literal(condition.values[0])}"
        return f"{column} in ({', '.join(literal(v) for v in condition.values)})"


def jinja_safe(text: str) -> str:
    """dbt renders descriptions as Jinja: a contract's words are shown as written, never run."""
    if any(opener in text for opener in ("{{", "{%", "{#")):
        return text.replace("{", "{{ '{' }}")  # each brace printed by Jinja itself
    return text


def macro(name: str, *arguments: str) -> str:
    """A call of one of the project's macros on SQL expressions (passed as Jinja strings)."""
    quoted = ", ".join('"' + a.replace("\\", "\\\\").replace('"', '\\"') + '"' for a in arguments)
    return f"{{{{ {name}({quoted}) }}}}"


def typed_select(
    columns: Iterable[tuple[str, str]], values: Mapping[str, str], source: str, where: str
) -> str:
    """A union branch: every column in order and typed, a column with no value a typed null
    (so branches line up for `union all`); a column passed on under its own name is not cast."""
    listed = ",\n".join(
        f"    {name}"
        if values.get(name) == name
        else f"    cast({values.get(name, 'null')} as {sql_type}) as {name}"
        for name, sql_type in columns
    )
    return f"select\n{listed}\nfrom {source}\nwhere {where}"
