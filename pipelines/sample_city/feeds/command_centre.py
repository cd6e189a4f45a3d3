"""The dispatch loop: the command centre's instruction log and supervision notices, and every
department's handling feedback, each in its own format.

Who acts on what, the deadlines and the escalation steps are the platform's configuration
(dbt_project/seeds/config/): the command centre works by the same list the marts judge it by.
Planted, with their truth in ground_truth/: slow departments, instructions never answered,
closures followed by the same problem at the same place within days (false closures), and
warning situations that never became an instruction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import polars as pl

from pipelines.lib import settings
from pipelines.sample_city.delivery import DAY, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import Context, batch, links, org_view, start_rows
from pipelines.sample_city.feeds.traffic_police import black_spots

DEPARTMENT = "command_centre"
STAGES = ("signed", "on_scene", "handled", "closed")
CONFIG = "seeds/config"

INSTRUCTIONS = FeedSpec(
    DEPARTMENT,
    "instructions",
    "csv",
    key="instruction_id",
    dates={
        column: DateStyle("%Y-%m-%d %H:%M:%S", ["%Y/%m/%d %H:%M:%S"])
        for column in ("issued_at", "sign_by", "arrive_by", "close_by")
    },
)
NOTICES = FeedSpec(
    DEPARTMENT,
    "supervision_notices",
    "jsonl",
    key="notice_id",
    dates={"issuedAt": DateStyle("%Y-%m-%dT%H:%M:%S%:z")},
    drift_added_column="memo",
)


@dataclass(frozen=True)
class FeedbackFormat:
    """How one department writes its handling feedback: columns, encoding and time format."""

    department: str
    fmt: str
    encoding: str
    columns: dict[str, str]  # common name -> the department's column
    time_format: str | None  # None: epoch milliseconds


FORMATS = [
    FeedbackFormat(
        "market_regulation",
        "csv",
        "gb18030",
        {
            "feedback_id": "反馈编号",
            "instruction_id": "指令编号",
            "stage": "环节",
            "reported_at": "反馈时间",
            "feedback_text": "处置情况",
            "outcome": "核查结果",
        },
        "%Y年%m月%d日 %H:%M",
    ),
    FeedbackFormat(
        "traffic_police",
        "csv",
        "utf-8",
        {
            "feedback_id": "fkbh",
            "instruction_id": "zlbh",
            "stage": "hj",
            "reported_at": "fksj",
            "feedback_text": "clqk",
            "outcome": "hcjg",
        },
        "%Y%m%d%H%M%S",
    ),
    FeedbackFormat(
        "fire_rescue",
        "csv",
        "utf-8-sig",
        {
            "feedback_id": "反馈单号",
            "instruction_id": "指令单号",
            "stage": "处置环节",
            "reported_at": "反馈时间",
            "feedback_text": "反馈内容",
            "outcome": "核查结论",
        },
        "%Y/%m/%d %H:%M",
    ),
    FeedbackFormat(
        "emergency_management",
        "jsonl",
        "utf-8",
        {
            "feedback_id": "feedbackId",
            "instruction_id": "instructionNo",
            "stage": "step",
            "reported_at": "time",
            "feedback_text": "remark",
            "outcome": "result",
        },
        None,
    ),
    FeedbackFormat(
        "ecology_environment",
        "csv",
        "utf-8",
        {
            "feedback_id": "FEEDBACK_NO",
            "instruction_id": "ORDER_NO",
            "stage": "PHASE",
            "reported_at": "PHASE_TIME",
            "feedback_text": "DESCRIPTION",
            "outcome": "CONCLUSION",
        },
        "%Y-%m-%dT%H:%M:%S",
    ),
]


def feedback_spec(form: FeedbackFormat) -> FeedSpec:
    dates = (
        {}
        if form.time_format is None
        else {form.columns["reported_at"]: DateStyle(form.time_format)}
    )
    return FeedSpec(
        form.department,
        "handling_feedback",
        form.fmt,
        key=form.columns["feedback_id"],
        encoding=form.encoding,
        dates=dates,
        drift_added_column="备注",
    )


SPECS = [INSTRUCTIONS, NOTICES, *(feedback_spec(form) for form in FORMATS)]


@dataclass(frozen=True)
class Config:
    responsibility: pl.DataFrame
    deadlines: pl.DataFrame
    escalation: pl.DataFrame
    codes: pl.DataFrame


def load_config() -> Config:
    folder = settings.dbt_project_dir() / CONFIG
    return Config(
        responsibility=pl.read_csv(
            folder / "responsibility_list.csv", schema_overrides={"level": pl.Int64}
        ),
        deadlines=pl.read_csv(folder / "instruction_deadlines.csv"),
        escalation=pl.read_csv(folder / "escalation_steps.csv"),
        codes=pl.read_csv(folder / "handling_codes.csv", schema_overrides={"code": pl.String}),
    )


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    loop = simulate(ctx, load_config())
    truth = {
        "dispatch_assignments": loop.assignments.drop("stage_times"),
        "uninstructed_warnings": loop.uninstructed,
        "slow_departments": pl.DataFrame({"department": loop.slow}),
    }
    yield INSTRUCTIONS, _instructions_batch(loop)
    notices = _notices_batch(ctx, loop)
    yield NOTICES, notices
    first = True
    for form in FORMATS:
        feedback = _feedback_batch(ctx, loop, form)
        if first:
            feedback.truth_tables.update(truth)
            first = False
        yield feedback_spec(form), feedback


@dataclass
class Loop:
    instructions: pl.DataFrame  # one row per instruction, with its subject
    assignments: pl.DataFrame  # one row per instruction x department, with true stage times
    reports: pl.DataFrame  # one row per delivered feedback report
    notices: pl.DataFrame
    uninstructed: pl.DataFrame
    slow: list[str]


def _window_end(ctx: Context) -> datetime:
    return datetime.combine(ctx.last_day + timedelta(days=1), time())


def simulate(ctx: Context, config: Config) -> Loop:
    rng = ctx.rng_for("dispatch loop")
    departments = sorted(form.department for form in FORMATS)
    slow = sorted(rng.choice(departments, 2, replace=False).tolist())
    sources = _warning_sources(ctx, config) + _event_sources(ctx, config, rng)
    # Planted: the last warning situation of a rule that reliably fires (a high-risk
    # organisation's) is left without an instruction.
    planted = [s for s in sources if s["source_kind"] == "warning" and s["subject_uscc"]]
    uninstructed = planted[-1:] if planted else []
    sources = [s for s in sources if s not in uninstructed]
    instructions = _with_deadlines(pl.DataFrame(sources, infer_schema_length=None), config)
    assignments = _lifecycle(ctx, rng, instructions, slow)
    # False closures: some closed event instructions recur at the same site within days.
    repeats = _false_closure_repeats(ctx, rng, instructions, assignments, config)
    if repeats.height:
        repeat_assignments = _lifecycle(ctx, rng, repeats, slow)
        instructions = pl.concat(
            [instructions, repeats.select(instructions.columns)], how="vertical_relaxed"
        )
        assignments = pl.concat(
            [assignments, repeat_assignments.select(assignments.columns)], how="vertical_relaxed"
        )
    instructions = _numbered(instructions)
    assignments = assignments.join(
        instructions.select("_seq", "instruction_id"), on="_seq", how="left"
    )
    end = _window_end(ctx)
    assignments = _truth_flags(assignments, instructions, config, end)
    return Loop(
        instructions=instructions,
        assignments=assignments,
        reports=_reports(rng, assignments, config, end),
        notices=_notices(rng, assignments, config, end),
        uninstructed=pl.DataFrame(
            [
                {
                    "rule_id": s["source_type"],
                    "subject_uscc": s["subject_uscc"],
                    "subject_name": s["subject_name"],
                }
                for s in uninstructed
            ],
            schema={"rule_id": pl.String, "subject_uscc": pl.String, "subject_name": pl.String},
        ),
        slow=slow,
    )


def _issue_time(rng: np.random.Generator, day: date) -> datetime:
    return datetime.combine(day, time(7)) + timedelta(seconds=int(rng.integers(0, 14 * 3600)))


def _subject(org: dict | None, place: dict) -> dict:
    return {
        "subject_uscc": org["uscc"] if org else None,
        "subject_name": org["name"] if org else place["standard_address"],
        "site_id": org["org_id"] if org else place["place_id"],
        "address": place["standard_address"],
        "county_code": place["county_code"],
        "longitude": round(place["lon"], 6),
        "latitude": round(place["lat"], 6),
    }


def _warning_sources(ctx: Context, config: Config) -> list[dict]:
    """An instruction for every warning situation the sample city plants (high-risk organisations,
    accident black spots), issued in the last days of the window, when their warnings are in force."""
    rng = ctx.rng_for("dispatch warnings")
    rules = set(
        config.responsibility.filter(pl.col("source_kind") == "warning")["source_type"].to_list()
    )
    orgs = org_view(ctx.world)
    places = {row["place_id"]: row for row in ctx.world.places.iter_rows(named=True)}
    late_days = ctx.days[-max(1, len(ctx.days) // 4) :]
    sources = []
    for org in orgs.filter(pl.col("high_risk")).iter_rows(named=True):
        rule = (
            "major_hazard_source_overdue_hazard"
            if org["kind"] == "chemical"
            else "repeated_food_failures"
        )
        if rule in rules:
            sources.append(
                {
                    "source_kind": "warning",
                    "source_type": rule,
                    "level": None,
                    "issued": _issue_time(rng, late_days[int(rng.integers(0, len(late_days)))]),
                    **_subject(org, places[org["place_id"]]),
                }
            )
    if "accident_cluster" in rules:
        for spot in black_spots(ctx.world).iter_rows(named=True):
            sources.append(
                {
                    "source_kind": "warning",
                    "source_type": "accident_cluster",
                    "level": None,
                    "issued": _issue_time(rng, late_days[int(rng.integers(0, len(late_days)))]),
                    **_subject(None, spot),
                }
            )
    return sources


def _event_sources(ctx: Context, config: Config, rng: np.random.Generator) -> list[dict]:
    """Reported incidents at businesses (hotline, patrols) the command centre instructs on."""
    types = config.responsibility.filter(pl.col("source_kind") == "event")
    orgs = org_view(ctx.world).filter(
        pl.col("uscc").is_not_null() & (pl.col("kind") != "fire_station")
    )
    per_day = ctx.config.scale.instructions
    sources = []
    for day in ctx.days:
        for _ in range(int(rng.poisson(per_day))):
            kind = types.row(int(rng.integers(0, types.height)), named=True)
            org = orgs.row(int(rng.integers(0, orgs.height)), named=True)
            sources.append(
                {
                    "source_kind": "event",
                    "source_type": kind["source_type"],
                    "level": kind["level"],
                    "issued": _issue_time(rng, day),
                    **_subject(org, org),
                }
            )
    return sources


def _with_deadlines(instructions: pl.DataFrame, config: Config) -> pl.DataFrame:
    rules = pl.read_csv(settings.dbt_project_dir() / CONFIG / "warning_rules.csv").select(
        pl.col("rule_id").alias("source_type"), pl.col("level").alias("_rule_level")
    )
    responsibility = config.responsibility.select(
        "source_kind",
        "source_type",
        "lead_department",
        pl.col("supporting_departments").fill_null(""),
        pl.col("level").alias("_list_level"),
    )
    frame = (
        instructions.join(responsibility, on=["source_kind", "source_type"], how="left")
        .join(rules, on="source_type", how="left")
        .with_columns(
            pl.coalesce("level", "_list_level", "_rule_level").cast(pl.Int64).alias("level")
        )
        .drop("_list_level", "_rule_level")
        .join(config.deadlines, on="level", how="left")
        .with_columns(
            (pl.col("issued") + pl.duration(minutes=pl.col("sign_minutes"))).alias("sign_by"),
            (pl.col("issued") + pl.duration(minutes=pl.col("arrive_minutes"))).alias("arrive_by"),
            (pl.col("issued") + pl.duration(hours=pl.col("close_hours"))).alias("close_by"),
        )
        .sort("issued", "source_type", "site_id")
    )
    return frame.with_columns(pl.int_range(0, pl.len()).alias("_seq"))


def _lifecycle(
    ctx: Context, rng: np.random.Generator, instructions: pl.DataFrame, slow: list[str]
) -> pl.DataFrame:
    """Each department's true times to sign, arrive, handle and close (null: never)."""
    rows = []
    for inst in instructions.iter_rows(named=True):
        departments = [inst["lead_department"]] + [
            d for d in inst["supporting_departments"].split("|") if d
        ]
        for department in departments:
            is_slow = department in slow
            unanswered = rng.random() < 0.04
            times: list[datetime | None] = [None] * 4
            if not unanswered:
                issued = inst["issued"]
                deadlines = [inst["sign_by"], inst["arrive_by"], None, inst["close_by"]]
                previous = issued
                for index, deadline in enumerate(deadlines):
                    if deadline is None:  # handled: between arriving and the close deadline
                        deadline = previous + (inst["close_by"] - previous) / 2
                    span = deadline - issued
                    late = rng.random() < (0.6 if is_slow else 0.06)
                    fraction = rng.uniform(1.3, 4.0) if late else rng.uniform(0.15, 0.9)
                    at = max(issued + span * fraction, previous + timedelta(minutes=1))
                    # Departments report to the minute: the next whole minute.
                    times[index] = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
                    previous = times[index]
            rows.append(
                {
                    "_seq": inst["_seq"],
                    "department": department,
                    "role": "lead" if department == inst["lead_department"] else "supporting",
                    "slow_department": is_slow,
                    "planted_unanswered": unanswered,
                    "stage_times": times,
                    "outcome": (
                        "problem_found"
                        if rng.random() < (0.7 if inst["source_kind"] == "warning" else 0.55)
                        else "no_problem"
                    ),
                    "incomplete": rng.random() < (0.25 if is_slow else 0.03),
                }
            )
    return pl.DataFrame(
        rows,
        schema_overrides={"stage_times": pl.List(pl.Datetime("us"))},
    ).with_columns(
        pl.col("stage_times").list.get(i).alias(f"true_{stage}_at")
        for i, stage in enumerate(STAGES)
    )


