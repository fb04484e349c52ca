"""Guesses sent with every kind of bad CSR stay under the throttle (SPEC §4.4, CA-ENR-21).

CA-ENR-21 lets a CA answer a wrong password with a bad CSR either way (`401`, the
password verified first and the failure counted; or `400 bad_csr`, the CSR checked first
and the password never verified), but "a password the CA verifies and finds wrong MUST
count as a failure, whatever else is wrong with the request" — "any fault of CA-ENR-3 or
CA-ENR-13". test_ca_throttle.py sends CSRs whose signature does not verify; a CA whose
error path skips the count only for some faults (a `csr` that is no PEM at all, an empty
one, a PEM of another type, a key outside the profile) still hands out an unthrottled
password oracle. One unknown alias per fault, each guess from a fresh address.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-bad-csr-guesses"),
]

_MAX_SEQUENTIAL = 12  # as test_ca_throttle.py: a CA not at 429 by then is not throttling
_MAX_DECLARED = 60


def _bound(target: Target) -> int:
    declared = target.limits.ca_throttle_failures
    if declared is None:
        return _MAX_SEQUENTIAL
    if declared + 2 > _MAX_DECLARED:
        pytest.skip(f"the CA's declared throttle threshold {declared} is above {_MAX_DECLARED}")
    return max(_MAX_SEQUENTIAL, declared + 2)


def _good(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


# Faults of CA-ENR-3 / CA-ENR-13 in the `csr` field (a string each time: CA-ENR-9's
# bad_request for a non-string is another rule).
_FAULTS: dict[str, Callable[[str], str]] = {
    "not-pem": lambda alias: f"hello {alias}",
    "empty": lambda alias: "",
    "truncated-pem": lambda alias: _good(alias)[:120],
    "other-pem-type": lambda alias: _good(alias).replace("CERTIFICATE REQUEST", "CERTIFICATE"),
    "p-384-key": lambda alias: ca.csr_pem(ca.CsrKey.ec("P-384"), ca.name((ca.OID_CN, alias))),
    "two-requests": lambda alias: _good(alias) + _good(alias),
}


@pytest.mark.req("CA-ENR-21", "CA-ENR-7")
@pytest.mark.parametrize("fault", list(_FAULTS))
def test_guesses_with_any_bad_csr_are_counted(pki_target: Target, fault: str) -> None:
    """Wrong passwords for one unknown alias, each with the same faulty `csr`, each from a
    new address: `400 bad_csr` every time (nothing verified), or `401` until `429` (each
    verified wrong password counted). `401` again and again with no `429` is a password
    oracle the throttle never closes."""
    ca.ca_address(pki_target)
    alias = ca.ghost_alias()
    csr = _FAULTS[fault](alias)
    answers: list[str] = []
    unauthorised = 0
    for n in range(_bound(pki_target)):
        answer = ca.enrol(pki_target, alias, f"guess-{n}-{secrets.token_hex(3)}", csr)
        error = ca.json_body(answer, f"a wrong password with a bad CSR ({fault})").get("error")
        answers.append(f"{answer.status} {error}")
        if answer.status == 429:
            return
        unauthorised += answer.status == 401
    if unauthorised:
        raise ConformanceFailure.evidence(
            f"CA-ENR-21: {len(answers)} wrong passwords for the unknown alias {alias!r}, each "
            f"with a bad csr ({fault}: {csr[:40]!r}...), each from a new address",
            "400 bad_csr every time (the CSR checked first) or 401 until 429 (each verified "
            "wrong password counted, CA-ENR-7)",
            f"{unauthorised} answered 401 and none 429: {answers}",
            note="a verified wrong password must count whatever else is wrong with the request",
        )
