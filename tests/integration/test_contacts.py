"""Contacts: create, read, update, stages, trash, purge, search, list and duplicates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm_core.errors import NotFound, ValidationError
from crm_core.models import Contact, File, Note, StageChange
from crm_core.services.cards import get_card
from crm_core.services.contacts import (
    change_stage,
    create_contact,
    get_contact,
    recently_touched,
    stage_history,
    update_contact,
)
from crm_core.services.dashboard import dashboard
from crm_core.services.duplicates import find_duplicates
from crm_core.services.followups import due_followups
from crm_core.services.listing import ContactFilter, View, list_contacts
from crm_core.services.search import search_contacts
from crm_core.services.trash import (
    delete_contact,
    list_trash,
    purge_contact,
    purge_trash,
    restore_contact,
)
from crm_core.stages import ContactType, Status

PROSPECT = "prevention_prospect"
EVICTION = "eviction_client"
PARTNER = "referral_partner"


@pytest.fixture
def make(session, alice, today, now):
    """Create a contact (prevention prospect by default) owned by Alice unless told."""

    def make(name: str, owner=None, **fields):
        data = {"name": name, "contact_type": PROSPECT, **fields}
        return create_contact(session, (owner or alice).id, data, today=today, now=now)

    return make


def count(session, model=Contact) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- create and get -------------------------------------------------------------------------


def test_create_cleans_every_field_and_starts_the_pipeline(session, make, alice, now):
    contact = make(
        "  Jane   Smith ",
        email=" Jane@Example.COM ",
        phone="07700 900123",
        company=" Acme Ltd ",
        potential_value="£1,250.50",
        next_followup_date="friday",
        urgency_level="High",
    )
    got = get_contact(session, contact.id)
    assert got.name == "Jane Smith"
    assert got.email == "jane@example.com"
    assert got.phone == "+447700900123"
    assert got.company == "Acme Ltd"
    assert got.potential_value == Decimal("1250.50")
    assert got.total_revenue == Decimal("0")
    assert got.total_jobs_referred == 0
    assert got.next_followup_date == date(2026, 11, 27)
    assert got.urgency_level == "high"
    assert got.contact_type == PROSPECT
    assert got.current_stage == "prospect"
    assert got.status == "active"
    assert got.owner_id == alice.id
    assert got.created_at == now
    assert got.deleted_at is None
    history = stage_history(session, contact.id)
    assert [(h.from_stage, h.to_stage, h.changed_by) for h in history] == [
        (None, "prospect", alice.id)
    ]


def test_create_survives_a_round_trip_through_the_database(session_factory, alice, today):
    with session_factory.begin() as s:
        data = {"name": "Round Trip", "contact_type": EVICTION, "potential_value": "9.99"}
        cid = create_contact(s, alice.id, data, today=today).id
    with session_factory() as s:
        got = get_contact(s, cid)
        assert got.potential_value == Decimal("9.99")
        assert isinstance(got.potential_value, Decimal)
        assert got.created_at.tzinfo is not None
        assert got.owner.display_name == "Alice"
        assert got.current_stage == "new_inquiry"


def test_create_at_a_given_stage_by_name_sets_its_status(make):
    contact = make("Won Ltd", current_stage="Won")
    assert contact.current_stage == "won"
    assert contact.status == "won"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "   ", "contact_type": PROSPECT}, "name"),
        ({"contact_type": PROSPECT}, "name"),
        ({"name": "No Type"}, "contact_type"),
        ({"name": "Bad Type", "contact_type": "plumber"}, "contact_type"),
        ({"name": "Bad Email", "contact_type": PROSPECT, "email": "nobody.example.com"}, "email"),
        ({"name": "Bad Phone", "contact_type": PROSPECT, "phone": "12"}, "phone"),
        (
            {"name": "Bad Money", "contact_type": PROSPECT, "potential_value": "-1"},
            "potential_value",
        ),
        (
            {"name": "Bad Date", "contact_type": PROSPECT, "next_followup_date": "someday"},
            "next_followup_date",
        ),
        (
            {"name": "Bad Stage", "contact_type": EVICTION, "current_stage": "Quote Sent"},
            "current_stage",
        ),
        ({"name": "Bad Status", "contact_type": EVICTION, "status": "happy"}, "status"),
        ({"name": "X" * 201, "contact_type": EVICTION}, "name"),
        ({"name": "Unknown", "contact_type": EVICTION, "colour": "red"}, "colour"),
    ],
)
def test_invalid_create_writes_nothing(session_factory, alice, today, data, field):
    with session_factory() as s:
        with pytest.raises(ValidationError) as info:
            create_contact(s, alice.id, data, today=today)
        assert info.value.field == field
        s.commit()  # even a caller that commits after the error finds nothing written
    with session_factory() as s:
        assert count(s) == 0
        assert count(s, StageChange) == 0


def test_create_for_an_unknown_or_inactive_owner_is_rejected(session, alice, today):
    with pytest.raises(ValidationError) as info:
        create_contact(session, 999_999, {"name": "A", "contact_type": PROSPECT}, today=today)
    assert info.value.field == "owner"
    alice.active = False
    session.merge(alice)
    session.flush()
    with pytest.raises(ValidationError):
        create_contact(session, alice.id, {"name": "A", "contact_type": PROSPECT}, today=today)
    assert count(session) == 0


def test_get_unknown_contact_is_not_found(session, alice):
    with pytest.raises(NotFound):
        get_contact(session, 12345)


def test_card_counts_notes_and_files_and_names_the_referrer(session, make, alice, now):
    partner = make("Agent Ann", contact_type=PARTNER)
    contact = make("Card Person", referred_by_id=partner.id)
    for i in range(4):
        session.add(
            Note(
                contact_id=contact.id,
                note_type="call",
                content=f"n{i}",
                created_by=alice.id,
                created_at=now + timedelta(minutes=i),
            )
        )
    session.add(_file(contact.id, "k/card"))
    session.flush()
    card = get_card(session, contact.id)
    assert card.note_count == 4
    assert card.file_count == 1
    assert [n.content for n in card.recent_notes] == ["n3", "n2", "n1"]
    assert card.referred_by_name == "Agent Ann"


# --- update and stages ----------------------------------------------------------------------


def test_partial_update_changes_only_what_is_given(session, make, alice, today, now):
    contact = make("Jane Smith", email="jane@example.com", phone="07700 900123", company="Acme")
    later = now + timedelta(hours=1)
    update_contact(
        session,
        contact.id,
        {"company": " Beta Ltd ", "phone": "+44 7700 900999"},
        by_user_id=alice.id,
        today=today,
        now=later,
    )
    got = get_contact(session, contact.id)
    assert got.company == "Beta Ltd"
    assert got.phone == "+447700900999"
    assert got.email == "jane@example.com"
    assert got.name == "Jane Smith"
    assert got.updated_at == later
    assert search_contacts(session, "beta") == [got]
    assert search_contacts(session, "acme") == []
    assert search_contacts(session, "07700 900999") == [got]


def test_update_can_clear_an_optional_field(session, make, alice, today):
    contact = make("Jane", email="jane@example.com")
    update_contact(session, contact.id, {"email": ""}, by_user_id=alice.id, today=today)
    assert get_contact(session, contact.id).email is None


def test_update_rejects_an_empty_name(session, make, alice, today):
    contact = make("Jane")
    with pytest.raises(ValidationError) as info:
        update_contact(session, contact.id, {"name": " "}, by_user_id=alice.id, today=today)
    assert info.value.field == "name"
    assert get_contact(session, contact.id).name == "Jane"


def test_invalid_update_changes_nothing_even_if_the_caller_commits(
    session_factory, alice, bob, today
):
    with session_factory.begin() as s:
        cid = create_contact(
            s,
            alice.id,
            {"name": "Keep Me", "contact_type": EVICTION, "company": "Old"},
            today=today,
        ).id
        other = create_contact(
            s, alice.id, {"name": "Not A Partner", "contact_type": EVICTION}, today=today
        ).id
    with session_factory() as s:
        with pytest.raises(ValidationError):
            update_contact(
                s,
                cid,
                {"owner_id": bob.id, "referred_by_id": other, "company": "New"},
                by_user_id=alice.id,
                today=today,
            )
        s.commit()
    with session_factory() as s:
        got = get_contact(s, cid)
        assert got.owner_id == alice.id
        assert got.referred_by_id is None
        assert got.company == "Old"


def test_update_reassigns_the_owner(session, make, alice, bob, today):
    contact = make("Jane")
    update_contact(session, contact.id, {"owner_id": bob.id}, by_user_id=alice.id, today=today)
    assert get_contact(session, contact.id).owner_id == bob.id
    with pytest.raises(ValidationError):
        update_contact(session, contact.id, {"owner_id": 424242}, by_user_id=alice.id, today=today)


def test_type_change_resets_the_stage_and_records_it(session, make, alice, bob, today, now):
    contact = make("Switcher")
    change_stage(session, contact.id, "quote_sent", by_user_id=alice.id, now=now)
    later = now + timedelta(hours=2)
    update_contact(
        session,
        contact.id,
        {"contact_type": "Eviction client"},
        by_user_id=bob.id,
        today=today,
        now=later,
    )
    got = get_contact(session, contact.id)
    assert got.contact_type == EVICTION
    assert got.current_stage == "new_inquiry"
    assert got.status == "active"
    assert got.stage_changed_at == later
    history = stage_history(session, contact.id)
    assert [(h.from_stage, h.to_stage) for h in history] == [
        (None, "prospect"),
        ("prospect", "quote_sent"),
        ("quote_sent", "new_inquiry"),
    ]
    assert history[-1].changed_by == bob.id


def test_same_type_keeps_the_stage(session, make, alice, today):
    contact = make("Stayer")
    change_stage(session, contact.id, "in_discussion", by_user_id=alice.id)
    update_contact(
        session, contact.id, {"contact_type": PROSPECT}, by_user_id=alice.id, today=today
    )
    assert get_contact(session, contact.id).current_stage == "in_discussion"
    assert len(stage_history(session, contact.id)) == 2


@pytest.mark.parametrize(
    ("ctype", "stage", "status"),
    [
        (EVICTION, "paid", "won"),
        (EVICTION, "Invoiced", "active"),
        (PROSPECT, "Won", "won"),
        (PROSPECT, "lost", "lost"),
        (PROSPECT, "thinking_about_it", "active"),
        (PARTNER, "Inactive", "dormant"),
    ],
)
def test_change_stage_records_history_and_sets_status(
    session, make, bob, now, ctype, stage, status
):
    contact = make("Mover", contact_type=ctype)
    change_stage(session, contact.id, stage, by_user_id=bob.id, now=now)
    got = get_contact(session, contact.id)
    assert got.status == status
    last = stage_history(session, contact.id)[-1]
    assert last.to_stage == got.current_stage
    assert last.to_stage == stage.lower()
    assert last.changed_by == bob.id
    assert last.changed_at == now


def test_back_from_a_final_stage_makes_the_contact_active_again(session, make, alice):
    contact = make("Second Thoughts")
    change_stage(session, contact.id, "lost", by_user_id=alice.id)
    change_stage(session, contact.id, "in_discussion", by_user_id=alice.id)
    assert get_contact(session, contact.id).status == "active"


def test_a_stage_outside_the_pipeline_is_rejected(session, make, alice):
    contact = make("Eviction Only", contact_type=EVICTION)
    with pytest.raises(ValidationError) as info:
        change_stage(session, contact.id, "quote_sent", by_user_id=alice.id)
    assert info.value.field == "current_stage"
    assert "Eviction client" in str(info.value)
    assert get_contact(session, contact.id).current_stage == "new_inquiry"
    assert len(stage_history(session, contact.id)) == 1


def test_changing_to_the_current_stage_records_nothing(session, make, alice):
    contact = make("Still")
    change_stage(session, contact.id, "prospect", by_user_id=alice.id)
    assert len(stage_history(session, contact.id)) == 1


# --- referrals ------------------------------------------------------------------------------


def test_referred_by_must_be_a_referral_partner(session, make, alice, today):
    partner = make("Agent Ann", contact_type=PARTNER)
    client = make("Client", contact_type=EVICTION, referred_by_id=partner.id)
    assert client.referred_by_id == partner.id
    with pytest.raises(ValidationError) as info:
        make("Client Two", referred_by_id=client.id)
    assert info.value.field == "referred_by_id"
    assert "not a referral partner" in str(info.value)
    with pytest.raises(ValidationError):
        make("Client Three", referred_by_id=987654)
    with pytest.raises(ValidationError):  # not itself
        update_contact(
            session, partner.id, {"referred_by_id": partner.id}, by_user_id=alice.id, today=today
        )
    delete_contact(session, partner.id)
    with pytest.raises(ValidationError):  # not a trashed one
        make("Client Four", referred_by_id=partner.id)
    assert count(session) == 2


# --- trash ----------------------------------------------------------------------------------


def test_delete_hides_the_contact_everywhere_and_restore_brings_it_back(
    session, make, alice, today, now
):
    contact = make(
        "Trash Me", next_followup_date="today", potential_value="100", current_stage="quote_sent"
    )
    make("Keep Me", next_followup_date="today", potential_value="50")

    def visible() -> dict[str, object]:
        board = dashboard(session, alice.id, View.TEAM, today)
        return {
            "search": [c.name for c in search_contacts(session, "me")],
            "list": [c.name for c in list_contacts(session, alice.id).items],
            "total": list_contacts(session, alice.id).total,
            "due": [d.contact.name for d in due_followups(session, alice.id, today)],
            "board": (board.due_today, board.quotes_pending, board.potential_revenue),
        }

    before = visible()
    assert before["search"] == ["Keep Me", "Trash Me"]
    delete_contact(session, contact.id, now=now)
    assert visible() == {
        "search": ["Keep Me"],
        "list": ["Keep Me"],
        "total": 1,
        "due": ["Keep Me"],
        "board": (1, 0, Decimal("50.00")),
    }
    with pytest.raises(NotFound):
        get_contact(session, contact.id)
    assert get_contact(session, contact.id, include_deleted=True).deleted_at == now
    assert [c.id for c in list_trash(session, now=now).items] == [contact.id]

    restore_contact(session, contact.id)
    assert visible() == before
    assert list_trash(session, now=now).items == []


def test_deleting_twice_is_not_found(session, make, now):
    contact = make("Once")
    delete_contact(session, contact.id, now=now)
    with pytest.raises(NotFound):
        delete_contact(session, contact.id, now=now)


def test_list_trash_is_newest_first_within_the_trash_period(session, make, now):
    old = make("Old")
    mid = make("Mid")
    new = make("New")
    delete_contact(session, old.id, now=now - timedelta(days=31))
    delete_contact(session, mid.id, now=now - timedelta(days=5))
    delete_contact(session, new.id, now=now - timedelta(hours=1))
    assert [c.name for c in list_trash(session, now=now).items] == ["New", "Mid"]


def test_the_trash_pages_and_searches_as_search_does(session, make, now):
    for i in range(25):
        contact = make(f"Trashed {i:02}", company="Leeds Lettings" if i % 5 == 0 else None)
        delete_contact(session, contact.id, now=now - timedelta(minutes=i))
    first = list_trash(session, now=now, page_size=10)
    assert (first.total, first.pages, first.has_next, first.has_prev) == (25, 3, True, False)
    assert [c.name for c in first.items] == [f"Trashed {i:02}" for i in range(10)]
    last = list_trash(session, now=now, page=9, page_size=10)  # past the end: the last
    assert last.page == 3
    assert [c.name for c in last.items] == [f"Trashed {i}" for i in range(20, 25)]
    found = list_trash(session, now=now, text="lettings TRASHED")  # words in any order
    assert [c.name for c in found.items] == [f"Trashed {i:02}" for i in (0, 5, 10, 15, 20)]
    assert list_trash(session, now=now, text="nobody").total == 0
    assert search_contacts(session, "lettings") == []  # search itself: live ones only


def _file(contact_id: int, key: str) -> File:
    return File(
        contact_id=contact_id,
        file_name="quote.pdf",
        file_type="application/pdf",
        file_size=1234,
        storage_key=key,
        category="quote",
    )


def _with_history(session, make, name, alice, now):
    contact = make(name)
    session.add(
        Note(
            contact_id=contact.id,
            note_type="call",
            content="hello",
            created_by=alice.id,
            created_at=now,
        )
    )
    session.add(_file(contact.id, f"contacts/{contact.id}/quote.pdf"))
    change_stage(session, contact.id, "in_discussion", by_user_id=alice.id)
    session.flush()
    return contact


def test_purge_trash_erases_only_old_trash_with_everything_attached(session, make, alice, now):
    old = _with_history(session, make, "Old", alice, now)
    recent = _with_history(session, make, "Recent", alice, now)
    alive = _with_history(session, make, "Alive", alice, now)
    delete_contact(session, old.id, now=now - timedelta(days=31))
    delete_contact(session, recent.id, now=now - timedelta(days=29))
    old_id = old.id

    result = purge_trash(session, now=now)

    assert result.contact_ids == [old_id]
    assert result.storage_keys == [f"contacts/{old_id}/quote.pdf"]
    session.expire_all()
    remaining = {c.name for c in session.scalars(select(Contact))}
    assert remaining == {"Recent", "Alive"}
    for model in (Note, File, StageChange):
        owners = set(session.scalars(select(model.contact_id)))
        assert owners == {recent.id, alive.id}, model.__name__
    assert count(session, Note) == 2
    assert count(session, File) == 2
    assert count(session, StageChange) == 4


def test_purge_trash_with_a_shorter_period(session, make, now):
    contact = make("Two Days")
    delete_contact(session, contact.id, now=now - timedelta(days=2))
    assert purge_trash(session, now=now).contact_ids == []
    assert purge_trash(session, older_than_days=1, now=now).contact_ids == [contact.id]
    assert count(session) == 0


def test_purge_contact_only_from_the_trash(session, make, alice, now):
    contact = _with_history(session, make, "Erase Me", alice, now)
    other = _with_history(session, make, "Keep", alice, now)
    with pytest.raises(ValidationError):
        purge_contact(session, contact.id)
    assert count(session) == 2
    delete_contact(session, contact.id, now=now)
    result = purge_contact(session, contact.id)
    assert result.contact_ids == [contact.id]
    assert result.storage_keys == [f"contacts/{contact.id}/quote.pdf"]
    session.expire_all()
    assert [c.id for c in session.scalars(select(Contact))] == [other.id]
    assert set(session.scalars(select(Note.contact_id))) == {other.id}
    assert set(session.scalars(select(File.contact_id))) == {other.id}
    with pytest.raises(NotFound):
        purge_contact(session, contact.id)
    with pytest.raises(NotFound):
        restore_contact(session, contact.id)


def test_purging_a_partner_unlinks_the_contacts_it_referred(session, make, now):
    partner = make("Agent", contact_type=PARTNER)
    client = make("Client", referred_by_id=partner.id)
    delete_contact(session, partner.id, now=now)
    purge_contact(session, partner.id)
    session.expire_all()
    assert get_contact(session, client.id).referred_by_id is None


# --- search ---------------------------------------------------------------------------------


def test_search_is_a_case_insensitive_substring_on_each_field(session, make):
    jane = make(
        "Jane Smith", email="JS@Example.com", company="Acme Lettings", phone="07700 900123"
    )
    make("Someone Else", email="other@else.org", company="Other", phone="020 7946 0958")
    for text in [
        "jane",
        "SMITH",
        "ane sm",
        "js@example",
        "EXAMPLE.COM",
        "acme",
        "lettings",
        "900123",
        "07700 900123",
        "07700900123",
        "+44 7700",
        "+447700900123",
        "(07700) 900-123",
    ]:
        assert [c.id for c in search_contacts(session, text)] == [jane.id], text


def test_search_finds_nothing_for_blank_or_absent_text(session, make):
    make("Jane")
    assert search_contacts(session, "   ") == []
    assert search_contacts(session, "zebra") == []


def test_search_ranks_exact_then_prefix_then_word_prefix_then_substring(session, make):
    for name in ["Deanna Croft", "Ann Lee", "Mary Ann", "Ann", "Joanne Ball"]:
        make(name)
    make("Zed", email="ann@zed.com")
    names = [c.name for c in search_contacts(session, "ann")]
    assert names == ["Ann", "Ann Lee", "Mary Ann", "Deanna Croft", "Joanne Ball", "Zed"]


def test_search_exact_match_ignores_case(session, make):
    make("Annabel")
    make("ANN")
    assert [c.name for c in search_contacts(session, "Ann")] == ["ANN", "Annabel"]


def test_search_treats_like_wildcards_literally(session, make):
    make("100% Secure", company="a_b ltd")
    make("1000 Secure", company="axb ltd")
    make("Back\\slash")
    assert [c.name for c in search_contacts(session, "100%")] == ["100% Secure"]
    assert [c.name for c in search_contacts(session, "a_b")] == ["100% Secure"]
    assert [c.name for c in search_contacts(session, "%")] == ["100% Secure"]
    assert [c.name for c in search_contacts(session, "_")] == ["100% Secure"]
    assert [c.name for c in search_contacts(session, "k\\s")] == ["Back\\slash"]


def test_search_finds_every_word_in_any_order(session, make):
    priya = make("Priya Patel", email="pp@example.com", company="Leeds Lettings")
    make("Priya Shah", company="York Homes")
    make("Raj Patel", company="Leeds Security")
    for text in [
        "patel lettings",
        "LETTINGS priya",
        "priya  lettings pat",
        "pp@ leeds",
        "Pr lee",
        "Priya Patel",
    ]:
        assert [c.id for c in search_contacts(session, text)] == [priya.id], text
    assert [c.name for c in search_contacts(session, "leeds patel")] == [
        "Priya Patel",
        "Raj Patel",
    ]
    assert search_contacts(session, "priya york leeds") == []
    pasted = " ".join(["Dear Priya & Co,"] * 500 + ["patel"])  # a repeated word counts once
    assert search_contacts(session, pasted) == []
    assert [c.id for c in search_contacts(session, "pat " * 40 + "lettings")] == [priya.id]
    eight = "priya patel pp@example.com leeds lettings pri pat lee"
    assert [c.id for c in search_contacts(session, eight + " zzz")] == [priya.id]  # 9th


def test_a_phone_number_matches_as_typed_or_by_its_digits_only(session, make):
    mobile = make("Mobile", phone="07700 900123")
    make("Lookalike", phone="020 7700 0000", email="x900123@example.com")
    for text in ["07700 900123", "07700 900", "+44 7700 900123"]:
        assert [c.id for c in search_contacts(session, text)] == [mobile.id], text


def test_search_follows_edits_trash_restore_and_purge(session, make, now, today):
    contact = make("Gwendolyn Price", company="Harbour Lettings")
    update_contact(session, contact.id, {"name": "Gwen Ashby"}, by_user_id=None, today=today)
    assert search_contacts(session, "gwendolyn") == []
    assert [c.id for c in search_contacts(session, "ashby")] == [contact.id]
    assert [c.id for c in search_contacts(session, "harbour")] == [contact.id]
    delete_contact(session, contact.id, now=now)
    assert search_contacts(session, "ashby") == []
    restore_contact(session, contact.id)
    assert [c.id for c in search_contacts(session, "ashby")] == [contact.id]
    delete_contact(session, contact.id, now=now)
    purge_contact(session, contact.id)
    again = make("Gwen Ashby")
    assert [c.id for c in search_contacts(session, "ashby")] == [again.id]


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ('Siobhan "Vonnie" Kelly', '"vonnie"'),  # quotes are text, not query syntax
        ("Zoë Łukasz", "ZOË ŁU"),  # letters beyond ASCII fold like the rest
        ("Straße Lettings", "STRASSE"),  # casefold: ß is ss
        ("O'Brien AND Sons", "brien and"),  # AND/OR/NEAR are words, not operators
        ("Plot 1-3 (rear)", "1-3 (re"),
    ],
)
def test_search_takes_any_text_literally(session, make, name, query):
    contact = make(name)
    make("Someone Else")
    assert [c.id for c in search_contacts(session, query)] == [contact.id]


def test_search_limit(session, make):
    for i in range(5):
        make(f"Person {i}")
    assert len(search_contacts(session, "person", limit=3)) == 3


# --- list -----------------------------------------------------------------------------------


def test_list_is_sorted_by_follow_up_with_empty_dates_last_then_name(session, make, alice):
    make("Zoe", next_followup_date="2026-11-30")
    make("Adam")
    make("Ben", next_followup_date="2026-11-20")
    make("Amy", next_followup_date="2026-11-30")
    make("Aaron")
    page = list_contacts(session, alice.id)
    assert [c.name for c in page.items] == ["Ben", "Amy", "Zoe", "Aaron", "Adam"]


def test_names_sort_regardless_of_case_in_lists_search_and_due_follow_ups(
    session, make, alice, today
):
    for name in ["Zoe Hart", "adam hart", "Ben Hart", "bella hart"]:
        make(name, next_followup_date=today)
    expected = ["adam hart", "bella hart", "Ben Hart", "Zoe Hart"]
    assert [c.name for c in list_contacts(session, alice.id).items] == expected
    assert [c.name for c in search_contacts(session, "hart")] == expected
    assert [i.contact.name for i in due_followups(session, alice.id, today)] == expected
    update_contact(
        session,
        search_contacts(session, "zoe")[0].id,
        {"name": "aaron"},
        by_user_id=alice.id,
        today=today,
    )
    assert list_contacts(session, alice.id).items[0].name == "aaron"


def test_list_filters_by_view_type_and_status(session, make, alice, bob):
    make("A1", contact_type=EVICTION)
    make("A2", current_stage="won")
    make("B1", owner=bob, contact_type=PARTNER)
    make("B2", owner=bob, contact_type=EVICTION, current_stage="paid")

    def names(user=alice, **kwargs) -> list[str]:
        page = list_contacts(session, user.id, ContactFilter(**kwargs))
        return [c.name for c in page.items]

    assert names() == ["A1", "A2", "B1", "B2"]
    assert names(view=View.MINE) == ["A1", "A2"]
    assert names(contact_type=ContactType.EVICTION_CLIENT) == ["A1", "B2"]
    assert names(status=Status.WON) == ["A2", "B2"]
    assert names(view=View.MINE, status=Status.WON) == ["A2"]
    assert names(view=View.MINE, contact_type=ContactType.REFERRAL_PARTNER) == []
    assert names(bob, view=View.MINE) == ["B1", "B2"]


def test_list_pages(session, make, alice):
    for i in range(25):
        make(f"P{i:02d}")
    first = list_contacts(session, alice.id, page=1, page_size=10)
    assert [c.name for c in first.items] == [f"P{i:02d}" for i in range(10)]
    assert (first.total, first.pages, first.has_prev, first.has_next) == (25, 3, False, True)
    last = list_contacts(session, alice.id, page=3, page_size=10)
    assert [c.name for c in last.items] == [f"P{i:02d}" for i in range(20, 25)]
    assert (last.has_prev, last.has_next) == (True, False)
    beyond = list_contacts(session, alice.id, page=99, page_size=10)
    assert beyond.page == 3
    assert [c.name for c in beyond.items] == [c.name for c in last.items]
    before = list_contacts(session, alice.id, page=0, page_size=10)
    assert before.page == 1
    assert before.items[0].name == "P00"


def _walk(session, user_id, flt, size):
    """Every page by Next (after the last contact shown), then back by Prev."""
    pages = [list_contacts(session, user_id, flt, page_size=size)]
    while pages[-1].has_next:
        last = pages[-1]
        pages.append(
            list_contacts(
                session, user_id, flt, page=last.page + 1, page_size=size, after=last.items[-1].id
            )
        )
    back = [pages[-1]]
    while back[-1].has_prev:
        first = back[-1]
        back.append(
            list_contacts(
                session,
                user_id,
                flt,
                page=first.page - 1,
                page_size=size,
                before=first.items[0].id,
            )
        )
    return pages, back


@pytest.mark.parametrize(
    "flt",
    [ContactFilter(), ContactFilter(view=View.MINE, contact_type=ContactType.EVICTION_CLIENT)],
    ids=["team", "mine-evictions"],
)
def test_paging_by_edge_contact_matches_paging_by_number(session, make, alice, bob, today, flt):
    """Ties on date and name are broken by id; the undated run follows the dated one."""
    for i in range(23):
        make(
            f"{'same' if i % 3 else 'Same'} Name {i % 2}",
            owner=alice if i % 5 else bob,
            contact_type=EVICTION if i % 3 else PROSPECT,
            next_followup_date=today + timedelta(days=i % 4) if i % 7 else None,
        )
    size = 3
    by_number = []
    page = list_contacts(session, alice.id, flt, page_size=size)
    for n in range(1, page.pages + 1):
        by_number.append(list_contacts(session, alice.id, flt, page=n, page_size=size))
    assert len(by_number) >= 3

    forth, back = _walk(session, alice.id, flt, size)
    expected = [([c.id for c in p.items], p.page) for p in by_number]
    assert [([c.id for c in p.items], p.page) for p in forth] == expected
    assert [([c.id for c in p.items], p.page) for p in reversed(back)] == expected


def test_next_shows_what_follows_the_last_contact_seen_after_edits(session, make, alice, today):
    contacts = [make(f"C{i}", next_followup_date=today + timedelta(days=i)) for i in range(6)]
    first = list_contacts(session, alice.id, page_size=3)
    assert [c.name for c in first.items] == ["C0", "C1", "C2"]
    # Meanwhile C1 gets a later follow-up: by number, page 2 would now skip C3.
    update_contact(
        session,
        contacts[1].id,
        {"next_followup_date": today + timedelta(days=30)},
        by_user_id=alice.id,
        today=today,
    )
    second = list_contacts(session, alice.id, page=2, page_size=3, after=first.items[-1].id)
    assert [c.name for c in second.items] == ["C3", "C4", "C5"]
    assert (second.page, second.has_next) == (2, True)
    third = list_contacts(session, alice.id, page=3, page_size=3, after=second.items[-1].id)
    assert [c.name for c in third.items] == ["C1"]
    assert (third.page, third.has_next) == (2, False)  # the number follows the rows


def test_paging_by_edge_contact_falls_back_to_the_number(session, make, alice, today, now):
    contacts = [make(f"C{i}", next_followup_date=today + timedelta(days=i)) for i in range(7)]
    # The edge contact erased since: the page by number.
    delete_contact(session, contacts[2].id, now=now)
    purge_contact(session, contacts[2].id)
    page = list_contacts(session, alice.id, page=2, page_size=3, after=contacts[2].id)
    assert ([c.name for c in page.items], page.page) == (["C4", "C5", "C6"], 2)
    # The edge contact moved to the end: nothing follows it, so the last page.
    update_contact(
        session, contacts[0].id, {"next_followup_date": None}, by_user_id=alice.id, today=today
    )
    page = list_contacts(session, alice.id, page=2, page_size=3, after=contacts[0].id)
    assert ([c.name for c in page.items], page.page, page.has_next) == (
        ["C5", "C6", "C0"],
        2,
        False,
    )
    # Prev from a contact that is among the first few by now: the first page.
    page = list_contacts(session, alice.id, page=5, page_size=3, before=contacts[3].id)
    assert ([c.name for c in page.items], page.page) == (["C1", "C3", "C4"], 1)
    # A trashed edge contact still marks a place.
    delete_contact(session, contacts[4].id, now=now)
    page = list_contacts(session, alice.id, page=1, page_size=2, after=contacts[4].id)
    assert [c.name for c in page.items] == ["C5", "C6"]


def test_an_empty_list_is_one_empty_page(session, alice):
    page = list_contacts(session, alice.id)
    assert (page.items, page.total, page.page, page.pages) == ([], 0, 1, 1)
    assert not page.has_next


# --- duplicates -----------------------------------------------------------------------------


def test_duplicates_by_email_phone_and_similar_name_at_the_same_company(session, make):
    by_email = make("Jane Smith", email="jane@example.com")
    by_phone = make("J Smith", phone="+44 7700 900123")
    by_name = make("Robert Brown", company="Acme Ltd")
    make("Robert Brown", company="Other Ltd")
    make("Unrelated", email="else@example.com", phone="020 7946 0958", company="Acme Ltd")

    found = find_duplicates(session, email="JANE@Example.com")
    assert [(d.contact.id, d.reason) for d in found] == [(by_email.id, "same email")]

    found = find_duplicates(session, phone="07700 900123")
    assert [(d.contact.id, d.reason) for d in found] == [(by_phone.id, "same phone")]

    found = find_duplicates(session, name="robert  browne", company="acme ltd ")
    assert [(d.contact.id, d.reason) for d in found] == [
        (by_name.id, "similar name at the same company")
    ]

    assert find_duplicates(session, name="Robert Brown", company="Third Ltd") == []
    assert find_duplicates(session, name="Susan Green", company="Acme Ltd") == []
    assert find_duplicates(session, name="Robert Brown") == []


def test_duplicates_exclude_the_contact_itself_and_the_trash(session, make, now):
    jane = make("Jane Smith", email="jane@example.com", company="Acme")
    assert (
        find_duplicates(
            session,
            name="Jane Smith",
            email="jane@example.com",
            company="Acme",
            exclude_id=jane.id,
        )
        == []
    )
    delete_contact(session, jane.id, now=now)
    assert (
        find_duplicates(session, email="jane@example.com", name="Jane Smith", company="Acme") == []
    )


def test_one_contact_matching_several_ways_is_reported_once(session, make):
    jane = make("Jane Smith", email="jane@example.com", phone="07700 900123", company="Acme")
    found = find_duplicates(
        session, name="Jane Smith", email="jane@example.com", phone="07700900123", company="Acme"
    )
    assert [d.contact.id for d in found] == [jane.id]
    assert found[0].reason == "same email"


def test_recently_touched_is_newest_first(session, make, alice, today, now):
    first = make("First")
    make("Second")
    update_contact(
        session,
        first.id,
        {"company": "X"},
        by_user_id=alice.id,
        today=today,
        now=now + timedelta(minutes=5),
    )
    assert [c.name for c in recently_touched(session, limit=2)] == ["First", "Second"]


@pytest.mark.parametrize("field", ["current_stage", "status"])
def test_update_does_not_silently_ignore_stage_or_status(session, make, alice, today, field):
    contact = make("Staged")
    with pytest.raises(ValidationError) as info:
        update_contact(session, contact.id, {field: "won"}, by_user_id=alice.id, today=today)
    assert info.value.field == field
    got = get_contact(session, contact.id)
    assert (got.current_stage, got.status) == ("prospect", "active")
