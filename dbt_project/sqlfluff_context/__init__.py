"""dbt's `var()` and `env_var()` for sqlfluff's Jinja templater (`.sqlfluff`: `library_path`).

sqlfluff's dbt builtins stand `var()` in with a placeholder string and know no `env_var()`, so
models that compute with a var (a distance in metres, a dict of bounds) or read the environment
do not render. Here `var()` returns the project's own value from `dbt_project.yml`, or the
repository's city profile's (`contracts/city.yaml`, as a run passes it), and `env_var()` its
default: every file renders as dbt renders it on a default setup, and lint never depends on the
shell it runs in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pipelines.lib.city_profile import load_city_profile

_REPOSITORY = Path(__file__).resolve().parents[2]
_PROJECT_VARS: dict[str, Any] = {
    **yaml.safe_load((_REPOSITORY / "dbt_project" / "dbt_project.yml").read_text("utf-8"))["vars"],
    **load_city_profile(_REPOSITORY / "contracts" / "city.yaml").dbt_vars(),
}
_NO_DEFAULT = object()


def var(name: str, default: Any = _NO_DEFAULT) -> Any:
    if name in _PROJECT_VARS:
        return _PROJECT_VARS[name]
    if default is _NO_DEFAULT:
        raise KeyError(f"var({name!r}) is not in dbt_project.yml nor the city profile, and has no default")
    return default


def env_var(name: str, default: str | None = None) -> str:
    return default if default is not None else f"${name}"


class _Adapter:
    """dbt's `adapter` as the models call it: a relation looked up exists, so the branch that
    reads it is the one linted."""

    @staticmethod
    def get_relation(database: str, schema: str, identifier: str) -> str:
        return f"{database}.{schema}.{identifier}"


adapter = _Adapter()
