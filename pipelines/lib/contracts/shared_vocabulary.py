"""`contracts/vocabulary.yaml`: the event types, object kinds, organisation types and department
names mappings use.

Shared by every feed contract's `mapping` and extended by configuration: a city onboarding
a feed with a new kind of event adds the type there, with its national category, instead
of editing SQL. Validated like the contracts (all problems at once, `file:line: key: message`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pipelines.lib.contracts.css_colours import is_css_colour
from pipelines.lib.contracts.shapes import unknown_keys
from pipelines.lib.contracts.vocabulary import (
    NATIONAL_EVENT_CATEGORIES,
    OBJECT_CODE_NORMALISERS,
    SNAKE_CASE,
)
from pipelines.lib.contracts.yaml_source import (
    ContractError,
    KeyPath,
    Problems,
    display_path,
    parse_yaml,
)

VOCABULARY_FILE = "vocabulary.yaml"

Entry = TypeVar("Entry")

_TOP_KEYS = frozenset({"version", "eventTypes", "objectKinds", "organisationTypes", "departments"})
_EVENT_TYPE_KEYS = frozenset({"category", "proximity", "rectifiable", "mapColour", "keywords"})
_OBJECT_KIND_KEYS = frozenset({"codePrefix", "code"})
_ORGANISATION_TYPE_KEYS = frozenset({"uniqueName"})
_DEPARTMENT_KEYS = frozenset({"name"})


@dataclass(frozen=True)
class EventType:
    name: str  # fct_event.event_type
    category: str  # one of NATIONAL_EVENT_CATEGORIES
    proximity: bool  # puts the organisations near it at risk
    rectifiable: bool  # a finding with a deadline to put right: its mapping gives `due`
    map_colour: str | None = None  # drawn on the one map's incidents layer in it; None: not drawn
    # Words free text uses for it: a mapping that classifies text ({classify: property})
    # gives a record the type whose keywords it contains most (longer keywords weigh more).
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectKind:
    name: str  # dim_object.kind
    code_prefix: str  # one capital letter: the object key is `<prefix>:<code>`
    code_normaliser: str | None  # `plate`, or None when the code is kept as delivered


@dataclass(frozen=True)
class OrganisationType:
    name: str  # dim_organisation.organisation_type
    # No two organisations of the type in the city share a normalised name (a public body
    # named by its authority, like a fire and rescue station): its name alone identifies it.
    unique_name: bool


@dataclass(frozen=True)
class SharedVocabulary:
    path: Path
    display: str  # the file as messages name it, e.g. contracts/vocabulary.yaml
    version: str
    event_types: Mapping[str, EventType]
    object_kinds: Mapping[str, ObjectKind]
    # Optional: when listed, a mapping's constant organisation type must be one of them.
    organisation_types: Mapping[str, OrganisationType]
    department_names: Mapping[str, str]  # department -> display name

    def department_name(self, department: str) -> str:
        """The display name, or the identifier itself for a department not listed."""
        return self.department_names.get(department, department)


def vocabulary_path(contracts_dir: Path) -> Path:
    return contracts_dir / VOCABULARY_FILE


def feed_departments(contracts_dir: Path) -> list[str]:
    """The departments that exist: the folders of `contracts/feeds/`."""
    feeds = contracts_dir / "feeds"
    return sorted(p.name for p in feeds.iterdir() if p.is_dir()) if feeds.is_dir() else []


def load_shared_vocabulary(
    path: Path, departments: Collection[str], root: Path | None = None
) -> SharedVocabulary:
    """Load and validate the vocabulary; a ContractError lists every problem with its line.

    `departments` are those that exist (the folders of contracts/feeds/): a display name
    for any other is a misspelling. `root` only shortens the file name in messages
    (default: the folder holding contracts/).
    """
    problems = Problems(display_path(path, root if root is not None else path.parent.parent))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ContractError([f"{problems.display}:1: (file): cannot read: {error}"]) from error
    document = parse_yaml(text, problems)
    if problems.messages:
        raise ContractError(problems.sorted_messages())
    vocabulary = _compile(path, document, sorted(departments), problems)
    if problems.messages or vocabulary is None:
        raise ContractError(problems.sorted_messages())
    return vocabulary


def _compile(
    path: Path, doc: Any, departments: list[str], problems: Problems
) -> SharedVocabulary | None:
    if not isinstance(doc, dict):
        problems.add((), "the vocabulary is a mapping with version, eventTypes, objectKinds")
        return None
    unknown_keys(doc, _TOP_KEYS, (), "the vocabulary", problems)
    version = doc.get("version")
    if not isinstance(version, str) or not version.strip():
        # `version: 1.0` would be read as a number and `1.10` would become 1.1.
        problems.add(("version",), "version is required, as a string (quote a number)")
    event_types = _named_entries(doc, "eventTypes", _event_type, problems, required=True)
    object_kinds = _named_entries(doc, "objectKinds", _object_kind, problems, required=True)
    _prefixes_unique(object_kinds, problems)
    organisation_types = _named_entries(
        doc, "organisationTypes", _organisation_type, problems, required=False
    )
    names = _named_entries(doc, "departments", _department_name, problems, required=False)
    for department in names:
        if department not in departments:
            problems.add(
                ("departments", department),
                f"unknown department {department!r}: departments are the folders of "
                f"contracts/feeds/ ({', '.join(departments) or 'none'})",
            )
    if problems.messages:
        return None
    return SharedVocabulary(
        path=path,
        display=problems.display,
        version=str(version),
        event_types=event_types,
        object_kinds=object_kinds,
        organisation_types=organisation_types,
        department_names=names,
    )


def _named_entries(
    doc: dict[str, Any],
    key: str,
    compile_entry: Callable[[str, Any, KeyPath, Problems], Entry | None],
    problems: Problems,
    *,
    required: bool,
) -> dict[str, Entry]:
    """A mapping of snake_case name -> entry, each compiled by `compile_entry`."""
    value = doc.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or not value:
        problems.add((key,) if key in doc else (), f"{key} is required: a mapping of name -> entry")
        return {}
    found: dict[str, Entry] = {}
    for name, entry in value.items():
        at: KeyPath = (key, name)
        if not isinstance(name, str) or not SNAKE_CASE.fullmatch(name):
            # Names become SQL values, folder and column names: nothing but snake_case.
            problems.add(at, f"{name!r} must be snake_case")
            continue
        compiled = compile_entry(name, entry, at, problems)
        if compiled is not None:
            found[name] = compiled
    return found


def _event_type(name: str, entry: Any, at: KeyPath, problems: Problems) -> EventType | None:
    if not isinstance(entry, dict):
        problems.add(at, "an event type is a mapping with its category")
        return None
    unknown_keys(entry, _EVENT_TYPE_KEYS, at, "an event type", problems)
    category = entry.get("category")
    if category not in NATIONAL_EVENT_CATEGORIES:
        problems.add(
            (*at, "category"),
            f"category must be a national category of emergency events "
            f"({', '.join(NATIONAL_EVENT_CATEGORIES)}), not {category!r}",
        )
    flags = {flag: entry.get(flag, False) for flag in ("proximity", "rectifiable")}
    for flag, value in flags.items():
        if not isinstance(value, bool):
            problems.add((*at, flag), f"{flag} must be true or false")
    map_colour = entry.get("mapColour")
    colour_ok = map_colour is None or is_css_colour(map_colour)
    if not colour_ok:
        problems.add(
            (*at, "mapColour"),
            f"mapColour must be a CSS colour name (e.g. darkred) or a hex code (#rgb or "
            f"#rrggbb), not {map_colour!r}; leave it out to keep the type off the map",
        )
    keywords = entry.get("keywords", [])
    keywords_ok = (
        isinstance(keywords, list)
        and all(isinstance(k, str) and k.strip() for k in keywords)
        and len(set(keywords)) == len(keywords)
    )
    if not keywords_ok:
        problems.add(
            (*at, "keywords"),
            "keywords is a list of distinct, non-empty words free text uses for the type",
        )
    if (
        category not in NATIONAL_EVENT_CATEGORIES
        or not all(isinstance(v, bool) for v in flags.values())
        or not colour_ok
        or not keywords_ok
    ):
        return None
    return EventType(
        name=name,
        category=str(category),
        proximity=flags["proximity"],
        rectifiable=flags["rectifiable"],
        map_colour=map_colour,
        keywords=tuple(keywords),
    )


def _object_kind(name: str, entry: Any, at: KeyPath, problems: Problems) -> ObjectKind | None:
    if not isinstance(entry, dict):
        problems.add(at, "an object kind is a mapping with its codePrefix")
        return None
    unknown_keys(entry, _OBJECT_KIND_KEYS, at, "an object kind", problems)
    prefix = entry.get("codePrefix")
    ok = True
    if not (isinstance(prefix, str) and len(prefix) == 1 and "A" <= prefix <= "Z"):
        problems.add((*at, "codePrefix"), f"codePrefix must be one capital letter, not {prefix!r}")
        ok = False
    normaliser = entry.get("code")
    if normaliser is not None and normaliser not in OBJECT_CODE_NORMALISERS:
        problems.add(
            (*at, "code"),
            f"code must be one of {', '.join(sorted(OBJECT_CODE_NORMALISERS))} "
            f"(or left out to keep codes as delivered), not {normaliser!r}",
        )
        ok = False
    if not ok:
        return None
    return ObjectKind(name=name, code_prefix=str(prefix), code_normaliser=normaliser)


def _organisation_type(
    name: str, entry: Any, at: KeyPath, problems: Problems
) -> OrganisationType | None:
    if not isinstance(entry, dict):
        problems.add(at, "an organisation type is a mapping: {uniqueName: true} or {}")
        return None
    unknown_keys(entry, _ORGANISATION_TYPE_KEYS, at, "an organisation type", problems)
    unique_name = entry.get("uniqueName", False)
    if not isinstance(unique_name, bool):
        problems.add((*at, "uniqueName"), "uniqueName must be true or false")
        return None
    return OrganisationType(name=name, unique_name=unique_name)


def _department_name(name: str, entry: Any, at: KeyPath, problems: Problems) -> str | None:
    if not isinstance(entry, dict):
        problems.add(at, "a department is a mapping with its display name: {name: ...}")
        return None
    unknown_keys(entry, _DEPARTMENT_KEYS, at, "a department", problems)
    display = entry.get("name")
    if not isinstance(display, str) or not display.strip():
        problems.add(
            (*at, "name") if "name" in entry else at, "name (the display name) is required"
        )
        return None
    return display.strip()


def _prefixes_unique(kinds: Mapping[str, ObjectKind], problems: Problems) -> None:
    # Two kinds sharing a prefix would merge their objects: V:123 would be one key for both.
    first: dict[str, str] = {}
    for kind in kinds.values():
        if kind.code_prefix in first:
            problems.add(
                ("objectKinds", kind.name, "codePrefix"),
                f"codePrefix {kind.code_prefix!r} is {first[kind.code_prefix]}'s already: "
                "object keys would collide",
            )
        else:
            first[kind.code_prefix] = kind.name
