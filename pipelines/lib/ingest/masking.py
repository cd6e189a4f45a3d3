"""Masking of delivered values shown in Dagster's metadata: what the event log keeps must hold
no personal data, the same promise the extracts keep.

A quarantined row keeps its `original` values as delivered (a JSON object by delivered column
name, nested objects and arrays as the department sent them, or the raw line). Shown as a
sample failure, each value stays only where the contract declares its column (or the item
property of an array, at its dotted source path) neither personal nor sensitive; every other
value, undeclared ones included, becomes ***. A raw line cannot be split into columns: it is
never shown.
"""

from __future__ import annotations

import json
from typing import Any

from pipelines.lib.contracts import FeedContract
from pipelines.lib.contracts.model import Field

MASK = "***"
MASKED = frozenset({"personal", "sensitive"})  # classifications never shown in metadata


def masked_original(contract: FeedContract, original: str | None) -> str | None:
    """`original` with every value not declared public or internal as ***."""
    if original is None:
        return None
    try:
        row = json.loads(original)
    except ValueError:
        row = None
    if not isinstance(row, dict):
        return f"{MASK} (a raw line of {len(original):,} characters, not shown)"
    masked = {name: _top_level(contract, name, value) for name, value in row.items()}
    return json.dumps(masked, ensure_ascii=False)


def _top_level(contract: FeedContract, name: str, value: Any) -> Any:
    declared = [f for f in contract.fields if name in f.source_columns]
    if not declared or any(f.classification in MASKED for f in declared):
        return _mask(value)
    arrays = [f for f in declared if f.items]
    if not arrays:
        return value if _is_scalar(value) else _mask(value)
    items = value
    if isinstance(value, str):  # JSON lines deliver nested arrays as text in `original`
        try:
            items = json.loads(value)
        except ValueError:
            return _mask(value)
    if not isinstance(items, list):
        return _mask(value)
    shown = {
        path: item
        for array in arrays
        for item in array.items
        for path in item.source_columns
        if item.classification not in MASKED
    }
    return [_item(element, shown, "") for element in items]


def _item(value: Any, shown: dict[str, Field], prefix: str) -> Any:
    """An array's item, its values kept only at the dotted paths of declared, shown properties."""
    if isinstance(value, dict):
        return {key: _item(inner, shown, f"{prefix}{key}.") for key, inner in value.items()}
    path = prefix.removesuffix(".")
    return value if path in shown and _is_scalar(value) else _mask(value)


def _mask(value: Any) -> Any:
    return None if value is None else MASK


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))
