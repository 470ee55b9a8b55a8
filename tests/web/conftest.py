"""The web server over real HTTP on each database backend: the API, signed as Telegram signs
a Mini App's launch data."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine

from bot.runtime import Crm
from crm_core.config import Settings
from crm_core.db import make_session_factory
from crm_core.models import User
from crm_core.storage import LocalStore
from tests.conftest import ALICE, NOW
from web.auth import Limits
from web.initdata import sign
from web.server import build_web_app

TOKEN = "4242:web-test-token"


def launch_data(
    user_id: int = ALICE.telegram_user_id,
    first_name: str = "Alice",
    *,
    token: str = TOKEN,
    auth_date: datetime = NOW,
    **extra: str,
) -> str:
    """``Telegram.WebApp.initData`` as Telegram would make it for this user."""
    fields = {
        "query_id": "AAE-test",
        "user": json.dumps({"id": user_id, "first_name": first_name}, ensure_ascii=False),
        "auth_date": str(int(auth_date.timestamp())),
        **extra,
    }
    fields["hash"] = sign(fields, token)
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())


def tma(init: str | None = None) -> dict[str, str]:
    return {"Authorization": f"tma {init if init is not None else launch_data()}"}


@pytest.fixture
def web_settings(settings_for: Callable[..., Settings], tmp_path: Path) -> Settings:
    return settings_for(telegram_token=TOKEN, file_storage_dir=tmp_path / "files")


@pytest.fixture
def services(web_settings: Settings, engine: Engine, admins: tuple[User, User]) -> Crm:
    """What the bot's process hands the web server, with the clock at ``NOW``."""
    return Crm(
        settings=web_settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        store=LocalStore(web_settings.file_storage_dir),
        clock=lambda: NOW,
    )


@pytest.fixture
def limits() -> Limits:
    return Limits(upload_bytes=64 * 1024, burst=1000, per_second=1000.0)


@pytest.fixture
async def server(services: Crm, limits: Limits) -> AsyncIterator[TestServer]:
    app: web.Application = build_web_app(services, limits=limits)
    async with TestServer(app, host="127.0.0.1", port=0) as test_server:
        yield test_server


@pytest.fixture
async def http(server: TestServer) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client (no auth header of its own)."""
    async with httpx.AsyncClient(base_url=str(server.make_url("")), timeout=10) as client:
        yield client


class Api:
    """Alice's page talking to the API: every call signed unless told otherwise."""

    def __init__(self, http: httpx.AsyncClient, init: str | None = None) -> None:
        self.http = http
        self.init = init

    async def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**tma(self.init), **kwargs.pop("headers", {})}
        return await self.http.request(method, "/api" + path, headers=headers, **kwargs)

    async def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = await self(method, path, **kwargs)
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def api(http: httpx.AsyncClient) -> Api:
    return Api(http)
