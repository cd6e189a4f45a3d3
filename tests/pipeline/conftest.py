"""A small landing tree, built in tmp_path, with one missing day and one unknown file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import xlsxwriter

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib.contracts import FeedContract


@dataclass(frozen=True)
class LandingTree:
    root: Path  # the data directory; deliveries are under root/landing
    feeds: dict[str, tuple[list[str], str]]  # "department/feed" -> (delivery days, format)
    unknown_file: str  # relative to root/landing


def build_landing_tree(root: Path) -> LandingTree:
    tree = LandingTree(
        root=root,
        feeds={
            # 2026-03-03 is missing between the first and the last delivery.
            "market_regulation/food_inspections": (["20260301", "20260302", "20260304"], "csv"),
            "traffic_police/traffic_accidents": (["20260301", "20260302"], "jsonl"),
            "fire_rescue/fire_incidents": (["20260302"], "xlsx"),
        },
        unknown_file="traffic_police/traffic_accidents/notes.txt",
    )
    for name, (days, ext) in tree.feeds.items():
        department, feed = name.split("/")
        folder = root / "landing" / department / feed
        folder.mkdir(parents=True)
        for day in days:
            write_quiet_delivery(folder / f"{feed}_{day}.{ext}", FEED_CONTRACTS[(department, feed)])
    (root / "landing" / tree.unknown_file).write_text("not a delivery\n", encoding="utf-8")
    return tree


def write_quiet_delivery(path: Path, contract: FeedContract) -> None:
    """A delivery with no records, in the feed's own format: header only (CSV, XLSX) or empty (JSON lines)."""
    header = [f.source for f in contract.fields]
    if path.suffix == ".csv":
        path.write_bytes(
            (",".join(header) + "\n").encode(
                contract.landing.encoding.replace("utf-8-sig", "utf-8")
            )
        )
    elif path.suffix == ".xlsx":
        workbook = xlsxwriter.Workbook(str(path))
        workbook.add_worksheet(contract.landing.sheet).write_row(0, 0, header)
        workbook.close()
    else:
        path.write_bytes(b"")


@pytest.fixture
def landing_tree(tmp_path: Path) -> LandingTree:
    return build_landing_tree(tmp_path / "data")
