"""Three places an sft-eke/1 CLIENT's rules are defined in one section and met in another,
each a class an implementer's own server never exercises (ERR-3, ERR-4, ERR-8, FRM-5,
EKE-REC-3).

- ERR-3: "every fatal `EROR` an initiator receives, in any state — answering its request
  or its login, in a get's `DATA` …: it sends nothing more on that connection, not a
  `BYE_`". A get's DATA loop that reads an `EROR` itself and fails the get without
  dropping the connection leaves the close path to say `BYE_`.
- ERR-4 / ERR-8: the code decides, and a code is a JSON integer in 0 … 2^63−1. A code kept
  in 32 bits reads 2^32 + 6 as `not_found` (a non-fatal refusal, after which the client
  stays and says `BYE_`); an `EROR` without `code` repaired from its `name` does the same.
  Both end the connection: nothing follows but, for the malformed one, an `EROR bad_frame`.
- FRM-5 / EKE-HS-9: `NOOP` and `PING` are undefined types "never skipped", in the login too
  (before the record phase only `EROR` may stand in for the next handshake frame). A login
  reader that skips a clear keep-alive answers the honest `EKE2` after it with `EKE3`.
- EKE-REC-3: the associated data is the RECORD's 8-byte header, for every record — a put's
  DATA records too, which a zero-copy sealer builds on a path of its own (the inner frame's
  header is another 8 bytes, easily taken for it).
(PWF-2's encoded echoes of a server's message: test_eke_client_encoded_echoes.py.)

Every wait is bounded (a few frames, 2 s). The client is launched from `--client-cmd`
(and `--client-put-cmd` for the put).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance import eke
from conformance import test_client_put as puts
from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    frames_until_close,
    fresh_password,
    read_frame,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_eke_client_farewell_frames import _shown, _watch
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, control

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_WATCH = 2.0
_FRAMES = 8

# ---------------------------------------------------------------- EROR that ends it


def _fatal_mid_data(s: lies.LyingServer) -> None:
    s.rsfl()
    s.data(lies.CONTENT[:2000])
    s.frame("EROR", control({"code": 11, "name": "internal", "message": "suite: disk"}))


def _timeout_mid_data(s: lies.LyingServer) -> None:
    s.rsfl()
    s.data(lies.CONTENT[:2000])
    s.frame("EROR", control({"code": 10, "name": "timeout", "message": "suite: idle"}))


def _wide_code(s: lies.LyingServer) -> None:
    # 2^32 + 6: an integer of FRM-11's range that the table does not list (internal, fatal);
    # its low 32 bits are not_found's code.
    s.frame(
        "EROR", control({"code": 2**32 + 6, "name": "not_found", "message": "suite: none"})
    )


def _no_code(s: lies.LyingServer) -> None:
    s.frame("EROR", control({"name": "not_found", "message": "suite: none"}))


def _null_code(s: lies.LyingServer) -> None:
    s.frame("EROR", control({"code": None, "name": "not_found", "message": "suite: none"}))


_ENDERS = {
    "fatal-internal-among-data": (_fatal_mid_data, "ERR-3"),
    "fatal-timeout-among-data": (_timeout_mid_data, "ERR-3"),
    "code-2^32+6": (_wide_code, "ERR-4"),
    "code-missing": (_no_code, "ERR-8"),
    "code-null": (_null_code, "ERR-8"),
}


@pytest.mark.req("ERR-3", "ERR-4", "ERR-8")
@pytest.mark.parametrize("ender", list(_ENDERS))
def test_client_sends_no_bye_after_an_eror_that_ends_the_connection(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, ender: str
) -> None:
    """The server's EROR ({ender}) ends the connection: the get fails and the client
    sends nothing after it (for a malformed EROR at most its own EROR bad_frame), no
    BYE_."""
    lie, rule = _ENDERS[ender]
    box: dict[str, list[ReceivedFrame]] = {}

    def serve(s: lies.LyingServer) -> None:
        lie(s)
        box["after"] = _watch(s)
        s.close()

    case, _server = lies._run_lie(eke_target, tmp_path, transcripts, serve)
    sent = box.get("after", [])
    allowed = 1 if rule == "ERR-8" and sent and sent[0].error_name == "bad_frame" else 0
    later = sent[allowed:]
    problems = []
    if later:
        problems.append(f"after the EROR it sent {_shown(sent)}")
    if case.result.succeeded or case.result.kept_file:
        problems.append("the get succeeded")
    if problems:
        failure = ConformanceFailure.evidence(
            f"{rule}: the server's EROR ({ender}) ends the connection",
            "the client processes nothing more and sends nothing more on it, not a BYE_ "
            + ("(it MAY answer the malformed EROR bad_frame) " if rule == "ERR-8" else "")
            + "and the get fails",
            "; ".join(problems)
            + {
                "ERR-3": " (the get's DATA loop failed the get but kept the connection)",
                "ERR-4": " (the code cut to 32 bits: 2^32 + 6 read as not_found)",
                "ERR-8": " (a missing code repaired from the name: a non-fatal refusal)",
            }[rule],
            note=case.describe(),
        )
        failure.violates = (rule,)
        raise failure


# ---------------------------------------------------------------- clear keep-alives


_KEEPALIVES = [
    pytest.param("NOOP", "EKE2", id="noop-before-eke2"),
    pytest.param("PING", "EKE4", id="ping-before-eke4"),
    pytest.param("PING", "EKE2", id="ping-before-eke2", marks=pytest.mark.slow),
    pytest.param("NOOP", "EKE4", id="noop-before-eke4", marks=pytest.mark.slow),
]


@pytest.mark.req("FRM-5", "EKE-HS-9")
@pytest.mark.parametrize(("stray", "before"), _KEEPALIVES)
def test_client_login_takes_no_clear_keepalive(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    stray: str,
    before: str,
    request: pytest.FixtureRequest,
) -> None:
    """A clear {stray} {{}} right before an honest {before}: an undefined type, never
    skipped — the client goes no further (no EKE3 for that EKE2, no record after that
    EKE4) and the get fails."""
    skip_slow_variant(request)
    box: dict[str, list[str]] = {"after": []}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _WATCH)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        if before == "EKE2":
            raw.send_frame(stray.encode(), control({}))
            raw.send_frame(b"EKE2", eke2)
        else:
            raw.send_frame(b"EKE2", eke2)
            event = read_frame(raw, view, _WATCH)
            if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
                return
            eke4 = server.on_eke3(event.json() or {})
            raw.send_frame(stray.encode(), control({}))
            raw.send_frame(b"EKE4", eke4)
        box["sent"] = ["yes"]
        after = frames_until_close(lambda left: read_frame(raw, view, left), _WATCH, _FRAMES)
        box["after"].extend(f.type_text for f in after)

    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name="keepalive.bin", password=password
    )
    if "sent" not in box:
        raise RuntimeError(
            f"the client never reached the {before} of this case (is --client-cmd right?)\n"
            f"{case.describe()}"
        )
    went_on = "EKE3" if before == "EKE2" else "RECD"
    problems = []
    if went_on in box["after"]:
        problems.append(f"it went on with {went_on} (it sent {box['after']})")
    if case.result.succeeded or case.result.kept_file:
        problems.append("the get succeeded")
    if problems:
        raise ConformanceFailure.evidence(
            f"FRM-5: a clear {stray} {{}} (an undefined type) right before an honest {before}",
            "an undefined type is answered unexpected_frame (fatal), never skipped, in the "
            f"login too: the client sends no {went_on} and the get fails",
            "; ".join(problems) + " (the keep-alive skipped)",
            note=case.describe(),
        )


# ---------------------------------------------------------------- a put's DATA records


@pytest.mark.req("EKE-REC-3", "EKE-REC-1")
def test_client_put_data_records_authenticate_under_their_header(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A put of 3 000 bytes to an honest responder: every record the client seals — its
    DATA records, built on a zero-copy path, included — opens under the record's own 8-byte
    header as associated data, and the responder receives the file and DONE."""
    content = secrets.token_bytes(3000)
    put = puts._run_put(eke_target, tmp_path, transcripts, puts.Answer(), content)
    data = b"".join(f.payload for f in put.seen.sending if f.type == b"DATA")
    dones = [f for f in put.seen.sending if f.type == b"DONE"]
    if data != content or not dones:
        failure = ConformanceFailure.evidence(
            "EKE-REC-3: a put of 3 000 bytes to an honest responder, after its acceptance",
            "each record's associated data is its own 8-byte header (RECD | u32be(len C)): "
            "the responder opens every DATA record and the DONE, and gets the file",
            f"the responder received {len(data)} of {len(content)} bytes and "
            f"{'a' if dones else 'no'} DONE; the connection: {put.seen.ended or 'open'} "
            "(DATA records sealed under another AD, e.g. the inner frame's header?)",
            note=put.describe(),
        )
        failure.violates = ("EKE-REC-3",)
        raise failure
