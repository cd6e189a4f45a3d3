"""Validate one department's extract with Great Expectations and publish its data docs.

    report = build_quality_report(extract_dir, report_dir, load_table_contracts(contracts_dir()))

Every table the manifest lists is read from its Parquet files into one pandas frame
and validated against the suite its contract and treatments give (`suites.py`).
The data docs (an index, one page per suite, one per validation) go to
`report_dir` (`reports/quality/<department>/`), which is replaced as a whole: a
reader sees the previous report or the new one. GX runs in an ephemeral context
(its stores in memory, its only files the data docs), so no GX project folder is
written anywhere, and nothing reaches the network:

- GX 1.24 has no usage statistics left to send; the context is still configured
  with `analytics_enabled: false`, and `GX_ANALYTICS_ENABLED=False` is set for
  versions that read it.
- Every page GX renders loads its logo from GX's S3 bucket with the time it was
  rendered in the query string (a page-view beacon): the logo is pointed at the copy
  in `static/`.
- Its styles and scripts come from public CDNs. Offline, pages show unstyled but
  complete, except the index's table of validations, which is drawn by a script; the
  index therefore opens with a plain HTML summary of every table, linked to its pages.

Same extract, same report, byte for byte: the validation's run is named after the
manifest's SHA-256 and timed by the manifest's modification time (the publication),
never by the clock; the batch's load time GX records is dropped, and the random
element ids of collapsible sections are numbered in order of appearance instead.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.lib import run_state, settings
from pipelines.lib.atomic import replace_dir
from pipelines.lib.contracts.tables import TableContract
from pipelines.lib.quality.extract import (
    MANIFEST,
    ManifestError,
    PublishedTable,
    read_manifest,
    read_table,
    table_files,
)
from pipelines.lib.quality.validation_cache import Kept, ValidationCache
from pipelines.lib.storage import Location

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context import EphemeralDataContext
    from great_expectations.data_context.store import ValidationResultsStore

SITE_NAME = "quality"
INDEX = "index.html"
SUMMARY_ID = "safecity-quality-summary"
# Unexpected values are quoted in the summary (and so in Dagster's metadata) only from
# columns anyone may read; the department's own data docs show them all.
QUOTABLE = ("public", "internal")
_SAMPLES = 3
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_GX_ASSETS = re.compile(
    r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/([\w.-]+)(\?[^\"')\s]*)?"
)


class NoExtractError(FileNotFoundError):
    """The department has no published extract (no manifest) to validate."""


@dataclass(frozen=True)
class FailedExpectation:
    table: str
    expectation: str  # GX's type, e.g. expect_column_values_to_not_be_null
    rule: str  # the contract rule behind it: required, unique, enum, pattern, masked, ...
    column: str | None
    words: str  # what the contract asks, in words
    observed: str  # what the extract has instead

    def __str__(self) -> str:
        return f"{self.table}: {self.words}; {self.observed}"


@dataclass(frozen=True)
class TableQuality:
    table: str
    rows: int
    success: bool
    evaluated: int
    failed: int
    failures: tuple[FailedExpectation, ...]
    validation_page: str  # relative to the report's index.html
    suite_page: str
    # The result was kept from an earlier validation of the same files, suite and code.
    kept: bool = False


@dataclass(frozen=True)
class QualityReport:
    department: str
    report_dir: Path
    tables: tuple[TableQuality, ...]
    # What no suite can say: a manifest that cannot be read, a table without a contract,
    # a table whose files cannot be read. Each one fails the report.
    problems: tuple[str, ...] = ()
    seconds: float = 0.0
    run_name: str = ""
    run_time: datetime | None = None

    @property
    def index(self) -> Path:
        return self.report_dir / INDEX

    @property
    def success(self) -> bool:
        return not self.problems and all(t.success for t in self.tables)

    @property
    def validated(self) -> int:
        """Tables validated by this report, not kept from an earlier validation."""
        return sum(not t.kept for t in self.tables)

    @property
    def evaluated(self) -> int:
        return sum(t.evaluated for t in self.tables)

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.tables)

    @property
    def failures(self) -> list[FailedExpectation]:
        return [f for t in self.tables for f in t.failures]


@dataclass
class _Validated:
    table: str
    rows: int
    result: Any  # ExpectationSuiteValidationResult
    kept: bool
    classification: dict[str, str] = field(default_factory=dict)
    treatment: dict[str, str] = field(default_factory=dict)


def build_quality_report(
    extract_dir: Location,
    report_dir: Path,
    contracts: Mapping[str, TableContract],
    *,
    department: str | None = None,
    cache: ValidationCache | None = None,
) -> QualityReport:
    """Validate every table of the extract in `extract_dir` and write the data docs to `report_dir`;
    with a `cache`, a table validated before as it is now takes its result from there."""
    started = time.perf_counter()
    department = department or extract_dir.name
    manifest_path = extract_dir / MANIFEST
    if not manifest_path.is_file():
        raise NoExtractError(
            f"no extract published for {department}: {manifest_path} does not exist"
        )
    digest = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    run_name = f"publication-{digest[:12]}"
    run_time = datetime.fromtimestamp(int(manifest_path.stat().st_mtime), tz=UTC)

    problems: list[str] = []
    try:
        published: dict[str, PublishedTable] = read_manifest(extract_dir).tables
    except ManifestError as error:
        problems.append(str(error))
        published = {}

    staging = report_dir.parent / f".{report_dir.name}.{uuid.uuid4().hex}.tmp"
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        validated = _validate(
            department,
            extract_dir,
            published,
            contracts,
            staging,
            run_name,
            run_time,
            problems,
            cache,
        )
        tables = tuple(_summarise(v, staging) for v in validated)
        report = QualityReport(
            department=department,
            report_dir=report_dir,
            tables=tables,
            problems=tuple(problems),
            run_name=run_name,
            run_time=run_time,
        )
        _localise_gx_assets(staging)
        index = staging / INDEX
        index.write_text(
            _with_summary(index.read_text(encoding="utf-8"), report, digest), encoding="utf-8"
        )
        replace_dir(staging, report_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return replace(report, seconds=time.perf_counter() - started)


def _validate(
    department: str,
    extract_dir: Location,
    published: Mapping[str, PublishedTable],
    contracts: Mapping[str, TableContract],
    site_dir: Path,
    run_name: str,
    run_time: datetime,
    problems: list[str],
    cache: ValidationCache | None,
) -> list[_Validated]:
    # Imported here: GX takes seconds to import, and the code location imports this module.
    settings.export_default(settings.GX_ANALYTICS)
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.execution_engine import pandas_execution_engine

    from pipelines.lib.quality.suites import suite_for_table

    # GX fingerprints every frame under 1 GB by hashing each of its values (MD5 of pandas'
    # hash), a third of validating a large table; the fingerprint is recorded, never compared,
    # and the cache's key already is the files' SHA-256.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = _context(site_dir, department)
    source = context.data_sources.add_pandas(department)
    run_id = RunIdentifier(run_name=run_name, run_time=run_time)
    store = context.validation_results_store
    code = run_state.code_digest() if cache is not None else ""
    validated = []
    for name, table in published.items():
        contract = contracts.get(name)
        if contract is None:
            problems.append(f"{name}: published, but no warehouse contract describes it")
            continue
        try:  # reads every file's bytes
            key = (
                cache.key(contract, table, table_files(extract_dir, name), extract_dir / name, code)
                if cache
                else ""
            )
        except OSError as error:
            problems.append(f"{name}: files not readable ({type(error).__name__}: {error})")
            continue
        kept = cache.get(key) if cache else None
        frame = None
        if kept is None:
            try:
                frame = read_table(extract_dir, name, tuple(c.name for c in table.columns))
            except Exception as error:  # an unreadable file is a finding about the extract
                problems.append(
                    f"{name}: files not readable as Parquet ({type(error).__name__}: {error})"
                )
                continue
        suite = context.suites.add(suite_for_table(contract, table))
        if kept is not None:
            rows, result = kept.rows, _kept_result(store, kept, department, run_id)
        else:
            assert frame is not None  # read above whenever nothing was kept
            batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite)
            )
            # BASIC: counts and the first unexpected values, which the summary quotes and
            # the pages show. SUMMARY adds the unexpected rows' index, for which GX's pandas
            # engine copies the whole frame once per expectation (half a large table's time).
            fresh = definition.run(
                batch_parameters={"dataframe": frame}, run_id=run_id, result_format="BASIC"
            )
            rows, text = len(frame), store.serialize(_without_load_time(fresh))
            if cache is not None:
                cache.put(key, Kept(rows=rows, result=text))
            # Read back as a kept result is: the summary quotes values (times, decimals) as
            # they come back from JSON, so a report reads the same whether its results were kept.
            result = store.deserialize(text)
        _store(store, result, department, name, run_id)
        validated.append(
            _Validated(
                table=name,
                rows=rows,
                result=result,
                kept=kept is not None,
                classification={c.name: c.classification for c in contract.columns},
                treatment={c.name: c.treatment for c in table.columns},
            )
        )
    context.build_data_docs(site_names=[SITE_NAME])
    return validated


def _kept_result(
    store: ValidationResultsStore, kept: Kept, department: str, run_id: RunIdentifier
) -> ExpectationSuiteValidationResult:
    """A kept result as GX would have given it had it validated the table in this report:
    this department's data source, this report's run."""
    result = store.deserialize(kept.result)
    result.meta["active_batch_definition"]["datasource_name"] = department
    result.meta["run_id"] = run_id
    result.meta["validation_time"] = run_id.run_time
    result.meta["validation_id"] = None  # no validation definition ran
    return result


def _without_load_time(
    result: ExpectationSuiteValidationResult,
) -> ExpectationSuiteValidationResult:
    """The pandas engine stamps each batch with the clock (`ge_load_time`), which the validation
    pages would show; the run's time already says when (see the module's docstring)."""
    (result.meta.get("batch_markers") or {}).pop("ge_load_time", None)
    return result


def _store(
    store: ValidationResultsStore,
    result: ExpectationSuiteValidationResult,
    department: str,
    table: str,
    run_id: RunIdentifier,
) -> None:
    """Store the result for the data docs, under the key GX stores a validation's result by (a
    fresh one's, stored with the clock, is replaced)."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    suite = ExpectationSuiteIdentifier(name=table)
    store.store_validation_results(
        suite_validation_result=result,
        suite_validation_result_identifier=ValidationResultIdentifier(
            # GX's name of a whole-dataframe batch; were it another, the report would have two
            # validation pages for the table, which `_summarise` refuses.
            batch_identifier=f"{department}-{table}",
            expectation_suite_identifier=suite,
            run_id=run_id,
        ),
        expectation_suite_identifier=suite,
    )