def _false_closure_repeats(
    ctx: Context,
    rng: np.random.Generator,
    instructions: pl.DataFrame,
    assignments: pl.DataFrame,
    config: Config,
) -> pl.DataFrame:
    """New instructions on the same problem at the same site, days after a closure."""
    end = _window_end(ctx)
    closed = (
        assignments.filter(pl.col("role") == "lead")
        .join(instructions, on="_seq")
        .filter((pl.col("source_kind") == "event") & (pl.col("true_closed_at") < end))
    )
    picks = []
    for row in closed.iter_rows(named=True):
        if rng.random() >= 0.15:
            continue
        after = timedelta(hours=float(rng.uniform(4, 24 * min(3, row["reopen_days"] - 1))))
        issued = (row["true_closed_at"] + after).replace(microsecond=0)
        if issued >= end:
            continue
        keep = {
            k: row[k]
            for k in (
                "source_kind",
                "source_type",
                "level",
                "subject_uscc",
                "subject_name",
                "site_id",
                "address",
                "county_code",
                "longitude",
                "latitude",
            )
        }
        picks.append({**keep, "issued": issued})
    if not picks:
        return instructions.clear()
    repeats = _with_deadlines(pl.DataFrame(picks, infer_schema_length=None), config)
    return repeats.with_columns(pl.col("_seq") + instructions.height)


