"""sft-pki/0: frames, the sans-IO cores, the socket adapters, and the seed's flaws (LEG-PKI-*)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from reference.legacy import _crypto, net, pki0
from reference.legacy.errors import LegacyAuthError, LegacyLocalError, LegacyRemoteError
from reference.legacy.tests.conftest import Org, past


def _pump(
    requester: pki0.Pki0Requester, responder: pki0.Pki0Responder, name: str, data: bytes
) -> tuple[list[pki0.Event], list[bytes]]:
    """Run one in-memory session; returns the requester's events and the RSFL payloads."""
    events: list[pki0.Event] = []
    r_events = responder.receive_data(requester.data_to_send())
    assert isinstance(r_events[0], pki0.PeerCertified)
    events += requester.receive_data(responder.data_to_send())
    requester.request_file(name)
    (requested,) = responder.receive_data(requester.data_to_send())
    assert requested == pki0.FileRequested(name)
    for piece in pki0.iter_pieces(data):
        responder.send_piece(piece)
    wire = responder.data_to_send()
    decoder = pki0.FrameDecoder()
    decoder.receive_data(wire)
    payloads = []
    while (frame := decoder.next_frame()) is not None:
        assert frame.type == pki0.RSFL
        payloads.append(frame.payload)
    if wire:  # b"" would mean "closed" to the core
        events += requester.receive_data(wire)
    events += requester.receive_data(b"")
    return events, payloads


# --- frames -------------------------------------------------------------------


def test_frame_layout_is_4s_then_uint32_big_endian() -> None:
    assert pki0.encode_frame(pki0.RQFL, b"abc") == b"RQFL\x00\x00\x00\x03abc"


@pytest.mark.parametrize("feed", ["whole", "bytewise", "trailing"])
def test_decoder_whole_bytewise_and_trailing(feed: str) -> None:
    wire = pki0.encode_frame(pki0.SECE, b"x" * 300) + pki0.encode_frame(pki0.RSCI, b"")
    decoder = pki0.FrameDecoder()
    frames = []
    chunks = [wire] if feed != "bytewise" else [wire[i : i + 1] for i in range(len(wire))]
    if feed == "trailing":
        chunks = [wire + b"RSFL\x00\x00"]
    for chunk in chunks:
        decoder.receive_data(chunk)
        while (frame := decoder.next_frame()) is not None:
            frames.append(frame)
    assert frames == [pki0.Frame(pki0.SECE, b"x" * 300), pki0.Frame(pki0.RSCI, b"")]
    assert decoder.buffered == (6 if feed == "trailing" else 0)


def test_decoder_rejects_oversize_length_at_the_header() -> None:
    decoder = pki0.FrameDecoder(max_payload=1000)
    with pytest.raises(LegacyRemoteError, match="announces 1001"):
        decoder.receive_data(b"RSFL" + (1001).to_bytes(4, "big"))


def test_decoder_rejects_unknown_type() -> None:
    with pytest.raises(LegacyRemoteError, match="unknown frame type"):
        pki0.FrameDecoder().receive_data(b"DATA\x00\x00\x00\x00")


