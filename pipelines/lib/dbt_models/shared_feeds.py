"""Feeds several departments deliver under one name (each in its own format, each with its own
contract mapping the columns to the same names): one union per name, so hand-written models
read `int_shared__<feed>` and a department that starts delivering the feed joins it by contract."""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.lib.contracts.model import FeedContract
from pipelines.lib.dbt_models.staging import DAYS_BUILT, model_name


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
    deliver is null in its rows (union by name). A view, as the staged feeds are: as a table it
    copied every push of a telemetry feed again at each build, for one model to read."""
    selects = [f"select * from {{{{ ref('{model_name(c)}') }}}}" for c in feeds]
    config = "{{ config(materialized='view') }}\n"
    return header + config + "\nunion all by name\n".join(selects) + "\n"


def shared_feed_properties(shared: dict[str, list[FeedContract]]) -> dict:
    """dbt properties of the unions: what a row is and its grain as a key test (the department
    and the key its contracts declare; contracts of one feed name that disagree on the key keep
    the department alone, and the key test says so by failing). The key is tested on the days
    built, as the staged feeds' keys are: the union reads every day's files."""
    models = []
    for feed, feeds in shared.items():
        keys = {c.key for c in feeds}
        key = ["source_department", *(keys.pop() if len(keys) == 1 else ())]
        departments = ", ".join(c.department for c in feeds)
        models.append(
            {
                "name": shared_feed_name(feed),
                "description": (
                    f"One row per {feed} record of every department that delivers it ({departments}), "
                    "each staged from its own format under the names its contract maps to; a column "
                    "one department does not deliver is null in its rows."
                ),
                "columns": [
                    {
                        "name": "source_department",
                        "description": "The department whose delivery the row comes from.",
                    }
                ],
                "data_tests": [
                    {
                        "unique_combination_of_columns": {
                            "arguments": {"combination_of_columns": key},
                            "config": DAYS_BUILT,
                            "description": f"One row per department and {feed} record of the days built.",
                        }
                    }
                ],
            }
        )
    return {"version": 2, "models": models}
