"""The sans-IO handshake: success, failures that look alike, table-driven refusals."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from reference.eke import crypto
from reference.eke.handshake import (
    _TRANSITIONS,
    ClientHandshake,
    Established,
    HandshakeState,
    LoginAttempt,
    PeerError,
    ServerHandshake,
    ServerNotAuthenticated,
    encode_error,
)
from reference.errors import AuthenticationFailed, ErrorCode, RemoteProtocolError
from reference.frames import NEED_DATA, encode_frame

# Password keys are arbitrary 32-byte strings here: scrypt is tested by the vectors.
PW = bytes(range(32))
OTHER_PW = bytes(range(1, 33))
SECRET = b"s" * 32


def feed(hs: ClientHandshake | ServerHandshake, data: bytes, *, bytewise: bool = False) -> object:
    """Feeds data (whole or one byte at a time); returns the first event."""
    chunks = [data[i : i + 1] for i in range(len(data))] if bytewise else [data]
    event: object = NEED_DATA
    for chunk in chunks:
        hs.receive_data(chunk)
        event = hs.next_event()
        if event is not NEED_DATA:
            break
    return event


def run(
    client_pw: bytes,
    server_key: Callable[[str], bytes],
    *,
    user: str = "alice",
    bytewise: bool = False,
) -> tuple[ClientHandshake, ServerHandshake, bytes, bytes]:
    """Runs EKE1 and EKE2; returns both sides and the EKE1/EKE2 bytes."""
    client = ClientHandshake(user, client_pw)
    server = ServerHandshake()
    eke1 = client.data_to_send()
    assert feed(server, eke1, bytewise=bytewise) == LoginAttempt(user)
    server.accept(server_key(user))
    eke2 = server.data_to_send()
    return client, server, eke1, eke2


@pytest.mark.req("EKE-HS-1", "EKE-HS-2", "EKE-HS-5", "EKE-HS-6", "FRM-4")
@pytest.mark.parametrize("bytewise", [False, True])
def test_handshake_succeeds(bytewise: bool) -> None:
    client, server, _eke1, eke2 = run(PW, lambda _u: PW, bytewise=bytewise)
    assert feed(client, eke2, bytewise=bytewise) is NEED_DATA
    eke3 = client.data_to_send()
    assert eke3.startswith(b"EKE3")
    done_s = feed(server, eke3, bytewise=bytewise)
    assert isinstance(done_s, Established) and done_s.user == "alice"
    done_c = feed(client, server.data_to_send(), bytewise=bytewise)
    assert isinstance(done_c, Established)
    assert done_c.keys == done_s.keys
    assert client.state is server.state is HandshakeState.ESTABLISHED


def test_trailing_data_is_handed_to_the_record_layer() -> None:
    client, server, _, eke2 = run(PW, lambda _u: PW)
    feed(client, eke2)
    assert isinstance(feed(server, client.data_to_send() + b"RECD\0\0\0\x20early"), Established)
    assert server.trailing_data() == b"RECD\0\0\0\x20early"


def _server_answers(user: str, a_pw: bytes, server_pw: bytes, eke3: bytes) -> list[bytes]:
    """What the server sends for one attempt: EKE2, then its answer to `eke3`."""
    client = ClientHandshake(user, a_pw)
    server = ServerHandshake()
    feed(server, client.data_to_send())
    server.accept(server_pw)
    eke2 = server.data_to_send()
    server.receive_data(eke3)
    with pytest.raises(AuthenticationFailed):
        server.next_event()
    return [eke2, server.data_to_send()]


@pytest.mark.req("EKE-HS-3", "EKE-HS-8", "EKE-X-3", "ERR-6")
def test_wrong_password_unknown_user_and_bad_x_fail_alike_at_eke3() -> None:
    """Every cause gets an EKE2 of the same size, then the same EROR at EKE3."""
    junk_eke3 = encode_frame(b"EKE3", json.dumps({"c": "ab" * 80}).encode())
    store = {"alice": PW}

    def key_for(user: str) -> bytes:
        return store.get(user) or crypto.fake_password_key(SECRET, user)

    wrong_pw = _server_answers("alice", OTHER_PW, key_for("alice"), junk_eke3)
    unknown = _server_answers("mallory", PW, key_for("mallory"), junk_eke3)
    # An X' the receiver must reject (here: 1), hidden under the right key.
    bad_a = crypto.feistel_encrypt(PW, (1).to_bytes(384, "big"))
    server = ServerHandshake()
    feed(server, encode_frame(b"EKE1", json.dumps({"user": "alice", "a": bad_a.hex()}).encode()))
    server.accept(PW)  # no early refusal [EKE-X-3]
    bad_x = [server.data_to_send()]
    server.receive_data(junk_eke3)
    with pytest.raises(AuthenticationFailed):
        server.next_event()
    bad_x.append(server.data_to_send())

    assert len(wrong_pw[0]) == len(unknown[0]) == len(bad_x[0])
    assert wrong_pw[0][:8] == unknown[0][:8] == bad_x[0][:8]
    assert (
        wrong_pw[1]
        == unknown[1]
        == bad_x[1]
        == encode_error(ErrorCode.AUTH_FAILED, "authentication failed")
    )


@pytest.mark.req("EKE-HS-4")
@pytest.mark.parametrize("user", ["alice", "mallory"])
def test_client_detects_wrong_password_or_unknown_user_at_eke2(user: str) -> None:
    client, _server, _, eke2 = run(
        OTHER_PW, lambda u: PW if u == "alice" else crypto.fake_password_key(SECRET, u), user=user
    )
    with pytest.raises(AuthenticationFailed) as info:
        feed(client, eke2)
    assert not isinstance(info.value, ServerNotAuthenticated)
    assert client.data_to_send() == encode_error(ErrorCode.AUTH_FAILED, "authentication failed")
    with pytest.raises(AuthenticationFailed):  # refuses further use
        client.next_event()


@pytest.mark.req("EKE-HS-7")
def test_client_detects_an_impostor_at_eke4() -> None:
    client, server, _, eke2 = run(PW, lambda _u: PW)
    feed(client, eke2)
    feed(server, client.data_to_send())
    c4 = json.loads(server.data_to_send()[8:])["c"]
    forged = c4[:-1] + ("0" if c4[-1] != "0" else "1")  # one bit of the tag changed
    with pytest.raises(ServerNotAuthenticated):
        feed(client, encode_frame(b"EKE4", json.dumps({"c": forged}).encode()))
    assert client.data_to_send() == b""  # [EKE-HS-7]: close, nothing more to say


@pytest.mark.req("EKE-HS-10")
def test_replayed_eke3_fails() -> None:
    client, server, eke1, eke2 = run(PW, lambda _u: PW)
    feed(client, eke2)
    old_eke3 = client.data_to_send()
    assert isinstance(feed(server, old_eke3), Established)
    # The attacker replays the whole recorded client side to a new server session.
    replay = ServerHandshake()
    feed(replay, eke1)
    replay.accept(PW)
    with pytest.raises(AuthenticationFailed):
        feed(replay, old_eke3)


@pytest.mark.req("EKE-HS-10")
def test_reflected_eke2_fails_as_eke4() -> None:
    client, _server, _, eke2 = run(PW, lambda _u: PW)
    feed(client, eke2)
    c2 = json.loads(eke2[8:])["c"]
    with pytest.raises(AuthenticationFailed):
        feed(client, encode_frame(b"EKE4", json.dumps({"c": c2}).encode()))


@pytest.mark.req("EKE-HS-9", "FRM-6")
@pytest.mark.parametrize("frame_type", [b"EKE2", b"EKE3", b"EKE4", b"RECD", b"RQFL", b"ZZZZ"])
def test_server_refuses_anything_but_eke1_first(frame_type: bytes) -> None:
    server = ServerHandshake()
    server.receive_data(encode_frame(frame_type, b"{}"))
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.code is ErrorCode.UNEXPECTED_FRAME
    assert server.data_to_send().startswith(b"EROR")


def test_transition_table_covers_both_roles() -> None:
    states = {state for state, _ in _TRANSITIONS}
    assert HandshakeState.SERVER_AWAIT_KEY not in states  # waits for the adapter
    assert all((state, b"EROR") in _TRANSITIONS for state in states)


@pytest.mark.req("FRM-3", "FRM-8")
def test_oversized_handshake_frame_is_refused_on_its_header() -> None:
    server = ServerHandshake()
    server.receive_data(b"EKE1" + (70_000).to_bytes(4, "big"))  # no payload at all
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.code is ErrorCode.FRAME_TOO_LARGE


@pytest.mark.req("FRM-9", "FRM-12")
@pytest.mark.parametrize(
    "payload",
    [
        b'{"user":"alice"}',
        b'{"user":"alice","a":"zz"}',
        b'{"user":"alice","a":"' + b"A" * 768 + b'"}',
        b'{"user":"a\\nb","a":"' + b"0" * 768 + b'"}',
        b"not json",
    ],
)
def test_malformed_eke1_is_bad_frame(payload: bytes) -> None:
    server = ServerHandshake()
    server.receive_data(encode_frame(b"EKE1", payload))
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.code is ErrorCode.BAD_FRAME


@pytest.mark.req("EKE-THR-1", "ERR-7")
def test_throttled_refusal_does_no_exponentiation(monkeypatch: pytest.MonkeyPatch) -> None:
    client = ClientHandshake("alice", PW)
    server = ServerHandshake()
    feed(server, client.data_to_send())

    def forbidden(*_args: object) -> int:
        raise AssertionError("modexp while throttled")

    monkeypatch.setattr(crypto, "_modexp", forbidden)
    server.refuse_throttled(2.5)
    answer = server.data_to_send()
    obj = json.loads(answer[8:])
    assert answer[:4] == b"EROR" and obj["code"] == ErrorCode.THROTTLED and obj["retry_after"] == 3
    assert feed(client, answer) == PeerError(ErrorCode.THROTTLED, obj["message"], 3)


@pytest.mark.req("EKE-HS-11")
def test_timeout_sends_eror_timeout() -> None:
    server = ServerHandshake()
    server.fail_timeout()
    assert json.loads(server.data_to_send()[8:])["name"] == "timeout"
    with pytest.raises(RemoteProtocolError):
        server.next_event()


@pytest.mark.req("FRM-7")
def test_eof_inside_a_frame_fails() -> None:
    server = ServerHandshake()
    server.receive_data(b"EKE1\0\0")
    server.receive_data(b"")
    with pytest.raises(RemoteProtocolError):
        server.next_event()


@pytest.mark.req("EKE-HS-3", "EKE-HS-8", "EKE-X-3")
def test_server_does_the_same_work_for_every_failure_cause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Same primitives, same number of calls: known user with a wrong password, unknown
    user (fake key), invalid X' — the basis of "timing within noise"."""
    calls: list[str] = []
    for name in (
        "_modexp",
        "feistel_encrypt",
        "feistel_decrypt",
        "jacobi",
        "derive_keys",
        "seal_confirm",
        "open_confirm",
    ):
        original = getattr(crypto, name)

        def spy(*args: object, _name: str = name, _original: object = original) -> object:
            calls.append(_name)
            return _original(*args)  # type: ignore[operator]

        monkeypatch.setattr(crypto, name, spy)
    junk_eke3 = encode_frame(b"EKE3", json.dumps({"c": "ab" * 80}).encode())
    bad_a = crypto.feistel_encrypt(PW, (1).to_bytes(384, "big"))
    eke1s = {
        "wrong password": ClientHandshake("alice", OTHER_PW).data_to_send(),
        "unknown user": ClientHandshake("mallory", PW).data_to_send(),
        "invalid X'": encode_frame(
            b"EKE1", json.dumps({"user": "alice", "a": bad_a.hex()}).encode()
        ),
    }
    keys = {
        "wrong password": PW,
        "unknown user": crypto.fake_password_key(SECRET, "mallory"),
        "invalid X'": PW,
    }
    work = {}
    for cause, eke1 in eke1s.items():
        calls.clear()
        server = ServerHandshake()
        feed(server, eke1)
        server.accept(keys[cause])
        server.receive_data(junk_eke3)
        with pytest.raises(AuthenticationFailed):
            server.next_event()
        work[cause] = sorted(calls)
    assert work["wrong password"] == work["unknown user"] == work["invalid X'"]
    assert work["unknown user"].count("_modexp") == 2  # y: g^y and X^y
