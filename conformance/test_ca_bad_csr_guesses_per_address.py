"""Guesses with bad CSRs count against the address too, and every fault kind counts
(docs/SPEC.md §4.4, CA-ENR-21, CA-ENR-7).

CA-ENR-21: "a password the CA verifies and finds wrong MUST count as a failure, whatever
else is wrong with the request" — and CA-ENR-7 counts failures "per alias and per client
address". test_ca_bad_csr_guesses.py sends one alias's guesses from a new address each:
it sees the alias's count, never the address's. A CA whose bad-CSR path counts the alias
only ("a broken client, not an attack from its address") lets one address guess one
password of each of many aliases, with bad CSRs, unthrottled. And its faults stop at
structure and curve: a CA whose error path skips the count for a CSR signed with SHA-1
(an old `openssl req`), for an RSA key under 2048 bits, or for a signature that does not
verify still hands out an oracle.

Per fault: (a) one address, a new unknown alias per guess; (b) one unknown alias, a new
address per guess. Each: `400` every time (the CSR checked first, nothing verified), or
`401` until `429`/`503` (each verified wrong password counted).
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
    pytest.mark.xdist_group("ca-bad-csr-guesses-per-address"),
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


def _subject(alias: str) -> bytes:
    return ca.name((ca.OID_CN, alias))


_FAULTS: dict[str, Callable[[str], str]] = {
    "sha1-signature": lambda a: ca.csr_pem(ca.CsrKey.ec("P-256"), _subject(a), hash_name="sha1"),
    "rsa-1024-key": lambda a: ca.csr_pem(ca.CsrKey.rsa(1024), _subject(a)),
    "signature-bit-flipped": lambda a: ca.csr_pem(
        ca.CsrKey.ec("P-256"), _subject(a), tamper="bit"
    ),
    "not-pem": lambda a: f"hello {a}",
}


def _judge(fault: str, how: str, answers: list[str], unauthorised: int) -> None:
    if unauthorised:
        raise ConformanceFailure.evidence(
            f"CA-ENR-21: {len(answers)} wrong passwords, each with a bad csr ({fault}), {how}",
            "400 every time (the CSR checked first) or 401 until 429/503 (each verified wrong "
            "password counted, per alias and per address, CA-ENR-7)",
            f"{unauthorised} answered 401 and none 429: {answers}",
            note="a verified wrong password counts whatever else is wrong with the request",
        )


def _guess(
    target: Target, alias: str, csr: str, source: str | None, fault: str
) -> tuple[int, str]:
    answer = ca.enrol(target, alias, f"guess-{secrets.token_hex(4)}", csr, source=source)
    error = ca.json_body(answer, f"a wrong password with a bad CSR ({fault})").get("error")
    return answer.status, f"{answer.status} {error}"


@pytest.mark.req("CA-ENR-21", "CA-ENR-7")
@pytest.mark.parametrize("fault", list(_FAULTS))
def test_bad_csr_guesses_from_one_address_are_counted(pki_target: Target, fault: str) -> None:
    ca.ca_address(pki_target)
    source = ca.sources(pki_target).fresh()
    answers: list[str] = []
    unauthorised = 0
    for _ in range(_bound(pki_target)):
        alias = ca.ghost_alias()
        status, text = _guess(pki_target, alias, _FAULTS[fault](alias), source, fault)
        answers.append(text)
        if status in (429, 503):
            return
        unauthorised += status == 401
    _judge(fault, f"from one address {source}, each for a new unknown alias", answers,
           unauthorised)


@pytest.mark.req("CA-ENR-21", "CA-ENR-7")
@pytest.mark.parametrize("fault", ["sha1-signature", "rsa-1024-key"])
def test_bad_csr_guesses_for_one_alias_are_counted(pki_target: Target, fault: str) -> None:
    ca.ca_address(pki_target)
    alias = ca.ghost_alias()
    csr = _FAULTS[fault](alias)
    answers: list[str] = []
    unauthorised = 0
    for _ in range(_bound(pki_target)):
        status, text = _guess(pki_target, alias, csr, ca.sources(pki_target).fresh(), fault)
        answers.append(text)
        if status in (429, 503):
            return
        unauthorised += status == 401
    _judge(fault, f"for the unknown alias {alias!r}, each from a new address", answers,
           unauthorised)
