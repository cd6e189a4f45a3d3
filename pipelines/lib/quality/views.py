"""GX's data docs views, with their Jinja templates compiled once per process rather than per page.

Each GX view makes its own Jinja environment, and each environment compiles the templates it
renders: building one department's data docs compiled some 50 templates, again for every
department (about 30% of a quality report's time once its validations are kept). These views are
GX's own, given one in-memory bytecode cache shared by every environment: a template compiled for
one page is loaded, not compiled, for the next. What they render is unchanged (the same Jinja
code runs).

The quality reports' data context names them in its site configuration (reports.py `_context`).
"""

from __future__ import annotations

import threading
from typing import Any

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class _InMemoryBytecodeCache(BytecodeCache):
    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        # The bucket's key covers the template's name and the checksum of its source.
        with self._lock:
            compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._compiled[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _InMemoryBytecodeCache()


class PageView(DefaultJinjaPageView):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _TEMPLATES


class IndexPageView(DefaultJinjaIndexPageView):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _TEMPLATES


def site_views() -> dict[str, Any]:
    """The data docs site's configuration naming these views for every page it builds."""
    page = {"module_name": __name__, "class_name": PageView.__name__}
    index = {"module_name": __name__, "class_name": IndexPageView.__name__}
    return {
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "view": index},
        "site_section_builders": {
            section: {"view": page} for section in ("expectations", "validations", "profiling")
        },
    }
