"""Inputs that make naive parsers work exponentially leave the CA serving (docs/SPEC.md
§6 LIM-5, §4.4 CA-ENR-9).

LIM-5: "The CA's HTTPS listener is held to the same: connections held silent ... or
misbehaving MUST NOT keep it from answering others." A CA that checks an enrolment's
members with a regular expression of nested quantifiers — the alias's form checked
before the password (CA-ENR-6 allows a `400` for an alias no account can have) with
`[a-z0-9](?:[a-z0-9]*[._-]?)*`, the csr's PEM block located with
`BEGIN\\s*((?:[A-Za-z0-9+/=]+\\s*)+)END` — backtracks exponentially on a long run of
allowed characters followed by one that does not fit. In a runtime where the matcher
holds a global lock (CPython's `re` holds the GIL for the whole match) the whole CA
then stops: no other client gets an answer, for minutes or for ever.

Each case sends one such request — the alias "a" x 63 + "!" (64 characters, within an
alias's length) or "a" x 60000 + "!", with a wrong password, from a fresh address; the
enrolment account's right password with a csr whose BEGIN line is followed by a run of
base64 (64 characters, or 900 lines of 64) and no END line — and waits up to 10 s for
its answer. An answer must be a JSON error object (CA-ENR-9: a `4xx`; the exact code is
the CA's). A CA still working on it after 10 s may be (it is not judged for that; nor is
a close without an answer, test_ca.py's matter): then another connection's
`GET /v1/root` must be answered within 10 s (LIM-5). The
conforming CAs answer each request in milliseconds.
"""

from __future__ import annotations

import http.client
import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-bounded-work"),
]

_WAIT = 10.0  # seconds for the pathological request's answer, then for another's

_BEGIN = "-----BEGIN CERTIFICATE REQUEST-----\n"
_RUN = "A" * 64

# variant -> (alias or None for the enrolment account's, csr text or None for a valid one)
_ALIASES = {
    "alias-64-characters": "a" * 63 + "!",
    "alias-60001-characters": "a" * 60000 + "!",
}
_CSRS = {
    "csr-one-run-no-end": _BEGIN + _RUN + "\n!",
    "csr-900-lines-no-end": _BEGIN + (_RUN + "\n") * 900 + "!",
}


def _is_error_object(answer: ca.CaAnswer) -> bool:
    if not 400 <= answer.status <= 599:
        return False
    try:
        obj = json.loads(answer.body)
    except ValueError:
        return False
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("error"), str)
        and isinstance(obj.get("message"), str)
    )


def _judge(target: Target, what: str, body: bytes) -> None:
    pool = ca.sources(target)
    try:
        answer = ca.request(
            target,
            "POST",
            "/v1/enroll",
            body,
            source=pool.fresh(),
            headers={"Content-Type": "application/json"},
            timeout=_WAIT,
        )
    except (OSError, http.client.HTTPException):
        # No answer in time (or a close: test_ca.py judges unanswered requests).
        answer = None
    if answer is not None:
        if _is_error_object(answer) and answer.status < 500:
            return
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: POST /v1/enroll with {what}",
            "a 4xx answer whose body is a JSON error object {error, message} (the "
            "request is no valid enrolment)",
            answer.describe(),
        )
    # Still unanswered after _WAIT: the CA may take its time on it, but not stop.
    try:
        other = ca.request(target, "GET", "/v1/root", source=pool.fresh(), timeout=_WAIT)
    except (OSError, http.client.HTTPException) as exc:
        raise ConformanceFailure.evidence(
            f"LIM-5: POST /v1/enroll with {what} was still unanswered after {_WAIT:g} s; "
            "then GET /v1/root on another connection, from another address",
            f"the root within {_WAIT:g} s: one request's work must not stop the listener",
            f"{type(exc).__name__}: {exc} — the CA answers nobody while it works on that "
            "request",
            note="a backtracking regular expression (nested quantifiers) on a member, run "
            "under a global lock",
        ) from None
    if other.status != 200:
        raise ConformanceFailure.evidence(
            f"LIM-5: GET /v1/root while POST /v1/enroll with {what} is unanswered",
            "HTTP 200 and the root",
            other.describe(),
        )


@pytest.mark.req("LIM-5", "CA-ENR-9")
@pytest.mark.parametrize("variant", list(_ALIASES))
def test_an_alias_that_defeats_a_backtracking_check_leaves_the_ca_serving(
    pki_target: Target, variant: str
) -> None:
    alias = _ALIASES[variant]
    csr = ca.csr_pem(ca.CsrKey.ec(), ca.name((ca.OID_CN, "bounded")))
    body = ca.enrol_body(alias, f"wrong-{secrets.token_hex(6)}", csr)
    _judge(pki_target, f"the alias 'a' x {len(alias) - 1} + '!' and a wrong password", body)


@pytest.mark.req("LIM-5", "CA-ENR-9")
@pytest.mark.parametrize("variant", list(_CSRS))
def test_a_csr_that_defeats_a_backtracking_pem_reader_leaves_the_ca_serving(
    pki_target: Target, variant: str
) -> None:
    account = ca.enrolee(pki_target)
    body = ca.enrol_body(account.user, account.password, _CSRS[variant])
    _judge(
        pki_target,
        f"the enrolment account's right password and a csr of {len(_CSRS[variant])} "
        "characters: a BEGIN CERTIFICATE REQUEST line, base64, no END line",
        body,
    )
