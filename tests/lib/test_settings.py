"""One settings module: every variable registered once, the README's table from it, nobody else
reading the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.lib import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
# Reading the environment, in any of the ways Python offers.
PACKAGE_INIT = REPO_ROOT / "pipelines" / "__init__.py"
ENVIRONMENT_READ = re.compile(r"\bos\.environ\b|\bos\.getenv\b|\bgetenv\(|\benviron\[")


def readme_table() -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(settings.TABLE_START) + len(settings.TABLE_START)
    return text[start : text.index(settings.TABLE_END)].strip()


def table_names(table: str) -> set[str]:
    return {row.split("|")[1].strip().strip("`") for row in table.splitlines()[2:]}


def test_the_readme_table_is_the_registry() -> None:
    assert readme_table() == settings.markdown_table(), (
        "README.md's settings table is stale: run `uv run python -m pipelines.lib.settings README.md`"
    )


def test_every_registered_setting_is_in_the_readme_and_nothing_else_is() -> None:
    names = table_names(readme_table())
    registered = {s.name for s in settings.ENVIRONMENT} | {c.path for c in settings.CONFIG_FILES}
    assert names == registered
    # The config files listed exist in the repository (the data directory's are made by runs).
    for config in settings.CONFIG_FILES:
        if not config.path.startswith("<data dir>"):
            assert (REPO_ROOT / config.path).exists(), config.path


def test_the_secrets_are_marked_and_the_pseudonym_key_minimum_stated() -> None:
    rows = {row.split("|")[1].strip().strip("`"): row for row in readme_table().splitlines()[2:]}
    for item in settings.ENVIRONMENT:
        assert ("**secret**" in rows[item.name]) == item.secret, item.name
    assert settings.PSEUDONYM_KEY.secret and settings.IDENTITY_HASH_KEY.secret
    for key, minimum in (
        (settings.PSEUDONYM_KEY, settings.PSEUDONYM_KEY_MIN_LENGTH),
        (settings.IDENTITY_HASH_KEY, settings.IDENTITY_HASH_KEY_MIN_LENGTH),
    ):
        assert f"at least {minimum} characters" in rows[key.name]
        assert key.default is None, f"{key.name}: no silent development key"
    assert settings.PSEUDONYM_KEY.shown("the-real-value") == "<secret>"


def test_every_variable_the_code_names_is_registered() -> None:
    """A SAFECITY_* name in the code, dbt's SQL or YAML is one the registry documents."""
    registered = {s.name for s in settings.ENVIRONMENT}
    named: set[str] = set()
    for folder, patterns in (("pipelines", ("*.py",)), ("dbt_project", ("*.sql", "*.yml"))):
        for pattern in patterns:
            for path in (REPO_ROOT / folder).rglob(pattern):
                if "target" in path.relative_to(REPO_ROOT).parts:
                    continue
                named |= set(re.findall(r"\bSAFECITY_[A-Z_]+\b", path.read_text("utf-8")))
    assert named <= registered, named - registered


def test_only_the_settings_module_reads_the_environment() -> None:
    offenders = []
    for folder in ("pipelines", "benchmarks"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            # pipelines/__init__.py sets polars' allocator (registered here too) before any
            # module is imported, settings.py included.
            if path in (REPO_ROOT / "pipelines" / "lib" / "settings.py", PACKAGE_INIT):
                continue
            for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
                if ENVIRONMENT_READ.search(line):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "read settings through pipelines/lib/settings.py:\n" + "\n".join(
        offenders
    )
    writes = [
        line
        for line in PACKAGE_INIT.read_text("utf-8").splitlines()
        if ENVIRONMENT_READ.search(line)
    ]
    assert writes == ["os.environ.setdefault(*POLARS_ALLOCATOR)"]
    assert settings.POLARS_ALLOCATOR in settings.ENVIRONMENT


def test_values_defaults_and_unregistered_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.DUCKDB_THREADS.name, raising=False)
    assert settings.value(settings.DUCKDB_THREADS) == "2"
    monkeypatch.setenv(settings.DUCKDB_THREADS.name, "")  # empty counts as unset
    assert settings.duckdb_limits()["threads"] == 2
    monkeypatch.setenv(settings.DUCKDB_THREADS.name, "four")
    with pytest.raises(settings.SettingError, match="SAFECITY_DUCKDB_THREADS=four"):
        settings.duckdb_limits()
    with pytest.raises(KeyError, match="not a registered setting"):
        settings.value(settings.Setting("SAFECITY_NOT_DOCUMENTED", None, "?"))


def test_the_pseudonym_key_must_be_long_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    minimum = settings.PSEUDONYM_KEY_MIN_LENGTH
    monkeypatch.setenv(settings.PSEUDONYM_KEY.name, "x" * (minimum - 1))
    with pytest.raises(settings.SettingError, match=f"too short .*at least {minimum}"):
        settings.pseudonym_key()
    monkeypatch.setenv(settings.PSEUDONYM_KEY.name, "x" * minimum)
    assert settings.pseudonym_key() == b"x" * minimum


@pytest.mark.parametrize(
    "key, read",
    [
        (settings.PSEUDONYM_KEY, settings.pseudonym_key),
        (settings.IDENTITY_HASH_KEY, settings.identity_hash_key),
    ],
)
def test_a_secret_key_is_required_and_never_falls_back(
    monkeypatch: pytest.MonkeyPatch, key: settings.Setting, read
) -> None:
    monkeypatch.delenv(key.name, raising=False)
    with pytest.raises(settings.SettingError, match=rf"\${key.name} is not set: .*openssl rand"):
        read()
    monkeypatch.setenv(key.name, "")  # empty is unset, not a key
    with pytest.raises(settings.SettingError, match="is not set"):
        read()


def test_the_identity_hash_key_must_be_long_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    minimum = settings.IDENTITY_HASH_KEY_MIN_LENGTH
    monkeypatch.setenv(settings.IDENTITY_HASH_KEY.name, "x" * (minimum - 1))
    with pytest.raises(settings.SettingError, match=f"too short .*at least {minimum}"):
        settings.identity_hash_key()
    monkeypatch.setenv(settings.IDENTITY_HASH_KEY.name, "x" * minimum)
    assert settings.identity_hash_key() == b"x" * minimum
