"""What the clients a target declares print: no password, nor anything that stands for one
(docs/SPEC.md §0 PWF-2).

The seeds' first flaw was the password in clear. A client that keeps it off the wire can
still put it where people and machines read: its standard error ("login failed for alice
with password '…'", the request it sent quoted on a refusal, a "masked" password that
shows its first characters), or, in sft-eke/1, a "key id" for debugging — 4 bytes of `pw`
or of a session key are a test for offline guesses (the dictionary attack the EKE design
exists to stop), and a record key opens the session's capture. Terminals scroll back,
CI systems and service managers keep every line.

The suite runs each client the target declares against a server of its own, once per way
a login or a transfer ends (it succeeds; the server is not who it claims; the login is
refused; the transfer or the CA's answer fails), with a fresh password each time, and
searches all the client printed (stdout and stderr) for the password in any encoding
and any 6 of its characters in a row, and for an sft-eke/1 client also for `pw`, the
nonces and every session key the suite derived, whole, in pieces or as digests
(conformance/secret_needles.py).
- eke: the client command (`--client-cmd`; the embedded run uses `sft eke get`);
- pki: the enrolment command (`enroll_cmd`, lab mode: the suite serves the CA with a
  certificate from the organisation root).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import eke
from conformance._wire_fixtures import lab_pki
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    Behaviour,
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    read_inner,
    run_case,
)
from conformance.plugin import TranscriptBook, inconclusive
from conformance.secret_needles import found_in, key_needles, password_needles, value_needles
from conformance.target import Target
from conformance.test_enroll_client import Answer, _ca_certificate, _fixed, _honest, _run
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, error_payload

__all__: list[str] = []

_TIMEOUT = 5.0
_NAME = "output-secrets.bin"
_CONTENT = b"what a client prints\n" * 40


def _fail(context: str, where: str, found: list[str]) -> None:
    raise ConformanceFailure.evidence(
        f"PWF-2: {context}",
        "nothing printed that holds the password or (eke) a secret of the session",
        f"its output holds {', '.join(found[:4])}",
        note=where,
    )


# --- the eke client ----------------------------------------------------------------------


class _Seen:
    """What the suite's server learnt of the session: the values the client must not print."""

    def __init__(self) -> None:
        self.needles: dict[bytes, str] = {}

    def add(self, label: str, value: bytes, *, digests: bool = True) -> None:
        for needle, text in value_needles(label, value, digests=digests).items():
            self.needles.setdefault(needle, text)

    def add_keys(self, keys: eke.SessionKeys) -> None:
        for needle, text in key_needles(keys).items():
            self.needles.setdefault(needle, text)


