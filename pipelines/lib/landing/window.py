"""The delivery window: the days a delivery may be named for, from the first delivery day to tomorrow.

The ingestion assets' partitions are the days delivered for inside it
(pipelines/defs/ingest/partitions.py): a file named for a day outside it never becomes
a partition. It is reported by the landing inventory and left alone, never handed to
Dagster, where one such day would stretch the span of delivery days by decades (a typo
in its date) or ingest days the city does not accept deliveries for. Tomorrow, not today: a department whose
clock runs a little ahead, or that delivers just after midnight, is not refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DeliveryWindow:
    first: date
    last: date
    first_day_setting: str = "the first delivery day"  # where a person changes `first`

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def why_outside(self, day: date) -> str | None:
        """None inside the window; otherwise the reason, in words."""
        if day < self.first:
            return f"{day} is before the first delivery day {self.first}"
        if day > self.last:
            return f"{day} is after tomorrow ({self.last}): a delivery cannot be for a day to come"
        return None

    def what_to_do(self) -> str:
        return (
            "rename each file to the day it was delivered for (a typo in its date?), or move it "
            f"out of landing/; for deliveries older than {self.first}, set an earlier "
            f"first delivery day ({self.first_day_setting}); then run again"
        )

    def to_json(self) -> dict[str, str]:
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "first_day_setting": self.first_day_setting,
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> DeliveryWindow:
        return cls(
            date.fromisoformat(data["first"]),
            date.fromisoformat(data["last"]),
            data.get("first_day_setting", cls.first_day_setting),
        )


def delivery_window(
    first: date, time_zone: str, *, first_day_setting: str, now: datetime | None = None
) -> DeliveryWindow:
    """[first, tomorrow], tomorrow as the city counts days (`time_zone`)."""
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(time_zone)).date()
    return DeliveryWindow(first, today + timedelta(days=1), first_day_setting)
