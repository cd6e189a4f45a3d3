"""Reading a contract that may not have passed the ODCS schema, and its custom properties.

House rules run even when the schema found problems, so that every problem of a file
is reported in one round. They read the document through these helpers, which skip
whatever has the wrong shape (the schema has reported it) instead of failing on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipelines.lib.contracts.yaml_source import KeyPath, Problems


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def entries(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """The mappings of a list, with their index (anything else is skipped)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def unknown_keys(
    value: Mapping[str, Any], allowed: frozenset[str], at: KeyPath, what: str, problems: Problems
) -> None:
    """A misspelt key inside a custom property's object is an error, not a silent default."""
    for key in sorted(set(value) - allowed):
        problems.add(at, f"{key!r} is not allowed in {what} (misspelt key?)", at=(*at, key))


@dataclass
class CustomProperties:
    """One object's customProperties by name, each with the key path of its value.

    Unknown names are errors: a misspelt `sourceAlias` would otherwise be ignored and
    its rule silently not applied. An entry the schema rejected (no `value`) still
    counts as given, so it is not reported a second time as missing.
    """

    values: dict[str, tuple[Any, KeyPath]] = field(default_factory=dict)
    given: set[str] = field(default_factory=set)

    @classmethod
    def read(
        cls, obj: Mapping[str, Any], path: KeyPath, known: frozenset[str], problems: Problems
    ) -> CustomProperties:
        found = cls()
        for index, entry in entries(obj.get("customProperties")):
            name = entry.get("property")
            entry_path: KeyPath = (*path, "customProperties", index)
            if not isinstance(name, str):
                continue
            if name not in known:
                problems.add(
                    entry_path,
                    f"unknown custom property {name!r} (known: {', '.join(sorted(known))})",
                )
            elif name in found.given:
                problems.add(entry_path, f"custom property {name!r} given twice")
            else:
                found.given.add(name)
                if "value" in entry:
                    found.values[name] = (entry["value"], (*entry_path, "value"))
        return found

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def value(self, name: str) -> Any:
        return self.values[name][0] if name in self.values else None

    def at(self, name: str) -> KeyPath:
        return self.values[name][1]

    def require(self, name: str, path: KeyPath, problems: Problems, why: str = "") -> bool:
        if name in self.given:
            return name in self.values
        problems.add(path, f"custom property {name!r} is required{why}")
        return False
