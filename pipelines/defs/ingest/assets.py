"""One ingestion asset per feed contract: landing file -> bronze partition + quarantine.

Built by a factory from the contracts in `contracts/feeds/`, so a new feed needs
a contract, not code. Partitioned by delivery day; a backfill over many days
runs as one step per feed (single-run backfill), carrying the keys seen so far.
Dagster records one materialisation per day of such a step: each carries its own
day's figures (`context.add_asset_metadata(..., partition_key=...)`), and the
checks judge every day the lake holds (checks.py).
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
import os
import warnings
from collections.abc import Iterator, Mapping
from datetime import date
from itertools import chain

import dagster as dg
import polars as pl
from duckdb import DuckDBPyConnection

from pipelines.defs import groups
from pipelines.defs.ingest.checks import check_results, check_specs, markdown
from pipelines.defs.ingest.partitions import DELIVERY_DAYS
from pipelines.lib.city_profile import city_profile
from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.identity_hash import (
    IdentityHashKeyError,
    hash_column,
    is_identity_number,
    key_for,
)
from pipelines.lib.ingest.ingest import (
    Ingested,
    bronze_schema,
    ingest_deliveries,
    ingest_windows,
    landing_file,
)
from pipelines.lib.ingest.lake import prior_keys, write_schema_file
from pipelines.lib.ingest.masking import MASKED
from pipelines.lib.ingest.read import UnreadableFile
from pipelines.lib.ingest.summary import IngestionSummary, lake_days, lake_summary
from pipelines.lib.ingest.windows import day_lock, landed_windows, plan_day
from pipelines.lib.landing.files import refusal
from pipelines.lib.progress import StepProgress, progress_message
from pipelines.lib.resources import DataDirResource

# Single-run backfills (one step per feed for a range of days) are marked beta in
# Dagster 1.13; we rely on them knowingly, so the warning is not repeated per feed.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)


def landing_key(contract: FeedContract) -> dg.AssetKey:
    """The feed's deliveries in landing: named apart from its bronze asset (`bronze/<department>/
    <feed>`), since the graph labels a node by its key's last part."""
    return dg.AssetKey(["landing", contract.department, f"{contract.feed}_deliveries"])


def bronze_key(contract: FeedContract) -> dg.AssetKey:
    return dg.AssetKey(["bronze", contract.department, contract.feed])


def landing_spec(contract: FeedContract) -> dg.AssetSpec:
    """The department's deliveries: outside the pipeline's control, shown for lineage."""
    return dg.AssetSpec(
        landing_key(contract),
        group_name=groups.LANDING,
        description=f"Raw deliveries of {contract.feed} from {contract.department} ({contract.landing.file}).",
        kinds={contract.landing.format},
        owners=[contract.owner],  # an email address: the contract loader checks it
        metadata={"contract": dg.MetadataValue.path(str(contract.path))},
    )


def build_ingestion_asset(contract: FeedContract) -> dg.AssetsDefinition:
    key = bronze_key(contract)

    @dg.asset(
        key=key,
        deps=[landing_key(contract)],
        group_name=contract.department,
        partitions_def=DELIVERY_DAYS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        # Only the days ingested are materialised (below): a day of the run with no delivery
        # of this feed stays missing, a gap in its partition bar.
        output_required=False,
        check_specs=check_specs(key),
        kinds={"parquet", "polars", "duckdb"},
        owners=[contract.owner],
        description=f"{contract.description or contract.feed} Held to {contract.path.name}.",
        metadata={
            "contract": dg.MetadataValue.path(str(contract.path)),
            "contract_version": contract.version,
            "dagster/column_schema": column_schema(contract),
        },
    )
    def ingest(
        context: dg.AssetExecutionContext, data_dir: DataDirResource
    ) -> Iterator[dg.AssetMaterialization | dg.AssetCheckResult]:
        data = data_dir.paths
        # The step's own figures: the run's keep no samples of failed rows (the checks take
        # theirs from the lake's summary, of every day the feed holds), each day's do, since
        # they stand in the lake's summary for the days this step wrote.
        summary = IngestionSummary(contract, sample_size=0)
        days = sorted(date.fromisoformat(k) for k in context.partition_keys)
        delivered, refused, windowed = [], {}, []
        for day in days:
            path = landing_file(data, contract, day)
            if os.path.lexists(path) and (reason := refusal(path)) is not None:
                refused[day] = reason  # a link, a pipe, a folder: the landing inventory names it
            elif path.is_file():
                delivered.append(day)
            elif landed_windows(data, contract, day):
                windowed.append(day)  # a sub-daily feed's day, delivered window by window
        summary.missing_deliveries = [d for d in days if d not in delivered and d not in windowed]
        for day in summary.missing_deliveries:
            context.log.warning(
                f"no delivery for {day}: {landing_file(data, contract, day).name} is "
                + (f"refused, never read ({refused[day]})" if day in refused else "missing")
            )
        # First: if this step fails further on, the warehouse still finds the feed's columns
        # (dbt's sources read `<feed>/*/*.parquet`) and builds every other feed's models.
        write_schema_file(data, contract, bronze_schema(contract, city_profile(data.root)))
        try:
            key_for(contract)
        except IdentityHashKeyError as error:
            # One sentence, no stack trace: the feed waits for its key, the other feeds go on.
            raise dg.Failure(description=str(error), allow_retries=False) from None
        days_ingested: dict[date, IngestionSummary] = {}
        connection = connect()
        try:
            outcomes = chain(
                ingest_deliveries(data, contract, delivered, connection),
                window_outcomes(context, data, contract, windowed, connection),
            )
            # Progress counts files: a day's own, or each window of a sub-daily feed's day.
            total = len(delivered) + sum(
                len(plan_day(data, contract, day).pending) for day in windowed
            )
            # "[done/total]" shows on the console's progress line; the lines go to the run's log.
            progress = StepProgress(context.log.info)
            for done, ingested in enumerate(outcomes, start=1):
                if isinstance(ingested, UnreadableFile):
                    # One unusable file must not stop the other days: its partition keeps
                    # its previous state, and schema_conforms fails naming it.
                    summary.unreadable.append(str(ingested))
                    progress.flush()
                    context.log.error(progress_message(min(done, total), total, str(ingested)))
                    continue
                summary.add(ingested)
                # A sub-daily feed's windows add up to their day's figures.
                days_ingested.setdefault(ingested.day, IngestionSummary(contract)).add(ingested)
                progress.add(
                    min(done, total),
                    total,
                    f"{ingested.source.name}: {ingested.result.landed} rows -> "
                    f"{ingested.result.valid.height} bronze, "
                    f"{ingested.result.quarantine.height} quarantined",
                )
            progress.flush()
        finally:
            connection.close()
        # One materialisation per day whose file was ingested, carrying that day's own figures:
        # a day with no delivery stays missing (a gap in the partition bar), and a day whose
        # file could not be read keeps its previous state.
        previews = preview_tables(contract, days_ingested)
        for day, figures in sorted(days_ingested.items()):
            yield dg.AssetMaterialization(
                key,
                partition=day.isoformat(),
                metadata=materialization_metadata(figures, previews.get(day)),
            )
        # The checks judge the feed as the lake holds it now, every day of it: re-ingesting
        # one good day leaves another day's quarantined rows failing. A day whose file this
        # step ingested is in the lake as its figures say; a sub-daily feed's day (windows
        # written by earlier runs too) and a day whose file was unreadable are read back.
        written = {day: days_ingested[day] for day in delivered if day in days_ingested}
        lake = lake_summary(
            data,
            contract,
            lake_days(data, contract),
            written,
            cache=data.lake_figures(contract.department, contract.feed),
        )
        yield from check_results(summary, lake)

    return ingest


def window_outcomes(
    context: dg.AssetExecutionContext,
    data: DataDir,
    contract: FeedContract,
    days: list[date],
    connection: DuckDBPyConnection,
) -> Iterator[Ingested | UnreadableFile]:
    """A sub-daily feed's days: the windows landed since the last run, each into its own part,
    each day under its lock (pipelines/lib/ingest/windows.py). The keys of the days before are
    carried from day to day, as ingest_deliveries carries them: each day's parts read once."""
    earlier: list[pl.Series] | None = None
    previous: date | None = None
    for day in days:
        if contract.key and previous is not None:
            assert earlier is not None
            # The day just done and any day between it and this one, as the lake holds them.
            if (between := prior_keys(data, contract, day, since=previous)) is not None:
                earlier.append(between)
        ingested = 0
        with day_lock(data, contract, day):
            for outcome in ingest_windows(data, contract, day, connection, earlier):
                ingested += 1
                yield outcome
        if not ingested:
            context.log.info(f"{day}: every window file landed is in the lake already")
        if contract.key and earlier is None:
            before = prior_keys(data, contract, day)
            earlier = [] if before is None else [before]
        previous = day


def column_schema(contract: FeedContract) -> dg.TableSchema:
    """Bronze's columns: the contract's, each identity number followed by its hash."""
    columns = []
    for f in contract.fields:
        columns.append(
            dg.TableColumn(
                f.name,
                f.physical_type,
                description=" · ".join(
                    filter(None, [f.business_name, f.description, f.classification])
                ),
                constraints=dg.TableColumnConstraints(
                    nullable=not f.required,
                    unique=f.unique or (f.primary_key_position == 1 and len(contract.key) == 1),
                ),
                tags={"classification": f.classification},
            )
        )
        if is_identity_number(f):
            columns.append(
                dg.TableColumn(
                    hash_column(f.name),
                    "VARCHAR",
                    description=f"HMAC-SHA256 of {f.name} under $SAFECITY_IDENTITY_HASH_KEY · sensitive",
                    tags={"classification": "sensitive"},
                )
            )
    return dg.TableSchema(columns=columns)


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every value as display text; nested values (lists of structs) as JSON."""
    return frame.select(
        pl.struct(c).struct.json_encode().str.slice(len(c) + 4).str.strip_suffix("}").alias(c)
        if isinstance(dtype, (pl.List, pl.Struct))
        else pl.col(c).cast(pl.String)
        for c, dtype in frame.schema.items()
    )


def materialization_metadata(summary: IngestionSummary, preview: str | None = None) -> dict:
    """A day's figures; `preview`, its first bronze rows as a table (`preview_tables`)."""
    metadata = {
        "dagster/row_count": summary.bronze,
        "landed_rows": summary.landed,
        "quarantined_rows": summary.quarantined,
        "quarantine_rate": round(summary.quarantine_rate, 5),
        "delivery_days": len(set(summary.days)),
        "quarantine_by_rule": dg.MetadataValue.md(
            markdown(
                pl.DataFrame(
                    [
                        {"rule": r, "column": c, "rows": n}
                        for (r, c), n in summary.rule_columns.most_common()
                    ],
                    schema={"rule": pl.String, "column": pl.String, "rows": pl.Int64},
                )
            )
        ),
    }
    if preview is not None:
        metadata["preview"] = dg.MetadataValue.md(preview)
    if summary.notes:
        metadata["notes"] = dg.MetadataValue.md("\n".join(f"- {note}" for note in summary.notes))
    return metadata


def preview_tables(
    contract: FeedContract, days: Mapping[date, IngestionSummary]
) -> dict[date, str]:
    """Each day's first bronze rows, masked, as a table for the UI; days without any left out.

    Masked and turned into text for all days at once: a polars call per day costs more than
    its five rows (60 days of 42 feeds on `large`: 1.1 s)."""
    shown = [(day, s.preview) for day, s in sorted(days.items()) if s.preview is not None]
    if not shown:
        return {}
    rows = pl.concat([preview for _, preview in shown], how="vertical_relaxed")
    text = as_text(masked_preview(contract, rows))
    tables, start = {}, 0
    for day, preview in shown:
        tables[day] = markdown(text.slice(start, preview.height))
        start += preview.height
    return tables


def masked_preview(contract: FeedContract, preview: pl.DataFrame) -> pl.DataFrame:
    """Bronze rows with personal and sensitive values (and identity hashes) as ***, items of
    an array too: the preview is kept in Dagster's event log."""
    hidden = [f.name for f in contract.fields if f.classification in MASKED]
    hidden += [hash_column(f.name) for f in contract.fields if is_identity_number(f)]
    masked = preview.with_columns(pl.lit("***").alias(name) for name in hidden)
    for f in contract.fields:
        items = {i.name for i in f.items if i.classification in MASKED}
        items |= {hash_column(i.name) for i in f.items if is_identity_number(i)}
        if not items or f.name in hidden:
            continue
        array = masked.schema[f.name]
        assert isinstance(array, pl.List) and isinstance(array.inner, pl.Struct)
        fields = array.inner.fields
        masked = masked.with_columns(
            pl.col(f.name).list.eval(
                pl.struct(
                    pl.lit("***").alias(field.name)
                    if field.name in items
                    else pl.element().struct.field(field.name)
                    for field in fields
                )
            )
        )
    return masked
