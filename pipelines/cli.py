"""`safecity`: generate the sample city, and run the pipeline on a data directory.

Errors reach the user as one line and a non-zero exit code; `--verbose` adds
the full traceback (and Dagster's own log lines) for debugging.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeGuard

from pipelines.lib import settings
from pipelines.lib.data_dir import DataDir, default_data_dir
from pipelines.lib.dropped_interrupts import resend_dropped_interrupts
from pipelines.lib.entity_kinds import REVIEWED_KINDS

# The generator's scales (pipelines/sample_city/config.py, SCALES), named here so that the
# command line does not import the generator to parse its arguments.
SCALE_NAMES = ("tiny", "small", "medium", "large", "xlarge")

if TYPE_CHECKING:
    from pipelines.lib import run_state as run_state_types
    from pipelines.lib.city_profile import CityProfile
    from pipelines.lib.contracts.yaml_source import ContractError
    from pipelines.lib.run_log import RunLog
    from pipelines.lib.workspace import CodeLocation
    from pipelines.runner import RunReport


class UserError(Exception):
    """A problem the user can fix; printed as one line, without a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # Telemetry off for whatever this process starts, also outside the Makefile
    # (docs/architecture.md, Telemetry off). Dagster's instance setting is in dagster.yaml; these cover
    # Dagster's uploader and dbt runs started by assets.
    for telemetry in settings.TELEMETRY_OFF:
        settings.export_default(telemetry)
    # SIGTERM (a service manager, `kill`) stops a command as Ctrl-C does: cleanly, with a line and
    # a non-zero exit, never leaving a run claimed (docs/architecture.md, Runs that die).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    resend_dropped_interrupts()
    try:
        return int(args.command(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into a reader that stopped (`| head`): stop quietly, as the
        # Python docs recommend, instead of failing again when stdout is flushed at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:
        if args.verbose:
            traceback.print_exc()
        elif _is_contract_error(error):
            # Every problem of every file, one per line: fixing them takes one round, not one per run.
            for message in error.messages:
                print(f"error: {message}", file=sys.stderr)
        else:
            print(f"error: {type(error).__name__}: {_first_line(str(error))}", file=sys.stderr)
            print("(run again with --verbose for the full traceback)", file=sys.stderr)
        return 1


def _is_contract_error(error: Exception) -> TypeGuard[ContractError]:
    # Imported only once an error is there: `safecity --help` stays fast.
    from pipelines.lib.contracts.yaml_source import ContractError

    return isinstance(error, ContractError)


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--verbose", action="store_true", help="show Dagster's logs and full tracebacks"
    )
    on_data_dir = argparse.ArgumentParser(add_help=False)
    on_data_dir.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data directory (default: $SAFECITY_DATA_DIR or data/)",
    )
    parser = argparse.ArgumentParser(
        prog="safecity", description="Public-safety data lake: sample city and pipeline."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    generate = commands.add_parser(
        "generate", parents=[common], help="write a sample city's landing feeds and ground truth"
    )
    generate.add_argument("--scale", choices=SCALE_NAMES, default="small")
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--out", type=Path, default=None, help="data directory (default: data/)")
    generate.add_argument(
        "--days", type=int, default=None, help="delivery days (default: per scale)"
    )
    generate.add_argument(
        "--windows",
        action="store_true",
        help="deliver each sub-daily feed (a contract whose SLA frequency is under a day) as one "
        "file per time window, as its contract's windowFile names them, instead of a file a day",
    )
    generate.add_argument(
        "--city",
        default=None,
        metavar="CODE",
        help="the prefecture-level city to build it on, a 4-digit GB/T 2260 code (default: contracts/city.yaml's)",
    )
    generate.add_argument(
        "--bounds",
        default=None,
        metavar="LON_MIN,LAT_MIN,LON_MAX,LAT_MAX",
        help="the city's extent in WGS-84, for a city without a data file in pipelines/sample_city/cities/",
    )
    generate.set_defaults(command=_generate)

    run = commands.add_parser(
        "run", parents=[common, on_data_dir], help="materialise every asset on a data directory"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="re-ingest every delivery day and rebuild every warehouse table (default: only days new or changed since the last run)",
    )
    run.set_defaults(command=_run)

    sql = commands.add_parser(
        "sql",
        parents=[common, on_data_dir],
        help="query the analytics copy (read-only; never blocks a running build)",
    )
    sql.add_argument(
        "query",
        nargs="?",
        help="SQL to run; without it, an interactive prompt (end each query with ;)",
    )
    sql.add_argument("--rows", type=int, default=50, help="rows to show (default 50)")
    sql.set_defaults(command=_sql)

    evaluate = commands.add_parser(
        "eval-linkage",
        parents=[common, on_data_dir],
        help="score the resolved entities, the events resolved across departments and the 12345 orders' types and townships against the sample city's ground truth",
    )
    evaluate.set_defaults(command=_eval_linkage)

    review = commands.add_parser(
        "review",
        parents=[common, on_data_dir],
        help="list the pairs waiting in a linkage review queue, or record a decision on one (applied by the next run)",
    )
    review.add_argument(
        "kind", choices=REVIEWED_KINDS, help="the entity kind whose queue to work on"
    )
    decision = review.add_mutually_exclusive_group()
    decision.add_argument(
        "--same",
        nargs=2,
        metavar=("LEFT", "RIGHT"),
        help="the two records are one entity: link them",
    )
    decision.add_argument(
        "--different",
        nargs=2,
        metavar=("LEFT", "RIGHT"),
        help="the two records are two entities: never link them",
    )
    review.add_argument("--by", help="who decides (required with --same or --different)")
    review.add_argument("--note", help="why, for whoever reads the decision later")
    review.add_argument("--limit", type=int, default=20, help="pairs to list (default 20)")
    review.set_defaults(command=_review)

    risk = commands.add_parser(
        "risk",
        parents=[common, on_data_dir],
        help="the organisations ranked highest for risk with their reasons, the warnings in force and their accuracy",
    )
    risk.add_argument("--top", type=int, default=10, help="organisations to show (default 10)")
    risk.set_defaults(command=_risk)

    loop = commands.add_parser(
        "loop",
        parents=[common, on_data_dir],
        help="the dispatch loop: open instructions by department and the departments' assessment",
    )
    loop.add_argument(
        "--per-department",
        type=int,
        default=0,
        help="also list each department's N oldest open instructions",
    )
    loop.set_defaults(command=_loop)

    city = commands.add_parser(
        "city",
        parents=[common, on_data_dir],
        help="the city profile a data directory is served with, and which file it comes from",
    )
    city.add_argument(
        "--dbt-vars",
        action="store_true",
        help='print it as the JSON dbt takes: dbt build --vars "$(safecity city --dbt-vars)"',
    )
    city.set_defaults(command=_city_command)

    verify = commands.add_parser(
        "verify-extract",
        parents=[common],
        help="check a department's extract against its manifest.json (changed, missing or extra files: exit 1)",
    )
    verify.add_argument(
        "folder",
        help="the extract folder, e.g. data/extracts/fire_rescue or s3://bucket/extracts/fire_rescue",
    )
    verify.set_defaults(command=_verify_extract)
    _add_contract_commands(commands, common)
    return parser


def _add_contract_commands(
    commands: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> None:
    """`safecity contract <subcommand>`: working on the data contracts themselves."""
    contract = commands.add_parser(
        "contract",
        help="work on the data contracts (contracts/): check them, draft one from a file, try one on a file",
    )
    subcommands = contract.add_subparsers(required=True, metavar="SUBCOMMAND")
    check = subcommands.add_parser(
        "check",
        parents=[common],
        help="report every problem of every contract file at once (exit 1 when there is any)",
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="contract files or folders (default: every feed and table contract and the sharing policy in $SAFECITY_CONTRACTS_DIR or contracts/)",
    )
    check.set_defaults(command=_contract_check)

    draft = subcommands.add_parser(
        "draft",
        parents=[common],
        help="infer a draft feed contract from a department's delivered file (CSV, JSON lines, XLSX)",
    )
    draft.add_argument("sample", type=Path, help="one delivered file, with rows")
    draft.add_argument("--department", required=True, help="the owner department (snake_case)")
    draft.add_argument("--feed", required=True, help="the feed's name (snake_case)")
    draft.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write it (default: <contracts>/feeds/<department>/<feed>.odcs.yaml; never overwritten)",
    )
    draft.set_defaults(command=_contract_draft)

    generate = subcommands.add_parser(
        "generate",
        parents=[common],
        help="write the dbt models that follow from the feed contracts' mappings (sources, staging, "
        "mention and event unions) into the dbt project, then re-parse it",
    )
    generate.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the generated files are stale (what CI runs)",
    )
    generate.set_defaults(command=_contract_generate)

    try_ = subcommands.add_parser(
        "try",
        parents=[common],
        help="dry-run ingestion of a file under a contract: rows to bronze and quarantine, nothing written "
        "(exit 0: every row valid; 1: some quarantined; 2: the contract is invalid)",
    )
    try_.add_argument("contract", type=Path, help="a feed contract file")
    try_.add_argument("file", type=Path, help="a delivered file")
    try_.add_argument(
        "--day",
        type=_day,
        default=None,
        help="the delivery day YYYY-MM-DD (default: from the file name)",
    )
    try_.set_defaults(command=_contract_try)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day: {text!r} (YYYY-MM-DD)") from None


