"""The property-level `derivedFrom` custom property: a date or timestamp built from several columns.

    derivedFrom: {date: 报警日期, time: 报警时刻}          # timestamp; read with sourceFormats
    derivedFrom: {year: 年, month: 月, day: 日, hour: 时}   # date (year, month, day) or timestamp

Each part names the department's column (or JSON key) holding it.
"""

from __future__ import annotations

from typing import Any

from pipelines.lib.contracts.model import Derivation
from pipelines.lib.contracts.vocabulary import (
    ALLOWED_CALENDAR_PARTS,
    DATE_TIME_PARTS,
    REQUIRED_CALENDAR_PARTS,
    TEMPORAL_TYPES,
)
from pipelines.lib.contracts.yaml_source import KeyPath, Problems

FORMS = "{date, time} or {year, month, day[, hour[, minute[, second]]]}"


def derivation(value: Any, at: KeyPath, logical_type: str, problems: Problems) -> Derivation | None:
    if logical_type not in TEMPORAL_TYPES:
        problems.add(at, "derivedFrom builds dates and timestamps only")
        return None
    if not isinstance(value, dict) or not value:
        problems.add(at, f"derivedFrom maps each part to its column: {FORMS}")
        return None
    for part, column in value.items():
        if not isinstance(column, str) or not column:
            problems.add((*at, part), f"{part} must name the delivered column holding it")
            return None
    if "date" in value or "time" in value:
        return _date_time(value, at, logical_type, problems)
    return _calendar(value, at, logical_type, problems)


def _date_time(
    value: dict[str, str], at: KeyPath, logical_type: str, problems: Problems
) -> Derivation | None:
    if logical_type != "timestamp" or set(value) != set(DATE_TIME_PARTS):
        problems.add(
            at, "a date and a time column make a timestamp: give both date and time, nothing else"
        )
        return None
    if value["date"] == value["time"]:
        problems.add(at, "date and time name the same column")
        return None
    return Derivation(parts=tuple((part, value[part]) for part in DATE_TIME_PARTS))


def _calendar(
    value: dict[str, str], at: KeyPath, logical_type: str, problems: Problems
) -> Derivation | None:
    allowed, required = ALLOWED_CALENDAR_PARTS[logical_type], REQUIRED_CALENDAR_PARTS[logical_type]
    optional = allowed[len(required) :]
    shape = ", ".join(required) + (f" (then {', '.join(optional)}, optional)" if optional else "")
    unknown = sorted(set(value) - set(allowed))
    missing = [part for part in required if part not in value]
    parts = [part for part in allowed if part in value]
    if unknown:
        problems.add(
            at, f"a {logical_type} from calendar parts takes {shape}, not {', '.join(unknown)}"
        )
    elif missing:
        problems.add(
            at, f"a {logical_type} from calendar parts needs {shape}: {', '.join(missing)} missing"
        )
    elif parts != list(allowed[: len(parts)]):
        skipped = allowed[len(parts) - 1]
        problems.add(at, f"{parts[-1]} without {skipped}: parts come in the order {shape}")
    elif len(set(value.values())) != len(value):
        problems.add(at, "two parts name the same column")
    else:
        return Derivation(parts=tuple((part, value[part]) for part in parts))
    return None
