"""The quarantine-rate check: an error (the run fails) when the rows leave no doubt the share
quarantined is over the contract's threshold, a warning when a few rows of a small delivery
put it over."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.checks import quarantine_rate
from pipelines.lib.ingest.summary import IngestionSummary, wilson_lower_bound

CONTRACT = FEED_CONTRACTS[("emergency_management", "hidden_hazards")]
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def _summary(landed: int, quarantined: int) -> IngestionSummary:
    summary = IngestionSummary(CONTRACT)
    summary.landed, summary.quarantined, summary.bronze = landed, quarantined, landed - quarantined
    return summary


@pytest.mark.parametrize(
    ("landed", "quarantined", "passed", "severity"),
    [
        (0, 0, True, ERROR),  # nothing delivered: nothing over
        (1_000, 50, True, ERROR),  # exactly the threshold
        (56, 56, False, ERROR),  # every row quarantined
        (3, 3, False, ERROR),  # even a small delivery, when every row is bad
        (10_000, 600, False, ERROR),  # 6 % of many rows: surely over 5 %
        (19, 1, False, WARN),  # one bad row of 19: over 5 %, by chance as likely as not
        (53, 7, False, WARN),  # 13 %, but 7 rows: the tiny sample city's densest feed
    ],
)
def test_severity_follows_how_sure_the_rate_is_over(
    landed: int, quarantined: int, passed: bool, severity: dg.AssetCheckSeverity
) -> None:
    assert CONTRACT.quarantine_threshold == 0.05
    result = quarantine_rate(_summary(landed, quarantined))
    assert (result.passed, result.severity) == (passed, severity)
    if passed:
        assert result.description is None
    elif severity == ERROR:
        assert result.description.startswith(
            f"{quarantined / landed:.1%} of {landed:,} rows quarantined, over the contract's 5.0%"
        )
        assert "see lake/quarantine/emergency_management/hidden_hazards/ and ask" in (
            result.description
        )
    else:
        assert result.description.endswith("too few rows to call the delivery unusable; a warning")


def test_wilson_lower_bound() -> None:
    assert wilson_lower_bound(0, 0, 3.0) == 0.0
    assert wilson_lower_bound(0, 50, 3.0) == pytest.approx(0.0, abs=1e-12)
    assert wilson_lower_bound(10, 10, 2.0) == pytest.approx(10 / 14)  # n / (n + z²) at 100 %
    assert wilson_lower_bound(10, 100, 1.96) == pytest.approx(0.0552, abs=1e-4)  # textbook value
