"""sft-pki/1 ENROLMENT client: the TLS it speaks to the CA (docs/SPEC.md §4.1, §4.4).

The enrolment client is an initiator too (it opens the connection to the CA and makes
the requests), and PKI-TLS-8 and PKI-TLS-9 name every endpoint, "peer and CA, initiator
and responder". test_enroll_client.py judges what the client accepts from a hostile CA;
here, what its own TLS offers and leaves behind:

- its ClientHello to the CA offers only PKI-TLS-9's TLS 1.3 cipher suites and groups
  (key shares included): a client that builds its HTTPS context from the TLS library's
  defaults (`ssl.create_default_context`, curl, Go's http.Client) offers ffdhe*, x448,
  P-521 or CCM suites while its peer connections are pinned [PKI-TLS-9]. The suite's
  listener reads the ClientHello and answers `handshake_failure`: no password is sent;
- run with `SSLKEYLOGFILE` set, against a CA that completes the enrolment, it writes no
  TLS secrets: many TLS stacks open that file by default [PKI-TLS-8].

Fixtures (conformance/plugin.py): `target` (pki, lab mode: the target's `enroll_cmd`),
`tmp_path`.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    _RUN_TIMEOUT,
    ALIAS,
    CA_HOST,
    PASSWORD,
    _ca_certificate,
    _enroll_cmd,
    _honest,
    _run,
)
from conformance.test_pki_hardening import (
    ALLOWED_GROUP_CODES,
    ALLOWED_SUITE_CODES,
    _grease,
    _parse_client_hello,
)
from conformance.wire import ConformanceFailure
from sftkit.launch import LaunchError, python_env, run_command
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki")]

_READ_TIMEOUT = 5.0  # for one ClientHello to arrive whole
_HANDSHAKE_FAILURE = bytes([21, 3, 3, 0, 2, 2, 40])  # a fatal TLS alert record
_MAX_HELLOS = 16


def _read_hello(conn: socket.socket) -> bytes:
    data = b""
    conn.settimeout(_READ_TIMEOUT)
    try:
        while len(data) < 65536:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) >= 9 and len(data) >= 9 + int.from_bytes(data[6:9], "big"):
                break  # the whole handshake message is in
    except OSError:
        pass
    return data


def _serve(listener: socket.socket, hellos: list[bytes], stop: threading.Event) -> None:
    while not stop.is_set() and len(hellos) < _MAX_HELLOS:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with conn:
            hellos.append(_read_hello(conn))
            try:
                conn.sendall(_HANDSHAKE_FAILURE)
            except OSError:
                pass


@pytest.mark.req("PKI-TLS-9")
def test_enrolment_client_offers_only_allowed_tls_parameters(
    target: Target, tmp_path: Path
) -> None:
    template = _enroll_cmd(target)
    assert target.root is not None
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    hellos: list[bytes] = []
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(listener, hellos, stop), daemon=True)
    thread.start()
    pw = tmp_path / "enrol.password"
    pw.touch(mode=0o600)
    pw.write_bytes((PASSWORD + "\n").encode())
    try:
        values = {
            "ca_url": f"https://{CA_HOST}:{listener.getsockname()[1]}",
            "root": str(target.root),
            "alias": ALIAS,
            "password_file": str(pw),
            "out": str(tmp_path / "identity"),
        }
        launch = client_launch(template, values, success="exit")
        try:
            done = run_command(
                list(launch.argv),
                stdin=launch.stdin or b"",
                timeout=_RUN_TIMEOUT,
                env=python_env(),
                cwd=tmp_path,
            )
        except LaunchError as exc:
            inconclusive(f"the enrolment command did not end: {exc}")
            raise AssertionError("unreachable") from exc
    finally:
        stop.set()
        thread.join(_READ_TIMEOUT + 1.0)
        listener.close()
    seen = [h for h in hellos if h]
    if not seen:
        inconclusive(
            "the enrolment client sent no ClientHello to the suite's CA: "
            f"exit {done.returncode}, {(done.stdout + done.stderr)[-300:]!r}"
        )
    problems: list[str] = []
    for index, hello in enumerate(seen, 1):
        try:
            offer = _parse_client_hello(hello)
        except (ValueError, IndexError) as exc:
            problems.append(f"ClientHello {index}: not a TLS ClientHello ({exc})")
            continue
        bad = [c for c in offer.suites if c >> 8 == 0x13 and c not in ALLOWED_SUITE_CODES]
        if bad:
            problems.append(f"ClientHello {index}: TLS 1.3 suites {[f'{c:#06x}' for c in bad]}")
        for what, codes in (("groups", offer.groups), ("key shares", offer.key_shares)):
            bad = [c for c in codes if c not in ALLOWED_GROUP_CODES and not _grease(c)]
            if bad:
                problems.append(f"ClientHello {index}: {what} {[f'{c:#06x}' for c in bad]}")
    if problems:
        raise ConformanceFailure.evidence(
            "PKI-TLS-9: the enrolment client's ClientHello to the CA",
            "TLS 1.3 suites TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, "
            "TLS_CHACHA20_POLY1305_SHA256 only; groups and key shares x25519, secp256r1, "
            "secp384r1, X25519MLKEM768 only (GREASE aside)",
            "; ".join(problems),
            note=f"{len(seen)} ClientHello(s); enrolment exit {done.returncode}",
        )


@pytest.mark.req("PKI-TLS-8")
def test_enrolment_client_writes_no_key_log(target: Target, tmp_path: Path) -> None:
    lab = lab_pki(target)
    keylog = tmp_path / "keylog" / "secrets.txt"
    keylog.parent.mkdir()
    run = _run(
        target,
        tmp_path,
        _ca_certificate(lab),
        _honest(lab),
        lab=lab,
        env={"SSLKEYLOGFILE": str(keylog)},
    )
    if not run.ca.handshakes:
        inconclusive(f"the enrolment client completed no TLS handshake: {run.describe()}")
    written = sorted(p.name for p in keylog.parent.iterdir())
    if written:
        size = keylog.stat().st_size if keylog.exists() else 0
        raise ConformanceFailure.evidence(
            f"PKI-TLS-8: the enrolment client ran with SSLKEYLOGFILE={keylog} (alias {ALIAS!r})",
            "no TLS secrets written anywhere: the variable is not honoured",
            f"{written} written ({size} bytes in {keylog.name})",
            note=run.describe(),
        )
