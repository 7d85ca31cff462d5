"""A real IMAP server over TLS for the bounce tests: Debian's Dovecot, started on 127.0.0.1 with its
own configuration in a temporary folder, one user and one Maildir."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .smtp_server import free_port, self_signed_certificate

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
{users}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
"""


@contextmanager
def imap_server(user: str, password: str) -> Iterator[tuple[int, Path, Path]]:
    """Run Dovecot (IMAP over TLS only) on a free port; yields (port, the user's Maildir, the
    certificate to trust). Skips the test when Dovecot is not installed (.ci/run installs it)."""
    if not os.path.exists(DOVECOT):
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does it)")
    root = Path(tempfile.mkdtemp(prefix="clausewise-imap-", dir="/tmp"))
    os.chmod(root, 0o755)  # Dovecot's unprivileged processes read their folders
    try:
        cert, key = self_signed_certificate(root)
        maildir = root / "home" / user / "Maildir"
        for sub in ("new", "cur", "tmp"):
            (maildir / sub).mkdir(parents=True)
        (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}::::::\n")
        if os.geteuid() == 0:  # mail processes may not run as root: the mailbox belongs to nobody
            uid = gid = 65534
            users = ""
            for path in [root / "home", *(root / "home").rglob("*")]:
                os.chown(path, uid, gid)
        else:
            uid, gid = os.getuid(), os.getgid()
            me = os.environ.get("USER") or str(uid)
            users = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
        port = free_port()
        config = root / "dovecot.conf"
        config.write_text(CONFIG.format(root=root, port=port, uid=uid, gid=gid, users=users))
        server = subprocess.Popen([DOVECOT, "-c", str(config), "-F"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            _wait_for(port, server, root)
            yield port, maildir, cert
        finally:
            server.terminate()
            server.wait(timeout=20)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, server: subprocess.Popen, root: Path) -> None:
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot stopped: {log[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not start")
