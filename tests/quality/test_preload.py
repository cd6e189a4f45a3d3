"""`safecity run` imports Great Expectations in a background thread as the run starts, so that the
import overlaps the steps before the quality reports; once per process, and never when the code
location merely loads."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import pipelines.definitions  # the code location loads: no GX
assert "great_expectations" not in sys.modules
from pipelines.lib.quality.preload import start_importing_great_expectations
thread = start_importing_great_expectations()
assert thread is not None and thread.daemon
assert start_importing_great_expectations() is None  # once per process
thread.join(timeout=240)
assert not thread.is_alive()
import pipelines.lib.quality.suites  # already imported: immediate
assert "great_expectations" in sys.modules
print("ok")
"""


def test_great_expectations_is_imported_once_in_the_background() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
