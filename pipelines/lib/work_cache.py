"""Files in the data directory that only save work: what a stage found the last time, so it
need not find it again (the CAP alerts built and checked, the lake files the scorecard counted).

A cache is only ever a shortcut. Each file names what made its entries (`made_by`: the code
and settings they depend on, as a digest); a file that is missing, damaged or made by
something else is no cache, and the stage does everything. Deleting one is always safe.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelines.lib.atomic import write_text_atomic


def read_cache(path: Path | None, made_by: str) -> dict[str, Any]:
    """The entries `made_by` wrote to `path`; none otherwise."""
    if path is None or not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    if not isinstance(document, dict) or document.get("made_by") != made_by:
        return {}
    entries = document.get("entries")
    return entries if isinstance(entries, dict) else {}


def write_cache(path: Path, made_by: str, entries: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps({"made_by": made_by, "entries": entries}) + "\n")
