"""An sft-eke/1 CLIENT's PUT command authenticates the server as its get does (SPEC §5.3
EKE-HS-4, EKE-HS-7, EKE-X-3, EKE-KS-2, and the login's share of §3.4).

The handshake cases (test_eke_client.py and its siblings) run the client's get command
(`client_cmd`). A client whose get and put are two code paths — two commands, two
functions that each open the connection — can carry the server's proof checks on one of
them only: a put that sends EKE3 after a C2 that does not open gives a server without the
password a C3 to test password guesses against offline (EKE-HS-4, EKE-SEC-1); a put that
takes an EKE4 not holding its Na sends the file to an impostor (EKE-HS-7).

The suite plays the server for the target's `client_put_cmd` (the embedded run: the
reference's `sft eke put`) and fails the login in one way per case:
* `c2-does-not-open` (EKE-HS-4): an honest B with a C2 of random bytes: the client must not
  send EKE3, must send `EROR auth_failed`, and the put must fail (non-zero exit);
* `c4-wrong-na` (EKE-HS-7): an honest EKE2, C3 verified, then a C4 sealed under Kcs with
  the right nonce and transcript but 32 random bytes in place of Na: no record may follow
  (no PUTF: the file goes nowhere), and the put must fail;
* slow: `c4-does-not-open` (C4 random bytes) and `y-is-one` (EKE-X-3, EKE-KS-2: B hides
  Y' = 1, and C2 is sealed with the keys Z = 1 gives, so a client that skips the element's
  range check finds C2 valid): no EKE3, and the put fails.
A put command that never sends EKE1 is a harness problem (is client_put_cmd right?), not
a verdict.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance import eke
from conformance import test_client_put as puts
from conformance.eke_hostile import (
    HostileEkeServer,
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    honest_eke2,
    read_frame,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame
from sftkit.client_run import ClientRun, run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_CONTENT = b"put-login: this file must not reach a server that proved nothing\n" * 16

Login = Callable[[RawConnection, ServerView, bytes], None]


def _c2_does_not_open(raw: RawConnection, view: ServerView, pw: bytes) -> None:
    event = read_frame(raw, view, _TIMEOUT)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return
    eke2 = eke.ServerHandshake(pw=pw).on_eke1(event.json() or {})
    raw.send_frame(b"EKE2", {"b": eke2["b"], "c": secrets.token_hex(48)})
    read_frame(raw, view, _TIMEOUT)  # EKE3 (a fault) or the EROR, then the close
    read_frame(raw, view, _TIMEOUT)


def _y_is_one(raw: RawConnection, view: ServerView, pw: bytes) -> None:
    if honest_eke2(raw, view, pw, _TIMEOUT, element_override=1) is None:
        return
    read_frame(raw, view, _TIMEOUT)
    read_frame(raw, view, _TIMEOUT)


def _wrong_eke4(c4: Callable[[eke.ServerHandshake], bytes]) -> Login:
    def login(raw: RawConnection, view: ServerView, pw: bytes) -> None:
        server = honest_eke2(raw, view, pw, _TIMEOUT)
        if server is None:
            return
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            server.on_eke3(event.json() or {})  # verifies C3, learns Na
        except eke.EkeError:
            return
        raw.send_frame(b"EKE4", {"c": c4(server).hex()})
        # Whatever comes now is a fault: a record (PUTF), or anything but the close.
        for _ in range(4):  # bounded: a client sends a handful of frames at most
            if not isinstance(read_frame(raw, view, _TIMEOUT), ReceivedFrame):
                return

    return login


def _c4_other_na(server: eke.ServerHandshake) -> bytes:
    keys = server.keys
    assert keys is not None
    return eke.aead_seal(keys.kcs, eke.N4, secrets.token_bytes(32), b"EKE4" + keys.th)


def _c4_random(server: eke.ServerHandshake) -> bytes:
    return secrets.token_bytes(eke.NONCE_LEN + eke.RECORD_TAG_LEN)


@dataclass(frozen=True)
class _Failure:
    login: Login
    requirement: str
    what: str
    stops_before_eke3: bool  # else: after EKE4, before any record


_FAILURES: dict[str, _Failure] = {
    "c2-does-not-open": _Failure(
        _c2_does_not_open, "EKE-HS-4", "an EKE2 whose C2 does not open", True
    ),
    "c4-wrong-na": _Failure(
        _wrong_eke4(_c4_other_na),
        "EKE-HS-7",
        "an EKE4 sealed under Kcs whose plaintext is not the client's Na",
        False,
    ),
    "c4-does-not-open": _Failure(
        _wrong_eke4(_c4_random), "EKE-HS-7", "an EKE4 whose C4 does not open", False
    ),
    "y-is-one": _Failure(
        _y_is_one,
        "EKE-X-3",
        "an EKE2 hiding Y' = 1, C2 sealed with the keys of Z = 1",
        True,
    ),
}


def _run_put(
    target: Target, workdir: Path, transcripts: TranscriptBook, login: Login
) -> tuple[ClientRun, ServerView, Path]:
    template = puts._put_template(target, workdir)
    own = target.client_put_cmd is not None
    srcdir = workdir / f"src-{secrets.token_hex(3)}"
    srcdir.mkdir()
    source = srcdir / "outgoing.bin"
    source.write_bytes(_CONTENT)
    user, password = client_user(target), fresh_password()
    secret = workdir / f"secret-{secrets.token_hex(3)}"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_text(password, encoding="utf-8")
    pw = eke_pw(user, password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        login(raw, view, pw)

    with HostileEkeServer(behaviour, timeout=_TIMEOUT, accept_timeout=6 * _TIMEOUT) as server:
        values = {
            "host": server.host,
            "port": str(server.port),
            "file": str(source),
            "name": f"put-login-{secrets.token_hex(4)}.bin",
            "user": user,
            "password_file": str(password_file),
        }
        launch = client_launch(
            template,
            values,
            stdin_template=target.client_stdin if own else None,
            success="exit",
        )
        run = run_client(launch, timeout=6 * _TIMEOUT)
    server.check()
    for transcript in [server.view.transcript, *server.later_transcripts]:
        if transcript is not None:
            transcripts.add(transcript)
    return run, server.view, source


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param("c2-does-not-open", marks=pytest.mark.req("EKE-HS-4", "EKE-SEC-1")),
        pytest.param("c4-wrong-na", marks=pytest.mark.req("EKE-HS-7")),
        pytest.param(
            "c4-does-not-open", marks=[pytest.mark.req("EKE-HS-7"), pytest.mark.slow]
        ),
        pytest.param(
            "y-is-one", marks=[pytest.mark.req("EKE-X-3", "EKE-KS-2"), pytest.mark.slow]
        ),
    ],
)
def test_client_put_authenticates_the_server_before_sending(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    failure: str,
    request: pytest.FixtureRequest,
) -> None:
    """The put command's login fails as the get's must: nothing past the failed proof."""
    skip_slow_variant(request)
    case = _FAILURES[failure]
    run, view, source = _run_put(eke_target, tmp_path, transcripts, case.login)
    seen = f"{view.frames} then {view.ended or 'the suite closed'}"
    if not view.saw("EKE1"):
        raise RuntimeError(
            "the put command under test sent no EKE1 (is client_put_cmd right?): "
            f"{run.describe()}; {run.stderr.strip()[-300:]}; server saw {seen}"
        )
    problems: list[str] = []
    if case.stops_before_eke3:
        if view.saw("EKE3"):
            problems.append("it sent EKE3 (a C3 for the server to test password guesses on)")
        if case.requirement == "EKE-HS-4" and not view.saw("EROR auth_failed"):
            problems.append("it sent no EROR auth_failed before closing")
    if view.saw("RECD"):
        problems.append("it went on to the record phase (a record: its PUTF)")
    if run.succeeded:
        problems.append("the put command reported success (exit 0)")
    if source.read_bytes() != _CONTENT:
        problems.append("the local file changed")
    if problems:
        raise ConformanceFailure.evidence(
            f"{case.requirement}: the client's PUT command (client_put_cmd) against {case.what}",
            "the login fails as the get's does: "
            + (
                "no EKE3, EROR auth_failed, "
                if case.stops_before_eke3
                else "no record after the EKE4, "
            )
            + "a non-zero exit",
            "; ".join(problems),
            note=f"client {run.describe()}; server saw {seen}",
        )
