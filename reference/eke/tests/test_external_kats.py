"""reference.eke.crypto (`cryptography`, hashlib) against PUBLISHED known answers.

The vectors of conformance/vectors/eke_*.json are this project's own; a misreading of a
primitive shared by the reference and the toolkit would pass them. external-kats.json
holds answers copied from the standards, each with its `source`: RFC 7914 scrypt,
RFC 5869 HKDF-SHA256, the GCM specification's AES-256 cases (and two forgeries that
must fail), FIPS 202 SHAKE256, FIPS 180 SHA-256, RFC 7919 ffdhe3072 [VEC-3]. Where the
reference wraps a primitive in a recipe (password_key's parameters, derive_keys' labels,
seal_confirm/open_confirm, the Feistel round), the published vector goes THROUGH the
recipe. The file is read as data: `reference` never imports `conformance`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from reference.eke import crypto
from reference.errors import AuthenticationFailed

KAT_FILE = Path(__file__).resolve().parents[3] / "conformance" / "vectors" / "external-kats.json"


def load_external_kats(primitive: str, *, valid: bool | None = None) -> list[Any]:
    """The one loader: the vectors of one primitive, as pytest params named by id."""
    vectors: list[dict[str, Any]] = json.loads(KAT_FILE.read_text(encoding="utf-8"))["vectors"]
    chosen = [
        v for v in vectors if v["primitive"] == primitive and (valid is None or v["valid"] is valid)
    ]
    assert chosen, f"external-kats.json has no {primitive} vector"
    return [pytest.param(v, id=v["id"]) for v in chosen]


def _h(value: str) -> bytes:
    return bytes.fromhex(value)


# --- scrypt (RFC 7914 §12) ---------------------------------------------------------------


@pytest.mark.parametrize("vector", load_external_kats("scrypt"))
def test_scrypt_primitive_gives_the_published_answer(vector: dict[str, Any]) -> None:
    dk = _h(vector["dk"])
    kdf = Scrypt(
        salt=_h(vector["salt"]), length=len(dk), n=vector["n"], r=vector["r"], p=vector["p"]
    )
    assert kdf.derive(_h(vector["password"])) == dk


@pytest.mark.parametrize("vector", load_external_kats("scrypt"))
def test_password_key_recipe_gives_the_published_answer(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """password_key with the vector's parameters and salt in place of EKE-PW-1's: a
    recipe that swaps n and r, or derives from the user name, fails."""
    salts: list[bytes] = []

    def vector_salt(user_bytes: bytes) -> bytes:
        salts.append(user_bytes)
        return _h(vector["salt"])

    monkeypatch.setattr(crypto, "_user_salt", vector_salt)
    monkeypatch.setattr(crypto, "_SCRYPT_N", vector["n"])
    monkeypatch.setattr(crypto, "_SCRYPT_R", vector["r"])
    monkeypatch.setattr(crypto, "_SCRYPT_P", vector["p"])
    monkeypatch.setattr(crypto, "KEY_LEN", len(_h(vector["dk"])))
    assert crypto.password_key("alice", _h(vector["password"])) == _h(vector["dk"])
    assert salts == [b"alice"]


def test_password_key_uses_the_spec_salt_and_cost() -> None:
    """EKE-PW-1: salt "sft-eke/1" ‖ u16be(len(U)) ‖ U, N = 2^15, r = 8, p = 1, 32 bytes,
    recomputed with hashlib's scrypt (OpenSSL, a different entry point)."""
    user, password = "bob", "correct horse"
    salt = b"sft-eke/1" + len(user).to_bytes(2, "big") + user.encode()
    expected = hashlib.scrypt(
        password.encode(), salt=salt, n=2**15, r=8, p=1, dklen=32, maxmem=64 * 1024 * 1024
    )
    assert crypto.password_key(user, password) == expected


# --- HKDF-SHA256 (RFC 5869 Appendix A) ---------------------------------------------------


