"""Where the lake and extracts live: local folders as before, `s3://` in moto's S3, and one clear line
for a configuration that cannot work."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.cli import main
from pipelines.lib.atomic import atomic_output
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.storage import (
    EXTRACTS_ROOT_ENV,
    LAKE_ROOT_ENV,
    S3Settings,
    StorageError,
    configure_duckdb,
    is_remote,
    location,
    mirror_folder,
    relative_files,
)


def test_local_mode_is_the_data_directory_as_before(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(LAKE_ROOT_ENV, raising=False)
    monkeypatch.delenv(EXTRACTS_ROOT_ENV, raising=False)
    data = DataDir(tmp_path)
    assert data.lake == tmp_path / "lake" and type(data.lake) is type(tmp_path)
    assert data.extracts == tmp_path / "extracts"
    assert (
        data.bronze_partition("d", "f", date(2026, 3, 2))
        == tmp_path / "lake/bronze/d/f/date=2026-03-02"
    )
    # A local folder elsewhere is a plain path too.
    monkeypatch.setenv(LAKE_ROOT_ENV, str(tmp_path / "elsewhere" / "lake"))
    assert DataDir(tmp_path).lake == tmp_path / "elsewhere" / "lake"
    assert not is_remote(DataDir(tmp_path).lake)


def test_the_environment_points_the_lake_and_extracts_at_s3(
    s3_server, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(LAKE_ROOT_ENV, f"s3://{s3_server.bucket}/city/lake/")
    monkeypatch.setenv(EXTRACTS_ROOT_ENV, f"s3://{s3_server.bucket}/city/extracts")
    data = DataDir(tmp_path)
    assert is_remote(data.lake) and is_remote(data.extracts)
    assert str(data.bronze_partition("d", "f", date(2026, 3, 2))) == (
        f"s3://{s3_server.bucket}/city/lake/bronze/d/f/date=2026-03-02"
    )
    assert str(data.publications_audit) == f"s3://{s3_server.bucket}/city/lake/audit/publications"
    assert (
        data.landing == tmp_path / "landing" and data.warehouse == tmp_path / "warehouse.duckdb"
    )  # always local


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "gs://bucket/lake",
            "SAFECITY_LAKE_ROOT=gs://bucket/lake: unknown scheme gs://, expected a local folder or s3://bucket/prefix",
        ),
        ("s3:///lake", "SAFECITY_LAKE_ROOT=s3:///lake: no bucket, expected s3://bucket/prefix"),
        (
            "s3://no-such-bucket/lake",
            "SAFECITY_LAKE_ROOT=s3://no-such-bucket/lake: bucket no-such-bucket at {endpoint} does not exist",
        ),
    ],
    ids=["unknown scheme", "no bucket named", "missing bucket"],
)
def test_a_wrong_location_is_one_clear_line(
    s3_server, tmp_path, monkeypatch, capsys, value, message
) -> None:
    monkeypatch.setenv(LAKE_ROOT_ENV, value)
    with pytest.raises(StorageError) as raised:
        DataDir(tmp_path)
    assert str(raised.value) == message.format(endpoint=s3_server.endpoint_url)
    # `safecity run` says it in one line, before starting anything.
    (tmp_path / "landing" / "d" / "f").mkdir(parents=True)
    (tmp_path / "landing" / "d" / "f" / "f_20260302.csv").write_text("a\n1\n", encoding="utf-8")
    assert main(["run", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == f"error: StorageError: {raised.value}"
    assert not (tmp_path / "dagster_home").exists()


def test_missing_credentials_are_one_clear_line(s3_server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(EXTRACTS_ROOT_ENV, f"s3://{s3_server.bucket}/extracts")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(StorageError) as raised:
        DataDir(tmp_path)
    assert (
        str(raised.value)
        == "SAFECITY_EXTRACTS_ROOT is in S3, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"
    )


def test_an_endpoint_nobody_answers_is_one_clear_line(s3_server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard: nothing listens
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv(LAKE_ROOT_ENV, f"s3://{s3_server.bucket}/lake")
    with pytest.raises(StorageError) as raised:
        DataDir(tmp_path)
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith(
        f"SAFECITY_LAKE_ROOT=s3://{s3_server.bucket}/lake: bucket {s3_server.bucket} at http://127.0.0.1:9: not reachable"
    )


def test_the_duckdb_secret_quotes_every_value_and_follows_the_endpoint() -> None:
    environment = {
        "AWS_ACCESS_KEY_ID": "key'); DROP TABLE x; --",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
    }
    sql = S3Settings.from_environment(environ=environment).duckdb_secret_sql()
    assert "KEY_ID 'key''); DROP TABLE x; --'" in sql
    assert "REGION 'us-east-1'" in sql
    assert (
        "ENDPOINT '127.0.0.1:9000'" in sql and "URL_STYLE 'path'" in sql and "USE_SSL false" in sql
    )
    tls = S3Settings.from_environment(
        environ={**environment, "AWS_ENDPOINT_URL": "https://minio.city.gov"}
    )
    assert "USE_SSL true" in tls.duckdb_secret_sql()
    aws = S3Settings.from_environment(
        environ={"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "cn-north-1"}
    )
    assert (
        "ENDPOINT" not in aws.duckdb_secret_sql()
        and "REGION 'cn-north-1'" in aws.duckdb_secret_sql()
    )
    with pytest.raises(
        StorageError, match="AWS_ENDPOINT_URL=minio:9000: expected http://host:port or https://host"
    ):
        S3Settings.from_environment(environ={**environment, "AWS_ENDPOINT_URL": "minio:9000"})


def test_an_atomic_output_in_s3_appears_whole_or_not_at_all(s3_server) -> None:
    target = location(f"s3://{s3_server.bucket}/atomic/part-0.parquet", setting="test")
    with atomic_output(target) as tmp:
        assert not is_remote(tmp)
        tmp.write_bytes(b"first version")
        assert not target.exists()  # nothing in S3 until the writer is done
    assert target.read_bytes() == b"first version"

    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"half a sec")
        raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"first version"
    assert not tmp.exists()  # the local temporary file is gone too


def test_duckdb_reads_and_writes_the_bucket_with_the_secret(s3_server) -> None:
    folder = location(f"s3://{s3_server.bucket}/duckdb", setting="test")
    connection = connect()
    configure_duckdb(connection, [folder])
    connection.execute(
        f"COPY (SELECT range AS n FROM range(10)) TO '{folder}/numbers.parquet' (FORMAT parquet)"
    )
    assert connection.execute(
        "SELECT sum(n) FROM read_parquet($path)", {"path": f"{folder}/*.parquet"}
    ).fetchone() == (45,)
    assert (folder / "numbers.parquet").is_file()


def test_mirroring_a_folder_uploads_the_manifest_last_and_removes_stale_files(
    s3_server, tmp_path
) -> None:
    remote = location(f"s3://{s3_server.bucket}/mirror/fire_rescue", setting="test")
    first = tmp_path / "first"
    (first / "dim_place").mkdir(parents=True)
    (first / "dim_place" / "dim_place.parquet").write_bytes(b"places 1")
    (first / "gone" / "old.parquet").parent.mkdir()
    (first / "gone" / "old.parquet").write_bytes(b"old")
    (first / "manifest.json").write_text("{1}")
    mirror_folder(first, remote, last="manifest.json")
    assert relative_files(remote) == [
        "dim_place/dim_place.parquet",
        "gone/old.parquet",
        "manifest.json",
    ]

    second = tmp_path / "second"
    (second / "dim_place").mkdir(parents=True)
    (second / "dim_place" / "dim_place.parquet").write_bytes(b"places 2")
    (second / "manifest.json").write_text("{2}")
    at_manifest: dict[str, bytes] = {}
    upload_file = remote.fs.put_file

    def upload_manifest(lpath, rpath, *args, **kwargs):
        # What a department listing the folder when the new manifest arrives would find.
        at_manifest.update({p: (remote / p).read_bytes() for p in relative_files(remote)})
        return upload_file(lpath, rpath, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(remote.fs, "put_file", upload_manifest)
        mirror_folder(second, remote, last="manifest.json")
    assert at_manifest["dim_place/dim_place.parquet"] == b"places 2"  # the data was there first
    assert at_manifest["manifest.json"] == b"{1}"  # the old manifest until then
    assert relative_files(remote) == ["dim_place/dim_place.parquet", "manifest.json"]
    assert (remote / "manifest.json").read_text() == "{2}"
