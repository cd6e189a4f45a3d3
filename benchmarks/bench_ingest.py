"""Benchmark: contract-enforced ingestion against a bare DuckDB CSV-to-Parquet copy of the same files.

The floor reads GB 18030 files as UTF-8 text after a Python transcode, as the
ingestion does: DuckDB's own GB 18030 decoding breaks on characters that
straddle its 64 KiB chunks.

    uv run python benchmarks/bench_ingest.py [--data-dir data] [--repeat 3]

Needs a generated city in the data directory (`safecity generate`). Ingests
every landing file through its contract into a scratch lake (the data
directory's own lake is not touched), then copies the same CSV files with
DuckDB alone (`COPY (SELECT * FROM read_csv(..., all_varchar)) TO parquet`):
the floor. Prints wall time, rows per second and minute, peak RSS of each, and
the ratio for the CSV feeds (the floor exists only for them) and overall;
writes benchmarks/results/ingest.json. Medians over --repeat runs.

This is ingestion as a library call, without Dagster; `bench_pipeline.py`
measures it inside `safecity run` against the same floor.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from measure import (
    Measured,
    fmt_mib,
    machine_info,
    main_guard,
    median,
    print_machine,
    require_city,
    write_results,
)

from pipelines.lib.contracts import contracts_dir, load_feed_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.ingest import ingest_deliveries


def enforced_run(data: DataDir, scratch: Path) -> dict[str, tuple[int, float]]:
    """Ingest every feed into a scratch lake; rows and seconds per feed."""
    lake_view = DataDir(scratch)
    (scratch / "landing").symlink_to(data.landing, target_is_directory=True)
    contracts = load_feed_contracts(contracts_dir())
    connection = connect()
    figures = {}
    for (department, feed), contract in sorted(contracts.items()):
        days = sorted(
            day
            for p in lake_view.landing_feed(department, feed).iterdir()
            if (day := contract.landing.day_of(p.name)) is not None
        )
        started = time.perf_counter()
        rows = sum(
            i.result.landed for i in ingest_deliveries(lake_view, contract, days, connection)
        )
        figures[f"{department}/{feed}"] = (rows, time.perf_counter() - started)
    return figures


def floor_run(data: DataDir, scratch: Path) -> dict[str, float]:
    """DuckDB alone: each CSV file read as text and written as Parquet, nothing checked.
    Seconds per CSV feed (the keys are the feeds that have a floor)."""
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


def measured_floor(data: DataDir) -> tuple[dict[str, float], float]:
    """One floor run in a temporary folder: seconds per CSV feed, and peak RSS in MiB."""
    with (
        tempfile.TemporaryDirectory(prefix="safecity-bench-floor-") as scratch,
        Measured() as measured,
    ):
        figures = floor_run(data, Path(scratch))
    return figures, measured.peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = DataDir(args.data_dir.absolute())
    require_city(data.root)
    machine = machine_info()
    print(f"ingestion of {data.root}, medians of {args.repeat} runs")
    print_machine(machine)

    enforced_runs, floor_runs, enforced_peaks, floor_peaks = [], [], [], []
    for _ in range(args.repeat):
        with (
            tempfile.TemporaryDirectory(prefix="safecity-bench-ingest-") as scratch,
            Measured() as measured,
        ):
            enforced_runs.append(enforced_run(data, Path(scratch)))
        enforced_peaks.append(measured.peak_rss_mib)
        figures, peak = measured_floor(data)
        floor_runs.append(figures)
        floor_peaks.append(peak)

    feeds = sorted(enforced_runs[0])
    rows = {f: enforced_runs[0][f][0] for f in feeds}
    enforced = {f: median(run[f][1] for run in enforced_runs) for f in feeds}
    floor = {f: median(run[f] for run in floor_runs) for f in floor_runs[0]}
    csv_feeds = sorted(floor)
    total_rows = sum(rows.values())
    total_seconds = median(sum(run[f][1] for f in feeds) for run in enforced_runs)
    csv_enforced = median(sum(run[f][1] for f in csv_feeds) for run in enforced_runs)
    csv_floor = median(sum(run.values()) for run in floor_runs)
    enforced_peak, floor_peak = median(enforced_peaks), median(floor_peaks)

    print(f"{'feed':<45} {'rows':>10} {'enforced s':>11} {'floor s':>8} {'ratio':>6}")
    for f in feeds:
        ratio = f"{enforced[f] / floor[f]:.2f}" if f in floor else "-"
        floor_text = f"{floor[f]:.2f}" if f in floor else "-"
        print(f"{f:<45} {rows[f]:>10,} {enforced[f]:>11.2f} {floor_text:>8} {ratio:>6}")
    print(
        f"\nall feeds: {total_rows:,} rows in {total_seconds:.1f} s = {total_rows / total_seconds:,.0f} rows/s, "
        f"{total_rows / total_seconds * 60:,.0f} rows/min; peak RSS {fmt_mib(enforced_peak)}"
    )
    print(
        f"CSV feeds: enforced {csv_enforced:.1f} s, bare DuckDB copy {csv_floor:.1f} s "
        f"(peak RSS {fmt_mib(floor_peak)}), ratio {csv_enforced / csv_floor:.2f} (target: 2 or less)"
    )

    write_results(
        "ingest",
        {
            "data_dir": str(data.root),
            "repeat": args.repeat,
            "rows": rows,
            "enforced_seconds": enforced,
            "floor_seconds": floor,
            "total_rows": total_rows,
            "total_seconds": total_seconds,
            "rows_per_second": total_rows / total_seconds,
            "rows_per_minute": total_rows / total_seconds * 60,
            "csv_enforced_seconds": csv_enforced,
            "csv_floor_seconds": csv_floor,
            "csv_ratio": csv_enforced / csv_floor,
            "peak_rss_mib": enforced_peak,
            "floor_peak_rss_mib": floor_peak,
            "all_runs": {
                "enforced_seconds": [sum(run[f][1] for f in feeds) for run in enforced_runs],
                "floor_seconds": [sum(run.values()) for run in floor_runs],
            },
        },
        machine,
    )


if __name__ == "__main__":
    main_guard(main)
