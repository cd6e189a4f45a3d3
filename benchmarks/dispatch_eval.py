"""Evaluation: the dispatch loop's marts against the sample city's ground truth (issue 19).

    uv run python benchmarks/dispatch_eval.py --data-dir DIR [--data-dir DIR2 ...]

Each DIR is a sample city `safecity run` has built. Prints, per city: unanswered instructions and
false closures found (precision and recall, target >= 0.95 each), where the planted slow
departments rank in the assessment (target: at the bottom), and the planted warnings without an
instruction that uninstructed_warnings lists (target: all); writes
benchmarks/results/dispatch_eval.json. Exit 1 when a city misses a target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
from measure import city_label, machine_info, print_machine, write_results

from pipelines.lib import dispatch_report
from pipelines.lib.data_dir import DataDir

TARGET = 0.95


def evaluate(data_dir: Path) -> tuple[dict[str, object], bool]:
    truth = data_dir / "ground_truth"
    with duckdb.connect(str(DataDir(data_dir).analytics), read_only=True) as analytics:
        unanswered = dispatch_report.unanswered(analytics, truth)
        false_closures = dispatch_report.false_closures(analytics, truth)
        ranks = dispatch_report.department_ranks(analytics)
        listed = dispatch_report.uninstructed_listed(analytics, truth)
    slow = dispatch_report.slow_departments(truth)
    bottom = ranks[len(ranks) - len(slow) :]
    found = {"unanswered": unanswered, "false_closures": false_closures}
    result: dict[str, object] = {
        name: {"found": f.found, "correct": f.true_positives, "planted": f.planted}
        | {"precision": round(f.precision, 4), "recall": round(f.recall, 4)}
        for name, f in found.items()
    }
    result["departments_best_first"] = ranks
    result["slow_departments"] = slow
    result["uninstructed_listed"] = f"{sum(listed)}/{len(listed)}"
    ok = (
        all(min(f.precision, f.recall) >= TARGET for f in found.values())
        and set(slow) == set(bottom)
        and all(listed)
    )
    return result, ok


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
        result, met = evaluate(data_dir)
        results[label] = result
        ok &= met
        print(f"{label}: {'targets met' if met else 'TARGETS MISSED'}")
        for name in ("unanswered", "false_closures"):
            f = result[name]
            assert isinstance(f, dict)
            print(
                f"  {name.replace('_', ' ')}: {f['correct']} of {f['found']} found are planted, "
                f"{f['correct']} of {f['planted']} planted found: precision {f['precision']:.3f}, "
                f"recall {f['recall']:.3f} (target >= {TARGET})"
            )
        ranks = result["departments_best_first"]
        assert isinstance(ranks, list)
        slow = result["slow_departments"]
        assert isinstance(slow, list)
        print(
            "  assessment, best first: "
            + ", ".join(
                f"{i}. {d}{' (planted slow)' if d in slow else ''}" for i, d in enumerate(ranks, 1)
            )
        )
        print(f"  warnings planted without an instruction listed: {result['uninstructed_listed']}")
    write_results("dispatch_eval", results, machine)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
