"""sft-pki/1 INITIATOR: a TLS 1.3 KeyUpdate from the responder is part of the channel, at
any moment after the handshake (docs/SPEC.md §4.1 PKI-TLS-1; RFC 8446 §4.6.3).

The initiator's side of test_pki_key_updates.py: PKI-TLS-1 says either endpoint MAY send
a KeyUpdate at any time after the handshake and the other MUST process it (answering one
with `update_requested`) without disturbing the connection or a transfer. Responders
rekey exactly while they send a large file (Go's crypto/tls and rustls do it after a
volume of records; an operator may configure it). The class of bug: an initiator (or the
TLS layer it drives) that takes a post-handshake message for a renegotiation and aborts,
that reads "no application data" from a record holding only a KeyUpdate as the end of the
stream (an event loop's WANT_READ taken for EOF: a truncated get), or that cannot rekey
its own sending side when asked.

The suite's hostile responder answers an honest get and has its own OpenSSL
(`SSL_key_update` under Python's `ssl` object, as test_pki_key_updates.py does) send a
KeyUpdate on its own right after the RSFL, and another before the second half of the
DATA; both kinds (`update_not_requested`, `update_requested`). The get MUST complete:
exit 0 and the file kept with the served bytes.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.pki_channel import PkiChannel, Script
from conformance.target import Target
from conformance.test_pki_key_updates import _KINDS, _key_update
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = bytes(range(256)) * 512 + b"rekeyed in flight\n"  # 128 KiB and a tail


def _rekeying_get(requested: bool, unavailable: list[str]) -> Script:
    """Answers one RQFL honestly, with KeyUpdates after the RSFL and halfway through."""

    def key_update(channel: PkiChannel, *, alone: bool) -> bool:
        try:
            _key_update(channel, requested, alone=alone)
        except pytest.skip.Exception as exc:  # raised in the responder's thread
            unavailable.append(str(exc))
            return False
        return True

    def script(channel: PkiChannel) -> None:
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        name = (event.json() or {}).get("name", "")
        channel.send_frame("RSFL", {"name": name, "size": len(CONTENT)})
        if not key_update(channel, alone=True):
            return
        half = len(CONTENT) // 2
        channel.send_frame("DATA", CONTENT[:half])
        if not key_update(channel, alone=False):
            return
        channel.send_frame("DATA", CONTENT[half:])
        channel.send_frame(
            "DONE", {"size": len(CONTENT), "sha256": hashlib.sha256(CONTENT).hexdigest()}
        )
        channel.recv_frame(deadline_after(2.0))  # the client's BYE_ or close (bounded)

    return script


@pytest.mark.req("PKI-TLS-1")
@pytest.mark.parametrize("requested", [False, True], ids=["not_requested", "requested"])
def test_initiator_takes_the_responders_key_updates_during_a_get(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, requested: bool
) -> None:
    lab = lab_pki(target)
    unavailable: list[str] = []
    cert = lab.employee(responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=_rekeying_get(requested, unavailable)
    )
    if unavailable:
        pytest.skip(unavailable[0])
    require_reached(run, hostile, request=True)
    kept = run.out.read_bytes() if run.kept_file else None
    if run.succeeded and kept == CONTENT:
        return
    got = (
        "no file"
        if kept is None
        else f"{len(kept)} bytes, SHA-256 {hashlib.sha256(kept).hexdigest()}"
    )
    raise ConformanceFailure.evidence(
        f"PKI-TLS-1: an honest get of {len(CONTENT)} bytes; the responder's TLS stack sends "
        f"a KeyUpdate ({_KINDS[requested]}) on its own right after the RSFL, and another "
        "before the second half of the DATA",
        "the get completes as without them: exit 0 and the file kept with the served bytes "
        "(RFC 8446 §4.6.3: either side may update its keys at any time after the handshake)",
        f"{run.describe()}; {got}",
        note="a post-handshake message taken for a renegotiation, or a record holding only "
        "a KeyUpdate read as the end of the stream",
    )
