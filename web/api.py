"""The Mini App's JSON API under ``/api/``: the original CRM's endpoints as resources.

Every request carries Telegram's signed launch data (``web.auth``); each handler reads the
request, calls services in one transaction in a worker thread (``web.context.call``: the admin
check comes first in it), and renders with ``web.render``. No SQL here: everything goes
through crm_core.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.orm import Session

from bot.runtime import Crm
from crm_core.errors import ValidationError
from crm_core.services import contacts as svc
from crm_core.services import duplicates, listing, search, trash
from crm_core.services.board import board
from crm_core.services.cards import get_card
from crm_core.services.dashboard import dashboard
from crm_core.services.files import list_files
from crm_core.services.followups import clear_followup, due_followups, set_followup
from crm_core.services.notes import add_note, delete_note, list_notes
from crm_core.services.users import display_names
from crm_core.stages import ContactType
from web import files, render
from web.auth import Limits, RateLimiter, authenticate
from web.context import (
    CRM,
    ID,
    INIT,
    LIMITER,
    LIMITS,
    MAX_ID,
    Actor,
    body,
    call,
    choice,
    contact_filter,
    ident,
)
from web.errors import api_errors

#: Notes shown on a contact (newest first); ``note_count`` says how many there are.
NOTES_SHOWN = 100
PAGE_SIZE = 25


def setup(app: web.Application, services: Crm, limits: Limits) -> None:
    api = web.Application(middlewares=[api_errors, _signed])
    api[CRM] = services
    api[LIMITS] = limits
    api[LIMITER] = RateLimiter(limits.burst, limits.per_second)
    routes = [
        ("GET", "/me", me),
        ("GET", "/dashboard", get_dashboard),
        ("GET", "/board", get_board),
        ("GET", "/contacts", list_contacts),
        ("POST", "/contacts", create_contact),
        ("GET", "/contacts/{id}", get_contact),
        ("PATCH", "/contacts/{id}", update_contact),
        ("DELETE", "/contacts/{id}", delete_contact),
        ("POST", "/contacts/{id}/restore", restore_contact),
        ("POST", "/contacts/{id}/notes", post_note),
        ("DELETE", "/contacts/{id}/notes/{note_id}", remove_note),
        ("POST", "/contacts/{id}/stage", post_stage),
        ("POST", "/contacts/{id}/followup", post_followup),
        ("GET", "/contacts/{id}/files", files.list_),
        ("POST", "/contacts/{id}/files", files.upload),
        ("GET", "/contacts/{id}/files/{file_id}", files.download),
        ("DELETE", "/contacts/{id}/files/{file_id}", files.remove),
    ]
    for method, path, handler in routes:
        api.router.add_route(method, path, handler)
    app.add_subapp("/api/", api)


@web.middleware
async def _signed(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Nothing is read before the signature is checked."""
    request[INIT] = authenticate(request, request.app[CRM], request.app[LIMITER])
    return await handler(request)


# --- handlers --------------------------------------------------------------------------------


async def me(request: web.Request) -> web.Response:
    """The admin, their local today, and the catalogues the page offers."""
    return web.json_response(await call(request, lambda s, a: render.catalogue(a.user, a.today)))


async def get_dashboard(request: web.Request) -> web.Response:
    view = choice(request, "view", listing.View, listing.View.MINE)
    figures = await call(request, lambda s, a: dashboard(s, a.user_id, view, a.today))
    return web.json_response(render.dashboard(figures))


async def get_board(request: web.Request) -> web.Response:
    ctype = choice(request, "type", ContactType, ContactType.PREVENTION_PROSPECT)
    view = choice(request, "view", listing.View, listing.View.TEAM)

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        return render.board(board(session, actor.user_id, ctype, view=view), actor.today)

    return web.json_response(await call(request, work))


async def list_contacts(request: web.Request) -> web.Response:
    """A page of the list (``after``: the last id of the page before, as the bot's Next), or
    with ``q`` the best search matches within the filters, or with ``due=today|overdue`` the
    admin's own follow-ups due (the bot's /today)."""
    flt = contact_filter(request)
    due = request.query.get("due", "")
    if due not in ("", "today", "overdue"):
        raise ValidationError("due", "due must be today or overdue.")
    query = request.query.get("q", "").strip()
    after_raw = request.query.get("after", "")
    if after_raw and (not ID.fullmatch(after_raw) or int(after_raw) > MAX_ID):
        raise ValidationError("after", "after must be a contact id.")
    after = int(after_raw) if after_raw else None

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        if due:
            items = [
                item.contact
                for item in due_followups(session, actor.user_id, actor.today)
                if (item.days_overdue == 0) == (due == "today")
            ]
            more = False
        elif query:
            found = search.search_contacts(
                session, query, limit=PAGE_SIZE, within=(flt, actor.user_id)
            )
            items, more = found, False
        else:
            page = listing.list_contacts(
                session, actor.user_id, flt, page_size=PAGE_SIZE, after=after
            )
            items, more = page.items, page.has_next
        return {
            "items": [render.contact_summary(c, actor.today) for c in items],
            "next": items[-1].id if more and items else None,
        }

    return web.json_response(await call(request, work))


