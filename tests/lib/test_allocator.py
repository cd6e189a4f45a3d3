"""polars' allocator keeps freed pages a while (pipelines/__init__.py): set before polars loads."""

from __future__ import annotations

import os
import subprocess
import sys

OURS = "dirty_decay_ms:10000,muzzy_decay_ms:0"


def _setting_polars_loaded_with(environment: dict[str, str]) -> str:
    """`_RJEM_MALLOC_CONF` once polars is loaded by safecity's code: polars puts its own settings
    first and what it found in the environment after them (the last of an option wins)."""
    probe = "import os, pipelines.lib.ingest.ingest; print(os.environ['_RJEM_MALLOC_CONF'])"
    return subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=environment
    ).stdout.strip()


def test_pipelines_sets_the_allocator_before_polars_loads() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    setting = _setting_polars_loaded_with(environment)
    assert setting.startswith("dirty_decay_ms:500,")  # polars' own, which ours follows
    assert setting.endswith("," + OURS)


def test_a_setting_in_the_environment_wins() -> None:
    environment = {**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:0"}
    setting = _setting_polars_loaded_with(environment)
    assert setting.endswith(",dirty_decay_ms:0")
    assert OURS not in setting
