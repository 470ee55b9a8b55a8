"""The JSON API over real HTTP on SQLite and PostgreSQL: every endpoint, validation errors,
stale ids and trashed contacts."""

from __future__ import annotations

from datetime import timedelta

from bot.runtime import Crm
from crm_core.models import User
from crm_core.services.contacts import View, stage_history
from crm_core.services.dashboard import dashboard
from tests.conftest import TODAY
from tests.e2e.flows import contacts, notes_of, seed
from tests.web.conftest import Api


def make(
    services: Crm, owner: User, name: str, ctype: str = "eviction_client", **kw: object
) -> int:
    return seed(services.session_factory, owner.id, name, ctype, **kw)


async def test_me_names_the_admin_and_the_catalogues(api: Api, alice: User) -> None:
    me = await api.ok("GET", "/me")
    assert me["me"] == {"id": alice.id, "name": "Alice"}
    assert me["today"] == TODAY.isoformat()
    prospect = next(t for t in me["types"] if t["key"] == "prevention_prospect")
    assert [s["name"] for s in prospect["stages"]][3:6] == [
        "Quote Sent",
        "Thinking About It",
        "Won",
    ]
    assert {"name": "potential_value", "label": "Potential value"} in me["fields"]


async def test_dashboard_has_the_figures_of_the_bots(
    api: Api, services: Crm, alice: User, bob: User
) -> None:
    make(services, alice, "Due Today", next_followup_date=TODAY)
    make(services, alice, "Late", next_followup_date=TODAY - timedelta(days=2))
    make(services, bob, "Bob's late", next_followup_date=TODAY - timedelta(days=1))
    make(
        services,
        alice,
        "Quote",
        "prevention_prospect",
        current_stage="quote_sent",
        potential_value="1200.50",
    )
    for view in (View.MINE, View.TEAM):
        got = await api.ok("GET", f"/dashboard?view={view.value}")
        with services.session_factory() as session:
            want = dashboard(session, alice.id, view, TODAY)
        assert got == {
            "view": view.value,
            "due_today": want.due_today,
            "overdue": want.overdue,
            "quotes_pending": want.quotes_pending,
            "potential_revenue": f"{want.potential_revenue:.2f}",
        }
    assert (await api.ok("GET", "/dashboard"))["overdue"] == 1  # mine by default
    assert (await api.ok("GET", "/dashboard?view=team"))["overdue"] == 2
    bad = await api("GET", "/dashboard?view=everyone")
    assert bad.status_code == 400
    assert bad.json()["field"] == "view"


async def test_contacts_list_pages_filters_and_searches(
    api: Api, services: Crm, alice: User, bob: User
) -> None:
    for i in range(30):
        make(
            services,
            alice if i % 2 else bob,
            f"Person {i:02d}",
            next_followup_date=TODAY + timedelta(days=i % 3) if i < 20 else None,
        )
    make(
        services,
        alice,
        "Priya Patel",
        "prevention_prospect",
        company="Leeds Lettings",
        phone="07700 900123",
    )
    first = await api.ok("GET", "/contacts")
    assert len(first["items"]) == 25
    assert {"id", "name"} <= set(first["items"][0])
    second = await api.ok("GET", f"/contacts?after={first['next']}")
    assert second["next"] is None
    names = [c["name"] for c in first["items"] + second["items"]]
    assert len(names) == len(set(names)) == 31
    dated = [c["next_followup_date"] for c in first["items"] + second["items"]]
    assert dated[:20] == sorted(dated[:20])  # soonest follow-up first
    mine = await api.ok("GET", "/contacts?view=mine")
    assert len(mine["items"]) == 16
    prospects = await api.ok("GET", "/contacts?type=prevention_prospect")
    assert [c["name"] for c in prospects["items"]] == ["Priya Patel"]
    found = await api.ok("GET", "/contacts?q=patel%20lettings")
    assert [c["name"] for c in found["items"]] == ["Priya Patel"]
    assert [c["name"] for c in (await api.ok("GET", "/contacts?q=900123"))["items"]] == [
        "Priya Patel"
    ]
    none = await api.ok("GET", "/contacts?q=patel&type=eviction_client")
    assert none["items"] == []
    for query, field in (("type=robot", "type"), ("status=happy", "status"), ("after=x", "after")):
        response = await api("GET", f"/contacts?{query}")
        assert response.status_code == 400
        assert response.json()["field"] == field


