"""A real IMAP server for tests: Dovecot on 127.0.0.1, free ports, a throwaway configuration.

The server starts once per test session (``dovecot -F -c <our config>``: no system configuration
is read) with a self-signed certificate made here, static users from a passwd file, a Maildir per
user in a temporary folder and a ``Sent`` folder carrying the ``\\Sent`` special-use flag. Tests
place messages with IMAP APPEND (``Dovecot.append``), change a password by rewriting the passwd
file (Dovecot re-reads it), and stop and start the server on the same ports.

Without ``/usr/sbin/dovecot`` the IMAP cases skip with one line saying how to enable them; with
``CRM_REQUIRE_IMAP=1`` (CI) that skip is a failure.

Dovecot run as root refuses to open mail as root: mail and the internal processes then run as the
``dovecot`` user, so the folders it touches are made and owned for it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
REQUIRE_IMAP = os.environ.get("CRM_REQUIRE_IMAP") == "1"
HOW_TO_ENABLE = (
    "Dovecot is not installed: the IMAP tests need /usr/sbin/dovecot "
    "(`sudo apt-get install dovecot-imapd`, or `make system-deps`)"
)
DEFAULT_USERS = {"alice@v3.test": "alice-secret", "bob@v3.test": "bob-secret"}

CONFIG = """\
instance_name = crm-test-{tag}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
# Throwaway mail: no fsync per message (APPEND of thousands in the benchmark).
mail_fsync = never
auth_mechanisms = plain login
# Refuse a wrong password at once.
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
last_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No growing delay after repeated wrong passwords (Dovecot's documented switch).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_self_signed(cert_path: Path, key_path: Path, name: str = "localhost") -> None:
    """A certificate for ``name`` and 127.0.0.1, valid for a day, with its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@dataclass
class Dovecot:
    """A running Dovecot; ``host``/``tls_port``/``plain_port`` and ``ca_file`` for clients."""

    root: Path
    users: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_USERS))
    host: str = "127.0.0.1"
    tls_port: int = 0
    plain_port: int = 0
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def ca_file(self) -> Path:
        return self.root / "cert.pem"

    # -- lifecycle -------------------------------------------------------------------------

    def prepare(self) -> None:
        self.tls_port, self.plain_port = _free_port(), _free_port()
        if os.geteuid() == 0:
            account = pwd.getpwnam("dovecot")
            user, uid, gid = account.pw_name, account.pw_uid, account.pw_gid
            group = "dovecot"
        else:
            account = pwd.getpwuid(os.getuid())
            user, uid, gid = account.pw_name, account.pw_uid, account.pw_gid
            import grp

            group = grp.getgrgid(gid).gr_name
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(self.root / sub, uid, gid)
        make_self_signed(self.ca_file, self.root / "key.pem")
        self._write_users()
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                tag=uuid.uuid4().hex[:8],
                root=self.root,
                user=user,
                group=group,
                uid=uid,
                gid=gid,
                plain_port=self.plain_port,
                tls_port=self.tls_port,
            )
        )

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                log = self.log()
                raise RuntimeError(f"dovecot exited: {err}\n{log}")
            if self._accepts(self.tls_port) and self._accepts(self.plain_port):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not listen within 15 s\n{self.log()}")

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5)
        if self._proc.stderr:
            self._proc.stderr.close()
        self._proc = None
        # The listeners close with the master; wait until the port is really free to re-bind.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._accepts(self.tls_port):
            time.sleep(0.05)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _accepts(self, port: int) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((self.host, port), 0.2):
            return True
        return False

    def _write_users(self) -> None:
        lines = [f"{name}:{{PLAIN}}{password}::::::\n" for name, password in self.users.items()]
        path = self.root / "users"
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(lines))
        tmp.chmod(0o644)
        tmp.replace(path)  # Dovecot re-reads the file when its mtime changes

    # -- what tests do -----------------------------------------------------------------------

    def set_password(self, user: str, password: str) -> None:
        self.users[user] = password
        self._write_users()
        # Dovecot notices the new file within a second or so: wait until the new password works.
        if self._proc is None:
            return
        deadline = time.monotonic() + 10
        while True:
            try:
                with self.client(user):
                    return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def add_user(self, user: str, password: str) -> None:
        self.set_password(user, password)

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    @contextlib.contextmanager
    def client(self, user: str) -> Iterator[object]:
        """A logged-in IMAPClient for test set-up (never the code under test's client)."""
        from imapclient import IMAPClient

        imap = IMAPClient(self.host, self.tls_port, ssl_context=self.ssl_context(), timeout=10)
        try:
            imap.login(user, self.users[user])
            yield imap
        finally:
            try:
                imap.logout()
            except Exception:
                imap.shutdown()

    def append(
        self,
        user: str,
        message: bytes | str,
        folder: str = "INBOX",
        flags: tuple[bytes, ...] = (),
        arrived: dt.datetime | None = None,
    ) -> None:
        """APPEND a message (``arrived``: its INTERNALDATE, which SEARCH SINCE reads)."""
        data = message.encode() if isinstance(message, str) else message
        with self.client(user) as imap:
            imap.append(folder, data, flags=flags, msg_time=arrived)  # type: ignore[attr-defined]

    def reset(self) -> None:
        """Empty every user's mail (each test starts with empty folders)."""
        for user in list(self.users):
            with self.client(user) as imap:
                for folder in ("INBOX", "Sent"):
                    imap.select_folder(folder)  # type: ignore[attr-defined]
                    uids = imap.search("ALL")  # type: ignore[attr-defined]
                    if uids:
                        imap.delete_messages(uids)  # type: ignore[attr-defined]
                        imap.expunge()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    """The session's Dovecot (started on first use)."""
    if not os.path.exists(DOVECOT):
        if REQUIRE_IMAP:
            pytest.fail(f"CRM_REQUIRE_IMAP=1 but {HOW_TO_ENABLE}")
        pytest.skip(HOW_TO_ENABLE)
    pytest.importorskip("imapclient")
    root = Path(tempfile.mkdtemp(prefix="crm-dovecot-"))
    root.chmod(0o755)  # the dovecot user must reach its folders inside
    server = Dovecot(root)
    server.prepare()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Dovecot:
    """The session's Dovecot with its users' passwords as at the start and empty folders."""
    if dovecot_server._proc is None:
        dovecot_server.start()
    changed = any(dovecot_server.users.get(u) != p for u, p in DEFAULT_USERS.items())
    if changed:
        for user, password in DEFAULT_USERS.items():
            dovecot_server.set_password(user, password)
    dovecot_server.reset()
    return dovecot_server
