"""The dbt files generated from the contracts, written into the dbt project, or checked against it.

    safecity contract generate            # rewrite them, then re-parse the dbt project
    safecity contract generate --check    # exit 1 when they are stale

What lists feeds is generated; what computes stays hand-written (docs/architecture.md):
- `models/staging/_sources.yml`: one dbt source table per valid feed contract;
- `models/staging/<department>/`: one staging view per feed, and its properties;
- `models/intermediate/generated/`: the four mention unions, `int_events`, the source
  records, the latest readings of collapsed feeds, the roles, relations and event types
  the mappings and `contracts/vocabulary.yaml` declare, and `int_shared__<feed>` for a feed
  name several departments deliver (their handling feedback).

- `models/warehouse/_warehouse__contracts.yml`: the warehouse tables' dbt contracts and tests,
  from `contracts/warehouse/` (their vocabularies follow the mappings: `enumFrom`).

The files are committed, so dbt parses without this step, and a test fails when they are stale. Nothing is written while
any contract is invalid: a feed left out would silently leave the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.lib.contracts.loader import load_feed_contracts, shared_vocabulary
from pipelines.lib.contracts.mapping_index import mapping_index
from pipelines.lib.contracts.model import FeedContract, FeedContracts
from pipelines.lib.contracts.tables import load_table_contracts
from pipelines.lib.contracts.yaml_source import ContractError
from pipelines.lib.dbt_models.events import event_keywords_model, event_types_model, events_model
from pipelines.lib.dbt_models.feed_sql import FeedSql, latest_model_name
from pipelines.lib.dbt_models.mentions import mentions_model
from pipelines.lib.dbt_models.records import (
    generated_properties,
    latest_model,
    mapped_feeds_model,
    relations_model,
    roles_model,
    source_records_model,
)
from pipelines.lib.dbt_models.shared_feeds import (
    shared_feed_model,
    shared_feed_name,
    shared_feed_properties,
    shared_feeds,
)
from pipelines.lib.dbt_models.sources import sources_file
from pipelines.lib.dbt_models.staging import model_name, staging_model, staging_properties
from pipelines.lib.dbt_models.warehouse_schema import render as warehouse_schema

MARK = "Generated from the contracts by `safecity contract generate`: edit those, not this."
SQL_HEADER = f"-- {MARK}\n"
YAML_HEADER = f"# {MARK}\n"
GENERATED_DIR = Path("models/intermediate/generated")
WAREHOUSE_SCHEMA = Path("models/warehouse/_warehouse__contracts.yml")
KINDS = ("organisation", "person", "place", "object")


class GenerateError(Exception):
    """The contracts cannot be generated from; `messages` say why, one per line."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Changes:
    written: tuple[Path, ...]
    removed: tuple[Path, ...]
    unchanged: int


def generated_files(contracts_dir: Path, contracts: FeedContracts | None = None) -> dict[Path, str]:
    """Every generated file's text, by its path inside the dbt project (`contracts`: those
    of `contracts_dir`, when the caller has loaded them already)."""
    contracts = contracts if contracts is not None else load_feed_contracts(contracts_dir)
    vocabulary = shared_vocabulary(contracts_dir)
    problems = list(contracts.problems)
    if vocabulary is None:
        problems.append(
            f"{contracts_dir / 'vocabulary.yaml'}: missing or invalid (safecity contract check)"
        )
    if problems:
        raise GenerateError(problems)
    assert vocabulary is not None
    index = mapping_index(contracts, vocabulary, contracts_dir.parent)
    if index.problems:
        raise GenerateError(list(index.problems))
    try:
        tables = load_table_contracts(contracts_dir, index=index)
    except ContractError as error:
        raise GenerateError(list(error.messages)) from None

    ordered = sorted(contracts.values(), key=lambda c: (c.department, c.feed))
    files: dict[Path, str] = {
        Path("models/staging/_sources.yml"): YAML_HEADER + sources_file(contracts, vocabulary),
        WAREHOUSE_SCHEMA: YAML_HEADER + warehouse_schema(tables),
    }
    by_department: dict[str, list[FeedContract]] = {}
    for contract in ordered:
        by_department.setdefault(contract.department, []).append(contract)
        folder = Path("models/staging") / contract.department
        files[folder / f"{model_name(contract)}.sql"] = staging_model(contract, SQL_HEADER)
    for department, feeds in by_department.items():
        files[Path("models/staging") / department / f"_{department}__models.yml"] = (
            YAML_HEADER + _yaml(staging_properties(feeds))
        )

    mapped = [FeedSql(c, vocabulary) for c in ordered if c.mapping is not None]
    for kind in KINDS:
        files[GENERATED_DIR / f"int_{kind}_mentions.sql"] = mentions_model(kind, mapped, SQL_HEADER)
    files[GENERATED_DIR / "int_events.sql"] = events_model(mapped, SQL_HEADER)
    files[GENERATED_DIR / "int_event_types.sql"] = event_types_model(
        vocabulary, index.event_types, SQL_HEADER
    )
    files[GENERATED_DIR / "int_event_keywords.sql"] = event_keywords_model(
        vocabulary, index.event_types, SQL_HEADER
    )
    files[GENERATED_DIR / "int_source_records.sql"] = source_records_model(mapped, SQL_HEADER)
    files[GENERATED_DIR / "int_mapped_feeds.sql"] = mapped_feeds_model(mapped, SQL_HEADER)
    files[GENERATED_DIR / "int_mention_roles.sql"] = roles_model(index, SQL_HEADER)
    files[GENERATED_DIR / "int_mention_relations.sql"] = relations_model(index, SQL_HEADER)
    files[GENERATED_DIR / "_generated__models.yml"] = YAML_HEADER + _yaml(
        generated_properties(mapped)
    )
    shared = shared_feeds(ordered)
    for feed_name, feeds in shared.items():
        files[GENERATED_DIR / f"{shared_feed_name(feed_name)}.sql"] = shared_feed_model(
            feeds, SQL_HEADER
        )
    if shared:
        files[GENERATED_DIR / "_shared_feeds__models.yml"] = YAML_HEADER + _yaml(
            shared_feed_properties(shared)
        )
    for feed in mapped:
        if feed.mapping.records is not None:
            name = latest_model_name(feed.contract)
            files[GENERATED_DIR / f"{name}.sql"] = latest_model(feed, SQL_HEADER)
    return files