def _detail(session: Session, actor: Actor, contact_id: int) -> dict[str, Any]:
    card = get_card(session, contact_id, notes=0)
    notes, _ = list_notes(session, contact_id, limit=NOTES_SHOWN)
    return render.contact_detail(
        card,
        notes,
        list_files(session, contact_id),
        svc.stage_history(session, contact_id),
        display_names(session),
        actor.today,
    )


async def get_contact(request: web.Request) -> web.Response:
    contact_id = ident(request)
    return web.json_response(await call(request, lambda s, a: _detail(s, a, contact_id)))


async def create_contact(request: web.Request) -> web.Response:
    """Create a contact, unless it looks like one there is (409 with the look-alikes) and the
    page hasn't said ``force`` ("Continue anyway")."""
    data = await body(request)
    force = data.pop("force", False) is True

    def work(session: Session, actor: Actor) -> tuple[int, dict[str, Any]]:
        if not force:
            found = duplicates.find_duplicates(
                session,
                name=_text(data.get("name")),
                email=_text(data.get("email")),
                phone=_text(data.get("phone")),
                company=_text(data.get("company")),
            )
            if found:
                return 409, {
                    "error": "This looks like a contact you already have.",
                    "duplicates": render.duplicates(found, actor.today),
                }
        contact = svc.create_contact(
            session, actor.user_id, data, today=actor.today, now=actor.now
        )
        return 201, _detail(session, actor, contact.id)

    status, answer = await call(request, work)
    return web.json_response(answer, status=status)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


async def update_contact(request: web.Request) -> web.Response:
    contact_id = ident(request)
    changes = await body(request)

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        svc.update_contact(
            session,
            contact_id,
            changes,
            by_user_id=actor.user_id,
            today=actor.today,
            now=actor.now,
        )
        return _detail(session, actor, contact_id)

    return web.json_response(await call(request, work))


async def delete_contact(request: web.Request) -> web.Response:
    """To the trash for 30 days; ``restore`` is the Undo."""
    contact_id = ident(request)
    await call(request, lambda s, a: trash.delete_contact(s, contact_id, now=a.now))
    return web.json_response({"deleted": contact_id, "trash_days": trash.TRASH_DAYS})


async def restore_contact(request: web.Request) -> web.Response:
    contact_id = ident(request)

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        trash.restore_contact(session, contact_id)
        return _detail(session, actor, contact_id)

    return web.json_response(await call(request, work))


async def post_note(request: web.Request) -> web.Response:
    contact_id = ident(request)
    data = await body(request)

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        note = add_note(
            session,
            contact_id,
            actor.user_id,
            str(data.get("type") or "internal"),
            str(data.get("text") or ""),
            now=actor.now,
        )
        return render.note(note)

    return web.json_response(await call(request, work), status=201)


async def remove_note(request: web.Request) -> web.Response:
    contact_id, note_id = ident(request), ident(request, "note_id")
    await call(request, lambda s, a: delete_note(s, note_id, contact_id=contact_id))
    return web.json_response({"deleted": note_id})


async def post_stage(request: web.Request) -> web.Response:
    """Move a contact to a stage of its pipeline, recorded in its history as from the bot."""
    contact_id = ident(request)
    stage = str((await body(request)).get("stage") or "")

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        contact = svc.change_stage(
            session, contact_id, stage, by_user_id=actor.user_id, now=actor.now
        )
        return render.contact_summary(contact, actor.today)

    return web.json_response(await call(request, work))


async def post_followup(request: web.Request) -> web.Response:
    """Set the next follow-up as the bot's form takes it (a date, "tomorrow", "friday 9am"), or
    clear it with ``null``."""
    contact_id = ident(request)
    when = (await body(request)).get("date")
    if when is not None and not isinstance(when, str):
        raise ValidationError("next_followup_date", "Send the date as text, or null to clear.")

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        if when is None or not when.strip():
            clear_followup(session, contact_id, now=actor.now)
        else:
            set_followup(session, contact_id, when, today=actor.today, now=actor.now)
        return _detail(session, actor, contact_id)

    return web.json_response(await call(request, work))
