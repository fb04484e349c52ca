"""sft-pki/1 INITIATOR: the control payload limit holds for the get's `DONE` too, not only
for the answer to its request (docs/SPEC.md §1 FRM-8; §3.3 APP-GET-3).

FRM-8: a control payload is at most 65 536 bytes; a longer one MUST be refused with
`frame_too_large` (judged from the header alone or once the payload, within the frame
limit, has arrived). test_pki_initiator_transfer.py sends an `RSFL` beyond it and
test_client_run_control_limits.py an `RSFL` and a `DONE` of exactly 65 536 bytes, which
must be taken. The class of bug: an initiator with two frame readers — the one that reads
the answer to a request, which applies the limit, and the transfer loop that reads `DATA`
until `DONE`, which takes a control frame of any length up to the frame limit (1 048 832
bytes) because "by then every byte has arrived". Such an initiator buffers and parses a
control payload the SPEC caps, and keeps the file.

The suite plays the responder: an honest `RSFL` and every byte of the file, then a
`DONE` right for the file whose payload an unknown member (FRM-10) pads to 65 537 bytes
(one above the limit) or to 1 000 000 bytes (far above it, within the frame limit). The
get MUST fail with `EROR frame_too_large`: non-zero exit, nothing under the final name, no
temporary file.

The same reader takes the put's receipt (`client_put_cmd`): the responder accepts the
put, reads the whole file and answers a `DONE` right for it, padded to 65 537 bytes. The
initiator MUST refuse it with `EROR frame_too_large` and report the put failed
(non-zero exit; APP-PUT-10: a `DONE` it cannot take is no receipt).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance._wire_fixtures import lab_pki, responder_alias
from conformance.pki_channel import HostileResponder, PkiChannel, server_context
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import READ_TIMEOUT, RUN_TIMEOUT, _put_template
from conformance.wire import (
    MAX_CONTROL_PAYLOAD,
    ConformanceFailure,
    Event,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)
from sftkit.client_run import run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_SIZES = (MAX_CONTROL_PAYLOAD + 1, 1_000_000)


def _padded_done(total: int, size: int = pki_lies.SIZE, digest: str = pki_lies.DIGEST) -> bytes:
    """DONE {size, sha256} right for the file, an unknown member "pad" making it `total`
    bytes."""
    obj = {"size": size, "sha256": digest}
    bare = len(control({**obj, "pad": ""}))
    payload = control({**obj, "pad": "x" * (total - bare)})
    assert len(payload) == total
    return payload


def _oversized_done(total: int) -> pki_lies.Lie:
    def lie(peer: pki_lies.LyingResponder) -> None:
        peer.rsfl(sha256=pki_lies.DIGEST)
        peer.data(pki_lies.CONTENT)
        peer.frame("DONE", _padded_done(total))
        peer.await_reaction()

    return lie


@pytest.mark.req("FRM-8")
@pytest.mark.parametrize("total", _SIZES, ids=[f"done-{n}" for n in _SIZES])
def test_pki_initiator_refuses_a_done_beyond_the_control_limit(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, total: int
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, _oversized_done(total))
    pki_lies._judge_failed_get(
        got,
        f"FRM-8: an honest RSFL and every byte of the file, then a DONE right for the file "
        f"whose payload is {total} bytes (an unknown member pads it; the limit is "
        f"{MAX_CONTROL_PAYLOAD})",
        "frame_too_large",
        ("FRM-8",),
    )


def _receipt_script(seen: list[Event]) -> Callable[[PkiChannel], None]:
    """Accepts one put, reads the file, answers an oversized DONE right for it, and records
    the initiator's reaction (its EROR, or the close)."""

    def script(channel: PkiChannel) -> None:
        offer = channel.recv_frame()
        if not isinstance(offer, ReceivedFrame) or offer.type != b"PUTF":
            return
        channel.send_frame("RSFL", {"accept": True, "name": str((offer.json() or {}).get("name"))})
        digest = hashlib.sha256()
        size = 0
        while True:
            frame = channel.recv_frame()
            if not isinstance(frame, ReceivedFrame):
                return
            if frame.type == b"DATA":
                digest.update(frame.payload)
                size += len(frame.payload)
            elif frame.type == b"DONE":
                break
            else:
                return
        payload = _padded_done(MAX_CONTROL_PAYLOAD + 1, size, digest.hexdigest())
        channel.send_raw(frame_bytes("DONE", payload))
        seen.append(channel.recv_frame(deadline_after(READ_TIMEOUT)))

    return script


@pytest.mark.req("FRM-8", "APP-PUT-10")
def test_pki_initiator_refuses_a_put_receipt_beyond_the_control_limit(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    assert target.root is not None
    template = _put_template(target, tmp_path)
    alias = responder_alias(target)
    cert_path, key_path = lab_pki(target).employee(alias).write(tmp_path, "responder")
    source = tmp_path / "outgoing.bin"
    source.write_bytes(pki_lies.CONTENT)
    seen: list[Event] = []
    own = target.client_put_cmd is not None
    with HostileResponder(
        server_context(cert_path, key_path, target.root),
        _receipt_script(seen),
        timeout=READ_TIMEOUT,
    ) as hostile:
        launch = client_launch(
            template,
            {
                "host": hostile.host,
                "port": str(hostile.port),
                "file": str(source),
                "name": f"put-{secrets.token_hex(4)}.bin",
                "alias": alias,
            },
            stdin_template=target.client_stdin if own else None,
            success="exit",
        )
        run = run_client(launch, timeout=RUN_TIMEOUT)
    for t in hostile.transcripts:
        transcripts.add(t)
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    if not seen:
        raise RuntimeError(
            f"the put never reached its DONE (is client_put_cmd right?): {run.describe()}"
        )
    reaction = seen[0]
    problems: list[tuple[str, str]] = []
    if run.returncode == 0:
        problems.append(("APP-PUT-10", "exit code 0: the oversized DONE was taken as the receipt"))
    if not (isinstance(reaction, ReceivedFrame) and reaction.error_name == "frame_too_large"):
        shown = reaction.describe() if reaction is not None else "nothing"
        problems.append(("FRM-8", f"its answer to the DONE was {shown}, not EROR frame_too_large"))
    if problems:
        failure = ConformanceFailure.evidence(
            f"FRM-8: a put of {pki_lies.SIZE} bytes; the responder reads them all and answers "
            f"a DONE right for them whose payload is {MAX_CONTROL_PAYLOAD + 1} bytes",
            "the initiator answers EROR frame_too_large and reports the put failed (non-zero exit)",
            "; ".join(f"[{rid}] {text}" for rid, text in problems),
            note=run.describe(),
        )
        failure.violates = tuple(sorted({rid for rid, _ in problems}))
        raise failure
