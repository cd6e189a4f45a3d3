"""Shared fixtures: a tiny sample city, generated once per test session, a reader for its deliveries, and the same
city built by `safecity run` (for the warehouse and notebook tests)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from pipelines.lib.city_profile import load_city_profile
from pipelines.lib.contracts import FeedContracts, load_feed_contracts
from pipelines.sample_city.generate import generate_city

# The lake and extracts in moto's S3: one server per test process, and tests taking `storage`
# run [local] and [s3] (tests/object_storage.py).
from tests.object_storage import s3_server, storage  # noqa: F401 - fixtures, found by their names

TINY_SEED = 42
OTHER_CITY, OTHER_SEED = "3303", 7  # 温州市, the second city the suite builds

# Extracts name persons by a keyed pseudonym (pipelines/lib/publish/pseudonym.py), and
# ingestion hashes identity numbers with a key (pipelines/lib/ingest/identity_hash.py); every
# `safecity run` the tests start inherits these development keys, which are no secrets.
os.environ.setdefault("SAFECITY_PSEUDONYM_KEY", "safecity-tests-pseudonym-key-NOT-A-SECRET")
IDENTITY_HASH_KEY = os.environ.setdefault(
    "SAFECITY_IDENTITY_HASH_KEY", "safecity-tests-identity-hash-key-NOT-A-SECRET"
)


@pytest.fixture(scope="session")
def tiny_city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny_city")
    generate_city(out, scale="tiny", seed=TINY_SEED)
    return out


def safecity_run(data: Path, home: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return safecity(home, "run", "--data-dir", str(data), *options)


@pytest.fixture(scope="session")
def built_city(tiny_city, tmp_path_factory) -> Path:
    """The tiny city ingested and built into the warehouse and its analytics copy, once per session."""
    root = tmp_path_factory.mktemp("warehouse") / "city"
    shutil.copytree(tiny_city, root)
    result = safecity_run(root, root.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def safecity(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`safecity ARGS` as a user runs it: a process of its own, with its own home."""
    env = {**os.environ, "HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="session")
def other_built_city(tmp_path_factory) -> Path:
    """Another real city on another seed (Wenzhou, seed 7), made by the README's two steps,
    `safecity generate` then `safecity run`, once per session: nothing may hold only for Chengdu
    or for seed 42. Its sub-daily feeds (traffic detectors, telemetry) are delivered as their
    IoT platforms push them, a file per 5-minute window (`--windows`), where the Chengdu city
    has a file a day: both deliveries go from landing to alert. The steps' output is in
    `<root>/../safecity-generate.out` and `safecity-run.out`."""
    root = tmp_path_factory.mktemp("other_city") / "city"
    city = ["--scale", "tiny", "--seed", str(OTHER_SEED), "--city", OTHER_CITY]
    for step, args in (
        ("generate", [*city, "--windows", "--out"]),
        ("run", ["--data-dir"]),
    ):
        result = safecity(root.parent, step, *args, str(root))
        output = result.stdout + result.stderr
        (root.parent / f"safecity-{step}.out").write_text(output, encoding="utf-8")
        assert result.returncode == 0, output
    return root


@cache
def _repository_contracts() -> FeedContracts:
    """The repository's feed contracts: the sample city delivers each feed as its contract says."""
    return load_feed_contracts(Path(__file__).resolve().parents[1] / "contracts")


class City:
    """Read a generated city the way the tests need it: files as text, truth as tables."""

    def __init__(self, root: Path):
        self.root = root
        self.profile = load_city_profile(root / "city.yaml")  # the city it was generated on
        self.truth = root / "ground_truth"
        self.manifest = json.loads((self.truth / "manifest.json").read_text(encoding="utf-8"))
        self._renames = {}
        for entry in json.loads((self.truth / "drift.json").read_text(encoding="utf-8")):
            if entry["change"].startswith("rename "):
                old, new = entry["change"].removeprefix("rename ").split(" -> ")
                self._renames[entry["file"]] = {new: old}

    def files(self, department: str, feed: str) -> list[Path]:
        return sorted((self.root / "landing" / department / feed).iterdir())

    def read(self, path: Path, raw: bool = False) -> pl.DataFrame:
        """One delivered file, every value as text, drifted column names put back, plus its row numbers."""
        relative = path.relative_to(self.root).as_posix()
        department, feed = path.parts[-3], path.parts[-2]
        if path.suffix == ".csv":
            encoding = _repository_contracts()[(department, feed)].landing.encoding
            frame = pl.read_csv(
                path.read_bytes().decode(encoding).encode("utf-8"),
                infer_schema=False,
            )
        elif path.suffix == ".jsonl":
            # a quiet day of a JSON lines feed is an empty file
            frame = pl.read_ndjson(path) if path.stat().st_size else pl.DataFrame()
        else:
            frame = pl.read_excel(path, engine="calamine", infer_schema_length=0)
        if raw:
            return frame
        frame = frame.rename(self._renames.get(relative, {}))
        return frame.with_columns(
            pl.lit(relative).alias("file"), pl.int_range(1, pl.len() + 1).alias("row_number")
        )

    def feed(self, department: str, feed: str) -> pl.DataFrame:
        return pl.concat(
            [self.read(p) for p in self.files(department, feed)], how="diagonal_relaxed"
        )

    def records(self, department: str | None = None, feed: str | None = None) -> pl.DataFrame:
        return pl.read_parquet(self._glob("records", department, feed))

    def links(self, department: str | None = None, feed: str | None = None) -> pl.DataFrame:
        return pl.read_parquet(self._glob("links", department, feed))

    def table(self, name: str) -> pl.DataFrame:
        return pl.read_parquet(self.truth / f"{name}.parquet")

    def _glob(self, kind: str, department: str | None, feed: str | None) -> str:
        return str(self.truth / kind / (department or "*") / (feed or "*") / "*.parquet")

    def with_truth(self, department: str, feed: str) -> pl.DataFrame:
        """Delivered rows joined to the truth about them (rule broken, noise)."""
        return self.feed(department, feed).join(
            self.records(department, feed), on=["file", "row_number"], how="inner", validate="1:1"
        )


@pytest.fixture(scope="session")
def city(tiny_city) -> City:
    return City(tiny_city)
