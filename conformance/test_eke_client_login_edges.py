"""An sft-eke/1 CLIENT's login against a hostile server: a confirmation of the wrong
length, bytes after a `busy` answer, and what a failed login leaves on disk.

* [FRM-12], [EKE-HS-4] EKE2's `c` is exactly 96 hex digits (Ns of 32 bytes and a 16-byte
  tag). The suite seals C2 correctly under the right Kcs, but over an Ns of 31 or 33
  bytes: the confirmation opens, yet it is not the EKE2 of §5.3. A client whose length
  checks are debug assertions (gone under `python -O`) or that trusts the AEAD alone
  answers with an EKE3 of 158 or 162 hex digits; a conforming one refuses EKE2 (EROR
  `bad_frame` or `auth_failed`) and sends no EKE3.
* [ERR-3] `busy` is fatal: nothing after it on that connection is processed. The suite
  sends, in the same segment as its `EROR busy` (retry_after 1 s), a stray EKE2; if the
  client retries (it MAY), the new connection gets an honest handshake that must verify.
  A client that keeps its login's input buffer across connections (a module-level
  buffer, one reader per process) reads the stray EKE2 as the retry's answer and fails.
* [APP-STORE-3], [APP-GET-6] a login that fails (EKE1 answered `throttled`, or a server
  that does not know the password) leaves the output directory as it was: no output
  file, no temporary. A client that reserves its temporary before it logs in (to fail
  early on an unwritable directory) and releases it only once logged in leaves one. The
  same when the server fails to prove itself at EKE4 [EKE-HS-7].

The client is launched from `--client-cmd` (embedded run: the reference's `sft eke get`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    control,
    error_payload,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "edges.bin"
CONTENT = hashlib.sha256(b"sft-eke/1 login edges").digest() * 32  # 1024 bytes
_TIMEOUT = 5.0
_PASSWORD = fresh_password()


def _shown(event: Event) -> str:
    return event.describe(80) if isinstance(event, ReceivedFrame) else event.describe()


def _pw(target: Target) -> bytes:
    return eke_pw(client_user(target), _PASSWORD)


# ---------------------------------------------------------------- C2 of the wrong length


@pytest.mark.req("FRM-12", "EKE-HS-4")
@pytest.mark.parametrize("ns_len", [31, 33], ids=["ns-31-bytes", "ns-33-bytes"])
def test_client_refuses_a_confirmation_of_the_wrong_length(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, ns_len: int
) -> None:
    """EKE2 whose `c` seals an Ns of `ns_len` bytes under the right Kcs (94 or 98 hex
    digits): the client sends no EKE3 (it answers EROR bad_frame or auth_failed, or
    closes) and the get fails."""
    pw = _pw(eke_target)
    seen: dict[str, str] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        if server.keys is None:  # the client's A did not hide a valid element
            seen["bad_a"] = "the client's EKE1 did not hide a valid element"
            return
        ns = (server.ns * 2)[:ns_len]
        c2 = eke.aead_seal(server.keys.kcs, eke.N2, ns, b"EKE2" + server.keys.th)
        raw.send_frame(b"EKE2", {"b": eke2["b"], "c": c2.hex()})
        seen["sent"] = f"EKE2 with c of {len(c2) * 2} hex digits"
        answer = read_frame(raw, view, _TIMEOUT)
        seen["answer"] = _shown(answer)
        if isinstance(answer, ReceivedFrame) and answer.type == b"EKE3":
            seen["eke3"] = str((answer.json() or {}).get("c", ""))

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )
    if "sent" not in seen:
        raise RuntimeError(
            f"the client under test sent no usable EKE1 ({seen.get('bad_a', 'none')})\n"
            f"{case.describe()}"
        )
    if "eke3" in seen or case.result.succeeded:
        raise ConformanceFailure.evidence(
            f"FRM-12: {seen['sent']} (C2 sealed under the right Kcs over an Ns of {ns_len} bytes)",
            "`c` is exactly 96 hex digits: the client refuses EKE2 (EROR bad_frame or "
            "auth_failed, or a close), sends no EKE3, and the get fails",
            f"the client answered {seen.get('answer')}"
            + (f" (c of {len(seen['eke3'])} hex digits)" if "eke3" in seen else "")
            + f"; {case.result.describe()}",
            note=case.describe(),
        )


# ---------------------------------------------------------------- bytes after `busy`


def _busy(retry_after: int) -> bytes:
    obj = json.loads(error_payload("busy", "suite: busy, retry"))
    return control({**obj, "retry_after": retry_after})


@pytest.mark.req("ERR-3")
def test_client_retry_after_busy_ignores_what_followed_the_busy_answer(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The first EKE1 is answered `EROR busy` (retry_after 1 s) followed, in the same
    segment, by an EKE2 computed for that EKE1. [ERR-3] The client processes nothing after
    a fatal EROR: if it retries (it MAY), the retry's honest handshake must verify and the
    get complete; a client that reads the stray EKE2 as the retry's answer fails it."""
    pw = _pw(eke_target)
    seen: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        if "busy" not in seen:
            stray = eke.ServerHandshake(pw=pw).on_eke1(event.json() or {})
            raw.send_raw(frame_bytes("EROR", _busy(1)) + frame_bytes("EKE2", control(stray)))
            seen["busy"] = True
            read_frame(raw, view, _TIMEOUT)  # the client's close
            return
        seen["retried"] = True
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        answer = read_frame(raw, view, _TIMEOUT)
        seen["answer"] = _shown(answer)
        if not isinstance(answer, ReceivedFrame) or answer.type != b"EKE3":
            return
        try:
            eke4 = server.on_eke3(answer.json() or {})
        except eke.EkeError as exc:
            seen["answer"] = f"an EKE3 that does not verify ({exc})"
            return
        seen["verified"] = True
        raw.send_frame(b"EKE4", eke4)
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
        connections=2,
    )
    if "busy" not in seen:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    if not seen.get("retried"):
        return  # it gave up after busy: conforming (a retry is a MAY)
    kept = case.result.out.read_bytes() if case.result.kept_file else None
    if not seen.get("verified") or not case.result.succeeded or kept != CONTENT:
        raise ConformanceFailure.evidence(
            "ERR-3: EROR busy (retry_after 1 s) and, in the same segment, a stray EKE2; "
            "the client retried and got an honest handshake",
            "nothing after the fatal EROR is processed: the retry's handshake verifies "
            "and the get completes",
            f"the client answered the retry's honest EKE2 with {seen.get('answer')}; "
            f"{case.result.describe()}",
            note=case.describe(),
        )


