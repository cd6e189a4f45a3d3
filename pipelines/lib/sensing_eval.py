"""The sensing marts against the sample city's ground truth (issue 21's "Done when").

- incident recall: planted incidents (ground_truth/sensor_incidents) with an incident alarm in
  sensor_alarms on the same device and measure, starting between the incident's start and its end
  (target >= 0.95);
- false alarms per 1,000 device-days: incident alarms on a device that has no planted incident
  (every such alarm is false; the planted faults are where they would come from), per 1,000 days
  of telemetry over all devices (target <= 1);
- faulty devices listed: the share of devices with a planted fault (ground_truth/sensor_faults)
  that sensor_health lists with that fault kind (target 1.0);
- congestion recall and false episodes: planted congestion (ground_truth/traffic_congestion)
  overlapped by a traffic_congestion episode of its detector, and episodes overlapping none.

Reads the analytics copy (analytics.duckdb) and ground_truth/ of a data directory; writes nothing.
Truth times are the city's local wall-clock times; the marts' are instants, compared in the city's
time zone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from pipelines.lib.city_profile import load_city_profile

RECALL_TARGET = 0.95
FALSE_ALARMS_TARGET = 1.0  # per 1,000 device-days


@dataclass(frozen=True)
class SensingScore:
    devices: int
    device_days: float
    incidents: int
    incidents_detected: int
    incident_alarms: int
    false_alarms: int
    faulty_devices: int
    faulty_devices_listed: int
    congestions: int
    congestions_detected: int
    congestion_episodes: int
    congestion_false_episodes: int
    missed_incidents: list[str]
    unlisted_faults: list[str]
    false_alarm_ids: list[str]

    @property
    def recall(self) -> float:
        return self.incidents_detected / self.incidents if self.incidents else 1.0

    @property
    def false_alarms_per_1000_device_days(self) -> float:
        return 1000 * self.false_alarms / self.device_days if self.device_days else 0.0

    @property
    def faulty_listed_share(self) -> float:
        return self.faulty_devices_listed / self.faulty_devices if self.faulty_devices else 1.0

    @property
    def congestion_recall(self) -> float:
        return self.congestions_detected / self.congestions if self.congestions else 1.0

    @property
    def meets_targets(self) -> bool:
        return (
            self.recall >= RECALL_TARGET
            and self.false_alarms_per_1000_device_days <= FALSE_ALARMS_TARGET
            and self.faulty_listed_share == 1.0
        )

    def as_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "recall": round(self.recall, 4),
            "false_alarms_per_1000_device_days": round(self.false_alarms_per_1000_device_days, 3),
            "faulty_listed_share": round(self.faulty_listed_share, 4),
            "congestion_recall": round(self.congestion_recall, 4),
            "meets_targets": self.meets_targets,
        }


def evaluate(data_dir: Path) -> SensingScore:
    data_dir = Path(data_dir)
    truth = data_dir / "ground_truth"
    zone = load_city_profile(data_dir / "city.yaml").timezone
    with duckdb.connect(str(data_dir / "analytics.duckdb"), read_only=True) as con:
        con.execute(f"set TimeZone = '{zone}'")
        for name in ("sensor_devices", "sensor_incidents", "sensor_faults", "traffic_congestion"):
            path = str(truth / f"{name}.parquet").replace("'", "''")
            con.execute(f"create temp view truth_{name} as select * from read_parquet('{path}')")
        local = "cast(timezone('{zone}', {column}) as timestamp)"
        alarm_start = local.format(zone=zone, column="a.started_at")
        devices, device_days = con.execute(
            "select count(*), coalesce(sum(telemetry_days), 0) from truth_sensor_devices"
        ).fetchone() or (0, 0)
        incidents = con.execute(
            f"""
            select i.device_id || ' ' || i.incident_kind || ' ' || i.started_at as incident,
                   exists (
                       select 1 from sensor_alarms as a
                       where a.device_id = i.device_id and a.measure = i.measure
                         and a.severity = 'incident'
                         and {alarm_start} between i.started_at and i.ended_at
                   ) as detected
            from truth_sensor_incidents as i
            order by incident
            """
        ).fetchall()
        alarms = con.execute(
            """
            select a.alarm_id, a.device_id in (select device_id from truth_sensor_incidents) as planted
            from sensor_alarms as a
            where a.severity = 'incident'
            order by a.alarm_id
            """
        ).fetchall()
        faults = con.execute(
            """
            select distinct f.device_id || ' ' || f.fault_kind as fault,
                   exists (
                       select 1 from sensor_health as h
                       where h.device_id = f.device_id and h.fault_kind = f.fault_kind
                   ) as listed
            from truth_sensor_faults as f
            order by fault
            """
        ).fetchall()
        congestion_truth = con.execute(
            f"""
            select exists (
                select 1 from traffic_congestion as c
                where c.detector_id = t.detector_id
                  and {local.format(zone=zone, column="c.started_at")} <= t.ended_at
                  and {local.format(zone=zone, column="c.ended_at")} >= t.started_at
            )
            from truth_traffic_congestion as t
            """
        ).fetchall()
        episodes = con.execute(
            f"""
            select exists (
                select 1 from truth_traffic_congestion as t
                where c.detector_id = t.detector_id
                  and {local.format(zone=zone, column="c.started_at")} <= t.ended_at
                  and {local.format(zone=zone, column="c.ended_at")} >= t.started_at
            )
            from traffic_congestion as c
            """
        ).fetchall()
    faulty_devices = {fault.split(" ")[0] for fault, _ in faults}
    unlisted = [fault for fault, listed in faults if not listed]
    return SensingScore(
        devices=int(devices),
        device_days=float(device_days),
        incidents=len(incidents),
        incidents_detected=sum(1 for _, detected in incidents if detected),
        incident_alarms=len(alarms),
        false_alarms=sum(1 for _, planted in alarms if not planted),
        faulty_devices=len(faulty_devices),
        faulty_devices_listed=len(faulty_devices - {fault.split(" ")[0] for fault in unlisted}),
        congestions=len(congestion_truth),
        congestions_detected=sum(1 for (hit,) in congestion_truth if hit),
        congestion_episodes=len(episodes),
        congestion_false_episodes=sum(1 for (hit,) in episodes if not hit),
        missed_incidents=[incident for incident, detected in incidents if not detected],
        unlisted_faults=unlisted,
        false_alarm_ids=[alarm for alarm, planted in alarms if not planted],
    )
