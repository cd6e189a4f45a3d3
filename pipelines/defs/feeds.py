"""The feed contracts this code location serves, loaded once when it loads, and the departments.

Loading the contracts is what defines the landing and ingestion assets: a broken
contract stops the code location from loading, with the file, line and key of
every problem. `$SAFECITY_CONTRACTS_DIR` points at another contracts folder.
"""

from pipelines.lib.contracts import contracts_dir, load_feed_contracts

FEED_CONTRACTS = load_feed_contracts(contracts_dir())
# The departments are the folders of contracts/feeds/: each is published to and reported on.
DEPARTMENTS: tuple[str, ...] = tuple(sorted({department for department, _ in FEED_CONTRACTS}))
