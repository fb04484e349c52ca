"""Profile eke-legacy: the client picks the group the server keys the session in (§7.3).

LEG-EKE-3 has two halves: the seed's group is 128 bits, and the server takes `p` and `g`
from the client (messages 5 and 7, "any p >= 3"): message 11 is `hide(g^Xs mod p)` and
`K = ASCII(g^(Xa·Xs) mod p)[0:32]` of THOSE `p` and `g` (§7.3.2-7.3.3).
test_legacy_eke0.py's case shows the first half (message 11's size); this one shows the
second, by the one message that shows the server's key: message 13, whose decryption
under `K` is text (Ns is 32 ASCII characters, §7.3.2; message 18 shows no key, it is the
first block of message 15 back whatever the key). A faithful server FAILs it (an expected
failure); a server that acknowledges the client's `p` and `g` and then computes in a
group of its own ("p and g are always the seed's"), or refuses them, passes it: it
deviates from the seed there (an unexpected pass, LEG-EKE-3 still FAILs for its size).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import Closed, TargetGone, TimedOut, hexdump

pytestmark = pytest.mark.xdist_group("eke-legacy")

# Groups the client may pick, each keyed with >= 32 digits under the seed's exponents
# (4597, 5516: 38-39 digits) and under all but ~1e-7 of random ones: the protocol's p
# (a safe prime) with g = 5; a safe prime of 128 bits with g = 2 (the one of LEG-EKE-3's
# case).
GROUPS = {
    "the protocol's p, g = 5": (eke0.P, 5),
    "p = 2^127+10419, g = 2": (2**127 + 10419, eke0.G),
}


@pytest.fixture(scope="module")
def link(eke_legacy: LegacyEkeTarget) -> Iterator[eke0.EkeLink]:
    """This module's connection, shared by its cases as test_legacy_eke0.py's are. A
    one-shot server (the seed's shape) has spent its only connection on that module's
    cases: it refuses this one, and the case is not judged (never a harness ERROR, never
    evidence); under a restart loop, or a server that serves one connection after
    another, it is."""
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


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _is_text(data: bytes) -> bool:
    return data.isascii() and data.decode().isprintable()


@pytest.mark.req("LEG-EKE-3", "EKE-GRP-1")
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_the_session_is_keyed_in_the_group_the_client_sent(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget, group: str
) -> None:
    p, g = GROUPS[group]
    with link.session() as client:
        answer = client.login(eke_legacy.user.encode())
        if answer != b"Authenticated":
            # The format cases of test_legacy_eke0.py say how the login deviates.
            pytest.skip(f"not judged: the account's login was answered {answer!r}")
        client.p, client.g = p, g
        try:
            client.group()
        except (Closed, TimedOut) as exc:
            # The client could not pick this group: the flaw's second half is absent.
            client.got.setdefault(6, f"{exc!r}".encode())
            client.got.setdefault(8, b"")
        if (client.got[6], client.got[8]) != (b"pAck", b"gAck"):
            return  # refused: this server does not take the client's group (a PASS)
        try:
            client.exchange()
        except (Closed, TimedOut) as exc:
            pytest.skip(f"not judged: after 'pAck', 'gAck' for {group}, message 9 got {exc!r}")
        except AssertionError:
            return  # message 11 gives no 32-digit key in the client's group: not keyed in it
        ns = eke0.aes_cbc_zero_iv_decrypt(client.key, client.got[13])
        # The session is finished (the file) to leave the shared connection at rest.
        with contextlib.suppress(Closed, TimedOut, AssertionError):
            client.confirm()
            client.transfer()
    if _is_text(ns):
        _fail(
            "LEG-EKE-3 / EKE-GRP-1 (the group MUST be ffdhe3072, not one the client picks)",
            f"the client sent {group} (messages 5 and 7); the server answered 'pAck', 'gAck' "
            f"and keyed the session in that group: message 13 ({hexdump(client.got[13], 32)}) "
            f"decrypts under K = ASCII(g^(Xa*Xs) mod p)[0:32] of the client's p and g to "
            f"{ns!r}, its Ns",
        )
