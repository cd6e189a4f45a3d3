"""Evaluation: the sensing marts (sensor_alarms, sensor_health, traffic_congestion) against the
sample city's ground truth (issue 21).

    uv run python benchmarks/sensing_eval.py --data-dir DIR [--data-dir DIR2 ...]

Each DIR is a sample city `safecity run` has built. Prints, per city: incident recall (target
>= 0.95), false incident alarms per 1,000 device-days (target <= 1), faulty devices listed in
sensor_health (target: all), congestion recall and false episodes; writes
benchmarks/results/sensing_eval.json. Exit 1 when a city misses a target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from measure import city_label, machine_info, print_machine, write_results

from pipelines.lib.sensing_eval import FALSE_ALARMS_TARGET, RECALL_TARGET, evaluate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, action="append", required=True)
    args = parser.parse_args()
    machine = machine_info()
    print_machine(machine)
    results = {}
    ok = True
    for data_dir in args.data_dir:
        label = city_label(data_dir)
        score = evaluate(data_dir)
        results[label] = score.as_dict()
        ok &= score.meets_targets
        print(
            f"{label}: {score.devices} devices, {score.device_days:g} device-days\n"
            f"  incident recall {score.incidents_detected}/{score.incidents} = {score.recall:.3f}"
            f" (target >= {RECALL_TARGET})\n"
            f"  false incident alarms {score.false_alarms} = "
            f"{score.false_alarms_per_1000_device_days:.2f} per 1,000 device-days (target <= {FALSE_ALARMS_TARGET:g})\n"
            f"  faulty devices in sensor_health {score.faulty_devices_listed}/{score.faulty_devices}\n"
            f"  congestion recall {score.congestions_detected}/{score.congestions}, "
            f"episodes {score.congestion_episodes} of which {score.congestion_false_episodes} match no planted one"
        )
        for name, items in (
            ("missed incidents", score.missed_incidents),
            ("faults not listed", score.unlisted_faults),
            ("false alarms", score.false_alarm_ids),
        ):
            if items:
                print(f"  {name}: " + "; ".join(items[:10]))
    write_results("sensing_eval", results, machine)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
