"""Great Expectations imported in the background, early in a run, so that its import (some ten
seconds) overlaps the steps before the quality reports (dbt runs as a child process: this process
mostly waits meanwhile) instead of delaying the first report.

Only `safecity run` starts it (pipelines/cli.py); the code location itself never imports GX when
it loads (pipelines/lib/quality/__init__.py). A failed import here changes nothing: the quality
step imports GX itself and reports the error where it belongs.
"""

from __future__ import annotations

import importlib
import threading

from pipelines.lib import settings

# What the quality step imports (pipelines/lib/quality/reports.py, suites.py).
MODULES = (
    "great_expectations",
    "great_expectations.expectations",
    "great_expectations.core.run_identifier",
    "great_expectations.data_context.types.base",
    "pipelines.lib.quality.suites",
)
_started = threading.Event()


def start_importing_great_expectations() -> threading.Thread | None:
    """Start the import in a daemon thread, once per process; None when already started."""
    if _started.is_set():
        return None
    _started.set()
    settings.export_default(settings.GX_ANALYTICS)  # before GX reads it, as reports.py does
    thread = threading.Thread(target=_import, name="import-great-expectations", daemon=True)
    thread.start()
    return thread


def _import() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # the quality step imports it again, and reports what fails
            return
