"""What every benchmark measures the same way: wall time, peak memory of a process tree,
the machine it ran on, and results written as JSON so runs can be compared.

The benchmark scripts import this module by name (`from measure import ...`): Python puts
the script's own folder, `benchmarks/`, first on the import path.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Self

import psutil  # in the lock through ipython (dev group); the benchmarks run in the dev environment

from pipelines.lib import settings

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SAMPLE_SECONDS = 0.2
MIB = 2**20

# Extracts need a pseudonym key (pipelines/lib/publish/pseudonym.py), and ingesting identity
# numbers a key for their hash (pipelines/lib/ingest/identity_hash.py). Benchmarks run on the
# generated sample city only, so they use the Makefile's development keys unless one is set.
DEVELOPMENT_KEYS = {
    settings.PSEUDONYM_KEY: "safecity-development-pseudonym-key-NOT-A-SECRET",
    settings.IDENTITY_HASH_KEY: "safecity-development-identity-hash-key-NOT-A-SECRET",
}


def with_development_keys(env: dict[str, str]) -> dict[str, str]:
    """`env` with the development keys where it has none (the environment of a run started)."""
    for item, key in DEVELOPMENT_KEYS.items():
        if not env.get(item.name):
            env[item.name] = key
    return env


# Written into a scratch folder the harness owns: it deletes only folders that carry it.
_SCRATCH_MARK = ".safecity-bench-scratch"


class BenchmarkError(Exception):
    """Bad input or a failed step: printed as one line by `main_guard`, no traceback."""


def main_guard(main) -> None:
    """Run a benchmark's main(), turning a BenchmarkError into one line and exit status 1."""
    # A lake elsewhere (s3://, pipelines/lib/storage.py) would be written by the benchmark's runs
    # and would measure the network: the benchmarks use their scratch data directory's own lake.
    if settings.is_set(settings.LAKE_ROOT):
        settings.unset(settings.LAKE_ROOT)
        print(
            "note: SAFECITY_LAKE_ROOT is ignored: benchmarks use the local lake of their scratch data directory"
        )
    # Benchmarks that ingest or publish in this process read the keys from its environment.
    for item, key in DEVELOPMENT_KEYS.items():
        if not settings.is_set(item):
            settings.export(item, key)
    try:
        main()
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


class RssSampler:
    """Resident memory of a process and all its descendants, sampled every 0.2 s in a thread.

    The pipeline runs dbt as child processes, so the peak that matters is the tree's. RSS is
    summed over the processes: pages they share count more than once, so the figure is an
    upper bound, which is the safe side for a memory target. Samples carry wall-clock times
    (time.time(), as Dagster's event log does) so a stage's peak is read off its interval.
    """

    def __init__(self, pid: int | None = None, interval: float = SAMPLE_SECONDS) -> None:
        self.root = psutil.Process(pid if pid is not None else os.getpid())
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> Self:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        total = 0
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:  # the root has exited
            return
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.Error:  # a child that exited between listing and reading
                continue
        self.samples.append((time.time(), total))

    def peak_mib(self, start: float | None = None, end: float | None = None) -> float:
        """Peak in MiB over [start, end] (wall-clock); a span shorter than one sample interval
        takes the sample nearest its start, so short steps still get a figure."""
        if not self.samples:
            return 0.0
        lo = start if start is not None else float("-inf")
        hi = end if end is not None else float("inf")
        inside = [rss for t, rss in self.samples if lo <= t <= hi]
        if not inside:
            inside = [min(self.samples, key=lambda s: abs(s[0] - lo))[1]]
        return max(inside) / MIB


