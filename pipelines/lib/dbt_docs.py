"""The dbt docs site, published with the reports and readable offline.

    site = publish_dbt_docs(docs_target, paths.dbt_docs)

`dbt docs generate --static` writes `static_index.html`, one page with the manifest and
the catalog inside it. dbt's page loads nothing from the network unless usage tracking is
on (then a Snowplow script from a CDN); the project turns tracking off, and the published
copy has every remote loader emptied all the same (docs/architecture.md, No network at run time: pages a person opens carry their
scripts and styles; a style or font left out offline would only change how the page looks).

The published folder, replaced as a whole (a reader sees the previous site or the new one):

- `static_index.html`: the site, self-contained (open it from the file system);
- `manifest.json`, `catalog.json`: what it was made from, for tools;
- `made_from.json`: a digest of the inputs, so a run whose dbt project, code and published
  columns are those of the site's skips dbt's docs process (`site_made_from`).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.lib import run_state
from pipelines.lib.atomic import replace_dir

STATIC_PAGE = "static_index.html"
ARTEFACTS = ("manifest.json", "catalog.json")
MADE_FROM = "made_from.json"

# What a browser fetches by itself when it opens the page: an element's source (a script, a
# style sheet, an image, a frame), a source a script sets, a style sheet's url() or @import,
# and a fetch(). Links a reader may click (<a href>, a script setting an anchor's href) are not
# fetched. A remote address is absolute (http://, https://) or protocol-relative (//host/...).
_REMOTE = r"(?:https?:)?//[^\s\"'()<>\\]+"
_FETCHES = (
    re.compile(
        r"<(?:script|link|img|iframe|frame|source|embed|object|audio|video|track|input)\b[^>]*?"
        rf"\b(?:src|href|data|srcset|poster)\s*=\s*\\?[\"']?({_REMOTE})",
        re.IGNORECASE,
    ),
    re.compile(rf"\.src\s*=\s*[\"']({_REMOTE})[\"']"),
    re.compile(rf"url\(\s*\\?[\"']?({_REMOTE})", re.IGNORECASE),
    re.compile(rf"@import\s+(?:url\()?\s*\\?[\"']?({_REMOTE})", re.IGNORECASE),
    re.compile(rf"\bfetch\(\s*[\"']({_REMOTE})[\"']"),
)


class DocsNotGeneratedError(FileNotFoundError):
    """dbt wrote no static docs page where it was asked to."""


@dataclass(frozen=True)
class DocsSite:
    folder: Path
    models: int
    catalogued: int  # relations the catalog has columns and types for
    removed_loaders: tuple[str, ...]  # remote addresses taken out of dbt's page

    @property
    def page(self) -> Path:
        return self.folder / STATIC_PAGE


def external_fetches(html: str) -> list[str]:
    """Every remote address the page would fetch by itself when opened, in order of appearance."""
    # By position: `@import url(...)` is both an import and a url().
    found = {m.start(1): m.group(1) for pattern in _FETCHES for m in pattern.finditer(html)}
    return [found[position] for position in sorted(found)]


def without_external_fetches(html: str) -> tuple[str, list[str]]:
    """The page with every remote fetch address emptied (a script or style with no source
    loads nothing), and the addresses removed."""
    removed = external_fetches(html)
    for pattern in _FETCHES:
        html = pattern.sub(lambda m: m.group(0).replace(m.group(1), ""), html)
    return html, removed


def docs_inputs(analytics: Path) -> str:
    """What the site shows, as one digest: the dbt project (descriptions, lineage), the code and
    library versions, and the columns of the analytics copy (the catalog)."""
    with duckdb.connect(str(analytics), read_only=True) as connection:
        columns = connection.execute(
            "select table_schema, table_name, column_name, data_type, ordinal_position "
            "from information_schema.columns where table_catalog = current_database() order by all"
        ).fetchall()
    digest = hashlib.sha256()
    for part in (run_state.dbt_project_digest(), run_state.code_digest(), repr(columns)):
        digest.update(part.encode())
    return digest.hexdigest()


def site_made_from(folder: Path, inputs: str) -> DocsSite | None:
    """The site published in `folder`, if it was made from `inputs` (`docs_inputs`)."""
    try:
        made_from = json.loads((folder / MADE_FROM).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if made_from.get("inputs") != inputs or not (folder / STATIC_PAGE).is_file():
        return None
    try:  # a damaged site is made again
        return _site(folder, tuple(made_from.get("removed_loaders", ())))
    except (OSError, ValueError, KeyError):
        return None


def publish_dbt_docs(docs_target: Path, folder: Path, inputs: str) -> DocsSite:
    """Publish the static docs site dbt generated in `docs_target` to `folder`, offline-safe;
    `inputs` (`docs_inputs`) is what it was made from."""
    page = docs_target / STATIC_PAGE
    if not page.is_file():
        raise DocsNotGeneratedError(
            f"{page} does not exist: run `dbt docs generate --static` with that target path first"
        )
    html, removed = without_external_fetches(page.read_text(encoding="utf-8"))

    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex}.tmp"
    staging.mkdir(parents=True)
    try:
        (staging / STATIC_PAGE).write_text(html, encoding="utf-8")
        for name in ARTEFACTS:
            shutil.copyfile(docs_target / name, staging / name)
        made_from = {"inputs": inputs, "removed_loaders": removed}
        (staging / MADE_FROM).write_text(json.dumps(made_from, indent=1), encoding="utf-8")
        replace_dir(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _site(folder, tuple(removed))


def _site(folder: Path, removed_loaders: tuple[str, ...]) -> DocsSite:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((folder / "catalog.json").read_text(encoding="utf-8"))
    return DocsSite(
        folder=folder,
        models=sum(1 for n in manifest["nodes"].values() if n["resource_type"] == "model"),
        catalogued=len(catalog["nodes"]),
        removed_loaders=removed_loaders,
    )
