"""The toolkit's crypto against the known-answer vectors, and the generator against the files.

These tests need no target: they check the suite's own tools before it judges anyone.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import eke
from conformance.plugin import run_shared_bytes
from conformance.vectors import VECTOR_DIR, VECTOR_FILES, load_vectors
from conformance.vectors.generate import build_all

# These check the suite's own crypto, not a target: kept out of the verdict report.
pytestmark = pytest.mark.toolkit


def _ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [v["id"] for v in vectors]


@pytest.fixture(scope="module")
def generated(pytestconfig: pytest.Config) -> dict[str, bytes]:
    # Built once per run and shared by the xdist workers (~0.7 s of CPU each otherwise).
    shared = run_shared_bytes(
        pytestconfig,
        "vectors-generated.json",
        lambda: json.dumps({n: d.decode("latin-1") for n, d in build_all().items()}).encode(),
    )
    return {name: text.encode("latin-1") for name, text in json.loads(shared).items()}


@pytest.mark.req("FRM-1", "EKE-PW-1", "EKE-FEI-1", "EKE-X-2", "EKE-KS-3", "EKE-REC-2")
@pytest.mark.parametrize("name", VECTOR_FILES)
def test_generator_reproduces_files_byte_for_byte(name: str, generated: dict[str, bytes]) -> None:
    produced = generated[name]
    assert (VECTOR_DIR / name).read_bytes() == produced, (
        f"{name} is stale: run python -m conformance.vectors.generate"
    )


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_vector_files_follow_the_common_layout(name: str) -> None:
    document = json.loads((VECTOR_DIR / name).read_text(encoding="utf-8"))
    assert set(document) >= {"profile", "description", "vectors"}
    ids = _ids(document["vectors"])
    assert len(ids) == len(set(ids)), "vector ids are unique"
    assert {v["valid"] for v in document["vectors"]} <= {True, False}
    assert any(v["valid"] for v in document["vectors"])


# ---------------------------------------------------------------- frames


_FRAMES_VALID = load_vectors("frames", valid=True)


@pytest.mark.req("FRM-1", "FRM-4")
@pytest.mark.parametrize("vector", _FRAMES_VALID, ids=_ids(_FRAMES_VALID))
def test_frames_valid_encode(vector: dict[str, Any]) -> None:
    encoded = b""
    for frame in vector["frames"]:
        payload = bytes.fromhex(frame["payload"])
        encoded += eke.encode_frame(frame["type"].encode("ascii"), payload)
        if frame["json"] is not None:
            assert json.loads(payload.decode("utf-8")) == frame["json"]
    assert encoded.hex() == vector["encoded"]


_FRAMES_INVALID = load_vectors("frames", valid=False)


@pytest.mark.req("FRM-2", "FRM-3", "FRM-7", "FRM-8", "FRM-9", "FRM-11", "FRM-12", "FRM-13")
@pytest.mark.parametrize("vector", _FRAMES_INVALID, ids=_ids(_FRAMES_INVALID))
def test_frames_invalid_are_well_described(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["input"])
    assert vector["error"] in {"bad_frame", "frame_too_large", "unexpected_frame", "truncated"}
    if not vector["eof"]:
        # Errors due on the header alone: the input is exactly a header announcing too much.
        assert len(data) == 8
        (length,) = struct.unpack(">I", data[4:])
        limit = 65_536 if data[:4] != b"DATA" else vector["limit"]
        assert length > limit
    if vector["error"] == "truncated":
        assert len(data) < 8 or len(data) < 8 + struct.unpack(">I", data[4:8])[0]


# ---------------------------------------------------------------- password key

_PW = load_vectors("eke_password_key")


@pytest.mark.req("EKE-PW-1", "EKE-HS-3")
@pytest.mark.parametrize("vector", _PW, ids=_ids(_PW))
def test_password_key(vector: dict[str, Any]) -> None:
    user = bytes.fromhex(vector["user_hex"]).decode("utf-8")
    assert user == vector["user"]
    if vector["kind"] == "scrypt":
        password = bytes.fromhex(vector["password_hex"])
        assert eke.password_key(password, user).hex() == vector["pw"]
    else:
        secret = bytes.fromhex(vector["server_secret"])
        assert eke.fake_password_key(secret, user).hex() == vector["pw"]


@pytest.mark.req("EKE-PW-1")
def test_password_key_does_not_normalise() -> None:
    by_id = {v["id"]: v["pw"] for v in _PW}
    assert by_id["pw-unicode-nfc"] != by_id["pw-unicode-nfd"]


# ---------------------------------------------------------------- Feistel

_FEISTEL = load_vectors("eke_feistel")


@pytest.mark.req("EKE-FEI-1", "EKE-FEI-2")
@pytest.mark.parametrize("vector", _FEISTEL, ids=_ids(_FEISTEL))
def test_feistel_both_directions(vector: dict[str, Any]) -> None:
    pw = bytes.fromhex(vector["pw"])
    plain = bytes.fromhex(vector["plaintext"])
    cipher = bytes.fromhex(vector["ciphertext"])
    assert eke.feistel_encrypt(pw, plain) == cipher
    assert eke.feistel_decrypt(pw, cipher) == plain


@pytest.mark.req("EKE-FEI-1")
def test_feistel_round_trace() -> None:
    vector = next(v for v in _FEISTEL if "rounds" in v)
    assert len(vector["rounds"]) == eke.FEISTEL_ROUNDS
    assert vector["rounds"][-1] == vector["ciphertext"]


@pytest.mark.req("EKE-FEI-2")
@settings(max_examples=25, deadline=None)
@given(pw=st.binary(min_size=32, max_size=32), block=st.binary(min_size=384, max_size=384))
def test_feistel_is_a_permutation(pw: bytes, block: bytes) -> None:
    assert eke.feistel_decrypt(pw, eke.feistel_encrypt(pw, block)) == block


# ---------------------------------------------------------------- ±X

_PM = load_vectors("eke_pm_encoding")


@pytest.mark.req("EKE-X-2", "EKE-X-3")
@pytest.mark.parametrize("vector", _PM, ids=_ids(_PM))
def test_pm_encoding(vector: dict[str, Any]) -> None:
    encoded = int(vector["X_prime"], 16)
    if vector["valid"]:
        element = int(vector["X"], 16)
        assert eke.pm_encode(element, vector["s"]) == encoded
        assert eke.jacobi(encoded, eke.P) == vector["jacobi_X_prime"]
        assert eke.pm_decode(encoded) == int(vector["recovered"], 16) == element
    else:
        with pytest.raises(eke.EkeError) as info:
            eke.pm_decode(encoded)
        assert info.value.name == vector["error"]


@pytest.mark.req("EKE-GRP-1")
def test_group_facts_the_spec_relies_on() -> None:
    assert eke.P % 8 == 7 and eke.P.bit_length() == 3072
    assert eke.jacobi(eke.G, eke.P) == 1
    assert eke.jacobi(eke.P - 1, eke.P) == -1


# ---------------------------------------------------------------- handshake

_HS = load_vectors("eke_handshake")


def _frame_json(frame_hex: str, frame_type: bytes) -> dict[str, Any]:
    ftype, payload = eke.decode_frame_payload(bytes.fromhex(frame_hex))
    assert ftype == frame_type
    obj: dict[str, Any] = json.loads(payload)
    return obj


@pytest.mark.req("EKE-HS-1", "EKE-HS-2", "EKE-HS-5", "EKE-HS-6", "EKE-KS-1", "EKE-KS-2", "EKE-KS-3")
def test_handshake_reproduced_from_pinned_randomness() -> None:
    vector = next(v for v in _HS if v["valid"])
    pw = bytes.fromhex(vector["pw"])
    client = eke.ClientHandshake(
        user=vector["user"],
        pw=pw,
        exponent=int(vector["x"], 16),
        sign_bit=vector["s_x"],
        na=bytes.fromhex(vector["Na"]),
    )
    server = eke.ServerHandshake(
        pw=pw, exponent=int(vector["y"], 16), sign_bit=vector["s_y"], ns=bytes.fromhex(vector["Ns"])
    )
    m1 = client.eke1()
    assert m1 == _frame_json(vector["eke1"], b"EKE1")
    m2 = server.on_eke1(m1)
    assert m2 == _frame_json(vector["eke2"], b"EKE2")
    m3 = client.on_eke2(m2)
    assert m3 == _frame_json(vector["eke3"], b"EKE3")
    m4 = server.on_eke3(m3)
    assert m4 == _frame_json(vector["eke4"], b"EKE4")
    client.on_eke4(m4)
    keys = client.keys
    assert keys is not None
    expected = {
        "th": "th",
        "z": "Z",
        "prk": "PRK",
        "kcs": "Kcs",
        "kcc": "Kcc",
        "key_c2s": "key_c2s",
        "iv_c2s": "iv_c2s",
        "key_s2c": "key_s2c",
        "iv_s2c": "iv_s2c",
    }
    for attr, field in expected.items():
        assert getattr(keys, attr).hex() == vector[field], field
    # The spec's HKDF, computed a second way (pycryptodome's one-shot HKDF).
    assert HKDF(keys.z, 32, keys.th, SHA256, context=b"sft-eke/1 key c2s") == keys.key_c2s
    send, _ = client.record_layer()
    _, receive = client.record_layer()
    for rec in vector["records_c2s"]:
        assert send.seal(bytes.fromhex(rec["inner"])).hex() == rec["record"]
    for rec in vector["records_s2c"]:
        assert receive.open(bytes.fromhex(rec["record"])).hex() == rec["inner"]


@pytest.mark.req("EKE-HS-3", "EKE-HS-4")
@pytest.mark.parametrize("vid", ["hs-wrong-password", "hs-unknown-user"])
def test_handshake_failures_at_c2(vid: str) -> None:
    vector = next(v for v in _HS if v["id"] == vid)
    client = eke.ClientHandshake(
        user=vector["user"],
        pw=bytes.fromhex(vector["client_pw"]),
        exponent=int(vector["x"], 16),
        sign_bit=vector["s_x"],
    )
    server = eke.ServerHandshake(
        pw=bytes.fromhex(vector["server_pw"]),
        exponent=int(vector["y"], 16),
        sign_bit=vector["s_y"],
        ns=bytes.fromhex(vector["Ns"]),
    )
    m1 = client.eke1()
    assert m1 == _frame_json(vector["eke1"], b"EKE1")
    m2 = server.on_eke1(m1)
    assert m2 == _frame_json(vector["eke2"], b"EKE2")
    with pytest.raises(eke.EkeError) as info:
        client.on_eke2(m2)
    assert info.value.name == vector["error"]


@pytest.mark.req("EKE-X-3", "EKE-HS-8")
@pytest.mark.parametrize("vid", [v["id"] for v in _HS if v["id"].startswith("hs-invalid-x")])
def test_invalid_x_fails_at_eke3(vid: str) -> None:
    vector = next(v for v in _HS if v["id"] == vid)
    pw = bytes.fromhex(vector["pw"])
    m1 = _frame_json(vector["eke1"], b"EKE1")
    plain = eke.feistel_decrypt(pw, bytes.fromhex(m1["a"]))
    assert plain.hex() == vector["X_prime"]
    server = eke.ServerHandshake(pw=pw)
    m2 = server.on_eke1(m1)  # the server answers as for any EKE1...
    assert len(m2["b"]) == 768 and len(m2["c"]) == 96
    with pytest.raises(eke.EkeError) as info:  # ...and fails whatever EKE3 comes
        server.on_eke3({"c": "00" * 80})
    assert info.value.name == vector["error"]


# ---------------------------------------------------------------- records

_REC = load_vectors("eke_records")


@pytest.mark.req("EKE-REC-1", "EKE-REC-2", "EKE-REC-3", "EKE-REC-4")
@pytest.mark.parametrize("vector", _REC, ids=_ids(_REC))
def test_records(vector: dict[str, Any]) -> None:
    key = bytes.fromhex(vector["key"])
    iv = bytes.fromhex(vector["iv"])
    record = bytes.fromhex(vector["record"])
    if vector["valid"]:
        inner = bytes.fromhex(vector["inner"])
        assert eke.record_nonce(iv, vector["seq"]).hex() == vector["nonce"]
        assert eke.seal_record(key, iv, vector["seq"], inner) == record
        assert eke.open_record(key, iv, vector["seq"], record) == inner
    else:
        with pytest.raises(eke.EkeError) as info:
            eke.open_record(key, iv, vector["seq"], record)
        assert info.value.name == vector["error"]


@pytest.mark.req("EKE-FEI-2")
def test_wrong_key_decryption_is_almost_never_rejected() -> None:
    """No partition attack: D_pw' of a real A is a valid X' as often as a random string is."""
    vector = next(v for v in _HS if v["valid"])
    a = bytes.fromhex(_frame_json(vector["eke1"], b"EKE1")["a"])
    rejected = 0
    for i in range(64):
        wrong = SHA256.new(b"wrong key %d" % i).digest()
        value = int.from_bytes(eke.feistel_decrypt(wrong, a), "big")
        if value in (0, 1, eke.P - 1) or value >= eke.P:
            rejected += 1
    assert rejected == 0  # probability of any rejection here is below 2^-58
