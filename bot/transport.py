"""The bot's HTTP client for the Bot API: python-telegram-bot's request interface over aiohttp.

PTB's default client (``HTTPXRequest``) is the biggest single cost of an update after the
database: httpx and httpcore are pure Python, and the bot makes one or two Bot API calls per
update and polls between them. aiohttp, which the web server already uses, parses HTTP in C and
costs a fraction of that per call (README, "The bot against a PTB echo bot"). PTB documents
``BaseRequest`` as the way to bring another library; this is that, with HTTPXRequest's
defaults, timeouts and errors (``TimedOut``, ``NetworkError``) so PTB behaves the same.
"""

from __future__ import annotations

import functools
import urllib.parse
import urllib.request
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

#: HTTPXRequest's defaults (seconds).
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session (a connection pool of ``connection_pool_size``).

    aiohttp has no write timeout of its own: a request's whole send is bounded by the connect
    and read timeouts, and an upload (a file) by ``media_write_timeout`` in total."""

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = READ_TIMEOUT,
        write_timeout: float | None = WRITE_TIMEOUT,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                # The environment's proxy is looked up once per host (``proxy_for``), not by
                # aiohttp's trust_env, which reads it and ~/.netrc again for every request.
                trust_env=False,
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(
        self, read: Any, write: Any, connect: Any, pool: Any, *, upload: bool
    ) -> aiohttp.ClientTimeout:
        """PTB passes ``DEFAULT_NONE`` for "use the client's own"; None means no limit."""
        default = BaseRequest.DEFAULT_NONE
        read = self._read_timeout if read is default else read
        connect = self._connect_timeout if connect is default else connect
        pool = self._pool_timeout if pool is default else pool
        if write is default:
            write = self._media_write_timeout if upload else self._write_timeout
        # Waiting for a free connection and connecting share aiohttp's "connect" budget.
        connect_total = None if connect is None or pool is None else connect + pool
        # An upload's whole exchange may take its write time on top of the read timeout.
        total = None if not upload or write is None or read is None else write + read
        return aiohttp.ClientTimeout(
            total=total, connect=connect_total, sock_connect=connect, sock_read=read
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        data: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime) in _file_parts(files):
                form.add_field(name, content, filename=filename, content_type=mime)
            data = form
        timeout = self._timeout(
            read_timeout, write_timeout, connect_timeout, pool_timeout, upload=bool(files)
        )
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, proxy=proxy_for(url)
            ) as res:
                return res.status, await res.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # As HTTPXRequest does: the library's class name, for errors with no message.
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


@functools.lru_cache(maxsize=16)
def _proxy_of(scheme: str, host: str) -> str | None:
    if urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies_environment().get(scheme)


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (HTTP(S)_PROXY, minus NO_PROXY), as httpx
    reads it when PTB's default client starts; None for a direct connection."""
    parts = urllib.parse.urlsplit(url)
    return _proxy_of(parts.scheme, parts.hostname or "")


def _file_parts(files: dict[str, Any]) -> list[tuple[str, tuple[str, Any, str | None]]]:
    """PTB's upload parts (``name -> (filename, content[, mime type])``), mime made explicit."""
    parts = []
    for name, part in files.items():
        filename, content, *rest = part
        parts.append((name, (filename, content, rest[0] if rest else None)))
    return parts
