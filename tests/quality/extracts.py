"""Department extracts built in tmp_path, in the publisher's layout, from DataFrames.

`extracts/<department>/<table>/part-*.parquet` (fct_event as `fct_event/month=YYYY-MM/`)
and a minimal `manifest.json` with each table's rows and columns and their treatment.
The fixture department is granted no personal data: person keys and names arrive
pseudonymised, identity numbers, birth dates and phones masked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

DEPARTMENT = "fire_rescue"
SECRET = b"test-only pseudonym key"
# Column -> treatment, per table; a column not named here is published in clear.
TREATMENTS = {
    "dim_person": {
        "person_key": "pseudonymised",
        "id_number_hash": "pseudonymised",
        "id_number_masked": "masked",
        "name": "pseudonymised",
        "birth_date": "masked",
        "phone": "masked",
    },
    "bridge_event_person": {"person_key": "pseudonymised"},
}
EVENT_TYPES = ["fire", "rescue", "fire_hazard_finding", "traffic_accident"]
CATEGORIES = ["accident_disaster", "social_security", "public_health"]
SEVERITIES = ["I", "II", "III", "IV", None]
COUNTIES = ["510104", "510105", "510106", "510107"]


def pseudonym(value: str) -> str:
    return hmac.new(SECRET, value.encode("utf-8"), hashlib.sha256).hexdigest()


def good_tables(rows: int = 40, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Contract-valid tables: `rows` events and persons, half as many organisations."""
    rng = np.random.default_rng(seed)
    people = rows
    person_keys = [f"P:{i:032x}" for i in range(people)]
    id_numbers = [f"510104{1970 + i % 40:04d}0101{i % 1000:03d}{i % 10}" for i in range(people)]
    person = pd.DataFrame(
        {
            "person_key": [pseudonym(k) for k in person_keys],
            "id_number_hash": [pseudonym(n) for n in id_numbers],
            "id_number_masked": [n[:6] + "********" + n[-4:] for n in id_numbers],
            "name": [pseudonym(f"张{i}") for i in range(people)],
            "sex": rng.choice(["M", "F"], people),
            "birth_date": [f"{1970 + i % 40}-**-**" for i in range(people)],
            "phone": [None if i % 3 == 0 else f"138****{i % 10000:04d}" for i in range(people)],
            "key_kind": "identity_number",
            "source_mentions": rng.integers(1, 5, people),
            "source_feeds": rng.integers(1, 3, people),
        }
    )
    organisations = max(rows // 2, 1)
    organisation = pd.DataFrame(
        {
            "organisation_key": [f"U:91510100MA{i:08d}" for i in range(organisations)],
            "uscc": [None if i % 4 == 0 else f"91510100MA{i:08d}" for i in range(organisations)],
            "name": [f"成都某某有限公司{i}" for i in range(organisations)],
            "name_variants": rng.integers(1, 4, organisations),
            "licence_no": [
                None if i % 2 else f"JY{51010000000000 + i:014d}" for i in range(organisations)
            ],
            "industry_code": "H6210",
            "organisation_type": "restaurant",
            "legal_rep_person_key": [person_keys[i % people] for i in range(organisations)],
            "place_key": [f"L:{i:08d}" for i in range(organisations)],
            "county_code": rng.choice(COUNTIES, organisations),
            "key_kind": "uscc",
            "source_mentions": rng.integers(1, 5, organisations),
            "source_feeds": rng.integers(1, 3, organisations),
            "first_seen": pd.to_datetime("2026-03-01").date(),
            "last_seen": pd.to_datetime("2026-03-07").date(),
        }
    )
    occurred = pd.Timestamp("2026-01-01", tz="Asia/Shanghai") + pd.to_timedelta(
        rng.integers(0, 90 * 86400, rows), unit="s"
    )
    counties = rng.choice(COUNTIES, rows)
    event_types = rng.choice(EVENT_TYPES, rows)
    event = pd.DataFrame(
        {
            "event_key": [f"E:{i:016x}" for i in range(rows)],
            "event_type": event_types,
            "category": rng.choice(CATEGORIES, rows),
            "severity": rng.choice(np.array(SEVERITIES, dtype=object), rows),
            "occurred_at": occurred,
            "delivery_date": occurred.date,
            "place_key": [f"L:{i % organisations:08d}" for i in range(rows)],
            "county_code": counties,
            "township_code": [c + "001" for c in counties],
            "grid_cell_id": [f"{c}001-{i % 999:06d}" for i, c in enumerate(counties)],
            "deaths": pd.array(rng.integers(0, 2, rows), dtype="Int64"),
            "injuries": pd.array(
                [None if i % 5 == 0 else i % 4 for i in range(rows)], dtype="Int64"
            ),
            "description": [f"事件 {i}" for i in range(rows)],
            "due_date": None,
            "resolved_date": None,
            "major_hazard": rng.random(rows) < 0.1,
            "source_department": "fire_rescue",
            "source_feed": "fire_incidents",
            "source_record_id": [f"fire_incidents:{i}" for i in range(rows)],
        }
    )
    bridge = pd.DataFrame(
        {
            "event_key": event["event_key"],
            "person_key": [person["person_key"][i % people] for i in range(rows)],
            "role": rng.choice(["driver", "victim"], rows),
        }
    )
    return {
        "dim_person": person,
        "dim_organisation": organisation,
        "fct_event": event,
        "bridge_event_person": bridge,
    }


@dataclass
class Extract:
    root: Path  # the data directory
    department: str = DEPARTMENT
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.root / "extracts" / self.department

    @property
    def report(self) -> Path:
        return self.root / "reports" / "quality" / self.department

    def write(self, treatments: dict[str, dict[str, str]] | None = None) -> Extract:
        """(Re)write every table and the manifest, as the publisher would."""
        treatments = TREATMENTS if treatments is None else treatments
        manifest_tables = {}
        for name, frame in self.tables.items():
            folder = self.folder / name
            for old in folder.rglob("*.parquet") if folder.exists() else []:
                old.unlink()
            files = []
            if name == "fct_event":
                months = frame["occurred_at"].dt.strftime("%Y-%m")
                for month in sorted(months.unique()):
                    files.append(
                        self._write(
                            frame[months == month], folder / f"month={month}" / "part-0.parquet"
                        )
                    )
            else:  # two files, as a large table may be written in row groups of files
                half = len(frame) // 2
                files.append(self._write(frame.iloc[:half], folder / "part-0.parquet"))
                files.append(self._write(frame.iloc[half:], folder / "part-1.parquet"))
            manifest_tables[name] = {
                "rows": len(frame),
                "columns": [
                    {
                        "name": c,
                        "type": str(frame[c].dtype),
                        "treatment": treatments.get(name, {}).get(c, "clear"),
                    }
                    for c in frame.columns
                ],
                "files": files,
            }
        manifest = {
            "department": self.department,
            "policy_version": "test",
            "tables": manifest_tables,
        }
        (self.folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        return self

    def _write(self, frame: pd.DataFrame, path: Path) -> dict[str, object]:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        data = path.read_bytes()
        return {
            "path": path.relative_to(self.folder).as_posix(),
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
