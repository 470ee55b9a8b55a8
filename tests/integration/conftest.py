"""Integration fixtures: a file store of each kind, with the same test cases run on both."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_core.storage import LocalStore, S3Store
from tests.s3 import MotoS3

STORES = ["local", "s3"]


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> LocalStore | S3Store:
    """A fresh, empty store: a temporary folder, or a new bucket on the moto S3 server."""
    if store_kind == "local":
        return LocalStore(tmp_path / "files")
    moto: MotoS3 = request.getfixturevalue("moto_s3")
    return S3Store(moto.new_bucket(), endpoint_url=moto.endpoint_url)