def _numbered(instructions: pl.DataFrame) -> pl.DataFrame:
    instructions = instructions.sort("issued", "_seq")
    return instructions.with_columns(
        pl.concat_str(
            pl.lit("ZL"),
            pl.col("issued").dt.strftime("%Y%m%d"),
            pl.int_range(1, pl.len() + 1)
            .over(pl.col("issued").dt.date())
            .cast(pl.String)
            .str.zfill(5),
        ).alias("instruction_id")
    )


def _truth_flags(
    assignments: pl.DataFrame, instructions: pl.DataFrame, config: Config, end: datetime
) -> pl.DataFrame:
    """The answers the marts should give, by the same definitions they use (docs/architecture.md):
    unanswered = no report by the end of the window although the signing deadline passed;
    false closure = a closure followed within the reopen days by an instruction on the same
    problem (source type) at the same site."""
    frame = assignments.join(
        instructions.select(
            "_seq",
            "source_kind",
            "source_type",
            "site_id",
            "issued",
            "sign_by",
            "arrive_by",
            "close_by",
            "reopen_days",
        ),
        on="_seq",
    ).with_columns(
        [
            pl.when(pl.col(f"true_{s}_at") < end).then(pl.col(f"true_{s}_at")).alias(f"{s}_at")
            for s in STAGES
        ]
    )
    later = instructions.select("source_type", "site_id", pl.col("issued").alias("_later_issued"))
    reopened = (
        frame.filter(pl.col("closed_at").is_not_null())
        .join(later, on=["source_type", "site_id"])
        .filter(
            (pl.col("_later_issued") > pl.col("closed_at"))
            & (
                pl.col("_later_issued")
                <= pl.col("closed_at") + pl.duration(days=pl.col("reopen_days"))
            )
        )
        .select("instruction_id", "department")
        .unique()
        .with_columns(pl.lit(True).alias("false_closure"))
    )
    any_report = pl.any_horizontal(pl.col(f"{s}_at").is_not_null() for s in STAGES)
    return (
        frame.join(reopened, on=["instruction_id", "department"], how="left")
        .with_columns(
            pl.col("false_closure").fill_null(False),
            (~any_report & (pl.col("sign_by") <= end)).alias("unanswered"),
        )
        .sort("instruction_id", "department")
    )


