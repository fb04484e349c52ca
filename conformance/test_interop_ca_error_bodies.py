"""Every error answer of the CA is `{"error": code, "message": str}` (SPEC §4.4, CA-ENR-9).

The CA answers errors from many places: the router (404, 405), the body reader (411,
413, 400 bad_request), the CSR check (400 bad_csr), the password check (401), the throttle
(429). An implementation writes most of them through one helper and one or two by hand
(an independent CA's `429` carried `{"error", "retry_after"}` and no `message`): the
shape is checked on each answer the suite can provoke, the throttle's included, not on
the router's alone.
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle"),
]

_UNDECLARED_BOUND = 12
_MAX_DECLARED = 60
_JSON = {"Content-Type": "application/json"}


def _shape_problem(answer: ca.CaAnswer) -> str | None:
    """Why `answer` is not a CA-ENR-9 error object (None when it is one)."""
    if not 400 <= answer.status <= 599:
        return f"status {answer.status} is not 4xx/5xx"
    obj = ca.json_body(answer, f"the {answer.status} answer")
    missing = [m for m in ("error", "message") if not isinstance(obj.get(m), str)]
    if missing:
        return f"members {missing} missing or not strings in {obj!r}"
    return None


def _throttled(target: Target) -> ca.CaAnswer | None:
    """A ghost alias's wrong passwords from fresh addresses until the first 429."""
    declared = target.limits.ca_throttle_failures
    if declared is not None and declared + 2 > _MAX_DECLARED:
        return None
    bound = _UNDECLARED_BOUND if declared is None else max(_UNDECLARED_BOUND, declared + 2)
    ghost = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ghost)))
    for n in range(bound):
        answer = ca.enrol(target, ghost, f"guess-{n}-{secrets.token_hex(3)}", csr)
        if answer.status == 429:
            return answer
    return None


@pytest.mark.req("CA-ENR-9")
def test_every_error_answer_is_an_error_object(pki_target: Target) -> None:
    """404, 405, 400 bad_request (malformed JSON), 400 bad_csr, 401 and 429, each from a
    fresh address: each body a JSON object with string members `error` and `message`."""
    ca.ca_address(pki_target)
    ghost = ca.ghost_alias()
    good = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ghost)))
    bad = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ghost)), tamper="bit")
    fresh = ca.sources(pki_target).fresh
    answers: dict[str, ca.CaAnswer] = {
        "unknown path": ca.request(pki_target, "GET", "/v1/nothing-here", source=fresh()),
        "wrong method": ca.request(pki_target, "GET", "/v1/enroll", source=fresh()),
        "malformed JSON": ca.request(
            pki_target, "POST", "/v1/enroll", b'{"alias": ', source=fresh(), headers=_JSON
        ),
        "bad CSR": ca.enrol(pki_target, ghost, f"pw-{secrets.token_hex(4)}", bad),
        "wrong password": ca.enrol(pki_target, ghost, f"pw-{secrets.token_hex(4)}", good),
    }
    throttled = _throttled(pki_target)
    if throttled is not None:
        answers["throttled login"] = throttled
    problems = [
        f"{what}: {problem} ({answer.describe()})"
        for what, answer in answers.items()
        if (problem := _shape_problem(answer))
    ]
    if problems:
        raise ConformanceFailure.evidence(
            "CA-ENR-9: error answers of the CA ("
            + ", ".join(f"{w} {a.status}" for w, a in answers.items())
            + ")",
            'each a JSON object {"error": str, "message": str} with a 4xx/5xx status',
            "; ".join(problems),
            note="" if throttled is not None else "no 429 was provoked (no throttle seen)",
        )
