"""Import, while dbt runs in its own process, the slow library a later step of the run needs.

`safecity run` executes a phase's steps one after another in its own process
(pipelines/runner.py). Great Expectations takes some 3 s to import on 2 cores, and the first
quality report paid that before validating anything. Meanwhile a dbt step leaves this process
idle: dbt parses and builds in a process of its own, on the other core, and this one only
reads its output. A dbt step therefore imports the library right after starting dbt and
before reading it; dbt's output waits in the pipe meanwhile.

The import is done in the step's own thread, never in a background thread: a module half
imported by another thread is visible to this one (a thread importing Great Expectations while
Dagster queried its SQLite storage broke SQLAlchemy mid-import, and the run with it).
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from collections.abc import Iterable

from pipelines.lib import settings

# The asset kinds whose steps import a library slow to import, and the library.
SLOW_IMPORTS_BY_KIND = {"great_expectations": "great_expectations"}

_log = logging.getLogger(__name__)


def import_for_kinds(kinds: Iterable[str]) -> list[tuple[str, float]]:
    """Import the slow libraries the assets of `kinds` need, not imported yet; each one's
    seconds. A failed import is left to fail again, with its error, in the step that needs it."""
    settings.export_default(settings.GX_ANALYTICS)  # read by Great Expectations when imported
    imported = []
    for kind in sorted(set(kinds) & SLOW_IMPORTS_BY_KIND.keys()):
        module = SLOW_IMPORTS_BY_KIND[kind]
        if module in sys.modules:
            continue
        started = time.perf_counter()
        try:
            importlib.import_module(module)
        except Exception as error:  # the step that needs it reports it
            _log.debug("importing %s ahead failed: %s", module, error)
            continue
        imported.append((module, time.perf_counter() - started))
    return imported
