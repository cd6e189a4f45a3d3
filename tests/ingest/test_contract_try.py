"""`safecity contract try`: a dry run of ingestion on one file, by the real enforcement code.

Exit 0 when every row would reach bronze, 1 when some would be quarantined (by rule and
column, with samples, personal values masked), 2 when the contract is invalid; nothing
is written anywhere, neither in the data directory nor in the working directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import polars as pl
import pytest

from pipelines import cli
from pipelines.lib.contracts import load_feed_contracts

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = load_feed_contracts(REPO / "contracts")


def contract_file(department: str, feed: str) -> Path:
    return CONTRACTS[(department, feed)].path


def truth(city: Path) -> pl.DataFrame:
    return pl.read_parquet(str(city / "ground_truth" / "records" / "*" / "*" / "*.parquet"))


def files_by_validity(city: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Delivered files with no planted invalid row, and with one a single file shows.

    A key repeated from an earlier delivery is only a duplicate against the lake, which a
    dry run does not read: files planted with nothing else count as neither.
    """
    per_file = (
        truth(city)
        .group_by("department", "feed", "file")
        .agg(pl.len().alias("rows"), pl.col("invalid_rule").drop_nulls().alias("rules"))
    )
    clean = per_file.filter(pl.col("rules").list.len() == 0).sort("rows", "file", descending=True)
    dirty = per_file.filter(
        pl.col("rules").list.eval(pl.element() != "duplicate_key").list.any()
    ).sort("file")
    return clean, dirty


def snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under the folders, with its size and modification time."""
    found = {}
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            stat = path.stat()
            found[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return found


def test_a_file_of_valid_rows_exits_0_with_the_bronze_schema(
    tiny_city: Path, capsys: pytest.CaptureFixture
) -> None:
    clean, _ = files_by_validity(tiny_city)
    department, feed, file, rows, _ = clean.row(0)
    assert rows > 1
    code = cli.main(
        ["contract", "try", str(contract_file(department, feed)), str(tiny_city / file)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"rows: {rows:,} delivered, {rows:,} to bronze, 0 to quarantine" in out
    assert "from the file name" in out
    schema = out.split("bronze schema")[1]
    for f in CONTRACTS[(department, feed)].fields:
        assert f"\n  {f.name} " in schema
    assert "_source_row" in schema
    assert out.rstrip().endswith("nothing was written: this was a dry run")


def test_a_file_with_invalid_rows_exits_1_naming_rule_and_column(
    tiny_city: Path, city, capsys: pytest.CaptureFixture
) -> None:
    records = truth(tiny_city)
    # A delivery with planted identity-number errors: personal values must not show.
    planted = records.filter(pl.col("invalid_rule") == "identity_number_check").sort("file")
    department, feed, file = planted.select("department", "feed", "file").row(0)
    contract = CONTRACTS[(department, feed)]
    code = cli.main(["contract", "try", str(contract.path), str(tiny_city / file)])
    out = capsys.readouterr().out
    assert code == 1
    in_file = records.filter(pl.col("file") == file)
    invalid = in_file.filter(pl.col("invalid_rule").is_not_null())
    assert (
        f"rows: {in_file.height:,} delivered, {in_file.height - invalid.height:,} to bronze, "
        f"{invalid.height:,} to quarantine" in out
    )
    by_rule = out.split("quarantine by rule and column:")[1].split("bronze schema")[0]
    for rule in invalid["invalid_rule"].unique():
        assert f"\n  {rule} " in by_rule
    assert "row " in by_rule
    # Personal and sensitive columns show as ***; no identity number of the file is printed.
    hidden = [f for f in contract.fields if f.classification in ("personal", "sensitive")]
    assert hidden and all(f'"{f.source}": "***"' in by_rule for f in hidden if f.source)
    delivered = city.read(tiny_city / file, raw=True)
    numbers = [
        value
        for column in delivered.columns
        for value in delivered[column].cast(pl.String).drop_nulls().to_list()
        if len(value) == 18 and value[:17].isdigit()
    ]
    assert numbers and not [n for n in numbers if n in out]


def test_an_invalid_contract_exits_2_with_every_problem(
    tmp_path: Path, tiny_city: Path, capsys: pytest.CaptureFixture
) -> None:
    source = contract_file("fire_rescue", "fire_incidents")
    broken = tmp_path / "contracts" / "feeds" / "fire_rescue" / source.name
    broken.parent.mkdir(parents=True)
    text = source.read_text(encoding="utf-8")
    text = text.replace(r"pattern: ^JQ\d{13}$", r"pattern: ^JQ\d{13}\Z")
    text = text.replace("classification: internal", "classification: secret", 1)
    broken.write_text(text, encoding="utf-8")
    file = next((tiny_city / "landing" / "fire_rescue" / "fire_incidents").iterdir())
    assert cli.main(["contract", "try", str(broken), str(file)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert len([line for line in out if re.search(r"\.odcs\.yaml:\d+: ", line)]) == 2
    assert any("unrecognized escape sequence" in line for line in out)
    assert any("not 'secret'" in line for line in out)
    assert out[-1].endswith(
        "the contract is invalid; fix it (safecity contract check) and try again"
    )


def test_a_dry_run_writes_nothing(
    tiny_city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Not in the data directory (a GB 18030 file is transcoded: elsewhere), nor where it runs."""
    workdir = tmp_path / "here"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    _, dirty = files_by_validity(tiny_city)
    gbk = dirty.filter(pl.col("department") == "market_regulation").row(0)
    cases = [(gbk[0], gbk[1], gbk[2]), *dirty.select("department", "feed", "file").head(3).rows()]
    before = snapshot(tiny_city, workdir)
    for department, feed, file in cases:
        code = cli.main(
            ["contract", "try", str(contract_file(department, feed)), str(tiny_city / file)]
        )
        assert code == 1
    assert "lake" not in os.listdir(tiny_city)
    assert snapshot(tiny_city, workdir) == before
    assert capsys.readouterr().out.count("nothing was written") == len(cases)


def test_the_day_can_be_given(tiny_city: Path, capsys: pytest.CaptureFixture) -> None:
    """Delivered a week earlier, events of the delivery day lie in the future."""
    contract = contract_file("fire_rescue", "fire_incidents")
    file = max((tiny_city / "landing" / "fire_rescue" / "fire_incidents").iterdir())
    assert cli.main(["contract", "try", str(contract), str(file), "--day", "2000-01-01"]) == 1
    out = capsys.readouterr().out
    assert "delivery day 2000-01-01, as given" in out
    assert "date_in_future" in out
    with pytest.raises(SystemExit):
        cli.main(["contract", "try", str(contract), str(file), "--day", "someday"])
    assert "not a day: 'someday' (YYYY-MM-DD)" in capsys.readouterr().err
