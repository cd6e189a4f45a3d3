"""What engineers decided about pairs from a review queue, kept in the lake beside the key registry.

lake/linkage/<kind>/decisions.parquet   every decision ever recorded (append-only)

A decision says two records are the `same` entity or `different` ones. The newest decision on
a pair is the one in force: linkage then links a pair decided the same (unless that would give
one entity two credit codes or two full identity numbers) and never puts the two records of a
pair decided different into one entity, however strongly they are linked through others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from pipelines.lib.atomic import append_parquet_atomic
from pipelines.lib.storage import Location, read_parquet_or_empty

SAME, DIFFERENT = "same", "different"
# Instances (pl.String()): mypy types a mix of classes and instances as dict[str, object].
DECISIONS_SCHEMA = pl.Schema(
    {
        "record_id_l": pl.String(),
        "record_id_r": pl.String(),
        "decision": pl.String(),
        "decided_by": pl.String(),
        "decided_at": pl.Datetime("us", "UTC"),
        "note": pl.String(),
    }
)


def pair(a: str, b: str) -> tuple[str, str]:
    """A pair in the order Splink and the review queue give it: the smaller record id first."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class Decisions:
    folder: Location  # the kind's folder in the lake, as for its key registry

    @property
    def path(self) -> Location:
        return self.folder / "decisions.parquet"

    def history(self) -> pl.DataFrame:
        return read_parquet_or_empty(self.path, DECISIONS_SCHEMA)

    def in_force(self) -> pl.DataFrame:
        """The newest decision on each pair."""
        return (
            self.history()
            .sort("decided_at")
            .group_by("record_id_l", "record_id_r", maintain_order=True)
            .last()
            .sort("record_id_l", "record_id_r")
        )

    def record(
        self, a: str, b: str, decision: str, decided_by: str, note: str | None = None
    ) -> None:
        if decision not in (SAME, DIFFERENT):
            raise ValueError(f"a decision is {SAME!r} or {DIFFERENT!r}, not {decision!r}")
        left, right = pair(a, b)
        row = pl.DataFrame(
            [
                {
                    "record_id_l": left,
                    "record_id_r": right,
                    "decision": decision,
                    "decided_by": decided_by,
                    "decided_at": datetime.now(UTC),
                    "note": note,
                }
            ],
            schema=DECISIONS_SCHEMA,
        )
        append_parquet_atomic(self.path, row)
