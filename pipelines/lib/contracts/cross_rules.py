"""The contract-level `rules` custom property: checks across two columns of one row.

Declared, never SQL: each rule names two properties and one check, e.g.

    - name: arrival_not_before_dispatch      # the quarantine reason
      column: arrived_at
      notBefore: dispatched_at

A rule is broken only when both values are there (a missing value is `required`'s
business), except `requiredWhen`, which is broken when `column` is empty and the other
is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.lib.contracts.model import CrossColumnRule
from pipelines.lib.contracts.shapes import CustomProperties, entries, unknown_keys
from pipelines.lib.contracts.vocabulary import (
    BUILT_IN_RULES,
    NUMERIC_CHECKS,
    NUMERIC_TYPES,
    RULE_CHECKS,
    SNAKE_CASE,
    TEMPORAL_CHECKS,
)
from pipelines.lib.contracts.yaml_source import KeyPath, Problems

RULE_KEYS = frozenset({"name", "column", "description", *RULE_CHECKS})


def cross_column_rules(
    custom: CustomProperties, types: Mapping[str, str | None], problems: Problems
) -> tuple[CrossColumnRule, ...]:
    if "rules" not in custom:
        return ()
    value, at = custom.value("rules"), custom.at("rules")
    if not isinstance(value, list) or not value:
        problems.add(at, "rules must be a list of {name, column, <check>: other column}")
        return ()
    rules: list[CrossColumnRule] = []
    for index, entry in entries(value):
        rule = _rule(entry, (*at, index), types, problems)
        if rule is not None and rule.name in {r.name for r in rules}:
            problems.add((*at, index, "name"), f"rule name {rule.name!r} is used twice")
        elif rule is not None:
            rules.append(rule)
    if len(rules) != len(value):  # a broken entry, reported: none of the rules is half-applied
        return ()
    return tuple(rules)


def _rule(
    entry: dict[str, Any], at: KeyPath, types: Mapping[str, str | None], problems: Problems
) -> CrossColumnRule | None:
    unknown_keys(entry, RULE_KEYS, at, "a rule", problems)
    name, column = entry.get("name"), entry.get("column")
    checks = sorted(set(entry) & RULE_CHECKS)
    ok = _name_ok(name, at, problems)
    if not isinstance(column, str) or column not in types:
        problems.add(
            (*at, "column") if "column" in entry else at,
            f"column must name a property, not {column!r}",
        )
        ok = False
    if len(checks) != 1:
        problems.add(at, f"a rule has exactly one check of {sorted(RULE_CHECKS)}, not {checks}")
        return None
    check = checks[0]
    other = entry[check]
    if not isinstance(other, str) or other not in types or other == column:
        problems.add((*at, check), f"{check} must name another property, not {other!r}")
        return None
    if not ok or not isinstance(name, str) or not isinstance(column, str):
        return None
    if not _types_fit(check, (types[column], types[other]), (*at, check), problems):
        return None
    return CrossColumnRule(
        name=name, column=column, check=check, other=other, line=problems.line_of(at)
    )


def _name_ok(name: Any, at: KeyPath, problems: Problems) -> bool:
    if not isinstance(name, str) or not SNAKE_CASE.fullmatch(name):
        problems.add(
            (*at, "name") if name is not None else at,
            f"a rule needs a snake_case name (its quarantine reason), not {name!r}",
        )
        return False
    if name in BUILT_IN_RULES:
        problems.add(
            (*at, "name"), f"{name!r} is a built-in quarantine reason: choose another name"
        )
        return False
    return True


def _types_fit(
    check: str, kinds: tuple[str | None, str | None], at: KeyPath, problems: Problems
) -> bool:
    if check in TEMPORAL_CHECKS:
        fits = kinds[0] in ("date", "timestamp") and kinds[0] == kinds[1]
        need = "two dates or two timestamps"
        hint = f" (numbers use {', '.join(NUMERIC_CHECKS)})"
    elif check in NUMERIC_CHECKS:
        fits = kinds[0] in NUMERIC_TYPES and kinds[1] in NUMERIC_TYPES
        need = "two numbers (integer or number)"
        hint = f" (dates and times use {', '.join(TEMPORAL_CHECKS)})"
    else:
        fits = "array" not in kinds
        need = "two properties that are not arrays"
        hint = ""
    if not fits:
        problems.add(at, f"{check} compares {need}, not {kinds[0]} and {kinds[1]}{hint}")
    return fits
