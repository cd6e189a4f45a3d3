"""Benchmark: contract-enforced ingestion against a bare DuckDB CSV-to-Parquet copy of the same files.

The floor reads GB 18030 files as UTF-8 text after a Python transcode, as the
ingestion does: DuckDB's own GB 18030 decoding breaks on characters that
straddle its 64 KiB chunks.

    uv run python benchmarks/bench_ingest.py [--data-dir data] [--repeat 3]

Needs a generated city in the data directory (`safecity generate`). Ingests
every landing file through its contract into a scratch lake (the data
directory's own lake is not touched), then copies the same CSV files with
DuckDB alone (`COPY (SELECT * FROM read_csv(..., all_varchar)) TO parquet`):
the floor. Prints wall time, rows per second and minute, peak RSS, and the
ratio for the CSV feeds (the floor exists only for them) and overall; writes
benchmarks/results/ingest.json. Medians over --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

from pipelines.lib.contracts import contracts_dir, load_feed_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.ingest import ingest_deliveries

RESULTS = Path("benchmarks/results/ingest.json")


def enforced_run(data: DataDir, scratch: Path) -> dict[str, tuple[int, float]]:
    """Ingest every feed into a scratch lake; rows and seconds per feed."""
    lake_view = DataDir(scratch)
    (scratch / "landing").symlink_to(data.landing, target_is_directory=True)
    contracts = load_feed_contracts(contracts_dir())
    connection = connect()
    figures = {}
    for (department, feed), contract in sorted(contracts.items()):
        days = sorted(
            day for p in lake_view.landing_feed(department, feed).iterdir()
            if (day := contract.landing.day_of(p.name)) is not None
        )
        started = time.perf_counter()
        rows = sum(i.result.landed for i in ingest_deliveries(lake_view, contract, days, connection))
        figures[f"{department}/{feed}"] = (rows, time.perf_counter() - started)
    return figures


def floor_run(data: DataDir, scratch: Path) -> dict[str, float]:
    """DuckDB alone: each CSV file read as text and written as Parquet, nothing checked."""
    contracts = load_feed_contracts(contracts_dir())
    connection = connect()
    figures = {}
    for (department, feed), contract in sorted(contracts.items()):
        if contract.landing.format != "csv":
            continue
        started = time.perf_counter()
        for index, path in enumerate(sorted(data.landing_feed(department, feed).iterdir())):
            source = path
            if contract.landing.encoding == "gb18030":
                source = scratch / f"{feed}-{index}.csv"
                source.write_bytes(path.read_bytes().decode("gb18030").encode("utf-8"))
            target = scratch / f"{feed}-{index}.parquet"
            connection.execute(
                "COPY (SELECT * FROM read_csv(?, all_varchar=true, header=true, delim=',', quote='\"')) "
                f"TO '{target}' (FORMAT parquet)",
                [str(source)],
            )
        figures[f"{department}/{feed}"] = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = DataDir(args.data_dir.absolute())
    if not data.landing.is_dir():
        raise SystemExit(f"no landing data in {data.landing}: run `safecity generate --out {data.root}` first")

    enforced_runs, floor_runs = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="safecity-bench-ingest-") as scratch:
            enforced_runs.append(enforced_run(data, Path(scratch)))
        with tempfile.TemporaryDirectory(prefix="safecity-bench-floor-") as scratch:
            floor_runs.append(floor_run(data, Path(scratch)))

    feeds = sorted(enforced_runs[0])
    rows = {f: enforced_runs[0][f][0] for f in feeds}
    enforced = {f: statistics.median(run[f][1] for run in enforced_runs) for f in feeds}
    floor = {f: statistics.median(run[f] for run in floor_runs) for f in floor_runs[0]}
    csv_feeds = sorted(floor)
    total_rows, total_seconds = sum(rows.values()), sum(enforced.values())
    csv_enforced, csv_floor = sum(enforced[f] for f in csv_feeds), sum(floor.values())

    print(f"{'feed':<45} {'rows':>9} {'enforced s':>11} {'floor s':>8} {'ratio':>6}")
    for f in feeds:
        ratio = f"{enforced[f] / floor[f]:.2f}" if f in floor else "-"
        floor_text = f"{floor[f]:.2f}" if f in floor else "-"
        print(f"{f:<45} {rows[f]:>9,} {enforced[f]:>11.2f} {floor_text:>8} {ratio:>6}")
    print(f"\nall feeds: {total_rows:,} rows in {total_seconds:.1f} s = {total_rows / total_seconds * 60:,.0f} rows/min")
    print(f"CSV feeds: enforced {csv_enforced:.1f} s, bare DuckDB copy {csv_floor:.1f} s, ratio {csv_enforced / csv_floor:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MiB; medians of {args.repeat} runs; {os.cpu_count()} cores")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "repeat": args.repeat,
        "rows": rows, "enforced_seconds": enforced, "floor_seconds": floor,
        "rows_per_minute": total_rows / total_seconds * 60,
        "csv_ratio": csv_enforced / csv_floor,
        "peak_rss_mib": peak,
    }, indent=1))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
