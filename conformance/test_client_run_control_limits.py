"""FRM-8 at its boundary, for both initiators: a control frame of exactly 65 536 bytes is
within the limit and MUST be taken (docs/SPEC.md §1 FRM-8, FRM-10).

The cases that judge FRM-8 elsewhere send a control payload ABOVE 64 KiB and require a
refusal; an initiator whose limit is lower (64 000 — "64 kB" read as decimal —, 65 535 —
a u16's maximum —, or 65 536 checked with `>=`) passes them and refuses honest frames
a responder may send: members the schema does not define are ignored (FRM-10), so a
responder MAY send an RSFL or a DONE, or an EKE2, padded up to the limit. Each case is an
honest exchange whose frame carries an unknown member sized so that the payload is
exactly 65 536 bytes (compact JSON, UTF-8); the initiator MUST complete the get and keep
the file [FRM-8]:

- sft-eke/1: an EKE2 of 65 536 bytes (the handshake reader's limit), and, inside
  records, an RSFL and a DONE of 65 536 bytes each;
- sft-pki/1: an RSFL and a DONE of 65 536 bytes each.

Fixtures (conformance/plugin.py): `eke_target`, `pki_target` (lab mode), `tmp_path`,
`transcripts`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import ServerView, client_user, eke_pw, read_frame, run_case
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_pki_initiator_transfer import (
    CONTENT,
    DIGEST,
    NAME,
    SIZE,
    LyingResponder,
    _run_lie,
)
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

LIMIT = 65_536  # FRM-8: a control payload of at most 65 536 bytes
_TIMEOUT = 5.0
_EKE_NAME = "padded.bin"
_EKE_CONTENT = bytes(range(256)) * 8
_EKE_DIGEST = hashlib.sha256(_EKE_CONTENT).hexdigest()


def padded(obj: Mapping[str, Any], size: int = LIMIT) -> bytes:
    """`obj` with an unknown member (FRM-10) making its compact JSON exactly `size` bytes."""
    base = len(control({**obj, "x-padding": ""}))
    payload = control({**obj, "x-padding": "p" * (size - base)})
    assert len(payload) == size, (len(payload), size)
    return payload


# --- sft-eke/1 ----------------------------------------------------------------------------------


def _eke_behaviour(pw: bytes, where: str, notes: list[str]) -> Any:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        raw.send_frame(b"EKE2", padded(eke2) if where == "eke2" else control(eke2))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            notes.append(f"after EKE2 the client sent {event.describe()}")
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError as exc:
            notes.append(f"its EKE3 failed to verify ({exc})")
            return
        raw.send_frame(b"EKE4", eke4)
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        request = channel.recv_frame(deadline_after(_TIMEOUT))
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            notes.append(f"no RQFL but {request.describe()}")
            return
        view.inner.append(request.describe(80))
        rsfl = {"name": (request.json() or {}).get("name"), "size": len(_EKE_CONTENT)}
        done = {"size": len(_EKE_CONTENT), "sha256": _EKE_DIGEST}
        channel.send_frame("RSFL", padded(rsfl) if where == "records" else control(rsfl))
        channel.raw.send_raw(channel.seal(frame_bytes("DATA", _EKE_CONTENT)))
        channel.send_frame("DONE", padded(done) if where == "records" else control(done))
        answer = channel.recv_frame(deadline_after(_TIMEOUT))
        notes.append(f"after the DONE the client sent {answer.describe()}")

    return behaviour


_EKE_WHERE = {
    "eke2": "an EKE2 of 65 536 bytes (b, c and an unknown member)",
    "records": "an RSFL and a DONE of 65 536 bytes each, inside records",
}


@pytest.mark.profile("eke")
@pytest.mark.req("FRM-8", "FRM-10")
@pytest.mark.parametrize("where", sorted(_EKE_WHERE))
def test_eke_initiator_takes_a_control_frame_of_exactly_the_limit(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, where: str
) -> None:
    notes: list[str] = []
    password = "ctl-limit-pw-" + hashlib.sha256(where.encode()).hexdigest()[:8]
    pw = eke_pw(client_user(eke_target), password)
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _eke_behaviour(pw, where, notes),
        name=_EKE_NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    result = case.result
    if result.succeeded and result.kept_file and result.out.read_bytes() == _EKE_CONTENT:
        return
    raise ConformanceFailure.evidence(
        f"FRM-8: an honest get whose server sends {_EKE_WHERE[where]}",
        "a control payload of 65 536 bytes is within the limit (its unknown member "
        "ignored, FRM-10): the get completes and the file is kept",
        result.describe(),
        note="; ".join(notes) + f"; {case.describe()}",
    )


# --- sft-pki/1 ----------------------------------------------------------------------------------


def _pki_padded(r: LyingResponder) -> None:
    r.frame("RSFL", padded({"name": NAME, "size": SIZE, "sha256": DIGEST}))
    r.data(CONTENT)
    r.frame("DONE", padded({"size": SIZE, "sha256": DIGEST}))


@pytest.mark.profile("pki")
@pytest.mark.req("FRM-8", "FRM-10")
def test_pki_initiator_takes_a_control_frame_of_exactly_the_limit(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    got = _run_lie(pki_target, tmp_path, transcripts, _pki_padded)
    run = got.run
    kept = run.out.read_bytes() if run.kept_file else None
    if run.succeeded and kept == CONTENT:
        return
    reaction = got.responder.reaction
    raise ConformanceFailure.evidence(
        "FRM-8: an honest get whose responder sends an RSFL and a DONE of 65 536 bytes each "
        "(an unknown member fills them up)",
        "a control payload of 65 536 bytes is within the limit: the get completes and the "
        "file is kept",
        f"exit code {run.returncode}, " + ("no file" if kept is None else f"{len(kept)} bytes"),
        note=f"its answer: {reaction.describe() if reaction is not None else '-'}; "
        + got.describe(),
    )
