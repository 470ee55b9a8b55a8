"""A contact's files over the API: list, upload, download, delete, through the files service.

An upload is the raw body (the file's bytes) with its name and category in the query string:
the page sends a phone's file as it is, no multipart. It is spooled to a temporary file up to
the size limit, then stored by ``attach_file`` (which makes the name safe: nothing the sender
names can climb out of the contact's folder). A download is looked up by id, never by a path,
and is sent as an attachment of an opaque type: an uploaded page can't run on our origin.
"""

from __future__ import annotations

import asyncio
import tempfile
from typing import IO, Any, BinaryIO, cast
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.orm import Session

from crm_core.models import File
from crm_core.services.files import (
    attach_file,
    delete_file,
    fetch_file,
    get_file,
    list_files,
)
from web import render
from web.context import CRM, LIMITS, Actor, call, ident
from web.errors import TooLarge

#: Kept in memory up to this size, then on disk.
SPOOL_BYTES = 1024 * 1024
CHUNK = 64 * 1024


async def list_(request: web.Request) -> web.Response:
    contact_id = ident(request)
    rows = await call(request, lambda s, a: [render.file(f) for f in list_files(s, contact_id)])
    return web.json_response({"files": rows})


async def upload(request: web.Request) -> web.Response:
    contact_id = ident(request)
    limit = request.app[LIMITS].upload_bytes
    too_big = TooLarge(f"That file is over the {limit // (1024 * 1024) or 1} MB limit.")
    if (request.content_length or 0) > limit:
        raise too_big
    services = request.app[CRM]
    store = services.file_store()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        size = 0
        async for chunk in request.content.iter_chunked(CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_big
            await asyncio.to_thread(spool.write, chunk)
        spool.seek(0)

        def work(session: Session, actor: Actor) -> dict[str, Any]:
            result = attach_file(
                session,
                store,
                contact_id,
                cast(BinaryIO, spool),  # a file object, as the store wants
                file_name=request.query.get("name"),
                mime_type=request.content_type,
                category=request.query.get("category") or "document",
                uploaded_by=actor.user_id,
                caption=request.query.get("caption"),
                now=actor.now,
            )
            return render.file(result.file)

        answer = await call(request, work)
    return web.json_response(answer, status=201)


async def download(request: web.Request) -> web.StreamResponse:
    contact_id, file_id = ident(request), ident(request, "file_id")
    row: File = await call(request, lambda s, a: get_file(s, file_id, contact_id=contact_id))
    store = request.app[CRM].file_store()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        await asyncio.to_thread(fetch_file, store, row, cast(BinaryIO, spool))
        spool.seek(0)
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.file_name)}",
                "Content-Length": str(row.file_size),
                # Should a browser show it anyway, it runs nothing.
                "Content-Security-Policy": "sandbox; default-src 'none'",
            }
        )
        await response.prepare(request)
        await _send(response, spool)
    await response.write_eof()
    return response


async def _send(response: web.StreamResponse, source: IO[bytes]) -> None:
    while chunk := await asyncio.to_thread(source.read, CHUNK):
        await response.write(chunk)


async def remove(request: web.Request) -> web.Response:
    """The row goes (committed), then the object, as when deleted from the bot."""
    contact_id, file_id = ident(request), ident(request, "file_id")
    row = await call(request, lambda s, a: delete_file(s, file_id, contact_id=contact_id))
    await request.app[CRM].delete_objects([row.storage_key])  # failures are retried later
    return web.json_response({"deleted": file_id})