def _contract_check(args: argparse.Namespace) -> int:
    from pipelines.lib.contracts import contracts_dir
    from pipelines.lib.contracts.check import check_contracts

    report = check_contracts(contracts_dir(), args.paths)
    for problem in report.problems:
        print(problem)
    print(report.summary())
    return 0 if report.ok else 1


def _contract_generate(args: argparse.Namespace) -> int:
    from pipelines.lib import settings
    from pipelines.lib.contracts import contracts_dir
    from pipelines.lib.dbt_models.project import GenerateError, generated_files, stale, write

    dbt_dir = settings.dbt_project_dir()
    try:
        files = generated_files(contracts_dir())
    except GenerateError as error:
        for message in error.messages:
            print(message)
        raise UserError(
            "nothing generated: fix the contracts above (safecity contract check), then run again"
        ) from None
    if args.check:
        outdated = stale(dbt_dir, files)
        for path in outdated:
            print(f"stale: {dbt_dir / path}")
        print(
            f"{len(outdated)} generated file(s) stale: run `safecity contract generate`"
            if outdated
            else f"{len(files)} generated files current in {dbt_dir}"
        )
        return 1 if outdated else 0
    changes = write(dbt_dir, files)
    for path in changes.written:
        print(f"wrote   {dbt_dir / path}")
    for path in changes.removed:
        print(f"removed {dbt_dir / path}")
    print(
        f"{len(changes.written)} written, {len(changes.removed)} removed, {changes.unchanged} unchanged"
    )
    _parse_dbt_project(dbt_dir)
    print("next: safecity run (the new models build with the warehouse)")
    return 0


