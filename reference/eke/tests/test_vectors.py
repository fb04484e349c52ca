"""reference.eke.crypto against conformance/vectors/eke_*.json (made with pycryptodome).

Valid vectors must round-trip; invalid ones must raise the specific exception
(SPEC §8). The vectors are read as JSON files: `reference` never imports `conformance`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reference.eke import crypto
from reference.eke.handshake import (
    ClientHandshake,
    Established,
    LoginAttempt,
    ServerHandshake,
)
from reference.eke.records import RecordReader
from reference.errors import AuthenticationFailed, ErrorCode, RemoteProtocolError
from reference.frames import NEED_DATA

VECTORS = Path(__file__).resolve().parents[3] / "conformance" / "vectors"


def load_vectors(name: str) -> list[dict[str, Any]]:
    """The one loader: every vector of conformance/vectors/<name>.json."""
    path = VECTORS / f"{name}.json"
    if not path.exists():
        pytest.skip(f"{path} not generated yet")
    vectors: list[dict[str, Any]] = json.loads(path.read_text())["vectors"]
    assert vectors, f"{name}.json has no vectors"
    return vectors


def by_validity(name: str, valid: bool) -> list[Any]:
    path = VECTORS / f"{name}.json"
    if not path.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{name}.json missing"))]
    return [
        pytest.param(v, id=v["id"])
        for v in json.loads(path.read_text())["vectors"]
        if v["valid"] is valid
    ]


def expect_error(name: str) -> Any:
    """The exception class (and code) an invalid vector's `error` names."""
    if name == "auth_failed":
        return AuthenticationFailed, ErrorCode.AUTH_FAILED
    return RemoteProtocolError, ErrorCode[name.upper()]


h = bytes.fromhex


@pytest.mark.req("EKE-PW-1", "EKE-HS-3")
@pytest.mark.parametrize("v", by_validity("eke_password_key", True))
def test_password_key(v: dict[str, Any]) -> None:
    assert h(v["user_hex"]) == v["user"].encode()
    if v["kind"] == "scrypt":
        assert crypto._user_salt(v["user"].encode()).hex() == v["salt"]
        assert crypto.password_key(v["user"], h(v["password_hex"])).hex() == v["pw"]
    else:
        assert crypto.fake_password_key(h(v["server_secret"]), v["user"]).hex() == v["pw"]


@pytest.mark.req("EKE-FEI-1", "EKE-FEI-2")
@pytest.mark.parametrize("v", by_validity("eke_feistel", True))
def test_feistel(v: dict[str, Any]) -> None:
    pw, plain, cipher = h(v["pw"]), h(v["plaintext"]), h(v["ciphertext"])
    assert crypto.feistel_encrypt(pw, plain) == cipher
    assert crypto.feistel_decrypt(pw, cipher) == plain


@pytest.mark.req("EKE-X-2", "EKE-X-3")
@pytest.mark.parametrize("v", by_validity("eke_pm_encoding", True))
def test_pm_encoding(v: dict[str, Any]) -> None:
    x = int(v["X"], 16)
    encoded = crypto._pm_encode_from_parts(x, sign_bit=v["s"])
    assert encoded.hex() == v["X_prime"]
    assert crypto.jacobi(int.from_bytes(encoded, "big"), crypto.P) == v["jacobi_X_prime"]
    assert crypto.pm_decode(encoded) == int(v["recovered"], 16) == x


@pytest.mark.req("EKE-X-3")
@pytest.mark.parametrize("v", by_validity("eke_pm_encoding", False))
def test_pm_encoding_invalid(v: dict[str, Any]) -> None:
    exc_type, code = expect_error(v["error"])
    with pytest.raises(exc_type) as info:
        crypto.pm_decode(h(v["X_prime"]))
    assert info.value.code is code


@pytest.mark.req("EKE-REC-1", "EKE-REC-2", "EKE-REC-3")
@pytest.mark.parametrize("v", by_validity("eke_records", True))
def test_record(v: dict[str, Any]) -> None:
    key, iv, seq, inner = h(v["key"]), h(v["iv"]), v["seq"], h(v["inner"])
    sealer = crypto.RecordSealer(key, iv, 4096)
    sealer.sequence = seq
    assert bytes(sealer.seal(inner)).hex() == v["record"]
    opener = crypto.RecordOpener(key, iv, 4096)
    opener.sequence = seq
    reader = RecordReader(opener, 4096)
    reader.receive_data(h(v["record"]))
    frame = reader.next_frame()
    assert not isinstance(frame, type(NEED_DATA))
    assert bytes(frame.type) + len(frame.payload).to_bytes(4, "big") + bytes(frame.payload) == inner
    assert opener.sequence == seq + 1


@pytest.mark.req("EKE-REC-1", "EKE-REC-4")
@pytest.mark.parametrize("v", by_validity("eke_records", False))
def test_record_invalid(v: dict[str, Any]) -> None:
    exc_type, code = expect_error(v["error"])
    opener = crypto.RecordOpener(h(v["key"]), h(v["iv"]), 4096)
    opener.sequence = v["seq"]
    reader = RecordReader(opener, 4096)
    reader.receive_data(h(v["record"]))
    with pytest.raises(exc_type) as info:
        reader.next_frame()
    assert info.value.code is code
    with pytest.raises(exc_type):  # a failed reader refuses further use
        reader.next_frame()


