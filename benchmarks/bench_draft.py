"""Benchmark: `contract draft` on every feed of a generated city, against its truth and the hand-written contracts.

    uv run python benchmarks/bench_draft.py --city DIR [--repeat 3]

Each feed is drafted from its largest delivery, as an engineer would run `contract draft`
on a department's first full file: the time (median of --repeat) and rows; what the
draft's dry run on that file quarantines, against ground_truth/ (valid rows quarantined,
which must be none, and planted invalid rows caught); and how the draft differs from the
feed's contract in contracts/feeds/, matched by delivered column: names, types, required,
formats, patterns, enumerations, standards, notAfterDelivery, classification, key and
coordinates. Writes benchmarks/results/draft.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl
from measure import (
    BenchmarkError,
    Measured,
    fmt_mib,
    machine_info,
    main_guard,
    median,
    print_machine,
    print_table,
    require_city,
    write_results,
)

from pipelines.lib.contracts import FeedContract, contracts_dir, load_contract, load_feed_contracts
from pipelines.lib.draft import draft_contract
from pipelines.lib.ingest.read import SOURCE_ROW

ASPECTS = ("names", "types", "required", "formats", "patterns", "enums", "standards", "future")


def largest_delivery(city: Path, department: str, feed: str) -> Path:
    files = list((city / "landing" / department / feed).iterdir())
    if not files:
        raise BenchmarkError(f"no delivery of {department}/{feed} in {city}")
    return max(files, key=lambda p: (p.stat().st_size, p.name))


def differences(hand: FeedContract, drafted: FeedContract) -> dict[str, list[str]]:
    """What the draft says otherwise than the hand-written contract, by delivered column."""
    found: dict[str, list[str]] = {aspect: [] for aspect in (*ASPECTS, "class", "missing")}
    drafted_by_source = {f.source: f for f in drafted.fields}
    for a in hand.fields:
        b = drafted_by_source.get(a.source)
        if b is None:
            found["missing"].append(a.name)
            continue
        checks = {
            "names": a.name != b.name,
            "types": a.logical_type != b.logical_type,
            "required": a.required != b.required,
            "formats": set(a.source_formats) != set(b.source_formats),
            "patterns": (a.pattern or "") != (b.pattern or ""),
            "enums": set(a.enum) != set(b.enum),
            "standards": a.standard != b.standard,
            "future": a.not_after_delivery != b.not_after_delivery,
            "class": a.classification != b.classification,
        }
        for aspect, differs in checks.items():
            if differs:
                found[aspect].append(a.name)
        for sa, sb in zip(a.items, b.items, strict=False):
            for aspect, differs in {
                "patterns": (sa.pattern or "") != (sb.pattern or ""),
                "enums": set(sa.enum) != set(sb.enum),
                "standards": sa.standard != sb.standard,
                "class": sa.classification != sb.classification,
            }.items():
                if differs:
                    found[aspect].append(f"{a.name}.{sa.name}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--city", type=Path, required=True, help="a generated city's data directory"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    require_city(args.city)
    machine = machine_info()
    print_machine(machine)
    hand = load_feed_contracts(contracts_dir())
    truth_dir = args.city / "ground_truth" / "records"
    results, rows = [], []
    with tempfile.TemporaryDirectory(prefix="safecity-bench-draft-") as scratch:
        for (department, feed), contract in sorted(hand.items()):
            sample = largest_delivery(args.city, department, feed)
            seconds = []
            for _ in range(args.repeat):
                with Measured() as measured:
                    draft = draft_contract(sample, department, feed)
                seconds.append(measured.seconds)
            path = Path(scratch) / "feeds" / department / f"{feed}.odcs.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(draft.text, encoding="utf-8")
            drafted = load_contract(path)
            quarantined = draft.check.result.quarantine.select(
                pl.col(SOURCE_ROW).alias("row_number"), "rule"
            )
            false_alarms = caught = planted = None
            truth_file = truth_dir / department / feed / f"{sample.stem}.parquet"
            if truth_file.exists():
                judged = pl.read_parquet(truth_file).join(quarantined, on="row_number", how="left")
                invalid = pl.col("invalid_rule").is_not_null()
                false_alarms = judged.filter(~invalid & pl.col("rule").is_not_null()).height
                planted = judged.filter(invalid).height
                caught = judged.filter(invalid & pl.col("rule").is_not_null()).height
            found = differences(contract, drafted)
            result = {
                "feed": f"{department}/{feed}",
                "sample": sample.name,
                "rows": draft.check.landed,
                "bytes": sample.stat().st_size,
                "seconds": median(seconds),
                "peak_rss_mib": measured.peak_rss_mib,
                "quarantined": draft.check.quarantined,
                "valid_rows_quarantined": false_alarms,
                "planted": planted,
                "planted_caught": caught,
                "key": {"hand": list(contract.key), "draft": list(drafted.key)},
                "coordinates": {
                    "hand": contract.coordinates.system if contract.coordinates else None,
                    "draft": drafted.coordinates.system if drafted.coordinates else None,
                },
                "differences": found,
            }
            results.append(result)
            rows.append(
                [
                    result["feed"],
                    f"{result['rows']:,}",
                    f"{result['seconds']:.2f}",
                    "-" if false_alarms is None else false_alarms,
                    "-" if planted is None else f"{caught}/{planted}",
                    "same" if contract.key == drafted.key else ",".join(drafted.key) or "none",
                    "same"
                    if result["coordinates"]["hand"] == result["coordinates"]["draft"]
                    else result["coordinates"]["draft"] or "none",
                    *[len(found[aspect]) for aspect in ASPECTS],
                ]
            )
    print_table(
        ["feed", "rows", "s", "valid q.", "planted", "key", "coords", *ASPECTS],
        rows,
    )
    slowest = max(results, key=lambda r: r["seconds"])
    print(
        f"slowest: {slowest['feed']} ({slowest['rows']:,} rows) in {slowest['seconds']:.2f}s, "
        f"peak {fmt_mib(slowest['peak_rss_mib'])}"
    )
    write_results("draft", {"city": str(args.city), "feeds": results, "at": time.time()}, machine)


if __name__ == "__main__":
    main_guard(main)
