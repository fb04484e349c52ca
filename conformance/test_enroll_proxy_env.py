"""CA-ENR-1 at the ENROLMENT client: a proxy named in the environment never gets the
password outside TLS (docs/SPEC.md CA-ENR-1, CA-ENR-18).

CA-ENR-1: "enrolment passwords MUST never travel outside TLS". test_enroll_client.py
checks an http:// URL, a plain-HTTP CA on the https:// URL and redirects; an HTTP
client's other habit is the proxy: `https_proxy`, `HTTPS_PROXY` and `ALL_PROXY` are
honoured by curl, Python's urllib and requests, Go's net/http, and a hand-rolled client
that honours them too sometimes sends the request to the proxy as it would an http://
one — in absolute form, over plain TCP — instead of tunnelling TLS through `CONNECT`.
The proxy (and everyone on its network path) then reads the password.

The suite runs a plain TCP listener that records what it receives (for a few seconds a
connection, then closes without answering) and names it in every proxy variable of the
client's environment; the CA is test_enroll_client.py's, honest. Judged: the password
(in any encoding, or any 6 of its characters in a row: conformance/secret_needles.py)
is in nothing the listener received. A client that ignores the proxy, or tunnels
through it with CONNECT (and then fails, the listener answering nothing), PASSES.

Fixtures (conformance/plugin.py): `target` (pki, lab mode: the target's `enroll_cmd`),
`tmp_path`.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.secret_needles import found_in, password_needles
from conformance.target import Target
from conformance.test_enroll_client import (
    HostileCa,
    _ca_certificate,
    _enroll_cmd,
    _fail,
    _honest,
    _server_context,
    run_against,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_PER_CONNECTION = 3.0  # seconds the listener reads one connection
_MAX_BYTES = 1 << 17
_MAX_CONNECTIONS = 16


class _Recorder:
    """A plain TCP listener on 127.0.0.1 keeping every byte it is sent (bounded)."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="proxy-recorder", daemon=True)

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def __enter__(self) -> _Recorder:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=_PER_CONNECTION + 2)
        self.listener.close()

    def _loop(self) -> None:
        for _ in range(_MAX_CONNECTIONS):
            conn = None
            while not self._stop.is_set():
                try:
                    conn, _ = self.listener.accept()
                    break
                except TimeoutError:
                    continue
                except OSError:
                    return
            if conn is None:
                return
            self._read(conn)

    def _read(self, conn: socket.socket) -> None:
        data = b""
        deadline = time.monotonic() + _PER_CONNECTION
        with contextlib.suppress(OSError), conn:
            for _ in range(256):  # bounded in count and time
                left = deadline - time.monotonic()
                if left <= 0 or len(data) >= _MAX_BYTES or self._stop.is_set():
                    break
                conn.settimeout(min(left, 0.5))
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                data += chunk
        self.received.append(data)


@pytest.mark.req("CA-ENR-1")
def test_enrolment_client_never_hands_the_password_to_a_proxy_in_clear(
    target: Target, tmp_path: Path
) -> None:
    _enroll_cmd(target)
    lab = lab_pki(target)
    assert target.root is not None
    password = secrets.token_urlsafe(16)
    ca = HostileCa(
        _server_context(tmp_path, _ca_certificate(lab)),
        _honest(lab),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    with _Recorder() as proxy:
        url = f"http://127.0.0.1:{proxy.port}"
        env = {
            name: url
            for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
        }
        env["no_proxy"] = env["NO_PROXY"] = ""
        run = run_against(
            target, tmp_path, ca, password_file=(password + "\n").encode(), env=env
        )
    received = b"".join(proxy.received)
    found = found_in(received, password_needles(password))
    if found:
        first = received.split(b"\r\n", 1)[0][:120].decode("latin-1")
        _fail(
            "CA-ENR-1: an enrolment with https_proxy / HTTPS_PROXY / ALL_PROXY naming a "
            "plain TCP listener of the suite",
            "the password never reaches the proxy outside TLS (ignored, or tunnelled with "
            "CONNECT)",
            run,
            f"the proxy received the password in clear ({found}; first line {first!r})",
            req="CA-ENR-1",
        )