def write(dbt_dir: Path, files: dict[Path, str]) -> Changes:
    """Write what changed, and remove generated files no contract gives any more."""
    written: list[Path] = []
    for relative, text in files.items():
        path = dbt_dir / relative
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(relative)
    removed = []
    for relative in _generated_on_disk(dbt_dir) - set(files):
        (dbt_dir / relative).unlink()
        removed.append(relative)
    return Changes(tuple(written), tuple(sorted(removed)), len(files) - len(written))


def stale(dbt_dir: Path, files: dict[Path, str]) -> list[Path]:
    """Generated files missing, different or no longer generated, by path in the dbt project."""
    different = [
        relative
        for relative, text in files.items()
        if not (dbt_dir / relative).is_file()
        or (dbt_dir / relative).read_text(encoding="utf-8") != text
    ]
    return sorted([*different, *(_generated_on_disk(dbt_dir) - set(files))])


def _generated_on_disk(dbt_dir: Path) -> set[Path]:
    candidates = [*dbt_dir.glob("models/staging/*/*"), *dbt_dir.glob("models/staging/*.yml")]
    candidates.append(dbt_dir / WAREHOUSE_SCHEMA)
    candidates += (dbt_dir / GENERATED_DIR).glob("*")
    return {
        path.relative_to(dbt_dir)
        for path in candidates
        if path.is_file() and MARK in path.read_text(encoding="utf-8").split("\n", 1)[0]
    }


def _yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def warehouse_coverage_notes(
    contracts_dir: Path, dbt_dir: Path, contracts: FeedContracts | None = None
) -> list[str]:
    """What a run should say about the contracts and the dbt models it builds: the generated
    files that are stale (a changed mapping not in the warehouse yet) and the feeds that stay
    in bronze (valid, with no mapping). An invalid contract is reported by contracts_valid."""
    contracts = contracts if contracts is not None else load_feed_contracts(contracts_dir)
    try:
        files = generated_files(contracts_dir, contracts)
    except GenerateError:
        return []
    notes = []
    outdated = stale(dbt_dir, files)
    if outdated:
        notes.append(
            f"the dbt models are not what the contracts give ({len(outdated)} generated file(s) stale, "
            f"e.g. {outdated[0]}): run `safecity contract generate`, then `safecity run`; "
            "until then the warehouse follows the contracts as they were"
        )
    # A feed several departments deliver is in the warehouse through its union, whatever its mapping.
    shared = {c.feed for feeds in shared_feeds(contracts.values()).values() for c in feeds}
    unmapped = sorted(
        f"{c.department}/{c.feed}"
        for c in contracts.values()
        if c.mapping is None and c.feed not in shared and not _read_by_models(dbt_dir, c)
    )
    if unmapped:
        notes.append(
            f"in bronze only, not in the warehouse (no mapping in the contract): {', '.join(unmapped)}"
        )
    return notes


def _read_by_models(dbt_dir: Path, contract: FeedContract) -> bool:
    """Whether a hand-written model reads the feed's staging view (a `ref` to it in its SQL)."""
    reference = f"ref('{model_name(contract)}')"
    for path in (dbt_dir / "models").rglob("*.sql"):
        text = path.read_text(encoding="utf-8")
        if reference in text and MARK not in text.split("\n", 1)[0]:
            return True
    return False
