"""Every setting safecity takes from outside: the environment variables and the configuration files.

This module is the only code that reads the environment. Each variable is registered once,
with its default, what it means and whether it is a secret; the README's table of settings
is tested against `ENVIRONMENT` and `CONFIG_FILES` in both directions, and a test fails when
another module reads `os.environ` itself. Modules ask for a setting by its registered name
(`value(LAKE_ROOT)`) or through the typed helpers below.

A secret's value is never logged or shown: `Setting.shown` hides it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pipelines


class SettingError(Exception):
    """A setting has a value safecity cannot use; the message names the variable and what to do."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None  # None: no default, unset means "not configured"
    meaning: str
    secret: bool = False

    def shown(self, value: str | None) -> str:
        """The value as a log line may show it."""
        if value is None:
            return "(unset)"
        return "<secret>" if self.secret else value


# ---------------------------------------------------------------- where things are

DATA_DIR = Setting(
    "SAFECITY_DATA_DIR",
    "data",
    "the data directory every command and `dagster dev` work on (relative to the working directory)",
)
CONTRACTS_DIR = Setting(
    "SAFECITY_CONTRACTS_DIR",
    "contracts",
    "the folder of feed, warehouse and sharing contracts and the city profile",
)
CITY_PROFILE = Setting(
    "SAFECITY_CITY_PROFILE",
    None,
    "the city profile (YAML) to use; unset: `<data dir>/city.yaml` if there is one, else `<contracts>/city.yaml`",
)
LAKE_ROOT = Setting(
    "SAFECITY_LAKE_ROOT",
    None,
    "where the lake is: a local folder or `s3://bucket/prefix`; unset: `<data dir>/lake`",
)
EXTRACTS_ROOT = Setting(
    "SAFECITY_EXTRACTS_ROOT",
    None,
    "where departments' extracts are published: a local folder or `s3://bucket/prefix`; unset: `<data dir>/extracts`",
)
DBT_PROJECT_DIR = Setting(
    "SAFECITY_DBT_PROJECT_DIR", "dbt_project", "the dbt project (relative to the working directory)"
)
REFERENCE_DIR = Setting(
    "SAFECITY_REFERENCE_DIR",
    "pipelines/reference",
    "the reference tables dbt reads (admin divisions, standards); the warehouse step sets it to the installed package's",
)
REPROCESS_SINCE = Setting(
    "SAFECITY_REPROCESS_SINCE",
    None,
    "set by the warehouse step for dbt: the first delivery day a daily build rebuilds and tests; unset: every day",
)
DAGSTER_HOME = Setting(
    "DAGSTER_HOME",
    None,
    "the Dagster instance `safecity run` records its runs in; unset: `<data dir>/dagster_home`",
)

# ---------------------------------------------------------------- secrets

# HMAC-SHA256 wants a key at least as long as its output: 32 characters (bytes of ASCII).
KEY_MIN_LENGTH = 32
PSEUDONYM_KEY_MIN_LENGTH = IDENTITY_HASH_KEY_MIN_LENGTH = KEY_MIN_LENGTH
PSEUDONYM_KEY = Setting(
    "SAFECITY_PSEUDONYM_KEY",
    None,
    f"the secret of the keyed pseudonyms in extracts (HMAC-SHA256), at least {PSEUDONYM_KEY_MIN_LENGTH} characters; "
    "required to publish pseudonymised extracts; `make` sets a development key",
    secret=True,
)
IDENTITY_HASH_KEY = Setting(
    "SAFECITY_IDENTITY_HASH_KEY",
    None,
    "the secret of the identity-number hash (HMAC-SHA256) bronze keeps beside every identity number, "
    f"which joins persons across feeds; at least {IDENTITY_HASH_KEY_MIN_LENGTH} characters; required to "
    "ingest a feed with identity numbers; a new key changes every hash; `make` sets a development key",
    secret=True,
)

# ---------------------------------------------------------------- DuckDB

DUCKDB_MEMORY_LIMIT = Setting(
    "SAFECITY_DUCKDB_MEMORY_LIMIT",
    "4GB",
    "DuckDB's `memory_limit` for every connection (pipeline and dbt); above it, work spills to disk",
)
DUCKDB_THREADS = Setting(
    "SAFECITY_DUCKDB_THREADS", "2", "DuckDB's `threads` for every connection (pipeline and dbt)"
)

# ---------------------------------------------------------------- object storage (standard AWS names)

AWS_ACCESS_KEY_ID = Setting(
    "AWS_ACCESS_KEY_ID", None, "object storage credentials: required when a root is `s3://`"
)
AWS_SECRET_ACCESS_KEY = Setting(
    "AWS_SECRET_ACCESS_KEY",
    None,
    "object storage credentials: required when a root is `s3://`",
    secret=True,
)
AWS_SESSION_TOKEN = Setting(
    "AWS_SESSION_TOKEN", None, "temporary object storage credentials", secret=True
)
AWS_REGION = Setting("AWS_REGION", None, "the object storage region; unset: `AWS_DEFAULT_REGION`")
AWS_DEFAULT_REGION = Setting(
    "AWS_DEFAULT_REGION", "us-east-1", "the region when `AWS_REGION` is unset"
)
AWS_ENDPOINT_URL = Setting(
    "AWS_ENDPOINT_URL",
    None,
    "a non-AWS endpoint (MinIO, Ceph, moto): path-style requests, TLS only with `https://`",
)

