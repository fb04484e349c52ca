"""A client told of a fatal error closes at once, and an unknown code is fatal [ERR-1/3/4].

The suite, as the server (sft-eke/1) or the responder (sft-pki/1), answers the client's
RQFL with an `EROR`: a fatal code the table lists, a code it does not list (0, 15, 99,
65 536: `internal`, ERR-4), or a fatal code under the `name` of a non-fatal one (a client
acts on `code` only, ERR-1). Then it sends nothing and keeps the connection open. The
client must fail the get (non-zero exit, nothing kept) and close within PROMPT_CLOSE
seconds without waiting for the suite (ERR-3), sending nothing more — not a `BYE_`
(ERR-3: after a fatal `EROR`, in any state, an initiator sends nothing more). A client
that says goodbye, or waits for anything, took the error for a refusal it could continue
from — the bug of mapping an unknown code, or a name, to a non-fatal code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.eke_hostile import read_inner
from conformance.pki_channel import ended_cleanly
from conformance.plugin import TranscriptBook
from conformance.scenario import PROMPT_CLOSE
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    Event,
    ReceivedFrame,
    control,
    deadline_after,
    error_payload,
)

# code -> fatal? (ERR-2's table; anything it does not list is `internal`, ERR-4)
_CODES = {
    "internal": 11,
    "integrity_failed": 8,
    "integrity_failed-named-not_found": 8,
    "unknown-0": 0,
    "unknown-15": 15,
    "unknown-99": 99,
    "unknown-99-named-not_found": 99,
    "unknown-65536": 65536,
}


def _payload(label: str, code: int) -> bytes:
    """The EROR; "-named-not_found" gives it the `name` of a non-fatal code: a client
    must act on `code` only [ERR-1]."""
    if label.endswith("-named-not_found"):
        return control({"code": code, "name": "not_found", "message": "suite: error"})
    return error_payload(code, "suite: error")


def _requirements(label: str) -> tuple[str, ...]:
    named = ("ERR-1",) if label.endswith("-named-not_found") else ()
    return (*named, "ERR-3", "ERR-4") if label.startswith("unknown") else (*named, "ERR-3")


@dataclass
class Ending:
    """What the client did in the PROMPT_CLOSE seconds after the suite's EROR."""

    frames: list[str] = field(default_factory=list)
    closed: bool = False
    last: Event | None = None  # how it closed (pki: close_notify or not, PKI-TLS-7)


def _watch(recv: Callable[[float], Event]) -> Ending:
    """Reads (and never answers) what the client sends until it closes, bounded by
    PROMPT_CLOSE seconds and 16 frames."""
    ending = Ending()
    deadline = time.monotonic() + PROMPT_CLOSE
    for _ in range(16):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        event = recv(left)
        if isinstance(event, ReceivedFrame):
            ending.frames.append(event.describe(60))
            continue
        ending.closed = isinstance(event, Closed)
        ending.last = event
        break
    return ending


def _judge_ending(ending: Ending, label: str, code: int, where: str = "answering the RQFL") -> None:
    if ending.closed and not ending.frames:
        return
    why = "the code is fatal"
    if code not in range(1, 15):
        why += ": every code ERR-2 does not list is `internal`"
    if label.endswith("-named-not_found"):
        why += "; the `name` (not_found) is for people, the client acts on `code`"
    sent = f" after sending {', '.join(ending.frames)}" if ending.frames else ""
    seen = (
        f"it closed{sent}" if ending.closed
        else f"the connection was still open {PROMPT_CLOSE:g} s later{sent}"
    )
    failure = ConformanceFailure.evidence(
        f"{'/'.join(_requirements(label))}: EROR code {code} ({label}) {where}",
        f"the client closes within {PROMPT_CLOSE:g} s without waiting for the suite, and "
        f"sends nothing more ({why})",
        seen,
        "a client that waits after a fatal error took it for a refusal it could continue from",
    )
    failure.violates = _requirements(label)
    raise failure


@pytest.mark.side("initiator")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("ERR-1", "ERR-3", "ERR-4")
@pytest.mark.parametrize("label", sorted(_CODES))
def test_eke_client_treats_a_fatal_or_unknown_error_as_fatal(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    code = _CODES[label]
    box: dict[str, Ending] = {}

    def lie(s: eke_lies.LyingServer) -> None:
        s.frame("EROR", _payload(label, code))
        box["ending"] = _watch(lambda left: read_inner(s.channel, s.view, left))
        s.close()

    case, server = eke_lies._run_lie(eke_target, tmp_path, transcripts, lie)
    eke_lies._judge_failed_get(
        case, f"EROR code {code} answering RQFL", server=server, own=_requirements(label)
    )
    _judge_ending(box["ending"], label, code)


@pytest.mark.profile("pki")
@pytest.mark.side("initiator")
@pytest.mark.req("ERR-1", "ERR-3", "ERR-4", "PKI-TLS-7")
@pytest.mark.parametrize("label", sorted(_CODES))
def test_pki_initiator_treats_a_fatal_or_unknown_error_as_fatal(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    code = _CODES[label]
    box: dict[str, Ending] = {}

    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("EROR", _payload(label, code))
        box["ending"] = _watch(lambda left: r.channel.recv_frame(deadline_after(left)))
        r.ended = True

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    pki_lies._judge_failed_get(got, f"EROR code {code} answering RQFL", None, _requirements(label))
    _judge_ending(box["ending"], label, code)
    _judge_pki_close(box["ending"], f"EROR code {code} ({label}) answering the RQFL")


def _judge_pki_close(ending: Ending, what: str) -> None:
    """PKI-TLS-7: after receiving a fatal EROR the initiator's close is a close_notify too
    (a client that just drops the socket on an error path leaves a truncation behind)."""
    if ending.last is not None and not ended_cleanly(ending.last):
        failure = ConformanceFailure.evidence(
            f"PKI-TLS-7: how the initiator ended the connection after {what}",
            "a TLS close_notify, then the TCP close",
            ending.last.describe(),
        )
        failure.violates = ("PKI-TLS-7",)
        raise failure


@pytest.mark.profile("pki")
@pytest.mark.side("initiator")
@pytest.mark.req("ERR-3", "ERR-4", "PKI-TLS-7")
@pytest.mark.parametrize("label", ["internal", "unknown-99"])
def test_pki_initiator_treats_a_fatal_error_mid_transfer_as_fatal(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    """The same with the EROR in the middle of the get (after RSFL and part of the DATA):
    the client's error path there too fails the get and closes at once, with a
    close_notify."""
    code = _CODES[label]
    box: dict[str, Ending] = {}

    def lie(r: pki_lies.LyingResponder) -> None:
        r.rsfl()
        r.data(pki_lies.CONTENT[: pki_lies.SIZE // 2])
        r.frame("EROR", _payload(label, code))
        box["ending"] = _watch(lambda left: r.channel.recv_frame(deadline_after(left)))
        r.ended = True

    what = f"EROR code {code} ({label}) after half of the get's DATA"
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    pki_lies._judge_failed_get(got, what, None, _requirements(label))
    _judge_ending(box["ending"], label, code, "after half of the get's DATA")
    _judge_pki_close(box["ending"], what)