def _reports(
    rng: np.random.Generator, assignments: pl.DataFrame, config: Config, end: datetime
) -> pl.DataFrame:
    """The reports delivered by the end of the window: one per stage reached (an incomplete
    feedback leaves out the handling step and the closing text)."""
    rows = []
    for a in assignments.iter_rows(named=True):
        for stage in STAGES:
            at = a[f"{stage}_at"]
            if at is None:
                continue
            if stage == "handled" and a["incomplete"]:
                continue
            closing = stage == "closed"
            rows.append(
                {
                    "department": a["department"],
                    "instruction_id": a["instruction_id"],
                    "stage": stage,
                    "reported_at": at,
                    "outcome": a["outcome"] if closing and not a["incomplete"] else None,
                    "feedback_text": None
                    if closing and a["incomplete"]
                    else _TEXT[stage]
                    + (
                        ""
                        if not closing
                        else (
                            "，问题属实已处置"
                            if a["outcome"] == "problem_found"
                            else "，未发现问题"
                        )
                    ),
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "department": pl.String,
            "instruction_id": pl.String,
            "stage": pl.String,
            "reported_at": pl.Datetime("us"),
            "outcome": pl.String,
            "feedback_text": pl.String,
        },
    )


_TEXT = {"signed": "已签收", "on_scene": "已到达现场", "handled": "正在处置", "closed": "已办结"}


