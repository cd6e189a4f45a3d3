"""The state of a contracts folder, by content: what parsed contracts are cached by.

Parsing every contract takes a second or so (YAML, then the ODCS JSON Schema), and one process
asks for them several times: the code location when it loads, the warehouse table contracts for
their vocabularies, each department's publishing and quality steps. They are parsed once per
process for as long as no file under the folder changes.
"""

from __future__ import annotations

import os
from hashlib import sha256
from pathlib import Path


def folder_state(folder: Path) -> tuple[tuple[str, str], ...]:
    """Every file under `folder` with a hash of its content (a change to any, a file added or
    removed, is a new state; by content, so that two edits within one tick of the clock are two)."""
    state = []
    for parent, _, files in os.walk(folder):
        for name in files:
            path = Path(parent, name)
            state.append((str(path.relative_to(folder)), sha256(path.read_bytes()).hexdigest()))
    return tuple(sorted(state))