async def test_contact_detail_has_fields_notes_files_and_history(
    api: Api, services: Crm, alice: User, bob: User
) -> None:
    cid = make(
        services,
        alice,
        "Dana Cole",
        "prevention_prospect",
        email="dana@example.com",
        potential_value="950",
        notes=["first call", "second call"],
        note_author=bob.id,
    )
    got = await api.ok("GET", f"/contacts/{cid}")
    assert got["name"] == "Dana Cole"
    assert got["fields"]["email"] == "dana@example.com"
    assert got["fields"]["potential_value"] == "950.00"
    assert got["owner"] == "Alice"
    assert got["stage_name"] == "Prospect"
    assert [n["text"] for n in got["notes"]] == ["second call", "first call"]  # newest first
    assert got["notes"][0]["author"] == "Bob"
    assert got["files"] == []
    assert [(h["from"], h["to"], h["by"]) for h in got["stage_history"]] == [
        (None, "prospect", "Alice")
    ]


async def test_create_warns_of_duplicates_then_continues(
    api: Api, services: Crm, alice: User
) -> None:
    existing = make(services, alice, "Sam Hill", email="sam@example.com")
    data = {"name": "Samuel Hill", "contact_type": "eviction_client", "email": "SAM@example.com"}
    warned = await api("POST", "/contacts", json=data)
    assert warned.status_code == 409
    assert [d["id"] for d in warned.json()["duplicates"]] == [existing]
    assert warned.json()["duplicates"][0]["reason"] == "same email"
    assert len(contacts(services.session_factory)) == 1
    created = await api.ok("POST", "/contacts", 201, json={**data, "force": True})
    assert created["name"] == "Samuel Hill"
    assert created["owner"] == "Alice"
    assert created["stage_history"][0]["to"] == "new_inquiry"
    assert len(contacts(services.session_factory)) == 2


async def test_create_and_update_name_the_bad_field(api: Api, services: Crm, alice: User) -> None:
    cases = [
        ({"contact_type": "eviction_client"}, "name"),
        ({"name": "X"}, "contact_type"),
        ({"name": "X", "contact_type": "eviction_client", "email": "not-an-email"}, "email"),
        (
            {"name": "X", "contact_type": "eviction_client", "potential_value": "lots"},
            "potential_value",
        ),
        ({"name": "X", "contact_type": "eviction_client", "shoe_size": 9}, "shoe_size"),
    ]
    for data, field in cases:
        response = await api("POST", "/contacts", json=data)
        assert response.status_code == 400, data
        assert response.json()["field"] == field
        assert response.json()["error"]
    assert contacts(services.session_factory) == []
    cid = make(services, alice, "Kim")
    for changes, field in (
        ({"phone": "12"}, "phone"),
        ({"name": " "}, "name"),
        ({"current_stage": "paid"}, "current_stage"),
    ):
        response = await api("PATCH", f"/contacts/{cid}", json=changes)
        assert response.status_code == 400
        assert response.json()["field"] == field
    updated = await api.ok(
        "PATCH", f"/contacts/{cid}", json={"company": "Kim & Co", "potential_value": "10.5"}
    )
    assert updated["fields"]["company"] == "Kim & Co"
    assert updated["fields"]["potential_value"] == "10.50"
    for body, field in ((b"[1]", "body"), (b"{nope", "body")):
        response = await api("PATCH", f"/contacts/{cid}", content=body)
        assert (response.status_code, response.json()["field"]) == (400, field)


async def test_notes_add_and_delete(api: Api, services: Crm, alice: User) -> None:
    cid = make(services, alice, "Lee")
    other = make(services, alice, "Other")
    note = await api.ok(
        "POST",
        f"/contacts/{cid}/notes",
        201,
        json={"type": "call", "text": "<b>rang</b> & left a message"},
    )
    assert note["text"] == "<b>rang</b> & left a message"
    assert note["type_label"] == "Call"
    assert note["author"] == "Alice"
    for body, field in (({"text": "  "}, "content"), ({"type": "fax", "text": "x"}, "note_type")):
        response = await api("POST", f"/contacts/{cid}/notes", json=body)
        assert (response.status_code, response.json()["field"]) == (400, field)
    wrong = await api("DELETE", f"/contacts/{other}/notes/{note['id']}")
    assert wrong.status_code == 404
    await api.ok("DELETE", f"/contacts/{cid}/notes/{note['id']}")
    assert notes_of(services.session_factory, cid) == []
    again = await api("DELETE", f"/contacts/{cid}/notes/{note['id']}")
    assert again.status_code == 404
    assert again.json()["error"] == "That note no longer exists."