def _context(site_dir: Path, department: str) -> EphemeralDataContext:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    from pipelines.lib.quality.views import site_views

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites={
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site_dir),
                },
                # GX's views, their templates compiled once per process (views.py)
                **site_views(),
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _summarise(validated: _Validated, site_dir: Path) -> TableQuality:
    result = validated.result
    failures = tuple(_failure(validated, item) for item in result.results if not item.success)
    stats = result.statistics
    (page,) = sorted((site_dir / "validations" / validated.table).rglob("*.html"))
    return TableQuality(
        table=validated.table,
        rows=validated.rows,
        success=bool(result.success),
        evaluated=int(stats["evaluated_expectations"]),
        failed=int(stats["unsuccessful_expectations"]),
        failures=failures,
        validation_page=page.relative_to(site_dir).as_posix(),
        suite_page=f"expectations/{validated.table}.html",
        kept=validated.kept,
    )


def _failure(validated: _Validated, item: ExpectationValidationResult) -> FailedExpectation:
    config = item.expectation_config
    assert config is not None, "GX gives every result of a suite's validation its expectation"
    ours = (config.meta or {}).get("safecity", {})
    column = config.kwargs.get("column")
    return FailedExpectation(
        table=validated.table,
        expectation=config.type,
        rule=ours.get("rule", ""),
        column=column,
        words=ours.get("words") or config.type,
        observed=_observed(validated, item, column, quote=ours.get("rule") != "required"),
    )