def _notices(
    rng: np.random.Generator, assignments: pl.DataFrame, config: Config, end: datetime
) -> pl.DataFrame:
    """The supervision notices the command centre sent: for a stage still not reached past its
    deadline, one per escalation step as its time comes (now and then one is not sent)."""
    steps = list(config.escalation.sort("step").iter_rows(named=True))
    rows = []
    for a in assignments.iter_rows(named=True):
        for stage, deadline in (
            ("signed", a["sign_by"]),
            ("on_scene", a["arrive_by"]),
            ("closed", a["close_by"]),
        ):
            reached = a[f"true_{stage}_at"]
            for step in steps:
                due = deadline + timedelta(hours=step["overdue_hours"], minutes=30)
                if due >= end or (reached is not None and reached <= due):
                    continue
                if rng.random() < 0.15:
                    continue
                rows.append(
                    {
                        "instruction_id": a["instruction_id"],
                        "department": a["department"],
                        "stage": stage,
                        "step": step["step"],
                        "issued_at": due,
                        "notify": step["notify"],
                    }
                )
    return pl.DataFrame(
        rows,
        schema={
            "instruction_id": pl.String,
            "department": pl.String,
            "stage": pl.String,
            "step": pl.Int64,
            "issued_at": pl.Datetime("us"),
            "notify": pl.String,
        },
    ).sort("issued_at", "instruction_id", "department", "stage", "step")


