"""Profile eke-legacy: the server reads the client's p as the seed does (§7.3.2, §7.3.3).

The seed's server takes `p` and `g` from the client (LEG-EKE-3) with Python's int(), and
hides its public value as `xor(ASCII(v), pw39)`: the password padded to 39 bytes, the XOR
over the shorter of the two. test_legacy_eke0.py and test_legacy_eke0_group.py send the
seed's p (39 digits) or a smaller one. A server can pass them and still:
- read message 5 leniently: a C `BN_dec2bn`/`strtoull`, a `Sscanf("%d")`, a JavaScript
  `parseInt` take the leading digits of `…983abc` or `23.0` and answer `pAck`, where the
  seed's int() raises and the session ends (it never acknowledges a p that is no
  decimal number: LEG-EKE-FMT-3 answers the messages of the table, byte for byte);
- pad the password to the width of the CLIENT's p ("39 because p has 39 digits"): the
  same bytes for the seed's p and any smaller one, but for a p of more than 39 digits
  message 11 grows past 39 bytes, where pw39 is 39 bytes and the XOR stops there
  (§7.3.2: `pw39` padded to 39, `xor` over the first min(len) bytes; LEG-EKE-FMT-3).

Each probe logs in on a connection of its own and leaves it (the session is not
finished): a one-shot server spent by earlier cases is not judged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import Closed, TargetGone, TimedOut, hexdump

pytestmark = pytest.mark.xdist_group("eke-legacy")

# How long the server may take to answer a message: far longer than any answer needs
# on loopback; a server silent that long has not answered (a bound, not a synchronisation).
PATIENCE = 3.0


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


@contextlib.contextmanager
def _logged_in(target: LegacyEkeTarget) -> Iterator[eke0.EkeClient]:
    """A fresh connection past 'Authenticated' (closed afterwards); not judged when the
    server refuses the connection or the login (the format cases report how)."""
    link = eke0.EkeLink(target.host, target.port, target.password.encode())
    try:
        with link.session() as client:
            try:
                answer = client.login(target.user.encode())
            except (Closed, TimedOut) as exc:
                pytest.skip(f"not judged: the login got {exc!r}")
            if answer != b"Authenticated":
                pytest.skip(f"not judged: the account's login was answered {answer!r}")
            yield client
    except TargetGone as exc:
        pytest.skip(f"not judged: the server refused a new connection ({exc})")
    finally:
        link.release()


def _answer(client: eke0.EkeClient, size: int) -> bytes:
    """Up to `size` bytes the server sends within PATIENCE (b"" if it closes or is silent)."""
    got = b""
    with contextlib.suppress(Closed, TimedOut):
        while len(got) < size:
            got += client.stream.read_segment(timeout=PATIENCE)
    return got


@pytest.mark.req("LEG-EKE-FMT-3")
def test_a_p_that_is_no_decimal_number_is_not_acknowledged(
    eke_legacy: LegacyEkeTarget,
) -> None:
    """Message 5 as the seed's p followed by `abc`, then as `23.0`: no decimal integer
    (the seed's int() raises on both); the server MUST NOT answer `pAck`."""
    acknowledged = []
    for text in (str(eke0.P).encode() + b"abc", b"23.0"):
        with _logged_in(eke_legacy) as client:
            client.stream.send(text)
            client.at_rest = False
            got = _answer(client, 4)
        if got.startswith(b"pAck"):
            acknowledged.append(repr(text))
    if acknowledged:
        _fail(
            "LEG-EKE-FMT-3 (the server answers the messages of the table: message 5 is "
            "ASCII(p), read with the seed's int())",
            f"message 5 {' and '.join(acknowledged)} — no decimal number — was answered "
            "'pAck': the server read the leading digits and went on",
        )


@pytest.mark.req("LEG-EKE-FMT-3")
def test_message_11_stops_at_the_39_byte_pad(eke_legacy: LegacyEkeTarget) -> None:
    """p = 10^44 + 7 (45 digits; the seed takes any p >= 3), g = 2, message 9 hidden with
    pw39: message 11 is xor(ASCII(g^Xs mod p), pw39), at most 39 bytes (the password's
    length if it is longer), whatever the number of digits of the server's value."""
    password = eke_legacy.password.encode()
    limit = max(39, len(password))
    p = 10**44 + 7
    with _logged_in(eke_legacy) as client:
        client.p, client.g = p, eke0.G
        try:
            client.group()
        except (Closed, TimedOut):
            pytest.skip("not judged: the server does not take a 45-digit p")
        if (client.got[6], client.got[8]) != (b"pAck", b"gAck"):
            pytest.skip(f"not judged: p and g answered {client.got[6]!r}, {client.got[8]!r}")
        client.stream.send(eke0.hide(pow(eke0.G, 2**64 + 12345, p), password))
        client.at_rest = False
        got = _answer(client, 6 + limit + 16)
    if not got.startswith(b"xorAck"):
        pytest.skip(f"not judged: message 9 was answered {got[:24]!r} (the format cases say why)")
    message_11 = got[6:]
    if len(message_11) > limit:
        _fail(
            "LEG-EKE-FMT-3 (message 11 is hide(g^Xs mod p) = ASCII(v) XOR pw39, the XOR "
            "over the first min(len) bytes; pw39 is the password padded to 39 bytes)",
            f"with p = 10^44 + 7 (45 digits) the server's message 11 is {len(message_11)} "
            f"bytes ({hexdump(message_11, 48)}), past the {limit} bytes of pw39: the password "
            "was padded to another width (the client's p's)",
        )
