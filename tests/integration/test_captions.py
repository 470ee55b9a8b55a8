"""Which contact a caption names (crm_core.services.captions), on both databases."""

from __future__ import annotations

from datetime import date

from crm_core.services.captions import likely_then_recent, match_caption
from crm_core.services.contacts import create_contact, delete_contact


def make(session, owner_id: int, name: str, **fields: object) -> int:
    contact = create_contact(
        session,
        owner_id,
        {"name": name, "contact_type": "eviction_client", **fields},
        today=date(2026, 11, 23),
    )
    return contact.id


def test_a_caption_names_a_contact_only_by_a_whole_name_in_whole_words(session, alice):
    jane = make(session, alice.id, "Jane Smith", company="Oak Door Lettings")
    jo = make(session, alice.id, "Jo 12%_", phone="07700 900112")
    ann = make(session, alice.id, "Ann")
    session.flush()
    assert match_caption(session, "Jane Smith").contact.id == jane
    assert match_caption(session, "  JANE   smith — kitchen door\nmore").contact.id == jane
    assert match_caption(session, "jo 12%_ keys").contact.id == jo  # LIKE wildcards: literal
    # Describing the photo, not naming anyone: asked, with the likely one first.
    door = match_caption(session, "door")
    assert door.contact is None
    assert [c.id for c in door.likely] == [jane]
    assert match_caption(session, "Smith").contact is None  # part of a name
    assert match_caption(session, "Anne's keys").contact is None  # not a whole word
    assert match_caption(session, "flat 12").contact is None
    assert match_caption(session, "").likely == []
    # Two names: ask, both first.
    both = match_caption(session, "Ann and Jane Smith")
    assert both.contact is None
    assert {c.id for c in both.likely} == {ann, jane}


def test_a_name_inside_a_longer_name_named_too_is_not_named_by_itself(session, alice):
    make(session, alice.id, "Jane")
    smith = make(session, alice.id, "Jane Smith")
    session.flush()
    assert match_caption(session, "jane smith, back door").contact.id == smith
    twin = make(session, alice.id, "Jane Smith")
    session.flush()
    same = match_caption(session, "jane smith")
    assert same.contact is None
    assert {c.id for c in same.likely[:2]} == {smith, twin}


def test_deleted_contacts_are_never_named_nor_offered(session, alice):
    gone = make(session, alice.id, "Gone Gary")
    kept = make(session, alice.id, "Kept Kim")
    session.flush()
    delete_contact(session, gone)
    assert match_caption(session, "Gone Gary").contact is None
    assert [c.id for c in likely_then_recent(session, [gone, kept])][:1] == [kept]
    assert gone not in [c.id for c in likely_then_recent(session, [gone])]
