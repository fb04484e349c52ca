"""The CA's times judged on its own clock (SPEC §4.4, CA-ENR-8, CA-ENR-10).

test_ca.py and test_ca_csr.py compare the CA's times with the suite's clock, allowing two
minutes for a lab CA's clock. That slack hides what a CA does to its own time: a
thisUpdate or notBefore rounded UP to the minute (up to 60 s in the future), a notAfter
a few seconds or minutes past the period, a notBefore backdated by an hour and a
minute. Here each answer's `Date` header (RFC 9110 §6.6.1: an origin server with a clock
sends it on every 2xx and 4xx) is the CA's clock at the moment it answered, to the
second; a time is judged wrong only when it is wrong by BOTH clocks (the CA's `Date` and
the suite's own, one second of resolution each), so neither a skewed lab clock nor a
`Date` written by a proxy in front of the CA can make a correct CA fail.

Two samples, two seconds apart, each: a time rounded up to a coarser unit shows in at
least one of them. No Date header: skipped (the suite-clock checks of test_ca*.py stand).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-own-clock"),
]

_SECOND = dt.timedelta(seconds=1)  # the Date header's and the DER times' resolution
_BACKDATE = dt.timedelta(hours=1)  # CA-ENR-10: notBefore MAY be backdated by up to an hour
_SAMPLES = 2
_APART = 2.1  # seconds between the samples


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ca_clock(answer: ca.CaAnswer) -> dt.datetime:
    """The CA's clock when it answered (its Date header), or skip."""
    raw = answer.headers.get("date")
    if not raw:
        pytest.skip("the CA sends no Date header: its clock cannot be read (RFC 9110 §6.6.1)")
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        pytest.skip(f"the CA's Date header {raw!r} does not parse")
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when


@pytest.mark.req("CA-ENR-8")
def test_crl_this_update_is_not_ahead_of_the_cas_clock(pki_target: Target) -> None:
    """GET /v1/crl twice: thisUpdate no later than the answer's Date (+1 s) and the
    suite's clock when the answer came (+1 s)."""
    ca.ca_address(pki_target)
    seen: list[str] = []
    for sample in range(_SAMPLES):
        if sample:
            time.sleep(_APART)
        answer = ca.request(pki_target, "GET", "/v1/crl")
        arrived = _now()
        if answer.status != 200 or answer.body[:1] != b"\x30":
            pytest.skip(f"GET /v1/crl: {answer.describe()} (test_ca.py judges)")
        clock = _ca_clock(answer)
        crl = ca.read_crl(answer.body)
        seen.append(f"thisUpdate {crl.this_update:%H:%M:%S} at Date {clock:%H:%M:%S}")
        if crl.this_update > clock + _SECOND and crl.this_update > arrived + _SECOND:
            raise ConformanceFailure.evidence(
                "CA-ENR-8: GET /v1/crl",
                "a thisUpdate not in the future: at most the answer's own Date "
                f"({clock:%Y-%m-%d %H:%M:%S}) and the suite's clock "
                f"({arrived:%Y-%m-%d %H:%M:%S}), one second of resolution each",
                f"thisUpdate {crl.this_update:%Y-%m-%d %H:%M:%S}, "
                f"{(crl.this_update - clock).total_seconds():.0f} s ahead of the CA's own "
                f"clock. Samples: {seen}",
            )


@pytest.mark.req("CA-ENR-10")
def test_certificate_times_are_on_the_cas_clock(pki_target: Target) -> None:
    """Two enrolments of the enrolment account, two seconds apart: notBefore neither
    after the answer's Date nor backdated by over an hour before it, notAfter at most the
    configured period after it — each by the CA's Date and by the suite's clock."""
    account = ca.enrolee(pki_target)
    period = dt.timedelta(days=pki_target.limits.cert_validity_days)
    seen: list[str] = []
    for sample in range(_SAMPLES):
        if sample:
            time.sleep(_APART)
        key = ca.CsrKey.ec("P-256")
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        sent = _now()
        answer = ca.enrol(pki_target, account.user, account.password, csr)
        arrived = _now()
        obj = ca.json_body(answer, "enrolment")
        if answer.status != 200 or not isinstance(obj.get("certificate"), str):
            pytest.skip(f"the enrolment got {answer.describe()} (test_ca_csr.py judges)")
        clock = _ca_clock(answer)
        cert = ca.read_issued(obj["certificate"])
        seen.append(
            f"Date {clock:%H:%M:%S}: notBefore {cert.not_before:%m-%d %H:%M:%S}, "
            f"notAfter {cert.not_after:%m-%d %H:%M:%S}"
        )
        problems = []
        if cert.not_before > clock + _SECOND and cert.not_before > arrived + _SECOND:
            problems.append("notBefore is in the future")
        earliest = min(clock, sent) - _BACKDATE - _SECOND
        if cert.not_before < earliest:
            problems.append("notBefore is backdated by more than an hour")
        if (
            cert.not_after > clock + period + _SECOND
            and cert.not_after > arrived + period + _SECOND
        ):
            problems.append(
                f"notAfter is more than the configured {pki_target.limits.cert_validity_days:g}"
                " days after the moment of issue"
            )
        if problems:
            raise ConformanceFailure.evidence(
                f"CA-ENR-10: enrolment of {account.user!r} (sample {sample + 1})",
                "notBefore at most an hour before the moment of issue and never after it; "
                "notAfter at most the configured period after it (the moment of issue: the "
                "answer's Date and the suite's clock, one second of resolution each)",
                f"{'; '.join(problems)}. Samples: {seen}",
            )
