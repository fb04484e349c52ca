"""sft-eke/0: the message sequence, framing, known answers, adapters, and the seed's flaws."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import pytest
from Crypto.Cipher import AES  # an independent implementation for the known answers

from reference.legacy import eke0, net
from reference.legacy.errors import LegacyAuthError, LegacyLocalError, LegacyRemoteError

PASSWORD = b"niceday"


def _session(
    data: bytes,
    *,
    username: bytes = b"yash101",
    password: bytes = PASSWORD,
    client_password: bytes | None = None,
    bytewise_fixed: bool = False,
) -> tuple[list[bytes], list[bytes], list[eke0.Eke0Event], eke0.Eke0Server]:
    """Run client and server in memory; each data_to_send() is delivered as one read.

    Returns the client's sends, the server's sends, the client's events and the server.
    """
    server = eke0.Eke0Server(password, len(data))
    client = eke0.Eke0Client(username, client_password or password)
    c_sends: list[bytes] = []
    s_sends: list[bytes] = []
    events: list[eke0.Eke0Event] = []

    def to_client(back: bytes) -> None:
        s_sends.append(back)
        if bytewise_fixed and len(back) in (16, 32, 40):
            for i in range(len(back)):
                events.extend(client.receive_data(back[i : i + 1]))
        else:
            events.extend(client.receive_data(back))

    for _ in range(100):  # bounded: the exchange has 24 messages
        out = client.data_to_send()
        if out:
            c_sends.append(out)
            for s_event in server.receive_data(out):
                if isinstance(s_event, eke0.SendFile):
                    to_client(server.data_to_send())  # "ok", as its own read
                    for start in range(0, len(data), eke0.FILE_PIECE):
                        server.send_file_data(data[start : start + eke0.FILE_PIECE])
        back = server.data_to_send()
        if back:
            to_client(back)
        if not out and not back:
            break
    return c_sends, s_sends, events, server


def test_known_answers_with_the_seed_parameters() -> None:
    p, g = eke0.SEED_P, eke0.SEED_G
    client_public = pow(g, eke0.SEED_CLIENT_EXPONENT, p)
    server_public = pow(g, eke0.SEED_SERVER_EXPONENT, p)
    kas = pow(client_public, eke0.SEED_SERVER_EXPONENT, p)
    assert kas == pow(server_public, eke0.SEED_CLIENT_EXPONENT, p)
    key = str(kas).encode()[:32]
    c_sends, s_sends, events, _ = _session(b"")
    pw39 = b"niceday" + b"0" * 32
    assert c_sends[:5] == [
        b"yash101",
        PASSWORD,
        str(p).encode(),
        b"2",
        bytes(a ^ b for a, b in zip(str(client_public).encode(), pw39, strict=False)),
    ]
    assert s_sends[:4] == [b"u_ack", b"Authenticated", b"pAck", b"gAck"]
    hidden_server = bytes(a ^ b for a, b in zip(str(server_public).encode(), pw39, strict=False))
    assert s_sends[4] == b"xorAck" + hidden_server  # back to back, as the seed sends them
    assert s_sends[5] == AES.new(key, AES.MODE_CBC, iv=bytes(16)).encrypt(eke0.NONCE_NS)
    m3 = AES.new(key, AES.MODE_CBC, iv=bytes(16)).encrypt(eke0.NONCE_NA + eke0.NONCE_NS)
    assert c_sends[5:8] == [b"xorServerAck", b"aesAck" + m3, b"send_aes_nonceNa"]
    assert s_sends[6] == b"clientAesAck"
    m4 = AES.new(key, AES.MODE_CBC, iv=bytes(16)).encrypt(eke0.NONCE_NA[:16])
    assert s_sends[7] == m4 + b"0"  # AES(Na[:16]) then the decimal length, back to back
    assert c_sends[8] == b"LnACK"
    assert s_sends[8] == b"ok"
    assert s_sends[9] == hashlib.sha1(b"", usedforsecurity=False).hexdigest().encode()
    assert c_sends[9] == b"File delivered"
    assert isinstance(events[0], eke0.KeyAgreed) and events[0].key == key
    assert len(key) == 32


@pytest.mark.parametrize("size", [0, 1, 1023, 1024, 1025, 5000])
def test_file_transfer_sizes(size: int) -> None:
    data = os.urandom(size)
    _, _, events, server = _session(data, bytewise_fixed=True)
    received = b"".join(e.data for e in events if isinstance(e, eke0.FileData))
    assert received == data
    done = events[-1]
    assert isinstance(done, eke0.TransferDone)
    assert done.intact and done.server_confirmed and done.size == size
    assert server.transfers == 1
    assert server.state == "await username"  # the seed's loop: ready for another login


def test_wrong_password_is_refused_and_the_client_stops() -> None:
    server = eke0.Eke0Server(PASSWORD, 10)
    client = eke0.Eke0Client(b"u", b"guess")
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    (checked,) = server.receive_data(client.data_to_send())
    assert checked == eke0.PasswordChecked(b"u", False)
    with pytest.raises(LegacyAuthError, match="Not Authenticated"):
        client.receive_data(server.data_to_send())


def test_ack_mismatch_is_a_protocol_error_and_the_session_stays_failed() -> None:
    client = eke0.Eke0Client(b"u", PASSWORD)
    client.data_to_send()
    with pytest.raises(LegacyRemoteError, match="expected"):
        client.receive_data(b"u_ACK")
    with pytest.raises(LegacyLocalError):
        client.receive_data(b"u_ack")


def test_literal_split_across_reads_is_reassembled() -> None:
    client = eke0.Eke0Client(b"u", PASSWORD)
    client.data_to_send()
    assert client.receive_data(b"u_a") == []
    client.receive_data(b"ck")
    assert client.data_to_send() == PASSWORD


def test_close_before_the_digest_fails_the_client() -> None:
    client = eke0.Eke0Client(b"u", PASSWORD)
    with pytest.raises(LegacyRemoteError, match="closed in state"):
        client.receive_data(b"")


def test_server_rejects_non_decimal_p_and_tiny_groups() -> None:
    for bad_p, message in [(b"12x", "not a decimal"), (b"2", "smaller than 3")]:
        server = eke0.Eke0Server(PASSWORD, 1)
        server.receive_data(b"u")
        server.receive_data(PASSWORD)
        with pytest.raises(LegacyRemoteError, match=message):
            server.receive_data(bad_p)


# --- the seed's flaws, reproduced ----------------------------------------------


def test_leg_eke_1_password_in_clear_as_the_second_message() -> None:
    c_sends, _, _, _ = _session(b"x")
    assert c_sends[1] == PASSWORD


def test_leg_eke_2_any_username_is_accepted() -> None:
    _, s_sends, events, _ = _session(b"data", username=b"definitely-not-a-user")
    assert s_sends[:2] == [b"u_ack", b"Authenticated"]
    assert isinstance(events[-1], eke0.TransferDone)


def test_leg_eke_3_the_server_uses_the_clients_group() -> None:
    """A client-chosen 7-bit prime: the 'key' is a few digits and AES refuses it."""
    server = eke0.Eke0Server(PASSWORD, 1)
    for message in (b"u", PASSWORD, b"101", b"2"):
        server.receive_data(message)
        server.data_to_send()
    with pytest.raises(LegacyRemoteError, match="AES key of"):
        server.receive_data(eke0.hide_public(pow(2, 7, 101), PASSWORD))


def test_leg_eke_4_and_6_every_session_is_identical() -> None:
    first = _session(b"same file")[:2]
    second = _session(b"same file")[:2]
    assert first == second  # fixed exponents, nonces and IV: a replay is indistinguishable


def test_leg_eke_5_the_hidden_values_are_an_offline_dictionary_oracle() -> None:
    c_sends, s_sends, _, _ = _session(b"")
    hidden = (c_sends[4], s_sends[4][len(b"xorAck") :])
    dictionary = [
        b"password",
        b"letmein",
        b"hunter2",
        b"nicedays",
        b"niceday",
        b"dragon",
        b"monkey",
        b"sunshine",
        b"niceDay",
        b"qwerty",
        b"123456",
    ]

    def consistent(word: bytes) -> bool:
        try:
            return all(eke0.reveal_public(h, word) >= 0 for h in hidden)
        except LegacyRemoteError:
            return False

    assert [w for w in dictionary if consistent(w)] == [PASSWORD]
    # The '0' padding also shows the length: past it, hidden ^ '0' is a digit in both.
    width = min(len(h) for h in hidden)
    tail = [i for i in range(width) if all(bytes([h[i] ^ 0x30]).isdigit() for h in hidden)]
    assert tail == list(range(len(PASSWORD), width))


def test_leg_eke_7_server_accepts_any_message_3() -> None:
    server = eke0.Eke0Server(PASSWORD, 3)
    hidden = eke0.hide_public(pow(eke0.SEED_G, 1234, eke0.SEED_P), PASSWORD)
    for message in (b"u", PASSWORD, str(eke0.SEED_P).encode(), b"2", hidden, b"xorServerAck"):
        server.receive_data(message)
        server.data_to_send()
    server.receive_data(b"aesAck" + os.urandom(64))  # not AES(Na||Ns) under the key
    assert server.data_to_send() == b"clientAesAck"


def test_leg_eke_11_a_split_username_is_misread() -> None:
    server = eke0.Eke0Server(PASSWORD, 1)
    (event,) = server.receive_data(b"yash")
    assert event == eke0.UsernameReceived(b"yash")
    (checked,) = server.receive_data(b"101")  # the rest of the name, taken as the password
    assert checked == eke0.PasswordChecked(b"yash", False)


# --- socket adapters ------------------------------------------------------------


def _server(tmp_path: Path, serve: object, data: bytes, timeout: float = 30.0) -> int:
    path = tmp_path / "served.bin"
    path.write_bytes(data)
    config = net.LegacyEkeServerConfig(PASSWORD, path, idle_timeout=timeout)
    return serve(net.make_eke0_server(config, log=lambda _l: None)).port  # type: ignore[operator, no-any-return]


def test_fetch_over_sockets_then_again(tmp_path: Path, serve: object) -> None:
    data = os.urandom(3000)
    port = _server(tmp_path, serve, data)
    for attempt in range(2):
        out = tmp_path / f"out{attempt}.bin"
        result = net.fetch_eke0("127.0.0.1", port, b"yash101", PASSWORD, out)
        assert out.read_bytes() == data
        assert result.intact
        assert result.server_sha1 == hashlib.sha1(data, usedforsecurity=False).hexdigest()


def test_wrong_password_over_sockets_leaves_no_file(tmp_path: Path, serve: object) -> None:
    port = _server(tmp_path, serve, b"abc")
    out = tmp_path / "dl" / "x.bin"
    with pytest.raises(LegacyAuthError):
        net.fetch_eke0("127.0.0.1", port, b"u", b"nope", out)
    assert list(out.parent.iterdir()) == []


def test_server_survives_garbage_and_serves_the_next_client(tmp_path: Path, serve: object) -> None:
    port = _server(tmp_path, serve, b"payload")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"u")
        assert sock.recv(100) == b"u_ack"
        sock.sendall(PASSWORD)
        assert sock.recv(100) == b"Authenticated"
        sock.sendall(b"not a number")
        assert sock.recv(100) == b""  # closed
    result = net.fetch_eke0("127.0.0.1", port, b"u", PASSWORD, tmp_path / "ok.bin")
    assert result.size == 7


def test_leg_eke_10_unlimited_password_guesses(tmp_path: Path, serve: object) -> None:
    port = _server(tmp_path, serve, b"payload")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for guess in [b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", PASSWORD]:
            sock.sendall(b"u")
            assert sock.recv(100) == b"u_ack"
            sock.sendall(guess)
            answer = sock.recv(100)
        assert answer == b"Authenticated"


def test_exponent_none_draws_a_fresh_one_per_session(tmp_path: Path, serve: object) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    config = net.LegacyEkeServerConfig(PASSWORD, path, exponent=None)
    port = serve(net.make_eke0_server(config, log=lambda _l: None)).port  # type: ignore[operator]
    hidden = []
    for _ in range(2):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            for message, answer_len in (
                (b"u", 5),
                (PASSWORD, 13),
                (str(eke0.SEED_P).encode(), 4),
                (b"2", 4),
            ):
                sock.sendall(message)
                assert len(sock.recv(answer_len)) == answer_len
            sock.sendall(eke0.hide_public(pow(2, 1234, eke0.SEED_P), PASSWORD))
            # "xorAck" + the hidden value: as many bytes as the value has decimal digits
            # (at most 39, fewer for one value in ten), so compare a prefix that every
            # value below p has but for a chance of 1e-8; bounded reads.
            data = b""
            for _ in range(10):
                data += sock.recv(100)
                if len(data) >= 6 + 30:
                    break
            hidden.append(data[6 : 6 + 30])
    assert hidden[0] != hidden[1]


def test_back_to_back_ok_and_file_in_one_read_are_split_by_length() -> None:
    """21+22 coalesced by TCP: 'ok' is a literal, the file has the announced length."""
    data = os.urandom(2500)
    server = eke0.Eke0Server(PASSWORD, len(data))
    client = eke0.Eke0Client(b"u", PASSWORD)
    for _ in range(20):  # bounded: up to message 19
        if client.state == "await ok":
            break
        out = client.data_to_send()
        for event in server.receive_data(out):
            assert not isinstance(event, eke0.SendFile)
        client.receive_data(server.data_to_send())
    assert client.state == "await ok"
    (send,) = server.receive_data(client.data_to_send())  # LnACK
    assert send == eke0.SendFile(len(data))
    server.send_file_data(data)
    events = client.receive_data(server.data_to_send())  # "ok" + the whole file, one read
    assert b"".join(e.data for e in events if isinstance(e, eke0.FileData)) == data
    assert client.data_to_send() == eke0.FILE_DELIVERED


def test_step_tables_cover_every_state_that_reads() -> None:
    assert set(eke0._S) - set(eke0._SERVER_STEPS) == {eke0._S.SENDING, eke0._S.CLOSED}
    assert set(eke0._C) - set(eke0._CLIENT_STEPS) == {eke0._C.DONE}
