"""Feed contracts: ODCS YAML under `contracts/feeds/<department>/<feed>.odcs.yaml`.

The one way the pipeline reads a contract: `load_feed_contracts(contracts_dir())`
for all feeds (the valid ones, and the problems of the others), `load_contract(path)`
for one (a ContractError naming `file:line: key: problem` for everything wrong at once).
"""

from pipelines.lib.contracts.loader import (
    CONTRACTS_DIR_ENV,
    contracts_dir,
    load_contract,
    load_feed_contracts,
)
from pipelines.lib.contracts.model import (
    Coordinates,
    CrossColumnRule,
    Derivation,
    FeedContract,
    FeedContracts,
    Field,
    InvalidContract,
    Landing,
    PointSource,
    Sla,
)
from pipelines.lib.contracts.yaml_source import ContractError

__all__ = [
    "CONTRACTS_DIR_ENV",
    "ContractError",
    "Coordinates",
    "CrossColumnRule",
    "Derivation",
    "FeedContract",
    "FeedContracts",
    "Field",
    "InvalidContract",
    "Landing",
    "PointSource",
    "Sla",
    "contracts_dir",
    "load_contract",
    "load_feed_contracts",
]
