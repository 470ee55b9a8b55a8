"""A real S3 protocol server for tests: moto's ThreadedMotoServer on 127.0.0.1.

The server starts once per test session, on a free port, with dummy credentials in the
environment for the session (boto3's standard chain finds them, as it would find real ones).
Each test gets its own bucket, so tests never see each other's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

REGION = "eu-west-2"
DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    # Never reach for the instance metadata service or a developer's profile.
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


@dataclass
class MotoS3:
    endpoint_url: str
    client: Any

    def new_bucket(self) -> str:
        name = f"crm-test-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return name

    def keys(self, bucket: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    """The session's S3 server (started on first use)."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in DUMMY_ENV.items():
            patch.setenv(name, value)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
            yield MotoS3(endpoint, client)
        finally:
            server.stop()