def _eke_behaviour(pw: bytes, ending: str, seen: _Seen) -> Behaviour:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        eke2 = server.on_eke1(event.json() or {})
        if server.keys is None:
            return
        seen.add_keys(server.keys)
        seen.add("Ns", server.ns)
        if ending == "server-impostor":  # C2 that does not open: the server lacks pw
            raw.send_frame(b"EKE2", {"b": eke2["b"], "c": secrets.token_hex(48)})
            read_frame(raw, view, _TIMEOUT)
            return
        raw.send_frame(b"EKE2", eke2)
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            return
        seen.add("Na", server.na)
        if ending == "login-refused":
            raw.send_frame(b"EROR", error_payload("auth_failed", "suite: login refused"))
            read_frame(raw, view, _TIMEOUT)
            return
        raw.send_frame(b"EKE4", eke4)
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        event = read_inner(channel, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        digest = hashlib.sha256(_CONTENT).hexdigest()
        if ending == "done-digest":
            digest = hashlib.sha256(b"another file").hexdigest()
        channel.send_frame("RSFL", {"name": _NAME, "size": len(_CONTENT)})
        channel.send_frame("DATA", _CONTENT)
        channel.send_frame("DONE", {"size": len(_CONTENT), "sha256": digest})
        for _ in range(4):  # the client's BYE_ or EROR, then its close
            if not isinstance(read_inner(channel, view, _TIMEOUT), ReceivedFrame):
                return

    return behaviour


_EKE_ENDINGS = {
    "ok": True,  # whether the client must succeed
    "server-impostor": False,
    "login-refused": False,
    "done-digest": False,
}


@pytest.mark.profile("eke")
@pytest.mark.side("initiator")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("PWF-2")
@pytest.mark.parametrize("ending", list(_EKE_ENDINGS))
def test_eke_client_prints_no_secret(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, ending: str
) -> None:
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    seen = _Seen()
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _eke_behaviour(pw, ending, seen),
        name=_NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    if not seen.needles:
        raise RuntimeError(f"the client sent no usable EKE1: {case.describe()}")
    if _EKE_ENDINGS[ending] and not case.result.succeeded:
        inconclusive(f"the honest transfer did not succeed: {case.describe()}")
    seen.add("pw", pw)
    output = case.result.stdout + case.result.stderr
    found = found_in(output.encode(), {**password_needles(password), **seen.needles})
    if found:
        _fail(
            f"the eke client's output when the session ends {ending}",
            f"{case.describe()}; its output ends {output.strip()[-300:]!r}",
            found,
        )


# --- the enrolment client ----------------------------------------------------------------


def _enrol_password() -> str:
    return f"Enr\u00f4l-\u00e9t\u00e9 {secrets.token_urlsafe(9)}"


_ENROL_ANSWERS: dict[str, Callable[[Any], Answer]] = {
    "issued": _honest,
    "auth_failed": lambda _lab: _fixed(
        401, {}, b'{"error": "auth_failed", "message": "wrong alias or password"}'
    ),
    "throttled": lambda _lab: _fixed(
        429, {"Retry-After": "60"}, b'{"error": "throttled", "message": "slow down"}'
    ),
    "bad_csr": lambda _lab: _fixed(400, {}, b'{"error": "bad_csr", "message": "no"}'),
    "internal": lambda _lab: _fixed(500, {}, b'{"error": "internal", "message": "later"}'),
    "not_a_certificate": lambda _lab: _fixed(200, {}, json.dumps({"certificate": "?"}).encode()),
    # A CA (or a proxy before it) that echoes what it was sent: the client must not pass
    # the password on to its user, whoever wrote it first ("whatever the other side
    # answers", PWF-2).
    "a refusal quoting the login": lambda _lab: _echo(400, "bad_request"),
    "an error code quoting the password": lambda _lab: _echo(500, None),
}


def _echo(status: int, code: str | None) -> Answer:
    """An answer quoting the request it refuses: the whole login in `message` (JSON
    escaped as it arrived), or (no `code`) the password as the `error` code itself."""

    def answer(request: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        login = request or {}
        if code is None:
            body = {"error": str(login.get("password", "")), "message": "unexpected"}
        else:
            body = {"error": code, "message": f"cannot read the request {json.dumps(login)}"}
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()

    return answer


@pytest.mark.profile("pki")
@pytest.mark.side("initiator")
@pytest.mark.req("PWF-2")
@pytest.mark.parametrize("answer", list(_ENROL_ANSWERS))
def test_enrolment_client_prints_no_password(target: Target, tmp_path: Path, answer: str) -> None:
    lab = lab_pki(target)
    password = _enrol_password()
    run = _run(
        target,
        tmp_path,
        _ca_certificate(lab),
        _ENROL_ANSWERS[answer](lab),
        lab=lab,
        password_file=(password + "\n").encode(),
    )
    sent = [(r.json() or {}).get("password") for r in run.ca.enrolments()]
    if password not in sent:
        inconclusive(f"the client sent no login with the password given ({run.describe()})")
    if answer == "issued" and run.returncode != 0:
        inconclusive(f"the honest enrolment did not succeed: {run.describe()}")
    found = found_in(run.output.encode(), password_needles(password))
    if found:
        _fail(f"the enrolment client's output when the CA answers {answer}", run.describe(), found)
