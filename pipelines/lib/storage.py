"""Where the lake and the extracts live: a local folder, or a prefix in S3-compatible object storage.

docs/architecture.md, "Storage may be local or object storage": a location is a path that may be local or `s3://bucket/prefix`.
`SAFECITY_LAKE_ROOT` and `SAFECITY_EXTRACTS_ROOT` choose them (the data directory's
`lake/` and `extracts/` when unset). Credentials and the endpoint come from the
standard AWS environment, read by `S3Settings.from_environment`:

    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   required for s3://
    AWS_SESSION_TOKEN                          temporary credentials
    AWS_REGION (or AWS_DEFAULT_REGION)         default us-east-1
    AWS_ENDPOINT_URL                           a non-AWS endpoint (MinIO, moto): path-style
                                               requests, TLS only when it is https://

A local location is a plain `pathlib.Path`, so local mode behaves exactly as it always
has. A remote one is a `upath.UPath` over s3fs: `/`, `exists`, `glob`, `open` work the
same way, and Python reads and writes files through it. DuckDB reads remote Parquet
itself, through its httpfs extension (loaded from the installed package, never
downloaded) with a secret made from the same settings (`configure_duckdb`).

An S3 object has no rename, but a PUT appears whole or not at all: a remote output is
written to a local temporary file first and uploaded once complete (`atomic_output`).
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

# Cheap to import (s3fs, which is not, is imported when an s3:// location is first used).
from upath import UPath

from pipelines.lib import settings

if TYPE_CHECKING:
    import duckdb
    import polars as pl
    from polars._typing import SchemaDict
    from typing_extensions import TypeIs

LAKE_ROOT_ENV = settings.LAKE_ROOT.name
# The DuckDB macro in the warehouse that names the lake, for dbt's sources (lib/dbt_storage_plugin.py).
LAKE_ROOT_MACRO = "safecity_lake_root"
EXTRACTS_ROOT_ENV = settings.EXTRACTS_ROOT.name

# A folder or file of the lake or the extracts: local, or in object storage.
Location: TypeAlias = Path | UPath

DEFAULT_REGION = settings.AWS_DEFAULT_REGION.default or "us-east-1"
_SECRET_NAME = "safecity_object_storage"


class StorageError(Exception):
    """The lake or extracts location is misconfigured or unreachable (one line, for the user)."""


def location(text: str, *, setting: str) -> Location:
    """`text` as a location: a local path, or `s3://bucket/prefix` in a bucket that exists.

    `setting` names where `text` came from, for the one-line error a wrong value gives.
    """
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    # A one-letter scheme is a Windows drive letter, not a URL.
    if scheme in ("", "file") or len(scheme) == 1:
        return Path(text.removeprefix("file://")).expanduser().absolute()
    if scheme != "s3":
        raise StorageError(
            f"{setting}={text}: unknown scheme {scheme}://, expected a local folder or s3://bucket/prefix"
        )
    if not parts.netloc:
        raise StorageError(f"{setting}={text}: no bucket, expected s3://bucket/prefix")
    settings = S3Settings.from_environment(setting)
    _check_bucket(parts.netloc, settings, f"{setting}={text}")
    return UPath(text.rstrip("/"), **settings.s3fs_options())


def is_remote(path: Location) -> TypeIs[UPath]:
    # TypeIs: after `if is_remote(p)` the type checker knows p is a UPath, and a Path after `else`.
    return not isinstance(path, Path)


@dataclass(frozen=True)
class S3Settings:
    """Credentials and endpoint of the object storage, from the standard AWS environment variables."""

    key_id: str
    secret: str
    region: str
    endpoint_url: str | None = None
    session_token: str | None = None

    @classmethod
    def from_environment(
        cls, setting: str = "the location", environ: Mapping[str, str] | None = None
    ) -> S3Settings:
        def read(item: settings.Setting) -> str | None:
            return settings.value(item, environ)

        key_id, secret = read(settings.AWS_ACCESS_KEY_ID), read(settings.AWS_SECRET_ACCESS_KEY)
        missing = [
            item.name
            for item, found in (
                (settings.AWS_ACCESS_KEY_ID, key_id),
                (settings.AWS_SECRET_ACCESS_KEY, secret),
            )
            if not found
        ]
        if missing or key_id is None or secret is None:
            raise StorageError(
                f"{setting} is in S3, but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set"
            )
        endpoint = read(settings.AWS_ENDPOINT_URL)
        if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
            raise StorageError(
                f"AWS_ENDPOINT_URL={endpoint}: expected http://host:port or https://host"
            )
        return cls(
            key_id=key_id,
            secret=secret,
            region=read(settings.AWS_REGION) or read(settings.AWS_DEFAULT_REGION) or DEFAULT_REGION,
            endpoint_url=endpoint,
            session_token=read(settings.AWS_SESSION_TOKEN),
        )

    def s3fs_options(self) -> dict[str, Any]:
        """Keyword arguments of `s3fs.S3FileSystem` (and of `UPath`, which passes them on)."""
        client = {"region_name": self.region}
        if self.endpoint_url:
            client["endpoint_url"] = self.endpoint_url
        return {
            "key": self.key_id,
            "secret": self.secret,
            "token": self.session_token,
            "client_kwargs": client,
            # DuckDB and other processes write the same prefixes: a cached listing would go stale.
            "use_listings_cache": False,
        }

    def duckdb_secret_sql(self) -> str:
        """CREATE SECRET takes literals only, no parameters: every value is quoted by sql_string."""
        from pipelines.lib.duckdb_connection import sql_string

        options = {"KEY_ID": self.key_id, "SECRET": self.secret, "REGION": self.region}
        if self.session_token:
            options["SESSION_TOKEN"] = self.session_token
        literal = {name: sql_string(value) for name, value in options.items()}
        if self.endpoint_url:
            endpoint = urlsplit(self.endpoint_url)
            literal["ENDPOINT"] = sql_string(endpoint.netloc)
            # MinIO and moto serve buckets as paths, not as host names.
            literal["URL_STYLE"] = sql_string("path")
            literal["USE_SSL"] = "true" if endpoint.scheme == "https" else "false"
        body = ", ".join(f"{name} {value}" for name, value in literal.items())
        return f"CREATE OR REPLACE SECRET {_SECRET_NAME} (TYPE s3, {body})"


def configure_duckdb(connection: duckdb.DuckDBPyConnection, locations: Iterable[Location]) -> None:
    """Let `connection` read (and write) the remote ones of `locations`: httpfs, and the S3 secret.

    Nothing happens for local locations: loading httpfs costs about half a second.
    """
    if not any(is_remote(path) for path in locations):
        return
    from pipelines.lib.duckdb_connection import extension_path, sql_string

    connection.execute("LOAD " + sql_string(extension_path("httpfs")))
    connection.execute(S3Settings.from_environment().duckdb_secret_sql())


@functools.cache
def _check_bucket(bucket: str, settings: S3Settings, setting: str) -> None:
    """One request per bucket and process (only success is remembered): the bucket exists and
    these credentials may use it. s3fs's own `exists` says False for any error, so the
    bucket is asked for directly, to tell a missing bucket from a refusal or no endpoint."""
    import s3fs

    fs = s3fs.S3FileSystem(**settings.s3fs_options())
    where = f"{setting}: bucket {bucket}" + (
        f" at {settings.endpoint_url}" if settings.endpoint_url else ""
    )
    try:
        fs.call_s3("head_bucket", Bucket=bucket)
    except FileNotFoundError:
        raise StorageError(f"{where} does not exist") from None
    except PermissionError as error:
        raise StorageError(f"{where}: access denied ({_first_line(error)})") from None
    except Exception as error:
        raise StorageError(f"{where}: not reachable ({_first_line(error)})") from None


# ------------------------------------------------------------------ files


@contextmanager
def upload_on_success(path: UPath) -> Iterator[Path]:
    """Yield a local temporary file to write; on success it is uploaded to remote `path` in one PUT."""
    folder = Path(tempfile.mkdtemp(prefix="safecity-upload-"))
    try:
        tmp_path = folder / path.name
        yield tmp_path
        path.fs.put_file(str(tmp_path), str(path))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def file_stamp(path: Location) -> list[int]:
    """What tells a file written again: its size and modification time (in object storage, to
    the second). Caches of what a file holds key on it."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def read_parquet(path: Location, columns: list[str] | None = None) -> pl.DataFrame:
    import polars as pl

    if not is_remote(path):
        return pl.read_parquet(path, columns=columns)
    with path.open("rb") as handle:
        return pl.read_parquet(handle, columns=columns)