# ---------------------------------------------------------------- memory

POLARS_ALLOCATOR = Setting(
    *pipelines.POLARS_ALLOCATOR,
    "how long polars' allocator (jemalloc) keeps freed memory before handing it back: set by "
    "`pipelines` before polars loads, unless already set; polars' own half second made "
    "ingestion fault the same pages in again batch after batch",
)

# ---------------------------------------------------------------- the console

TERM = Setting(
    "TERM",
    None,
    "the terminal: `dumb` turns the in-place progress line into milestone lines, as when output is not a terminal",
)

# ---------------------------------------------------------------- tests

CRASH_TEST_PAUSE = Setting(
    "SAFECITY_CRASH_TEST_PAUSE_SECONDS",
    None,
    "tests only: a lake write pauses this long before committing, so a test can kill it there",
)

# ---------------------------------------------------------------- telemetry: set, not read

# No network at run time: the CLI sets these for itself and everything it starts, unless
# they are set already; the Makefile exports the same.
_OFF = "telemetry off: set by `safecity` and `make` unless already set"
DAGSTER_TELEMETRY = Setting("DAGSTER_DISABLE_TELEMETRY", "1", _OFF)
DBT_TELEMETRY = Setting("DBT_SEND_ANONYMOUS_USAGE_STATS", "False", _OFF)
DO_NOT_TRACK = Setting("DO_NOT_TRACK", "1", _OFF)
GX_ANALYTICS = Setting("GX_ANALYTICS_ENABLED", "False", _OFF)
TELEMETRY_OFF = (DAGSTER_TELEMETRY, DBT_TELEMETRY, DO_NOT_TRACK, GX_ANALYTICS)

ENVIRONMENT: tuple[Setting, ...] = (
    DATA_DIR,
    CONTRACTS_DIR,
    CITY_PROFILE,
    LAKE_ROOT,
    EXTRACTS_ROOT,
    DBT_PROJECT_DIR,
    REFERENCE_DIR,
    REPROCESS_SINCE,
    DAGSTER_HOME,
    PSEUDONYM_KEY,
    IDENTITY_HASH_KEY,
    DUCKDB_MEMORY_LIMIT,
    DUCKDB_THREADS,
    POLARS_ALLOCATOR,
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN,
    AWS_REGION,
    AWS_DEFAULT_REGION,
    AWS_ENDPOINT_URL,
    TERM,
    CRASH_TEST_PAUSE,
    *TELEMETRY_OFF,
)
_REGISTERED = {setting.name: setting for setting in ENVIRONMENT}


@dataclass(frozen=True)
class ConfigFile:
    path: str  # relative to the repository root, or to the data directory as `<data dir>/...`
    meaning: str


CONFIG_FILES: tuple[ConfigFile, ...] = (
    ConfigFile(
        "contracts/city.yaml",
        "the city profile: code, name, time zone, extent, grid cell, first delivery day",
    ),
    ConfigFile(
        "<data dir>/city.yaml",
        "the profile of a generated sample city; used instead of contracts/city.yaml for that data directory",
    ),
    ConfigFile("contracts/feeds/", "one ODCS contract per departmental feed"),
    ConfigFile("contracts/warehouse/", "one ODCS contract per warehouse table"),
    ConfigFile("contracts/sharing/policy.yaml", "what each department is granted"),
    ConfigFile(
        "pipelines/sample_city/cities/",
        "the sample city generator's cities: extent, county centres, plates, landline code",
    ),
    ConfigFile(
        "dbt_project/dbt_project.yml",
        "dbt's vars: risk distances, the incidents that concern nearby organisations, how long an event stays open and supplies count as expiring, the nearest-resource search radius (the city comes from its profile, passed by every run)",
    ),
    ConfigFile(
        "dbt_project/profiles.yml",
        "dbt's DuckDB connection (reads the DuckDB variables; the warehouse file is found in the data directory by `pipelines/lib/dbt_storage_plugin.py`)",
    ),
    ConfigFile(
        "dbt_project/seeds/config/",
        "risk weights, warning rules, response targets; the dispatch loop: responsibility list, deadlines, escalation steps, handling codes, assessment weights; resource kinds and coverage distance, emergency plans, exposure categories",
    ),
    ConfigFile(
        "dagster.yaml",
        "the Dagster instance of `dagster dev` without DAGSTER_HOME: telemetry off, one warehouse writer",
    ),
    ConfigFile(
        "<data dir>/dagster_home/dagster.yaml",
        "the instance `safecity run` writes (the same settings), left alone once it exists",
    ),
    ConfigFile("workspace.yaml", "the code location `dagster dev` loads"),
    ConfigFile("pyproject.toml", "dependencies; ruff, mypy and pytest settings"),
    ConfigFile(".sqlfluff", "SQL lint rules for dbt_project/"),
    ConfigFile(".pre-commit-config.yaml", "the lint hooks run on commit"),
)


