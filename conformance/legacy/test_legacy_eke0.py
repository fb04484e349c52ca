"""Profile eke-legacy: the sft-eke/0 server and client (docs/SPEC.md §7.3).

LEG-EKE-FMT-* tests pass against a faithful legacy server; LEG-EKE-n tests check the v1
requirement that the legacy design violates and FAIL with evidence from the wire.

The server cases share one connection (`EkeLink`): the seed's server serves one
connection and exits, but takes login after login on it, so a one-shot deployment is
audited whole without a restart wrapper. The cases that may leave the connection
elsewhere than at rest (a split message, a forged confirmation) come last. The client
cases (`--client-cmd`) run the requester against the suite's own server.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from Crypto.Cipher import AES

from conformance.legacy import eke0
from conformance.legacy.client_run import run_eke0_client
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import (
    ClientReader,
    Closed,
    HarnessError,
    LegacyStream,
    TargetGone,
    TimedOut,
    hexdump,
)

pytestmark = pytest.mark.xdist_group("eke-legacy")

SEED_NS = b"11100111011100111000000000000000"  # the seed server's fixed nonce


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


@pytest.fixture(scope="module")
def link(eke_legacy: LegacyEkeTarget) -> Iterator[eke0.EkeLink]:
    shared = eke0.EkeLink(eke_legacy.host, eke_legacy.port, eke_legacy.password.encode())
    yield shared
    shared.release()


def _full(link: eke0.EkeLink, target: LegacyEkeTarget) -> eke0.EkeClient:
    with link.session() as client:
        client.run(target.user.encode())
    return client


# --- wire format (passes against sft-eke/0) ------------------------------------


@pytest.mark.req("LEG-EKE-FMT-1", "LEG-EKE-FMT-3", "LEG-EKE-FMT-4", "LEG-EKE-FMT-5")
def test_the_seed_exchange_end_to_end(link: eke0.EkeLink, eke_legacy: LegacyEkeTarget) -> None:
    with link.session() as client:
        client.order_wait = 0.2  # the lock-step order: nothing before the client's turn
        client.run(eke_legacy.user.encode())
    got = client.got
    assert (got[2], got[4], got[6], got[8], got[10]) == (
        b"u_ack",
        b"Authenticated",
        b"pAck",
        b"gAck",
        b"xorAck",
    )
    assert eke0.reveal(got[11], eke_legacy.password.encode()) is not None, (
        f"message 11 does not decrypt to digits: {hexdump(got[11])}"
    )
    assert len(client.key) == 32
    ns = eke0.aes_cbc_zero_iv_decrypt(client.key, got[13])
    assert len(ns) == 32
    # Message 13 is the only one that shows the server's key: 18 is E(D(first block of
    # 15)) under the zero IV, the first block of 15 back under ANY key. Ns is 32 ASCII
    # characters (§7.3.2: the seed's constant, or its generate_nonce() digits), so a
    # decryption under K that is not text means another key, or another mode (AES-ECB
    # agrees with CBC under the zero IV on the first block only).
    if not (ns.isascii() and ns.decode().isprintable()):
        ecb = AES.new(client.key, AES.MODE_ECB).decrypt(got[13])
        how = (
            f"AES-ECB (which decrypts it to {ecb!r})"
            if ecb.isascii() and ecb.decode().isprintable()
            else "another key than K = ASCII(g^(Xa*Xs) mod p)[0:32] of messages 9 and 11"
        )
        raise AssertionError(
            f"LEG-EKE-FMT-4 (message 13 is AES-CBC of Ns under K and the zero IV): it "
            f"decrypts to {ns!r}, not 32 ASCII characters: the server used {how}"
        )
    assert got[16] == b"clientAesAck"
    assert got[18] == eke0.aes_cbc_zero_iv(client.key, eke0.NA[:16]), "message 18 != E(Na[:16])"
    assert got[21] == b"ok"
    assert int(got[19]) == len(got[22])
    if eke_legacy.known_file is not None:
        assert eke_legacy.known_file.matches(got[22]), "the file is not the one declared"
    assert got[24] == hashlib.sha1(got[22], usedforsecurity=False).hexdigest().encode()


def _wrong_passwords(password: bytes) -> list[bytes]:
    """Wrong passwords a careless comparison accepts: random, a prefix, the password
    with the seed's '0' padding (a comparison of pw39), another case, a last byte
    changed, the first character, the password with white space around it, the password
    followed by a NUL (and more), or by CRLF."""
    guesses = [
        b"wrong-" + os.urandom(4).hex().encode(),
        password[:-1],
        password + b"0",
        password.swapcase(),
        password[:-1] + bytes([password[-1] ^ 1]) if password else b"x",
        password[:1],
        # what a comparison after strip() / rstrip("\n") / a typed line accepts
        password + b"\n",
        b" " + password,
        password + b" ",
        # what a C-string comparison accepts (strcmp after m[n] = 0 stops at the NUL),
        # and a CRLF line
        password + b"\x00",
        password + b"\x00" + b"tail",
        password + b"\r\n",
    ]
    return [g for i, g in enumerate(guesses) if g and g != password and g not in guesses[:i]]


@pytest.mark.req("LEG-EKE-FMT-3")
def test_a_wrong_password_gets_not_authenticated(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    answers: dict[bytes, bytes] = {}
    for guess in _wrong_passwords(eke_legacy.password.encode()):
        with link.session() as client:
            answers[guess] = client.login(eke_legacy.user.encode(), guess)
            if answers[guess] == b"Authenticated":
                # Back at rest for the next case, if the server keyed the session with
                # the wrong password's XOR it cannot: then the link is dropped.
                with contextlib.suppress(Closed, TimedOut, AssertionError):
                    client.finish()
    wrong = {g: a for g, a in answers.items() if a != b"Not Authenticated"}
    assert not wrong, (
        "LEG-EKE-FMT-3 (a wrong password is answered exactly 'Not Authenticated'): "
        + "; ".join(f"password {g!r} answered {a!r}" for g, a in wrong.items())
    )


@pytest.mark.req("LEG-EKE-FMT-3")
def test_after_not_authenticated_the_server_waits_for_the_next_login(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    """Row 4 of the table: after 'Not Authenticated' the server waits for message 1
    again, on the same connection, however many times (a server that hangs up after
    one, or after a few, deviates: and fixes nothing, a new connection guesses on)."""
    user = eke_legacy.user.encode()
    wrong = 5
    with link.session() as client:
        for i in range(wrong + 1):
            guess = None if i == wrong else f"not-the-password-{i}".encode()
            try:
                answer = client.login(user, guess)
            except (Closed, TimedOut) as exc:
                what = "closed the connection" if isinstance(exc, Closed) else "went silent"
                raise AssertionError(
                    f"LEG-EKE-FMT-3 (after 'Not Authenticated' the server waits for message "
                    f"1 again): after {i} wrong password(s) answered 'Not Authenticated' on "
                    f"one connection, the server {what} when the next login began"
                ) from exc
            if answer == b"Authenticated":
                # The account's password (last), or a wrong one accepted (the wrong-password
                # case's finding): the session is finished to leave the link at rest.
                client.finish()
                break


@pytest.mark.req("LEG-EKE-FMT-3")
def test_after_message_24_the_server_waits_for_the_next_login(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    """After message 24 the server waits for message 1 again on the same connection (the
    seed's `while True` around the session, §7.3.3); the client is the one that closes.
    A server that hangs up after one file (a `return` after the digest) deviates."""
    user = eke_legacy.user.encode()
    with link.session() as client:
        data = client.run(user)
        try:
            answer = client.login(user)
        except (Closed, TimedOut) as exc:
            what = "closed the connection" if isinstance(exc, Closed) else "went silent"
            raise AssertionError(
                f"LEG-EKE-FMT-3 (after message 24 the server waits for message 1 again): "
                f"after a complete session on one connection (the file, {len(data)} bytes, "
                f"and its SHA-1), the server {what} when the next login began"
            ) from exc
        assert answer == b"Authenticated", (
            f"LEG-EKE-FMT-3: the second login on one connection was answered {answer!r}"
        )
        client.finish()


# --- security requirements the legacy design violates (FAIL with evidence) ------


@pytest.mark.req("LEG-EKE-1", "EKE-PW-3", "EKE-SEC-1")
def test_the_password_travels_in_clear(link: eke0.EkeLink, eke_legacy: LegacyEkeTarget) -> None:
    with link.session() as client:
        answer = client.login(eke_legacy.user.encode())
        if answer == b"Authenticated":
            client.group()
            client.exchange()
            client.confirm()
            client.transfer()
    password = eke_legacy.password.encode()
    offset = client.session_sent.find(password)
    if answer == b"Authenticated" and offset >= 0:
        _fail(
            "LEG-EKE-1 / EKE-PW-3, EKE-SEC-1 (the password MUST NOT be sent)",
            f"password {eke_legacy.password!r} readable in clear at offset {offset} of the "
            f"client's stream (message 3, as the protocol requires); the server answered "
            f"{answer.decode()!r}",
        )


def _wrong_names(user: bytes) -> list[bytes]:
    """Names that are not the account's: none at all, a prefix, an extension, another
    case (a server that checks the name carelessly accepts one of them)."""
    names = [f"nobody-{secrets.token_hex(4)}".encode(), user[:-1], user + b"x", user.swapcase()]
    return [n for i, n in enumerate(names) if n and n != user and n not in names[:i]]


@pytest.mark.req("LEG-EKE-2", "EKE-HS-2")
def test_the_user_name_is_not_checked(link: eke0.EkeLink, eke_legacy: LegacyEkeTarget) -> None:
    accepted: list[str] = []
    for name in _wrong_names(eke_legacy.user.encode()):
        with link.session() as client:
            try:
                answer = client.login(name)
                if answer == b"Authenticated":
                    data = b""
                    with contextlib.suppress(Closed, TimedOut, AssertionError):
                        data = client.finish()
                    accepted.append(
                        f"{name.decode(errors='replace')!r} got "
                        f"{client.got[2].decode(errors='replace')!r}, 'Authenticated' with the "
                        f"account's password, and the file ({len(data)} bytes)"
                    )
            except (Closed, TimedOut):
                break  # refused by a close or silence: not accepted; the link is gone
    if accepted:
        _fail(
            "LEG-EKE-2 / EKE-HS-2 (the server MUST authenticate the named user)",
            f"user names other than the account's {eke_legacy.user!r} (no such account) "
            "logged in: " + "; ".join(accepted),
        )


def _discrete_log(value: int | None) -> int | None:
    if value is None:
        return None
    power = 1
    for exponent in range(1, 1 << 16):  # bounded search: 65 535 multiplications
        power = power * eke0.G % eke0.P
        if power == value:
            return exponent
    return None


@pytest.mark.req("LEG-EKE-4", "EKE-X-1")
def test_the_servers_exponent_is_fixed_and_small(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    first = _full(link, eke_legacy)
    second = _full(link, eke_legacy)
    same = first.got[11] == second.got[11]
    found = _discrete_log(eke0.reveal(first.got[11], eke_legacy.password.encode()))
    if same or found is not None:
        _fail(
            "LEG-EKE-4 / EKE-X-1 (fresh exponents of at least 320 bits)",
            f"message 11 identical in two sessions: {same}; the server's exponent, found by "
            f"trying exponents below 65536: {found}",
        )


@pytest.mark.req("LEG-EKE-5", "EKE-SEC-1", "EKE-X-2")
def test_a_passive_capture_is_an_offline_dictionary_oracle(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    client = _full(link, eke_legacy)
    hidden = (client.sent[9], client.got[11])  # messages 9 and 11, as captured
    password = eke_legacy.password.encode()
    wrong = [secrets.token_urlsafe(len(password))[: len(password)].encode() for _ in range(200)]
    wrong += [
        password[:-1],
        password + b"x",
        password.upper() if password.upper() != password else b"Z" + password[1:],
    ]

    def consistent(guess: bytes) -> bool:
        return all(eke0.reveal(h, guess) is not None for h in hidden)

    survivors = [g for g in wrong if g != password and consistent(g)]
    width = min(len(h) for h in hidden)
    visible_length = next(
        (
            i
            for i in range(width)
            if all(bytes([h[j] ^ 0x30]).isdigit() for h in hidden for j in range(i, width))
        ),
        None,
    )
    if consistent(password) and len(survivors) < len(wrong) // 10:
        _fail(
            "LEG-EKE-5 / EKE-SEC-1 (a capture MUST NOT allow testing a guess offline)",
            f"from messages 9 and 11 alone (no server contact) the test 'both decrypt to "
            f"decimal digits' accepts the password and rejects {len(wrong) - len(survivors)}/"
            f"{len(wrong)} wrong guesses; the '0' padding starts after character "
            f"{visible_length}, revealing the password's length",
        )


@pytest.mark.req("LEG-EKE-6", "EKE-HS-10")
def test_messages_repeat_across_sessions_and_replays_work(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    first = _full(link, eke_legacy)
    with link.session() as replay:
        replay.login(eke_legacy.user.encode())
        replay.group()
        replay.exchange(hidden=first.sent[9])  # message 9 of the first session
        try:
            replay.confirm(message_15=first.sent[15])  # message 15 of the first session
            replay.transfer()
        except (Closed, TimedOut):
            pass  # refused the replayed confirmation
    repeated = [n for n in (11, 13, 18) if first.got[n] == replay.got.get(n)]
    if repeated and replay.got.get(22) == first.got[22]:
        _fail(
            "LEG-EKE-6 / EKE-HS-10 (a replayed message MUST fail)",
            f"replayed messages 9 and 15 of an earlier session: the server answered "
            f"identical messages {repeated} ({hexdump(replay.got[13], 8)}) and sent the file",
        )


@pytest.mark.req("LEG-EKE-13", "EKE-HS-10", "EKE-REC-2")
def test_the_iv_is_zero_and_the_nonces_are_fixed(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    sessions = [_full(link, eke_legacy) for _ in range(2)]
    findings = []
    first = sessions[0]
    # Message 18 is E(first 16 bytes of Na), Na the suite's: the IV is what is left when
    # the block cipher is undone, whatever the server's framing of it.
    block = AES.new(first.key, AES.MODE_ECB).decrypt(first.got[18][:16])
    iv = bytes(a ^ b for a, b in zip(block, eke0.NA[:16], strict=True))
    if iv == bytes(16):
        findings.append(
            f"message 18 ({hexdump(first.got[18], 16)}) is AES-CBC of the suite's Na under "
            "the all-zero IV"
        )
    nonces = [eke0.aes_cbc_zero_iv_decrypt(s.key, s.got[13]) for s in sessions]
    if nonces[0] == nonces[1]:
        seed = " (the seed's constant)" if nonces[0] == SEED_NS else ""
        findings.append(f"the server's Ns is {nonces[0][:32]!r}{seed} in both sessions")
    if sessions[0].got[13] == sessions[1].got[13]:
        findings.append("message 13 is byte for byte the same in both sessions")
    if findings:
        _fail(
            "LEG-EKE-13 / EKE-HS-10, EKE-REC-2 (fresh nonces; no IV reused under a key)",
            "; ".join(findings),
        )


@pytest.mark.req("LEG-EKE-8", "EKE-SEC-2")
def test_the_file_travels_in_clear(link: eke0.EkeLink, eke_legacy: LegacyEkeTarget) -> None:
    client = _full(link, eke_legacy)
    data = client.got[22]
    offset = client.session_received.find(data[:64]) if data else -1
    if offset >= 0:
        _fail(
            "LEG-EKE-8 / EKE-SEC-2 (no application data in clear)",
            f"the file ({len(data)} bytes) appears in clear at offset {offset} of the server's "
            f"stream, after its length {client.got[19].decode()!r} in clear",
        )


@pytest.mark.req("LEG-EKE-9", "EKE-REC-1", "APP-GET-3")
def test_integrity_is_an_unkeyed_sha1_in_clear(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    client = _full(link, eke_legacy)
    digest = hashlib.sha1(client.got[22], usedforsecurity=False).hexdigest().encode()
    # In any letter case (a format deviation, LEG-EKE-FMT-5): still an unkeyed hash.
    if client.got[24].lower() == digest:
        _fail(
            "LEG-EKE-9 / EKE-REC-1, APP-GET-3 (data MUST be authenticated with a key)",
            f"the only integrity check is message 24 = SHA-1(file) in clear "
            f"({digest.decode()}): whoever replaces the file recomputes it",
        )


def _login_on_the_link(link: eke0.EkeLink, user: bytes, password: bytes | None) -> bytes | None:
    """One login on the shared link, and the session finished if it is accepted; a
    connection closed under it is retried once on a new one (a server that hangs up
    after some failures); None when the server went silent (it delays: a throttle)."""
    for _ in range(2):
        with link.session() as client:
            try:
                answer = client.login(user, password)
            except Closed:
                client.at_rest = False
                continue
            except TimedOut:
                client.at_rest = False
                return None
            if answer == b"Authenticated":
                with contextlib.suppress(Closed, TimedOut, AssertionError):
                    client.finish()
            return answer
    return None


@pytest.mark.req("LEG-EKE-10", "EKE-THR-1", "EKE-SEC-3")
def test_password_guessing_is_not_throttled(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    user = eke_legacy.user.encode()
    answers: list[bytes | None] = []
    first_connection = link.connections
    for i in range(10):
        answers.append(_login_on_the_link(link, user, f"guess-{i}".encode()))
        if answers[-1] != b"Not Authenticated":
            break
    if answers[-1] == b"Authenticated":
        _fail(
            "LEG-EKE-10 / EKE-THR-1, EKE-SEC-3 (failed attempts MUST be throttled)",
            f"the wrong password 'guess-{len(answers) - 1}' was answered 'Authenticated' "
            "(and the file followed): guessing is unlimited, and not even needed",
        )
    final = _login_on_the_link(link, user, None)
    if set(answers) == {b"Not Authenticated"} and len(answers) == 10 and final == b"Authenticated":
        reconnected = link.connections - first_connection
        how = (
            "on one connection"
            if not reconnected
            else f"(the server hung up {reconnected} time(s); each new connection guessed on)"
        )
        _fail(
            "LEG-EKE-10 / EKE-THR-1, EKE-SEC-3 (failed attempts MUST be throttled)",
            f"10 wrong passwords {how} were each answered 'Not Authenticated' at once; the "
            "11th, correct one, 'Authenticated'",
        )


@pytest.mark.req("LEG-EKE-12", "LIM-5")
def test_one_stalled_client_blocks_the_others(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    how = ""
    # The shared connection is the first client: open, silent, at rest.
    with link.idle(), contextlib.ExitStack() as stack:
        try:
            second = stack.enter_context(LegacyStream(eke_legacy.host, eke_legacy.port))
        except TargetGone as exc:
            _fail(
                "LEG-EKE-12 / LIM-5 (a responder MUST keep serving other connections)",
                f"while a first client stayed connected, a second connection was refused: {exc}",
            )
        second.send(eke_legacy.user.encode())
        try:
            answer = second.read_exact(5, timeout=2.0)
        except TimedOut:
            how = "got no answer at all within 2.0 s"
        except Closed:
            how = "was closed without an answer"
        else:
            # Served: answer its password so that it ends cleanly, then leave it.
            if answer != b"u_ack":
                how = f"got {answer!r} instead of 'u_ack'"
    if how:
        _fail(
            "LEG-EKE-12 / LIM-5 (a responder MUST keep serving other connections)",
            f"while a first client stayed connected and silent between two logins, a second "
            f"client sent its user name and {how}",
        )


@pytest.mark.req("LEG-EKE-3", "EKE-GRP-1")
def test_the_group_is_the_clients_and_tiny(link: eke0.EkeLink, eke_legacy: LegacyEkeTarget) -> None:
    # A safe prime the client picks, not the protocol's p; 2 generates its whole group
    # (p = 3 mod 8). Not 2^127-1: 2 has order 127 there, so most keys K would be
    # 2^k with fewer than 32 digits, no AES key, and the session would die.
    chosen = 2**127 + 10419
    with link.session() as client:
        if client.login(eke_legacy.user.encode()) != b"Authenticated":
            # As EkeLink.run: a server that answers the account otherwise deviates (the
            # format cases say how); not a harness error.
            raise AssertionError(f"login refused: {client.got.get(4)!r}")
        client.p = chosen
        try:
            client.group()
            client.exchange()
            client.confirm()
            client.transfer()
        except (Closed, TimedOut):
            pass
    server_public = eke0.reveal(client.got.get(11, b""), eke_legacy.password.encode())
    used_ours = client.key and client.got.get(18) == eke0.aes_cbc_zero_iv(client.key, eke0.NA[:16])
    if client.got.get(6) == b"pAck" and used_ours:
        _fail(
            "LEG-EKE-3 / EKE-GRP-1 (the group MUST be ffdhe3072)",
            "the server takes p and g from the client: it acknowledged p = 2^127+10419 with "
            "'pAck' and keyed the session in that group (its message 18 decrypts under the "
            f"key of 2^127+10419); the protocol's own p has {eke0.P.bit_length()} bits",
        )
    if server_public is not None and server_public.bit_length() <= 128:
        _fail(
            "LEG-EKE-3 / EKE-GRP-1 (the group MUST be ffdhe3072)",
            f"the server's public value (message 11) has {server_public.bit_length()} bits: "
            f"a {eke0.P.bit_length()}-bit group, not 3072",
        )


@pytest.mark.req("LEG-EKE-11", "FRM-1")
def test_a_message_split_across_writes_is_misread(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    user = eke_legacy.user.encode()
    if len(user) < 2:
        pytest.skip("needs a user name of two bytes or more")
    head, tail = user[: len(user) // 2], user[len(user) // 2 :]
    with link.session() as client:
        client.at_rest = False
        client.stream.send(head)
        try:
            early = client.stream.read_exact(5, timeout=3.0)
        except (TimedOut, Closed):
            return  # waited for the rest: not misframed
        client.stream.send(tail)
        try:
            second = client.stream.read_exact(13, timeout=5.0)
            if second == b"Not Authentic":
                second += client.stream.read_exact(4, timeout=5.0)
                client.at_rest = second == b"Not Authenticated"
        except (TimedOut, Closed):
            second = b""
    if early == b"u_ack":
        _fail(
            "LEG-EKE-11 / FRM-1 (messages MUST be length-delimited frames)",
            f"sent the user name {user!r} in two writes: the server answered 'u_ack' after "
            f"{head!r} and took {tail!r} as the password ({second!r})",
        )


@pytest.mark.req("LEG-EKE-7", "EKE-HS-6")
def test_the_server_does_not_verify_key_confirmation(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    # Message 15 exactly as the table writes it, Na first, but with an Ns' that is not the
    # decryption of message 13: only a server that checks the confirmation itself refuses
    # it (one that checks only the fixed Na, or that 15 decrypts to digits, is not fixed).
    data = b""
    with link.session() as client:
        client.login(eke_legacy.user.encode())
        client.group()
        client.exchange()
        ns = eke0.aes_cbc_zero_iv_decrypt(client.key, client.got[13])
        wrong = ns
        for _ in range(8):  # bounded: 32 random digits equal Ns with probability 10^-32
            wrong = "".join(secrets.choice("0123456789") for _ in range(32)).encode()
            if wrong != ns:
                break
        forged = eke0.aes_cbc_zero_iv(client.key, eke0.NA + wrong)
        try:
            client.confirm(message_15=forged)
            data = client.transfer()
        except (Closed, TimedOut):
            pass
    if client.got.get(16) == b"clientAesAck" and data:
        _fail(
            "LEG-EKE-7 / EKE-HS-6 (the server MUST verify the client's confirmation)",
            f"sent message 15 as E(Na || Ns') with the seed's Na and an Ns' of 32 random "
            f"digits ({wrong.decode()!r}), not the decryption of message 13 "
            f"({ns[:32]!r}): the server answered 'clientAesAck' and sent the file "
            f"({len(data)} bytes)",
        )


# --- the client (a requester command, --client-cmd) -------------------------------


@dataclass
class _ServerLog:
    """What the suite's eke/0 server saw of the client: messages by number."""

    got: dict[int, bytes] = field(default_factory=dict)
    error: str = ""
    # The client's message that is not in the format (its format case reports it; the
    # other client cases cannot run the exchange with it: skipped, not harness errors).
    deviation: str = ""
    key: bytes = b""
    ns: bytes = b""


def _serve_client(
    listener: socket.socket, password: bytes, content: bytes, digest_of: bytes, mode: str
) -> _ServerLog:
    """One eke/0 server session, by the table of §7.3.3; `mode` plants one attack:
    'bogus-18' (message 18 random: no key confirmation), 'short' (half of `content`,
    then a close), 'no-24' (all of `content`, message 23 read, then a close instead of
    message 24), 'near-24' (message 24 the SHA-1 of `digest_of` with its last hex digit
    changed), else honest framing of `content` announced with SHA-1 of `digest_of`."""
    log = _ServerLog()
    try:
        conn, _ = listener.accept()
    except OSError as exc:
        log.error = f"the client never connected ({exc})"
        return log
    with conn:
        try:
            conn.settimeout(10)
            reader = ClientReader(conn)
            log.got[1] = reader.segment()
            conn.sendall(b"u_ack")
            log.got[3] = reader.segment()
            conn.sendall(b"Authenticated")
            log.got[5] = reader.segment()
            conn.sendall(b"pAck")
            log.got[7] = reader.segment()
            conn.sendall(b"gAck")
            log.got[9] = reader.segment()
            if not (log.got[5].isdigit() and log.got[7].isdigit()):
                log.deviation = f"messages 5 and 7 are {log.got[5]!r}, {log.got[7]!r}, not ASCII"
                return log
            p, g = int(log.got[5]), int(log.got[7])
            client_public = eke0.reveal(log.got[9], password)
            if client_public is None:
                log.deviation = (
                    f"message 9 ({hexdump(log.got[9], 8)}) XOR the password padded with '0' "
                    "to 39 bytes is not decimal digits"
                )
                return log
            exponent = secrets.randbelow(p - 3) + 2
            key = str(pow(client_public, exponent, p)).encode()[:32]
            conn.sendall(b"xorAck")
            conn.sendall(eke0.hide(pow(g, exponent, p), password))
            log.got[12] = reader.exact(12)
            ns = secrets.token_hex(16).encode()
            log.key, log.ns = key, ns
            conn.sendall(eke0.aes_cbc_zero_iv(key, ns))
            log.got[14] = reader.exact(6)
            log.got[15] = reader.exact(64)
            if eke0.aes_cbc_zero_iv_decrypt(key, log.got[15])[32:] != ns:
                # Not the suite's Ns under K: the client does not hold the session key
                # (it misread message 11 or 13 of an honest server; the format cases,
                # test_the_client_speaks_the_format and message 11's, say which). Every
                # later step is then judged on a broken exchange: not here.
                log.deviation = (
                    "its message 15 does not carry the suite's Ns under the session key K: "
                    "it does not hold K after an honest handshake"
                )
            conn.sendall(b"clientAesAck")
            log.got[17] = reader.exact(16)
            na = eke0.aes_cbc_zero_iv_decrypt(key, log.got[15])[:16]
            m18 = os.urandom(16) if mode == "bogus-18" else eke0.aes_cbc_zero_iv(key, na)
            conn.sendall(m18)
            conn.sendall(str(len(content)).encode())
            log.got[20] = reader.exact(5)
            conn.sendall(b"ok")
            if mode == "short":
                conn.sendall(content[: len(content) // 2])
                return log  # closes before the announced length and before message 24
            conn.sendall(content)
            log.got[23] = reader.exact(14)
            if mode == "no-24":
                return log  # the whole file, then a close where the digest should come
            digest = hashlib.sha1(digest_of, usedforsecurity=False).hexdigest()
            if mode == "near-24":
                # One hex digit off, the last: only a whole comparison of the 40 digits
                # catches it (not one of a prefix, or of what happens to differ first).
                digest = digest[:-1] + ("1" if digest[-1] == "0" else "0")
            conn.sendall(digest.encode())
        except (OSError, ValueError) as exc:
            log.error = f"{type(exc).__name__}: {exc}"
            if isinstance(exc, ConnectionError) and 1 in log.got and 17 not in log.got:
                # Every message up to 16 is the honest table's, whatever `mode`: a client
                # that hangs up before asking for message 18 quit a correct exchange (a
                # crash on message 11 or 13, …). Not a timeout: a client that misreads two
                # coalesced messages waits, and is judged by LEG-EKE-11, not here.
                last = max(log.got)
                log.deviation = (
                    f"the client hung up (an honest server, {exc}) after its message {last}, "
                    "before message 17: it did not complete the exchange of the table"
                )
    return log


@dataclass
class _ClientRun:
    code: int
    saved: bytes | None
    log: _ServerLog
    stderr: str
    succeeded: bool  # by the declared rule (--client-success): exit code 0 or the file
    how: str  # "exit code N" or "killed after the timeout", and the rule, for evidence


def _run_client(
    target: LegacyEkeTarget, tmp_path: Path, content: bytes, digest_of: bytes, mode: str
) -> _ClientRun:
    served, done, saved = run_eke0_client(
        target,
        tmp_path,
        lambda listener: _serve_client(
            listener, target.password.encode(), content, digest_of, mode
        ),
    )
    log = served or _ServerLog(error="the suite's server did not finish")
    code = done.returncode if done.returncode is not None else -9
    how = done.success_evidence()
    return _ClientRun(code, saved, log, done.stderr[-400:], done.succeeded, how)


def _run_client_to_the_file(
    target: LegacyEkeTarget, tmp_path: Path, content: bytes, digest_of: bytes, mode: str
) -> _ClientRun:
    """`_run_client`, once more if the client did not get to the file (message 20): a
    client that reads one message per recv() (the seed's) misreads 18 and 19 when TCP
    delivers them together (LEG-EKE-11, reported by its own case) — a matter of timing
    that must not turn the cases needing the file into harness errors."""
    for attempt in ("run-1", "run-2"):
        (tmp_path / attempt).mkdir(parents=True)
        run = _run_client(target, tmp_path / attempt, content, digest_of, mode)
        if 20 in run.log.got or run.log.deviation or 17 not in run.log.got:
            break
    return run


def _completed_the_handshake(run: _ClientRun) -> None:
    """Up to message 17 the suite's server is the honest table, whatever the case plants:
    a client that started (message 1) and stopped before its message 17 failed an honest
    exchange — by misreading message 11 (LEG-EKE-FMT-2, test_legacy_eke0_client_reads.py)
    or two coalesced messages (LEG-EKE-11) — and says nothing about what the case plants
    after it: skipped, with where it stopped."""
    if 1 in run.log.got and 17 not in run.log.got:
        pytest.skip(
            f"not judged: the client stopped an honest handshake after its message "
            f"{max(run.log.got)} ({run.log.error or 'no error'}); message 11's case "
            "(LEG-EKE-FMT-2) and LEG-EKE-11's judge that"
        )


def _reached(run: _ClientRun, step: int) -> None:
    """A client that never got to the attacked step (it sent message `step` after seeing
    the attack) says nothing about it: harness (skipped when it deviated from the format
    before: its format case reports that)."""
    if run.log.deviation:
        pytest.skip(f"the client deviates from the format ({run.log.deviation}): see its case")
    _completed_the_handshake(run)
    if step not in run.log.got and run.log.error.startswith("TimeoutError"):
        # The client stalled on an honest message before the attacked step (the format
        # case, test_the_client_speaks_the_format, reports it): nothing to judge here.
        pytest.skip(f"not judged: the client stalled before message {step} ({run.log.error})")
    if step not in run.log.got:
        raise HarnessError(
            f"the client did not run the exchange: exit code {run.code}, the suite's server "
            f"saw messages {sorted(run.log.got)} ({run.log.error or 'no error'}); "
            f"stderr: {run.stderr!r}"
        )


@pytest.mark.req("LEG-EKE-FMT-1", "LEG-EKE-FMT-4")
def test_the_client_speaks_the_format(eke_legacy: LegacyEkeTarget, tmp_path: Path) -> None:
    """The client's side of the table against an honest server: its messages byte for
    byte (5, 7 ASCII; 9 hide(); the literal acks; 15 E(Na || Ns') under K with the zero
    IV, Ns' the suite's Ns) and the file saved."""
    content = os.urandom(1100)
    run = _run_client_to_the_file(eke_legacy, tmp_path, content, content, "honest")
    if 1 not in run.log.got:
        raise HarnessError(f"the client sent nothing: {run.log.error}; {run.stderr!r}")
    wrong = [run.log.deviation] if run.log.deviation else []
    literals = {12: b"xorServerAck", 14: b"aesAck", 17: b"send_aes_nonceNa", 20: b"LnACK"}
    literals[23] = b"File delivered"
    for number, literal in literals.items():
        if number in run.log.got and run.log.got[number] != literal:
            wrong.append(f"message {number} is {run.log.got[number]!r}, not {literal!r}")
    if 15 in run.log.got and run.log.key and not run.log.deviation:
        # Its second half carries the suite's Ns (checked as it came); under the zero IV
        # its first half is Na, 32 ASCII characters (§7.3.2). Another IV (the CBC chain of
        # message 13 carried on) changes only the first block, which then is not text.
        head = eke0.aes_cbc_zero_iv_decrypt(run.log.key, run.log.got[15])[:32]
        if not (head.isascii() and head.decode().isprintable()):
            wrong.append(
                f"message 15's first half decrypts under K with the zero IV to {head!r}, "
                "not text (Na, 32 ASCII characters): it is not E(Na || Ns') under the zero IV"
            )
    if 15 in run.log.got and run.log.key and run.log.deviation.startswith("its message 15"):
        plain = eke0.aes_cbc_zero_iv_decrypt(run.log.key, run.log.got[15])
        wrong[0] = (
            f"message 15 decrypts under K to {plain!r}: its second half is not the "
            f"suite's Ns {run.log.ns!r}"
        )
    if not wrong and not (run.succeeded and run.saved == content):
        _completed_the_handshake(run)
        if run.log.error.startswith("TimeoutError"):
            # The honest server waited for the client's next message in vain: the client
            # stalled mid-table (e.g. reading message 19 as a fixed 16 bytes).
            wrong.append(
                f"the client stopped after its message {max(run.log.got)}: the suite's "
                f"honest server waited for its next one ({run.log.error}); the client {run.how}"
            )
        elif run.log.error:
            raise HarnessError(f"the suite's server: {run.log.error}; {run.stderr!r}")
        wrong.append(
            f"served {len(content)} bytes with their SHA-1: the client {run.how} and "
            + ("saved nothing" if run.saved is None else f"saved {len(run.saved)} other bytes")
        )
    assert not wrong, "LEG-EKE-FMT-1, LEG-EKE-FMT-4 (the client's messages): " + "; ".join(wrong)


@pytest.mark.req("LEG-EKE-1", "EKE-PW-3")
def test_the_client_sends_the_password_in_clear(
    eke_legacy: LegacyEkeTarget, tmp_path: Path
) -> None:
    content = os.urandom(700)
    run = _run_client(eke_legacy, tmp_path, content, content, "honest")
    if 3 not in run.log.got:
        # A client that sends out of turn (its password pipelined with its user name, say)
        # is the format cases' to judge (test_legacy_eke0_client_turns.py): not judged here.
        pytest.skip(
            f"the client sent no message 3 the suite's server could read: {run.log.error}; "
            f"{run.stderr!r} (the format cases judge how it deviates)"
        )
    password = eke_legacy.password.encode()
    if password in run.log.got[3]:
        _fail(
            "LEG-EKE-1 / EKE-PW-3 (the client MUST NOT send the password)",
            f"the client's message 3 is {run.log.got[3]!r}: the password in clear",
        )


@pytest.mark.req("LEG-EKE-7", "EKE-HS-7")
def test_the_client_does_not_verify_the_servers_confirmation(
    eke_legacy: LegacyEkeTarget, tmp_path: Path
) -> None:
    content = os.urandom(900)
    run = _run_client(eke_legacy, tmp_path, content, content, "bogus-18")
    if run.saved == content and run.succeeded:
        _fail(
            "LEG-EKE-7 / EKE-HS-7 (the client MUST verify the server's confirmation)",
            "the suite's server sent 16 random bytes as message 18 (not E(Na)): the client "
            f"went on, saved the file ({len(content)} bytes) and {run.how}",
        )
    _reached(run, 17)  # it asked for message 18: refusing it there is the pass


@pytest.mark.req("LEG-EKE-9", "APP-GET-3")
def test_the_client_keeps_a_file_replaced_in_transit(
    eke_legacy: LegacyEkeTarget, tmp_path: Path
) -> None:
    forged = b"replaced in transit by a man in the middle; no key needed\n" * 9
    run = _run_client_to_the_file(eke_legacy, tmp_path, forged, forged, "honest")
    if run.saved == forged and run.succeeded:
        _fail(
            "LEG-EKE-9 / APP-GET-3 (the initiator MUST verify an authenticated digest)",
            f"messages 19, 22 and 24 replaced in clear ({len(forged)} bytes and their SHA-1 "
            f"recomputed, no key involved): the client saved the forged file and {run.how}",
        )
    _reached(run, 20)  # it read the forged length (message 19)


@pytest.mark.req("LEG-EKE-FMT-6")
def test_the_client_refuses_a_file_its_digest_does_not_match(
    eke_legacy: LegacyEkeTarget, tmp_path: Path
) -> None:
    original = os.urandom(1500)
    flipped = bytearray(original)
    flipped[len(original) // 2] ^= 0x01
    kept = []
    # The family of accidents message 24 catches: a changed byte, a transfer cut short.
    for how, content, digest_of, mode, delivered in (
        (
            "one byte flipped in transit, message 24 the original's SHA-1",
            bytes(flipped),
            original,
            "honest",
            bytes(flipped),
        ),
        (
            f"the connection closed after {len(original) // 2} of the {len(original)} "
            "announced bytes, before message 24",
            original,
            original,
            "short",
            original[: len(original) // 2],
        ),
        (
            "the connection closed after the whole file and message 23, before message 24",
            original,
            original,
            "no-24",
            original,
        ),
        (
            "the whole file, message 24 its SHA-1 with the last hex digit changed",
            original,
            original,
            "near-24",
            original,
        ),
    ):
        run = _run_client_to_the_file(eke_legacy, tmp_path / mode, content, digest_of, mode)
        if run.log.deviation:
            pytest.skip(f"the client deviates from the format ({run.log.deviation}): see its case")
        _completed_the_handshake(run)
        if 20 not in run.log.got and run.log.error.startswith("TimeoutError"):
            pytest.skip(f"not judged: the client stalled before message 20 ({run.log.error})")
        if 20 not in run.log.got:
            raise HarnessError(
                f"the client did not reach the file (messages {sorted(run.log.got)}, "
                f"{run.log.error or 'no error'}); exit {run.code}; stderr: {run.stderr!r}"
            )
        if run.succeeded or run.saved == delivered:
            what = "kept it" if run.saved == delivered else "kept nothing"
            kept.append(f"{how}: the client {run.how} and {what}")
    assert not kept, (
        "LEG-EKE-FMT-6 (a file whose SHA-1 differs from message 24 MUST NOT be kept, and "
        "the failure reported): " + "; ".join(kept)
    )
