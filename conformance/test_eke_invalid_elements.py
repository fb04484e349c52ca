"""sft-eke/1: an invalid X' must leave the server with no key the client can compute
(docs/SPEC.md EKE-X-3, EKE-KS-2, EKE-HS-8).

EKE-X-3: the server MUST reject X' of 0, 1, p − 1 or ≥ p, and report it as a wrong
password would (auth_failed at EKE3). What an implementation does with the rejected
value decides whether that holds. The reference keeps the same work (it exponentiates
g instead) and dooms the handshake; an implementation that substitutes a stand-in
element ("g, for the same cost") but forgets to doom the handshake ends with Z = g^y = Y
— the server's own public value, which a client that knows the password recovers from B.
The same holds for a stand-in of 1 (Z = 1), p − 1, a small power of Y, or the undecoded
value. Here the suite, knowing the victim's password, sends each invalid X' under the
RIGHT key, recovers Y from EKE2, and checks that C2 verifies under none of the keys it can
derive without the server's secret exponent: Z in {0, 1, p − 1, ±Y^k (k = 1..4), Y'}. A
C2 that verifies under one of them is not itself a fault (a stand-in element is allowed if
the handshake is doomed): the suite then sends the VALID EKE3 for those keys, and the
server MUST refuse it (auth_failed), never complete the handshake with EKE4.

Fixtures (conformance/plugin.py): `eke_target`, `eke_victim`, `eke_sources`.
"""

from __future__ import annotations

import pytest

from conformance import eke
from conformance.eke_support import SourceAddresses, Victim, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ReceivedFrame, expect_on

pytestmark = pytest.mark.xdist_group("eke-victim")

_INVALID = {
    "zero": 0,
    "one": 1,
    "p-1": eke.P - 1,
    "p": eke.P,
    "p+1": eke.P + 1,
    "2^3072-1": (1 << 3072) - 1,
}


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _computable_secrets(y_prime: int) -> dict[str, int]:
    """Every Z a client can compute from the server's hidden element alone."""
    y = eke.pm_decode(y_prime)
    found = {"0": 0, "1": 1, "p-1": eke.P - 1, "Y'": y_prime}
    for k in range(1, 5):
        power = pow(y, k, eke.P)
        found[f"Y^{k}"] = power
        found[f"p-Y^{k}"] = eke.P - power
    return found


@pytest.mark.req("EKE-X-3", "EKE-KS-2", "EKE-HS-8")
@pytest.mark.parametrize("case", list(_INVALID))
def test_invalid_x_prime_leaves_no_computable_key(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, case: str
) -> None:
    """EKE1 with A = E_pw(X') for an invalid X', under the victim's real key: EKE2 must
    come (the rejection shows only at EKE3); an EKE3 sealed under the first Z the client
    can compute from B (0, 1, p − 1, ±Y^k, Y') under which C2 verifies — else under Z = Y —
    must be answered auth_failed, never EKE4."""
    value = _INVALID[case]
    timeout = _timeout(eke_target)
    pw = eke_victim.pw
    a = eke.feistel_encrypt(pw, eke.element_to_bytes(value))
    hs = start_handshake(
        eke_target, eke_victim.user, pw, timeout=timeout, source=eke_sources.fresh(), a_override=a
    )
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.type == b"EROR":
            pytest.skip(
                f"EKE1 with X' = {case} was answered {event.describe(60)} (judged by "
                "test_eke_handshake.py: an invalid X' shows only at EKE3)"
            )
        if hs.eke2 is None:
            raise ConformanceFailure(f"EKE-X-3: no EKE2 after X' = {case}: {event.describe()}")
        b = bytes.fromhex(str(hs.eke2.get("b", "")))
        c2 = bytes.fromhex(str(hs.eke2.get("c", "")))
        y_prime = int.from_bytes(eke.feistel_decrypt(pw, b), "big")
        if y_prime in (0, 1, eke.P - 1) or y_prime >= eke.P:
            raise ConformanceFailure(
                f"EKE-HS-2: the server's Y' (decrypted with the victim's key) is {y_prime:#x}"
            )
        th = eke.transcript_hash(eke_victim.user, a, b)
        candidates = _computable_secrets(y_prime)
        # C2 may verify under a computable Z (a stand-in element, the same work): that is
        # allowed as long as the handshake is doomed. The EKE3 below is then a VALID one
        # for those keys; the server MUST still refuse it.
        label, keys, ns = (
            "Y^1",
            eke.derive_keys(eke.element_to_bytes(candidates["Y^1"]), th),
            bytes(32),
        )
        for name, z in candidates.items():
            trial = eke.derive_keys(eke.element_to_bytes(z), th)
            try:
                ns = eke.aead_open(trial.kcs, eke.N2, c2, b"EKE2" + th)
            except eke.EkeError:
                continue
            label, keys = name, trial
            break
        eke3 = eke.aead_seal(keys.kcc, eke.N3, bytes(32) + ns, b"EKE3" + th)
        hs.send_eke3({"c": eke3.hex()})
        outcome = expect_on(hs.raw, [ExpectError("auth_failed", then_close=True)], timeout)
        if outcome.frame is not None and outcome.frame.type == b"EKE4":
            raise ConformanceFailure.evidence(
                f"EKE-X-3: EKE1 with X' = {case} under the account's real key, then an EKE3 "
                f"sealed under Z = {label} (C2 verified under it)",
                "EROR auth_failed: the invalid X' was rejected, the handshake cannot complete",
                f"{outcome.frame.describe(60)}: the server completed a handshake whose key the "
                "client computed without a valid element",
            )
        outcome.check(f"EKE-X-3: EKE3 sealed under Z = {label} after X' = {case}")
    finally:
        hs.close()
