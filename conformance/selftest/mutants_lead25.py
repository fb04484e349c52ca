"""Round 25 (lead): a C2 whose plaintext is not 32 bytes (SPEC EKE-HS-4, clarified).

test_eke_client_login_values.py's C2 cases first FAILed only a client whose EKE3 `c`
was not 160 hex characters (C3 sealing Na and all of C2's plaintext). EKE-HS-4 now says
a C2 whose plaintext is not exactly 32 bytes is a failed verification: a client that
takes Ns from part of it — its first 32 bytes, as a fixed-size copy in C or Go does —
sends an EKE3 of the right length and passed. The case FAILs any EKE3 for such a C2:

- lead25-client-ns-first-32   the client takes C2's first 32 plaintext bytes as Ns (a
                              longer C2 accepted), refusing only a shorter one
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]


def _ns_first_32() -> None:
    handshake = _module("reference.eke.handshake")
    schema = dict(handshake._SCHEMAS[handshake.T_EKE2])
    schema["c"] = ("str", True)  # C2's length is left to the AEAD
    handshake._SCHEMAS[handshake.T_EKE2] = schema
    _patch_method(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            "        if len(ns) != crypto.NONCE_LEN:\n",
            "        ns = ns[: crypto.NONCE_LEN]  # a fixed-size copy\n"
            "        if len(ns) != crypto.NONCE_LEN:\n",
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead25-client-ns-first-32",
        group="lead25",
        profile="eke",
        requirement="EKE-HS-4",
        test_file="test_eke_client_login_values.py",
        description="the client takes the first 32 bytes of C2's plaintext as Ns: a C2 "
        "sealing 33, 48 or 64 bytes is answered with an EKE3 of the right length",
        apply=_ns_first_32,
        client=True,
    ),
)
