"""Profile eke-legacy: what one connection leaves behind, and how long one lasts (§7.3.3).

The seed's server reads each connection with its own `recv` calls: a new connection starts
at message 1 with nothing of an earlier one, and on one connection it takes login after
login (after message 24 and after `Not Authenticated` it waits for message 1 again), with
no limit on how many or on their total size. LEG-EKE-FMT-3 (each message answered with the
next server message of the table) holds for every session, the tenth as the first. A
server can pass the cases that cut sessions at message boundaries and run a few logins per
connection, and still get this wrong:

- a read buffer shared by every connection ("one client at a time: one buffer": a static,
  a class attribute) that is not emptied when a connection ends. A client that went away
  inside a fixed-length or literal message (part of message 15, half an ack) or sent more
  than a literal leaves bytes in it, and the next connection's message 1 is those bytes:
  `u_ack` is answered to them, the client's user name is taken as its password, and the
  account is answered `Not Authenticated`;
- a limit counted per connection where the seed has one per message: the seed's
  `recv(1024)` kept as a 1024-byte budget for all of messages 1, 3, 5, 7 and 9, a cap on
  the bytes or the logins of a connection: after some logins the connection closes or
  messages are cut.

`test_a_message_torn_by_a_leaving_client_is_not_the_next_connections`: sessions on their
own connections, each left by the client inside a message (part of message 12, 15, 20 or
23, or a literal with bytes after it); after each, a full session on a new connection MUST
be served. `test_one_connection_carries_login_after_login`: on one connection, 24 logins with
long user names (the seed never checks the name, LEG-EKE-2; each within the 1024 bytes of
the seed's read) and a wrong password, each answered `Not Authenticated`, between 9 full
sessions of the account, each served whole and with the same file. A one-shot server
(that refuses a new connection) or one that checks user names is not judged where that
stops the case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import NoReturn

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import TargetGone, TimedOut

pytestmark = pytest.mark.xdist_group("eke-legacy")

# Rounds on one connection after a first full session: each a wrong-password login with a
# long user name; every FULL_EVERY-th and the last also a full session of the account (only
# the last when the served file is over BIG). 24 x ~1 KiB of messages 1 and 3, 9 sessions.
ROUNDS = 24
FULL_EVERY = 3
LONG_NAME = 1000  # bytes: under the seed's recv(1024) for message 1
BIG = 1 << 20


def _fail(evidence: str) -> NoReturn:
    pytest.fail(
        "LEG-EKE-FMT-3 (the server MUST answer each message of the table with the next "
        "server message; a new connection starts at message 1, and after message 24 or "
        f"'Not Authenticated' the server waits for message 1 again) violated: {evidence}",
        pytrace=False,
    )


def _served(client: eke0.EkeClient, user: bytes) -> tuple[str, bytes]:
    """A full session of the account on `client`'s connection: ('', the file) when it was
    served whole with a matching digest, else (what deviated, b'')."""
    try:
        answer = client.login(user)
        if answer != b"Authenticated":
            return f"the account's password was answered {answer!r}", b""
        data = client.finish()
    except (ConnectionError, TimedOut) as exc:  # Closed, or a reset while sending
        seen = ", ".join(f"{n}: {m[:20]!r}" for n, m in sorted(client.got.items()))
        return f"{exc!r} after server messages [{seen}]", b""
    except AssertionError as exc:
        return f"{exc}", b""
    digest = hashlib.sha1(data, usedforsecurity=False).hexdigest().encode()
    if client.got.get(24) != digest:
        return (
            f"message 24 is {client.got.get(24, b'')!r}, not the SHA-1 of the {len(data)} "
            f"bytes of message 22 ({digest.decode()})",
            b"",
        )
    return "", data


def _fresh_session(target: LegacyEkeTarget) -> tuple[str, bool]:
    """A full session on a new connection: ('', True) when served; else (what deviated,
    whether a connection was had at all)."""
    link = eke0.EkeLink(target.host, target.port, target.password.encode())
    try:
        with link.session() as client:
            problem, _ = _served(client, target.user.encode())
            return problem, True
    except TargetGone as exc:
        return f"{exc}", False
    finally:
        link.release()


# How a client leaves a session inside a message: (description, what it does once logged
# in). Each sends a prefix of the table's next client message (or a literal with bytes
# after it, as one write) and then closes its connection.
def _torn_12(client: eke0.EkeClient) -> None:
    client.group()
    client._send(9, eke0.hide(pow(client.g, client.exponent, client.p), client.password))
    client.got[10] = client.stream.read_exact(6)
    client.got[11] = client.stream.read_segment()
    client.stream.send(b"xorServ")


def _torn_15(client: eke0.EkeClient) -> None:
    client.group()
    client.exchange()
    ns = eke0.aes_cbc_zero_iv_decrypt(client.key, client.got[13])
    message_15 = eke0.aes_cbc_zero_iv(client.key, eke0.NA + ns)
    client.stream.send(b"aesAck")
    client.stream.send(message_15[:40])


def _literal_and_more(client: eke0.EkeClient) -> None:
    client.group()
    client._send(9, eke0.hide(pow(client.g, client.exponent, client.p), client.password))
    client.got[10] = client.stream.read_exact(6)
    client.got[11] = client.stream.read_segment()
    client.stream.send(b"xorServerAck" + b"Z" * 23)


def _torn_20(client: eke0.EkeClient) -> None:
    client.group()
    client.exchange()
    client.confirm()
    client.stream.send(b"LnA")


def _torn_23(client: eke0.EkeClient) -> None:
    client.group()
    client.exchange()
    client.confirm()
    size = int(client.got[19]) if client.got[19].isdigit() else -1
    if size < 0:
        raise AssertionError(f"message 19 is {client.got[19]!r}")
    client._send(20, b"LnACK")
    client.got[21] = client.stream.read_exact(2)
    client.got[22] = client.stream.read_exact(size)
    client.stream.send(b"File del")


TORN: tuple[tuple[str, Callable[[eke0.EkeClient], None]], ...] = (
    ("7 of the 12 bytes of message 12 ('xorServ')", _torn_12),
    ("message 14, then 40 of the 64 bytes of message 15", _torn_15),
    ("message 12 with 23 more bytes in the same write", _literal_and_more),
    ("3 of the 5 bytes of message 20 ('LnA')", _torn_20),
    ("8 of the 14 bytes of message 23 ('File del')", _torn_23),
)


def _tear(target: LegacyEkeTarget, how: Callable[[eke0.EkeClient], None]) -> str:
    """One session on its own connection, left by the client inside a message; '' when it
    got there, else what stopped it earlier (the format cases say how)."""
    link = eke0.EkeLink(target.host, target.port, target.password.encode())
    try:
        with link.session() as client:
            if client.login(target.user.encode()) != b"Authenticated":
                return f"the login was answered {client.got.get(4, b'')!r}"
            how(client)
            client.at_rest = False  # the client goes away mid-message
    except (ConnectionError, TimedOut, AssertionError, ValueError) as exc:
        return f"{exc!r}"
    except TargetGone as exc:
        return f"the server refused a new connection ({exc})"
    finally:
        link.release()
    return ""


@pytest.mark.req("LEG-EKE-FMT-3")
def test_a_message_torn_by_a_leaving_client_is_not_the_next_connections(
    eke_legacy: LegacyEkeTarget,
) -> None:
    """After each session left inside a message, a full session on a new connection."""
    first, reached = _fresh_session(eke_legacy)
    if not reached:
        pytest.skip(f"not judged: the server refused a new connection ({first})")
    if first:
        pytest.skip(
            f"not judged: a full session on a new connection was not served before any "
            f"torn one ({first}); the format cases say how"
        )
    done: list[str] = []
    for what, how in TORN:
        stopped = _tear(eke_legacy, how)
        if stopped:
            pytest.skip(
                f"not judged: a session meant to be left inside a message ({what}) stopped "
                f"before it: {stopped} (the format cases say how)"
            )
        done.append(what)
        problem, reached = _fresh_session(eke_legacy)
        if not reached:
            pytest.skip(f"not judged: the server refused a new connection ({problem})")
        if problem:
            _fail(
                "a full session on a new connection was served; then sessions on their own "
                f"connections were left by the client inside a message ({'; '.join(done)}), "
                f"each connection then closed by the client; the next full session on a new "
                f"connection: {problem} — bytes of a closed connection read as this one's"
            )


@pytest.mark.req("LEG-EKE-FMT-3")
def test_one_connection_carries_login_after_login(eke_legacy: LegacyEkeTarget) -> None:
    """A full session of the account, then ROUNDS wrong-password logins with distinct
    1000-byte user names and a full session every FULL_EVERY rounds and after the last,
    all on one connection."""
    user = eke_legacy.user.encode()
    wrong = b"not-" + eke_legacy.password.encode() + b"-at-all"
    link = eke0.EkeLink(eke_legacy.host, eke_legacy.port, eke_legacy.password.encode())
    logins = sessions = sent_bytes = 0

    def before() -> str:
        return (
            f"on one connection, after {logins} logins with {LONG_NAME}-byte user names and "
            f"a wrong password (each answered 'Not Authenticated') and {sessions} full "
            f"sessions of the account ({sent_bytes} bytes of client messages)"
        )

    files: set[bytes] = set()
    try:
        with link.idle() as stream:
            control = eke0.EkeClient(stream, eke_legacy.password.encode())
            problem, data = _served(control, user)
            if problem:
                pytest.skip(
                    f"not judged: a first full session on a new connection was not served "
                    f"({problem}); the format cases say how"
                )
            sent_bytes += len(control.session_sent)
            sessions += 1
            files.add(data)
            for round_number in range(1, ROUNDS + 1):
                client = eke0.EkeClient(stream, eke_legacy.password.encode())
                name = (f"r{round_number:02d}-".encode() + b"u" * LONG_NAME)[:LONG_NAME]
                try:
                    answer = client.login(name, wrong)
                except (ConnectionError, TimedOut) as exc:  # Closed, or a reset
                    broken = f"{exc!r}"
                else:
                    broken = ""
                if broken:  # judged outside the handler: the evidence is this, not the reset
                    _fail(
                        f"{before()}, a login with a {LONG_NAME}-byte user name and "
                        f"a wrong password got {broken} instead of 'u_ack' and 'Not "
                        "Authenticated'"
                    )
                if answer == eke0.WRONG_USERNAME:
                    pytest.skip(
                        "not judged: the server checks user names (LEG-EKE-2's case reports it)"
                    )
                if answer != b"Not Authenticated" or not client.at_rest:
                    _fail(
                        f"{before()}, a login with a {LONG_NAME}-byte user name and "
                        f"a wrong password was answered {answer!r} (then "
                        f"{client.stream.pending()[:32]!r}), not 'Not Authenticated'"
                    )
                sent_bytes += len(client.session_sent)
                logins += 1
                big = any(len(f) > BIG for f in files)
                if round_number != ROUNDS and (round_number % FULL_EVERY or big):
                    continue
                session = eke0.EkeClient(stream, eke_legacy.password.encode())
                problem, data = _served(session, user)
                sent_bytes += len(session.session_sent)
                if problem:
                    _fail(f"{before()}, the account's full session: {problem}")
                files.add(data)
                if len(files) > 1:
                    _fail(
                        f"{before()}, the full session served a file of {len(data)} bytes "
                        "that differs from the earlier sessions' (the server serves one "
                        "fixed file)"
                    )
                sessions += 1
    except TargetGone as exc:
        pytest.skip(f"not judged: the server refused a new connection ({exc})")
    finally:
        link.release()
