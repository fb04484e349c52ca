"""An sft-eke/1 CLIENT's fallbacks, shortcuts and leniencies in its login (SPEC §1, §5.1-5.3).

What a client does when the right path fails, or to go faster, must not weaken the
login: a server that refuses `EKE1` (an `EROR` other than auth/busy/throttled) must not
get the password by an older protocol on another connection [EKE-PW-3]; an
authentication failure must not be retried with other credentials than the user gave
(a password stripped of its spaces, a user name lower-cased) [EKE-PW-1, EKE-HS-1]; the
key must come from the password of this run, not from a key cached for the user
[EKE-PW-1]; a server that never sends EKE4 has proved nothing: no request may follow
[EKE-HS-7]; and an EKE2 whose `b` lost its leading zero digits is malformed, not "a
number" to pad [FRM-12].

The client is launched from `--client-cmd` (placeholders `{host} {port} {name} {out}
{user} {password_file}`); embedded run: the reference's `sft eke get`.
"""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_frame,
    run_case,
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    error_payload,
    frame_bytes,
)

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

NAME = "offered.txt"
CONTENT = b"the file the hostile server offers\n"
_TIMEOUT = 5.0
_LATER = 4.0  # how long a later connection of the client is listened to


def _template_takes_user(target: Target) -> bool:
    template = (target.client_cmd or "") + (target.client_stdin or "")
    return not target.client_cmd or "{user}" in template


def _secret_forms(user: str, password: str) -> dict[str, bytes]:
    """The password (as given, NFC, NFD, stripped; UTF-8 and UTF-16) and pw (raw, hex)."""
    forms: dict[str, bytes] = {}
    for label, text in (
        ("as given", password),
        ("NFC", unicodedata.normalize("NFC", password)),
        ("NFD", unicodedata.normalize("NFD", password)),
        ("stripped", password.strip()),
    ):
        for codec in ("utf-8", "utf-16-le", "utf-16-be"):
            forms[f"password ({label}) in {codec}"] = text.encode(codec)
    pw = eke_pw(user, password)
    forms["pw"] = pw
    forms["pw in hex"] = pw.hex().encode()
    return forms


def _listen(raw: RawConnection, seconds: float, *, ack_first: bytes = b"") -> bytes:
    """Everything a connection sends within `seconds` (until its close); after the first
    bytes, `ack_first` is sent once (an old protocol's acknowledgement, as bait)."""
    got = bytearray()
    deadline = deadline_after(seconds)
    acked = not ack_first
    while time.monotonic() < deadline:
        raw.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = raw.sock.recv(65536)
        except TimeoutError:
            break
        except OSError:
            break
        if not data:
            break
        got += data
        raw.transcript.add("recv", data, "bytes of a later connection")
        if not acked:
            acked = True
            raw.send_raw(ack_first)
    return bytes(got)


@pytest.mark.req("EKE-PW-3")
@pytest.mark.parametrize("refusal", ["unexpected-frame", "close"])
def test_client_never_sends_its_password_to_a_server_that_refuses_eke1(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, refusal: str
) -> None:
    """The server answers the client's EKE1 with `EROR unexpected_frame` (or closes, as a
    server of another protocol might), then listens to every further connection of the
    client and answers its first bytes as an sft-eke/0 server would (`u_ack`). A client
    MAY give up or retry with EKE1; it MUST NOT send its password, or pw, in any form —
    "fall back to the legacy login" sends it in clear [EKE-PW-3]."""
    password = fresh_password()
    user = client_user(eke_target)
    later: list[bytes] = []
    seen = {"connections": 0}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        seen["connections"] += 1
        if seen["connections"] == 1:
            event = read_frame(raw, view, _TIMEOUT)
            if isinstance(event, ReceivedFrame) and event.type == b"EKE1":
                if refusal == "unexpected-frame":
                    raw.send_frame("EROR", error_payload("unexpected_frame", "suite: not EKE1"))
                raw.close()
            return
        later.append(_listen(raw, _LATER, ack_first=b"u_ack"))

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        timeout=_TIMEOUT,
        connections=3,
    )
    if seen["connections"] == 0 or not case.view.saw("EKE1"):
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    sent = b"".join(later)
    found = [
        label
        for label, needle in _secret_forms(user, password).items()
        if len(needle) >= 8 and needle in sent
    ]
    if found:
        raise ConformanceFailure.evidence(
            f"EKE-PW-3: EKE1 refused ({refusal}), then the client's later connections",
            "no password and no pw in anything the client sends, on any connection",
            f"found {', '.join(found[:4])} in the {len(sent)} bytes of "
            f"{len(later)} later connection(s): {sent[:80]!r}",
            note=case.describe(),
        )


