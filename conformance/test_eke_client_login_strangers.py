"""An sft-eke/1 CLIENT reads the login's frames by the exact rules: an application frame,
a member name in another case, a JSON constant — none of them is a step of the login
(SPEC EKE-HS-9, FRM-9).

The suite plays a server that knows the password and, in place of an honest EKE2 (or,
after the client's EKE3, EKE4), sends one of:

* [EKE-HS-9] a frame of the application protocol in clear: `BYE_ {}` (the server
  "leaving" before the login ended), `RSFL`, `DATA`. "Handshake frames MUST arrive in
  order EKE1, EKE2, EKE3, EKE4; any other frame before the record phase (except EROR) is
  unexpected_frame": the client answers `EROR unexpected_frame`. A client that reads a
  `BYE_` as a polite close (closing without a word), or skips the frame, breaks it.
* [FRM-9] the honest members under names in another case (`{"B": …, "C": …}`; EKE4's
  `{"C": …}`): JSON member names are compared exactly, so the frame lacks its required
  members and is `bad_frame` (the client may close without an EROR). A reader that folds
  case — or looks names up through a case-insensitive map — goes on with the login.
* [FRM-9] the honest members and a member the schema does not define holding `Infinity`
  (EKE2) or `-Infinity` (EKE4): not JSON (RFC 8259), so `bad_frame` even though FRM-10
  would ignore the member. A login parsed by a plain JSON parser (the record phase's
  strict one not reused) takes the frame.

In place of EKE4 a client may also take an EKE4 lacking its `c` for the server's
failure to prove itself (EKE-HS-7: close, and tell its user) and say `auth_failed`: the
SPEC does not say which of FRM-9 and EKE-HS-7 comes first there (one independent client
answers so), so that variant accepts it.

In every case the client must not go on with the login (no EKE3 after a bad EKE2, no
record after a bad EKE4) and its get fails: non-zero exit, nothing under the final name.
If the client says nothing within a few seconds, the honest frame follows: a client that
skipped the bad one then shows it.

A member name written with JSON escapes (`"\\u0062"` is `b`) is the same name: the
positive variant `eke2-member-names-escaped` checks that a client compares decoded names
(a client comparing the raw text refuses an honest server's frame).
"""

from __future__ import annotations

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
_CONTENT = b"the login came first\n"
_TIMEOUT = 5.0
# How long the suite waits for the client's answer to the bad frame before it sends the
# honest one (a client that skipped the bad frame then goes on).
_ANSWER_WITHIN = 3.0
_PASSWORD = fresh_password()

# The bad frame from the honest one's members (hex strings).
Make = Callable[[dict[str, str]], bytes]


def _plain(frame_type: str, payload: bytes) -> Make:
    return lambda _honest: frame_bytes(frame_type, payload)


def _upper_names(step: str) -> Make:
    return lambda honest: frame_bytes(step, control({k.upper(): v for k, v in honest.items()}))


def _escaped_names(step: str) -> Make:
    def make(honest: dict[str, str]) -> bytes:
        members = ",".join(f'"\\u{ord(k):04x}":"{v}"' for k, v in honest.items())
        return frame_bytes(step, ("{" + members + "}").encode())

    return make


def _with_constant(step: str, constant: bytes) -> Make:
    def make(honest: dict[str, str]) -> bytes:
        body = control(honest)
        return frame_bytes(step, body[:-1] + b',"x":' + constant + b"}")

    return make


