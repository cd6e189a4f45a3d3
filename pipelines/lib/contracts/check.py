"""`safecity contract check`: every problem of every contract file at once, before a run finds them.

Without paths: every feed contract, the shared vocabulary, the feeds' mappings read together
(`mapping_index`), every warehouse table contract and the sharing policy under the contracts
folder, and the map's layers (`map/layers.yaml`). With paths: those files, each checked as what
its place says it is (`sharing/policy.yaml`, `map/layers.yaml`, `vocabulary.yaml`, a table contract under `warehouse/`, or else a
feed contract under `feeds/<department>/`); a folder is every YAML file below it, or the
whole of it when it is a contracts folder (it holds `feeds/`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.contracts.loader import (
    feed_contract_files,
    load_contract,
    load_feed_contracts,
    shared_vocabulary,
)
from pipelines.lib.contracts.mapping_index import mapping_index
from pipelines.lib.contracts.shared_vocabulary import (
    VOCABULARY_FILE,
    feed_departments,
    load_shared_vocabulary,
    vocabulary_path,
)
from pipelines.lib.contracts.tables import TableContract, check_table_contracts
from pipelines.lib.contracts.yaml_source import ContractError, display_path

POLICY = Path("sharing") / "policy.yaml"
MAP_LAYERS = Path("map") / "layers.yaml"


@dataclass
class CheckReport:
    checked: list[str] = field(default_factory=list)  # what was checked, for the summary
    problems: list[str] = field(default_factory=list)  # `file:line: key.path: message`

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        what = ", ".join(self.checked) or "nothing"
        if self.ok:
            return f"checked {what}: no problems"
        files = len({problem.split(":", 1)[0] for problem in self.problems})
        return (
            f"checked {what}: {len(self.problems)} problem(s) in {files} file(s); "
            "fix them and check again (an invalid feed contract's feed is not ingested)"
        )


def check_contracts(contracts_dir: Path, paths: Sequence[Path] = ()) -> CheckReport:
    report = CheckReport()
    if not paths:
        _check_folder(contracts_dir, report)
        return report
    root = Path.cwd()
    for path in paths:
        if not path.exists():
            report.problems.append(f"{path}: no such file or folder")
        elif path.is_dir() and (path / "feeds").is_dir():
            _check_folder(path, report)  # a whole contracts folder
        elif path.is_dir():
            for file in sorted(path.rglob("*.y*ml")):
                _check_file(file, root, report)
        else:
            _check_file(path, root, report)
    return report


def _check_folder(contracts_dir: Path, report: CheckReport) -> None:
    """A whole contracts folder: feeds, tables, and the policy against both."""
    feeds = load_feed_contracts(contracts_dir)
    report.checked.append(f"{len(feed_contract_files(contracts_dir))} feed contract(s)")
    report.problems += feeds.problems
    if vocabulary_path(contracts_dir).is_file():
        report.checked.append("the shared vocabulary")
        report.problems += _vocabulary_problems(vocabulary_path(contracts_dir), contracts_dir)
    vocabulary = shared_vocabulary(contracts_dir)
    index = None
    if vocabulary is not None:  # without it no mapping is valid, and that is reported already
        # The valid feeds' mappings read together: what only shows across feeds.
        index = mapping_index(feeds, vocabulary, contracts_dir.parent)
        report.problems += index.problems
    # The tables' `enumFrom` vocabularies come from the same index: the feeds are read once.
    tables, table_problems = check_table_contracts(contracts_dir, index)
    report.checked.append(
        f"{len(list((contracts_dir / 'warehouse').glob('*.odcs.yaml')))} table contract(s)"
    )
    report.problems += table_problems
    if (contracts_dir / POLICY).is_file():
        report.checked.append("the sharing policy")
        report.problems += _policy_problems(contracts_dir / POLICY, contracts_dir, tables)
    if (contracts_dir / MAP_LAYERS).is_file():
        report.checked.append("the map's layers")
        report.problems += _map_problems(contracts_dir / MAP_LAYERS, contracts_dir.parent)


def _check_file(path: Path, root: Path, report: CheckReport) -> None:
    report.checked.append(display_path(path, root))
    if path.name == POLICY.name and path.parent.name == POLICY.parent.name:
        contracts_dir = path.parent.parent
        tables, _ = check_table_contracts(contracts_dir)  # their own problems are theirs
        report.problems += _policy_problems(path, contracts_dir, tables)
    elif path.name == MAP_LAYERS.name and path.parent.name == MAP_LAYERS.parent.name:
        report.problems += _map_problems(path, root)
    elif path.name == VOCABULARY_FILE:
        report.problems += _vocabulary_problems(path, path.parent)
    elif path.parent.name == "warehouse":
        # Checked with its neighbours: its relationships name them.
        _, problems = check_table_contracts(path.parent.parent)
        shown = display_path(path, path.parent.parent.parent)
        report.problems += [p for p in problems if p.startswith(f"{shown}:")]
    else:
        try:
            load_contract(path, root)
        except ContractError as error:
            report.problems += error.messages


def _map_problems(path: Path, root: Path) -> list[str]:
    # Imported here: the map belongs to publishing, which builds on the contracts.
    from pipelines.lib.map.layers import check_map_layers

    return check_map_layers(path, root)


def _vocabulary_problems(path: Path, contracts_dir: Path) -> list[str]:
    try:
        load_shared_vocabulary(path, feed_departments(contracts_dir))
    except ContractError as error:
        return list(error.messages)
    return []


def _policy_problems(
    path: Path, contracts_dir: Path, tables: Mapping[str, TableContract]
) -> list[str]:
    # Imported here: the policy's loader belongs to publishing, which builds on the contracts.
    from pipelines.lib.publish.policy import load_policy

    try:
        load_policy(path, tables, feed_departments(contracts_dir))
    except ContractError as error:
        return list(error.messages)
    return []
