"""An sft-eke/1 CLIENT under test, against the suite's hostile server (SPEC §5.3-5.5).

The client is launched from `--client-cmd 'TEMPLATE'` (placeholders `{host} {port}
{name} {out} {user} {password_file}`); for the embedded run, the reference's
`sft eke get`. The suite's server is honest once (the baseline), then an impostor that
does not know the password, a server that lies in EKE4, one that sends an invalid
element, one that tampers with a record and one that talks in clear after EKE4.
"""

from __future__ import annotations

import hashlib
import secrets
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    ClientResult,
    HostileEkeServer,
    ServerView,
    eke_pw,
    honest_eke2,
    read_frame,
    run_client,
    serve_records,
)
from conformance.plugin import TranscriptBook, unsupported
from conformance.target import Account, Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    frame_bytes,
)

CONTENT = b"the file the hostile server offers\n"
NAME = "offered.txt"
_TIMEOUT = 5.0


def _template(target: Target) -> str:
    if target.client_cmd:
        return target.client_cmd
    if target.embedded:
        return (
            f"{shlex.quote(sys.executable)} -m reference eke get {{host}}:{{port}} {{name}} "
            "--user {user} --password-file {password_file} -o {out} --quiet --timeout 5"
        )
    unsupported("testing an eke client needs --client-cmd 'TEMPLATE'")
    raise AssertionError("unreachable")


def _account(target: Target) -> Account:
    if target.accounts:
        return target.accounts[0]
    return Account("alice", secrets.token_urlsafe(12))


def _run(
    target: Target, tmp_path: Path, behaviour: object, transcripts: TranscriptBook
) -> tuple[ClientResult, ServerView]:
    account = _account(target)
    password_file = tmp_path / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_text(account.password)
    out = tmp_path / "received.bin"
    with HostileEkeServer(behaviour, timeout=_TIMEOUT) as server:  # type: ignore[arg-type]
        result = run_client(_template(target), host=server.host, port=server.port, name=NAME,
                            out=out, user=account.user, password_file=password_file)
    server.check()
    if server.view.transcript is not None:
        transcripts.add(server.view.transcript)
    return result, server.view


def _until_eke3(
    raw: RawConnection, view: ServerView, pw: bytes
) -> tuple[eke.ServerHandshake, dict[str, Any]] | None:
    """An honest EKE2, then the client's EKE3 (None: the client stopped before it)."""
    server = honest_eke2(raw, view, pw, _TIMEOUT)
    event = read_frame(raw, view, _TIMEOUT)
    if server is None or not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
        return None
    return server, event.json() or {}


def _records(raw: RawConnection, server: eke.ServerHandshake) -> EkeChannel:
    assert server.keys is not None
    sender, receiver = server.record_layer()
    return EkeChannel(raw, server.keys, sender, receiver, role="server")


def _refused(result: ClientResult, view: ServerView, what: str) -> None:
    problems = []
    if result.returncode == 0:
        problems.append("the client reported success")
    if result.kept_file:
        problems.append("the client kept the file")
    if view.inner:
        problems.append(f"the client sent application frames: {view.inner}")
    if problems:
        raise ConformanceFailure(
            f"{what}: " + "; ".join(problems)
            + f"\nclient: {result.describe()}\nserver saw: {view.frames} then {view.ended}"
        )


