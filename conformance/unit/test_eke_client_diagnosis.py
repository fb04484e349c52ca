"""The diagnosis of an sft-eke/1 CLIENT (conformance/eke_diagnosis.py, used by
test_eke_client_keys.py): every deviation it offers differs from §5.3–§5.5, so an honest
client can never be "diagnosed" — it refuses each deviation's C2 and records."""

from __future__ import annotations

import secrets

import pytest

from conformance import eke
from conformance.eke_diagnosis import (
    client_record_variants,
    client_swapped_permutation,
    client_variants,
    diagnose_c3,
)

_USER = "alice"


def _session() -> tuple[bytes, bytes, int, eke.SessionKeys]:
    a, b = secrets.token_bytes(eke.ELEMENT_LEN), secrets.token_bytes(eke.ELEMENT_LEN)
    z_int = secrets.randbelow(eke.P - 3) + 2
    keys = eke.derive_keys(eke.element_to_bytes(z_int), eke.transcript_hash(_USER, a, b))
    return a, b, z_int, keys


def test_no_c2_deviation_verifies_for_an_honest_client() -> None:
    a, b, z_int, keys = _session()
    ns = secrets.token_bytes(eke.NONCE_LEN)
    variants = list(client_variants(_USER, a, b, z_int))
    assert len({v.finding for v in variants}) == len(variants)
    for variant in variants:
        honest = (keys.kcs, eke.N2, b"EKE2" + keys.th)
        if (variant.c2_key, variant.c2_nonce, variant.c2_ad) == honest and not variant.b:
            # The same bytes in this session (Z without leading zeros when it has none,
            # U's length in characters for an ASCII name): kept, so that index i means
            # one deviation in every run; an honest client refuses neither.
            assert variant.requirement in ("EKE-KS-1", "EKE-KS-2")
            continue
        c2 = variant.seal_c2(ns)
        with pytest.raises(eke.EkeError):
            eke.aead_open(keys.kcs, eke.N2, c2, b"EKE2" + keys.th)


def test_c2_deviations_are_as_many_in_every_session() -> None:
    """The client is run once per index: index i must mean the same deviation each run."""
    counts = {len(list(client_variants(_USER, *_session()[:3]))) for _ in range(4)}
    z_small = 5  # Z with leading zero bytes: its minimal encoding differs
    a, b, _z, _keys = _session()
    counts.add(len(list(client_variants(_USER, a, b, z_small))))
    assert len(counts) == 1


def test_the_swapped_permutation_sends_another_b() -> None:
    pw = secrets.token_bytes(32)
    exponent = eke.random_exponent()
    b = eke.feistel_encrypt(pw, eke.element_to_bytes(pow(eke.G, exponent, eke.P)))
    a = eke.feistel_decrypt(pw, eke.element_to_bytes(pow(eke.G, eke.random_exponent(), eke.P)))
    variant = client_swapped_permutation(pw, _USER, a, exponent, b)
    assert variant is not None
    assert variant.b not in (b"", b)
    assert eke.feistel_encrypt(pw, variant.b) == eke.feistel_decrypt(pw, b)


@pytest.mark.parametrize("seq", [0, 1, 2])
def test_no_record_deviation_opens_for_an_honest_client(seq: int) -> None:
    _a, _b, _z, keys = _session()
    inner = b"RSFL" + (2).to_bytes(4, "big") + b"{}"
    honest = eke.seal_record(keys.key_s2c, keys.iv_s2c, seq, inner)
    variants = client_record_variants(keys)
    for variant in variants:
        record = variant.seal(inner, seq)
        if seq == 0 and record == honest:
            # The IV alone and the IV XOR 0 are one nonce at #0: told apart from #1 on.
            assert variant.requirement == "EKE-REC-2"
            continue
        with pytest.raises(eke.EkeError):
            eke.open_record(keys.key_s2c, keys.iv_s2c, seq, record)


def test_c3_diagnosis_names_the_swapped_nonces_and_the_wrong_key() -> None:
    _a, _b, _z, keys = _session()
    na, ns = secrets.token_bytes(eke.NONCE_LEN), secrets.token_bytes(eke.NONCE_LEN)
    swapped = eke.aead_seal(keys.kcc, eke.N3, ns + na, b"EKE3" + keys.th)
    found = diagnose_c3(keys, swapped, ns)
    assert found is not None and found.requirement == "EKE-HS-5"
    under_kcs = eke.aead_seal(keys.kcs, eke.N3, na + ns, b"EKE3" + keys.th)
    found = diagnose_c3(keys, under_kcs, ns)
    assert found is not None and found.requirement == "EKE-KS-4"
    garbage = secrets.token_bytes(2 * eke.NONCE_LEN + eke.RECORD_TAG_LEN)
    assert diagnose_c3(keys, garbage, ns) is None
