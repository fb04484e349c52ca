"""Properties of the EKE recipes: E_pw is a permutation, ±X decodes, no partition."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.eke import crypto
from reference.errors import AuthenticationFailed

blocks = st.binary(min_size=crypto.ELEMENT_LEN, max_size=crypto.ELEMENT_LEN)
keys = st.binary(min_size=32, max_size=32)


@pytest.mark.req("EKE-FEI-1", "EKE-FEI-2")
@settings(max_examples=60, deadline=None)
@given(pw=keys, block=blocks)
def test_feistel_decrypt_inverts_encrypt(pw: bytes, block: bytes) -> None:
    cipher = crypto.feistel_encrypt(pw, block)
    assert len(cipher) == crypto.ELEMENT_LEN
    assert crypto.feistel_decrypt(pw, cipher) == block
    assert crypto.feistel_encrypt(pw, crypto.feistel_decrypt(pw, block)) == block


@pytest.mark.req("EKE-FEI-1")
@settings(max_examples=30, deadline=None)
@given(pw=keys, other=keys, block=blocks)
def test_feistel_depends_on_the_key(pw: bytes, other: bytes, block: bytes) -> None:
    if pw != other:
        assert crypto.feistel_encrypt(pw, block) != crypto.feistel_encrypt(other, block)


def test_feistel_refuses_wrong_sizes() -> None:
    with pytest.raises(ValueError):
        crypto.feistel_encrypt(b"k" * 32, b"\0" * 383)
    with pytest.raises(ValueError):
        crypto.feistel_decrypt(b"k" * 32, b"\0" * 385)


def _passes_receiver_checks(encoded: bytes) -> bool:
    try:
        crypto.pm_decode(encoded)
    except AuthenticationFailed:
        return False
    return True


@pytest.mark.req("EKE-FEI-2", "EKE-X-3")
@settings(max_examples=40, deadline=None)
@given(pw=keys, wrong=keys, block=blocks)
def test_wrong_key_decryption_passes_the_range_check(pw: bytes, wrong: bytes, block: bytes) -> None:
    """Whatever the hidden string, a wrong key yields a value the receiver accepts (it
    fails with probability 2^-64, like a random string), so the check rules out nothing."""
    if pw == wrong:
        return
    guess = crypto.feistel_decrypt(wrong, crypto.feistel_encrypt(pw, block))
    assert guess != block
    assert _passes_receiver_checks(guess)


@pytest.mark.req("EKE-FEI-2", "EKE-X-2", "EKE-SEC-1")
def test_wrong_key_decryption_looks_like_a_random_string() -> None:
    """No partition attack: a wrong-key D_pw(A) passes the receiver's range check and
    is a residue about as often as a random 384-byte string does."""
    rng = random.Random(20261123)  # fixed seed: the test is deterministic
    n = 400
    right = bytes(rng.randrange(256) for _ in range(32))
    element = crypto._ephemeral_from_parts(exponent=(1 << 319) | rng.getrandbits(319)).element
    passed = residues = random_passed = random_residues = 0
    for _ in range(n):
        hidden = crypto._hide_element_from_parts(right, element, sign_bit=rng.getrandbits(1))
        wrong = bytes(rng.randrange(256) for _ in range(32))
        guess = crypto.feistel_decrypt(wrong, hidden)
        passed += _passes_receiver_checks(guess)
        residues += crypto.jacobi(int.from_bytes(guess, "big"), crypto.P) == 1
        random_string = rng.randbytes(crypto.ELEMENT_LEN)
        random_passed += _passes_receiver_checks(random_string)
        random_residues += crypto.jacobi(int.from_bytes(random_string, "big"), crypto.P) == 1
    # Both pass with probability 1 - 2^-64: every one of them, for either source.
    assert passed == random_passed == n
    # The residue rate is 1/2 for both (±X hides it): 400 draws stay within 0.4..0.6
    # except with probability < 1e-4.
    assert 0.4 * n < residues < 0.6 * n
    assert 0.4 * n < random_residues < 0.6 * n


@pytest.mark.req("EKE-X-2", "EKE-X-3")
@settings(max_examples=20, deadline=None)
@given(exponent=st.integers(min_value=2, max_value=2**320), sign=st.integers(0, 1))
def test_pm_round_trip(exponent: int, sign: int) -> None:
    element = crypto._ephemeral_from_parts(exponent=exponent).element
    encoded = crypto._pm_encode_from_parts(element, sign_bit=sign)
    assert crypto.pm_decode(encoded) == element


@settings(max_examples=200, deadline=None)
@given(a=st.integers(min_value=0, max_value=10**6))
def test_jacobi_matches_euler_for_small_primes(a: int) -> None:
    for p in (3, 7, 23, 10007, 1000003):
        euler = pow(a, (p - 1) // 2, p)
        assert crypto.jacobi(a, p) == (0 if a % p == 0 else 1 if euler == 1 else -1)


def test_jacobi_of_the_group() -> None:
    # p = 7 mod 8: 2 is a residue; p = 3 mod 4: -1 is not [EKE-GRP-1].
    assert crypto.jacobi(2, crypto.P) == 1
    assert crypto.jacobi(crypto.P - 1, crypto.P) == -1


@pytest.mark.req("EKE-X-3")
@pytest.mark.parametrize("value", [0, 1, crypto.P - 1, crypto.P, crypto.P + 1, 2**3072 - 1])
def test_pm_decode_rejects(value: int) -> None:
    with pytest.raises(AuthenticationFailed):
        crypto.pm_decode(value.to_bytes(crypto.ELEMENT_LEN, "big"))


@pytest.mark.req("EKE-KS-2")
def test_shared_secret_refuses_degenerate_values() -> None:
    eph = crypto.new_ephemeral()
    for bad in (0, 1, crypto.P - 1, crypto.P):
        with pytest.raises(AuthenticationFailed):
            crypto.shared_secret(eph, bad)


@pytest.mark.req("EKE-X-1")
def test_fresh_exponents_are_320_bits_and_differ() -> None:
    a, b = crypto.new_ephemeral(), crypto.new_ephemeral()
    # EXPONENT_BITS random bits below a fixed top bit (EKE-X-1).
    assert a.exponent.bit_length() == b.exponent.bit_length() == crypto.EXPONENT_BITS + 1
    assert a.exponent != b.exponent and a.element != b.element
    assert "secret" in repr(a) and str(a.exponent) not in repr(a)


def test_openssl_modexp_agrees_with_pow() -> None:
    rng = random.Random(7)
    for _ in range(5):
        base = rng.randrange(2, crypto.P - 1)
        exponent = rng.getrandbits(320) | (1 << 319)
        assert crypto._modexp(base, exponent) == pow(base, exponent, crypto.P)


def test_confirm_binds_step_and_transcript() -> None:
    key, th = b"k" * 32, b"t" * 32
    sealed = crypto.seal_confirm(key, 2, b"n" * 32, th)
    assert crypto.open_confirm(key, 2, sealed, th) == b"n" * 32
    for step, t in ((4, th), (2, b"u" * 32)):
        with pytest.raises(AuthenticationFailed):
            crypto.open_confirm(key, step, sealed, t)


@pytest.mark.req("EKE-PW-1")
@pytest.mark.parametrize("name", ["", "x" * 65, "a\nb", "tab\there", "del\x7f"])
def test_user_names_are_checked(name: str) -> None:
    with pytest.raises(ValueError):
        crypto.check_user_name(name)


def test_session_keys_do_not_print() -> None:
    keys = crypto.derive_keys(b"z" * 384, b"t" * 32)
    assert keys.kcs.hex() not in repr(keys)