@pytest.mark.parametrize("vector", load_external_kats("hkdf-sha256"))
def test_key_schedule_recipe_gives_the_published_answer(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """derive_keys(Z, th) = HKDF(salt = th, IKM = Z) [EKE-KS-3]: the extract gives the
    published PRK and, with the vector's info and length for every label, each of the
    six derived keys is the published OKM."""
    assert crypto._hkdf_extract(_h(vector["salt"]), _h(vector["ikm"])) == _h(vector["prk"])
    infos = tuple((_h(vector["info"]), vector["length"]) for _ in crypto._KEY_INFOS)
    monkeypatch.setattr(crypto, "_KEY_INFOS", infos)
    keys = crypto.derive_keys(_h(vector["ikm"]), _h(vector["salt"]))
    for name in ("kcs", "kcc", "key_c2s", "iv_c2s", "key_s2c", "iv_s2c"):
        assert getattr(keys, name) == _h(vector["okm"]), name


# --- AES-256-GCM (GCM specification, test cases 13-16) -------------------------------------


@pytest.mark.parametrize("vector", load_external_kats("aes-256-gcm", valid=True))
def test_aesgcm_primitive_gives_the_published_answer(vector: dict[str, Any]) -> None:
    sealed = _h(vector["ciphertext"]) + _h(vector["tag"])
    aead = AESGCM(_h(vector["key"]))
    assert aead.encrypt(_h(vector["iv"]), _h(vector["plaintext"]), _h(vector["aad"])) == sealed
    assert aead.decrypt(_h(vector["iv"]), sealed, _h(vector["aad"])) == _h(vector["plaintext"])


@pytest.mark.parametrize("vector", load_external_kats("aes-256-gcm"))
def test_confirm_recipes_give_the_published_answer(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """seal_confirm/open_confirm with the vector's nonce and AD (instead of 0^11 ‖ step and
    "EKE<step>" ‖ th): the published ciphertext ‖ tag; a forgery is AuthenticationFailed."""
    monkeypatch.setattr(
        crypto, "_confirm_nonce_and_ad", lambda step, th: (_h(vector["iv"]), _h(vector["aad"]))
    )
    key, sealed = _h(vector["key"]), _h(vector["ciphertext"]) + _h(vector["tag"])
    if vector["valid"]:
        assert crypto.seal_confirm(key, 2, _h(vector["plaintext"]), b"") == sealed
        assert crypto.open_confirm(key, 2, sealed, b"") == _h(vector["plaintext"])
    else:
        with pytest.raises(AuthenticationFailed):
            crypto.open_confirm(key, 2, sealed, b"")
        with pytest.raises(InvalidTag):
            AESGCM(key).decrypt(_h(vector["iv"]), sealed, _h(vector["aad"]))


@pytest.mark.parametrize("vector", load_external_kats("aes-256-gcm", valid=True))
def test_record_sealer_nonce_zero_is_the_iv(vector: dict[str, Any]) -> None:
    """Record 0's nonce is the IV itself (EKE-REC-2, seq 0): the body of record 0 is the
    published AES-256-GCM output under the record header as AD."""
    sealer = crypto.RecordSealer(_h(vector["key"]), _h(vector["iv"]), max_inner=1024)
    plaintext = _h(vector["plaintext"]) or b"\x00"
    record = bytes(sealer.seal(plaintext))
    header = record[:8]
    expected = AESGCM(_h(vector["key"])).encrypt(_h(vector["iv"]), plaintext, header)
    assert record[8:] == expected


# --- SHAKE256 (FIPS 202) and SHA-256 (FIPS 180) ------------------------------------------


@pytest.mark.parametrize("vector", load_external_kats("shake256"))
def test_shake256_gives_the_published_answer(vector: dict[str, Any]) -> None:
    output = _h(vector["output"])
    assert hashlib.shake_256(_h(vector["message"])).digest(len(output)) == output


@pytest.mark.parametrize(
    "vector",
    # The round hashes label ‖ pw ‖ u8(i) ‖ a 192-byte half: only messages that long fit.
    [p for p in load_external_kats("shake256") if len(p.values[0]["message"]) // 2 >= 193],
)
def test_feistel_round_gives_the_published_answer(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """F(i, h) = SHAKE256(label ‖ pw ‖ u8(i) ‖ h, 192) [EKE-FEI-1], label emptied: the
    message is split as pw ‖ u8(i) ‖ h and F starts with the published output."""
    message = _h(vector["message"])
    half_len = crypto.ELEMENT_LEN // 2
    pw, round_index = message[: -half_len - 1], message[-half_len - 1]
    half = int.from_bytes(message[-half_len:], "big")
    monkeypatch.setattr(crypto, "_FEISTEL_LABEL", b"")
    state = crypto._round_keys(pw)[round_index] if round_index < crypto.FEISTEL_ROUNDS else None
    if state is None:  # only 14 round states are kept: build the one for this byte
        state = hashlib.shake_256(pw + bytes((round_index,)))
    output = crypto._round(state, half).to_bytes(half_len, "big")
    assert output[: len(_h(vector["output"]))] == _h(vector["output"])


@pytest.mark.parametrize("vector", load_external_kats("sha256"))
def test_sha256_gives_the_published_answer(vector: dict[str, Any]) -> None:
    assert hashlib.sha256(_h(vector["message"])).digest() == _h(vector["digest"])


# --- the ffdhe3072 group (RFC 7919 Appendix A.2) and the exponent size ---------------------


def _floor_e_shifted(shift: int) -> int:
    """floor(2^shift · e) from e = Σ 1/k!, with 64 guard bits (exact for these sizes)."""
    guard = 64
    total, term, k = 0, 1 << (shift + guard), 0
    while term:  # term is divided by k each step: about 500 steps here
        total += term
        k += 1
        term //= k
    return total >> guard


@pytest.mark.parametrize("vector", load_external_kats("ffdhe3072"))
def test_group_is_rfc7919_ffdhe3072(vector: dict[str, Any]) -> None:
    bits = vector["bits"]
    p = (
        2**bits
        - 2 ** (bits - 64)
        + (_floor_e_shifted(vector["e_shift"]) + vector["offset"]) * 2**64
        - 1
    )
    assert p == int(vector["p"], 16)
    assert crypto.P == p and crypto.G == vector["g"] and crypto.Q == (p - 1) // 2
    assert crypto.ELEMENT_LEN * 8 == bits


def test_exponents_carry_at_least_320_random_bits() -> None:
    """EKE-X-1: every one of at least 320 bit positions takes both values over 48 fresh
    exponents (a fixed bit survives 48 draws with probability 2^-47), and the exponents
    stay in (1, q). A draw of 320 bits with the top one forced has only 319."""
    draws = [crypto.new_ephemeral().exponent for _ in range(48)]
    assert all(1 < x < crypto.Q for x in draws)
    ones = draws[0]
    zeros = ~draws[0]
    for x in draws[1:]:
        ones &= x
        zeros &= ~x
    width = max(x.bit_length() for x in draws)
    varying = sum(1 for i in range(width) if not (ones >> i) & 1 and not (zeros >> i) & 1)
    assert varying >= 320, f"only {varying} exponent bits vary"
    (group,) = load_external_kats("ffdhe3072")
    assert varying > group.values[0]["short_exponent_bits"]  # RFC 7919's 275-bit floor
