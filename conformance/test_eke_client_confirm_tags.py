"""An sft-eke/1 CLIENT checks the whole of each confirmation and each handshake value, and
says nothing secret when it refuses one.

The suite plays a server that answers with one thing wrong at the END of a value, where a
check of part of it does not look:

* [EKE-HS-4] C2 whose GCM tag has its LAST byte flipped: a tag checked on 12 (or 8, or 15)
  of its 16 bytes still passes. The client answers `EROR auth_failed`, sends no EKE3.
* [EKE-HS-7] C4 whose GCM tag has its last byte flipped: the client sends no request and
  closes at once (within 2 s, as ERR-3 allows for a close): a client that waits for the
  server to hang up first is still holding the impostor's connection.
* [FRM-12] EKE2's `b` in a form a big-integer parser takes: two leading zero digits (770
  digits), a `0x` prefix. `b` is exactly 768 lowercase hex digits: no EKE3.
* [ERR-5], [EKE-PW-3] the EROR the client sends for each of these carries no 8-byte window
  of pw, Z, PRK or a derived key (in lower or upper case hex), nor the password: neither on
  the auth_failed path nor on the bad_frame path.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
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

NAME = "offered.bin"
_TIMEOUT = 5.0
_CLOSE_WITHIN = 2.0  # ERR-3's allowance for a close "at once"
_PASSWORD = fresh_password()


def _pw(target: Target) -> bytes:
    return eke_pw(client_user(target), _PASSWORD)


def _run(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    behaviour: Any,
) -> ClientCase:
    return run_case(
        target, tmp_path, transcripts, behaviour, name=NAME, password=_PASSWORD, timeout=_TIMEOUT
    )


def _flip_last(hex_value: str) -> str:
    raw = bytearray(bytes.fromhex(hex_value))
    raw[-1] ^= 0x01
    return raw.hex()


def _secrets(pw: bytes, keys: eke.SessionKeys | None) -> dict[str, bytes]:
    found = {"pw": pw}
    if keys is not None:
        for name in ("z", "prk", "kcs", "kcc", "key_c2s", "key_s2c"):
            found[name] = getattr(keys, name)
    return found


def _leaks(message: str, pw: bytes, keys: eke.SessionKeys | None) -> list[tuple[str, str]]:
    """(requirement, what) for every secret an EROR message shows (8-byte hex windows)."""
    shown: list[tuple[str, str]] = []
    lowered = message.lower()
    if _PASSWORD in message:
        shown.append(("EKE-PW-3", "the password"))
    for name, value in _secrets(pw, keys).items():
        for start in range(len(value) - 7):
            if value[start : start + 8].hex() in lowered:
                requirement = "EKE-PW-3" if name == "pw" else "ERR-5"
                shown.append((requirement, f"8 bytes of {name} (offset {start}) in hex"))
                break
    return shown


def _errors_sent(view: ServerView) -> list[str]:
    return [f for f in view.frames if f.startswith("EROR")]


def _judge_secrets(
    what: str, eror: ReceivedFrame | None, pw: bytes, keys: eke.SessionKeys | None
) -> None:
    if eror is None:
        return
    message = str((eror.json() or {}).get("message", ""))
    shown = _leaks(message, pw, keys)
    if shown:
        failure = ConformanceFailure.evidence(
            what,
            "an EROR whose message holds no secret (ERR-5) and nothing computed from the "
            "password (EKE-PW-3)",
            f"its EROR message {message[:200]!r} shows {[w for _, w in shown]}",
        )
        failure.violates = tuple(sorted({r for r, _ in shown}))
        raise failure


class _Seen:
    eror: ReceivedFrame | None = None
    keys: eke.SessionKeys | None = None
    after_eke4: str = ""
    closed_after: float | None = None


# ------------------------------------------------------------------ C2


@pytest.mark.req("EKE-HS-4", "ERR-5", "EKE-PW-3")
def test_client_refuses_a_c2_whose_tag_ends_wrong(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[EKE-HS-4] An honest EKE2 whose C2 has the last byte of its GCM tag flipped: C2 does
    not verify, so the client answers `EROR auth_failed` and stops (no EKE3). A client
    that checks a truncated tag (96 bits is a common GCM setting) goes on. Its EROR
    carries no secret [ERR-5], [EKE-PW-3]."""
    pw = _pw(eke_target)
    seen = _Seen()

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        seen.keys = server.keys
        raw.send_frame(b"EKE2", {"b": eke2["b"], "c": _flip_last(eke2["c"])})
        answer = read_frame(raw, view, _TIMEOUT)
        if isinstance(answer, ReceivedFrame) and answer.type == b"EROR":
            seen.eror = answer
            read_frame(raw, view, _TIMEOUT)

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    problems = []
    if case.view.saw("EKE3"):
        problems.append("it sent EKE3 (took C2 as verified)")
    if not case.view.saw("EROR auth_failed"):
        problems.append(f"no EROR auth_failed (it sent {_errors_sent(case.view) or 'none'})")
    if case.result.succeeded or case.result.kept_file:
        problems.append("it reported success")
    if problems:
        raise ConformanceFailure.evidence(
            "EKE-HS-4: C2 with the last byte of its GCM tag flipped",
            "EROR auth_failed, no EKE3, non-zero exit",
            "; ".join(problems),
            note=case.describe(),
        )
    _judge_secrets("its EROR answering a C2 that does not verify", seen.eror, pw, seen.keys)