async def test_stage_change_is_recorded_as_from_the_bot(
    api: Api, services: Crm, alice: User
) -> None:
    cid = make(services, alice, "Pat", "prevention_prospect", current_stage="quote_sent")
    moved = await api.ok("POST", f"/contacts/{cid}/stage", json={"stage": "won"})
    assert (moved["stage"], moved["status"]) == ("won", "won")
    with services.session_factory() as session:
        history = stage_history(session, cid)
        assert ("quote_sent", "won", alice.id) in [
            (h.from_stage, h.to_stage, h.changed_by) for h in history
        ]
    bad = await api("POST", f"/contacts/{cid}/stage", json={"stage": "paid"})
    assert (bad.status_code, bad.json()["field"]) == (400, "current_stage")


async def test_followup_set_and_clear(api: Api, services: Crm, alice: User) -> None:
    cid = make(services, alice, "Flo")
    got = await api.ok("POST", f"/contacts/{cid}/followup", json={"date": "2026-12-01"})
    assert got["next_followup_date"] == "2026-12-01"
    got = await api.ok("POST", f"/contacts/{cid}/followup", json={"date": "tomorrow 14:00"})
    assert (got["next_followup_date"], got["next_followup_time"]) == ("2026-11-24", "14:00")
    got = await api.ok("POST", f"/contacts/{cid}/followup", json={"date": "2026-11-20"})
    assert got["overdue"] is True
    got = await api.ok("POST", f"/contacts/{cid}/followup", json={"date": None})
    assert got["next_followup_date"] is None
    bad = await api("POST", f"/contacts/{cid}/followup", json={"date": "someday maybe"})
    assert (bad.status_code, bad.json()["field"]) == (400, "next_followup_date")


async def test_delete_to_trash_and_restore(api: Api, services: Crm, alice: User) -> None:
    cid = make(services, alice, "Gone Soon")
    assert (await api.ok("DELETE", f"/contacts/{cid}"))["deleted"] == cid
    for method, path, body in (
        ("GET", f"/contacts/{cid}", None),
        ("PATCH", f"/contacts/{cid}", {"company": "X"}),
        ("POST", f"/contacts/{cid}/notes", {"text": "x"}),
        ("POST", f"/contacts/{cid}/stage", {"stage": "paid"}),
        ("POST", f"/contacts/{cid}/followup", {"date": "tomorrow"}),
        ("GET", f"/contacts/{cid}/files", None),
        ("DELETE", f"/contacts/{cid}", None),
    ):
        response = await api(method, path, json=body)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"] == "That contact no longer exists."
    assert (await api.ok("GET", "/contacts"))["items"] == []
    restored = await api.ok("POST", f"/contacts/{cid}/restore")
    assert restored["name"] == "Gone Soon"
    assert len((await api.ok("GET", "/contacts"))["items"]) == 1


async def test_stale_and_impossible_ids_are_not_found(api: Api) -> None:
    for path in (
        "/contacts/999",
        "/contacts/99999999999",
        "/contacts/2147483648",
        "/contacts/abc",
        "/contacts/%C2%B2",
        "/contacts/-1",
    ):
        response = await api("GET", path)
        assert response.status_code == 404, path
        assert response.json()["error"]
    restore = await api("POST", "/contacts/999/restore")
    assert restore.status_code == 404


async def test_board_columns_count_and_value(
    api: Api, services: Crm, alice: User, bob: User
) -> None:
    make(
        services,
        alice,
        "A",
        "prevention_prospect",
        current_stage="quote_sent",
        potential_value="100",
    )
    make(
        services,
        bob,
        "B",
        "prevention_prospect",
        current_stage="quote_sent",
        potential_value="250.25",
    )
    make(services, alice, "C", "prevention_prospect")
    make(services, alice, "D")  # another pipeline
    board = await api.ok("GET", "/board?type=prevention_prospect")
    columns = {c["name"]: c for c in board["columns"]}
    assert list(columns) == [
        "Prospect",
        "First Contact Made",
        "In Discussion",
        "Quote Sent",
        "Thinking About It",
        "Won",
        "Lost",
    ]
    assert (columns["Quote Sent"]["count"], columns["Quote Sent"]["value"]) == (2, "350.25")
    assert [c["name"] for c in columns["Quote Sent"]["contacts"]] == ["A", "B"]
    assert (columns["Prospect"]["count"], columns["Prospect"]["value"]) == (1, "0.00")
    mine = await api.ok("GET", "/board?type=prevention_prospect&view=mine")
    assert {c["name"]: c["count"] for c in mine["columns"]}["Quote Sent"] == 1
    evictions = await api.ok("GET", "/board?type=eviction_client")
    assert evictions["columns"][0]["count"] == 1
    bad = await api("GET", "/board?type=nope")
    assert (bad.status_code, bad.json()["field"]) == (400, "type")
