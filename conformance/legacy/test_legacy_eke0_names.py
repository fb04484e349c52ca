"""Profile eke-legacy: every user name gets `u_ack` (docs/SPEC.md §7.3.3, message 2).

The seed's server tests the name with `if d == 'a' or 'b'`, always true: message 2 is
`u_ack` whatever message 1 carries, and `Wrong Username` is unreachable (LEG-EKE-2 is the
flaw that follows). The other cases send the account's name and plain names near it.
A port that "sanitises" the name it never checks — a deny-list of characters, of
lengths, of well-known accounts, or an allow-list of `[A-Za-z0-9._-]` — answers those
`u_ack` and still answers other names `Wrong Username`, or closes: message 2 off the
table (LEG-EKE-FMT-3). (A server that refuses EVERY name but the account's has fixed
LEG-EKE-2, whose case reports it; it is not judged here.) Here names any byte string of
one read can be: non-ASCII UTF-8, bytes that are not UTF-8, spaces and tabs, punctuation
and path characters, one byte, 200 bytes, names of well-known accounts. Each login gets
a wrong password, so the server answers `Not Authenticated` and waits for message 1
again: all of them run on one connection, as the other eke/0 server cases do.
A name with a line break in it (`\n`, `\r\n`) followed by the account's password is
still one name: a server that reads message 1 as a line takes the rest for message 3.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import Closed, TargetGone, TimedOut

pytestmark = pytest.mark.xdist_group("eke-legacy")

# Message 1 is the rest of one read of at most 1024 bytes (LEG-EKE-FMT-2): every name
# here is one write well under that, never a prefix of the next message.
NAMES: tuple[bytes, ...] = (
    "zoë ünal".encode(),  # non-ASCII UTF-8, a space
    b"\xff\xfe\x80user",  # not UTF-8
    b"first\tlast",  # a control character (tab)
    b"../etc/passwd",  # path characters
    b"o'brien;--",  # quote, semicolon
    b"q",  # one byte
    b"n" * 200,  # long
    b"root",  # a well-known account
    b"Administrator",
)


@pytest.fixture(scope="module")
def link(eke_legacy: LegacyEkeTarget) -> Iterator[eke0.EkeLink]:
    """This module's connection, shared by its cases as test_legacy_eke0.py's are (a
    one-shot server spent by that module refuses it: not judged, never evidence)."""
    shared = eke0.EkeLink(eke_legacy.host, eke_legacy.port, eke_legacy.password.encode())
    try:
        with shared.idle():
            pass
    except TargetGone as exc:
        pytest.skip(
            f"not judged: the server refused a new connection after serving earlier ones "
            f"(a one-shot server, spent by test_legacy_eke0.py's cases): {exc}"
        )
    yield shared
    shared.release()


def _wrong_password(right: str) -> bytes:
    """A password that is not the account's, nor a prefix or extension of it."""
    for _ in range(100):  # bounded; the first draw is wrong in all but ~0 cases
        guess = f"Wrong{secrets.token_hex(6)}".encode()
        if not (guess.startswith(right.encode()) or right.encode().startswith(guess)):
            return guess
    raise RuntimeError("no wrong password")  # pragma: no cover


@pytest.mark.req("LEG-EKE-FMT-3")
def test_every_user_name_gets_u_ack(link: eke0.EkeLink, eke_legacy: LegacyEkeTarget) -> None:
    wrong = _wrong_password(eke_legacy.password)
    plain = f"nobody{secrets.token_hex(4)}".encode()
    try:
        with link.session() as client:
            try:
                client.login(plain, wrong)
            except (Closed, TimedOut) as exc:
                pytest.skip(f"not judged: the login of a plain unknown name got {exc!r}")
    except TargetGone as exc:
        pytest.skip(f"not judged: the server refused a new connection ({exc})")
    if client.got.get(2) != b"u_ack":
        pytest.skip(
            f"not judged: the plain unknown name {plain!r} got {client.got.get(2)!r}: the "
            "server checks user names (LEG-EKE-2 fixed; its case reports it)"
        )
    refused: list[str] = []
    for name in NAMES:
        try:
            with link.session() as client:
                try:
                    client.login(name, wrong)
                except (Closed, TimedOut) as exc:
                    got = client.got.get(2)
                    if got == b"u_ack":
                        # message 2 was right; what follows is the wrong password's business
                        # (test_legacy_eke0.py's cases judge message 4)
                        continue
                    refused.append(
                        f"{name[:40]!r} ({len(name)} bytes): "
                        + (f"message 2 {got!r}, then {exc!r}" if got else f"{exc!r}, no u_ack")
                    )
                    continue
                if client.got.get(2) != b"u_ack":
                    refused.append(
                        f"{name[:40]!r} ({len(name)} bytes): message 2 {client.got.get(2)!r}"
                    )
        except TargetGone as exc:
            pytest.skip(f"not judged: the server refused a new connection ({exc})")
    assert not refused, (
        "LEG-EKE-FMT-3 (message 2 is `u_ack` whatever the user name: the seed's test is "
        "always true and `Wrong Username` unreachable; each name sent in one write, with a "
        "wrong password after it) violated for: " + "; ".join(refused)
    )


@pytest.mark.req("LEG-EKE-FMT-3")
def test_a_name_with_a_line_break_is_one_name(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    """Message 1 is the whole read, line breaks included: `nobody…\\n<the account's
    password>` (and with `\\r\\n`) is one user name, answered `u_ack`; the server then waits
    for message 3, and the wrong password sent as message 3 is answered `Not
    Authenticated` (LEG-EKE-FMT-3). A server that reads message 1 as a line (a `readline`
    habit, a split at the first newline) takes the text after the break for the password:
    it answers message 4 before message 3 came, and with the account's password there,
    `Authenticated` to a wrong one."""
    wrong = _wrong_password(eke_legacy.password)
    misread: list[str] = []
    for brk in (b"\n", b"\r\n"):
        name = f"nobody{secrets.token_hex(4)}".encode() + brk + eke_legacy.password.encode()
        shown = name.replace(eke_legacy.password.encode(), b"<password>")
        try:
            with link.session() as client:
                try:
                    answer = client.login(name, wrong)
                except (Closed, TimedOut) as exc:
                    misread.append(
                        f"{shown!r}: message 2 {client.got.get(2)!r}, then {exc!r} (message "
                        "4 is `Not Authenticated`, then the server waits for message 1)"
                    )
                    continue
        except TargetGone as exc:
            pytest.skip(f"not judged: the server refused a new connection ({exc})")
        if client.got.get(2, b"").startswith(b"Wrong"):
            continue  # a server that checks names (LEG-EKE-2 fixed): not judged here
        if client.got.get(2) != b"u_ack" or answer != b"Not Authenticated":
            misread.append(
                f"{shown!r}: message 2 {client.got.get(2)!r}, message 4 to the wrong "
                f"password {answer!r}"
            )
    assert not misread, (
        "LEG-EKE-FMT-3 (message 1 is the rest of one read, line breaks included: `u_ack`, "
        "then message 3, and a wrong password is `Not Authenticated`) violated: the text "
        "after the line break was taken for the password: " + "; ".join(misread)
    )
