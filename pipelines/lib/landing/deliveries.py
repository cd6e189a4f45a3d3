"""Which contract and delivery day a file under landing/ stands for."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pipelines.lib.contracts import FeedContract, FeedContracts

# The valid contracts; a FeedContracts also knows the invalid ones, named in the reason.
Contracts = Mapping[tuple[str, str], FeedContract]


def match_delivery(
    contracts: Contracts, relative: str
) -> tuple[FeedContract | None, date | None, str]:
    """(contract, day, "") for a delivery; otherwise what is known and the reason it is not one.

    `relative` is the path under landing/, with "/" separators.
    """
    parts = relative.split("/")
    if len(parts) < 3:
        return None, None, "not inside a <department>/<feed>/ folder"
    if len(parts) > 3:
        return None, None, "nested below the feed folder"
    department, feed, name = parts
    contract = contracts.get((department, feed))
    if contract is None:
        return None, None, _no_contract(contracts, department, feed)
    day = contract.landing.day_of(name)
    if day is None:
        return contract, None, f"name does not match the contract's {contract.landing.file}"
    return contract, day, ""


def _no_contract(contracts: Contracts, department: str, feed: str) -> str:
    known_invalid = contracts.invalid if isinstance(contracts, FeedContracts) else ()
    invalid = [c.path for c in known_invalid if (c.department, c.feed) == (department, feed)]
    if invalid:
        return f"its contract {invalid[0]} is invalid (see the contracts_valid check): not ingested until it is fixed"
    return f"no contract for {department}/{feed} (contracts/feeds/{department}/{feed}.odcs.yaml)"
