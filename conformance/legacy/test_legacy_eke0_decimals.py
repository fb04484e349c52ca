"""Profile eke-legacy: the decimal numbers of sft-eke/0 are ASCII(n) exactly (§7, §7.3).

`ASCII(n)` is "the decimal representation of integer n in ASCII digits, without sign,
leading zeros or terminator" (§7), and messages 5, 7, 9, 11 and 19 carry numbers that
way (9 and 11 XORed with the '0'-padded password). A peer's int() reads "0123" as 123,
so a writer that pads its public value to a fixed width ("39 digits, the size of p and
of pw39") still interoperates with every reader, and test_legacy_eke0.py's cases (which
reveal message 11 with int()) pass it. Here the digits themselves are read:
- the server's message 11, revealed, is ASCII(g^Xs mod p): no leading zero, digits only
  (LEG-EKE-FMT-3: each server message byte for byte as shown);
- the client's messages 5 and 7 are ASCII(p), ASCII(g), and message 9, revealed, is
  ASCII(g^Xa mod p) (LEG-EKE-FMT-1: the client's messages as the table shows them).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import Closed, HarnessError, TargetGone, TimedOut
from conformance.legacy.test_legacy_eke0 import _run_client_to_the_file

pytestmark = pytest.mark.xdist_group("eke-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _ascii_problem(text: bytes) -> str:
    """'' when `text` is ASCII(n) for some n >= 0, else what is wrong with it."""
    if not text or not text.isdigit() or not text.isascii():
        return "not decimal digits only"
    if text != str(int(text)).encode():
        return "a leading zero"
    return ""


@pytest.fixture(scope="module")
def link(eke_legacy: LegacyEkeTarget) -> Iterator[eke0.EkeLink]:
    """This module's connection (as test_legacy_eke0_group.py's: a one-shot server spent
    by earlier modules is not judged, never an ERROR)."""
    shared = eke0.EkeLink(eke_legacy.host, eke_legacy.port, eke_legacy.password.encode())
    try:
        with shared.idle():
            pass
    except TargetGone as exc:
        pytest.skip(f"not judged: the server refused a new connection after earlier ones: {exc}")
    yield shared
    shared.release()


@pytest.mark.req("LEG-EKE-FMT-3")
def test_message_11_is_ascii_of_the_servers_public_value(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    """Three sessions in the seed's group: message 11 XOR pw39 is ASCII(g^Xs mod p), its
    first digit never '0' (the seed's 5516 gives 38 digits; a random exponent 38 or 39
    for 95% of the sessions, fewer for the rest: never padded)."""
    password = eke_legacy.password.encode()
    for _ in range(3):
        with contextlib.ExitStack() as stack:
            try:
                client = stack.enter_context(link.session())
                answer = client.login(eke_legacy.user.encode())
            except (Closed, TimedOut, TargetGone) as exc:
                pytest.skip(f"not judged: a login on the shared connection got {exc!r}")
            if answer != b"Authenticated":
                pytest.skip(f"not judged: the account's login was answered {answer!r}")
            try:
                client.group()
                client.exchange()
            except (Closed, TimedOut, AssertionError) as exc:
                pytest.skip(f"not judged: the session stopped before message 13 ({exc!r})")
            revealed = eke0.xor(client.got[11], eke0.pad39(password))
            with contextlib.suppress(Closed, TimedOut, AssertionError):
                client.confirm()
                client.transfer()
        problem = _ascii_problem(revealed)
        if problem:
            _fail(
                "LEG-EKE-FMT-3 (message 11 is hide(g^Xs mod p) = ASCII(g^Xs mod p) XOR pw39; "
                "ASCII(n) has no leading zeros, §7)",
                f"message 11 ({len(client.got[11])} bytes) XOR the '0'-padded password is "
                f"{revealed!r}: {problem}",
            )


@pytest.mark.req("LEG-EKE-FMT-1")
def test_the_clients_numbers_are_plain_ascii(eke_legacy: LegacyEkeTarget, tmp_path: Path) -> None:
    """The client against the suite's honest server: messages 5 and 7 are ASCII(p),
    ASCII(g); message 9 XOR pw39 is ASCII(g^Xa mod p), without a leading zero."""
    content = os.urandom(300)
    run = _run_client_to_the_file(eke_legacy, tmp_path, content, content, "honest")
    got = run.log.got
    if 1 not in got:
        raise HarnessError(f"the client sent nothing: {run.log.error}; {run.stderr!r}")
    if 9 not in got:
        pytest.skip(
            f"not judged: the client stopped before message 9 ({run.log.deviation or run.log.error}"
            "; test_legacy_eke0.py's format case reports it)"
        )
    wrong = []
    for number in (5, 7):
        problem = _ascii_problem(got[number])
        if problem:
            wrong.append(f"message {number} is {got[number][:48]!r}: {problem}")
    revealed = eke0.xor(got[9], eke0.pad39(eke_legacy.password.encode()))
    problem = _ascii_problem(revealed)
    if problem:
        wrong.append(
            f"message 9 ({len(got[9])} bytes) XOR the '0'-padded password is {revealed!r}: "
            f"{problem}"
        )
    if wrong:
        _fail(
            "LEG-EKE-FMT-1 (the client's messages as §7.3.3 shows them: 5 ASCII(p), 7 "
            "ASCII(g), 9 hide(g^Xa mod p); ASCII(n) has no leading zeros, §7)",
            "; ".join(wrong),
        )