# --- sessions -----------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101, 1234])
def test_session_round_trip(org: Org, size: int) -> None:
    data = os.urandom(size)
    requester = pki0.Pki0Requester(org.alice.key, org.alice.certificate)
    responder = pki0.Pki0Responder(org.bob.key, org.bob.certificate, org.root)
    events, payloads = _pump(requester, responder, "dir/file.bin", data)
    assert isinstance(events[0], pki0.ResponderCertificate)
    assert events[0].alias == "bob"
    pieces = [e.data for e in events if isinstance(e, pki0.FilePiece)]
    assert b"".join(pieces) == data
    assert len(payloads) == -(-size // pki0.PIECE_SIZE)
    assert all(len(p) == 256 for p in payloads)  # one RSA-2048 block per piece
    assert events[-1] == pki0.TransferEnded(len(payloads), size)


def test_rsfl_decrypts_only_with_the_requesters_key(org: Org) -> None:
    requester = pki0.Pki0Requester(org.alice.key, org.alice.certificate)
    responder = pki0.Pki0Responder(org.bob.key, org.bob.certificate, org.root)
    _, payloads = _pump(requester, responder, "f", b"A" * 100)
    assert _crypto.oaep_decrypt(org.alice.key, payloads[0]) == b"A" * 100
    with pytest.raises(LegacyRemoteError):
        _crypto.oaep_decrypt(org.bob.key, payloads[0])


def test_responder_refuses_a_foreign_certificate_with_rsci(org: Org) -> None:
    foreign_key, foreign_root = _crypto.make_root("someone else")
    stranger = _crypto.issue_certificate(
        foreign_key, foreign_root, "mallory", foreign_key.public_key()
    )
    responder = pki0.Pki0Responder(org.bob.key, org.bob.certificate, org.root)
    (event,) = responder.receive_data(
        pki0.encode_frame(pki0.SECE, _crypto.certificate_pem(stranger))
    )
    assert isinstance(event, pki0.PeerRefused)
    assert responder.data_to_send() == b"RSCI\x00\x00\x00\x00"
    requester = pki0.Pki0Requester(foreign_key, stranger)
    requester.data_to_send()
    with pytest.raises(LegacyAuthError):
        requester.receive_data(b"RSCI\x00\x00\x00\x00")


def test_frames_out_of_order_fail_and_the_session_stays_failed(org: Org) -> None:
    responder = pki0.Pki0Responder(org.bob.key, org.bob.certificate, org.root)
    with pytest.raises(LegacyRemoteError, match="unexpected RQFL"):
        responder.receive_data(pki0.encode_frame(pki0.RQFL, b"\x00" * 256))
    with pytest.raises(LegacyLocalError):
        responder.receive_data(pki0.encode_frame(pki0.SECE, b""))


def test_requester_misuse_is_a_local_error(org: Org) -> None:
    requester = pki0.Pki0Requester(org.alice.key, org.alice.certificate)
    with pytest.raises(LegacyLocalError):
        requester.request_file("x")
    with pytest.raises(LegacyRemoteError, match="closed in state"):
        requester.receive_data(b"")


# --- the seed's flaws, reproduced (each test shows the flaw exists) ----------


def test_leg_pki_2_no_proof_of_possession(org: Org) -> None:
    """Anyone replaying alice's public certificate is accepted as alice."""
    mallory_key = _crypto.generate_rsa_key()  # not alice's key
    requester = pki0.Pki0Requester(mallory_key, org.alice.certificate)
    responder = pki0.Pki0Responder(org.bob.key, org.bob.certificate, org.root)
    (event,) = responder.receive_data(requester.data_to_send())
    assert event == pki0.PeerCertified("alice", _crypto.certificate_pem(org.alice.certificate))
    assert responder.data_to_send().startswith(pki0.RSCV)


def test_leg_pki_3_expired_certificate_accepted(org: Org) -> None:
    expired = org.issue("carol", now=past(400), days=30)
    assert expired.certificate.not_valid_after_utc < past(0)
    responder = pki0.Pki0Responder(org.bob.key, org.bob.certificate, org.root)
    (event,) = responder.receive_data(
        pki0.encode_frame(pki0.SECE, _crypto.certificate_pem(expired.certificate))
    )
    assert isinstance(event, pki0.PeerCertified)


def test_leg_pki_4_requester_accepts_any_responder(org: Org) -> None:
    mallory_key, self_signed = _crypto.make_root("not-bob")
    requester = pki0.Pki0Requester(org.alice.key, org.alice.certificate)
    requester.data_to_send()
    (event,) = requester.receive_data(
        pki0.encode_frame(pki0.RSCV, _crypto.certificate_pem(self_signed))
    )
    assert event == pki0.ResponderCertificate("not-bob", _crypto.certificate_pem(self_signed))
    requester.request_file("payroll.xlsx")
    frame = requester.data_to_send()
    assert _crypto.oaep_decrypt(mallory_key, frame[8:]) == b"payroll.xlsx"


def test_leg_pki_5_name_is_not_confined(share: Path) -> None:
    assert Path(pki0.legacy_share_path(str(share), "../secret.txt")).resolve() == (
        share.parent / "secret.txt"
    )
    assert pki0.legacy_share_path(str(share), "/abs/name") == "/abs/name"


def test_leg_pki_7_truncation_looks_like_a_complete_file(org: Org) -> None:
    requester = pki0.Pki0Requester(org.alice.key, org.alice.certificate)
    responder = pki0.Pki0Responder(org.bob.key, org.bob.certificate, org.root)
    responder.receive_data(requester.data_to_send())
    requester.receive_data(responder.data_to_send())
    requester.request_file("f")
    responder.receive_data(requester.data_to_send())
    for piece in pki0.iter_pieces(b"z" * 300):
        responder.send_piece(piece)
    wire = responder.data_to_send()
    first_frame = wire[: 8 + 256]  # an attacker drops the rest and sends FIN
    events = requester.receive_data(first_frame) + requester.receive_data(b"")
    assert events[-1] == pki0.TransferEnded(1, 100)


# --- socket adapters ----------------------------------------------------------


def _peer(org: Org, share: Path, serve: object) -> int:
    config = net.LegacyPeerConfig(org.bob.key, org.bob.certificate, org.root, str(share))
    return serve(net.make_pki0_peer_server(config, log=lambda _line: None)).port  # type: ignore[operator, no-any-return]


def test_fetch_over_sockets(org: Org, share: Path, serve: object, tmp_path: Path) -> None:
    port = _peer(org, share, serve)
    out = tmp_path / "out" / "hello.txt"
    result = net.fetch_pki0(
        "127.0.0.1", port, org.alice.key, org.alice.certificate, "hello.txt", out
    )
    assert out.read_bytes() == (share / "hello.txt").read_bytes()
    assert (result.responder_alias, result.pieces, result.size) == ("bob", 1, 21)


def test_leg_pki_5_traversal_over_sockets(
    org: Org, share: Path, serve: object, tmp_path: Path
) -> None:
    port = _peer(org, share, serve)
    out = tmp_path / "got"
    net.fetch_pki0("127.0.0.1", port, org.alice.key, org.alice.certificate, "../secret.txt", out)
    assert out.read_bytes() == (tmp_path / "secret.txt").read_bytes()


def test_leg_pki_8_missing_file_is_an_empty_file(
    org: Org, share: Path, serve: object, tmp_path: Path
) -> None:
    port = _peer(org, share, serve)
    out = tmp_path / "missing"
    result = net.fetch_pki0("127.0.0.1", port, org.alice.key, org.alice.certificate, "nope", out)
    assert (result.pieces, out.read_bytes()) == (0, b"")


def test_peer_survives_garbage_and_serves_the_next_client(
    org: Org, share: Path, serve: object, tmp_path: Path
) -> None:
    port = _peer(org, share, serve)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert sock.recv(100) == b""  # closed, no answer
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"SECE\xff\xff\xff\xff")  # a lying length: closed at the header
        assert sock.recv(100) == b""
    out = tmp_path / "again"
    net.fetch_pki0("127.0.0.1", port, org.alice.key, org.alice.certificate, "hello.txt", out)
    assert out.read_bytes() == b"hello from the share\n"


def test_failed_fetch_leaves_no_file(org: Org, share: Path, serve: object, tmp_path: Path) -> None:
    foreign_key, foreign_root = _crypto.make_root("elsewhere")
    port = _peer(org, share, serve)
    out = tmp_path / "dl" / "hello.txt"
    with pytest.raises(LegacyAuthError):
        net.fetch_pki0("127.0.0.1", port, foreign_key, foreign_root, "hello.txt", out)
    assert list(out.parent.iterdir()) == []


def test_transition_tables_name_every_accepted_pair() -> None:
    assert set(pki0.Pki0Responder._TRANSITIONS) == {
        (pki0._State.AWAIT_SECE, pki0.SECE),
        (pki0._State.AWAIT_RQFL, pki0.RQFL),
    }
    assert {t for _, t in pki0.Pki0Requester._TRANSITIONS} == {pki0.RSCV, pki0.RSCI, pki0.RSFL}
