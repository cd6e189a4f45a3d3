"""A run that SIGINT or SIGTERM interrupted stops: no step starts after the interrupted one.

Dagster ends a run when a step's code is interrupted, but DuckDB turns an interrupt that
arrives during a query into its own `RuntimeError("Query interrupted")`, which Dagster takes
for an ordinary step failure: the run went on to its next step. And DuckDB 1.5 never finishes
opening again a database file whose query a signal interrupted in the same process: that next
step (an extract opening the analytics copy) spun at full CPU until killed. This failure hook
runs after a failed step, before the next starts, and raises the interrupt again when the
step's error came from one, so the run ends there as interrupted.
"""

from __future__ import annotations

import dagster as dg

INTERRUPTS = (KeyboardInterrupt, dg.DagsterExecutionInterruptedError)


@dg.failure_hook
def stop_on_interrupt(context: dg.HookContext) -> None:
    """Raise the interrupt again if the failed step's error came from one."""
    if interrupted(context.op_exception):
        raise dg.DagsterExecutionInterruptedError()


def interrupted(error: BaseException | None) -> bool:
    """Whether an interrupt is the error or among its causes (DuckDB's error names it as such)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, INTERRUPTS):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False