def read_parquet_or_empty(path: Location, schema: SchemaDict) -> pl.DataFrame:
    """The table at `path`, or an empty one of `schema` where none was written yet."""
    import polars as pl

    return read_parquet(path) if path.exists() else pl.DataFrame(schema=schema)


def mirror_folder(local: Path, remote: UPath, *, last: str, keep: Collection[str] = ()) -> None:
    """Make remote folder `remote` hold exactly the files of `local`, and those of `keep`.

    Each file is uploaded whole; `last` (the manifest) after every other, and files
    `local` does not have are removed after that. There is no moment at which the
    remote folder holds a mixture that matches its manifest: a reader who checks the
    files against `last` (verify-extract) sees a complete publication or a failure.
    `keep`: files already in `remote` as they should be (relative, with `/`), left alone.
    """
    fs = remote.fs
    files = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    before = [p for p in files if p != last]
    if before:
        fs.put([str(local / p) for p in before], [f"{remote}/{p}" for p in before])
    if last in files:
        fs.put_file(str(local / last), f"{remote}/{last}")
    stale = sorted(set(relative_files(remote)) - set(files) - set(keep))
    if stale:
        fs.rm([f"{remote}/{p}" for p in stale])


def relative_files(folder: Location) -> list[str]:
    """Every file under `folder`, relative to it with `/`."""
    if not is_remote(folder):
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    root = folder.path.rstrip("/")
    return sorted(name.removeprefix(root + "/") for name in folder.fs.find(root))


def remove_folder(folder: Location) -> None:
    if is_remote(folder):
        folder.fs.rm(folder.path, recursive=True)
    else:
        shutil.rmtree(folder)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