def _observed(
    validated: _Validated, item: ExpectationValidationResult, column: str | None, *, quote: bool
) -> str:
    info = item.exception_info or {}
    if info.get("raised_exception"):
        message = (info.get("exception_message") or "").strip().splitlines()
        return f"could not be evaluated: {message[-1] if message else 'error'}"
    result = item.result or {}
    mismatched = (result.get("details") or {}).get("mismatched")
    if isinstance(mismatched, dict):
        parts = [
            f"{kind} {', '.join(map(str, names))}" for kind, names in sorted(mismatched.items())
        ]
        return "; ".join(parts) or "columns differ"
    if "unexpected_count" in result:
        count = result.get("unexpected_count") or 0
        total = result.get("element_count") or validated.rows
        text = f"{count:,} of {total:,} rows break it"
        samples = list(dict.fromkeys(map(str, result.get("partial_unexpected_list") or [])))[
            :_SAMPLES
        ]
        if samples and column is not None and quote:
            quotable = (
                validated.classification.get(column) in QUOTABLE
                and validated.treatment.get(column) == "clear"
            )
            text += (
                f", e.g. {', '.join(samples)}" if quotable else " (values withheld: personal data)"
            )
        return text
    if "observed_value" in result:
        return f"observed {result['observed_value']}"
    return "failed"