@pytest.mark.req(
    "EKE-HS-1", "EKE-HS-5", "EKE-HS-7", "EKE-REC-1", "EKE-REC-2", "APP-GET-3", "EKE-PW-3"
)
def test_client_completes_a_get_from_an_honest_server(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    account = _account(eke_target)
    pw = eke_pw(account.user, account.password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        got = _until_eke3(raw, view, pw)
        if got is None:
            return
        server, eke3 = got
        raw.send_frame(b"EKE4", server.on_eke3(eke3))
        serve_records(_records(raw, server), view, {NAME: CONTENT}, _TIMEOUT)

    result, view = _run(eke_target, tmp_path, behaviour, transcripts)
    if result.returncode != 0 or not result.kept_file or result.out.read_bytes() != CONTENT:
        raise ConformanceFailure(
            f"the client failed an honest get: {result.describe()}\nserver saw: {view.frames}"
            f" / {view.inner} then {view.ended}"
        )
    # EKE-PW-3: neither the password nor pw appear in anything the client sent.
    assert view.transcript is not None
    sent = b"".join(e.data for e in view.transcript.entries if e.direction == "recv")
    for secret, label in ((account.password.encode(), "the password"), (pw, "pw"),
                          (pw.hex().encode(), "pw in hex")):
        assert secret not in sent, f"EKE-PW-3: {label} appears in the client's bytes"


@pytest.mark.req("EKE-HS-4", "EKE-SEC-3")
def test_client_refuses_a_server_that_does_not_know_the_password(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """An impostor answers EKE2 with a key of its own: the client must stop at C2."""

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        honest_eke2(raw, view, secrets.token_bytes(32), _TIMEOUT)
        read_frame(raw, view, _TIMEOUT)

    result, view = _run(eke_target, tmp_path, behaviour, transcripts)
    _refused(result, view, "EKE-HS-4: EKE2 from a server without the password")
    if view.saw("EKE3"):
        raise ConformanceFailure(
            "EKE-HS-4: the client sent EKE3 although C2 did not verify (it gives the "
            f"impostor material for an offline guess)\nserver saw: {view.frames}"
        )
    if not view.saw("EROR auth_failed"):
        raise ConformanceFailure(
            "EKE-HS-4: the client must send EROR auth_failed before closing\n"
            f"server saw: {view.frames} then {view.ended}"
        )


@pytest.mark.req("EKE-HS-7")
def test_client_refuses_a_wrong_eke4(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The server verifies EKE3 but its EKE4 does not carry Na: no request may follow."""
    account = _account(eke_target)
    pw = eke_pw(account.user, account.password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        got = _until_eke3(raw, view, pw)
        if got is None:
            return
        server, eke3 = got
        server.on_eke3(eke3)
        assert server.keys is not None
        wrong = eke.aead_seal(server.keys.kcs, eke.N4, secrets.token_bytes(32),
                              b"EKE4" + server.keys.th)
        raw.send_frame(b"EKE4", {"c": wrong.hex()})
        serve_records(_records(raw, server), view, {NAME: CONTENT}, _TIMEOUT)

    result, view = _run(eke_target, tmp_path, behaviour, transcripts)
    _refused(result, view, "EKE-HS-7: EKE4 that does not decrypt to the client's Na")


@pytest.mark.req("EKE-X-3", "EKE-KS-2")
@pytest.mark.parametrize("value", [1, eke.P - 1], ids=["one", "p-1"])
def test_client_rejects_an_invalid_server_element(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, value: int
) -> None:
    """B hides Y' = 1 or p−1 under the RIGHT key, and C2 is made with the Z that gives."""
    account = _account(eke_target)
    pw = eke_pw(account.user, account.password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        honest_eke2(raw, view, pw, _TIMEOUT, element_override=value)
        read_frame(raw, view, _TIMEOUT)

    result, view = _run(eke_target, tmp_path, behaviour, transcripts)
    _refused(result, view, f"EKE-X-3: Y' = {value:#x}")
    if view.saw("EKE3"):
        raise ConformanceFailure(
            f"EKE-X-3/EKE-KS-2: the client accepted Y' = {value:#x} (Z = 1, known to anyone) "
            f"and sent EKE3\nserver saw: {view.frames}"
        )


@pytest.mark.req("EKE-REC-4", "APP-GET-3", "APP-GET-6")
def test_client_rejects_a_tampered_record(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    account = _account(eke_target)
    pw = eke_pw(account.user, account.password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        got = _until_eke3(raw, view, pw)
        if got is None:
            return
        server, eke3 = got
        raw.send_frame(b"EKE4", server.on_eke3(eke3))
        serve_records(_records(raw, server), view, {NAME: CONTENT}, _TIMEOUT, tamper_data=True)

    result, _view = _run(eke_target, tmp_path, behaviour, transcripts)
    if result.returncode == 0 or result.kept_file:
        raise ConformanceFailure(
            f"EKE-REC-4: a DATA record with one flipped bit was accepted: {result.describe()}"
        )


@pytest.mark.req("EKE-REC-5", "EKE-SEC-2")
def test_client_rejects_plaintext_after_the_handshake(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    account = _account(eke_target)
    pw = eke_pw(account.user, account.password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        got = _until_eke3(raw, view, pw)
        if got is None:
            return
        server, eke3 = got
        raw.send_frame(b"EKE4", server.on_eke3(eke3))
        read_frame(raw, view, _TIMEOUT)  # the client's first record (its request)
        digest = hashlib.sha256(CONTENT).hexdigest()
        raw.send_raw(
            frame_bytes("RSFL", control({"name": NAME, "size": len(CONTENT), "sha256": digest}))
            + frame_bytes("DATA", CONTENT)
            + frame_bytes("DONE", control({"size": len(CONTENT), "sha256": digest}))
        )
        read_frame(raw, view, _TIMEOUT)

    result, _view = _run(eke_target, tmp_path, behaviour, transcripts)
    if result.returncode == 0 or result.kept_file:
        raise ConformanceFailure(
            f"EKE-REC-5: the client accepted a file sent in clear after EKE4: {result.describe()}"
        )