def _credentials_case(variant: str, user: str, password: str) -> tuple[str, str, str]:
    """(the user the client is given, the password it is given, the account's password),
    and the account's user is `user`."""
    if variant == "password-trailing-space":
        return user, password + " ", password
    return user.upper() if user.upper() != user else user.capitalize() + "X", password, password


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param("password-trailing-space", marks=pytest.mark.req("EKE-PW-1")),
        pytest.param("user-in-capitals", marks=pytest.mark.req("EKE-HS-1", "EKE-PW-1")),
    ],
)
def test_client_does_not_retry_a_failed_login_with_other_credentials(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, variant: str
) -> None:
    """The client is given credentials that differ from the account's by what a "helpful"
    client would retry with: a trailing space in the password, the user name in capitals.
    The suite's server holds the account's key (for the user name as the server knows it)
    on every connection. Used as given, the first login fails and so must the run: a
    client that retries with the password stripped, or the user name lower-cased, logs in
    with credentials its user did not give [EKE-PW-1: no trimming; EKE-HS-1: its user]."""
    if not _template_takes_user(eke_target):
        pytest.skip("the client command takes no {user}: its user name is not the suite's")
    account = client_user(eke_target).lower() or "alice"
    given_user, given_password, account_password = _credentials_case(
        variant, account, fresh_password()
    )
    pw = eke_pw(account, account_password)
    users: list[str] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        eke1 = event.json() or {}
        users.append(str(eke1.get("user")))
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(eke1))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            raw.send_frame("EROR", error_payload("auth_failed", "authentication failed"))
            return
        raw.send_frame(b"EKE4", eke4)
        sender, receiver = server.record_layer()
        assert server.keys is not None
        serve_records(
            EkeChannel(raw, server.keys, sender, receiver, role="server"),
            view,
            {NAME: CONTENT},
            _TIMEOUT,
        )

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=given_password,
        timeout=_TIMEOUT,
        user=given_user,
        connections=3,
    )
    problems = []
    if case.result.succeeded or case.result.kept_file:
        problems.append(f"the get completed: {case.result.describe()}")
    other = [u for u in users if u != given_user]
    if other:
        problems.append(f"EKE1 named {other!r}, not the user it was given ({given_user!r})")
    if problems:
        raise ConformanceFailure.evidence(
            f"{variant}: given user {given_user!r} and password; the account is {account!r}"
            + (" with the password stripped" if variant == "password-trailing-space" else ""),
            "the login fails and the run fails: credentials are used as given, never retried "
            "in another form",
            "; ".join(problems) + f" ({len(users)} EKE1 in all)",
            note=case.describe(),
        )


