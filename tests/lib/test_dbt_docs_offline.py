"""Publishing the dbt docs site: remote loaders found and emptied, links left alone, the folder
replaced whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.lib.dbt_docs import (
    DocsNotGeneratedError,
    external_fetches,
    publish_dbt_docs,
    site_made_from,
    without_external_fetches,
)

PAGE = """<html><head>
<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">
<script src="//cdn.example.com/lib.js"></script>
<style>@import url("https://cdn.example.com/theme.css"); .x { background: url('https://img.example.com/a.png') }
.icon { src: url("../fonts/arrows.woff") }</style>
</head><body>
<a href="https://docs.getdbt.com/docs/introduction">dbt docs</a>
<img src="img/logo.png">
<script>
var i=document.createElement("script");i.async=1,i.src="//tracker.example.com/sp.js";
var a=document.createElement("a");a.href="http://[::1]";
fetch("https://collector.example.com/beacon");
var manifest = "MANIFEST";
</script>
</body></html>"""

REMOTE = [
    "https://fonts.googleapis.com/css?family=Roboto",
    "//cdn.example.com/lib.js",
    "https://cdn.example.com/theme.css",
    "https://img.example.com/a.png",
    "//tracker.example.com/sp.js",
    "https://collector.example.com/beacon",
]


def test_every_remote_fetch_is_found_and_nothing_else() -> None:
    # Clicked links, relative files and a script setting an anchor's href load nothing by themselves.
    assert external_fetches(PAGE) == REMOTE


def test_remote_fetches_are_emptied_and_the_rest_kept() -> None:
    html, removed = without_external_fetches(PAGE)
    assert removed == REMOTE
    assert external_fetches(html) == []
    assert not any(url in html for url in REMOTE)
    for kept in (
        'href="https://docs.getdbt.com/docs/introduction"',
        "../fonts/arrows.woff",
        'a.href="http://[::1]"',
    ):
        assert kept in html
    assert '<script src=""></script>' in html and 'i.src=""' in html


def _docs_target(folder: Path, page: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "static_index.html").write_text(page, encoding="utf-8")
    manifest = {
        "nodes": {"model.p.a": {"resource_type": "model"}, "test.p.t": {"resource_type": "test"}}
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "catalog.json").write_text(json.dumps({"nodes": {"model.p.a": {}}}), encoding="utf-8")
    return folder


def test_publish_writes_the_offline_page_and_its_artefacts_in_place_of_the_old_site(
    tmp_path,
) -> None:
    target = _docs_target(tmp_path / "dbt_target" / "docs", PAGE)
    site_dir = tmp_path / "reports" / "dbt_docs"
    site_dir.mkdir(parents=True)
    (site_dir / "stale.html").write_text("an earlier site's page", encoding="utf-8")

    site = publish_dbt_docs(target, site_dir, "inputs-1")

    assert sorted(p.name for p in site_dir.iterdir()) == [
        "catalog.json",
        "made_from.json",
        "manifest.json",
        "static_index.html",
    ]
    assert external_fetches(site.page.read_text(encoding="utf-8")) == []
    assert (site.models, site.catalogued, site.removed_loaders) == (1, 1, tuple(REMOTE))
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "dbt_docs"
    ]  # no temporary left


def test_publish_without_a_generated_page_says_what_to_run(tmp_path) -> None:
    with pytest.raises(DocsNotGeneratedError, match="dbt docs generate --static"):
        publish_dbt_docs(tmp_path / "missing", tmp_path / "reports" / "dbt_docs", "inputs")
    assert not (tmp_path / "reports").exists()


def test_a_site_is_kept_only_for_the_inputs_it_was_made_from(tmp_path) -> None:
    target = _docs_target(tmp_path / "dbt_target" / "docs", PAGE)
    site_dir = tmp_path / "reports" / "dbt_docs"
    assert site_made_from(site_dir, "inputs-1") is None  # nothing published yet

    published = publish_dbt_docs(target, site_dir, "inputs-1")

    assert site_made_from(site_dir, "inputs-1") == published
    assert site_made_from(site_dir, "inputs-2") is None
    (site_dir / "catalog.json").write_text("{", encoding="utf-8")
    assert site_made_from(site_dir, "inputs-1") is None  # a damaged site is made again
    (site_dir / "catalog.json").unlink()
    assert site_made_from(site_dir, "inputs-1") is None
    (site_dir / "static_index.html").unlink()
    assert site_made_from(site_dir, "inputs-1") is None  # a site without its page is made again
