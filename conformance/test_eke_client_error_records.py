"""The records an sft-eke/1 CLIENT sends after it has found a fault are sealed like every
other record: the next sequence number, never one already used (SPEC §5.5 EKE-REC-2,
EKE-REC-3, with §2 ERR-3 and §3.3 APP-GET-3).

A client that refuses what the server sent answers with a fatal `EROR` (integrity_failed
for a bad DONE, APP-GET-3; unexpected_frame for a frame it does not know, FRM-5) inside
the channel, then closes. That EROR is often written on an error path of its own: one that
seals it under the sequence number of the record it answers, or of the client's last
record (the RQFL), or of a counter that path keeps apart. Either way a nonce is used a
second time under the client's key — with a known plaintext beside it (the RQFL), which
gives away the keystream and the GHASH key (EKE-REC-2: "a sequence number MUST never be
reused"). The happy-path cases never see it: the client sends one record, the RQFL, and
the BYE_ after a clean get.

The suite plays an honest server up to the fault and then reads every record the client
sends, opening each under the client's c2s key at the next sequence number. A record that
opens there is fine; one that opens only under a sequence number already used is a reused
nonce; one that opens under none is not a record of this channel (EKE-REC-3 / EKE-KS-4
territory, reported as such). A client that closes without any EROR is not judged here
(APP-GET-3 and ERR-3 cases judge that). Faults: a DONE whose sha256 is another file's, an
inner frame of an undefined type (`XTRA`); slow: DATA beyond the announced size, an RSFL
whose size is a string.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_diagnosis import diagnose_record
from conformance.eke_hostile import (
    Behaviour,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_inner,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, deadline_after

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_NAME = "error-records.bin"
_CONTENT = b"error records: the client's EROR is a record like the others\n" * 8
_FAULTS = {
    "done-digest": "a DONE whose sha256 is another file's",
    "undefined-type": "an inner frame of the undefined type XTRA after RSFL",
    "data-beyond-size": "a DATA frame beyond the size RSFL announced",
    "size-as-string": 'an RSFL whose size is the string "480"',
}


def _send_fault(channel: EkeChannel, fault: str) -> None:
    size = len(_CONTENT)
    if fault == "size-as-string":
        channel.send_frame("RSFL", {"name": _NAME, "size": str(size)})
        return
    channel.send_frame("RSFL", {"name": _NAME, "size": size})
    if fault == "undefined-type":
        channel.send_frame("XTRA", {})
        return
    if fault == "data-beyond-size":
        channel.send_frame("DATA", _CONTENT + b"!")
        return
    channel.send_frame("DATA", _CONTENT)
    channel.send_frame("DONE", {"size": size, "sha256": hashlib.sha256(b"other").hexdigest()})


def _opens(receiver: eke.RecordReceiver, record: bytes, seq: int) -> bytes | None:
    """The plaintext of `record` if it authenticates as the client's record #seq."""
    if len(record) < 8 or record[:4] != b"RECD":
        return None
    try:
        nonce = eke.record_nonce(receiver.iv, seq)
        return eke.aead_open(receiver.key, nonce, record[8:], record[:8])
    except eke.EkeError:
        return None


def _behaviour(pw: bytes, fault: str, findings: list[str], records: list[str]) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        event = read_inner(channel, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        _send_fault(channel, fault)
        receiver = channel.receiver
        for _ in range(8):  # bounded: an EROR (or a BYE_), then the close
            event = raw.recv_frame(deadline_after(_TIMEOUT))
            if not isinstance(event, ReceivedFrame):
                view.ended = event.describe()
                return
            if event.type != b"RECD":
                # Plaintext after EKE4 is EKE-REC-4 / EKE-REC-5's, judged by their cases.
                view.frames.append(event.describe(60))
                records.append(f"a plaintext {event.type_text} frame (not judged here)")
                return
            seq = receiver.seq
            inner = _opens(receiver, event.raw, seq)
            if inner is not None:
                receiver.seq += 1
                try:
                    frame_type, payload = eke.decode_frame_payload(inner)
                except eke.EkeError:
                    records.append(f"#{seq}: not one frame")
                    continue
                shown = ReceivedFrame(frame_type, payload).describe(60)
                records.append(f"#{seq}: {shown}")
                view.inner.append(shown)
                continue
            reused = [n for n in range(seq) if _opens(receiver, event.raw, n) is not None]
            ahead = [n for n in range(seq + 1, seq + 4) if _opens(receiver, event.raw, n)]
            if reused:
                findings.append(
                    f"the client's record after the fault, due as #{seq}, opens only under "
                    f"sequence number {reused[0]}, already used: a nonce reused"
                )
            elif ahead:
                findings.append(
                    f"the client's record after the fault, due as #{seq}, opens only under "
                    f"sequence number {ahead[0]} (numbers skipped)"
                )
            else:
                diagnosis = diagnose_record(channel.keys, event.raw, seq, from_server=False)
                if diagnosis is not None and diagnosis.requirement != "EKE-REC-2":
                    raise ConformanceFailure(
                        f"the client's record #{seq} after {_FAULTS[fault]} does not open: "
                        f"{diagnosis.describe()}",
                        violates=(diagnosis.requirement,),
                    )
                findings.append(
                    f"the client's record after the fault, due as #{seq}, opens under no "
                    "sequence number of its c2s key"
                )
            return

    return behaviour


@pytest.mark.req("EKE-REC-2")
@pytest.mark.parametrize(
    "fault",
    [
        "done-digest",
        "undefined-type",
        pytest.param("data-beyond-size", marks=pytest.mark.slow),
        pytest.param("size-as-string", marks=pytest.mark.slow),
    ],
)
def test_client_seals_its_error_under_a_fresh_sequence_number(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    fault: str,
    request: pytest.FixtureRequest,
) -> None:
    """After `fault` the client's EROR (if any) opens as its next record, nonce unused."""
    skip_slow_variant(request)
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    findings: list[str] = []
    records: list[str] = []
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _behaviour(pw, fault, findings, records),
        name=_NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    if not case.view.inner:
        raise RuntimeError(f"the client made no request: {case.describe()}")
    if findings:
        raise ConformanceFailure.evidence(
            f"EKE-REC-2: {_FAULTS[fault]}; the client's records after it",
            "each record sealed under the next sequence number of the client's c2s key "
            "(a number never used before)",
            "; ".join(findings),
            note=f"records opened after the fault: {records or 'none'}\n{case.describe()}",
        )