# ---------------------------------------------------------------- reading


def setting(name: str) -> Setting:
    """The registered setting of that name; an unregistered name is a programming error."""
    try:
        return _REGISTERED[name]
    except KeyError:
        raise KeyError(f"{name} is not a registered setting (pipelines/lib/settings.py)") from None


def value(item: Setting, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's value, else its default. An empty value counts as unset."""
    setting(item.name)  # registered, so documented
    found = (os.environ if environ is None else environ).get(item.name)
    return found if found else item.default


def is_set(item: Setting) -> bool:
    return bool(os.environ.get(setting(item.name).name))


def export(item: Setting, text: str) -> None:
    """Set a variable for this process and every process it starts (dbt reads some of them)."""
    os.environ[setting(item.name).name] = text


def unset(item: Setting) -> None:
    """Remove a variable from this process's environment (and its children's)."""
    os.environ.pop(setting(item.name).name, None)


def export_default(item: Setting) -> None:
    """Set a variable to its default unless it is set already."""
    if item.default is not None and not is_set(item):
        export(item, item.default)


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment for a process safecity starts: this one's, with `overrides`."""
    for name in overrides:
        setting(name)
    return {**os.environ, **overrides}


def _path(item: Setting) -> Path:
    text = value(item)
    assert text is not None, f"{item.name} has a default"
    return Path(text).expanduser().absolute()


def data_dir() -> Path:
    """`$SAFECITY_DATA_DIR`, else `data/` in the working directory (commands run from the repository root)."""
    return _path(DATA_DIR)


def contracts_dir() -> Path:
    """`$SAFECITY_CONTRACTS_DIR`, else `contracts/` in the working directory."""
    return _path(CONTRACTS_DIR)


def dbt_project_dir() -> Path:
    return _path(DBT_PROJECT_DIR)


def reference_dir() -> str:
    """`$SAFECITY_REFERENCE_DIR`, else the installed package's reference tables: where dbt reads
    them from, the same for a run's dbt and for `make install`'s parse (a file's env_var that
    differs from the parse's makes dbt parse the file again)."""
    if is_set(REFERENCE_DIR):
        return str(value(REFERENCE_DIR))
    from importlib.resources import files

    return str(files("pipelines.reference"))


def city_profile_file() -> Path | None:
    """`$SAFECITY_CITY_PROFILE` when set (pipelines/lib/city_profile.py decides otherwise)."""
    text = value(CITY_PROFILE)
    return Path(text).expanduser().absolute() if text else None


def duckdb_limits() -> dict[str, str | int]:
    """DuckDB's `memory_limit` and `threads` for every connection."""
    memory, threads = value(DUCKDB_MEMORY_LIMIT), value(DUCKDB_THREADS)
    assert memory is not None and threads is not None
    try:
        return {"memory_limit": memory, "threads": int(threads)}
    except ValueError:
        raise SettingError(
            f"{DUCKDB_THREADS.name}={threads}: expected a whole number of threads"
        ) from None


def pseudonym_key() -> bytes:
    """The pseudonym secret; a clear error when it is missing or shorter than the minimum."""
    return _secret_key(PSEUDONYM_KEY, "pseudonymised extracts need a secret key")


def identity_hash_key() -> bytes:
    """The identity-number hash secret; a clear error when it is missing or shorter than the minimum."""
    return _secret_key(
        IDENTITY_HASH_KEY, "ingesting identity numbers needs the secret key of their hash"
    )


def _secret_key(item: Setting, needed_for: str) -> bytes:
    text = value(item) or ""
    if not text:
        raise SettingError(
            f"${item.name} is not set: {needed_for}. Set it to a long random value kept outside "
            f"the repository (e.g. `openssl rand -hex 32`); `make demo` sets a development key "
            f"for the sample city."
        )
    if len(text) < KEY_MIN_LENGTH:
        raise SettingError(
            f"${item.name} is too short ({len(text)} characters): use at least "
            f"{KEY_MIN_LENGTH} (e.g. `openssl rand -hex 32`)"
        )
    return text.encode("utf-8")


def crash_test_pause() -> float | None:
    text = value(CRASH_TEST_PAUSE)
    return float(text) if text else None


# ---------------------------------------------------------------- the README's table

TABLE_START = "<!-- settings: generated by `uv run python -m pipelines.lib.settings README.md` -->"
TABLE_END = "<!-- end of settings -->"


def markdown_table() -> str:
    """The README's one table of every setting, from the registry (a test keeps them equal)."""
    rows = ["| setting | kind | default | what it does |", "|---|---|---|---|"]
    for item in ENVIRONMENT:
        kind = "environment, **secret**" if item.secret else "environment"
        default = f"`{item.default}`" if item.default is not None else "unset"
        rows.append(f"| `{item.name}` | {kind} | {default} | {item.meaning} |")
    for config in CONFIG_FILES:
        rows.append(f"| `{config.path}` | file | | {config.meaning} |")
    return "\n".join(rows)


def _write_table(readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    readme.write_text(text[:start] + "\n" + markdown_table() + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    import sys

    _write_table(Path(sys.argv[1]))
