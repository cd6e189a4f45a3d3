"""An interrupt Python drops is sent again (pipelines/lib/dropped_interrupts.py).

Each case runs in its own Python process: a signal handler raises in the main thread, and the
process is what the interrupt must stop."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pipelines.lib.dropped_interrupts import is_interrupt

# A weakref callback raises the interrupt, as a signal handler that ran inside it does when
# garbage collection starts the callback: Python drops it. Then the process sleeps in the code
# a run executes; only an interrupt sent again ends the sleep.
PROGRAM = textwrap.dedent(
    """
    import signal, sys, time, weakref
    from pipelines.lib.dropped_interrupts import resend_dropped_interrupts

    class DagsterExecutionInterruptedError(BaseException):
        pass  # Dagster's handler raises this one during a step

    if sys.argv[1] == "installed":
        resend_dropped_interrupts()
    if sys.argv[2] == "dagster":
        def handler(signum, frame):
            raise DagsterExecutionInterruptedError()
        signal.signal(signal.SIGINT, handler)
    error = DagsterExecutionInterruptedError if sys.argv[2] == "dagster" else KeyboardInterrupt

    class Held:
        pass

    def dropped(_):
        raise error()

    held = Held()
    reference = weakref.ref(held, dropped)
    del held  # the callback runs here and its exception is dropped
    try:
        time.sleep(float(sys.argv[3]))
    except (KeyboardInterrupt, DagsterExecutionInterruptedError) as stopped:
        print("stopped by", type(stopped).__name__)
        sys.exit(130)
    print("ran to the end")
    """
)


def _run(installed: bool, raised: str, sleep: float) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", PROGRAM, "installed" if installed else "not", raised, str(sleep)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("raised", ["keyboard", "dagster"])
def test_an_interrupt_dropped_in_a_weakref_callback_still_stops_the_process(raised):
    # The interrupt is sent again after 0.1 s: 30 s is what no scheduling delay reaches.
    result = _run(installed=True, raised=raised, sleep=30)

    expected = "KeyboardInterrupt" if raised == "keyboard" else "DagsterExecutionInterruptedError"
    assert result.returncode == 130, result.stdout + result.stderr
    assert result.stdout.strip() == f"stopped by {expected}"
    assert "Exception ignored in" in result.stderr  # still reported as Python would


def test_without_it_python_drops_the_interrupt():
    # What the hook is for: the same program runs to its end when it is not installed.
    result = _run(installed=False, raised="keyboard", sleep=2)

    assert result.returncode == 0
    assert result.stdout.strip() == "ran to the end"


def test_only_interrupts_are_sent_again():
    class DagsterExecutionInterruptedError(BaseException):
        pass

    class Special(KeyboardInterrupt):
        pass

    assert is_interrupt(KeyboardInterrupt())
    assert is_interrupt(Special())
    assert is_interrupt(DagsterExecutionInterruptedError())
    assert not is_interrupt(RuntimeError("Query interrupted"))
    assert not is_interrupt(None)
