"""Profile eke-legacy: every login of the sft-eke/0 server is keyed by ITS messages (§7.3).

The format cases of test_legacy_eke0.py run the seed's own client values (Xa = 4597, the
seed's Na, its p), once or twice on a connection. A server written against that client
can pass them and still take shortcuts the table does not allow: a key computed once and
reused (per connection, per user name), a key computed in the seed's group whatever `p`
the client sent, message 18 precomputed from the seed's Na, message 9 read as a fixed 39
bytes because the seed client's public value has 39 digits. §7.3 fixes none of those
values for the client: `K = ASCII(g^(Xa·Xs) mod p)[0:32]` of THIS session's messages 5, 7,
9 and 11 (LEG-EKE-FMT-4), message 18 encrypts the first 16 bytes of THIS message 15's
decryption, and message 9 has no length: it is the rest of one read (LEG-EKE-FMT-2; 38 to
39 bytes, fewer for a few exponents). These cases send other client values, each message
in one write, and read what the server's answer shows: message 13 decrypts under the
session's `K` to text (Ns is 32 ASCII characters, §7.3.2), message 18 is `E(Na[:16])`.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import Closed, TargetGone, TimedOut, hexdump

pytestmark = pytest.mark.xdist_group("eke-legacy")

# How long a server may take to answer message 9 (xorAck, then message 11) before it is
# judged to wait for more bytes of a message that has no length (LEG-EKE-FMT-2).
PATIENCE = 5.0


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


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _is_text(data: bytes) -> bool:
    return data.isascii() and data.decode().isprintable()


def _exponent(digits: int, p: int = eke0.P, g: int = eke0.G) -> int:
    """A fresh client exponent (not the seed's) whose public value g^x mod p has `digits`
    decimal digits (about half of them have 38, half 39 in the seed's group)."""
    for _ in range(10_000):  # bounded; each draw succeeds about one time in two
        x = secrets.randbelow(1 << 64) + 10_000
        if len(str(pow(g, x, p))) == digits:
            return x
    raise RuntimeError(f"no exponent with a {digits}-digit public value")  # pragma: no cover


def _fresh_na() -> bytes:
    """32 ASCII digits, as the seed's Na is (a client MAY draw it: §7.3.2 fixes only the
    seed's own)."""
    return "".join(secrets.choice("0123456789") for _ in range(32)).encode()


@contextlib.contextmanager
def _logged_in(link: eke0.EkeLink, target: LegacyEkeTarget) -> Iterator[eke0.EkeClient]:
    """A session on the shared connection past 'Authenticated'. A server that refuses the
    connection now (it serves a limited number), closes or is silent at the login, or
    answers it otherwise, is not judged here: the format cases of test_legacy_eke0.py
    report how (never a harness ERROR, never evidence for these cases)."""
    try:
        with link.session() as client:
            try:
                answer = client.login(target.user.encode())
            except (Closed, TimedOut) as exc:
                pytest.skip(f"not judged: the login got {exc!r}")
            if answer != b"Authenticated":
                pytest.skip(f"not judged: the account's login was answered {answer!r}")
            yield client
    except TargetGone as exc:
        pytest.skip(f"not judged: the server refused a new connection ({exc})")


def _finish(client: eke0.EkeClient, na: bytes) -> str:
    """Messages 14-24 with the client's Na; what deviates in messages 13 and 18 ('' if
    nothing). The file is fetched to leave the shared connection at rest."""
    ns = eke0.aes_cbc_zero_iv_decrypt(client.key, client.got[13])
    client.confirm(eke0.aes_cbc_zero_iv(client.key, na + ns))
    problems = []
    if not _is_text(ns):
        problems.append(
            f"message 13 ({hexdump(client.got[13], 32)}) decrypts under K = {client.key!r} "
            f"(ASCII(g^(Xa*Xs) mod p)[0:32] of this login's messages 5, 7, 9 and 11) to "
            f"{ns!r}, not Ns (32 ASCII characters): the server keyed it otherwise"
        )
    want_18 = eke0.aes_cbc_zero_iv(client.key, na[:16])
    if client.got[18] != want_18:
        problems.append(
            f"message 18 is {hexdump(client.got[18], 16)}, not E(Na[:16]) = "
            f"{hexdump(want_18, 16)} for this login's Na {na!r} (the first 16 bytes of "
            "message 15's decryption)"
        )
    with contextlib.suppress(Closed, TimedOut, AssertionError):
        client.transfer()
    return "; ".join(problems)


@pytest.mark.req("LEG-EKE-FMT-4")
def test_each_login_is_keyed_by_its_own_messages(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    """Two logins, one after the other on one connection, each with a fresh exponent
    (39-digit public values, as the seed client's) and a fresh Na: each login's message
    13 and 18 must be those of its own K and Na — not a key or a message 18 computed once
    (per connection, per user, at start) from the first login or the seed's values."""
    wrong = []
    for login in ("first", "second"):
        na = _fresh_na()
        with _logged_in(link, eke_legacy) as client:
            client.exponent = _exponent(39)
            try:
                client.group()
                client.exchange()
                problem = _finish(client, na)
            except (Closed, TimedOut) as exc:
                pytest.skip(
                    f"not judged: the {login} login with a fresh exponent and Na got {exc!r} "
                    f"after messages {sorted(client.got)} (the format cases say how the "
                    "server deviates)"
                )
        if problem:
            wrong.append(
                f"{login} login of {eke_legacy.user!r} on this connection (Xa = "
                f"{client.exponent}): {problem}"
            )
    assert not wrong, (
        "LEG-EKE-FMT-4 (messages 13, 15 and 18 under K of the session's own messages 5-11; "
        "18 encrypts the first 16 bytes of the decryption of 15): " + " | ".join(wrong)
    )


@pytest.mark.req("LEG-EKE-FMT-4")
def test_a_session_in_the_clients_group_is_keyed_in_it(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    """The seed server takes p and g from the client (LEG-EKE-3): message 11 is
    hide(g^Xs mod p) of THAT p, and so is K. A server that answers 'pAck', 'gAck' and a
    message 11 in the client's group but keys message 13 in another (the seed's constant p
    where the client's belongs) speaks neither the seed's format nor a fixed group's.
    A server that refuses the group, or computes everything in its own group, is not
    judged here (test_legacy_eke0_group.py reports it under LEG-EKE-3)."""
    p, g = 2**127 + 10419, eke0.G  # a safe prime; 2 generates its whole group
    with _logged_in(link, eke_legacy) as client:
        client.p, client.g = p, g
        client.exponent = _exponent(39, p, g)
        try:
            client.group()
        except (Closed, TimedOut):
            pytest.skip("not judged: the server does not take the client's p (LEG-EKE-3)")
        if (client.got[6], client.got[8]) != (b"pAck", b"gAck"):
            pytest.skip(f"not judged: p and g answered {client.got[6]!r}, {client.got[8]!r}")
        try:
            client.exchange()
        except AssertionError:
            pytest.skip("not judged: message 11 is no value of the client's group")
        except (Closed, TimedOut) as exc:
            pytest.skip(f"not judged: message 9 in the client's group got {exc!r}")
        ns = eke0.aes_cbc_zero_iv_decrypt(client.key, client.got[13])
        server_public = eke0.reveal(client.got[11], eke_legacy.password.encode())
        with contextlib.suppress(Closed, TimedOut, AssertionError):
            client.confirm()
            client.transfer()
    if _is_text(ns):
        return
    if server_public is not None:
        # Consistently in a group of its own (the seed's p): LEG-EKE-3's business.
        own = str(pow(server_public, client.exponent, eke0.P)).encode()[:32]
        if len(own) == 32 and _is_text(eke0.aes_cbc_zero_iv_decrypt(own, client.got[13])):
            pytest.skip("not judged: the server keys the session in the seed's group")
    _fail(
        "LEG-EKE-FMT-4 (message 13 is AES-CBC of Ns under K of the session's p, g and "
        "messages 9 and 11)",
        f"the client sent p = 2^127+10419, g = 2; the server answered 'pAck', 'gAck' and a "
        f"message 11 in that group ({server_public} < p), but message 13 "
        f"({hexdump(client.got[13], 32)}) decrypts under K = {client.key!r} to {ns!r}, not "
        "32 ASCII characters: its key is no value of the group it acknowledged",
    )


@pytest.mark.req("LEG-EKE-FMT-2")
def test_a_38_digit_message_9_is_taken_whole(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    """Message 9 has no length: `hide(g^Xa mod p)` is as long as the value's digits (the
    seed client's 4597 gives 39, about half of all exponents 38). A server must take it as
    the rest of one read (LEG-EKE-FMT-2), not wait for a 39th byte. Only the framing is
    judged (xorAck and message 11 come), not the key (the case above)."""
    with _logged_in(link, eke_legacy) as control:  # the seed client's 39 bytes first
        try:
            control.group()
            control.exchange()
        except (Closed, TimedOut, AssertionError) as exc:
            pytest.skip(f"not judged: the seed client's own message 9 got {exc!r}")
        with contextlib.suppress(Closed, TimedOut, AssertionError):
            control.confirm()
            control.transfer()
    with _logged_in(link, eke_legacy) as client:
        client.exponent = _exponent(38)
        try:
            client.group()
        except (Closed, TimedOut) as exc:
            pytest.skip(f"not judged: messages 5 and 7 got {exc!r}")
        hidden = eke0.hide(pow(client.g, client.exponent, client.p), client.password)
        client.stream.send(hidden)
        client.at_rest = False
        try:
            client.got[10] = client.stream.read_exact(6, timeout=PATIENCE)
            client.got[11] = client.stream.read_segment(timeout=PATIENCE)
        except Closed:
            got: str | None = "a close"
        except TimedOut:
            got = f"nothing in {PATIENCE:.0f} s (the connection left open)"
        else:
            got = None
        if got is None:
            # Finished leniently, the file fetched, to leave the connection at rest.
            server_public = eke0.reveal(client.got[11], client.password)
            if server_public is not None:
                client.key = str(pow(server_public, client.exponent, client.p)).encode()[:32]
            with contextlib.suppress(Closed, TimedOut, AssertionError, ValueError):
                client.stream.send(b"xorServerAck")
                client.got[13] = client.stream.read_exact(32)
                client.confirm()
                client.transfer()
    if got is not None:
        _fail(
            "LEG-EKE-FMT-2 (messages 1, 3, 5, 7, 9, 11 and 19 are each the rest of one read)",
            f"message 9 sent in one write, {len(hidden)} bytes (a public value of 38 digits, "
            f"Xa = {client.exponent}): the server answered {got} instead of 'xorAck' and "
            "message 11 — it waits for more bytes of a message that has no length (a "
            "39-byte read: the seed client's value has 39 digits)",
        )
