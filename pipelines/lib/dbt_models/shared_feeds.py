"""Feeds several departments deliver under one name (each in its own format, each with its own
contract mapping the columns to the same names): one union per name, so hand-written models
read `int_shared__<feed>` and a department that starts delivering the feed joins it by contract."""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.lib.contracts.model import FeedContract
from pipelines.lib.dbt_models.staging import model_name


def shared_feed_name(feed: str) -> str:
    return f"int_shared__{feed}"


def shared_feeds(contracts: Iterable[FeedContract]) -> dict[str, list[FeedContract]]:
    """Feed name -> its contracts, for names two or more departments deliver, by department."""
    by_feed: dict[str, list[FeedContract]] = {}
    for contract in contracts:
        by_feed.setdefault(contract.feed, []).append(contract)
    return {
        feed: sorted(feeds, key=lambda c: c.department)
        for feed, feeds in sorted(by_feed.items())
        if len({c.department for c in feeds}) > 1
    }


def shared_feed_model(feeds: list[FeedContract], header: str) -> str:
    """Every department's staged rows under the common names; a column one department does not
    deliver is null in its rows (union by name)."""
    selects = [f"select * from {{{{ ref('{model_name(c)}') }}}}" for c in feeds]
    return header + "\nunion all by name\n".join(selects) + "\n"
