"""Demo data for the sandbox: about 40 realistic UK contacts, made through the services.

``crm-bot --sandbox --demo`` (or the sandbox page's "Load demo data") fills an empty database
with contacts of the three kinds at every stage of their pipelines, each with its stage
history, notes, a follow-up (overdue, today or later) and, for some, a potential value and a
file, so that lists, the dashboard, /today and the morning digest show something real. Every
row is made by the same services the bot uses (``create_contact``, ``change_stage``,
``add_note``, ``attach_file``), so the demo can't hold anything the bot couldn't.

The word lists are shared with ``bench/seed.py``, which bulk-inserts 100,000 contacts from them.
"""

from __future__ import annotations

import io
import random
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.config import Settings
from crm_core.models import User
from crm_core.services.contacts import change_stage, create_contact
from crm_core.services.files import attach_file
from crm_core.services.notes import add_note
from crm_core.services.users import sync_admins
from crm_core.stages import PIPELINES, ContactType, FileCategory, NoteType, Status, Urgency
from crm_core.storage import FileStore


def _listed(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


FIRST_NAMES = _listed(
    "Oliver, George, Harry, Jack, Jacob, Noah, Charlie, Muhammad, Thomas, Oscar, William, James,"
    "Leo, Alfie, Henry, Joshua, Freddie, Archie, Ethan, Isaac, Alexander, Joseph, Edward, Samuel,"
    "Max, Daniel, Arthur, Lucas, Mohammed, Logan, Olivia, Amelia, Isla, Ava, Emily, Isabella, Mia,"
    "Poppy, Ella, Lily, Jessica, Sophie, Grace, Evie, Chloe, Ruby, Sophia, Charlotte, Freya,"
    "Daisy,"
    "Priya, Aisha, Fatima, Zoë, Seán, Siobhan, Niamh, Łukasz, Agnieszka, Chen, Wei, Amir, Yusuf,"
    "Kwame, Adaeze, Ravi, Anjali, Gareth, Rhys, Bethan, Callum, Eilidh, Fraser"
)
SURNAMES = _listed(
    "Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas, Johnson, Roberts,"
    "Robinson, Thompson, Wright, Walker, White, Edwards, Hughes, Green, Hall, Lewis, Harris,"
    "Clarke, Patel, Jackson, Wood, Turner, Martin, Cooper, Hill, Ward, Morris, Moore, Clark, Lee,"
    "King, Baker, Harrison, Morgan, Allen, James, Scott, Phillips, Watson, Davis, Parker, Price,"
    "Bennett, Young, Griffiths, Mitchell, Kelly, Cook, Carter, Richardson, Bailey, Collins, Bell,"
    "Shaw, Murphy, Miller, Cox, Richards, Khan, Marshall, Anderson, Simpson, Ellis, Adams, Singh,"
    "Begum, Wilkinson, Foster, Chapman, Powell, Webb, Rogers, Gray, Mason, Ali, Hussain, Campbell,"
    "Matthews, Owen, Palmer, Holmes, Mills, Barnes, Knight, Lloyd, Butler, Russell, Barker,"
    "Fisher,"
    "Stevens, Jenkins, O'Brien, Murray, Dixon, Harvey, Ahmed, Nowak, Kowalski, MacDonald, O'Neill,"
    "Ó Súilleabháin, Okafor, Mensah, Chowdhury, Ng, Zhang, Fernández, Rossi, Gallagher"
)
TOWNS = _listed(
    "Leeds, Bradford, Manchester, Salford, Liverpool, Birmingham, Coventry, Sheffield, Nottingham,"
    "Leicester, Bristol, Cardiff, Newport, Swansea, London, Croydon, Reading, Luton,"
    "Milton Keynes,"
    "Northampton, Derby, Stoke, Wolverhampton, Hull, York, Newcastle, Sunderland, Middlesbrough,"
    "Preston, Bolton, Wigan, Oldham, Blackburn, Glasgow, Edinburgh, Aberdeen, Dundee, Belfast,"
    "Southampton, Portsmouth, Brighton, Plymouth, Exeter, Norwich, Ipswich, Cambridge, Oxford"
)
STREETS = _listed(
    "High Street, Station Road, Church Lane, Victoria Road, Green Lane, Manor Road, Park Avenue,"
    "Mill Lane, King Street, Queen's Road, The Crescent, Albert Road, New Road, School Lane"
)
COMPANY_SUFFIXES = (
    "Lettings",
    "Estates",
    "Property Management",
    "Homes",
    "Properties Ltd",
    "Residential",
    "Block Management",
    "Housing Association",
    "Solicitors",
    "Legal LLP",
    "Holdings Ltd",
)
FREE_MAIL = ("gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "btinternet.com")
HOW_FOUND = ("Google", "Referral", "Facebook", "Repeat client", "Trade show", "Website form")
SERVICES = (
    "Eviction",
    "Squatter removal",
    "CCTV",
    "Alarm monitoring",
    "Void property guarding",
    "Lock change",
    "Site security",
)
NOTE_TEXTS = (
    "Called, left a voicemail.",
    "Spoke to them: wants a quote by Friday.",
    "Sent the client pack by email.",
    "Tenant still in the property; court date set for next month.",
    "Site visit booked, bring the CCTV brochure.",
    "Asked for references from other letting agents.",
    "Chased the signed instruction form.",
    "Paid the deposit, job confirmed.",
    "Thinking it over, call back after the weekend.",
    "Referred two landlords this quarter.",
)
#: How many demo contacts of each kind; every stage of each pipeline gets at least one.
DEMO_COUNTS = {
    ContactType.EVICTION_CLIENT: 17,
    ContactType.PREVENTION_PROSPECT: 16,
    ContactType.REFERRAL_PARTNER: 7,
}
PARTNER_SUFFIXES = ("Lettings", "Estates", "Property Management", "Solicitors", "Legal LLP")
NOTES_BY_TYPE = {
    ContactType.EVICTION_CLIENT: (
        (NoteType.CALL, "Landlord called: tenant six weeks in arrears, notice served."),
        (NoteType.EMAIL, "Sent the client pack and the instruction form."),
        (NoteType.INTERNAL, "High Court writ granted; waiting for the enforcement date."),
        (NoteType.QUOTE_SENT, "Quoted £1,150 + VAT for the attendance and lock change."),
        (NoteType.MEETING, "Met the agent at the property: two occupants, no dogs."),
    ),
    ContactType.PREVENTION_PROSPECT: (
        (NoteType.CALL, "Asked about CCTV for a block of six flats."),
        (NoteType.MEETING, "Site survey done: four cameras and a gate sensor."),
        (NoteType.QUOTE_SENT, "Sent the CCTV and monitoring quote."),
        (NoteType.EMAIL, "Chased the quote; they are comparing two suppliers."),
        (NoteType.INTERNAL, "Decision after the residents' meeting next month."),
    ),
    ContactType.REFERRAL_PARTNER: (
        (NoteType.MEETING, "Coffee with the lettings manager; happy to refer evictions."),
        (NoteType.CALL, "Referred a landlord with squatters in a void property."),
        (NoteType.INTERNAL, "Send them the quarterly referral summary."),
    ),
}


@dataclass(frozen=True, slots=True)
class DemoSummary:
    contacts: int
    notes: int
    stage_changes: int
    files: int

    def __str__(self) -> str:
        return (
            f"{self.contacts} contacts, {self.notes} notes, {self.stage_changes} stage changes, "
            f"{self.files} files"
        )


def ascii_fold(text: str) -> str:
    """``Zoë O'Brien`` -> ``Zoe OBrien``: names made fit for an email address."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace("'", "")


def load_demo(
    factory: sessionmaker[Session],
    store: FileStore,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> DemoSummary:
    """Fill the database with the demo contacts, owned in turn by the configured admins."""
    now = now or datetime.now(UTC)
    today = now.astimezone(settings.tz).date()
    rng = random.Random(2026)
    counts = {"notes": 0, "stages": 0, "files": 0}
    with factory.begin() as session:
        sync_admins(session, settings.admins)
        owners = list(session.scalars(select(User.id).where(User.active).order_by(User.id)))
        people = _people(rng)
        partners: list[int] = []
        for index, (ctype, stage_key, first, last) in enumerate(people):
            owner = owners[index % len(owners)]
            data = _fields(rng, index, ctype, stage_key, first, last, today)
            if ctype is not ContactType.REFERRAL_PARTNER and partners and index % 4 == 0:
                data["referred_by_id"] = rng.choice(partners)
            created = now - timedelta(days=rng.randint(20, 150), hours=rng.randint(0, 8))
            contact = create_contact(session, owner, data, today=today, now=created)
            if ctype is ContactType.REFERRAL_PARTNER:
                partners.append(contact.id)
            path = _path(ctype, stage_key)
            for step, key in enumerate(path[1:], start=1):
                when = created + (now - created) * step / len(path)
                change_stage(session, contact.id, key, by_user_id=owner, now=when)
            counts["stages"] += len(path)
            for n, (kind, text) in enumerate(rng.sample(NOTES_BY_TYPE[ctype], 1 + index % 3)):
                when = created + (now - created) * (n + 1) / 4
                add_note(session, contact.id, owner, kind, text, now=when)
                counts["notes"] += 1
            if index % 8 == 0:
                _attach(session, store, contact.id, ctype, owner, now)
                counts["files"] += 1
    return DemoSummary(len(people), counts["notes"], counts["stages"], counts["files"])


def _people(rng: random.Random) -> list[tuple[ContactType, str, str, str]]:
    """(type, stage, first name, surname) for every demo contact: the stages of each pipeline
    in turn, so that each appears at least once; names drawn without repeats."""
    total = sum(DEMO_COUNTS.values())
    firsts, lasts = rng.sample(FIRST_NAMES, total), rng.sample(SURNAMES, total)
    people: list[tuple[ContactType, str, str, str]] = []
    for ctype, count in DEMO_COUNTS.items():
        stages = PIPELINES[ctype]
        for n in range(count):
            i = len(people)
            people.append((ctype, stages[n % len(stages)].key, firsts[i], lasts[i]))
    rng.shuffle(people)
    return people


def _fields(
    rng: random.Random,
    index: int,
    ctype: ContactType,
    stage_key: str,
    first: str,
    last: str,
    today: date,
) -> dict[str, Any]:
    town = rng.choice(TOWNS)
    company = None
    if ctype is ContactType.REFERRAL_PARTNER:
        company = f"{town} {rng.choice(PARTNER_SUFFIXES)}"
    elif index % 2:
        company = f"{rng.choice(SURNAMES)} {rng.choice(COMPANY_SUFFIXES)}"
    domain = (
        ascii_fold(company).lower().split()[0] + ".co.uk" if company else rng.choice(FREE_MAIL)
    )
    data: dict[str, Any] = {
        "name": f"{first} {last}",
        "contact_type": ctype.value,
        "email": f"{ascii_fold(first)}.{ascii_fold(last).replace(' ', '')}@{domain}".lower(),
        "phone": f"07700 900{100 + index * 7:03d}",
        "company": company,
        "how_found_us": rng.choice(HOW_FOUND),
        "urgency_level": rng.choice(list(Urgency)).value,
    }
    if ctype is ContactType.EVICTION_CLIENT:
        data["service_type"] = rng.choice(("Eviction", "Squatter removal", "Lock change"))
        data["urgency_level"] = rng.choice((Urgency.HIGH, Urgency.URGENT)).value
    elif ctype is ContactType.PREVENTION_PROSPECT:
        data["service_type"] = rng.choice(("CCTV", "Alarm monitoring", "Void property guarding"))
    if ctype is not ContactType.REFERRAL_PARTNER:
        data["property_address"] = f"{rng.randint(1, 240)} {rng.choice(STREETS)}, {town}"
        data["potential_value"] = Decimal(rng.randrange(450, 12_000, 50))
    stage = next(s for s in PIPELINES[ctype] if s.key == stage_key)
    if stage.status in (Status.ACTIVE, Status.DORMANT):
        # In turn: overdue, due today, later, later, none (each admin gets every kind).
        offset = (rng.randint(-9, -1), 0, rng.randint(1, 6), rng.randint(7, 30), None)[index % 5]
        if offset is not None:
            data["next_followup_date"] = today + timedelta(days=offset)
    return data


def _path(ctype: ContactType, stage_key: str) -> list[str]:
    """The stages a contact went through to reach ``stage_key``: the pipeline up to it,
    without the other end stages (a lost prospect was never won)."""
    stages = PIPELINES[ctype]
    target = next(i for i, s in enumerate(stages) if s.key == stage_key)
    return [
        s.key
        for i, s in enumerate(stages[: target + 1])
        if i == target or s.status is Status.ACTIVE
    ]


def _attach(
    session: Session,
    store: FileStore,
    contact_id: int,
    ctype: ContactType,
    owner: int,
    now: datetime,
) -> None:
    if ctype is ContactType.PREVENTION_PROSPECT:
        name, mime, data, kind = "site-survey.png", "image/png", picture_png(), FileCategory.PHOTO
    else:
        name, mime, kind = "quote.txt", "text/plain", FileCategory.QUOTE
        data = (
            "V3 Services: quotation\n\nAttendance of two enforcement officers, lock change and "
            f"report. Total £1,150 + VAT.\nValid for 30 days from {now:%d %B %Y}.\n"
        ).encode()
    attach_file(
        session,
        store,
        contact_id,
        io.BytesIO(data),
        file_name=name,
        mime_type=mime,
        category=kind,
        uploaded_by=owner,
        now=now,
    )


def picture_png(width: int = 96, height: int = 64) -> bytes:
    """A small sky-over-grass picture, made here so that the demo needs no image files."""

    def pixel(y: int) -> bytes:
        return bytes((110, 170, 230)) if y < height * 2 // 3 else bytes((90, 150, 80))

    raw = b"".join(b"\0" + pixel(y) * width for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
