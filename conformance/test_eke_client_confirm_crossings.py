"""An sft-eke/1 CLIENT opens each key confirmation only as the one it is: C2 and C4 sealed
under the other side's key, another step's nonce or associated data, or a record key are
refused (SPEC §5.3 EKE-HS-4, EKE-HS-7, §5.4 EKE-KS-4).

§5.3 fixes every confirmation: C2 = AEAD(Kcs, N2, Ns, "EKE2" ‖ th), C3 = AEAD(Kcc, N3,
Na ‖ Ns, "EKE3" ‖ th), C4 = AEAD(Kcs, N4, Na, "EKE4" ‖ th); EKE-KS-4 keeps the
confirmation keys apart from each other's role and from the record keys. A client written
to be lenient — "try Kcs, then Kcc", "try the step's nonce, then the others", a table of
nonces and labels indexed by the wrong step — opens a confirmation that was sealed as
another one, and the design's separation of roles and steps (a message valid for one role
or step accepted in the other) is gone without any honest server noticing.

The suite plays a server that knows the password (so it holds every key) and seals the
confirmation under a crossed key, nonce or associated data, with the right plaintext:

* C2 crossed: the client MUST answer `EROR auth_failed`, send no EKE3, fail (EKE-HS-4);
* C4 crossed: the client MUST send no request and close (an EROR first is allowed), fail
  (EKE-HS-7).

Default run: C2 sealed as a C4 (N4 and "EKE4"), and C4 sealed under Kcc (the client's own
confirmation key). The other crossings run in the thorough run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    deadline_after,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_NAME = "crossed.bin"
_TIMEOUT = 5.0
_CLOSE_WITHIN = 2.5  # ERR-3's 2 s for a close "at once", and a margin for a loaded host
_PASSWORD = fresh_password()

# (key, nonce, AD label) of a crossed confirmation; the plaintext stays the right one.
Seal = Callable[[eke.SessionKeys], tuple[bytes, bytes, bytes]]

_C2: dict[str, tuple[Seal, tuple[str, ...]]] = {
    "as-c4": (lambda k: (k.kcs, eke.N4, b"EKE4"), ("EKE-HS-4",)),
    "under-kcc": (lambda k: (k.kcc, eke.N2, b"EKE2"), ("EKE-HS-4", "EKE-KS-4")),
    "nonce-n4": (lambda k: (k.kcs, eke.N4, b"EKE2"), ("EKE-HS-4",)),
    "ad-eke4": (lambda k: (k.kcs, eke.N2, b"EKE4"), ("EKE-HS-4",)),
    "as-c3": (lambda k: (k.kcc, eke.N3, b"EKE3"), ("EKE-HS-4", "EKE-KS-4")),
    "under-s2c-record-key": (lambda k: (k.key_s2c, eke.N2, b"EKE2"), ("EKE-HS-4", "EKE-KS-4")),
}
_C4: dict[str, tuple[Seal, tuple[str, ...]]] = {
    "under-kcc": (lambda k: (k.kcc, eke.N4, b"EKE4"), ("EKE-HS-7", "EKE-KS-4")),
    "as-c2": (lambda k: (k.kcs, eke.N2, b"EKE2"), ("EKE-HS-7",)),
    "nonce-n2": (lambda k: (k.kcs, eke.N2, b"EKE4"), ("EKE-HS-7",)),
    "ad-eke2": (lambda k: (k.kcs, eke.N4, b"EKE2"), ("EKE-HS-7",)),
    "as-c3": (lambda k: (k.kcc, eke.N3, b"EKE3"), ("EKE-HS-7", "EKE-KS-4")),
    "under-s2c-record-key": (lambda k: (k.key_s2c, eke.N4, b"EKE4"), ("EKE-HS-7", "EKE-KS-4")),
}
_DEFAULT = {("c2", "as-c4"), ("c4", "under-kcc")}


def _params(which: str, table: dict[str, tuple[Seal, tuple[str, ...]]]) -> list[object]:
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.req(*reqs)]
            + ([] if (which, name) in _DEFAULT else [pytest.mark.slow]),
        )
        for name, (_, reqs) in table.items()
    ]


def _pw(target: Target) -> bytes:
    return eke_pw(client_user(target), _PASSWORD)


def _refused(case_ok: bool, what: str, expected: str, problems: list[str], note: str) -> None:
    if problems or not case_ok:
        raise ConformanceFailure.evidence(what, expected, "; ".join(problems), note=note)


@pytest.mark.parametrize("crossing", _params("c2", _C2))
def test_client_refuses_a_c2_sealed_as_another_confirmation(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    crossing: str,
    request: pytest.FixtureRequest,
) -> None:
    """EKE2 with the right B and a C2 sealed under a crossed key, nonce or associated data:
    `EROR auth_failed`, no EKE3, the login fails."""
    skip_slow_variant(request)
    pw = _pw(eke_target)
    seal = _C2[crossing][0]
    answer: list[str] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        if server.keys is None:  # the client's A did not decode under pw: judged elsewhere
            answer.append("(the client's EKE1 did not decode under its password)")
            return
        key, nonce, label = seal(server.keys)
        c2 = eke.aead_seal(key, nonce, server.ns, label + server.keys.th)
        raw.send_frame(b"EKE2", {"b": eke2["b"], "c": c2.hex()})
        got = read_frame(raw, view, _TIMEOUT)
        answer.append(got.describe(80) if isinstance(got, ReceivedFrame) else got.describe())

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )
    if not answer:
        raise RuntimeError(f"the client under test sent no EKE1\n{case.describe()}")
    if answer[0].startswith("(the client"):
        pytest.skip(f"{answer[0]}: {case.describe()}")
    problems = []
    if case.view.saw("EKE3"):
        problems.append("it sent EKE3 (it took the crossed C2 as the server's confirmation)")
    elif not case.view.saw("EROR") or "auth_failed" not in answer[0]:
        problems.append(f"its answer was {answer[0]}, not EROR auth_failed")
    if case.result.succeeded or case.result.kept_file:
        problems.append("it reported success")
    _refused(
        not problems,
        f"EKE-HS-4: EKE2 whose C2 is sealed {crossing} (the right Ns inside)",
        'EROR auth_failed, no EKE3, non-zero exit: C2 opens only as AEAD(Kcs, N2, Ns, "EKE2" ‖ th)',
        problems,
        case.describe(),
    )


@pytest.mark.parametrize("crossing", _params("c4", _C4))
def test_client_refuses_a_c4_sealed_as_another_confirmation(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    crossing: str,
    request: pytest.FixtureRequest,
) -> None:
    """An honest EKE2, then EKE4 whose C4 holds the client's Na but is sealed under a crossed
    key, nonce or associated data: no request, the connection closed, the login fails."""
    skip_slow_variant(request)
    pw = _pw(eke_target)
    seal = _C4[crossing][0]
    after: list[str] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            server.on_eke3(event.json() or {})
        except eke.EkeError:
            after.append("(the client's EKE3 did not verify: judged elsewhere)")
            return
        assert server.keys is not None
        key, nonce, label = seal(server.keys)
        c4 = eke.aead_seal(key, nonce, server.na, label + server.keys.th)
        raw.send_frame(b"EKE4", {"c": c4.hex()})
        deadline = deadline_after(_CLOSE_WITHIN)
        for _ in range(4):  # an EROR, then the close; bounded
            got = raw.recv_frame(deadline)
            if isinstance(got, ReceivedFrame):
                view.frames.append(got.describe(80))
                if got.type == b"EROR":
                    continue
                after.append(f"it sent {got.describe(80)} after the crossed EKE4")
            elif isinstance(got, Closed):
                after.append("closed")
            elif isinstance(got, TimedOut):
                after.append(f"the connection still open {_CLOSE_WITHIN:g} s after EKE4")
            else:
                after.append(got.describe())
            return

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )
    if not case.view.saw("EKE1"):
        raise RuntimeError(f"the client under test sent no EKE1\n{case.describe()}")
    if not after:
        raise RuntimeError(f"the client sent no EKE3 after an honest EKE2\n{case.describe()}")
    if after[0].startswith("(the client"):
        pytest.skip(f"{after[0]}: {case.describe()}")
    problems = [a for a in after if a != "closed"]
    if case.result.succeeded or case.result.kept_file:
        problems.append("it reported success")
    _refused(
        not problems,
        f"EKE-HS-7: EKE4 whose C4 is sealed {crossing} (the client's own Na inside)",
        "no request, the connection closed, non-zero exit: C4 opens only as AEAD(Kcs, N4, "
        'Na, "EKE4" ‖ th)',
        problems,
        case.describe(),
    )
