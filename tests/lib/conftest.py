"""The storage tests use moto's S3 server (tests/object_storage.py)."""

from tests.object_storage import s3_server  # noqa: F401 - a fixture, found by its name
