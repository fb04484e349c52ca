"""An EKE1 whose user name is not a valid user name (docs/SPEC.md EKE-PW-5, EKE-PW-1).

The spec lets a server answer such a name either way — `bad_frame`, or as an unknown user
(EKE-HS-3) — because validity depends on the bytes alone. What it forbids is matching it
to an account: a server that strips control characters, drops a DEL or a C1 control, or
truncates a name to 64 bytes before looking it up answers the ACCOUNT's key to a name
that is not the account's, which is an alias an attacker can exploit to spend the
account's guesses under other names (and around per-name throttling). Each variant is
built from an account's name and hidden under that account's key, so a matching server
answers with a C2 that verifies under it.

A refusal must be the one the spec names: `bad_frame` (fatal), or what an unknown user may
get (`throttled`, `busy`). Another code — `forbidden`, `auth_failed` before any EKE2,
`unexpected_frame` — is neither of the two conforming answers.

Fixtures (conformance/plugin.py): `eke_target`, `eke_sources` (fresh source addresses).
"""

from __future__ import annotations

import pytest

from conformance import eke
from conformance.eke_channel import password_key_cached
from conformance.eke_support import SourceAddresses, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")


def _variants(user: str) -> dict[str, str]:
    pad = max(0, 65 - len(user.encode("utf-8")))
    return {
        "control-suffix": user + "\x01",
        "control-prefix": "\x1f" + user,
        "del-suffix": user + "\x7f",
        "c1-suffix": user + "\x85",
        "lf-suffix": user + "\n",
        "over-64-bytes": user + "\x00" * pad if pad else user + "\x00",
    }


_KINDS = [
    "control-suffix",
    "control-prefix",
    "del-suffix",
    "c1-suffix",
    "lf-suffix",
    "over-64-bytes",
]
# What an invalid name may be refused with: bad_frame (EKE-PW-5), or what an unknown user
# may get before EKE2 (EKE-THR-1 throttled, EKE-THR-7 busy).
_REFUSALS = frozenset({"bad_frame", "throttled", "busy"})


@pytest.mark.req("EKE-PW-5", "EKE-PW-4")
@pytest.mark.parametrize("kind", _KINDS)
def test_an_invalid_user_name_is_never_an_account(
    eke_target: Target, eke_sources: SourceAddresses, kind: str
) -> None:
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    account = eke_target.accounts[0]
    variant = _variants(account.user)[kind]
    pw = password_key_cached(account.password, account.user)
    timeout = max(3.0, min(10.0, eke_target.limits.idle_timeout * 2))
    hs = start_handshake(eke_target, variant, pw, timeout=timeout, source=eke_sources.fresh())
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            # Not matched; but refused only as the spec allows.
            if isinstance(event, ReceivedFrame) and event.error_name not in _REFUSALS:
                raise ConformanceFailure.evidence(
                    f"EKE-PW-5: EKE1 for the invalid user name {variant!r} ({kind})",
                    "EROR bad_frame (fatal), or EKE2 as for an unknown user (or throttled, busy)",
                    f"{event.describe()}: neither conforming answer",
                )
            return
        try:
            b = bytes.fromhex(str(hs.eke2["b"]))
            c2 = bytes.fromhex(str(hs.eke2["c"]))
            y = eke.pm_decode(int.from_bytes(eke.feistel_decrypt(pw, b), "big"))
            z = eke.shared_secret(y, hs.client.exponent)
        except (KeyError, ValueError, eke.EkeError):
            return  # not an answer under the account's key
        for named in (variant, account.user):
            keys = eke.derive_keys(z, eke.transcript_hash(named, hs.client.a, b))
            try:
                eke.aead_open(keys.kcs, eke.N2, c2, b"EKE2" + keys.th)
            except eke.EkeError:
                continue
            raise ConformanceFailure.evidence(
                f"EKE-PW-5: EKE1 for the invalid user name {variant!r} ({kind}, built from "
                f"the account {account.user!r})",
                "bad_frame, or an answer as for an unknown user (a C2 no account's key opens)",
                f"C2 verifies under {account.user!r}'s password key (transcript with "
                f"{named!r}): the server matched an invalid name to the account",
            )
    finally:
        hs.close()
