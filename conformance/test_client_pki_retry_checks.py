"""sft-pki/1 INITIATOR: a retry after a close before TLS is a first attempt again
(docs/SPEC.md §4.1, §4.2, LIM-9).

A responder over its limits closes before the TLS handshake (LIM-4, LIM-8, LIM-9), and an
initiator may try again. Nothing carries over from the refused attempt: the retry offers
what every ClientHello must offer, and the certificate it meets is judged in full.
Implementations get this wrong by changing the shared TLS context when they retry (a
"compatibility" fallback to TLS 1.2, ALPN dropped, a fresh context without the PKI-TLS-9
pinning or without the CRL) or by a shorter retry path that reads the alias and skips the
other checks.

- every ClientHello, the first and the retry's, offers TLS 1.3 alone [PKI-TLS-1], ALPN
  `sft-pki/1` [PKI-TLS-2] and only PKI-TLS-9's suites, groups and key shares [PKI-TLS-9]
  (the first connection is closed after its ClientHello arrived, the second answered with
  a handshake_failure alert, after which a client stops);
- the retry meets a responder certificate for the right alias with one defect — CA:TRUE
  [PKI-CERT-6], listed by the CRL [PKI-CERT-7], no ExtendedKeyUsage [PKI-CERT-5],
  expired [PKI-CERT-3], issued by a foreign CA [PKI-CERT-4]; with -m slow also one with a
  KeyUsage of keyEncipherment alone [PKI-CERT-9] — and refuses it as `judge_refusal`
  says. A client that does not retry fails at once, which is conforming too.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    honest_get_script,
    judge_refusal,
    lab_pki,
    responder_alias,
    run_initiator_watched,
)
from conformance.pki_channel import ALPN
from conformance.target import Target
from conformance.test_client_pki_hello_retry import run_against_hello_listener
from conformance.test_pki_certs import _revoked_identities
from conformance.test_pki_hardening import (
    ALLOWED_GROUP_CODES,
    ALLOWED_SUITE_CODES,
    _grease,
    _parse_client_hello,
)
from conformance.wire import ConformanceFailure
from conformance.x509 import Certificate

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a retry is a first attempt\n"

_TLS13 = 0x0304
_EXT_ALPN = 16
_HELLO_WAIT = 3.0  # for one ClientHello to arrive whole
_RUN_TIMEOUT = 20.0
_HANDSHAKE_FAILURE = bytes([21, 3, 3, 0, 2, 2, 40])  # alert record: fatal handshake_failure


def _read_hello(conn: socket.socket) -> bytes:
    data = b""
    conn.settimeout(_HELLO_WAIT)
    try:
        while len(data) < 65536:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) >= 9 and len(data) >= 9 + int.from_bytes(data[6:9], "big"):
                break
    except OSError:
        pass
    return data


def _alpn_offer(records: bytes) -> list[bytes] | None:
    """The protocols of the ClientHello's ALPN extension; None without one."""
    handshake = b""
    pos = 0
    while pos + 5 <= len(records) and records[pos] == 22:
        length = int.from_bytes(records[pos + 3 : pos + 5], "big")
        handshake += records[pos + 5 : pos + 5 + length]
        pos += 5 + length
    body = handshake[4 : 4 + int.from_bytes(handshake[1:4], "big")]
    p = 2 + 32
    p += 1 + body[p]
    p += 2 + int.from_bytes(body[p : p + 2], "big")
    p += 1 + body[p]
    end = p + 2 + int.from_bytes(body[p : p + 2], "big")
    p += 2
    while p + 4 <= end:
        ext, n = int.from_bytes(body[p : p + 2], "big"), int.from_bytes(body[p + 2 : p + 4], "big")
        if ext == _EXT_ALPN:
            data = body[p + 6 : p + 4 + n]
            names = []
            q = 0
            while q < len(data):
                names.append(data[q + 1 : q + 1 + data[q]])
                q += 1 + data[q]
            return names
        p += 4 + n
    return None


def _problems(hello: bytes) -> list[tuple[str, str]]:
    offer = _parse_client_hello(hello)
    found: list[tuple[str, str]] = []
    versions = [v for v in (offer.versions or []) if not _grease(v)]
    if versions != [_TLS13]:
        found.append(("PKI-TLS-1", f"supported_versions {[f'{v:#06x}' for v in versions]}"))
    alpn = _alpn_offer(hello)
    if alpn is None or ALPN.encode() not in alpn:
        found.append(("PKI-TLS-2", f"ALPN offer {alpn!r}, without {ALPN}"))
    bad = [c for c in offer.suites if c >> 8 == 0x13 and c not in ALLOWED_SUITE_CODES]
    if bad:
        found.append(("PKI-TLS-9", f"TLS 1.3 suites {[f'{c:#06x}' for c in bad]}"))
    for what, codes in (("groups", offer.groups), ("key shares", offer.key_shares)):
        bad = [c for c in codes if c not in ALLOWED_GROUP_CODES and not _grease(c)]
        if bad:
            found.append(("PKI-TLS-9", f"{what} {[f'{c:#06x}' for c in bad]}"))
    return found


