"""dbt's `var()` and `env_var()` for sqlfluff's Jinja templater (`.sqlfluff`: `library_path`).

sqlfluff's dbt builtins stand `var()` in with a placeholder string and know no `env_var()`, so
models that compute with a var (a distance in metres, a dict of bounds) or read the environment
do not render. Here `var()` returns the project's own value from `dbt_project.yml`, and
`env_var()` its default: every file renders as dbt renders it on a default setup, and lint never
depends on the shell it runs in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_PROJECT_VARS: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "dbt_project.yml").read_text(encoding="utf-8")
).get("vars", {})
_NO_DEFAULT = object()


def var(name: str, default: Any = _NO_DEFAULT) -> Any:
    if name in _PROJECT_VARS:
        return _PROJECT_VARS[name]
    if default is _NO_DEFAULT:
        raise KeyError(f"var({name!r}) is not in dbt_project.yml and has no default")
    return default


def env_var(name: str, default: str | None = None) -> str:
    return default if default is not None else f"${name}"
