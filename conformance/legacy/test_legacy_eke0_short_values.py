"""Profile eke-legacy: the server takes message 9 as the rest of one read, however many
digits it has (docs/SPEC.md §7.3.1, §7.3.3).

Message 9 is `hide(g^Xa mod p)`: ASCII(g^Xa mod p) XOR pw39, as many bytes as the value
has digits — "38–39 bytes" in the seed's group with the seed's Xa (39 digits), fewer for
a value that happens to be small. It has no length and no delimiter, so the server MUST
take it as the rest of one read (LEG-EKE-FMT-2). Every other server case sends the seed's
Xa (a 39-digit value, as many digits as p). A server can pass them and still read message
9 as a fixed count ("a value mod p has p's digits", "hide() is 39 bytes, like pw39"),
so that a shorter value stalls the session until its idle timeout. Here whole sessions
run in the seed's group with client exponents whose public values have 38, 37 and 36
digits; each message 9 sent in one write must be answered with `xorAck` and message 11,
and the session must reach message 24.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import Closed, TargetGone, TimedOut

pytestmark = pytest.mark.xdist_group("eke-legacy")

# How long the server has to answer each message (a server reading message 9 as a fixed
# count answers only at its idle timeout, or never).
ANSWER = 5.0
# The seed's Xs: the key a server with it derives must be 32 digits (§7.3.2).
SEED_XS = 5516


def _exponents() -> Iterator[tuple[int, int]]:
    """(exponent, digits of g^exponent mod p) for 38, 37 and 36 digits: the first
    exponents from 2 up (bounded) whose value has that many digits and whose key with the
    seed's Xs is 32 digits."""
    p, g = eke0.P, eke0.G
    wanted = {38, 37, 36}
    for exponent in range(2, 200_000):  # bounded; one value in 10 has 38 digits, 1 in 1000 36
        value = pow(g, exponent, p)
        digits = len(str(value))
        if digits in wanted and len(str(pow(value, SEED_XS, p))) >= 32:
            wanted.discard(digits)
            yield exponent, digits
            if not wanted:
                return


EXPONENTS = list(_exponents())


@pytest.fixture(scope="module")
def link(eke_legacy: LegacyEkeTarget) -> Iterator[eke0.EkeLink]:
    """This module's connection (a one-shot server spent by earlier modules is not
    judged, never an ERROR)."""
    shared = eke0.EkeLink(
        eke_legacy.host, eke_legacy.port, eke_legacy.password.encode(), timeout=ANSWER
    )
    try:
        with shared.idle():
            pass
    except TargetGone as exc:
        pytest.skip(f"not judged: the server refused a new connection after earlier ones: {exc}")
    yield shared
    shared.release()


@pytest.mark.req("LEG-EKE-FMT-2")
def test_a_short_message_9_is_taken_as_one_read(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    assert len(EXPONENTS) == 3, EXPONENTS
    for exponent, digits in EXPONENTS:
        with contextlib.ExitStack() as stack:
            try:
                client = stack.enter_context(link.session())
                answer = client.login(eke_legacy.user.encode())
                if answer != b"Authenticated":
                    pytest.skip(f"not judged: the account's login was answered {answer!r}")
                client.group()
            except (Closed, TimedOut, TargetGone, AssertionError) as exc:
                pytest.skip(f"not judged: the session stopped before message 9 ({exc!r})")
            client.exponent = exponent
            try:
                client.exchange()
                client.confirm()
                content = client.transfer()
            except (Closed, TimedOut) as exc:
                reached = max(client.got) if client.got else 0
                pytest.fail(
                    "LEG-EKE-FMT-2 (message 9 has no length: the server MUST take it as the "
                    "rest of one read) violated: message 9 = hide(g^Xa mod p) with Xa = "
                    f"{exponent}, a {digits}-digit value (p has {len(str(eke0.P))}), sent in "
                    f"one write of {len(client.sent.get(9, b''))} bytes; the server's last "
                    f"message was {reached} and then {type(exc).__name__} ({exc}) within "
                    f"{ANSWER:.0f} s",
                    pytrace=False,
                )
            except AssertionError as exc:
                pytest.skip(f"not judged: the session deviates after message 9 ({exc})")
        digest = hashlib.sha1(content, usedforsecurity=False).hexdigest().encode()
        if client.got[24] != digest:
            pytest.skip("not judged: message 24 is not the file's SHA-1 (its case reports it)")