def _instructions_batch(loop: Loop) -> Batch:
    inst = loop.instructions
    rows = start_rows(
        inst.select(
            "instruction_id",
            "source_kind",
            "source_type",
            pl.when(pl.col("source_kind") == "warning")
            .then(pl.coalesce("subject_uscc", "address"))
            .otherwise(pl.concat_str(pl.lit("12345-"), pl.col("instruction_id").str.slice(2)))
            .alias("source_ref"),
            pl.when(pl.col("subject_uscc").is_not_null())
            .then(pl.col("subject_name"))
            .alias("unit_name"),
            pl.col("subject_uscc").alias("unit_uscc"),
            "address",
            "county_code",
            "longitude",
            "latitude",
            "lead_department",
            pl.col("supporting_departments").replace("", None),
            "level",
            pl.col("issued").alias("issued_at"),
            "sign_by",
            "arrive_by",
            "close_by",
            pl.concat_str(
                pl.lit("请"),
                pl.col("lead_department"),
                pl.lit("牵头核查处置："),
                pl.col("subject_name"),
            ).alias("instruction_text"),
            pl.col("issued").dt.date().alias(DAY),
            "site_id",
            pl.col("subject_uscc").is_not_null().alias("_has_org"),
        )
    )
    org_ids = rows.filter(pl.col("_has_org"))
    place_ids = rows.filter(~pl.col("_has_org"))
    return batch(
        rows,
        links(org_ids, "organisation", "site_id", "instructed_unit"),
        links(place_ids, "place", "site_id", "instructed_site"),
        drop=["site_id", "_has_org"],
    )


def _notices_batch(ctx: Context, loop: Loop) -> Batch:
    notices = loop.notices.with_columns(
        pl.concat_str(
            pl.lit("DB"),
            pl.col("issued_at").dt.strftime("%Y%m%d"),
            pl.int_range(1, pl.len() + 1)
            .over(pl.col("issued_at").dt.date())
            .cast(pl.String)
            .str.zfill(5),
        ).alias("noticeId")
    )
    rows = start_rows(
        notices.select(
            pl.col("noticeId").alias("notice_id"),
            pl.col("instruction_id").alias("instructionId"),
            pl.col("department").alias("dept"),
            pl.col("stage").alias("overdueStage"),
            pl.col("step").alias("level"),
            pl.col("issued_at").alias("issuedAt"),
            pl.col("notify").alias("sendTo"),
            pl.concat_str(
                pl.lit("督办："), pl.col("instruction_id"), pl.lit(" 超时未"), pl.col("stage")
            ).alias("content"),
            pl.col("issued_at").dt.date().alias(DAY),
        )
    )
    return batch(rows)


def _feedback_batch(ctx: Context, loop: Loop, form: FeedbackFormat) -> Batch:
    codes = loop_codes(form.department)
    reports = loop.reports.filter(pl.col("department") == form.department).sort(
        "reported_at", "instruction_id", "stage"
    )
    prefix = "FK" + form.department[:2].upper()
    rows = reports.select(
        pl.concat_str(
            pl.lit(prefix),
            pl.col("reported_at").dt.strftime("%Y%m%d"),
            pl.int_range(1, pl.len() + 1)
            .over(pl.col("reported_at").dt.date())
            .cast(pl.String)
            .str.zfill(6),
        ).alias("feedback_id"),
        "instruction_id",
        pl.col("stage").replace_strict(codes["stage"]).alias("stage"),
        (
            pl.col("reported_at")
            if form.time_format is not None
            else (
                pl.col("reported_at")
                .dt.replace_time_zone(ctx.config.city.profile.timezone)
                .dt.epoch("ms")
            )
        ).alias("reported_at"),
        "feedback_text",
        pl.col("outcome").replace_strict(codes["outcome"], default=None).alias("outcome"),
        pl.col("reported_at").dt.date().alias(DAY),
    ).rename(form.columns)
    return batch(start_rows(rows))


_CODES: dict[str, dict[str, dict[str, str]]] = {}


def loop_codes(department: str) -> dict[str, dict[str, str]]:
    """The department's own codes for each stage and outcome (handling_codes.csv), by meaning."""
    if not _CODES:
        codes = pl.read_csv(
            settings.dbt_project_dir() / CONFIG / "handling_codes.csv",
            schema_overrides={"code": pl.String},
        )
        for row in codes.iter_rows(named=True):
            _CODES.setdefault(row["department"], {}).setdefault(row["field"], {})[
                row["meaning"]
            ] = row["code"]
    return _CODES[department]
