"""Guesses sent with every kind of bad CSR stay under the throttle (SPEC §4.4, CA-ENR-21).

CA-ENR-21 lets a CA answer a wrong password with a bad CSR either way (`401`, the
password verified first and the failure counted; or `400 bad_csr`, the CSR checked first
and the password never verified), but "a password the CA verifies and finds wrong MUST
count as a failure, whatever else is wrong with the request" — "any fault of CA-ENR-3 or
CA-ENR-13". test_ca_throttle.py sends CSRs whose signature does not verify; a CA whose
error path skips the count only for some faults (a `csr` that is no PEM at all, an empty
one, a PEM of another type, a key outside the profile) still hands out an unthrottled
password oracle. One unknown alias per fault, each guess from a fresh address. The
same holds for a `csr` that is not a string at all (missing, null, a number, a list, an
object): a CA may refuse such a request before any password (`400`), but one that
verifies the password first must count it.
"""

from __future__ import annotations

import json
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


# Requests whose `csr` is not a string at all. CA-ENR-21's "whatever else is wrong with
# the request": a CA that checks the member's type only after the password (and counts
# only complete requests) answers such a guess 401 and never 429.
_NOT_A_STRING: dict[str, object] = {
    "missing": ...,
    "null": None,
    "number": 12345,
    "list-of-lines": ["-----BEGIN CERTIFICATE REQUEST-----", "-----END CERTIFICATE REQUEST-----"],
    "object": {"pem": "-----BEGIN CERTIFICATE REQUEST-----"},
}


@pytest.mark.req("CA-ENR-21", "CA-ENR-7")
@pytest.mark.parametrize("form", list(_NOT_A_STRING))
def test_guesses_without_a_csr_string_are_counted(pki_target: Target, form: str) -> None:
    """Wrong passwords for one unknown alias whose `csr` is missing, null, a number, a
    list or an object, each from a new address: `400` every time (the request refused
    before any password is verified), or `401` until `429` (each verified wrong password
    counted). `401` again and again with no `429` is a password oracle the throttle
    never closes: the CA verified each password and counted none."""
    ca.ca_address(pki_target)
    alias = ca.ghost_alias()
    answers: list[str] = []
    unauthorised = 0
    for n in range(_bound(pki_target)):
        request: dict[str, object] = {"alias": alias, "password": f"guess-{n}"}
        if _NOT_A_STRING[form] is not ...:
            request["csr"] = _NOT_A_STRING[form]
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            json.dumps(request).encode(),
            source=ca.sources(pki_target).fresh(),
            headers={"Content-Type": "application/json"},
        )
        error = ca.json_body(answer, f"a wrong password with a csr that is {form}").get("error")
        answers.append(f"{answer.status} {error}")
        if answer.status == 429:
            return
        unauthorised += answer.status == 401
    if unauthorised:
        raise ConformanceFailure.evidence(
            f"CA-ENR-21: {len(answers)} wrong passwords for the unknown alias {alias!r}, each "
            f"with a csr that is {form} (not a string), each from a new address",
            "400 every time (the request refused before the password is verified) or 401 "
            "until 429 (each verified wrong password counted, CA-ENR-7)",
            f"{unauthorised} answered 401 and none 429: {answers}",
            note="a verified wrong password must count whatever else is wrong with the request",
        )
