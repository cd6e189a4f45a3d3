"""The lake and the extracts in object storage, for the tests: moto's S3 server on 127.0.0.1.

A test that takes the `storage` fixture runs twice, `[local]` and `[s3]`: with the lake
and the extracts in the data directory, and with both under a fresh prefix of a bucket
in moto's S3 server (started once per test process, on a free port, stopped at the end).
The fixture sets the environment the pipeline reads (`SAFECITY_LAKE_ROOT`,
`SAFECITY_EXTRACTS_ROOT`), so code that opens the data directory itself (Dagster
resources, subprocesses) follows it too. The server's credentials and endpoint (the
AWS_* variables) are set for the whole session once it has started: they are read
only where a location is in S3.

tests/conftest.py imports the fixtures, so that every test process runs one server.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipelines.lib.data_dir import DataDir
from pipelines.lib.storage import EXTRACTS_ROOT_ENV, LAKE_ROOT_ENV

BUCKET = "safecity-tests"
MODES = ("local", "s3")


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str

    def environment(self) -> dict[str, str]:
        """What a process needs to reach the server: moto accepts any credentials."""
        return {
            "AWS_ACCESS_KEY_ID": "safecity-tests",
            "AWS_SECRET_ACCESS_KEY": "safecity-tests-NOT-A-SECRET",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    environment = pytest.MonkeyPatch()
    try:
        host, port = server.get_host_and_port()
        s3 = S3Server(endpoint_url=f"http://{host}:{port}", bucket=BUCKET)
        for name, value in s3.environment().items():
            environment.setenv(name, value)
        boto3.client("s3", endpoint_url=s3.endpoint_url).create_bucket(Bucket=BUCKET)
        yield s3
    finally:
        environment.undo()
        server.stop()


@dataclass(frozen=True)
class Storage:
    """Where one test's lake and extracts are: `mode` local (the data directory's) or s3."""

    mode: str
    lake_root: str | None = None
    extracts_root: str | None = None
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def remote(self) -> bool:
        return self.mode == "s3"

    def data_dir(self, root: Path) -> DataDir:
        return DataDir(root, lake_root=self.lake_root, extracts_root=self.extracts_root)

    def apply(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point the environment at this storage (for code that opens the data directory itself)."""
        for name in (LAKE_ROOT_ENV, EXTRACTS_ROOT_ENV):
            monkeypatch.delenv(name, raising=False)
        for name, value in self.environment.items():
            monkeypatch.setenv(name, value)


def new_storage(mode: str, s3: S3Server | None) -> Storage:
    """Local storage, or a prefix of the bucket no other test uses."""
    if mode == "local":
        return Storage("local")
    assert s3 is not None
    prefix = f"s3://{s3.bucket}/{uuid.uuid4().hex}"
    lake, extracts = f"{prefix}/lake", f"{prefix}/extracts"
    return Storage("s3", lake, extracts, {LAKE_ROOT_ENV: lake, EXTRACTS_ROOT_ENV: extracts})


@pytest.fixture(params=MODES)
def storage(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """The lake and extracts of one test, local or in S3; the environment points at them."""
    # Asked for only in s3 mode, so that a run of local tests alone never starts the server.
    s3 = request.getfixturevalue("s3_server") if request.param == "s3" else None
    chosen = new_storage(request.param, s3)
    chosen.apply(monkeypatch)
    return chosen
