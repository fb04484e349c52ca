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

import secrets
import unicodedata

import pytest

from conformance import eke
from conformance.eke_channel import password_key_cached
from conformance.eke_support import PartialHandshake, SourceAddresses, start_handshake
from conformance.plugin import inconclusive
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


def _valid_aliases(user: str) -> dict[str, str]:
    """VALID names that only a server folding, trimming or normalising a copy of the name
    before its lookup would take for `user` (EKE-PW-4); those equal to `user` are left out."""
    candidates = {
        "nfd": unicodedata.normalize("NFD", user),
        "nfc": unicodedata.normalize("NFC", user),
        "nfkd": unicodedata.normalize("NFKD", user),
        "upper": user.upper(),
        "casefold": user.casefold(),
        "trailing-space": user + " ",
        "leading-space": " " + user,
    }
    return {
        kind: name
        for kind, name in candidates.items()
        if name != user and 1 <= len(name.encode("utf-8")) <= 64
    }


def _c2_opens_under(hs: PartialHandshake, pw: bytes, names: tuple[str, ...]) -> str | None:
    """The name whose transcript makes the server's C2 open under `pw`, if any."""
    assert hs.eke2 is not None
    try:
        b = bytes.fromhex(str(hs.eke2["b"]))
        c2 = bytes.fromhex(str(hs.eke2["c"]))
        y = eke.pm_decode(int.from_bytes(eke.feistel_decrypt(pw, b), "big"))
        z = eke.shared_secret(y, hs.client.exponent)
    except (KeyError, ValueError, eke.EkeError):
        return None
    for named in names:
        keys = eke.derive_keys(z, eke.transcript_hash(named, hs.client.a, b))
        try:
            eke.aead_open(keys.kcs, eke.N2, c2, b"EKE2" + keys.th)
        except eke.EkeError:
            continue
        return named
    return None


@pytest.mark.req("EKE-PW-4", "EKE-HS-3")
def test_a_valid_look_alike_of_an_account_is_another_user(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """Another spelling of an account's name — its NFD or NFC form (an account with an
    accented name is the case a normalising lookup gets wrong), upper case, case-folded, a
    space before or after — is a valid name of ANOTHER user (EKE-PW-4: byte for byte).
    Each is sent with the account's own key: a server that looks up a folded, trimmed or
    normalised copy answers with a C2 that opens under the account's key."""
    tried: list[str] = []
    judged = 0
    timeout = max(3.0, min(10.0, eke_target.limits.idle_timeout * 2))
    for account in eke_target.accounts:
        pw = password_key_cached(account.password, account.user)
        for kind, alias in sorted(_valid_aliases(account.user).items()):
            tried.append(f"{kind} of {account.user!r}")
            hs = start_handshake(eke_target, alias, pw, timeout=timeout, source=eke_sources.fresh())
            try:
                event = hs.receive_eke2(timeout)
                if hs.eke2 is None:
                    if isinstance(event, ReceivedFrame) and event.error_name in (
                        "throttled",
                        "busy",
                    ):
                        continue
                    refused = ConformanceFailure.evidence(
                        f"EKE-HS-3: EKE1 for the valid name {alias!r} ({kind} of the account "
                        f"{account.user!r})",
                        "EKE2, as for any unknown user (or throttled, busy)",
                        event.describe(),
                    )
                    refused.violates = ("EKE-HS-3",)
                    raise refused
                judged += 1
                named = _c2_opens_under(hs, pw, (alias, account.user))
                if named is not None:
                    failure = ConformanceFailure.evidence(
                        f"EKE-PW-4: EKE1 for {alias!r} ({kind} of the account "
                        f"{account.user!r}, {alias.encode('utf-8').hex()} vs "
                        f"{account.user.encode('utf-8').hex()})",
                        "an answer as for an unknown user: a C2 that no account's key opens",
                        f"C2 opens under {account.user!r}'s password key (transcript with "
                        f"{named!r}): the server matched another name to the account",
                    )
                    failure.violates = ("EKE-PW-4",)
                    raise failure
            finally:
                hs.close()
    if not tried:
        pytest.skip("no account whose name has another spelling (target file accounts)")
    if not judged:
        inconclusive(f"every look-alike was refused throttled/busy: {', '.join(tried)}")


def _edge_name(char: str) -> str:
    """A valid user name of exactly 64 UTF-8 bytes built from `char`, unknown to any server."""
    width = len(char.encode("utf-8"))
    prefix = f"g{secrets.token_hex(3)}-"  # 8 ASCII bytes
    room = 64 - len(prefix)
    return prefix + char * (room // width) + "x" * (room % width)


@pytest.mark.req("EKE-HS-3", "EKE-PW-1")
def test_valid_names_at_the_64_byte_edge_are_answered_like_any_user(
    eke_target: Target, eke_sources: SourceAddresses
) -> None:
    """User names of exactly 64 UTF-8 bytes built from 1-, 2-, 3- and 4-byte characters,
    and names with characters JSON escapes (`"`, `\\`, `/`), are valid (EKE-PW-1): the
    server MUST answer them EKE2, as any user (EKE-HS-3). A limit measured on a copy —
    characters, UTF-16 units, the JSON-escaped text, the NFC/NFD form — refuses some of
    them (`bad_frame`) and so tells an unknown name from a known one."""
    names = {
        **{
            f"64-bytes-of-{len(c.encode())}-byte-chars": _edge_name(c)
            for c in ("a", "\u00e9", "\u20ac", "\U0001f600")
        },
        "json-escaped": _edge_name('"')[:-20] + '\\/"' * 5 + "xxxxx",
        "decomposable": _edge_name("e\u0301"),
    }
    timeout = max(3.0, min(10.0, eke_target.limits.idle_timeout * 2))
    wrong: list[str] = []
    for kind, name in sorted(names.items()):
        assert len(name.encode("utf-8")) <= 64, kind
        hs = start_handshake(
            eke_target, name, bytes(32), timeout=timeout, source=eke_sources.fresh()
        )
        try:
            event = hs.receive_eke2(timeout)
        finally:
            hs.close()
        if hs.eke2 is None and not (
            isinstance(event, ReceivedFrame) and event.error_name in ("throttled", "busy")
        ):
            size = len(name.encode("utf-8"))
            wrong.append(f"{kind} ({size} bytes, {len(name)} characters): {event.describe()}")
    if wrong:
        raise ConformanceFailure.evidence(
            "EKE-HS-3: EKE1 for valid user names at the 64-byte limit (unknown users)",
            "EKE2 for each (or throttled / busy)",
            "\n".join(wrong),
        )