@pytest.mark.req("EKE-PW-1")
def test_client_derives_its_key_from_the_password_of_each_run(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Two runs as the same user with two different passwords, each against a server that
    knows that run's password: both gets complete. A client that keeps pw (scrypt is slow)
    keyed by the user name alone logs in the second time with the first password's key."""
    user = client_user(eke_target)
    problems = []
    cases: list[ClientCase] = []
    for run in range(2):
        password = fresh_password()
        pw = eke_pw(user, password)

        def behaviour(raw: RawConnection, view: ServerView, pw: bytes = pw) -> None:
            channel = establish(raw, view, pw, _TIMEOUT)
            if channel is not None:
                serve_records(channel, view, {NAME: CONTENT}, _TIMEOUT)

        workdir = tmp_path / f"run{run}"
        workdir.mkdir()
        case = run_case(
            eke_target,
            workdir,
            transcripts,
            behaviour,
            name=NAME,
            password=password,
            timeout=_TIMEOUT,
        )
        cases.append(case)
        result = case.result
        if not result.succeeded or not result.kept_file or result.out.read_bytes() != CONTENT:
            problems.append(f"run {run + 1}: {result.describe()}; server saw {case.view.frames}")
    if problems:
        raise ConformanceFailure.evidence(
            f"two gets as {user!r}, each with a password of its own",
            "both complete: each run's pw is scrypt of that run's password",
            "; ".join(problems),
            note=cases[-1].describe(),
        )


@pytest.mark.req("EKE-HS-7")
def test_client_sends_no_request_to_a_server_that_never_sends_eke4(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An honest EKE2, the client's EKE3, then silence: the server never proves it knows
    the password. The client may wait (its handshake timeout) or give up; it MUST NOT
    take the login as done ("a slow server") and send a record: the suite listens 4 s."""
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        after = read_frame(raw, view, _LATER)  # a record here is a request without EKE4
        if isinstance(after, TimedOut):
            view.ended = f"the client sent nothing for {_LATER:g} s (the suite closed)"

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    if not case.view.saw("EKE3"):
        pytest.skip(f"the client did not complete EKE3: {case.describe()}")
    problems = []
    if case.view.saw("RECD"):
        problems.append("it sent a record (a request) without EKE4")
    if case.result.succeeded or case.result.kept_file:
        problems.append(f"it reported success: {case.result.describe()}")
    if problems:
        raise ConformanceFailure.evidence(
            "EKE-HS-7: an honest EKE2, then no EKE4 at all",
            "no request (no RECD) and no success: the server never proved the password",
            "; ".join(problems),
            note=case.describe(),
        )


def _leading_zero_server(pw: bytes) -> eke.ServerHandshake:
    """A server handshake whose B (= E_pw(±Y)) starts with a zero byte: y and the sign are
    walked (Y times g per step, no new exponentiation) until one fits (about 1 in 256)."""
    exponent = eke.random_exponent()
    element = eke.modexp(eke.G, exponent)
    for _ in range(8192):
        for sign in (0, 1):
            encoded = eke.pm_encode(element, sign)
            if eke.feistel_encrypt(pw, eke.element_to_bytes(encoded))[0] == 0:
                return eke.ServerHandshake(pw=pw, exponent=exponent, sign_bit=sign)
        exponent += 1
        element = element * eke.G % eke.P
    raise RuntimeError("no B with a leading zero byte in 16384 tries")


@pytest.mark.req("FRM-12", "FRM-9")
def test_client_refuses_an_eke2_whose_b_lost_its_leading_zero_digits(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The server's B starts with a zero byte and EKE2 carries it as a number would print:
    766 hex digits, the leading "00" dropped (the right C2 for the real B). `b` is exactly
    768 lowercase hex digits [FRM-12]: the client answers `EROR bad_frame` and stops. A
    client that left-pads it ("bignum encoders drop leading zeros") goes on with EKE3."""
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = _leading_zero_server(pw)
        honest = server.on_eke1(event.json() or {})
        assert honest["b"].startswith("00")
        raw.send_raw(frame_bytes("EKE2", control({"b": honest["b"][2:], "c": honest["c"]})))
        read_frame(raw, view, _TIMEOUT)

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    if case.view.saw("EKE3") or not case.view.saw("EROR bad_frame") or case.result.succeeded:
        raise ConformanceFailure.evidence(
            "FRM-12: EKE2 whose b has 766 hex digits (its leading 00 dropped)",
            "EROR bad_frame, then close (no EKE3), and the run fails",
            f"the client sent {case.view.frames}; {case.result.describe()}",
            note=case.describe(),
        )
