"""The toolkit's own crypto (conformance/eke.py, pycryptodome) against PUBLISHED answers.

conformance/vectors/eke_*.json are made by this project, so a misunderstanding shared by
the toolkit and the reference would pass them. external-kats.json holds vectors copied
from the standards (each with its `source`): RFC 7914 scrypt, RFC 5869 HKDF-SHA256, the
GCM specification's AES-256 cases (one wrong tag, one wrong AAD), FIPS 202 SHAKE256,
FIPS 180 SHA-256 and the RFC 7919 ffdhe3072 prime [VEC-3]. Where conformance/eke.py wraps
a primitive (its scrypt parameters, its HKDF key schedule with the labels, its AEAD
wrapper, its Feistel round function), the published vector is routed THROUGH the wrapper,
so that a swapped argument or a wrong default fails here. The reference has its own copy
of these checks in reference/eke/tests/test_external_kats.py; the two share only the JSON.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from Crypto.Hash import SHA256, SHAKE256
from Crypto.Protocol.KDF import scrypt

from conformance import eke
from conformance.vectors import VECTOR_DIR

KAT_FILE = VECTOR_DIR / "external-kats.json"
PRIMITIVES = ("scrypt", "hkdf-sha256", "aes-256-gcm", "shake256", "sha256", "ffdhe3072")


def load_external_kats(primitive: str | None = None, *, valid: bool | None = None) -> list[Any]:
    """The one loader: the vectors of external-kats.json, by primitive and validity,
    as pytest params named by their ids."""
    document = json.loads(Path(KAT_FILE).read_text(encoding="utf-8"))
    vectors: list[dict[str, Any]] = document["vectors"]
    chosen = [
        v
        for v in vectors
        if (primitive is None or v["primitive"] == primitive)
        and (valid is None or v["valid"] is valid)
    ]
    return [pytest.param(v, id=v["id"]) for v in chosen]


def _h(value: str) -> bytes:
    return bytes.fromhex(value)


def test_every_vector_cites_a_published_source() -> None:
    vectors = [p.values[0] for p in load_external_kats()]
    ids = [v["id"] for v in vectors]
    assert len(ids) == len(set(ids)), "vector ids must be unique"
    for vector in vectors:
        source = str(vector.get("source", ""))
        assert any(s in source for s in ("RFC ", "FIPS ", "NIST", "GCM")), vector["id"]
        assert vector["primitive"] in PRIMITIVES, vector["id"]
    # Each primitive has a vector, and AES-GCM has a must-fail one.
    assert {v["primitive"] for v in vectors} == set(PRIMITIVES)
    assert any(not v["valid"] for v in vectors if v["primitive"] == "aes-256-gcm")


# ---------------------------------------------------------------- scrypt (RFC 7914 §12)


@pytest.mark.parametrize("vector", load_external_kats("scrypt"))
def test_scrypt_primitive_gives_the_published_answer(vector: dict[str, Any]) -> None:
    # The very function object password_key calls, with its calling convention.
    assert vars(eke)["scrypt"] is scrypt
    dk = scrypt(
        _h(vector["password"]),
        _h(vector["salt"]),
        len(_h(vector["dk"])),
        N=vector["n"],
        r=vector["r"],
        p=vector["p"],
    )
    assert dk == _h(vector["dk"])


@pytest.mark.parametrize("vector", load_external_kats("scrypt"))
def test_password_key_recipe_gives_the_published_answer(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """password_key with the vector's cost parameters: only the salt (fixed by EKE-PW-1
    from the user name) is swapped for the vector's, after checking it is the spec's.
    A recipe that passes N and r in each other's place, or hashes the user name as the
    password, gives another answer."""
    user = "alice"
    expected_salt = b"sft-eke/1" + struct.pack(">H", len(user)) + user.encode()
    real_scrypt: Callable[..., Any] = scrypt
    seen: list[bytes] = []

    def scrypt_with_vector_salt(password: bytes, salt: bytes, *args: Any, **kwargs: Any) -> Any:
        seen.append(salt)
        return real_scrypt(password, _h(vector["salt"]), *args, **kwargs)

    monkeypatch.setattr(eke, "scrypt", scrypt_with_vector_salt)
    monkeypatch.setattr(eke, "_SCRYPT_N", vector["n"])
    monkeypatch.setattr(eke, "_SCRYPT_R", vector["r"])
    monkeypatch.setattr(eke, "_SCRYPT_P", vector["p"])
    pw = eke.password_key(_h(vector["password"]), user)
    assert seen == [expected_salt]
    # scrypt's output is PBKDF2's: a 32-byte key is the prefix of the 64-byte answer.
    assert len(pw) == 32
    assert pw == _h(vector["dk"])[:32]


def test_password_key_uses_the_spec_cost_parameters() -> None:
    """EKE-PW-1's N = 2^15, r = 8, p = 1, 32 bytes, computed here by the primitive just
    anchored above."""
    user, password = "bob", "correct horse"
    salt = b"sft-eke/1" + struct.pack(">H", len(user)) + user.encode()
    expected = scrypt(password.encode(), salt, 32, N=2**15, r=8, p=1)
    assert eke.password_key(password, user) == expected


# ---------------------------------------------------------------- HKDF-SHA256 (RFC 5869)


@pytest.mark.parametrize("vector", load_external_kats("hkdf-sha256"))
def test_hkdf_extract_and_expand_give_the_published_answer(vector: dict[str, Any]) -> None:
    prk = eke.hkdf_extract(_h(vector["salt"]), _h(vector["ikm"]))
    assert prk == _h(vector["prk"])
    assert eke.hkdf_expand(prk, _h(vector["info"]), vector["length"]) == _h(vector["okm"])


@pytest.mark.parametrize("vector", load_external_kats("hkdf-sha256"))
def test_key_schedule_recipe_gives_the_published_answer(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """derive_keys(Z, th) is HKDF with salt = th and IKM = Z (EKE-KS-3): with the vector's
    info and length in place of every label, each derived key is the published OKM. A
    schedule that swaps salt and IKM, or drops a label, fails."""
    infos = {name: (_h(vector["info"]), vector["length"]) for name in eke._KEY_INFOS}
    monkeypatch.setattr(eke, "_KEY_INFOS", infos)
    keys = eke.derive_keys(z=_h(vector["ikm"]), th=_h(vector["salt"]))
    assert keys.prk == _h(vector["prk"])
    for name in infos:
        assert getattr(keys, name) == _h(vector["okm"]), name


# ---------------------------------------------------------------- AES-256-GCM


@pytest.mark.parametrize("vector", load_external_kats("aes-256-gcm", valid=True))
def test_aead_seal_and_open_give_the_published_answer(vector: dict[str, Any]) -> None:
    key, iv, aad = _h(vector["key"]), _h(vector["iv"]), _h(vector["aad"])
    sealed = _h(vector["ciphertext"]) + _h(vector["tag"])
    assert len(key) == 32 and len(_h(vector["tag"])) == eke.RECORD_TAG_LEN
    assert eke.aead_seal(key, iv, _h(vector["plaintext"]), aad) == sealed
    assert eke.aead_open(key, iv, sealed, aad) == _h(vector["plaintext"])


@pytest.mark.parametrize("vector", load_external_kats("aes-256-gcm", valid=False))
def test_aead_open_refuses_the_published_forgery(vector: dict[str, Any]) -> None:
    sealed = _h(vector["ciphertext"]) + _h(vector["tag"])
    with pytest.raises(eke.EkeError) as caught:
        eke.aead_open(_h(vector["key"]), _h(vector["iv"]), sealed, _h(vector["aad"]))
    assert caught.value.name == vector["error"]


# ---------------------------------------------------------------- SHAKE256 and SHA-256


@pytest.mark.parametrize("vector", load_external_kats("shake256"))
def test_shake256_gives_the_published_answer(vector: dict[str, Any]) -> None:
    output = _h(vector["output"])
    assert vars(eke)["SHAKE256"] is SHAKE256
    assert SHAKE256.new(_h(vector["message"])).read(len(output)) == output


@pytest.mark.parametrize(
    "vector",
    # F always hashes at least the round byte: the empty message cannot go through it.
    [p for p in load_external_kats("shake256") if p.values[0]["message"]],
)
def test_feistel_round_function_gives_the_published_answer(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """F(i, h) = SHAKE256(label ‖ pw ‖ u8(i) ‖ h, 192 bytes) (EKE-FEI-1): with an empty
    label, the vector's message is split into pw ‖ u8(i) ‖ h (h = the 192-byte half when
    the message is long enough), and F's output starts with the published output."""
    message = _h(vector["message"])
    split = max(len(message) - 1 - eke.ELEMENT_LEN // 2, 0)
    pw, round_index, half = message[:split], message[split], message[split + 1 :]
    monkeypatch.setattr(eke, "_FEISTEL_LABEL", b"")
    output = eke._round_function(pw, round_index, half)
    assert len(output) == eke.ELEMENT_LEN // 2
    assert output[: len(_h(vector["output"]))] == _h(vector["output"])


@pytest.mark.parametrize("vector", load_external_kats("sha256"))
def test_sha256_gives_the_published_answer(vector: dict[str, Any]) -> None:
    assert vars(eke)["SHA256"] is SHA256
    assert SHA256.new(_h(vector["message"])).digest() == _h(vector["digest"])


# ---------------------------------------------------------------- ffdhe3072 (RFC 7919)


def _floor_e_times_power_of_two(shift: int) -> int:
    """floor(2^shift * e) from the series e = Σ 1/k!, in integers with 64 guard bits."""
    guard = 64
    term, total, k = 1 << (shift + guard), 0, 0
    while term:  # terminates: term shrinks by a factor k each step
        total += term
        k += 1
        term //= k
    return total >> guard


@pytest.mark.parametrize("vector", load_external_kats("ffdhe3072"))
def test_group_is_rfc7919_ffdhe3072(vector: dict[str, Any]) -> None:
    bits = vector["bits"]
    formula = (
        2**bits
        - 2 ** (bits - 64)
        + (_floor_e_times_power_of_two(vector["e_shift"]) + vector["offset"]) * 2**64
        - 1
    )
    assert formula == int(vector["p"], 16), "the vector's p does not follow RFC 7919's formula"
    assert eke.P == formula
    assert eke.G == vector["g"]
    assert eke.Q == (eke.P - 1) // 2
    assert eke.ELEMENT_LEN * 8 == bits
    # EKE-X-1: at least 320 bits, above RFC 7919's 275-bit short-exponent floor.
    assert eke.EXPONENT_BITS >= 320 > vector["short_exponent_bits"]
