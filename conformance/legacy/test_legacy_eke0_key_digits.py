"""Profile eke-legacy: K is the first 32 digits of ASCII(Kas), whatever Kas's length
(docs/SPEC.md §7.3.2, LEG-EKE-FMT-4).

`K = ASCII(g^(Xa·Xs) mod p)[0:32]`, `ASCII(n)` without leading zeros (§7). With the seed's
fixed exponents Kas has 39 digits, the width of p, and every vector and seed session
keys with such a Kas. A server that writes Kas at a fixed width (`%039d`, "the size of
p", or zero-filled to the width of its buffer) passes all of them, yet keys every
session whose Kas has 38 digits (about half of all Kas values below p) with a leading
`0` and the wrong 31 digits after it: message 13 is then not `E(Ns)` under K.

Asked here: the suite's client picks its exponent so that Kas has fewer than 39 digits
(from the server's public value of the previous session: with the seed's fixed Xs the
next session has that Kas for sure; a server that draws Xs per session is retried, up
to SESSIONS sessions, until one has). In such a session message 13, decrypted under K =
ASCII(Kas)[0:32] (AES-CBC, zero IV), MUST be Ns: 32 ASCII characters (§7.3.2: Ns is
ASCII text, fresh or the seed's constant). Message 18 cannot show the key (under the zero
IV it is message 15's first block back, whatever the key), so message 13 is the check.
Each session runs to message 24, on one connection, as the other eke/0 server cases do.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import Closed, TargetGone, TimedOut

pytestmark = pytest.mark.xdist_group("eke-legacy")

SESSIONS = 8  # bounded; a fixed-Xs server needs 2, a fresh-Xs one ~2 on average
DIGITS = len(str(eke0.P))  # 39


@pytest.fixture(scope="module")
def link(eke_legacy: LegacyEkeTarget) -> Iterator[eke0.EkeLink]:
    """This module's connection, shared by its sessions as test_legacy_eke0.py's are (a
    one-shot server spent by an earlier module refuses it: not judged, never evidence)."""
    shared = eke0.EkeLink(eke_legacy.host, eke_legacy.port, eke_legacy.password.encode())
    try:
        with shared.idle():
            pass
    except TargetGone as exc:
        pytest.skip(
            f"not judged: the server refused a new connection after serving earlier ones "
            f"(a one-shot server, spent by test_legacy_eke0.py's cases): {exc}"
        )
    yield shared
    shared.release()


def _short_exponent(server_public: int) -> int:
    """An exponent (not the seed's) for which server_public^x mod p has fewer than 39
    digits and at least 32 (a valid key); the seed's own when none is found (bounded)."""
    for x in range(1001, 1001 + 400):  # ~half of all x qualify: the first few do
        if 32 <= len(str(pow(server_public, x, eke0.P))) < DIGITS:
            return x
    return eke0.CLIENT_EXPONENT  # pragma: no cover - a degenerate public value


def _is_ns(plain: bytes) -> bool:
    return len(plain) == 32 and all(0x20 <= b < 0x7F for b in plain)


@pytest.mark.req("LEG-EKE-FMT-4")
def test_a_key_from_a_38_digit_kas_is_its_first_32_digits(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    user = eke_legacy.user.encode()
    exponent = eke0.CLIENT_EXPONENT
    judged: list[str] = []
    wrong: list[str] = []
    for _ in range(SESSIONS):
        try:
            with link.session() as client:
                client.exponent = exponent
                try:
                    if client.login(user) != b"Authenticated":
                        pytest.skip(f"not judged: the account's login got {client.got[4]!r}")
                    client.group()
                    client.exchange()
                except (Closed, TimedOut, AssertionError) as exc:
                    pytest.skip(f"not judged: the handshake broke before message 13 ({exc!r})")
                server_public = eke0.reveal(client.got[11], client.password)
                if server_public is None:
                    pytest.skip("not judged: message 11 is not a hidden number (FMT-3's cases)")
                kas = pow(server_public, client.exponent, eke0.P)
                plain = eke0.aes_cbc_zero_iv_decrypt(client.key, client.got[13])
                try:
                    client.confirm()
                    client.transfer()
                except (Closed, TimedOut, AssertionError):
                    client.at_rest = False  # judged on message 13; the link starts anew
        except TargetGone as exc:
            pytest.skip(f"not judged: the server refused a new connection ({exc})")
        exponent = _short_exponent(server_public)
        if len(str(kas)) >= DIGITS:
            continue
        judged.append(f"Kas of {len(str(kas))} digits")
        if not _is_ns(plain):
            wrong.append(
                f"Xa = {client.exponent}, Kas = {kas} ({len(str(kas))} digits), K = "
                f"{client.key.decode()!r}: message 13 decrypts to {plain[:32]!r}, not 32 "
                "ASCII characters"
            )
        if len(judged) >= 2:
            break
    if not judged:
        pytest.skip(
            f"not judged: no session of {SESSIONS} had a Kas of fewer than {DIGITS} digits"
        )
    assert not wrong, (
        "LEG-EKE-FMT-4 (K = ASCII(Kas)[0:32], ASCII without leading zeros; message 13 is "
        "E(Ns) under K) violated for a Kas shorter than p: " + "; ".join(wrong)
    )