# ------------------------------------------------------------------ C4


@pytest.mark.req("EKE-HS-7", "ERR-5", "EKE-PW-3")
def test_client_closes_at_once_on_a_c4_whose_tag_ends_wrong(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[EKE-HS-7] An honest handshake whose EKE4 has the last byte of C4's GCM tag flipped:
    the server has not proven it knows the password. The client sends no request and
    closes — at once (within 2 s; the suite keeps its side open): a client that waits for
    the server to close first, or checks a truncated tag, fails. An EROR before the close
    is allowed; it carries no secret."""
    pw = _pw(eke_target)
    seen = _Seen()

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        eke4 = server.on_eke3(event.json() or {})
        seen.keys = server.keys
        raw.send_frame(b"EKE4", {"c": _flip_last(eke4["c"])})
        sent = time.monotonic()
        deadline = deadline_after(_CLOSE_WITHIN + 0.5)
        while True:
            got = raw.recv_frame(deadline)
            if isinstance(got, ReceivedFrame):
                view.frames.append(got.describe(80))
                if got.type == b"EROR" and seen.eror is None:
                    seen.eror = got
                    continue
                seen.after_eke4 = got.describe(80)
                return
            if isinstance(got, Closed):
                seen.closed_after = time.monotonic() - sent
            elif isinstance(got, TimedOut):
                seen.after_eke4 = f"still open {_CLOSE_WITHIN + 0.5:g} s after EKE4"
            else:
                seen.after_eke4 = got.describe()
            return

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    problems = []
    if seen.after_eke4:
        problems.append(seen.after_eke4)
    elif seen.closed_after is not None and seen.closed_after > _CLOSE_WITHIN:
        problems.append(f"closed {seen.closed_after:.2f} s after EKE4")
    if case.result.succeeded or case.result.kept_file:
        problems.append("it reported success")
    if problems:
        raise ConformanceFailure.evidence(
            "EKE-HS-7: C4 with the last byte of its GCM tag flipped",
            f"no request, the connection closed within {_CLOSE_WITHIN:g} s, non-zero exit",
            "; ".join(problems),
            note=case.describe(),
        )
    _judge_secrets("its EROR answering a C4 that does not verify", seen.eror, pw, seen.keys)


# ------------------------------------------------------------------ b in a big-integer form

_B_FORMS = {
    "leading-zeros": lambda b: "00" + b,
    "0x-prefix": lambda b: "0x" + b,
}


@pytest.mark.req("FRM-12", "ERR-5", "EKE-PW-3")
@pytest.mark.parametrize("form", list(_B_FORMS))
def test_client_refuses_eke2_b_in_a_big_integer_form(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, form: str
) -> None:
    """[FRM-12] EKE2's `b` is exactly 768 lowercase hex digits. Here it is the honest B with
    two leading zero digits, or with `0x` in front: the value a big-integer parser reads
    is the honest one, and C2 is sealed over the honest transcript, so a client that
    parses `b` as a number goes on with EKE3. The client refuses it (bad_frame; the
    code is not judged) and sends no EKE3; its EROR carries no secret."""
    pw = _pw(eke_target)
    seen = _Seen()

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        seen.keys = server.keys
        raw.send_frame(b"EKE2", {"b": _B_FORMS[form](eke2["b"]), "c": eke2["c"]})
        answer = read_frame(raw, view, _TIMEOUT)
        if isinstance(answer, ReceivedFrame) and answer.type == b"EROR":
            seen.eror = answer
            read_frame(raw, view, _TIMEOUT)

    case = _run(eke_target, tmp_path, transcripts, behaviour)
    problems = []
    if case.view.saw("EKE3"):
        problems.append("it sent EKE3 (took b)")
    if case.result.succeeded or case.result.kept_file:
        problems.append("it reported success")
    if problems:
        raise ConformanceFailure.evidence(
            f"FRM-12: EKE2 whose b is the honest B in the form {form}",
            "the EKE2 refused (no EKE3), non-zero exit",
            "; ".join(problems),
            note=case.describe(),
        )
    _judge_secrets(f"its EROR answering a b in the form {form}", seen.eror, pw, seen.keys)