# label: (the step it replaces, how, requirement, what the client owes: "refuse" with the
# EROR codes it may send — "close" meaning the close alone is enough — or "accept")
_CASES: dict[str, tuple[str, Make, str, tuple[str, ...]]] = {
    "bye-in-place-of-eke2": ("EKE2", _plain("BYE_", b"{}"), "EKE-HS-9", ("unexpected_frame",)),
    "bye-in-place-of-eke4": ("EKE4", _plain("BYE_", b"{}"), "EKE-HS-9", ("unexpected_frame",)),
    "rsfl-in-place-of-eke2": (
        "EKE2",
        _plain("RSFL", control({"name": _NAME, "size": len(_CONTENT)})),
        "EKE-HS-9",
        ("unexpected_frame",),
    ),
    "data-in-place-of-eke2": ("EKE2", _plain("DATA", _CONTENT), "EKE-HS-9", ("unexpected_frame",)),
    "eke2-member-names-upper-case": (
        "EKE2",
        _upper_names("EKE2"),
        "FRM-9",
        ("bad_frame", "close"),
    ),
    "eke4-member-name-upper-case": (
        "EKE4",
        _upper_names("EKE4"),
        "FRM-9",
        ("bad_frame", "close", "auth_failed"),
    ),
    "eke2-infinity-in-extra-member": (
        "EKE2",
        _with_constant("EKE2", b"Infinity"),
        "FRM-9",
        ("bad_frame", "close"),
    ),
    "eke4-minus-infinity-in-extra-member": (
        "EKE4",
        _with_constant("EKE4", b"-Infinity"),
        "FRM-9",
        ("bad_frame", "close"),
    ),
    "eke2-member-names-escaped": ("EKE2", _escaped_names("EKE2"), "FRM-9", ()),
}
# Each variant costs a client run: one per slip stays in the default run.
_DEFAULT = frozenset(
    {"bye-in-place-of-eke2", "eke2-member-names-upper-case", "eke2-infinity-in-extra-member"}
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
                *([] if label in _DEFAULT else [pytest.mark.slow]),
            ],
            id=label,
        )
        for label, (_step, _make, requirement, _owed) in _CASES.items()
    ],
)
def test_client_takes_only_the_login_frame_it_awaits(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    label: str,
    request: pytest.FixtureRequest,
) -> None:
    """The frame of `label` (module docstring) in place of the honest login frame: the
    client refuses it (the EROR owed, or for a malformed frame the close) and never goes
    on with the login; or, for the positive variant, takes it and logs in."""
    skip_slow_variant(request)
    step, make, requirement, owed = _CASES[label]
    pw = eke_pw(client_user(eke_target), _PASSWORD)
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
        if isinstance(answer, TimedOut) and owed:
            seen["waited"] = True
            raw.send_frame(step.encode(), honest)
            answer = _answer(raw, view, _TIMEOUT)
        seen["answer"] = answer
        if not owed:
            return  # the positive variant: its EKE3 (or not) is all the case needs
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
    went_on = "EKE3" if step == "EKE2" else "RECD"
    took_it = case.view.saw(went_on) or (step == "EKE2" and case.view.saw("RECD"))
    if not owed:  # the positive variant: the same names, written with escapes
        if not took_it:
            shown = answer.describe(80) if hasattr(answer, "describe") else repr(answer)
            failure = ConformanceFailure.evidence(
                f"{requirement}: an honest {step} whose member names are JSON escapes "
                '("\\u0062" for b)',
                f"the client takes it (the names decode to the schema's) and sends {went_on}",
                f"it did not go on with the login: {shown}",
                note=case.describe(),
            )
            failure.violates = (requirement,)
            raise failure
        return
    problems = []
    if took_it:
        problems.append(f"it went on with the login (sent {went_on})")
    if isinstance(answer, ReceivedFrame):
        if answer.type != b"EROR" or answer.error_name not in owed:
            problems.append(f"it answered {answer.describe(80)}, not EROR {owed[0]}")
    elif "close" not in owed:
        shown = answer.describe() if hasattr(answer, "describe") else repr(answer)
        problems.append(f"it sent no EROR {owed[0]} ({shown})")
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
        expected = (
            f"EROR {owed[0]} (or the close), no step further in the login, the get failed"
            if "close" in owed
            else f"EROR {owed[0]} at once, no step further in the login, the get failed"
        )
        failure = ConformanceFailure.evidence(
            f"{requirement}: in place of the honest {step}, {label.replace('-', ' ')}",
            expected,
            "; ".join(problems) + waited,
            note=case.describe(),
        )
        failure.violates = (requirement,)
        raise failure
