"""The data docs views share compiled templates: the second department's report compiles none,
and every page is what GX's own views render."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from pipelines.lib.quality import views
from pipelines.lib.quality.reports import build_quality_report
from tests.quality.extracts import Extract, good_tables
from tests.quality.test_reports import snapshot


def test_templates_compiled_once_and_pages_as_gx_renders_them(
    tmp_path: Path, contracts, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counting(self, source, name=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return compile_template(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    monkeypatch.setattr(views, "_TEMPLATES", views._InMemoryBytecodeCache())  # none compiled yet
    first = Extract(root=tmp_path / "one", tables=good_tables()).write()
    second = Extract(root=tmp_path / "two", department="health", tables=good_tables()).write()
    build_quality_report(first.folder, first.report, contracts)
    assert compiled  # the first report compiles what it renders
    compiled.clear()
    build_quality_report(second.folder, second.report, contracts)
    assert compiled == []

    ours = snapshot(second.report)
    monkeypatch.setattr(
        views,
        "site_views",
        lambda: {"site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}},
    )
    build_quality_report(second.folder, second.report, contracts)
    assert compiled  # GX's own views compiled their templates again
    assert snapshot(second.report) == ours
