"""Profile eke-legacy: the sft-eke/0 server (docs/SPEC.md §7.3).

LEG-EKE-FMT-* tests pass against a faithful legacy server; LEG-EKE-n tests check the v1
requirement that the legacy design violates and FAIL with evidence from the wire.
"""

from __future__ import annotations

import hashlib
import os
import secrets

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut, hexdump

pytestmark = pytest.mark.xdist_group("eke-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _client(target: LegacyEkeTarget, stream: LegacyStream) -> eke0.EkeClient:
    return eke0.EkeClient(stream, target.password.encode())


def _full_session(target: LegacyEkeTarget) -> tuple[eke0.EkeClient, LegacyStream]:
    with LegacyStream(target.host, target.port) as stream:
        client = _client(target, stream)
        client.run(target.user.encode())
    return client, stream


# --- wire format (passes against sft-eke/0) ------------------------------------


@pytest.mark.req("LEG-EKE-FMT-1", "LEG-EKE-FMT-3", "LEG-EKE-FMT-4", "LEG-EKE-FMT-5")
def test_the_seed_exchange_end_to_end(eke_legacy: LegacyEkeTarget) -> None:
    client, _ = _full_session(eke_legacy)
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
    assert got[16] == b"clientAesAck"
    assert got[18] == eke0.aes_cbc_zero_iv(client.key, eke0.NA[:16]), "message 18 != E(Na[:16])"
    assert got[21] == b"ok"
    assert int(got[19]) == len(got[22])
    if eke_legacy.known_file is not None:
        assert eke_legacy.known_file.matches(got[22]), "the file is not the one declared"
    assert got[24] == hashlib.sha1(got[22], usedforsecurity=False).hexdigest().encode()


@pytest.mark.req("LEG-EKE-FMT-3")
def test_a_wrong_password_gets_not_authenticated(eke_legacy: LegacyEkeTarget) -> None:
    with LegacyStream(eke_legacy.host, eke_legacy.port) as stream:
        answer = _client(eke_legacy, stream).login(
            eke_legacy.user.encode(), b"wrong-" + os.urandom(4).hex().encode()
        )
    assert answer == b"Not Authenticated"


# --- security requirements the legacy design violates (FAIL with evidence) ------


@pytest.mark.req("LEG-EKE-1", "EKE-PW-3", "EKE-SEC-1")
def test_the_password_travels_in_clear(eke_legacy: LegacyEkeTarget) -> None:
    with LegacyStream(eke_legacy.host, eke_legacy.port) as stream:
        answer = _client(eke_legacy, stream).login(eke_legacy.user.encode())
    password = eke_legacy.password.encode()
    offset = bytes(stream.sent).find(password)
    if answer == b"Authenticated" and offset >= 0:
        _fail(
            "LEG-EKE-1 / EKE-PW-3, EKE-SEC-1 (the password MUST NOT be sent)",
            f"password {eke_legacy.password!r} readable in clear at offset {offset} of the "
            f"client's stream (message 3, as the protocol requires); the server answered "
            f"{answer.decode()!r}",
        )


@pytest.mark.req("LEG-EKE-2", "EKE-HS-2")
def test_the_user_name_is_not_checked(eke_legacy: LegacyEkeTarget) -> None:
    nobody = f"nobody-{secrets.token_hex(4)}".encode()
    with LegacyStream(eke_legacy.host, eke_legacy.port) as stream:
        answer = _client(eke_legacy, stream).login(nobody)
    if answer == b"Authenticated":
        _fail(
            "LEG-EKE-2 / EKE-HS-2 (the server MUST authenticate the named user)",
            f"user name {nobody.decode()!r} (no such account) answered 'u_ack' and then "
            "'Authenticated' with the account's password",
        )


@pytest.mark.req("LEG-EKE-3", "EKE-GRP-1")
def test_the_group_is_the_clients_and_tiny(eke_legacy: LegacyEkeTarget) -> None:
    weak_p = 2**61 - 1  # a Mersenne prime, 61 bits
    with LegacyStream(eke_legacy.host, eke_legacy.port) as stream:
        client = _client(eke_legacy, stream)
        if client.login(eke_legacy.user.encode()) != b"Authenticated":
            pytest.fail("sanity: login failed", pytrace=False)
        client.p = weak_p
        try:
            client.group()
        except (Closed, TimedOut):
            return
    if client.got.get(6) == b"pAck" and client.got.get(8) == b"gAck":
        _fail(
            "LEG-EKE-3 / EKE-GRP-1 (the group MUST be ffdhe3072)",
            f"the server takes p and g from the client: it acknowledged p = 2^61-1 with "
            f"'pAck'; the protocol's own p has {eke0.P.bit_length()} bits",
        )


@pytest.mark.req("LEG-EKE-4", "EKE-X-1")
def test_the_servers_exponent_is_fixed_and_small(eke_legacy: LegacyEkeTarget) -> None:
    first, _ = _full_session(eke_legacy)
    second, _ = _full_session(eke_legacy)
    same = first.got[11] == second.got[11]
    server_public = eke0.reveal(first.got[11], eke_legacy.password.encode())
    found = None
    if server_public is not None:
        value = 1
        for exponent in range(1, 1 << 16):  # bounded search: 65 535 multiplications
            value = value * eke0.G % eke0.P
            if value == server_public:
                found = exponent
                break
    if same or found is not None:
        _fail(
            "LEG-EKE-4 / EKE-X-1 (fresh exponents of at least 320 bits)",
            f"message 11 identical in two sessions: {same}; the server's exponent, found by "
            f"trying exponents below 65536: {found}",
        )


@pytest.mark.req("LEG-EKE-5", "EKE-SEC-1", "EKE-X-2")
def test_a_passive_capture_is_an_offline_dictionary_oracle(eke_legacy: LegacyEkeTarget) -> None:
    client, _ = _full_session(eke_legacy)
    hidden = (client.stream.writes[4], client.got[11])  # messages 9 and 11, as captured
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
def test_messages_repeat_across_sessions_and_replays_work(eke_legacy: LegacyEkeTarget) -> None:
    first, _ = _full_session(eke_legacy)
    with LegacyStream(eke_legacy.host, eke_legacy.port) as stream:
        replay = _client(eke_legacy, stream)
        replay.login(eke_legacy.user.encode())
        replay.group()
        replay.exchange(hidden=first.stream.writes[4])  # message 9 of the first session
        replay.confirm(message_15=first.stream.writes[7])  # message 15 of the first session
        replay.transfer()
    repeated = [n for n in (11, 13, 18) if first.got[n] == replay.got[n]]
    if repeated and replay.got[22] == first.got[22]:
        _fail(
            "LEG-EKE-6 / EKE-HS-10 (a replayed message MUST fail)",
            f"replayed messages 9 and 15 of an earlier session: the server answered "
            f"identical messages {repeated} ({hexdump(replay.got[13], 8)}) and sent the file",
        )


@pytest.mark.req("LEG-EKE-7", "EKE-HS-6")
def test_the_server_does_not_verify_key_confirmation(eke_legacy: LegacyEkeTarget) -> None:
    with LegacyStream(eke_legacy.host, eke_legacy.port) as stream:
        client = _client(eke_legacy, stream)
        client.login(eke_legacy.user.encode())
        client.group()
        client.exchange()
        garbage = os.urandom(64)
        client.confirm(message_15=garbage)
        data = client.transfer()
    if client.got[16] == b"clientAesAck" and data:
        _fail(
            "LEG-EKE-7 / EKE-HS-6 (the server MUST verify the client's confirmation)",
            f"sent 64 random bytes as message 15 ({hexdump(garbage, 8)}): the server answered "
            f"'clientAesAck' and sent the file ({len(data)} bytes)",
        )


@pytest.mark.req("LEG-EKE-8", "EKE-SEC-2")
def test_the_file_travels_in_clear(eke_legacy: LegacyEkeTarget) -> None:
    client, stream = _full_session(eke_legacy)
    data = client.got[22]
    offset = bytes(stream.received).find(data[:64]) if data else -1
    if offset >= 0:
        _fail(
            "LEG-EKE-8 / EKE-SEC-2 (no application data in clear)",
            f"the file ({len(data)} bytes) appears in clear at offset {offset} of the server's "
            f"stream, after its length {client.got[19].decode()!r} in clear",
        )


@pytest.mark.req("LEG-EKE-9", "EKE-REC-1", "APP-GET-3")
def test_integrity_is_an_unkeyed_sha1_in_clear(eke_legacy: LegacyEkeTarget) -> None:
    client, _ = _full_session(eke_legacy)
    digest = hashlib.sha1(client.got[22], usedforsecurity=False).hexdigest().encode()
    if client.got[24] == digest:
        _fail(
            "LEG-EKE-9 / EKE-REC-1, APP-GET-3 (data MUST be authenticated with a key)",
            f"the only integrity check is message 24 = SHA-1(file) in clear "
            f"({digest.decode()}): whoever replaces the file recomputes it",
        )


@pytest.mark.req("LEG-EKE-10", "EKE-THR-1", "EKE-SEC-3")
def test_password_guessing_is_not_throttled(eke_legacy: LegacyEkeTarget) -> None:
    answers = []
    with LegacyStream(eke_legacy.host, eke_legacy.port) as stream:
        client = _client(eke_legacy, stream)
        for i in range(10):
            answers.append(client.login(eke_legacy.user.encode(), f"guess-{i}".encode()))
        final = client.login(eke_legacy.user.encode())
    if set(answers) == {b"Not Authenticated"} and final == b"Authenticated":
        _fail(
            "LEG-EKE-10 / EKE-THR-1, EKE-SEC-3 (failed attempts MUST be throttled)",
            "10 wrong passwords on one connection were each answered 'Not Authenticated' at "
            "once; the 11th, correct one, 'Authenticated'",
        )


@pytest.mark.req("LEG-EKE-11", "FRM-1")
def test_a_message_split_across_writes_is_misread(eke_legacy: LegacyEkeTarget) -> None:
    user = eke_legacy.user.encode()
    if len(user) < 2:
        pytest.skip("needs a user name of two bytes or more")
    head, tail = user[: len(user) // 2], user[len(user) // 2 :]
    with LegacyStream(eke_legacy.host, eke_legacy.port) as stream:
        stream.send(head)
        try:
            early = stream.read_exact(5, timeout=3.0)
        except (TimedOut, Closed):
            return  # waited for the rest: not misframed
        stream.send(tail)
        try:
            second = stream.read_segment(timeout=5.0)
        except (TimedOut, Closed):
            second = b""
    if early == b"u_ack":
        _fail(
            "LEG-EKE-11 / FRM-1 (messages MUST be length-delimited frames)",
            f"sent the user name {user!r} in two writes: the server answered 'u_ack' after "
            f"{head!r} and took {tail!r} as the password ({second!r})",
        )


@pytest.mark.req("LEG-EKE-12", "LIM-5")
def test_one_stalled_client_blocks_the_others(eke_legacy: LegacyEkeTarget) -> None:
    with LegacyStream(eke_legacy.host, eke_legacy.port) as first:
        first.send(eke_legacy.user.encode())
        assert first.read_exact(5) == b"u_ack", "sanity: no u_ack"
        # `first` now holds its session open, silent.
        with LegacyStream(eke_legacy.host, eke_legacy.port) as second:
            second.send(eke_legacy.user.encode())
            try:
                second.read_exact(5, timeout=2.0)
                blocked = False
            except TimedOut:
                blocked = True
            except Closed:
                blocked = False
    if blocked:
        _fail(
            "LEG-EKE-12 / LIM-5 (a responder MUST keep serving other connections)",
            "while a first client stayed silent after its user name, a second client got no "
            "answer at all within 2.0 s",
        )
