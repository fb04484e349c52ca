"""Serials vary in at least 64 bit positions (docs/SPEC.md §4.4: CA-ENR-10).

CA-ENR-10: "Certificates MUST have a random serial of at least 64 bits." A serial may
hold constant parts (a pinned top bit, a fixed prefix) beside its random bits, so the
suite cannot ask for any one bit to vary; but 64 random bits vary, and a serial that is
mostly structure does not. A time-based UUID (`uuid.uuid1().int`, Java's
`UUID.timestamp` kind, a MongoDB ObjectId) is 128 bits, positive and unique, and holds
next to no randomness: its node id and clock sequence are fixed for the process, the
upper part of its timestamp is fixed for minutes, and only the low 20-some bits of the
timestamp change between two enrolments a second apart. Its varying bits sit at the TOP
of the integer (uuid1 puts time_low first), so checks on the low bits of a serial do not
see it.

The case enrols the enrolment account 8 times (fresh key and CSR each time) and counts
the bit positions in which the 8 serials do not all agree. For 64 independent random
bits a given position agrees in all 8 with probability 2^-7, so fewer than 56 varying
positions out of 64 random ones happens with probability about 3 x 10^-9; a clock,
counter or uuid1 serial varies in 30 positions or fewer (a clock beside 32 random bits:
about 50).
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-serial-varying-bits"),
]

_SAMPLE = 8
_VARYING_AT_LEAST = 56


@pytest.mark.req("CA-ENR-10")
def test_serials_vary_in_at_least_64_bit_positions(pki_target: Target) -> None:
    account = ca.enrolee(pki_target)
    serials: list[int] = []
    for _ in range(_SAMPLE):
        key = ca.CsrKey.ec("P-256")
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        answer = ca.enrol(pki_target, account.user, account.password, csr)
        obj = ca.json_body(answer, "enrolment")
        if answer.status != 200 or not isinstance(obj.get("certificate"), str):
            pytest.skip(
                f"enrolment {len(serials) + 1} of {account.user!r} with the right password "
                f"did not succeed ({answer.describe()}): test_ca_csr.py judges that"
            )
        serials.append(ca.read_issued(obj["certificate"]).serial)
    varying = 0
    for serial in serials[1:]:
        varying |= serial ^ serials[0]
    count = bin(varying).count("1")
    if count >= _VARYING_AT_LEAST:
        return
    shown = ", ".join(f"{s:#x}" for s in serials)
    raise ConformanceFailure.evidence(
        f"CA-ENR-10: {_SAMPLE} enrolments of {account.user!r} in a row, each with a fresh "
        "key: the bit positions in which their serials do not all agree",
        f"at least {_VARYING_AT_LEAST} (64 random bits vary in all but about half a "
        f"position on average over {_SAMPLE} serials)",
        f"{count} varying positions (mask {varying:#x}); serials: {shown}",
        note="a structured serial (a time-based UUID, a clock, a counter behind a fixed "
        "prefix): unique, long, but not random",
    )
