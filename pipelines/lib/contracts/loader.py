"""Load ODCS feed contracts: parse with line numbers, validate, apply house rules, compile.

Every problem is reported as `file:line: key.path: message`, all of them at
once, so whoever edits a contract fixes it in one round rather than one error
per run. Three layers, in order:

1. YAML, keeping the line of every key (`yaml_source`);
2. the ODCS JSON Schema bundled with `open-data-contract-standard`, which
   catches misspelt standard keys (`odcs_schema`);
3. safecity's house rules (owner department, SLA, classification, the custom
   properties ingestion needs), then compilation into `model.FeedContract`.

House rules run even when the schema found problems: they read the document
defensively (`shapes`) and stay quiet about keys the schema reported already.
One bad contract is its own feed's problem: `load_feed_contracts` returns the
valid ones with the problems of the others (`model.FeedContracts`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines.lib import settings
from pipelines.lib.contracts.coordinates import coordinates, point_fed
from pipelines.lib.contracts.cross_rules import cross_column_rules
from pipelines.lib.contracts.feed_properties import (
    landing,
    missing_values,
    quarantine_threshold,
    with_cadence,
)
from pipelines.lib.contracts.folder_state import folder_state
from pipelines.lib.contracts.mapping import feed_mapping
from pipelines.lib.contracts.model import FeedContract, FeedContracts, Field, InvalidContract
from pipelines.lib.contracts.odcs_schema import validate_odcs_schema
from pipelines.lib.contracts.properties import compile_fields
from pipelines.lib.contracts.shapes import CustomProperties, entries
from pipelines.lib.contracts.shared_vocabulary import (
    SharedVocabulary,
    feed_departments,
    load_shared_vocabulary,
    vocabulary_path,
)
from pipelines.lib.contracts.team_sla import object_types, owner, sla, sla_entries
from pipelines.lib.contracts.vocabulary import (
    CONTRACT_CUSTOM_PROPERTIES,
    CONTRACT_SUFFIX,
    SNAKE_CASE,
)
from pipelines.lib.contracts.yaml_source import (
    ContractError,
    KeyPath,
    Problems,
    display_path,
    parse_yaml,
)

CONTRACTS_DIR_ENV = settings.CONTRACTS_DIR.name


def contracts_dir() -> Path:
    """`$SAFECITY_CONTRACTS_DIR` if set, else `contracts/` under the working directory.

    Like the data directory, commands run from the repository root, so the
    default is the repository's own `contracts/`.
    """
    return settings.contracts_dir()


def load_contract(
    path: Path, root: Path | None = None, vocabulary: SharedVocabulary | None = None
) -> FeedContract:
    """Load, validate and compile one `feeds/<department>/<feed>.odcs.yaml`.

    `root` only shortens the file names in messages (e.g. the repository root).
    `vocabulary` is what a `mapping` is checked against; by default the one of the
    contracts folder the file is in, else of `contracts_dir()` (a draft kept elsewhere).
    """
    if vocabulary is None:
        vocabulary = shared_vocabulary(_contracts_folder_of(path))
    problems = Problems(display_path(path, root))
    contract = _load(path, problems, vocabulary)
    if problems.messages or contract is None:
        raise ContractError(problems.sorted_messages())
    return contract


def shared_vocabulary(contracts_dir: Path) -> SharedVocabulary | None:
    """The folder's `vocabulary.yaml`, or None when it is missing or invalid.

    Its own problems are reported by `safecity contract check`; a contract with a mapping
    then reports that it needs it, and one without a mapping does not need it at all.
    """
    path = vocabulary_path(contracts_dir)
    if not path.is_file():
        return None
    try:
        return load_shared_vocabulary(path, feed_departments(contracts_dir))
    except ContractError:
        return None


def _contracts_folder_of(path: Path) -> Path:
    """`contracts/` of `contracts/feeds/<department>/<feed>.odcs.yaml`, if it has a vocabulary."""
    parents = path.absolute().parents
    if len(parents) > 2 and vocabulary_path(parents[2]).is_file():
        return parents[2]
    return contracts_dir()


def feed_contract_files(contracts_dir: Path) -> list[Path]:
    """Every YAML file under `feeds/<department>/`: a misnamed one must not be skipped silently."""
    feeds_dir = contracts_dir / "feeds"
    return sorted([*feeds_dir.glob("*/*.yaml"), *feeds_dir.glob("*/*.yml")])


def load_feed_contracts(contracts_dir: Path) -> FeedContracts:
    """Every feed contract under `contracts_dir/feeds/`, keyed by (department, feed).

    The valid ones are served; each invalid file is kept with all its problems
    (`FeedContracts.invalid`), so that one broken contract stops only its own feed.
    Messages name files relative to the folder holding `contracts/`, i.e. as seen
    from the repository root. A missing folder is an error: there is nothing to serve.
    Parsed once per process while no file under `contracts_dir` changes (folder_state.py).
    """
    if not contracts_dir.is_dir():
        raise ContractError([f"{contracts_dir}: contracts folder not found"])
    folder = contracts_dir.absolute()  # one parse, whichever way the folder is named
    return _load_feeds_unchanged(folder, folder_state(folder))


@lru_cache(maxsize=4)
def _load_feeds_unchanged(contracts_dir: Path, state: tuple[tuple[str, str], ...]) -> FeedContracts:
    root = contracts_dir.parent
    valid: dict[tuple[str, str], FeedContract] = {}
    invalid: list[InvalidContract] = []
    vocabulary = shared_vocabulary(contracts_dir)  # read once for every contract
    for path in feed_contract_files(contracts_dir):
        shown = display_path(path, root)
        feed = path.name.split(".")[0]
        if not path.name.endswith(CONTRACT_SUFFIX):
            message = (
                f"{shown}:1: (file): not a contract file name, expected <feed>{CONTRACT_SUFFIX}"
            )
            invalid.append(InvalidContract(shown, path.parent.name, feed, (message,)))
            continue
        try:
            contract = load_contract(path, root, vocabulary)
        except ContractError as error:
            invalid.append(InvalidContract(shown, path.parent.name, feed, error.messages))
            continue
        valid[(contract.department, contract.feed)] = contract
    return FeedContracts(valid, invalid)


def _load(
    path: Path, problems: Problems, vocabulary: SharedVocabulary | None
) -> FeedContract | None:
    if not path.name.endswith(CONTRACT_SUFFIX):
        problems.add((), f"contract files are named <feed>{CONTRACT_SUFFIX}")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.add((), f"cannot read: {error}")
        return None
    document = parse_yaml(text, problems)
    if problems.messages:
        return None
    if not isinstance(document, dict):
        problems.add((), "a contract is a YAML mapping")
        return None
    problems.settle(validate_odcs_schema(document, problems))
    return _compile(path, document, problems, vocabulary)


def _compile(
    path: Path, doc: dict[str, Any], problems: Problems, vocabulary: SharedVocabulary | None
) -> FeedContract | None:
    department = path.parent.name
    feed = path.name.removesuffix(CONTRACT_SUFFIX)
    if not SNAKE_CASE.fullmatch(feed):
        problems.add((), f"feed name {feed!r} (from the file name) must be snake_case")
    # The department names folders, Dagster assets and extracts: never `..` or SQL.
    if not SNAKE_CASE.fullmatch(department):
        problems.add((), f"department {department!r} (from the folder name) must be snake_case")
    owner_name = owner(doc, department, problems)
    found_sla = sla_entries(doc, problems)
    custom = CustomProperties.read(doc, (), CONTRACT_CUSTOM_PROPERTIES, problems)
    feed_landing = landing(custom, problems)
    threshold = quarantine_threshold(custom, problems)
    markers = missing_values(custom, problems)

    obj = _schema_object(doc, problems)
    if obj is None:
        return None
    # Cross-references are checked against the YAML's own types rather than the
    # compiled fields, so a broken property is reported once, not again there.
    types = object_types(obj["properties"])
    position = coordinates(custom, types, problems)
    fields = _fields(obj["properties"], markers, point_fed(custom), problems)
    rules = cross_column_rules(custom, types, problems)
    mapping = feed_mapping(custom, fields, types, position, vocabulary, problems)
    feed_sla = sla(found_sla, str(obj.get("name")), types, problems)
    if feed_landing is not None and feed_sla is not None:
        feed_landing = with_cadence(feed_landing, feed_sla, custom.at("landing"), problems)
    if problems.messages or owner_name is None or feed_landing is None or feed_sla is None:
        return None
    return FeedContract(
        path=path,
        id=doc["id"],
        version=doc["version"],
        department=department,
        feed=feed,
        owner=owner_name,
        description=(doc.get("description") or {}).get("purpose"),
        landing=feed_landing,
        coordinates=position,
        sla=feed_sla,
        quarantine_threshold=threshold,
        fields=fields,
        missing_values=markers,
        rules=rules,
        mapping=mapping,
    )


SCHEMA_PATH: KeyPath = ("schema", 0)
PROPERTIES_PATH: KeyPath = (*SCHEMA_PATH, "properties")


def _schema_object(doc: dict[str, Any], problems: Problems) -> dict[str, Any] | None:
    """The one schema object of a feed contract, when it has properties."""
    schema = doc.get("schema")
    if not isinstance(schema, list):
        problems.add(("schema",), "a feed contract has exactly one schema object")
        return None
    if len(schema) != 1:
        problems.add(
            ("schema",), f"a feed contract has exactly one schema object, not {len(schema)}"
        )
        return None
    obj = schema[0]
    if (
        not isinstance(obj, dict)
        or not isinstance(obj.get("properties"), list)
        or not obj["properties"]
    ):
        problems.add(SCHEMA_PATH, "the schema object needs properties")
        return None
    return obj


def _fields(
    properties: list[Any], markers: tuple[str, ...], from_point: frozenset[str], problems: Problems
) -> tuple[Field, ...]:
    fields = compile_fields(
        properties,
        PROPERTIES_PATH,
        problems,
        top_level=True,
        feed_missing_values=markers,
        point_fed=from_point,
    )
    if len(fields) == len(list(entries(properties))):  # a broken key field is reported already
        positions = sorted(
            f.primary_key_position for f in fields if f.primary_key_position is not None
        )
        if positions != list(range(1, len(positions) + 1)):
            problems.add(
                PROPERTIES_PATH,
                f"primaryKeyPosition values must be 1..n without gaps or repeats, not {positions}",
            )
    return fields
