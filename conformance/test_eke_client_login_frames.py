"""An sft-eke/1 CLIENT reads the login's clear frames by the same rules as its records.

Before EKE4 the frames travel in clear, and a client often reads them with code of their
own (a handshake reader beside the record reader): a rule checked in the record phase can
be missing there. The suite plays a server that knows the password and sends, in place
of an honest login frame, one that breaks a rule of §1 or §2; the client must refuse it
(`EROR` with the rule's code, or the close) and never go on with the login:

* [FRM-2] EKE2 (or, after the client's EKE3, EKE4) with type bytes outside `A-Z 0-9 _`:
  lower case (`eke2`), a space, a NUL. It is `bad_frame` — not `unexpected_frame`: the
  header is malformed before any state is consulted. A reader that looks the type up in
  its state table without the syntax check answers `unexpected_frame`.
* [FRM-9] EKE2 (or EKE4) whose JSON repeats a key (`b` twice, `c` twice, a key twice
  in a member the schema does not define), carries `NaN` in such a member, or holds a
  string that is not UTF-8: malformed whatever the values. A handshake parsed with a
  plain JSON parser (the record phase's strict one not reused) takes the last value.
* [ERR-8] a malformed `EROR` in place of EKE2 (no `code`; `code` a string, a fraction, a
  negative number, `true`; a payload that is not an object), the honest EKE2 right
  behind it in the same write: a malformed EROR still ends the connection; a client that
  skips it as noise reads the EKE2 and answers EKE3.

And at the end of a failed login:

* [EKE-HS-4, ERR-3] an EKE2 whose C2 does not open, or whose B hides X' = 1: one `EROR
  auth_failed`, then the close at once — not a second EROR (a handshake core's and its
  adapter's), nor any other frame.

The client may close without an `EROR`; one it sends is `bad_frame`. It never answers
with EKE3 (or, after a bad EKE4, with a record), and its get fails: non-zero exit,
nothing under the final name.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    honest_eke2,
    read_frame,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_NAME = "offered.txt"
_TIMEOUT = 5.0
# How long the suite waits for the client's answer to the bad frame before it sends the
# honest one (a client that waits for "the rest" then shows what it does with it).
_ANSWER_WITHIN = 3.0
_PASSWORD = fresh_password()


def _pw(target: Target) -> bytes:
    return eke_pw(client_user(target), _PASSWORD)


def _json_text(members: list[tuple[str, str]]) -> bytes:
    """A JSON object written member by member (`value` is JSON text): keys may repeat."""
    return ("{" + ",".join(f'"{key}":{value}' for key, value in members) + "}").encode()


def _q(text: str) -> str:
    return f'"{text}"'


# How the bad frame is made from the honest one: (frame type, payload) from the honest
# frame's members. Each returns the bytes to send in place of the honest frame.
Make = Callable[[dict[str, str]], bytes]


def _retyped(frame_type: bytes) -> Make:
    return lambda obj: frame_bytes(frame_type, control(obj))


def _repeated(key: str) -> Make:
    def make(obj: dict[str, str]) -> bytes:
        members = [(k, _q(v)) for k, v in obj.items()]
        at = [k for k, _ in members].index(key)
        members.insert(at + 1, (key, _q(obj[key])))  # the same value again
        return frame_bytes(_TYPE_OF[tuple(sorted(obj))], _json_text(members))

    return make


def _with_extra(text: bytes) -> Make:
    """The honest members, then a member `x` the schema does not define, as raw JSON."""

    def make(obj: dict[str, str]) -> bytes:
        body = _json_text([(k, _q(v)) for k, v in obj.items()])
        return frame_bytes(_TYPE_OF[tuple(sorted(obj))], body[:-1] + b',"x":' + text + b"}")

    return make


def _bad_eror(payload: bytes) -> Make:
    """A malformed EROR, with the honest frame right behind it (one write)."""

    def make(obj: dict[str, str]) -> bytes:
        return frame_bytes("EROR", payload) + frame_bytes(
            _TYPE_OF[tuple(sorted(obj))], control(obj)
        )

    return make


_TYPE_OF = {("b", "c"): "EKE2", ("c",): "EKE4"}

# label: (the step it replaces, how, requirement)
_BAD: dict[str, tuple[str, Make, str]] = {
    "eke2-type-lower-case": ("EKE2", _retyped(b"eke2"), "FRM-2"),
    "eke2-type-with-a-space": ("EKE2", _retyped(b"EKE "), "FRM-2"),
    "eke2-type-with-a-nul": ("EKE2", _retyped(b"EKE\x00"), "FRM-2"),
    "eke4-type-lower-case": ("EKE4", _retyped(b"eke4"), "FRM-2"),
    "eke2-b-twice": ("EKE2", _repeated("b"), "FRM-9"),
    "eke2-c-twice": ("EKE2", _repeated("c"), "FRM-9"),
    "eke2-nested-key-twice": ("EKE2", _with_extra(b'{"k":1,"k":1}'), "FRM-9"),
    "eke2-nan-in-extra-member": ("EKE2", _with_extra(b"NaN"), "FRM-9"),
    "eke2-string-not-utf8": ("EKE2", _with_extra(b'"\xff\xfe"'), "FRM-9"),
    "eke4-c-twice": ("EKE4", _repeated("c"), "FRM-9"),
    "eror-without-code": ("EKE2", _bad_eror(b'{"name":"busy","message":"x"}'), "ERR-8"),
    "eror-code-a-string": ("EKE2", _bad_eror(b'{"code":"9","name":"busy","message":"x"}'), "ERR-8"),
    "eror-code-a-fraction": (
        "EKE2",
        _bad_eror(b'{"code":9.5,"name":"busy","message":"x"}'),
        "ERR-8",
    ),
    "eror-code-negative": ("EKE2", _bad_eror(b'{"code":-9,"name":"busy","message":"x"}'), "ERR-8"),
    "eror-code-true": ("EKE2", _bad_eror(b'{"code":true,"name":"busy","message":"x"}'), "ERR-8"),
    "eror-not-an-object": ("EKE2", _bad_eror(b"[9]"), "ERR-8"),
}


# Variants the default run leaves out (each costs a client run): the first of each kind
# stays, the others tell the same slips apart only in rarer readers.
_SLOW = frozenset(
    {
        "eke2-type-with-a-space",
        "eke2-type-with-a-nul",
        "eke2-c-twice",
        "eke2-nan-in-extra-member",
        "eke2-string-not-utf8",
        "eror-code-a-fraction",
        "eror-code-negative",
        "eror-code-true",
        "eror-not-an-object",
    }
)


def _answer(raw: RawConnection, view: ServerView, seconds: float) -> Event:
    event = raw.recv_frame(deadline_after(seconds))
    if isinstance(event, ReceivedFrame):
        view.frames.append(event.describe(80))
    elif not isinstance(event, TimedOut):
        view.ended = event.describe()
    return event


@pytest.mark.parametrize(
    "label",
    [
        pytest.param(
            label,
            marks=[
                pytest.mark.req(requirement),
                *([pytest.mark.slow] if label in _SLOW else []),
            ],
            id=label,
        )
        for label, (_step, _make, requirement) in _BAD.items()
    ],
)
def test_client_refuses_a_login_frame_that_breaks_a_frame_rule(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    label: str,
    request: pytest.FixtureRequest,
) -> None:
    """The login frame of `label` (module docstring) in place of the honest one: the
    client answers `EROR bad_frame` or closes, never goes on with the login, and fails
    its get. If it says nothing within `_ANSWER_WITHIN` seconds, the honest frame
    follows: a client that was waiting for "the rest" shows whether it skipped the bad
    one."""
    skip_slow_variant(request)
    step, make, requirement = _BAD[label]
    pw = _pw(eke_target)
    seen: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        honest: dict[str, str] = {k: str(v) for k, v in eke2.items()}
        if step == "EKE4":
            raw.send_frame(b"EKE2", eke2)
            event = read_frame(raw, view, _TIMEOUT)
            if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
                seen["no_eke3"] = event.describe()
                return
            try:
                honest = {k: str(v) for k, v in server.on_eke3(event.json() or {}).items()}
            except eke.EkeError as exc:
                seen["no_eke3"] = f"an EKE3 that does not verify ({exc})"
                return
        seen["sent"] = True
        raw.send_raw(make(honest))
        answer = _answer(raw, view, _ANSWER_WITHIN)
        if isinstance(answer, TimedOut):
            seen["waited"] = True
            raw.send_frame(step.encode(), honest)
            answer = _answer(raw, view, _TIMEOUT)
        seen["answer"] = answer
        # What the client sends next, up to its close (bounded): a record is a login it
        # took for complete.
        end = time.monotonic() + _ANSWER_WITHIN
        for _ in range(4):
            more = _answer(raw, view, max(0.0, end - time.monotonic()))
            if not isinstance(more, ReceivedFrame):
                break

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )
    if "sent" not in seen:
        raise RuntimeError(
            f"the client under test did not log in up to {step} "
            f"({seen.get('no_eke3', 'no EKE1')})\n{case.describe()}"
        )
    answer = seen["answer"]
    problems = []
    went_on = "EKE3" if step == "EKE2" else "RECD"
    if case.view.saw(went_on) or (step == "EKE2" and case.view.saw("RECD")):
        problems.append(f"it went on with the login (sent {went_on})")
    if isinstance(answer, ReceivedFrame) and answer.type == b"EROR":
        if answer.error_name != "bad_frame":
            problems.append(f"it answered {answer.describe(80)}, not bad_frame")
    if case.result.returncode is None:
        problems.append("the client did not end")
    elif case.result.succeeded:
        problems.append("it reported success")
    if case.result.kept_file:
        problems.append("it kept a file")
    if problems:
        waited = (
            " (it said nothing at first: the honest frame followed)" if "waited" in seen else ""
        )
        raise ConformanceFailure.evidence(
            f"{requirement}: in place of the honest {step}, {label.replace('-', ' ')}",
            "EROR bad_frame or the close, no step further in the login, the get failed",
            "; ".join(problems) + waited,
            note=case.describe(),
        )


# -- one EROR, then the close --------------------------------------------------------------

_CLOSE_WITHIN = 2.0  # ERR-3: the close follows the EROR at once (the suite allows 2 s)


@pytest.mark.req("EKE-HS-4", "ERR-3")
@pytest.mark.parametrize("cause", ["c2-does-not-open", "invalid-element"])
def test_client_ends_a_failed_login_with_one_eror_then_the_close(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, cause: str
) -> None:
    """[EKE-HS-4] EKE2 whose C2 does not open (random bytes), or whose B hides an invalid
    element (X' = 1): the client sends `EROR auth_failed` and closes. [ERR-3] The close
    follows that fatal EROR at once: nothing after it — no second EROR (a handshake core
    and its adapter each sending theirs), no other frame — before the FIN."""
    pw = _pw(eke_target)
    seen: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        if cause == "invalid-element":
            if honest_eke2(raw, view, pw, _TIMEOUT, element_override=1) is None:
                return
        else:
            event = read_frame(raw, view, _TIMEOUT)
            if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
                return
            eke2 = eke.ServerHandshake(pw=pw).on_eke1(event.json() or {})
            raw.send_frame(b"EKE2", {"b": eke2["b"], "c": secrets.token_hex(48)})
        seen["sent"] = True
        first = _answer(raw, view, _TIMEOUT)
        seen["first"] = first
        if isinstance(first, ReceivedFrame):
            seen["next"] = _answer(raw, view, _CLOSE_WITHIN)

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )
    if "sent" not in seen:
        raise RuntimeError(f"the client under test sent no EKE1\n{case.describe()}")
    first, after = seen["first"], seen.get("next")
    problems = []
    if isinstance(first, ReceivedFrame) and first.error_name != "auth_failed":
        problems.append(f"its answer was {first.describe(80)}, not EROR auth_failed")
    if isinstance(after, ReceivedFrame):
        problems.append(f"after its EROR it sent {after.describe(80)} before closing")
    elif isinstance(after, TimedOut):
        problems.append(f"after its EROR the connection was still open {_CLOSE_WITHIN:g} s later")
    if case.result.succeeded or case.result.kept_file:
        problems.append(f"the get did not fail ({case.result.describe()})")
    if problems:
        failure = ConformanceFailure.evidence(
            f"EKE-HS-4: an EKE2 whose {cause.replace('-', ' ')}",
            "one EROR auth_failed (or none), then the close at once; the get fails",
            "; ".join(problems),
            note=case.describe(),
        )
        closed_late = isinstance(after, ReceivedFrame | TimedOut)
        failure.violates = ("EKE-HS-4", "ERR-3") if closed_late else ("EKE-HS-4",)
        raise failure
