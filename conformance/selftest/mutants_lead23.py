"""Round 23 (lead): what a server does instead of EKE4, after its C2 proved the password.

Round 22 made a wrong EKE4 judgeable (conformance/eke_diagnosis.py's diagnose_c4) and an
honest EKE3 refused with `auth_failed`. A server that answers the honest EKE3 with
anything else was still "target down or misconfigured": every login failed, no
requirement was named. A C2 that verified proves the password and the keys, so the
suite's EKE3 is right and EKE-HS-6 says the server MUST answer EKE4; `diagnose_refused_c3`
now judges every other answer except `EROR timeout` (LIM-1 may have run out) and silence
(a slow machine looks the same):

- lead23-eke-c3-ok-closes-silently  the success path fails inside (a store write that
                                    raises OSError) and the server closes with nothing
- lead23-eke-c3-ok-internal         the success path raises an internal error (a check
                                    placed after the verification refuses every login)
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "lead23"
_SEAL_C4 = "c4 = crypto.seal_confirm(self._keys.kcs, 4, plain[: crypto.NONCE_LEN], self._th)"


def _c3_ok_closes_silently() -> None:
    _patch_source(
        _module("reference.eke.handshake").ServerHandshake,
        "_on_eke3",
        (_SEAL_C4, 'raise OSError("cannot record the login")  # closes with nothing\n'
         "    " + _SEAL_C4),
    )


def _c3_ok_internal() -> None:
    _patch_source(
        _module("reference.eke.handshake").ServerHandshake,
        "_on_eke3",
        (
            _SEAL_C4,
            'raise LocalProtocolError(ErrorCode.INTERNAL, "session table full")\n'
            "    " + _SEAL_C4,
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead23-eke-c3-ok-closes-silently",
        group=_GROUP,
        profile="eke",
        requirement="EKE-HS-6",
        test_file="test_eke_handshake.py",
        description="after a verified EKE3 the server's success path raises (a store write)"
        " and it closes with no EKE4 and no EROR: every login fails after a C2 that proved"
        " the password",
        apply=_c3_ok_closes_silently,
    ),
    Mutant(
        name="lead23-eke-c3-ok-internal",
        group=_GROUP,
        profile="eke",
        requirement="EKE-HS-6",
        test_file="test_eke_handshake.py",
        description="after a verified EKE3 the server's success path raises an internal error"
        " (a session table 'full'): no EKE4 for any login",
        apply=_c3_ok_internal,
    ),
)