# ---------------------------------------------------------------- a failed login leaves nothing


def _throttled(raw: RawConnection, view: ServerView) -> None:
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return
    obj = json.loads(error_payload("throttled", "suite: too many failures"))
    raw.send_frame(b"EROR", control({**obj, "retry_after": 30}))
    read_frame(raw, view, _TIMEOUT)  # the client's close


def _impostor(raw: RawConnection, view: ServerView) -> None:
    """A server that does not know the password: its C2 cannot open for the client."""
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return
    wrong = hashlib.sha256(b"not the client's password key").digest()
    raw.send_frame(b"EKE2", eke.ServerHandshake(pw=wrong).on_eke1(event.json() or {}))
    read_frame(raw, view, _TIMEOUT)  # its EROR auth_failed, or its close


def _impostor_at_eke4(pw: bytes) -> Callable[[RawConnection, ServerView], None]:
    """An honest EKE2 (the suite knows the password), then an EKE4 that seals another Na:
    the server fails to prove itself at the last step [EKE-HS-7]."""

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        server.on_eke3(event.json() or {})
        assert server.keys is not None
        other = secrets.token_bytes(eke.NONCE_LEN)
        c4 = eke.aead_seal(server.keys.kcs, eke.N4, other, b"EKE4" + server.keys.th)
        raw.send_frame(b"EKE4", {"c": c4.hex()})
        read_frame(raw, view, _TIMEOUT)  # its close (or a request it should not send)

    return behaviour


_LOGIN_FAILURES = ["throttled-at-eke1", "server-without-the-password", "impostor-at-eke4"]


def _login_failure(kind: str, pw: bytes) -> Callable[[RawConnection, ServerView], None]:
    if kind == "throttled-at-eke1":
        return _throttled
    if kind == "server-without-the-password":
        return _impostor
    return _impostor_at_eke4(pw)


@pytest.mark.req("APP-STORE-3", "APP-GET-6")
@pytest.mark.parametrize("failure", _LOGIN_FAILURES)
def test_client_failed_login_leaves_the_output_directory_as_it_was(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, failure: str
) -> None:
    """The login fails ([failure]): the client reports it (non-zero exit) and leaves the
    output directory empty: no output file [APP-GET-6], no temporary [APP-STORE-3]."""
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _login_failure(failure, _pw(eke_target)),
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
    )
    if not case.view.saw("EKE1"):
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    problems: list[tuple[str, str]] = []
    if case.result.kept_file:
        problems.append(("APP-GET-6", f"the output {case.result.out.name} exists"))
    if case.leftovers:
        problems.append(("APP-STORE-3", f"files left in the output directory: {case.leftovers}"))
    if case.result.succeeded and case.result.success == "exit":
        problems.append(("APP-GET-6", "exit code 0 (reported success)"))
    if problems:
        failure_ = ConformanceFailure.evidence(
            f"a login that fails ({failure})",
            "a non-zero exit and the output directory as it was (empty)",
            "; ".join(text for _, text in problems),
            note=case.describe(),
        )
        failure_.violates = tuple(sorted({req for req, _ in problems}))
        raise failure_
