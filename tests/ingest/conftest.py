"""The ingestion tests that take `storage` run with the lake local and in moto's S3 (tests/object_storage.py)."""

from tests.object_storage import s3_server, storage  # noqa: F401 - fixtures, found by their names
