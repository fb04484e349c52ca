"""sft-pki/1 INITIATOR: every ClientHello it sends, retries included (docs/SPEC.md §4.1).

test_pki_hardening.py reads the initiator's FIRST ClientHello and answers it with a
handshake_failure alert. A client may try again after a failed handshake (a responder
over its limits closes before TLS, LIM-9; some clients also retry after an alert), and
what it offers then is judged the same: a "compatibility" retry that falls back to the
TLS library's defaults (ffdhe*, x448, secp521r1, CCM suites) or to TLS 1.2 offers what
PKI-TLS-9 and PKI-TLS-1 forbid an initiator ever to offer.

The suite listens on loopback, reads each ClientHello whole, answers it with a TLS alert
(handshake_failure, insufficient_security, protocol_version) or a bare close (as a
responder over its limits does), and judges every ClientHello that arrives while the
client runs: cipher suites, groups and key shares within PKI-TLS-9's lists (GREASE
aside), and TLS 1.3 alone in supported_versions.

Fixtures (conformance/plugin.py): `target` (pki), `tmp_path`.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import client_template, responder_alias
from conformance.eke_hostile import skip_slow_variant
from conformance.pki_channel import ClientRun, run_client_command
from conformance.target import Target
from conformance.test_pki_hardening import (
    ALLOWED_GROUP_CODES,
    ALLOWED_SUITE_CODES,
    ClientHelloOffer,
    _grease,
    _parse_client_hello,
)
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_TLS13 = 0x0304
_READ_TIMEOUT = 3.0  # for one ClientHello to arrive whole
_RUN_TIMEOUT = 20.0  # the client's whole run (a retrying client is killed then)
_MAX_HELLOS = 16

# TLS alert records (content type 21, legacy version 3.3, fatal): handshake_failure (40),
# insufficient_security (71), protocol_version (70); None: a bare close before TLS.
_ANSWERS: dict[str, bytes | None] = {
    "handshake_failure": bytes([21, 3, 3, 0, 2, 2, 40]),
    "insufficient_security": bytes([21, 3, 3, 0, 2, 2, 71]),
    "protocol_version": bytes([21, 3, 3, 0, 2, 2, 70]),
    "close_before_tls": None,
}


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


def _serve(
    listener: socket.socket, answer: bytes | None, hellos: list[bytes], stop: threading.Event
) -> None:
    while not stop.is_set() and len(hellos) < _MAX_HELLOS:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with conn:
            hellos.append(_read_hello(conn))
            if answer is not None:
                try:
                    conn.sendall(answer)
                except OSError:
                    pass


def _problems(offer: ClientHelloOffer) -> list[tuple[str, str]]:
    """(requirement, what) for each thing the offer must not hold."""
    found: list[tuple[str, str]] = []
    bad = [c for c in offer.suites if c >> 8 == 0x13 and c not in ALLOWED_SUITE_CODES]
    if bad:
        found.append(("PKI-TLS-9", f"TLS 1.3 suites {[f'{c:#06x}' for c in bad]}"))
    for what, codes in (("groups", offer.groups), ("key shares", offer.key_shares)):
        bad = [c for c in codes if c not in ALLOWED_GROUP_CODES and not _grease(c)]
        if bad:
            found.append(("PKI-TLS-9", f"{what} {[f'{c:#06x}' for c in bad]}"))
    versions = [v for v in (offer.versions or []) if not _grease(v)]
    if offer.versions is None or versions != [_TLS13]:
        shown = (
            "none (TLS 1.2 at most)" if offer.versions is None else [f"{v:#06x}" for v in versions]
        )
        found.append(("PKI-TLS-1", f"supported_versions {shown}"))
    return found


def run_against_hello_listener(
    target: Target,
    tmp_path: Path,
    serve: Callable[[socket.socket, list[bytes], threading.Event], None],
    wait: float,
) -> tuple[ClientRun, list[bytes]]:
    """The initiator's get against a suite listener whose thread runs `serve` (it records
    each ClientHello in the list and answers as it likes, until the event is set): the
    client's run and the ClientHellos it sent. SKIPs when it sent none."""
    template = client_template(target, tmp_path)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    hellos: list[bytes] = []
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(listener, hellos, stop), daemon=True)
    thread.start()
    try:
        run = run_client_command(
            template,
            host="127.0.0.1",
            port=listener.getsockname()[1],
            name="file.bin",
            out=tmp_path / "received.bin",
            alias=responder_alias(target),
            timeout=_RUN_TIMEOUT,
        )
    finally:
        stop.set()
        thread.join(wait + 1.0)
        listener.close()
    seen = [h for h in hellos if h]
    if not seen:
        pytest.skip("the initiator sent no ClientHello to the suite's listener")
    return run, seen


@pytest.mark.req("PKI-TLS-9", "PKI-TLS-1")
@pytest.mark.parametrize(
    "answer",
    [
        "handshake_failure",
        pytest.param("insufficient_security", marks=pytest.mark.slow),
        "protocol_version",
        pytest.param("close_before_tls", marks=pytest.mark.slow),
    ],
)
def test_initiator_offers_only_allowed_parameters_in_every_client_hello(
    target: Target, tmp_path: Path, answer: str, request: pytest.FixtureRequest
) -> None:
    """Each ClientHello is answered with `answer`; every one the initiator sends while it
    runs (its retries too) offers only PKI-TLS-9's suites and groups and TLS 1.3 alone."""
    skip_slow_variant(request)
    run, seen = run_against_hello_listener(
        target,
        tmp_path,
        lambda listener, hellos, stop: _serve(listener, _ANSWERS[answer], hellos, stop),
        _READ_TIMEOUT,
    )
    problems: list[tuple[str, str]] = []
    for index, hello in enumerate(seen, 1):
        try:
            offer = _parse_client_hello(hello)
        except (ValueError, IndexError) as exc:
            problems.append(
                ("PKI-TLS-9", f"#{index}: not a TLS ClientHello ({exc}): {hello[:24].hex()}")
            )
            continue
        problems += [(req, f"ClientHello #{index}: {what}") for req, what in _problems(offer)]
    if problems:
        failure = ConformanceFailure.evidence(
            f"PKI-TLS-9/PKI-TLS-1: the initiator's ClientHellos, each answered {answer}",
            "every ClientHello (retries included) offers only TLS 1.3 and PKI-TLS-9's "
            "suites, groups and key shares",
            "; ".join(what for _, what in problems),
            note=f"{len(seen)} ClientHello(s) received; {run.describe()}",
        )
        failure.violates = tuple(sorted({req for req, _ in problems}))
        raise failure
