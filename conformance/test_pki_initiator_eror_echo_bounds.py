"""The EROR an sft-pki/1 INITIATOR sends quotes at most 64 characters of what the responder
sent (docs/SPEC.md §2 ERR-5, a SHOULD: NON-STRICT unless run with --strict).

ERR-5: an EROR message "SHOULD NOT echo attacker-controlled bytes beyond 64 characters".
test_app_error_echo_bounds.py holds responders to it and test_eke_client_eror_echo_bounds.py
sft-eke/1 clients; an sft-pki/1 initiator refuses the same answers from a responder and
builds the same messages, each in its own error path: the schema check that says what it
got ("member 'sha256' must be 64 hex digits, not {...}"), the duplicate-key complaint that
names the key, the missing-member complaint that shows the object, the JSON parser's error
that quotes the document. ERR-1's 512-character cut does not make such a quotation short
enough.

The suite plays a responder that answers the client's get with one RSFL the client must
refuse `bad_frame` (FRM-9, FRM-12) and that carries a long run of attacker text occurring
nowhere else (random letters outside a–f, so no escaping or hex reading changes it): its
`sha256` is that text; a key that is that text, twice; slow: its `size` is that text, the
`size` is missing beside a member named by that text, the payload is that text (not JSON).
If the client answers with an EROR, its message must not hold 65 consecutive characters of
the text. A client that only closes is not judged here (what it owes for the malformed
answer is test_client_lies.py's business).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.disclosure import attacker_text, quoted_run
from conformance.pki_channel import HostileResponder, PkiChannel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

NAME = "file.bin"
SIZE = 1000


def _payloads(marker: str) -> dict[str, bytes]:
    text = marker.encode()
    name = json.dumps(NAME).encode()
    return {
        "rsfl-sha256-of-long-text": b'{"name":%s,"size":%d,"sha256":"%s"}' % (name, SIZE, text),
        "rsfl-long-key-twice": b'{"name":%s,"size":%d,"%s":1,"%s":2}' % (name, SIZE, text, text),
        "rsfl-size-of-long-text": b'{"name":%s,"size":"%s"}' % (name, text),
        "rsfl-size-missing-beside-long-member": b'{"name":%s,"%s":1}' % (name, text),
        "rsfl-not-json": b"{" + text + b"}",
    }


_SLOW = {"rsfl-size-of-long-text", "rsfl-size-missing-beside-long-member", "rsfl-not-json"}
_KINDS = [
    pytest.param(k, marks=[pytest.mark.slow] if k in _SLOW else [], id=k)
    for k in (
        "rsfl-sha256-of-long-text",
        "rsfl-long-key-twice",
        "rsfl-size-of-long-text",
        "rsfl-size-missing-beside-long-member",
        "rsfl-not-json",
    )
]


def _script(payload: bytes) -> Callable[[PkiChannel], None]:
    def script(channel: PkiChannel) -> None:
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        channel.send_frame("RSFL", payload)
        deadline = deadline_after(3.0)
        for _ in range(4):  # the client's EROR, if any, then its close (bounded)
            if not isinstance(channel.recv_frame(deadline), ReceivedFrame):
                return

    return script


def _messages(hostile: HostileResponder) -> list[str]:
    found = []
    for transcript in hostile.transcripts:
        for entry in transcript.entries:
            if entry.direction != "recv" or entry.data[:4] != b"EROR":
                continue
            text = entry.data[8:].decode("utf-8", "replace")
            try:
                obj = json.loads(text)
            except ValueError:
                found.append(text)
                continue
            message = obj.get("message") if isinstance(obj, dict) else None
            found.append(message if isinstance(message, str) else text)
    return found


@pytest.mark.req("ERR-5", level="SHOULD")
@pytest.mark.parametrize("kind", _KINDS)
def test_initiator_eror_does_not_echo_a_long_member(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    marker = attacker_text()
    cert = lab_pki(target).employee(responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=_script(_payloads(marker)[kind]), name=NAME
    )
    require_reached(run, hostile, request=True)
    for message in _messages(hostile):
        echoed = quoted_run(marker, message)
        if echoed:
            raise ConformanceFailure.evidence(
                f"ERR-5: the responder answers the get with an RSFL the client must refuse "
                f"bad_frame ({kind}), holding a 400-character run of attacker text",
                "the client's EROR quotes at most 64 characters of the responder's input",
                f"its message quotes {echoed} consecutive characters of it: {message[:160]!r}...",
                note=run.describe(),
            )
