"""An sft-eke/1 CLIENT whose login fails must not log in with its password in another form
(SPEC §5.1, EKE-PW-1: "Passwords are used as given: no trimming, no normalisation").

A client "helpful" after `auth_failed` tries again with what the password may have been
when the account was made: NFC or NFD (the account created on another system), the case
swapped (Caps Lock), the white space at its edges gone. Each such retry is a login with a
password its user did not give. The suite's server holds, on every connection, the key of
an account whose password differs from the one the client is given in exactly that way;
used as given, the first login fails, and so must the run. (test_eke_client_fallbacks.py
covers a trailing space and a user name in capitals.)

The client is launched from `--client-cmd`; embedded run: the reference's `sft eke get`.
"""

from __future__ import annotations

import secrets
import unicodedata
from pathlib import Path

import pytest

from conformance import eke
from conformance import test_eke_client_fallbacks as fallbacks
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    read_frame,
    run_case,
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, error_payload

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]


def _forms(variant: str) -> tuple[str, str]:
    """(the password the client is given, the account's password)."""
    tag = secrets.token_hex(3)
    if variant == "nfd-given-nfc-account":
        given = f"re\u0301sume\u0301 {tag}"
        return given, unicodedata.normalize("NFC", given)
    if variant == "nfc-given-nfd-account":
        given = f"r\u00e9sum\u00e9 {tag}"
        return given, unicodedata.normalize("NFD", given)
    if variant == "case-swapped":
        given = f"Secret Pass {tag}"
        return given, given.swapcase()
    if variant == "leading-space":
        given = f"  secret {tag}"
        return given, given.strip()
    raise ValueError(variant)


_VARIANTS = ("nfd-given-nfc-account", "nfc-given-nfd-account", "case-swapped", "leading-space")


@pytest.mark.req("EKE-PW-1")
@pytest.mark.parametrize("variant", _VARIANTS)
def test_client_never_retries_its_login_with_its_password_in_another_form(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, variant: str
) -> None:
    """The client's password and the account's differ only by {variant}. [EKE-PW-1] Used
    as given, the login fails (auth_failed) and so does the run: no second login with the
    password normalised, case-swapped or trimmed completes the get."""
    if not fallbacks._template_takes_user(eke_target):
        pytest.skip("the client command takes no {user}: its user name is not the suite's")
    user = client_user(eke_target)
    given, account = _forms(variant)
    pw = eke_pw(user, account)
    logins: list[str] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, fallbacks._TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, fallbacks._TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            logins.append("no EKE3")
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            logins.append("failed")
            raw.send_frame("EROR", error_payload("auth_failed", "authentication failed"))
            return
        logins.append("succeeded")
        raw.send_frame(b"EKE4", eke4)
        sender, receiver = server.record_layer()
        assert server.keys is not None
        serve_records(
            EkeChannel(raw, server.keys, sender, receiver, role="server"),
            view,
            {fallbacks.NAME: fallbacks.CONTENT},
            fallbacks._TIMEOUT,
        )

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=fallbacks.NAME,
        password=given,
        timeout=fallbacks._TIMEOUT,
        connections=3,
    )
    problems = []
    if "succeeded" in logins:
        problems.append(
            f"a login with the account's key succeeded (logins: {logins}): the client used "
            "a password other than the one it was given"
        )
    if case.result.succeeded or case.result.kept_file:
        problems.append(f"the get completed: {case.result.describe()}")
    if problems:
        raise ConformanceFailure.evidence(
            f"{variant}: given password {given!r} ({given.encode().hex()}); the account's is "
            f"{account!r} ({account.encode().hex()})",
            "the login fails and the run fails: the password is used as given, never "
            "retried in another form",
            "; ".join(problems),
            note=case.describe(),
        )
