"""The feed contracts this code location serves, loaded once when it loads, and the departments.

Loading the contracts is what defines the landing and ingestion assets. A broken
contract is its own feed's problem: that feed is left out (and the landing
inventory's `contracts_valid` check names file, line and key of every problem),
the others are served. `$SAFECITY_CONTRACTS_DIR` points at another contracts folder.
"""

from pipelines.lib.contracts import contracts_dir, load_feed_contracts

FEED_CONTRACTS = load_feed_contracts(contracts_dir())
# The departments are the folders of contracts/feeds/, those whose contract is invalid
# included: each is published to and reported on.
DEPARTMENTS: tuple[str, ...] = FEED_CONTRACTS.departments
