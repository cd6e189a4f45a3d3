"""`contract draft` on every feed of the tiny sample city, held to its ground truth.

For each feed, the draft made from its largest delivery (the one with the most to learn
from) must pass `contract check` and must not quarantine a row of that delivery that the
sample city delivered valid. Planted invalid rows may pass: a draft knows only its sample.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines import cli
from pipelines.lib.contracts import load_contract, load_feed_contracts
from pipelines.lib.contracts.loader import feed_contract_files
from pipelines.lib.draft import draft_contract
from pipelines.lib.ingest.dry_run import dry_run
from pipelines.lib.ingest.read import SOURCE_ROW

FEEDS = sorted(load_feed_contracts(Path("contracts")))  # the sample city's feeds


def largest_delivery(city: Path, department: str, feed: str) -> Path:
    files = (city / "landing" / department / feed).iterdir()
    return max(files, key=lambda p: (p.stat().st_size, p.name))


@pytest.fixture(scope="module")
def drafts(tiny_city: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every feed drafted from its largest delivery, written as contracts/feeds/<d>/<f>.odcs.yaml."""
    root = tmp_path_factory.mktemp("drafted") / "contracts"
    for department, feed in FEEDS:
        draft = draft_contract(largest_delivery(tiny_city, department, feed), department, feed)
        path = root / "feeds" / department / f"{feed}.odcs.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(draft.text, encoding="utf-8")
    return root


def test_every_feed_of_the_city_is_drafted(tiny_city: Path) -> None:
    delivered = {(p.parent.name, p.name) for p in (tiny_city / "landing").glob("*/*")}
    # Every contract file loaded (none left out as invalid), and each feed delivered.
    assert set(FEEDS) == delivered and len(FEEDS) == len(feed_contract_files(Path("contracts")))


def test_contract_check_accepts_every_draft(
    drafts: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(drafts.parent)
    assert cli.main(["contract", "check", "contracts/feeds"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].endswith(": no problems") and out[-1].count(".odcs.yaml") == len(FEEDS)


@pytest.mark.parametrize(("department", "feed"), FEEDS, ids=[f"{d}/{f}" for d, f in FEEDS])
def test_a_draft_quarantines_no_valid_row_of_its_sample(
    drafts: Path, tiny_city: Path, department: str, feed: str
) -> None:
    sample = largest_delivery(tiny_city, department, feed)
    contract = load_contract(drafts / "feeds" / department / f"{feed}.odcs.yaml")
    run = dry_run(contract, sample)
    truth = pl.read_parquet(
        tiny_city / "ground_truth" / "records" / department / feed / f"{sample.stem}.parquet"
    )
    assert truth.height == run.landed > 0
    quarantined = run.result.quarantine.select(
        pl.col(SOURCE_ROW).alias("row_number"), "rule", "column"
    )
    judged = truth.join(quarantined, on="row_number", how="left")
    false_alarms = judged.filter(pl.col("invalid_rule").is_null() & pl.col("rule").is_not_null())
    assert false_alarms.height == 0, false_alarms.select("row_number", "rule", "column")
    assert run.to_bronze + run.quarantined == run.landed
    # The draft is an honest draft: it says so, and every planted row it lets in or keeps out
    # is the contract's business, not a lost row.
    text = (drafts / "feeds" / department / f"{feed}.odcs.yaml").read_text(encoding="utf-8")
    assert text.startswith(f"# DRAFT contract for {department}/{feed}")
