"""An sft-pki/1 INITIATOR given a name whose bytes are not UTF-8 (docs/SPEC.md §1 FRM-8,
FRM-14).

A command-line initiator receives the name to get as the bytes of its argument. Names
travel in control payloads, which "MUST be a UTF-8 encoded JSON object" (FRM-8), and a
sender "MUST NOT emit a frame that violates" it (FRM-14). A name typed in another
encoding (Latin-1's `é`, one byte 0xE9), or cut inside a UTF-8 sequence, is not UTF-8
text: the initiator may refuse it before connecting (the reference does: a usage error),
or send some valid UTF-8 spelling of it — but never the raw bytes. The class of bug: the
name handled as the file name it also is, with the operating system's file-name encoding
(Python's `os.fsencode` and its `surrogateescape` handler, a C client copying `argv`
bytes into the JSON text): the argument's bytes go onto the wire as they came, and the
`RQFL` is not UTF-8.

The suite plays the responder (a certificate for the right alias minted in lab mode) and
launches the initiator with such a name (`{name}` of `client_cmd`, passed as bytes). If
an `RQFL` arrives, its payload must be a UTF-8 JSON object (the suite then answers
`not_found`); an initiator that sends nothing has refused the name, which is conforming.
The same for the put (`{name}` of `client_put_cmd`, test_client_put.py's responder): a
`PUTF` that arrives must be a UTF-8 JSON object (the suite then refuses it `forbidden`).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance._wire_fixtures import lab_pki, responder_alias, run_initiator_watched
from conformance.channel import Channel
from conformance.pki_channel import PkiChannel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, error_payload

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

# The argument's bytes: not UTF-8. os.fsdecode gives the str whose os.fsencode (what
# subprocess does with argv) is exactly these bytes.
_NAMES = [
    pytest.param(b"caf\xe9.bin", id="latin-1-e-acute"),
    pytest.param(b"euro-\xe2\x82.bin", id="utf-8-sequence-cut-short"),
    pytest.param(b"\xff\xfe-name.bin", id="bytes-ff-fe", marks=pytest.mark.slow),
]


@pytest.mark.req("FRM-14", "FRM-8")
@pytest.mark.parametrize("raw", _NAMES)
def test_initiator_never_sends_a_name_that_is_not_utf8(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, raw: bytes
) -> None:
    name = os.fsdecode(raw)
    assert os.fsencode(name) == raw  # the argument the initiator receives
    seen: list[ReceivedFrame] = []

    def script(channel: PkiChannel) -> None:
        request = channel.recv_frame()
        if not isinstance(request, ReceivedFrame):
            return  # the initiator refused the name before asking: conforming
        seen.append(request)
        channel.send_frame("EROR", error_payload("not_found", "suite: no such file"))
        channel.recv_frame()  # its BYE_ or its close, within the script's deadline

    outdir = tmp_path / "out"
    outdir.mkdir()
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(responder_alias(target)),
        script=script,
        out=outdir / "undecodable.bin",
        name=name,
    )
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    if not seen:
        return
    request = seen[0]
    problems = request.violations()
    if request.type == b"RQFL" and request.json() is None and not problems:
        problems = ["FRM-8/9: control payload is not a strict UTF-8 JSON object"]
    if problems:
        raise ConformanceFailure.evidence(
            f"the initiator asked to get a name given as the bytes {raw!r} (not UTF-8)",
            "no request (the name refused before connecting), or a request whose payload "
            "is a UTF-8 JSON object (FRM-8, FRM-14)",
            f"it sent {request.describe()} (payload {bytes(request.payload)[:80]!r}): {problems}",
            note=run.describe(),
        )


@pytest.mark.req("FRM-14", "FRM-8")
def test_initiator_never_offers_a_put_name_that_is_not_utf8(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    raw = b"caf\xe9.txt"
    name = os.fsdecode(raw)
    offered: list[ReceivedFrame] = []

    def serve(channel: Channel, seen: puts.PutSeen, answer: puts.Answer, _name: str) -> None:
        first = puts._next(channel, seen, puts.READ_TIMEOUT)
        if first is None:
            return
        offered.append(first)
        seen.putf_raw = bytes(first.payload[:200]).decode("utf-8", "replace")
        channel.send_frame("EROR", error_payload("forbidden", "suite: not this name"))
        puts._next(channel, seen, puts.READ_TIMEOUT)  # its BYE_ or its close

    try:
        put = puts._run_put(
            target, tmp_path, transcripts, puts.Answer(), b"undecodable name\n", serve, name
        )
    except RuntimeError as exc:
        if "never sent its PUTF" in str(exc) and not offered:
            return  # the name refused before connecting (or before offering): conforming
        raise
    if not offered:
        return
    request = offered[0]
    problems = request.violations()
    if request.json() is None and not problems:
        problems = ["FRM-8/9: control payload is not a strict UTF-8 JSON object"]
    if problems:
        raise ConformanceFailure.evidence(
            f"the initiator asked to put a file as a name given as the bytes {raw!r} (not UTF-8)",
            "no offer (the name refused before connecting), or a first frame whose payload "
            "is a UTF-8 JSON object (FRM-8, FRM-14)",
            f"it sent {request.describe()} (payload {bytes(request.payload)[:80]!r}): {problems}",
            note=put.describe(),
        )
