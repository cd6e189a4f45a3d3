"""The ODCS v3 JSON Schema, as bundled with `open-data-contract-standard`, with readable messages.

Its objects forbid unknown properties, so a misspelt standard key is caught here; its
pydantic model alone would accept it.

Every process that loads the contracts validates all of them (the code location, each CLI
command, the quality reports' table contracts), and jsonschema takes some 20 ms a contract on
this schema (its `unevaluatedProperties` walk), 1.1 s for the sample city's 57. So the same
schema is checked first by jsonschema-rs, in Rust (a few ms for all 57), and only a document it
rejects, or cannot read (a YAML date is not JSON), is validated again by jsonschema, whose errors
the messages are made of. tests/lib/test_odcs_schema_fast_path.py holds the two to the
same verdict on every contract of the repository, and on some 950 mistakes planted in three.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import jsonschema_rs
from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError

from pipelines.lib.contracts.yaml_source import KeyPath, Problems


@cache
def _odcs_schema() -> dict[str, Any]:
    # Loaded on first use, not at import: importing the pipeline stays cheap.
    text = (
        importlib.resources.files("open_data_contract_standard")
        .joinpath("schema.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


@cache
def _odcs_validator() -> Draft201909Validator:
    return Draft201909Validator(_odcs_schema())


@cache
def _fast_validator() -> jsonschema_rs.Draft201909Validator:
    return jsonschema_rs.Draft201909Validator(_odcs_schema())


def is_valid_odcs(document: Any) -> bool:
    """Whether jsonschema-rs finds `document` valid; False when it cannot read it."""
    try:
        return bool(_fast_validator().is_valid(document))
    except ValueError:  # a value JSON has no type for (a YAML date): jsonschema says what
        return False


_UNEXPECTED_KEY_VALIDATORS = frozenset({"additionalProperties", "unevaluatedProperties"})
_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def validate_odcs_schema(document: Any, problems: Problems) -> list[KeyPath]:
    """Report every schema problem; returns the keys they are about (see Problems.settle)."""
    if is_valid_odcs(document):
        return []
    errors = _flatten(list(_odcs_validator().iter_errors(document)))
    about: list[KeyPath] = []
    for error in errors:
        path: KeyPath = tuple(error.absolute_path)
        if error.validator in _UNEXPECTED_KEY_VALIDATORS:
            if error.validator == "unevaluatedProperties" and _explained_elsewhere(error, errors):
                continue
            for key in _unexpected_keys(error):
                if error.validator == "unevaluatedProperties" and _has_error_below(
                    (*path, key), errors
                ):
                    continue  # a key whose own value is wrong, reported there
                problems.add(path, f"{key!r} is not allowed (misspelt key?)", at=(*path, key))
                about.append((*path, key))
        else:
            problems.add(path, _schema_message(error))
            about.extend(_keys_about(error, path))
    return about


def _keys_about(error: ValidationError, path: KeyPath) -> list[KeyPath]:
    # A missing required key is about that key, not its whole object: the object's other
    # keys can still be checked.
    if error.validator == "required" and isinstance(error.instance, Mapping):
        return [(*path, key) for key in error.validator_value if key not in error.instance]
    return [path]


def _flatten(errors: list[ValidationError]) -> list[ValidationError]:
    """Replace a oneOf/anyOf error by the errors of the branch the author meant.

    The branch meant is the one whose type the value has (e.g. `team` as an
    object rather than the deprecated list); when that is ambiguous the
    combined error is kept as it is.
    """
    flat: list[ValidationError] = []
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            branches: dict[Any, list[ValidationError]] = {}
            for sub in error.context:
                branches.setdefault(sub.relative_schema_path[0], []).append(sub)
            meant = [
                subs
                for subs in branches.values()
                if not any(s.validator == "type" and not s.relative_path for s in subs)
            ]
            if len(meant) == 1:
                flat.extend(_flatten(meant[0]))
                continue
        flat.append(error)
    return flat


def _explained_elsewhere(error: ValidationError, errors: list[ValidationError]) -> bool:
    # When a subschema fails, jsonschema counts the keys it covers as
    # "unevaluated" too (`name`, `businessName`... of a property with a broken
    # custom property); the real error is the other one, at or below this object.
    path = tuple(error.absolute_path)
    return any(
        other.validator != "unevaluatedProperties"
        and tuple(other.absolute_path)[: len(path)] == path
        for other in errors
    )


def _has_error_below(path: KeyPath, errors: list[ValidationError]) -> bool:
    return any(tuple(other.absolute_path)[: len(path)] == path for other in errors)


def _unexpected_keys(error: ValidationError) -> list[str]:
    # jsonschema names the keys only inside its message, quoted with repr().
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    return [key for key in instance if isinstance(key, str) and repr(key) in error.message]


def _schema_message(error: ValidationError) -> str:
    if error.validator == "type":
        actual = _JSON_TYPE_NAMES.get(type(error.instance), type(error.instance).__name__)
        return f"must be of type {error.validator_value!r}, not {actual}"
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."
