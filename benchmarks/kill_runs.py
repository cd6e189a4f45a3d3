"""Proof: a `safecity run` killed at any moment leaves nothing claimed, and a plain re-run builds
the same city as a run never killed.

    uv run python benchmarks/kill_runs.py [--city DATA_DIR] [--trials 10] [--seed 1]

Without --city, the tiny city (seed 42) is generated into a temporary folder. One clean run
gives the reference and the run's length; then each trial copies the city's landing afresh, starts
`safecity run`, SIGKILLs it at a random moment (seeded, spread over the whole run), and runs
`safecity run` again, plainly. Each trial prints the moment, the step the run was in, whether it
held a slot in a pool (the `warehouse` pool is the one that blocked every later run), the re-run's
exit and time, what it released, and whether bronze, quarantine, the analytics copy's tables and
the extracts' files are identical to the reference (tests/pipeline/city_snapshot.py). Exit 0 when
every re-run succeeded and is identical.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# The comparison and the run process are shared with the test (tests/pipeline/test_killed_runs.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster as dg
from measure import DEVELOPMENT_KEYS

from pipelines.lib import settings
from pipelines.sample_city.generate import generate_city
from tests.pipeline.city_snapshot import RunProcess, differences, snapshot

_STEP_START = re.compile(r"^\S+ \S+\s+(\S+) STEP_START ", re.MULTILINE)
_RELEASED = re.compile(r"^\[[^]]*\] (run \S+ .*(?:marked failed|freed).*)$", re.MULTILINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--city", type=Path, help="a data directory with landing/ and city.yaml")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill moments")
    parser.add_argument(
        "--reference",
        type=Path,
        help="a never-killed build of the same city (skips the reference run; its log gives the "
        "run's length)",
    )
    args = parser.parse_args(argv)
    # The runs pseudonymise and hash identities with keys: the development keys unless set.
    for item, key in DEVELOPMENT_KEYS.items():
        if not settings.is_set(item):
            settings.export(item, key)
    work = Path(tempfile.mkdtemp(prefix="kill_runs_"))
    source = args.city
    if source is None:
        source = work / "generated"
        generate_city(source, scale="tiny", seed=42)
        print(f"city: the tiny city, seed 42, generated into {source}")
    else:
        print(f"city: {source}")

    if args.reference is not None:
        reference = args.reference
        length = _logged_length(reference)
    else:
        reference = _fresh_copy(source, work / "reference")
        run = RunProcess(reference, work, work / "reference.out")
        code = run.wait(timeout=None)
        length = time.time() - run.started
        if code != 0:
            print(f"the reference run failed (exit {code}): {run.text()}")
            return 2
    expected = snapshot(reference)
    print(
        f"reference run: {length:.0f}s; {sum(expected.bronze.values()):,} bronze rows, "
        f"{sum(expected.quarantine.values()):,} quarantined, {len(expected.warehouse)} tables, "
        f"{len(expected.extracts)} extracts"
    )

    rng = random.Random(args.seed)
    failures = trials = attempt = 0
    while trials < args.trials:
        attempt += 1
        moment = rng.uniform(0.02, 0.98) * length
        root = _fresh_copy(source, work / f"attempt-{attempt}")
        killed = RunProcess(root, work, work / f"attempt-{attempt}-killed.out")
        while killed.process.poll() is None and time.time() - killed.started < moment:
            time.sleep(0.1)
        if killed.process.poll() is not None:
            # Faster than the runs before it (a quieter machine): no kill to prove anything
            # with. Said, not counted, and the moments are drawn over this run's length.
            length = time.time() - killed.started
            print(f"attempt {attempt}: the run ended before {moment:.0f}s; not killed, not counted")
            killed.wait()
            shutil.rmtree(root, ignore_errors=True)
            continue
        trials += 1
        trial = trials
        steps = _STEP_START.findall(killed.log_text())
        killed.kill(signal.SIGKILL)
        held = _slots_held(root)
        rerun = RunProcess(root, work, work / f"trial-{trial}-rerun.out")
        code = rerun.wait(timeout=None)
        took = time.time() - rerun.started
        diff = differences(expected, snapshot(root)) if code == 0 else []
        identical = code == 0 and not diff
        failures += not identical
        released = _RELEASED.findall(rerun.text())
        print(
            f"trial {trial}: killed at {moment:5.1f}s in {steps[-1] if steps else 'start-up'}"
            f" ({'holding ' + held if held else 'no slot held'}); re-run exit {code} in "
            f"{took:.0f}s; identical: {'yes' if identical else 'no'}"
        )
        for line in released:
            print(f"    re-run: {line}")
        for line in diff[:20]:
            print(f"    differs: {line}")
        if code != 0:
            print("    " + rerun.text().strip().replace("\n", "\n    "))
    print(f"{trials - failures} of {trials} killed runs re-ran to an identical city")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if failures == 0 else 1


def _logged_length(root: Path) -> float:
    """Seconds the newest run of `root` took: from its log's name (when it opened) to the log's
    last write."""
    log = max((root / "logs").glob("run-*.log"))
    opened = datetime.strptime(log.stem, "run-%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return log.stat().st_mtime - opened.timestamp()


def _fresh_copy(source: Path, root: Path) -> Path:
    """The city's deliveries and profile only: nothing a run built."""
    root.mkdir(parents=True)
    shutil.copytree(source / "landing", root / "landing")
    for name in ("city.yaml", "ground_truth"):
        path = source / name
        if path.is_dir():
            shutil.copytree(path, root / name)
        elif path.is_file():
            shutil.copy2(path, root / name)
    return root


def _slots_held(root: Path) -> str:
    """The pools in which the killed run's steps still hold a slot, as the next run finds them."""
    home = root / "dagster_home"
    if not home.is_dir():
        return ""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        held = [
            f"the {key} slot ({slot.step_key})"
            for key in sorted(storage.get_concurrency_keys())
            for slot in storage.get_concurrency_info(key).claimed_slots
        ]
    return ", ".join(held)


if __name__ == "__main__":
    raise SystemExit(main())