def _run_to_eke2(
    v: dict[str, Any], client_pw: bytes, server_pw: bytes
) -> tuple[ClientHandshake, ServerHandshake]:
    client = ClientHandshake._from_parts(
        v["user"],
        client_pw,
        ephemeral=crypto._ephemeral_from_parts(exponent=int(v["x"], 16)),
        sign_bit=v["s_x"],
        na=h(v.get("Na", "00" * 32)),
    )
    server = ServerHandshake._from_parts(
        ephemeral=crypto._ephemeral_from_parts(exponent=int(v["y"], 16)),
        sign_bit=v["s_y"],
        ns=h(v["Ns"]),
    )
    eke1 = client.data_to_send()
    assert eke1.hex() == v["eke1"]
    server.receive_data(eke1)
    assert server.next_event() == LoginAttempt(v["user"])
    server.accept(server_pw)
    eke2 = server.data_to_send()
    assert eke2.hex() == v["eke2"]
    client.receive_data(eke2)
    return client, server


@pytest.mark.req("EKE-HS-1", "EKE-HS-2", "EKE-HS-5", "EKE-HS-6", "EKE-KS-1", "EKE-KS-3")
@pytest.mark.parametrize("v", by_validity("eke_handshake", True))
def test_handshake(v: dict[str, Any]) -> None:
    pw = h(v["pw"])
    assert crypto.password_key(v["user"], h(v["password_hex"])) == pw
    ex = crypto._ephemeral_from_parts(exponent=int(v["x"], 16))
    ey = crypto._ephemeral_from_parts(exponent=int(v["y"], 16))
    assert ex.element == int(v["X"], 16) and ey.element == int(v["Y"], 16)
    z = crypto.shared_secret(ex, ey.element)
    assert z.hex() == v["Z"] and crypto.shared_secret(ey, ex.element) == z
    th = crypto.transcript_hash(v["user"], h(v["A"]), h(v["B"]))
    assert th.hex() == v["th"]
    assert crypto._hkdf_extract(th, z).hex() == v["PRK"]

    client, server = _run_to_eke2(v, pw, pw)
    assert client.next_event() is NEED_DATA
    eke3 = client.data_to_send()
    assert eke3.hex() == v["eke3"]
    server.receive_data(eke3)
    done_s = server.next_event()
    assert isinstance(done_s, Established)
    eke4 = server.data_to_send()
    assert eke4.hex() == v["eke4"]
    client.receive_data(eke4)
    done_c = client.next_event()
    assert isinstance(done_c, Established)
    keys = done_c.keys
    assert keys == done_s.keys
    expected = {
        "kcs": v["Kcs"],
        "kcc": v["Kcc"],
        "key_c2s": v["key_c2s"],
        "iv_c2s": v["iv_c2s"],
        "key_s2c": v["key_s2c"],
        "iv_s2c": v["iv_s2c"],
    }
    assert {name: getattr(keys, name).hex() for name in expected} == expected
    for direction, key, iv in (
        ("records_c2s", keys.key_c2s, keys.iv_c2s),
        ("records_s2c", keys.key_s2c, keys.iv_s2c),
    ):
        sealer = crypto.RecordSealer(key, iv, 4096)
        for record in v[direction]:
            assert sealer.sequence == record["seq"]
            assert bytes(sealer.seal(h(record["inner"]))).hex() == record["record"]


@pytest.mark.req("EKE-HS-3", "EKE-HS-4", "EKE-HS-8", "EKE-X-3")
@pytest.mark.parametrize("v", by_validity("eke_handshake", False))
def test_handshake_invalid(v: dict[str, Any]) -> None:
    exc_type, code = expect_error(v["error"])
    if v["fails_at"] == "client verifying EKE2":
        if "server_secret" in v:
            assert (
                crypto.fake_password_key(h(v["server_secret"]), v["user"]).hex() == v["server_pw"]
            )
        client, _server = _run_to_eke2(v, h(v["client_pw"]), h(v["server_pw"]))
        with pytest.raises(exc_type) as info:
            client.next_event()
        assert info.value.code is code
        # The client answers EROR auth_failed [EKE-HS-4] and sends no EKE3.
        assert client.data_to_send().startswith(b"EROR")
        return
    assert v["fails_at"] == "server verifying EKE3"
    pw = h(v["pw"])
    a = bytes.fromhex(json.loads(h(v["eke1"])[8:])["a"])
    assert crypto.feistel_decrypt(pw, a).hex() == v["X_prime"]
    server = ServerHandshake()
    server.receive_data(h(v["eke1"]))
    assert server.next_event() == LoginAttempt(v["user"])
    server.accept(pw)  # no early failure: EKE2 goes out as for a valid X'
    eke2 = server.data_to_send()
    assert eke2.startswith(b"EKE2") and len(eke2) == 8 + 879  # same size as valid
    server.receive_data(b"EKE3\x00\x00\x00\xa8" + b'{"c":"' + b"ab" * 80 + b'"}')
    with pytest.raises(exc_type) as info:
        server.next_event()
    assert info.value.code is code
    assert server.data_to_send().startswith(b"EROR")