def _serve_close_then_alert(
    listener: socket.socket, hellos: list[bytes], stop: threading.Event
) -> None:
    """First connection: its ClientHello read, then a bare close (a busy refusal before
    TLS). Every later one: its ClientHello read, then a handshake_failure alert."""
    while not stop.is_set() and len(hellos) < 8:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with conn:
            hellos.append(_read_hello(conn))
            if len(hellos) > 1:
                try:
                    conn.sendall(_HANDSHAKE_FAILURE)
                except OSError:
                    pass


@pytest.mark.req("PKI-TLS-1", "PKI-TLS-2", "PKI-TLS-9")
def test_initiator_retry_client_hello_offers_what_the_first_must(
    target: Target, tmp_path: Path
) -> None:
    """The ClientHello of a retry after a close before TLS offers TLS 1.3 alone, ALPN
    sft-pki/1 and only PKI-TLS-9's suites, groups and key shares, like the first."""
    run, seen = run_against_hello_listener(target, tmp_path, _serve_close_then_alert, _HELLO_WAIT)
    problems: list[tuple[str, str]] = []
    for index, hello in enumerate(seen, 1):
        try:
            found = _problems(hello)
        except (ValueError, IndexError) as exc:
            found = [("PKI-TLS-9", f"not a TLS ClientHello ({exc}): {hello[:24].hex()}")]
        problems += [(req, f"ClientHello #{index}: {what}") for req, what in found]
    if problems:
        failure = ConformanceFailure.evidence(
            "PKI-TLS-1/2/9: the initiator's ClientHellos, the first closed before TLS (a busy "
            "refusal), the next answered handshake_failure",
            "every ClientHello, the retry's included, offers TLS 1.3 alone, ALPN sft-pki/1 "
            "and only PKI-TLS-9's suites, groups and key shares",
            "; ".join(what for _, what in problems),
            note=f"{len(seen)} ClientHello(s) received; {run.describe()}",
        )
        failure.violates = tuple(sorted({req for req, _ in problems}))
        raise failure


def _defective(target: Target, kind: str) -> tuple[Certificate, str]:
    """A responder certificate with one defect, and the alias the client asks for."""
    lab = lab_pki(target)
    alias = responder_alias(target)
    if kind == "revoked":
        _name, (cert_path, key_path) = next(iter(_revoked_identities(target).items()))
        cert = Certificate.load(cert_path.read_bytes(), key_path.read_bytes())
        return cert, cert.common_name
    return lab.bad(kind, alias=alias), alias


_DEFECTS = {
    "ca_true": "PKI-CERT-6",
    "revoked": "PKI-CERT-7",
    "no_eku": "PKI-CERT-5",
    "expired": "PKI-CERT-3",
    "foreign_ca": "PKI-CERT-4",  # a retry that skips the chain: no other default case
}


_SLOW_DEFECTS = {"wrong_key_usage": "PKI-CERT-9"}


@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.req(r), id=k) for k, r in _DEFECTS.items()]
    + [
        pytest.param(k, marks=[pytest.mark.req(r), pytest.mark.slow], id=k)
        for k, r in _SLOW_DEFECTS.items()
    ],
)
def test_initiator_judges_the_certificate_in_full_after_a_busy_retry(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """The first connection is closed before TLS; the next presents, for the alias asked
    for, a certificate with one defect: the retry refuses it as a first attempt would."""
    cert, alias = _defective(target, kind)
    outdir = tmp_path / "out"
    outdir.mkdir()
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=cert,
        script=honest_get_script(CONTENT),
        out=outdir / "received.bin",
        alias=alias,
        refuse_first=1,
    )
    if not hostile.transcripts:
        pytest.skip(f"the client under test never connected: {run.describe()}")
    judge_refusal(
        run,
        hostile,
        f"{_DEFECTS.get(kind) or _SLOW_DEFECTS[kind]}: the first connection closed before "
        "TLS (busy), the retry met a "
        f"responder certificate {kind} ({len(hostile.transcripts)} connection(s) made)",
    )
