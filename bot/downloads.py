"""Fetching a file a user sent from Telegram into a local file, streamed, off the event loop.

Why not ``(await bot.get_file(id)).download_to_drive(path)``: in python-telegram-bot 22 that reads
the whole body into memory (``BaseRequest.retrieve`` returns ``bytes``) and then writes it with a
blocking ``Path.write_bytes`` on the event loop - up to 20 MB at once, stalling every other
update while the disk catches up. Here ``getFile`` goes through PTB (so the base URLs, token and
error mapping stay PTB's), and the bytes are streamed by httpx in a worker thread, 256 KB at a
time, straight to disk.
"""

from __future__ import annotations

import asyncio
import shutil
import urllib.parse
from pathlib import Path

import httpx
from telegram import Bot
from telegram.error import BadRequest

CHUNK = 256 * 1024
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class FileTooBig(Exception):  # noqa: N818 - reads better where it is caught
    """Telegram refuses to hand the file to the bot (over the 20 MB getFile limit)."""


class DownloadError(Exception):
    """The file couldn't be fetched from Telegram (network, or an HTTP error). The message never
    holds the file URL: it contains the bot token."""


async def download(bot: Bot, file_id: str, dest: Path) -> int:
    """Fetch the file ``file_id`` into ``dest``; return its size in bytes."""
    try:
        tg_file = await bot.get_file(file_id)
    except BadRequest as err:
        if "too big" in err.message.lower():
            raise FileTooBig(err.message) from None
        raise
    if not tg_file.file_path:
        raise DownloadError("Telegram gave no file path")
    return await asyncio.to_thread(_fetch, tg_file.file_path, dest)


def _fetch(file_path: str, dest: Path) -> int:
    local = Path(file_path)
    if local.is_absolute() and local.is_file():
        # A Bot API server in --local mode hands out paths on this machine's disk.
        shutil.copyfile(local, dest)
        return dest.stat().st_size
    url = _encoded(file_path)
    size = 0
    try:
        with httpx.stream("GET", url, timeout=TIMEOUT) as response:
            if response.status_code != httpx.codes.OK:
                raise DownloadError(f"Telegram's file server answered {response.status_code}")
            with open(dest, "wb") as out:
                for chunk in response.iter_bytes(CHUNK):
                    out.write(chunk)
                    size += len(chunk)
    except httpx.HTTPError as err:
        raise DownloadError(type(err).__name__) from None
    return size


def _encoded(url: str) -> str:
    """The file URL with its path percent-encoded (as PTB's own download does)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=urllib.parse.quote(parts.path)))
