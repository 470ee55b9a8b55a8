"""Connecting to an admin's IMAP server (IMAPClient), with every failure in plain words.

Everything here blocks: callers run it in a worker thread. Certificates are always verified
(against the system's CAs, plus ``IMAP_CA_FILE`` when set); unencrypted IMAP is refused unless the
operator allowed it. No password ever reaches an exception message or a log line.
"""

from __future__ import annotations

import contextlib
import functools
import imaplib
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from crm_core.errors import CRMError

# IMAPClient's debug lines are the raw protocol: envelopes and bodies of every message, the
# ones that match no contact too. Those must never reach a log, whatever the root level.
logging.getLogger("imapclient").setLevel(logging.WARNING)

DEFAULT_TIMEOUT = 30.0
#: Folder names tried for sent mail when no folder carries the \Sent special-use flag.
SENT_FALLBACKS = ("Sent", "Sent Items", "Sent Messages", "INBOX.Sent", "[Gmail]/Sent Mail")


class Security(StrEnum):
    TLS = "tls"  # TLS from the first byte (port 993)
    STARTTLS = "starttls"  # plain connection upgraded before login (port 143)
    PLAIN = "plain"  # no encryption: only with IMAP_ALLOW_PLAIN


class MailError(CRMError):
    """The mail server could not be used; ``str()`` says why in one sentence."""


class LoginRefused(MailError):  # noqa: N818
    """The server refused the username or password (or revoked the access)."""


class MailUnreachable(MailError):  # noqa: N818
    """Network trouble: host unknown, refused, timed out, connection lost. Worth retrying."""


class TLSProblem(MailError):  # noqa: N818
    """The server's certificate or TLS set-up was not accepted. Never bypassed."""


@dataclass(frozen=True)
class Server:
    """Where and how to log in (everything but the password)."""

    host: str
    port: int
    security: Security
    username: str
    ca_file: Path | None = None
    allow_plain: bool = False
    timeout: float = DEFAULT_TIMEOUT


@functools.lru_cache(maxsize=8)
def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """Made once per CA file: loading the system's CA store takes ~0.1 s, more than a whole
    no-op sync otherwise. A context is safe to share between threads and connections."""
    context = ssl.create_default_context()  # verifies the certificate and the host name
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


@contextlib.contextmanager
def plain_errors(server: Server) -> Iterator[None]:
    """Turn what sockets, TLS and IMAPClient raise into a ``MailError`` with a plain sentence."""
    where = f"{server.host}:{server.port}"
    try:
        yield
    except MailError:
        raise
    except LoginError as err:
        raise LoginRefused(f"The mail server refused the login: {_server_text(err)}") from None
    except socket.gaierror:
        raise MailUnreachable(
            f"The mail server {server.host} was not found: check the host name."
        ) from None
    except ssl.SSLCertVerificationError as err:
        raise TLSProblem(
            f"The TLS certificate of {server.host} was not accepted ({err.verify_message}). "
            "If the company uses its own certificate authority, the operator sets IMAP_CA_FILE."
        ) from None
    except ssl.SSLError as err:
        raise TLSProblem(
            f"The TLS connection to {where} failed ({err.reason or 'handshake error'}): "
            "check the port and the security setting."
        ) from None
    except TimeoutError:
        raise MailUnreachable(
            f"The mail server {where} did not answer within {server.timeout:g} seconds."
        ) from None
    except ConnectionRefusedError:
        raise MailUnreachable(
            f"The mail server {where} refused the connection: check the port."
        ) from None
    except (imaplib.IMAP4.abort, ConnectionError, EOFError):
        raise MailUnreachable(f"The connection to {where} was lost.") from None
    except OSError as err:
        raise MailUnreachable(
            f"The mail server {where} could not be reached ({err.strerror or err})."
        ) from None
    except (IMAPClientError, imaplib.IMAP4.error) as err:
        raise MailError(f"The mail server {where} answered with an error: {err}") from None


def _server_text(err: Exception) -> str:
    text = str(err)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text.strip() or "no reason given"


@contextlib.contextmanager
def connect(server: Server, password: str) -> Iterator[IMAPClient]:
    """A logged-in client; logs out (or drops the connection) when the block ends."""
    if server.security is Security.PLAIN and not server.allow_plain:
        raise MailError(
            "Unencrypted IMAP is turned off: choose TLS or STARTTLS "
            "(the operator can allow it with IMAP_ALLOW_PLAIN=1)."
        )
    with plain_errors(server):
        context = ssl_context(server.ca_file)
        imap = IMAPClient(
            server.host,
            server.port,
            ssl=server.security is Security.TLS,
            ssl_context=context if server.security is Security.TLS else None,
            timeout=server.timeout,
        )
        imap.normalise_times = False  # dates with their zone, not naive local times
    try:
        with plain_errors(server):
            if server.security is Security.STARTTLS:
                imap.starttls(context)
            imap.login(server.username, password)
        with plain_errors(server):
            yield imap
    finally:
        try:
            imap.logout()
        except Exception:  # already broken: just drop the socket
            with contextlib.suppress(Exception):
                imap.shutdown()


@dataclass(frozen=True)
class Folder:
    name: str
    sent: bool  # mail in it was sent by the mailbox's owner


def watched_folders(imap: IMAPClient, configured: str | None) -> list[Folder]:
    """INBOX and the sent-mail folder (by its \\Sent flag whatever its name or language, else a
    usual name), or the folders the mailbox was configured with."""
    listing = imap.list_folders()
    flagged = [name for flags, _sep, name in listing if b"\\Sent" in flags]
    if not flagged:
        names = {name for _flags, _sep, name in listing}
        flagged = [name for name in SENT_FALLBACKS if name in names][:1]
    if configured:
        wanted = [name.strip() for name in configured.split(",") if name.strip()]
    else:
        wanted = ["INBOX", *flagged[:1]]
    return [Folder(name, name in flagged) for name in wanted]


def check_mailbox(server: Server, password: str, configured: str | None = None) -> list[str]:
    """Log in and list the folders that would be watched: the connection test of /email."""
    with connect(server, password) as imap:
        return [folder.name for folder in watched_folders(imap, configured)]