class Measured:
    """Wall time and peak RSS (this process and its children) of a `with` block."""

    def __enter__(self) -> Self:
        self._sampler = RssSampler().__enter__()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._started
        self._sampler.__exit__()
        self.peak_rss_mib = self._sampler.peak_mib()


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def duckdb_limits() -> dict[str, object]:
    """The limits every DuckDB connection of the pipeline takes (and dbt's profile, from the same
    variables): the environment as set, and what DuckDB made of it."""
    from pipelines.lib.duckdb_connection import connect

    connection = connect()
    try:
        memory_limit, threads = connection.execute(
            "select current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()
    finally:
        connection.close()
    return {
        # As set (None: unset, so the default applies).
        **{
            item.name: settings.value(item) if settings.is_set(item) else None
            for item in (settings.DUCKDB_MEMORY_LIMIT, settings.DUCKDB_THREADS)
        },
        "memory_limit": memory_limit,
        "threads": threads,
    }


def limits_line(limits: dict[str, object]) -> str:
    def source(name: str) -> str:
        return f"{name}={limits[name]}" if limits[name] is not None else f"{name} unset, default"

    return (
        f"DuckDB limits in force: memory_limit {limits['memory_limit']} "
        f"({source('SAFECITY_DUCKDB_MEMORY_LIMIT')}), threads {limits['threads']} "
        f"({source('SAFECITY_DUCKDB_THREADS')})"
    )


def machine_info() -> dict[str, object]:
    """What a run's figures depend on, so two result files can be compared."""

    def version(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        # Uncommitted changes make the commit an approximation of the code that ran.
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        # Other work on the machine skews every figure: a load well above 0 marks a noisy run.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            p: version(p)
            for p in (
                "duckdb",
                "polars",
                "dagster",
                "dagster-dbt",
                "dbt-core",
                "dbt-duckdb",
                "splink",
            )
        },
        "duckdb_limits": duckdb_limits(),
    }


def print_machine(machine: dict[str, object]) -> None:
    print(
        f"{machine['cores']} cores, {machine['memory_gib']} GiB, Python {machine['python']}, "
        f"DuckDB {machine['versions']['duckdb']}, commit {str(machine['git_commit'])[:10]}"
        f"{' (uncommitted changes)' if machine['git_dirty'] else ''}, load average {machine['load_average_1_5_15'][0]}"
    )
    print(limits_line(machine["duckdb_limits"]))


def city_label(data_dir: Path) -> str:
    """`small seed 42 city 5101`: the sample city a data directory holds, from its manifest."""
    manifest = json.loads((data_dir / "ground_truth" / "manifest.json").read_text("utf-8"))
    return f"{manifest['scale']['name']} seed {manifest['seed']} city {manifest['city_code']}"


def write_results(name: str, payload: dict[str, object], machine: dict[str, object]) -> Path:
    """benchmarks/results/<name>.json (not committed): the last run of each benchmark."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine, **payload}, indent=1, ensure_ascii=False))
    print(f"written to {path}")
    return path


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Text left-aligned, numbers right-aligned; floats as given (format them before)."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    print(
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    )
    for row in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def fmt_mib(mib: float) -> str:
    return f"{mib / 1024:.2f} GiB" if mib >= 1024 else f"{mib:.0f} MiB"


def safecity_command() -> Path:
    """The `safecity` command of this virtual environment, which the benchmarks run as a user does."""
    command = Path(sys.executable).with_name("safecity")
    if not command.exists():
        raise BenchmarkError(f"no `safecity` command beside {sys.executable}: run `make install`")
    return command


def require_city(root: Path) -> None:
    """A generated city: landing files to run on."""
    landing = root / "landing"
    if not landing.is_dir() or not any(p.is_file() for p in landing.rglob("*")):
        raise BenchmarkError(
            f"no generated city in {root} (no landing files): "
            f"run `uv run safecity generate --scale large --out {root}` first"
        )


def require_built(root: Path) -> None:
    """A data directory the pipeline has run on: bronze lake and warehouse."""
    if not (root / "warehouse.duckdb").is_file() or not (root / "lake" / "bronze").is_dir():
        raise BenchmarkError(
            f"no built warehouse in {root}: run `uv run safecity run --data-dir {root}` first"
        )


def fresh_scratch(path: Path) -> Path:
    """An empty folder at `path`, removing what an earlier benchmark left there. A folder the
    harness did not create (no mark inside) is never removed: a mistyped --scratch must not
    delete someone's data."""
    path = path.absolute()
    if path.exists():
        if not (path / _SCRATCH_MARK).exists() and any(path.iterdir()):
            raise BenchmarkError(
                f"{path} exists and is not a benchmark scratch folder: choose another --scratch"
            )
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / _SCRATCH_MARK).write_text("made by benchmarks/; deleted by the next benchmark run\n")
    return path


def link_into(scratch: Path, source: Path, names: Iterable[str]) -> None:
    """Symlink `source/<name>` into `scratch` for each that exists: inputs are read, never copied
    or written, so the original stays untouched and gigabytes are not duplicated."""
    for name in names:
        if (source / name).exists():
            (scratch / name).symlink_to((source / name).absolute(), target_is_directory=True)
