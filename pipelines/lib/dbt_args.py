"""The arguments of the warehouse's `dbt build`: pure functions, so they are tested alone.

A daily build is incremental: the models built by delivery day (see the dbt macro
`delivery_days_to_build`) build the days after their own latest, and rebuild the days whose
bronze partitions were written since the step's last successful build started
(warehouse_builds.py). A run tagged
`safecity/full_refresh=true` (`safecity run --full-refresh`, or the tag added in the UI's
launchpad) rebuilds them from every day.

The first day to rebuild reaches dbt as SAFECITY_REPROCESS_SINCE, not as a dbt var: the vars
are the city's alone, the same every run, so dbt's partial parsing holds from one run to the
next (a changed var makes dbt parse the whole project again, some 4 s per invocation).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from pipelines.lib.city_profile import CityProfile, CityProfileError, city_profile

if TYPE_CHECKING:
    from pipelines.lib.storage import Location

FULL_REFRESH_TAG = "safecity/full_refresh"


def dbt_build_args(*, full_refresh: bool, city: CityProfile) -> list[str]:
    """`dbt build` with the city profile as vars (the city's code, extent, grid, time zone,
    name prefixes)."""
    return ["build", *(["--full-refresh"] if full_refresh else []), *dbt_vars_args(city)]


def dbt_parse_args() -> list[str]:
    """`dbt parse` (make install, `safecity contract generate`, a stale manifest) with the vars of
    the configured data directory's city, the built-in one after `make install`. A run of that
    city in a new data directory (its own dbt target, which dagster-dbt starts from the
    project's partial-parse state) then parses nothing again; other vars would make it parse
    the whole project, 5-10 s."""
    try:
        return ["parse", "--quiet", *dbt_vars_args(city_profile())]
    except CityProfileError:  # the run says what is wrong with the profile
        return ["parse", "--quiet"]


def dbt_vars_args(city: CityProfile) -> list[str]:
    """`--vars` as every dbt command of the city passes them: the same text, so `make install`'s
    `dbt parse` leaves the partial-parse state a run of the city reuses."""
    variables: dict[str, Any] = city.dbt_vars()
    return ["--vars", json.dumps(variables, ensure_ascii=False, sort_keys=True)]


def first_day_to_reprocess(*, full_refresh: bool, reprocess_since: date | None) -> str | None:
    """SAFECITY_REPROCESS_SINCE for dbt: the first day to rebuild and test, None (unset) when
    every day is (a full refresh, or a first build)."""
    return None if full_refresh or reprocess_since is None else reprocess_since.isoformat()


def wants_full_refresh(run_tags: Mapping[str, str]) -> bool:
    return run_tags.get(FULL_REFRESH_TAG, "").lower() == "true"


def earliest_day_written_after(
    partitions: Iterable[Location], built_at: float | None
) -> date | None:
    """The earliest delivery day among bronze partition files (`.../date=YYYY-MM-DD/part-0.parquet`)
    written after `built_at` (a file's modification time; None: the warehouse was never built)."""
    if built_at is None:
        return None
    days = [
        date.fromisoformat(path.parent.name.removeprefix("date="))
        for path in partitions
        if path.stat().st_mtime > built_at
    ]
    return min(days, default=None)
