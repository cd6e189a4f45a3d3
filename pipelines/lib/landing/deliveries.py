"""Which contract and delivery day a file under landing/ stands for."""

from __future__ import annotations

from datetime import date

from pipelines.lib.contracts import FeedContract

Contracts = dict[tuple[str, str], FeedContract]


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
        return (
            None,
            None,
            f"no contract for {department}/{feed} (contracts/feeds/{department}/{feed}.odcs.yaml)",
        )
    day = contract.landing.day_of(name)
    if day is None:
        return contract, None, f"name does not match the contract's {contract.landing.file}"
    return contract, day, ""
