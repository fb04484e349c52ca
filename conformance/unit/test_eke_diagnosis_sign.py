"""The diagnosis of a server that never folds the sign of X' back (EKE-X-3).

Such a server takes X' = p − X as X and computes Z' = (p − X)^y = (−1)^y·X^y: for an odd
y its C2 opens under p − Z only. Found on an independent implementation
(conformance/selftest/independent/eke1.py, fault `hs-sign-ignored`): without this
diagnosis half of its honest handshakes look like a target that is down.
"""

from __future__ import annotations

import secrets

from conformance import eke
from conformance.eke_diagnosis import diagnose_c2


def _unfolding_server_eke2(
    client: eke.ClientHandshake, message: dict[str, object]
) -> dict[str, object]:
    a = bytes.fromhex(str(message["a"]))
    x_prime = int.from_bytes(eke.feistel_decrypt(client.pw, a), "big")
    y = eke.random_exponent() | 1  # odd: (p − X)^y = p − X^y
    b = eke.feistel_encrypt(client.pw, eke.element_to_bytes(pow(eke.G, y, eke.P)))
    th = eke.transcript_hash(client.user, a, b)
    keys = eke.derive_keys(eke.element_to_bytes(pow(x_prime, y, eke.P)), th)
    c2 = eke.aead_seal(keys.kcs, eke.N2, secrets.token_bytes(32), b"EKE2" + th)
    return {"b": b.hex(), "c": c2.hex()}


def test_c2_of_a_server_that_does_not_fold_the_sign_is_diagnosed() -> None:
    client = eke.ClientHandshake(user="alice", pw=secrets.token_bytes(32), sign_bit=1)
    message = client.eke1()
    diagnosis = diagnose_c2(client, _unfolding_server_eke2(client, message))
    assert diagnosis is not None and diagnosis.requirement == "EKE-X-3", diagnosis


def test_honest_c2_with_the_wrong_key_is_not_blamed_on_the_sign() -> None:
    client = eke.ClientHandshake(user="alice", pw=secrets.token_bytes(32), sign_bit=0)
    message = client.eke1()
    # X' = X (sign 0): the unfolding server then computes the right Z; a C2 under
    # another key must not be diagnosed as a sign error.
    eke2 = _unfolding_server_eke2(client, message)
    eke2["c"] = secrets.token_bytes(48).hex()
    diagnosis = diagnose_c2(client, eke2)
    assert diagnosis is None or diagnosis.requirement != "EKE-X-3", diagnosis
