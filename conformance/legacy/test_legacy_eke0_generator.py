"""Profile eke-legacy: the server reads the client's g as the seed does (§7.3.2, §7.3.3).

The seed's server takes `p` and `g` from the client (LEG-EKE-3) with Python's int(): a
message 7 that is no decimal number raises, and the session ends without `gAck`.
test_legacy_eke0_parameters.py checks that for message 5 (p) only, and every other case
sends `2`. A server can pass them and still read message 7 its own way:
- "g is always 2": a message 7 that does not parse is taken as 2 (the default branch of
  the parse), `gAck`, and the session goes on;
- a lenient parse (C `strtoul`/`BN_dec2bn`, JavaScript `parseInt`, `Sscanf("%d")`): the
  leading digits of `2abc` or `2.0` are g.
Either answers `gAck` to a message the table does not have (LEG-EKE-FMT-3: the server
answers the messages of the table, byte for byte). Each probe logs in on a connection of
its own and leaves it (the session is not finished).
"""

from __future__ import annotations

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.test_legacy_eke0_parameters import _answer, _logged_in

pytestmark = pytest.mark.xdist_group("eke-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


@pytest.mark.req("LEG-EKE-FMT-3")
def test_a_g_that_is_no_decimal_number_is_not_acknowledged(
    eke_legacy: LegacyEkeTarget,
) -> None:
    """Message 5 the seed's p (answered `pAck`), then message 7 as `2abc`, `2.0`, `g`:
    no decimal integer (the seed's int() raises on each); the server MUST NOT answer
    `gAck`."""
    acknowledged = []
    for text in (b"2abc", b"2.0", b"g"):
        with _logged_in(eke_legacy) as client:
            client.stream.send(str(eke0.P).encode())
            client.at_rest = False
            if _answer(client, 4) != b"pAck":
                pytest.skip("not judged: the seed's p was not answered 'pAck' (the format "
                            "cases say why)")  # fmt: skip
            client.stream.send(text)
            got = _answer(client, 4)
        if got.startswith(b"gAck"):
            acknowledged.append(repr(text))
    if acknowledged:
        _fail(
            "LEG-EKE-FMT-3 (the server answers the messages of the table: message 7 is "
            "ASCII(g), read with the seed's int())",
            f"message 7 {' and '.join(acknowledged)} — no decimal number — was answered "
            "'gAck' after the seed's p: the server took a default or the leading digits as g "
            "and went on",
        )
