"""A Dagster server the tests start on this machine: a free port on 127.0.0.1, and a way to stop
the server with everything it started (it runs in a process group of its own)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from contextlib import suppress


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_group(process: subprocess.Popen, first: signal.Signals) -> None:
    """`first` to the process group (how the server shuts down itself and its code servers),
    SIGKILL if it is still there after a while, then SIGKILL to anything of the group left
    behind (a code server may outlive the server that started it by a moment)."""
    try:
        if process.poll() is None:
            os.killpg(process.pid, first)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
    except ProcessLookupError:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
