"""A real aiosmtpd server on 127.0.0.1 for the sending tests, with a handler the test programs.

The handler can answer 451 the first time it sees some recipients, 550 always for others, drop
the connection after a message's data (before its reply) once for others, and wait a little per
message so that a test can kill the sender mid-run. It keeps every accepted message.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import subprocess
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (aiosmtpd's Controller cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"]).strip()  # a long id is folded onto its own line


class ProgrammableHandler:
    """aiosmtpd handler: programmable failures, a per-message delay, and a record of what came."""

    def __init__(self, *, tempfail_once: Iterable[str] = (), tempfail_always: Iterable[str] = (),
                 reject: Iterable[str] = (), drop_once: Iterable[str] = (), delay: float = 0.0) -> None:
        self.tempfail_once = set(tempfail_once)
        self.tempfail_always = set(tempfail_always)
        self.reject = set(reject)
        self.drop_once = set(drop_once)
        self.delay = delay
        self.received: list[Received] = []
        self.rcpt_replies: list[tuple[str, int]] = []
        self.dropped: list[str] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd API)
        with self._lock:
            if address in self.reject:
                self.rcpt_replies.append((address, 550))
                return "550 5.1.1 <%s>: mailbox unavailable" % address
            if address in self.tempfail_once or address in self.tempfail_always:
                self.tempfail_once.discard(address)
                self.rcpt_replies.append((address, 451))
                return "451 4.3.0 Temporary local problem, try again later"
            self.rcpt_replies.append((address, 250))
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        if self.delay:
            await asyncio.sleep(self.delay)
        recipient = envelope.rcpt_tos[0]
        with self._lock:
            if recipient in self.drop_once:
                self.drop_once.discard(recipient)
                self.dropped.append(recipient)
                server.transport.close()  # the client sent the whole message and never gets a reply
                return "421 4.4.2 connection dropped"
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content))
            number = len(self.received)
        return f"250 2.0.0 Ok: queued as Q{number:06d}"

    def received_by(self) -> Counter[str]:
        """How many messages each recipient received."""
        with self._lock:
            return Counter(r for item in self.received for r in item.rcpt_tos)


def password_checker(login: str, password: str):
    """An aiosmtpd authenticator accepting exactly one login and password."""

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            login.encode(), password.encode())
        return AuthResult(success=ok, handled=False)
    return authenticate


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by the openssl command (cert.pem, key.pem)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


@contextmanager
def smtp_server(handler: ProgrammableHandler | None = None, *, login: tuple[str, str] | None = None,
                tls: tuple[Path, Path] | None = None) -> Iterator[tuple[str, ProgrammableHandler]]:
    """Run aiosmtpd on 127.0.0.1 (free port, SMTPUTF8 on) in a thread; yields (smtp URL, handler).

    With ``login`` (user, password) the server offers AUTH and requires it. With ``tls`` (certificate,
    key) it speaks implicit TLS only, and the URL is ``smtps://``.
    """
    handler = handler or ProgrammableHandler()
    port = free_port()
    auth = {} if login is None else {"authenticator": password_checker(*login), "auth_require_tls": False,
                                     "auth_required": True}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        auth["ssl_context"] = context
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True, **auth)
    controller.start()
    try:
        yield f"{'smtps' if tls else 'smtp'}://127.0.0.1:{port}", handler
    finally:
        controller.stop()