def _parse_dbt_project(dbt_dir: Path) -> None:
    """Re-parse the dbt project, so the Dagster assets are defined from the generated models."""
    from pipelines.lib.dbt_parse import DbtParseError, parse_project

    try:
        parse_project(dbt_dir)
    except DbtParseError as error:
        print(error, file=sys.stderr)
        raise UserError(f"dbt could not parse {dbt_dir}: see above") from None
    print(f"parsed  {dbt_dir} (its manifest defines the warehouse assets)")


def _parse_dbt_project_if_stale(dbt_dir: Path) -> None:
    """The warehouse assets are defined from dbt's manifest: one older than the project (new
    models pulled with git, a model edited) would miss models, so parse again first, as
    `make install` does. A current manifest costs a walk over the project's files, no dbt."""
    import fcntl

    from pipelines.lib.dbt_manifest_age import manifest_is_current

    manifest = dbt_dir / "target" / "manifest.json"
    if manifest_is_current(manifest, dbt_dir):
        return
    manifest.parent.mkdir(exist_ok=True)
    # Two runs started together after a change (the tests' workers do) parse one after the
    # other: the second then finds the manifest current, and neither reads one half written.
    with (manifest.parent / "parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_current(manifest, dbt_dir):
            return
        print(
            f"the dbt project changed since its manifest was built: parsing {dbt_dir}", flush=True
        )
        _parse_dbt_project(dbt_dir)


def _contract_draft(args: argparse.Namespace) -> int:
    from pipelines.lib.contracts import contracts_dir
    from pipelines.lib.contracts.vocabulary import CONTRACT_SUFFIX
    from pipelines.lib.draft import DraftError, draft_contract
    from pipelines.lib.draft.draft import checked_names

    try:
        checked_names(args.department, args.feed)  # before they make a path
    except DraftError as error:
        raise UserError(str(error)) from None
    out: Path = args.out or (
        contracts_dir() / "feeds" / args.department / f"{args.feed}{CONTRACT_SUFFIX}"
    )
    if out.exists():
        raise UserError(f"{out} exists: give another --out, or move it away first")
    started = time.monotonic()
    try:
        draft = draft_contract(args.sample, args.department, args.feed)
    except DraftError as error:
        raise UserError(str(error)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(draft.text, encoding="utf-8")
    check = draft.check
    todo = draft.text.count("TODO: review")
    print(
        f"drafted {out} from {args.sample.name} in {time.monotonic() - started:.1f}s: "
        f"{len(draft.drafted.fields)} properties, key {', '.join(draft.key) or '(none)'}, "
        f"{todo} TODO: review"
    )
    print(
        f"on its own sample: {check.to_bronze:,} rows to bronze, {check.quarantined:,} to quarantine"
    )
    if out.parent.name != args.department:
        print(
            f"note: {out} is not in a folder named {args.department}: contract check and the "
            f"pipeline expect contracts/feeds/{args.department}/{args.feed}.odcs.yaml"
        )
    print(f"next: review the TODOs, then `safecity contract check {out}` and")
    print(f"      `safecity contract try {out} <another delivery>`")
    return 0


def _contract_try(args: argparse.Namespace) -> int:
    """Exit 0 when every row would be valid, 1 when some would be quarantined, 2 on a bad contract."""
    from pipelines.lib.contracts import ContractError, load_contract
    from pipelines.lib.ingest.dry_run import dry_run, report
    from pipelines.lib.ingest.read import UnreadableFile

    if not args.contract.is_file():
        raise UserError(f"{args.contract}: no such contract file")
    if not args.file.is_file():
        raise UserError(f"{args.file}: no such file")
    try:
        contract = load_contract(args.contract, Path.cwd())
    except ContractError as error:
        for message in error.messages:
            print(message)
        print(
            f"{args.contract}: the contract is invalid; fix it (safecity contract check) and try again"
        )
        return 2
    try:
        run = dry_run(contract, args.file, args.day)
    except UnreadableFile as error:
        print(f"{error}: no row would reach bronze")
        return 1
    for line in report(run):
        print(line)
    return 0 if run.all_valid else 1


def _generate(args: argparse.Namespace) -> int:
    # Imported here: the generator is heavy and `safecity run` does not need it.
    from pipelines.lib.city_profile import CityProfileError
    from pipelines.lib.progress import Progress, seconds
    from pipelines.sample_city.city_map import CityMapError, parse_bounds
    from pipelines.sample_city.generate import generate_city

    out: Path = args.out if args.out is not None else default_data_dir()
    # What is being written shows on a terminal's progress line; the table says the rest.
    progress = Progress(sys.stdout)
    try:
        bounds = parse_bounds(args.bounds) if args.bounds is not None else None
        rows = generate_city(
            out=out,
            scale=args.scale,
            seed=args.seed,
            days=args.days,
            progress=progress.status,
            city=args.city,
            bounds=bounds,
            windows=args.windows,
        )
    except (CityMapError, CityProfileError) as error:
        raise UserError(str(error)) from None
    finally:
        progress.close()
    print(format_row_counts(rows))
    landing = out / "landing"
    files = sum(1 for p in landing.rglob("*") if p.is_file()) if landing.is_dir() else 0
    print(
        f"generated the {args.scale} city (seed {args.seed}) in {seconds(progress.elapsed())}: "
        f"{files:,} delivery files under {out}"
    )
    print(f"next: safecity run --data-dir {out}")
    return 0


def format_row_counts(rows: Mapping[str, int]) -> str:
    """'department/feed' → rows, as an aligned table of feeds and rows per department, with a total."""
    departments: dict[str, list[int]] = {}
    for name, count in rows.items():
        departments.setdefault(name.split("/")[0], []).append(count)
    table = [(name, len(counts), sum(counts)) for name, counts in departments.items()]
    table.append(("total", len(rows), sum(rows.values())))
    width = max(len(name) for name, _, _ in [("department", 0, 0), *table])
    number_width = max(len("rows"), len(f"{table[-1][2]:,}"))
    lines = [f"{'department':<{width}}  feeds  {'rows':>{number_width}}"]
    lines += [
        f"{name:<{width}}  {feeds:>5}  {count:>{number_width},}" for name, feeds, count in table
    ]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    """Exit status 1 when a step failed or a check failed as an error; the summary names each."""
    data_dir = _data_dir(args)
    _require_landing_data(data_dir)
    city = _city(data_dir)
    # Definitions read the data directory's city profile when they load (the delivery days),
    # and dbt reads the data directory from the environment: this run's, for both.
    settings.export(settings.DATA_DIR, str(data_dir.root))

    # Nothing new since the last run that completed: say so and stop, before Dagster is even
    # imported (pipelines/lib/run_state.py). --full-refresh builds anyway.
    from pipelines.lib import run_state

    inputs = run_state.input_fingerprint(
        data_dir, city_profile=_city_profile_path(data_dir), today=run_state.today_in(city.timezone)
    )
    last = run_state.last_complete_run(data_dir)
    changes = run_state.changes_since(last, inputs, data_dir)
    if last is not None and not changes and not args.full_refresh:
        _print_nothing_new(last, data_dir, city)
        return 0
    # A build starts: until it completes, no run is complete (a killed run leaves no marker).
    run_state.forget(data_dir)

    _parse_dbt_project_if_stale(settings.dbt_project_dir())
    # Imported here so that `safecity --help` and `generate` stay fast. Loading the definitions
    # reads every contract: a broken one is reported here, before the run and its log begin.
    import pipelines.definitions  # noqa: F401 - imported for its errors, here
    from pipelines.lib.dagster_home import choose_dagster_home
    from pipelines.lib.run_log import RunLog
    from pipelines.lib.workspace import CodeLocation
    from pipelines.runner import RunInterrupted

    # The code location of workspace.yaml, the one the UI loads: its runs are the UI's runs.
    location = CodeLocation.from_workspace()
    home = choose_dagster_home(data_dir)
    log = RunLog(data_dir.logs)
    print(f"safecity run on {data_dir.root}, city {city.describe()} (log: {log.path})", flush=True)
    if last is not None:
        reason = "--full-refresh" if args.full_refresh and not changes else "; ".join(changes)
        print(f"building: since the last complete run ({last.completed_at}), {reason}", flush=True)
    coverage = _warehouse_coverage()
    for note in coverage:
        print(f"note: {note}", flush=True)
    try:
        # Everything printed while the pipeline runs (dbt, Dagster, libraries) goes to the
        # log; the console gets progress. --verbose leaves it all on the console.
        output = contextlib.nullcontext(sys.stdout) if args.verbose else log.capture_output()
        with output as console:
            report = _materialize(location, data_dir, home, log, console, args)
    except RunInterrupted as stopped:
        log.write(f"safecity run interrupted: {stopped}")
        log.close()
        print(
            f"interrupted {stopped.where}: run {stopped.run_id} marked failed, nothing left "
            "claimed; `safecity run` again goes on from what the lake holds",
            file=sys.stderr,
        )
        return 130
    except Exception as error:
        log.write("safecity run stopped by an error:\n" + traceback.format_exc())
        log.close()
        if args.verbose:
            raise
        raise UserError(
            f"{type(error).__name__}: {_first_line(str(error))} (the traceback is in {log.path}, "
            "or run again with --verbose)"
        ) from None

    from pipelines.run_summary import print_summary, write_details

    report.notes.extend(coverage)
    write_details(report, log.stream)
    log.close()
    print_summary(report, data_dir, home, sys.stdout)
    if report.success:
        # Inputs as this run found them when it started: what changed during it is new next time.
        run_state.record(
            data_dir, inputs, report.run_ids, landing_files=run_state.landing_file_count(data_dir)
        )
    return 0 if report.success else 1


def _city_profile_path(data_dir: DataDir) -> Path:
    from pipelines.lib.city_profile import city_profile_path

    return city_profile_path(data_dir.root)


def _print_nothing_new(
    last: run_state_types.CompleteRun, data_dir: DataDir, city: CityProfile
) -> None:
    from pipelines.lib.dagster_home import choose_dagster_home
    from pipelines.lib.run_state import INPUT_NAMES

    home = choose_dagster_home(data_dir)
    unchanged = ", ".join(
        name for key, name in INPUT_NAMES.items() if key not in ("landing", "day")
    )
    print(f"safecity run on {data_dir.root}, city {city.describe()}")
    print(
        f"\nnothing new or changed since the last complete run ({last.completed_at}, "
        f"runs {', '.join(last.run_ids)}): nothing built\n"
        f"  unchanged: the {last.landing_files:,} landing files, {unchanged}; the same day\n"
        "  reused: the warehouse, the analytics copy, the extracts, the quality reports, the "
        "scorecard and the alerts that run built, untouched since\n"
        "  to build anyway: safecity run --full-refresh"
    )
    print("\nwhere to look")
    for label, path in (
        ("reports", data_dir.reports),
        ("analytics", data_dir.analytics),
    ):
        if path.exists():
            print(f"  {label:<12}{path}")
    print("Dagster UI (the last complete run), from the repository root:")
    print(f"  SAFECITY_DATA_DIR={data_dir.root} DAGSTER_HOME={home} uv run dagster dev")


def _warehouse_coverage() -> list[str]:
    from pipelines.defs.feeds import FEED_CONTRACTS  # loaded with the definitions
    from pipelines.lib.contracts import contracts_dir
    from pipelines.lib.dbt_models.project import warehouse_coverage_notes

    return warehouse_coverage_notes(contracts_dir(), settings.dbt_project_dir(), FEED_CONTRACTS)


def _materialize(
    location: CodeLocation,
    data_dir: DataDir,
    home: Path,
    log: RunLog,
    console: TextIO,
    args: argparse.Namespace,
) -> RunReport:
    import dagster as dg

    from pipelines.defs.feeds import FEED_CONTRACTS
    from pipelines.defs.ingest.partitions import (
        current_delivery_window,
        describe_span_change,
        register_delivered_days,
    )
    from pipelines.lib.dagster_home import prepare_dagster_home
    from pipelines.lib.instance_storage import run_history_without_waits
    from pipelines.lib.landing.pending import day_range, days_to_ingest, landed_days
    from pipelines.lib.progress import Progress
    from pipelines.runner import materialize_all

    prepare_dagster_home(home)
    pending = landed_days if args.full_refresh else days_to_ingest
    # Only days in the delivery window are partitions; the landing inventory reports the rest.
    window = current_delivery_window()
    days = pending(data_dir, FEED_CONTRACTS.values(), window)
    # With --verbose, Dagster's own lines share the console: milestones only, no line redrawn.
    progress = Progress(console, interactive=False if args.verbose else None)
    with (
        dg.DagsterInstance.from_config(str(home)) as instance,
        # Run history only: no fsync and no new connection per event (instance_storage.py).
        run_history_without_waits(instance),
    ):
        # Every delivered day is a partition before any run is launched for a range of them.
        change = register_delivered_days(instance, data_dir, FEED_CONTRACTS.values(), window)
        if (line := describe_span_change(change)) is not None:
            progress.milestone(line)
        return materialize_all(
            location,
            data_dir,
            instance,
            progress,
            log,
            partition_range=day_range(days),
            full_refresh=args.full_refresh,
            verbose=args.verbose,
        )


def _sql(args: argparse.Namespace) -> int:
    import duckdb
    import polars as pl

    analytics = _built(args).analytics
    connection = duckdb.connect(str(analytics), read_only=True)
    queries = [args.query] if args.query else _prompt_queries(analytics)
    with pl.Config(tbl_rows=args.rows, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
        for query in queries:
            try:
                print(connection.execute(query).pl())
            except duckdb.Error as error:
                if args.query:
                    raise UserError(str(error).splitlines()[0]) from None
                print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
    return 0


def _eval_linkage(args: argparse.Namespace) -> int:
    """Exit status 1 when an entity kind misses its F1 target, so scripts can rely on it."""
    import duckdb

    from pipelines.lib.event_eval import events_markdown, events_met, score_resolution, score_text
    from pipelines.lib.linkage.evaluate import F1_TARGETS, score_linkage, scores_markdown

    paths = _built(args)
    if not paths.ground_truth.is_dir():
        raise UserError(f"no ground truth in {paths.root}: only a generated sample city has one")
    connection = duckdb.connect(str(paths.analytics), read_only=True)
    scores = score_linkage(connection, paths.ground_truth)
    print("linkage against ground truth (pairwise, over mentions both know)")
    print(scores_markdown(scores))
    resolution = score_resolution(connection, paths.ground_truth)
    text = score_text(connection, paths.ground_truth)
    print(events_markdown(resolution, text))
    linked = all(s.f1 >= F1_TARGETS[s.entity_kind] for s in scores)
    return 0 if linked and events_met(resolution, text) else 1


def _review(args: argparse.Namespace) -> int:
    from pipelines.lib.linkage.decisions import DIFFERENT, SAME
    from pipelines.lib.linkage.review import ReviewError, decide, waiting_pairs

    paths = _data_dir(args)
    try:
        if args.same or args.different:
            decision, (left, right) = (
                (SAME, args.same) if args.same else (DIFFERENT, args.different)
            )
            decide(paths, args.kind, left, right, decision, args.by or "", args.note)
            print(
                f"recorded: {left} and {right} are {'one' if decision == SAME else 'two'} {args.kind}"
                f"{'' if decision == SAME else 's'} (by {args.by}); the next `safecity run` applies it"
            )
            return 0
        pairs = waiting_pairs(paths.warehouse, args.kind)
    except ReviewError as error:
        raise UserError(str(error)) from None
    print(
        f"{pairs.height:,} {args.kind} pairs waiting in linkage.{args.kind}_review; the {min(args.limit, pairs.height)} most likely first"
    )
    for number, row in enumerate(pairs.head(args.limit).iter_rows(named=True), start=1):
        print(f"\n{number:>3}. match probability {row['match_probability']:.3f} ({row['reason']})")
        print(f"     {row['record_id_l']}\n         {row['summary_l']}")
        print(f"     {row['record_id_r']}\n         {row['summary_r']}")
        print(f"     evidence: {row['evidence']}")
    if pairs.height:
        print(
            f"\ndecide with: safecity review {args.kind} --same LEFT RIGHT --by NAME (or --different ...)"
        )
    return 0


def _risk(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.lib import risk_report

    paths = _built(args)
    connection = duckdb.connect(str(paths.analytics), read_only=True)
    print(
        f"top {args.top} organisations by risk (risk_organisations; the facts behind each score are in risk_facts)"
    )
    for rank, name, kind, score, reasons in risk_report.top_organisations(connection, args.top):
        print(f"{rank:>4}. {name} [{kind}] score {score:g}\n        {reasons}")
    print("\nwarnings in force (warnings; CAP 1.2 alerts in alerts/)")
    for level, colour, rule, count in risk_report.warnings_by_level(connection):
        print(f"  level {level} {colour:<6} {rule:<36} {count:>6,}")
    print(
        "\nwarning accuracy: share of warned subjects with an outcome event within the follow-up days vs unwarned ones"
    )
    for rule, level, days, warned, hit, base, lift in risk_report.rule_accuracy(connection):
        rates = f"{hit or 0:.3f} vs {base or 0:.4f}, lift {lift if lift is not None else '-'}"
        print(
            f"  {rule:<36} level {level}, {days:>2} days: {warned:>7,} warned subject-days, hit rate {rates}"
        )
    if paths.ground_truth.is_dir():
        planted = risk_report.planted_ranks(connection, paths.ground_truth)
        in_top_decile = sum(1 for p in planted if p.risk_decile == 1)
        print(
            f"\nplanted high-risk organisations (ground truth): {in_top_decile} of {len(planted)} in the top decile"
        )
        # Those outside the top decile one a line (what an analyst looks into), the rest by rank.
        ranks = sorted(p.risk_rank for p in planted if p.risk_decile == 1 and p.risk_rank)
        if ranks:
            print(f"  top decile at ranks {', '.join(str(rank) for rank in ranks)}")
        for p in planted:
            if p.risk_decile != 1 or not p.risk_rank:
                where = (
                    f"rank {p.risk_rank}, decile {p.risk_decile}" if p.risk_rank else "not ranked"
                )
                print(f"  {p.entity_id} {p.name}: {where}")
    return 0


def _loop(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.lib import dispatch_report

    paths = _built(args)
    connection = duckdb.connect(str(paths.analytics), read_only=True)
    # Every time printed is the city's clock, whatever the machine's zone.
    connection.execute("SET TimeZone = ?", [_city(_data_dir(args)).timezone])
    as_of = connection.execute(
        "select strftime(max(as_of), '%Y-%m-%d %H:%M') from dispatch_instructions"
    ).fetchone()
    print(f"open instructions by department at {as_of[0] if as_of else '-'} (dispatch_assignments)")
    print(dispatch_report.table(dispatch_report.open_by_department(connection)))
    if args.per_department:
        print(
            dispatch_report.table(
                dispatch_report.open_instructions(connection, args.per_department)
            )
        )
    due = connection.execute(
        "select count(*), count(distinct instruction_id) from escalations_due"
    ).fetchone()
    if due:
        print(f"supervision notices due (escalations_due): {due[0]} on {due[1]} instruction(s)")
    print(
        "\nassessment over the window, best first (dispatch_assessment; per month: period 'YYYY-MM')"
    )
    print(dispatch_report.table(dispatch_report.assessment(connection)))
    return 0


def _city_command(args: argparse.Namespace) -> int:
    profile = _city(_data_dir(args))
    if args.dbt_vars:
        print(json.dumps(profile.dbt_vars(), ensure_ascii=False, sort_keys=True))
        return 0
    bounds = profile.bounds
    print(profile.describe())
    print(
        f"extent (WGS-84): lon {bounds.lon_min} to {bounds.lon_max}, lat {bounds.lat_min} to {bounds.lat_max}; "
        f"grid cell {profile.grid_cell_degrees} degrees; first delivery day {profile.first_delivery_day}"
    )
    print(f"{profile.counties().height} counties, {profile.townships().height} townships")
    return 0


def _verify_extract(args: argparse.Namespace) -> int:
    """What a department runs on what it received: one line per problem, exit status 1 if any."""
    import json

    from pipelines.lib.publish.manifest import MANIFEST, listed_files, verify_extract
    from pipelines.lib.storage import location

    folder = location(args.folder, setting="folder")
    problems = verify_extract(folder)
    if problems:
        for problem in problems:
            print(f"{folder}: {problem}", file=sys.stderr)
        print(
            f"extract NOT verified: {len(problems)} problem(s) against {folder / MANIFEST}",
            file=sys.stderr,
        )
        return 1
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    files = list(listed_files(manifest))
    print(
        f"extract verified: {len(files)} files of {len(manifest['tables'])} tables match {folder / MANIFEST} "
        f"({manifest['department']}, policy {manifest['policy']['version']}, built {manifest['built_at']})"
    )
    return 0


def _data_dir(args: argparse.Namespace) -> DataDir:
    return DataDir((args.data_dir or default_data_dir()).expanduser().absolute())


def _built(args: argparse.Namespace) -> DataDir:
    """The data directory, once a run has published its analytics copy."""
    paths = _data_dir(args)
    if not paths.analytics.exists():
        raise UserError(
            f"no analytics copy at {paths.analytics}: run `safecity run` first, or name the data "
            "directory a run built (--data-dir DIR, or $SAFECITY_DATA_DIR)"
        )
    return paths


def _prompt_queries(analytics: Path) -> Iterator[str]:
    """Queries typed at a prompt, each ended by `;` (end of input quits)."""
    print(
        f"{analytics} (read-only). Tables: fct_event, dim_place, dim_organisation, ... End a query with ;"
    )
    buffer: list[str] = []
    while True:
        try:
            line = input("safecity> " if not buffer else "     ...> ")
        except EOFError:
            return
        buffer.append(line)
        if line.rstrip().endswith(";"):
            yield "\n".join(buffer)
            buffer = []


def _city(data_dir: DataDir) -> CityProfile:
    """The data directory's city profile, or every problem of it as the error."""
    from pipelines.lib.city_profile import CityProfileError, city_profile

    try:
        return city_profile(data_dir.root)
    except CityProfileError as error:
        raise UserError(f"the city profile is not usable:\n{error}") from None


def _require_landing_data(data_dir: DataDir) -> None:
    """Fail before starting Dagster when there is nothing to run on."""
    landing = data_dir.landing
    if not landing.is_dir() or not any(path.is_file() for path in landing.rglob("*")):
        raise UserError(
            f"no landing data in {landing}: run `safecity generate --out {data_dir.root}` first"
        )


if __name__ == "__main__":
    sys.exit(main())
