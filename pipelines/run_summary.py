"""What `safecity run` tells a person at the end (one screen), and the full account (its log file).

The summary says the outcome, the rows per department, what was built, each failure in
one line with its reason, how many warnings, and where to look. Every asset's figures
and every check's outcome are written to the run's log, so nothing is lost by keeping
the console short.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from pathlib import Path
from typing import TextIO

import dagster as dg

from pipelines.lib.data_dir import DataDir
from pipelines.lib.progress import seconds
from pipelines.lib.storage import Location
from pipelines.runner import RunReport, Stage, check_reason, metadata_line, metadata_number

_WIDTH = 100  # the summary's lines wrap here, so that it reads on any terminal
_DETAIL_LINES = 8  # lines of one failure's reason shown on the console; the log has all
_FAILURES_SHOWN = 12  # failures listed on the console, so that the summary stays one screen


def print_summary(report: RunReport, data_dir: DataDir, dagster_home: Path, out: TextIO) -> None:
    out.write("\n" + _headline(report) + "\n")
    _rows_per_department(report, out)
    _built(report, out)
    _failures(report, out)
    _warnings(report, out)
    _next_steps(report, out)
    _where_to_look(report, data_dir, dagster_home, out)
    out.flush()


def _headline(report: RunReport) -> str:
    problems = []
    if report.failures:
        problems.append(_count(len(report.failures), "step") + " failed")
    if report.failed_checks:
        problems.append(_count(len(report.failed_checks), "check") + " failed as errors")
    if report.run_error:
        problems.append("the run could not start")
    outcome = "succeeded" if report.success else "FAILED"
    line = f"safecity run {outcome} in {seconds(report.elapsed)}"
    if problems:
        line += ": " + ", ".join(problems)
    return line + f"; {_count(len(report.warnings), 'warning')}"


def _rows_per_department(report: RunReport, out: TextIO) -> None:
    rows: dict[str, Counter[str]] = {}
    for key, metadata in report.materialized.items():
        if "landed_rows" not in metadata or len(key.path) < 3:
            continue
        counts = rows.setdefault(key.path[1], Counter())
        counts["feeds"] += 1
        for label, name in (
            ("landed_rows", "landed"),
            ("dagster/row_count", "bronze"),
            ("quarantined_rows", "quarantined"),
        ):
            counts[name] += metadata_number(metadata.get(label))
    if not rows:
        out.write("no rows ingested in this run\n")
        return
    total: Counter[str] = Counter()
    for counts in rows.values():
        total.update(counts)
    table = [*sorted(rows.items()), ("total", total)]
    heading = "rows ingested in this run"
    name_width = max(len(heading) - 2, *(len(name) for name, _ in table))
    number_width = max(len(f"{total['landed']:,}"), len("landed"))
    out.write(
        f"{heading:<{name_width + 2}}  feeds  {'landed':>{number_width}}"
        f"  {'bronze':>{number_width}}  quarantined\n"
    )
    for name, counts in table:
        share = counts["quarantined"] / counts["landed"] if counts["landed"] else 0.0
        out.write(
            f"  {name:<{name_width}}  {counts['feeds']:>5}  {counts['landed']:>{number_width},}"
            f"  {counts['bronze']:>{number_width},}  {counts['quarantined']:,} ({share:.1%})\n"
        )


def _built(report: RunReport, out: TextIO) -> None:
    by_stage: dict[Stage, list[dg.AssetKey]] = {}
    planned = set(report.planned)
    for key in report.asset_keys:  # in dependency order
        if key in planned:
            by_stage.setdefault(report.stages[key], []).append(key)
    built_parts, empty = [], []
    for stage, keys in by_stage.items():
        built = sum(1 for key in keys if key in report.materialized)
        if built == 0:
            empty.append(stage.name if len(keys) == 1 else f"{stage.name} (0 of {len(keys)})")
        elif len(keys) == 1:
            built_parts.append(stage.name)
        else:
            quiet = sum(1 for key in keys if key in report.not_delivered)
            built_parts.append(
                f"{stage.name} {built} of {len(keys)} {stage.unit}"
                + (f" ({quiet} with no delivery)" if quiet else "")
            )
    if built_parts:
        out.write(_wrapped("built: " + ", ".join(built_parts)))
    if empty:
        out.write(_wrapped("nothing built of: " + ", ".join(empty)))
    for note in report.notes:
        out.write(_wrapped(note))
    not_built = report.skipped_assets - report.materialized.keys()
    if not_built:
        out.write(
            _wrapped(
                f"not built: {_count(len(not_built), 'asset')} downstream of a failed step "
                "(each is listed in the log)"
            )
        )


def _failures(report: RunReport, out: TextIO) -> None:
    if not (report.failures or report.failed_checks or report.run_error):
        return
    out.write("\nfailed (each makes the run fail)\n")
    entries: list[list[str]] = []
    if report.run_error:
        entries.append([f"the run: {report.run_error}"])
    for failure in report.failures.values():
        entries.append([f"{failure.builds}: {failure.message}"])
    for check in report.failed_checks:
        headline, *details = check_reason(check).splitlines()
        entry = [f"{check.key.asset_key.to_user_string()} · {check.key.name}: {headline}"]
        entry += [f"  {line}" for line in details[:_DETAIL_LINES]]
        if len(details) > _DETAIL_LINES:
            entry.append(f"  ... and {len(details) - _DETAIL_LINES} more in the log")
        entries.append(entry)
    for entry in entries[:_FAILURES_SHOWN]:
        out.writelines(f"  {line}\n" for line in entry)
    if len(entries) > _FAILURES_SHOWN:
        out.write(f"  ... and {len(entries) - _FAILURES_SHOWN} more, each in the log\n")


def _warnings(report: RunReport, out: TextIO) -> None:
    if not report.warnings:
        return
    by_check = Counter(_check_kind(check.key.name) for check in report.warnings)
    out.write(
        _wrapped(
            f"warnings: {_count(len(report.warnings), 'check')} failed as warnings ("
            + ", ".join(f"{name} {n}" for name, n in by_check.most_common())
            + "), each in the log"
        )
    )


# dbt's generic tests are named <test>_<model>_<columns...>: counted by their test, the line fits
# a screen (every full name is in the log).
_DBT_GENERIC_TEST = re.compile(
    r"(relationships|not_null|accepted_values|unique_combination_of_columns|unique|primary_key)_.+"
)


def _check_kind(name: str) -> str:
    generic = _DBT_GENERIC_TEST.fullmatch(name)
    return generic[1] if generic else name


def _next_steps(report: RunReport, out: TextIO) -> None:
    if report.success:
        return
    advice = "next: fix what failed (each reason above says what; the full errors are in the log"
    advice += ", or run again with --verbose)" if report.failures else ")"
    advice += ", then run `safecity run` again: it ingests only what is new or changed"
    out.write(_wrapped(advice))


def _where_to_look(report: RunReport, data_dir: DataDir, dagster_home: Path, out: TextIO) -> None:
    out.write("\nwhere to look\n")
    quarantined = any(
        metadata_number(metadata.get("quarantined_rows"))
        for metadata in report.materialized.values()
    )
    places: list[tuple[str, Location | None]] = [
        ("log", report.log_path),
        ("reports", data_dir.reports),  # landing inventory, scorecard, quality reports
        ("quarantine", data_dir.quarantine if quarantined else None),
        ("analytics", data_dir.analytics),  # what `safecity sql` and the notebooks open
    ]
    for label, path in places:
        if path is not None and path.exists():
            out.write(f"  {label:<12}{path}\n")
    # On a line of its own, so that it can be copied whole.
    out.write("Dagster UI (this run and its checks), from the repository root:\n")
    out.write(
        f"  SAFECITY_DATA_DIR={data_dir.root} DAGSTER_HOME={dagster_home} uv run dagster dev\n"
    )


def _wrapped(text: str) -> str:
    return "\n".join(textwrap.wrap(text, _WIDTH, subsequent_indent="  ")) + "\n"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n:,} {thing}s"


# --- the full account, for the log file -----------------------------------------------------


def write_details(report: RunReport, out: TextIO) -> None:
    """Every asset with its status and figures, every warehouse table, every check's outcome."""
    out.write(f"\n=== safecity run: every asset and check (runs {report.run_id}) ===\n")
    out.write("\nassets\n")
    width = max((len(key.to_user_string()) for key in report.asset_keys), default=0)
    for key in report.asset_keys:
        status = report.asset_status(key)
        if status == "FAILED":
            failure = report.failures.get(report.step_of.get(key, ""))
            detail = failure.message if failure else ""
        else:
            detail = metadata_line(report.materialized.get(key, {}), short_text=200)
        out.write(f"  {key.to_user_string():<{width}}  {status:<12}  {detail}".rstrip() + "\n")

    tables = {
        label.removeprefix("rows/"): value.value
        for metadata in report.materialized.values()
        for label, value in metadata.items()
        if label.startswith("rows/")
    }
    if tables:
        out.write("\nwarehouse tables (rows, in the analytics copy)\n")
        width = max(len(name) for name in tables)
        for name, rows in tables.items():
            out.write(f"  {name:<{width}}  {rows:>12,}\n")

    out.write("\nchecks\n")
    for check in report.check_keys:
        outcome = report.checks.get(check)
        if outcome is None:
            failure = report.failures.get(report.step_of.get(check, ""))
            result = "FAILED (its step failed)" if failure else "not run"
            detail = failure.message if failure else ""
        else:
            severity = "ERROR" if outcome.severity == dg.AssetCheckSeverity.ERROR else "WARN"
            result = "passed" if outcome.passed else f"FAILED [{severity}]"
            detail = " ".join(
                part
                for part in (
                    (outcome.description or "").replace("\n", " | "),
                    metadata_line(outcome.metadata, short_text=200),
                )
                if part
            )
        out.write(f"  {check.to_user_string()}  {result}  {detail}".rstrip() + "\n")
    for note in report.notes:
        out.write(f"\n{note}\n")
    out.flush()
