"""A real S3-compatible server for tests: moto's standalone server on a free local port.

:func:`s3_server_start` runs ``moto_server`` (installed with the dev dependencies) as a
subprocess bound to 127.0.0.1, waits until it answers, and creates a bucket. The returned
:class:`S3Server` gives the environment child processes need (``ENT_S3_*``) and the
``STORAGES`` setting for the test process itself.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.imports.celery_harness import free_port, on_ci

MOTO_BIN = Path(sys.executable).with_name("moto_server")
START_TIMEOUT = 30.0
ACCESS_KEY = "ent-test-access"
SECRET_KEY = "ent-test-secret"
REGION = "eu-west-3"


@dataclass
class S3Server:
    endpoint_url: str
    bucket: str
    process: subprocess.Popen[bytes] = field(repr=False)

    def environment(self) -> dict[str, str]:
        """The variables that select the S3 storage in a child process."""
        return {
            "ENT_S3_BUCKET": self.bucket,
            "ENT_S3_ENDPOINT_URL": self.endpoint_url,
            "ENT_S3_REGION": REGION,
            "ENT_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "ENT_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def storages(self, current: dict[str, Any]) -> dict[str, Any]:
        """``current`` with its default storage in this server's bucket (as settings.py does)."""
        return {
            **current,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": self.bucket,
                    "endpoint_url": self.endpoint_url,
                    "region_name": REGION,
                    "access_key": ACCESS_KEY,
                    "secret_key": SECRET_KEY,
                    "addressing_style": "path",
                    "file_overwrite": False,
                    "default_acl": None,
                },
            },
        }

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def object_keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(entry["Key"] for entry in listed.get("Contents", []))

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def s3_server_start(log_path: Path) -> S3Server:
    """Start moto's S3 server on a free 127.0.0.1 port with an empty bucket."""
    if not MOTO_BIN.exists():
        message = f"moto_server is not installed next to {sys.executable} (make install)"
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(MOTO_BIN), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = S3Server(endpoint_url=endpoint, bucket=f"ent-{uuid.uuid4().hex[:12]}", process=process)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                pytest.fail(f"moto_server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
    server.client().create_bucket(
        Bucket=server.bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return server