def _localise_gx_assets(site_dir: Path) -> None:
    """Point the pages' remote GX images at the site's own copy, and number the random
    element ids GX gives collapsible sections (see the module's docstring)."""
    images = site_dir / "static" / "images"
    for page in site_dir.rglob("*.html"):
        prefix = "../" * (len(page.relative_to(site_dir).parts) - 1) + "static/images/"

        def local(match: re.Match[str], prefix: str = prefix) -> str:
            name = match.group(1) if (images / match.group(1)).is_file() else "logo-long.png"
            return prefix + name

        text = page.read_text(encoding="utf-8")
        numbers: dict[str, str] = {}

        def renumbered(match: re.Match[str], numbers: dict[str, str] = numbers) -> str:
            return numbers.setdefault(match.group(0), f"id{len(numbers) + 1}")

        localised = _UUID.sub(renumbered, _GX_ASSETS.sub(local, text))
        if localised != text:
            page.write_text(localised, encoding="utf-8")


def _with_summary(index_html: str, report: QualityReport, digest: str) -> str:
    """GX's index with a plain HTML summary first: it needs no script, so it reads offline."""
    escape = html.escape
    status = "meets its contracts" if report.success else "does NOT meet its contracts"
    rows = []
    for table in report.tables:
        rows.append(
            "<tr>"
            f"<td>{escape(table.table)}</td><td style='text-align:right'>{table.rows:,}</td>"
            f"<td style='text-align:right'>{table.evaluated}</td><td style='text-align:right'>{table.failed}</td>"
            f"<td>{'passed' if table.success else '<strong>FAILED</strong>'}</td>"
            f"<td><a href='{escape(table.validation_page)}'>validation</a> · "
            f"<a href='{escape(table.suite_page)}'>expectations</a></td>"
            "</tr>"
        )
    failures = "".join(f"<li>{escape(str(f))}</li>" for f in report.failures)
    problems = "".join(f"<li>{escape(p)}</li>" for p in report.problems)
    when = report.run_time.isoformat() if report.run_time else ""
    section = (
        f"<section id='{SUMMARY_ID}' class='container-fluid p-3'>"
        f"<h1>Quality report: {escape(report.department)}</h1>"
        f"<p>The extract published {escape(when)} (manifest SHA-256 <code>{digest}</code>) "
        f"<strong>{status}</strong>: {report.evaluated} expectations evaluated on "
        f"{len(report.tables)} tables, {report.failed} failed.</p>"
        "<table class='table table-sm'><thead><tr><th>table</th><th>rows</th><th>expectations</th>"
        "<th>failed</th><th>result</th><th>pages</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        + (f"<h2>Problems</h2><ul>{problems}</ul>" if problems else "")
        + (f"<h2>Failed expectations</h2><ul>{failures}</ul>" if failures else "")
        + "</section>"
    )
    body = re.search(r"<body[^>]*>", index_html)
    if body is None:
        return section + index_html
    return index_html[: body.end()] + section + index_html[body.end() :]
