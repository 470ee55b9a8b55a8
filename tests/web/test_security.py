"""Who may call the API and what a request may carry, over real HTTP on both databases:
forged, stale and non-admin launch data read and write nothing; headers; size and rate limits;
files (upload limits, path traversal, downloads)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine

from bot.runtime import Crm
from crm_core.config import Settings
from crm_core.models import User
from crm_core.services.users import sync_admins
from tests.conftest import ALICE, BOB, NOW
from tests.e2e.flows import seed
from tests.e2e.support import row_counts
from tests.web.conftest import TOKEN, Api, launch_data, tma
from web.auth import Limits
from web.server import build_web_app

WATCHED = ("crm_contacts", "crm_notes", "crm_stage_changes", "crm_files")

#: Every endpoint, with a body where it takes one: none may answer a refused caller.
ENDPOINTS = [
    ("GET", "/me", None),
    ("GET", "/dashboard", None),
    ("GET", "/board", None),
    ("GET", "/contacts", None),
    ("POST", "/contacts", {"name": "Mallory", "contact_type": "eviction_client", "force": True}),
    ("GET", "/contacts/{id}", None),
    ("PATCH", "/contacts/{id}", {"company": "Evil"}),
    ("DELETE", "/contacts/{id}", None),
    ("POST", "/contacts/{id}/restore", None),
    ("POST", "/contacts/{id}/notes", {"text": "pwned"}),
    ("POST", "/contacts/{id}/stage", {"stage": "paid"}),
    ("POST", "/contacts/{id}/followup", {"date": "tomorrow"}),
    ("GET", "/contacts/{id}/files", None),
]


def stored(root: Path) -> list[Path]:
    """The files under ``root`` (none if it doesn't exist)."""
    return [p.resolve() for p in root.rglob("*") if p.is_file()] if root.exists() else []


def forged_cases() -> list[tuple[str, str, int]]:
    good = launch_data()
    return [
        ("no header", "", 401),
        ("wrong scheme", "Bearer " + good, 401),
        ("tampered", "tma " + good.replace("Alice", "Mallory"), 401),
        ("wrong token", "tma " + launch_data(token="4242:someone-else"), 401),
        ("no hash", "tma " + "&".join(p for p in good.split("&") if "hash=" not in p), 401),
        ("expired", "tma " + launch_data(auth_date=NOW - timedelta(hours=24, seconds=1)), 401),
        ("future", "tma " + launch_data(auth_date=NOW + timedelta(hours=1)), 401),
        ("not an admin", "tma " + launch_data(666, "Mallory"), 403),
    ]


@pytest.mark.parametrize(
    ("case", "header", "status"), forged_cases(), ids=[c[0] for c in forged_cases()]
)
async def test_refused_callers_read_and_write_nothing(
    case: str,
    header: str,
    status: int,
    http: httpx.AsyncClient,
    services: Crm,
    alice: User,
    engine: Engine,
) -> None:
    cid = seed(services.session_factory, alice.id, "Secret Client", notes=["private"])
    before = row_counts(engine, WATCHED)
    for method, path, body in ENDPOINTS:
        headers = {"Authorization": header} if header else {}
        response = await http.request(
            method, "/api" + path.format(id=cid), json=body, headers=headers
        )
        assert response.status_code == status, (case, method, path, response.text)
        assert set(response.json()) == {"error"}
        assert "Secret" not in response.text
    assert row_counts(engine, WATCHED) == before


async def test_an_admin_removed_after_signing_is_refused(
    api: Api, services: Crm, alice: User, engine: Engine
) -> None:
    cid = seed(services.session_factory, alice.id, "Client")
    bob_api = Api(api.http, launch_data(BOB.telegram_user_id, "Bob"))
    assert (await bob_api("GET", f"/contacts/{cid}")).status_code == 200
    with services.session_factory.begin() as session:  # the restart that drops Bob
        sync_admins(session, [ALICE])
    before = row_counts(engine, WATCHED)
    for method, path, body in ENDPOINTS:
        response = await bob_api(method, path.format(id=cid), json=body)
        assert response.status_code == 403, (method, path)
        assert response.json() == {"error": "You're not an admin of this CRM."}
    assert row_counts(engine, WATCHED) == before
    assert (await api("GET", f"/contacts/{cid}")).status_code == 200


async def test_listed_in_the_database_but_not_in_the_settings_is_refused(
    http: httpx.AsyncClient, services: Crm, engine: Engine, admins: tuple[User, User]
) -> None:
    with services.session_factory.begin() as session:
        sync_admins(session, [ALICE, BOB])
    narrowed = Crm(
        settings=services.settings.with_(admins=(ALICE,)),
        engine=engine,
        session_factory=services.session_factory,
        store=services.store,
        clock=services.clock,
    )
    async with (
        TestServer(build_web_app(narrowed), host="127.0.0.1", port=0) as server,
        httpx.AsyncClient(base_url=str(server.make_url(""))) as client,
    ):
        bob = tma(launch_data(BOB.telegram_user_id, "Bob"))
        assert (await client.get("/api/me", headers=bob)).status_code == 403
        assert (await client.get("/api/me", headers=tma())).status_code == 200


async def test_headers_no_cookies_no_cors(http: httpx.AsyncClient, api: Api) -> None:
    for response in (
        await http.get("/app"),
        await api("GET", "/me"),
        await http.get("/healthz"),
        await http.get("/api/me"),
        await http.get("/nowhere"),
    ):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "script-src 'self' https://telegram.org;" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'self' https://web.telegram.org" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "set-cookie" not in response.headers
        assert "access-control-allow-origin" not in response.headers
    assert (await api("GET", "/me")).headers["Cache-Control"] == "no-store"
    preflight = await http.request(
        "OPTIONS",
        "/api/contacts",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code in (401, 405)
    assert "access-control-allow-origin" not in preflight.headers
    unknown = await api("GET", "/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json()["error"]


async def test_oversized_json_is_refused(
    api: Api, services: Crm, alice: User, engine: Engine
) -> None:
    cid = seed(services.session_factory, alice.id, "Big")
    before = row_counts(engine, WATCHED)
    huge = {"text": "x" * (70 * 1024)}
    response = await api("POST", f"/contacts/{cid}/notes", json=huge)
    assert response.status_code == 413
    assert "64 KB" in response.json()["error"]

    async def chunks():  # no Content-Length: the limit holds while reading
        for _ in range(80):
            yield b"x" * 1024

    response = await api("POST", f"/contacts/{cid}/notes", content=chunks())
    assert response.status_code == 413
    assert row_counts(engine, WATCHED) == before


async def test_rate_limit_per_user(settings_for: Callable[..., Settings], services: Crm) -> None:
    tight = build_web_app(services, limits=Limits(burst=3, per_second=0.01))
    async with (
        TestServer(tight, host="127.0.0.1", port=0) as server,
        httpx.AsyncClient(base_url=str(server.make_url(""))) as client,
    ):
        codes = [(await client.get("/api/me", headers=tma())).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = await client.get("/api/me", headers=tma())
        assert int(limited.headers["Retry-After"]) >= 1
        bob = tma(launch_data(BOB.telegram_user_id, "Bob"))
        assert (await client.get("/api/me", headers=bob)).status_code == 200  # per user


async def test_files_upload_list_download_delete(
    api: Api, services: Crm, alice: User, tmp_path: Path
) -> None:
    cid = seed(services.session_factory, alice.id, "Files")
    data = b"%PDF-1.4 quote"
    uploaded = await api.ok(
        "POST",
        f"/contacts/{cid}/files?name=../../etc/passwd&category=quote",
        201,
        content=data,
        headers={"Content-Type": "application/pdf"},
    )
    assert "/" not in uploaded["name"]
    assert ".." not in uploaded["name"]
    assert (uploaded["size"], uploaded["category"]) == (len(data), "quote")
    root = Path(services.settings.file_storage_dir)
    written = stored(root)
    assert len(written) == 1
    assert written[0].is_relative_to(root)
    assert stored(tmp_path / "etc") == []
    listed = await api.ok("GET", f"/contacts/{cid}/files")
    assert [f["id"] for f in listed["files"]] == [uploaded["id"]]
    got = await api("GET", f"/contacts/{cid}/files/{uploaded['id']}")
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["Content-Security-Policy"].startswith("sandbox")
    other = seed(services.session_factory, alice.id, "Other")
    assert (await api("GET", f"/contacts/{other}/files/{uploaded['id']}")).status_code == 404
    assert (await api("GET", f"/contacts/{cid}/files/..%2F..%2Fetc")).status_code == 404
    await api.ok("DELETE", f"/contacts/{cid}/files/{uploaded['id']}")
    assert stored(root) == []
    assert (await api("DELETE", f"/contacts/{cid}/files/{uploaded['id']}")).status_code == 404


async def test_upload_limits_and_bad_uploads(
    api: Api, services: Crm, alice: User, limits: Limits, engine: Engine
) -> None:
    cid = seed(services.session_factory, alice.id, "Limits")
    before = row_counts(engine, WATCHED)
    big = b"x" * (limits.upload_bytes + 1)
    response = await api("POST", f"/contacts/{cid}/files?name=big.bin", content=big)
    assert response.status_code == 413
    assert "limit" in response.json()["error"]

    async def stream():  # no Content-Length: counted while it arrives
        for _ in range(limits.upload_bytes // 1024 + 2):
            yield b"y" * 1024

    response = await api("POST", f"/contacts/{cid}/files?name=big.bin", content=stream())
    assert response.status_code == 413
    bad = await api("POST", f"/contacts/{cid}/files?name=a.txt&category=selfie", content=b"a")
    assert (bad.status_code, bad.json()["field"]) == (400, "category")
    gone = await api("POST", "/contacts/999/files?name=a.txt", content=b"a")
    assert gone.status_code == 404
    assert row_counts(engine, WATCHED) == before
    root = Path(services.settings.file_storage_dir)
    assert stored(root) == []


async def test_an_unexpected_failure_is_logged_and_told_in_one_sentence(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import web.api

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(web.api, "dashboard", broken)
    response = await api("GET", "/dashboard")
    assert response.status_code == 500
    assert response.json() == {
        "error": "Something went wrong; nothing was saved. Please try again."
    }
    assert "database on fire" not in response.text
    assert "API GET /api/dashboard failed" in caplog.text
    assert "database on fire" in caplog.text
    assert TOKEN not in caplog.text
