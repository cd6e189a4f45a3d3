"""An interrupt Python drops is sent again, so a run SIGINT or SIGTERM interrupted stops.

A signal handler runs wherever the main thread is, also inside a finalizer or a weakref callback
that garbage collection started. An exception raised there cannot propagate: Python prints
"Exception ignored in ..." and goes on, and the interrupt is lost (a run went on to succeed
after SIGTERM, exit 0). Python reports such an exception to `sys.unraisablehook`, the only place
that sees it; the hook here sends SIGINT again, which the handler of the moment then raises
where the run executes (SIGTERM and SIGINT stop a command alike: pipelines/cli.py, Dagster).

Dagster's exception is matched by name: this module is installed before anything imports
Dagster, which the command line does only for the commands that need it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

# what a SIGINT or SIGTERM handler raises: Python's default, and Dagster's during a step
INTERRUPT_NAMES = frozenset({"KeyboardInterrupt", "DagsterExecutionInterruptedError"})

# Long enough for the finalizer or callback that dropped the interrupt to have returned: sent
# from within it, the signal would be dropped again.
RESEND_AFTER_SECONDS = 0.1


def resend_dropped_interrupts() -> None:
    """From now on, whenever Python drops an interrupt, report it as before and send SIGINT
    again from a timer thread."""
    report = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        report(unraisable)
        if is_interrupt(unraisable.exc_value):
            resend = threading.Timer(RESEND_AFTER_SECONDS, os.kill, (os.getpid(), signal.SIGINT))
            resend.daemon = True
            resend.start()

    sys.unraisablehook = hook


def is_interrupt(error: BaseException | None) -> bool:
    """Whether the error is one a SIGINT or SIGTERM handler raises."""
    return error is not None and any(cls.__name__ in INTERRUPT_NAMES for cls in type(error).__mro__)
