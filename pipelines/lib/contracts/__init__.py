"""Feed contracts: ODCS YAML under `contracts/feeds/<department>/<feed>.odcs.yaml`.

The one way the pipeline reads a contract: `load_feed_contracts(contracts_dir())`
for all feeds, `load_contract(path)` for one. Both fail with a ContractError
naming `file:line: key: problem` for everything wrong at once.
"""

from pipelines.lib.contracts.loader import (
    CONTRACTS_DIR_ENV,
    ContractError,
    contracts_dir,
    load_contract,
    load_feed_contracts,
)
from pipelines.lib.contracts.model import Coordinates, FeedContract, Field, Landing, Sla

__all__ = [
    "CONTRACTS_DIR_ENV",
    "ContractError",
    "Coordinates",
    "FeedContract",
    "Field",
    "Landing",
    "Sla",
    "contracts_dir",
    "load_contract",
    "load_feed_contracts",
]
