"""sft-pki/1 INITIATOR as a SENDER: the put's ClientHello offers what the get's does — TLS
1.3 only, the PKI-TLS-9 suites and groups, the ALPN sft-pki/1 (docs/SPEC.md PKI-TLS-1,
PKI-TLS-2, PKI-TLS-9).

test_pki_hardening.py reads the ClientHello of the initiator's get (`client_cmd`). A put
command whose TLS setup is written apart from the get's (the pinning of PKI-TLS-9 added
to the get's context builder only, a put built on the TLS library's default context)
offers the library's defaults: `ffdhe2048`…`ffdhe8192`, `x448`, `secp521r1`, TLS 1.2, no
ALPN. The suite runs the put (`client_put_cmd`) against a listener of its own, reads the
first bytes (the ClientHello) and answers a fatal handshake_failure alert (the put then
fails; its exit status is not judged here):

- [PKI-TLS-9] cipher suites in the TLS 1.3 range, supported_groups and key_share hold
  only TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256 and
  x25519, secp256r1, secp384r1, X25519MLKEM768 (RFC 8701 GREASE aside);
- [PKI-TLS-1] supported_versions lists TLS 1.3 (0x0304) alone (GREASE aside);
- [PKI-TLS-2] the ALPN extension offers `sft-pki/1` (other protocols beside it are not
  judged here: the responder selects, and PKI-TLS-2 binds what is selected).

SKIP without `client_put_cmd` (the embedded reference declares its `sft put`).

Fixtures (conformance/plugin.py): `target` (pki), `tmp_path`.
"""

from __future__ import annotations

import secrets
import socket
import threading
from pathlib import Path

import pytest

from conformance._wire_fixtures import responder_alias
from conformance.target import Target
from conformance.test_client_put import RUN_TIMEOUT, _put_template
from conformance.test_pki_hardening import (
    ALLOWED_GROUP_CODES,
    ALLOWED_SUITE_CODES,
    PROBE_TIMEOUT,
    ClientHelloOffer,
    _capture_client_hello,
    _grease,
    _parse_client_hello,
)
from conformance.wire import ConformanceFailure
from sftkit.client_run import run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_TLS13 = 0x0304
_EXT_ALPN = 16
ALPN = b"sft-pki/1"


def _alpn_offer(records: bytes) -> list[bytes] | None:
    """The protocols of the ClientHello's ALPN extension (None: no extension)."""
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
            data = body[p + 6 : p + 4 + n]  # after the list's own 2-byte length
            names: list[bytes] = []
            q = 0
            while q < len(data):
                names.append(data[q + 1 : q + 1 + data[q]])
                q += 1 + data[q]
            return names
        p += 4 + n
    return None


def _put_client_hello(target: Target, tmp_path: Path) -> bytes:
    """The first bytes the put under test sends to a listener of the suite's."""
    template = _put_template(target, tmp_path)
    source = tmp_path / "outgoing.bin"
    source.write_bytes(b"a put whose ClientHello is read\n")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(PROBE_TIMEOUT)
    box: list[bytes] = []
    thread = threading.Thread(target=_capture_client_hello, args=(listener, box), daemon=True)
    thread.start()
    try:
        launch = client_launch(
            template,
            {
                "host": "127.0.0.1",
                "port": str(listener.getsockname()[1]),
                "file": str(source),
                "name": f"put-{secrets.token_hex(4)}.bin",
                "alias": responder_alias(target),
            },
            stdin_template=target.client_stdin if target.client_put_cmd else None,
            success="exit",
        )
        run_client(launch, timeout=RUN_TIMEOUT)
    finally:
        thread.join(PROBE_TIMEOUT)
        listener.close()
    if not box or not box[0]:
        pytest.skip("the put sent no ClientHello to the suite's listener")
    return box[0]


def _offer(hello: bytes, requirement: str) -> ClientHelloOffer:
    try:
        return _parse_client_hello(hello)
    except (ValueError, IndexError) as exc:
        raise ConformanceFailure(
            f"{requirement}: the put's first bytes are not a TLS ClientHello ({exc}): "
            f"{hello[:40].hex()}"
        ) from exc


@pytest.mark.req("PKI-TLS-9")
def test_initiator_put_offers_only_allowed_tls13_parameters(
    target: Target, tmp_path: Path
) -> None:
    offer = _offer(_put_client_hello(target, tmp_path), "PKI-TLS-9")
    problems = []
    bad = [c for c in offer.suites if c >> 8 == 0x13 and c not in ALLOWED_SUITE_CODES]
    if bad:
        problems.append(f"cipher suites {[f'{c:#06x}' for c in bad]}")
    for what, codes in (("groups", offer.groups), ("key shares", offer.key_shares)):
        bad = [c for c in codes if c not in ALLOWED_GROUP_CODES and not _grease(c)]
        if bad:
            problems.append(f"{what} {[f'{c:#06x}' for c in bad]}")
    if problems:
        raise ConformanceFailure.evidence(
            "PKI-TLS-9: the ClientHello of the initiator's put (client_put_cmd)",
            "only the TLS 1.3 suites AES-128-GCM, AES-256-GCM, CHACHA20 and the groups "
            "x25519, secp256r1, secp384r1, X25519MLKEM768, as for a get",
            "; ".join(problems),
            note=(
                f"suites {[f'{c:#06x}' for c in offer.suites]}, groups "
                f"{[f'{c:#06x}' for c in offer.groups]}, key shares "
                f"{[f'{c:#06x}' for c in offer.key_shares]}"
            ),
        )


@pytest.mark.req("PKI-TLS-1", "PKI-TLS-2")
def test_initiator_put_offers_tls13_and_alpn(target: Target, tmp_path: Path) -> None:
    hello = _put_client_hello(target, tmp_path)
    versions = _offer(hello, "PKI-TLS-1").versions
    problems: list[tuple[str, str]] = []
    offered = [v for v in versions or [] if not _grease(v)]
    if offered != [_TLS13]:
        shown = (
            "no supported_versions extension"
            if versions is None
            else f"supported_versions {[f'{v:#06x}' for v in versions]}"
        )
        problems.append(("PKI-TLS-1", shown))
    try:
        protocols = _alpn_offer(hello)
    except IndexError:
        protocols = None
    if protocols is None or ALPN not in protocols:
        problems.append(
            ("PKI-TLS-2", f"ALPN offered: {protocols!r}" if protocols else "no ALPN extension")
        )
    if problems:
        failure = ConformanceFailure.evidence(
            "PKI-TLS-1/PKI-TLS-2: the ClientHello of the initiator's put (client_put_cmd)",
            "supported_versions with TLS 1.3 (0x0304) only, and ALPN offering sft-pki/1",
            "; ".join(f"[{rid}] {text}" for rid, text in problems),
        )
        failure.violates = tuple(sorted({rid for rid, _ in problems}))
        raise failure
