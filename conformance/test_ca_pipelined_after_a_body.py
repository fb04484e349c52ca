"""The body ends where Content-Length says, even when more bytes came with it (SPEC §4.4,
CA-ENR-9, CA-ENR-2).

CA-ENR-9: "The body is all the `Content-Length` bytes after the head", and what follows
it is a next request (RFC 9112 §6.3, §9.3.2: an HTTP/1.1 client may send its next request
before the answer to the previous one). A CA that reads "what has arrived" until it holds
at least Content-Length bytes and parses all of it (read1/recv in a loop, a whole TLS
record taken as the body) works for every client that sends one request and waits, and
fails the first time a next request travels in the same TLS record as a body: the login
is parsed with the next request's bytes after its JSON (400, or worse, the trailing bytes
ignored and the next request lost), and the client waits for an answer that never
comes.

Each case sends, in one TLS write, a login and a GET right after its body's last byte:
- the enrolee's right password and a valid CSR, then GET /v1/root: the login is answered
  `200` with a certificate, as on its own (CA-ENR-2);
- an unknown alias's login, then GET /v1/crl: `401 auth_failed`, as on its own
  (CA-ENR-6's answer; one failure from a fresh address, below any throttle).
Then the GET is answered, or the connection closed after the first answer (a CA may keep
no connection alive); never kept open with the GET lost.
"""

from __future__ import annotations

import json

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_request_pieces import _csr, _head
from conformance.test_interop_ca_pipelined_gets import _exchange, _get
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-pipelined-after-a-body"),
]

# login kind: (requirement, the status the login gets on its own, the GET behind it,
# the status the GET gets on its own)
_KINDS = {
    "right-password-then-root": ("CA-ENR-2", 200, "/v1/root", 200),
    "unknown-alias-then-crl": ("CA-ENR-9", 401, "/v1/crl", 200),
}


def _login(target: Target, kind: str) -> bytes:
    if kind.startswith("right-password"):
        account = ca.enrolee(target)
        return ca.enrol_body(account.user, account.password, _csr(account.user))
    alias = ca.ghost_alias()
    return ca.enrol_body(alias, "wrong", _csr(alias))


@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=pytest.mark.req(v[0])) for k, v in _KINDS.items()]
)
def test_a_request_right_after_a_body_is_a_next_request(pki_target: Target, kind: str) -> None:
    requirement, status, path, second_status = _KINDS[kind]
    body = _login(pki_target, kind)
    host, _port = ca.ca_address(pki_target)
    head = _head(pki_target, "/v1/enroll", body, content_type="application/json")
    answers, rest, ended = _exchange(pki_target, head + body + _get(host, path))
    context = (
        f"{requirement}: a login ({kind.split('-then-')[0]}, a {len(body)}-byte body framed "
        f"by Content-Length) and GET {path} right after its last byte, in one TLS write"
    )
    if not answers:
        raise ConformanceFailure.evidence(
            context,
            f"{status} to the login, as on a connection of its own",
            f"no complete answer ({ended}; {rest[:160]!r})",
        )
    got, answer_body = answers[0]
    certificate = b"BEGIN CERTIFICATE" in answer_body
    error = None
    try:
        parsed = json.loads(answer_body)
        error = parsed.get("error") if isinstance(parsed, dict) else None
    except ValueError:
        pass
    if got != status or (status == 200 and not certificate) or (
        status == 401 and error != "auth_failed"
    ):
        raise ConformanceFailure.evidence(
            context,
            f"{status} to the login, as on its own: the body is exactly its Content-Length "
            "bytes, the GET after it is not part of it",
            f"the login answered {got} {answer_body[:200]!r}",
            note="the body read as 'what arrived' (read1/recv until Content-Length bytes are "
            "in hand) takes the next request's bytes with it",
        )
    if len(answers) >= 2:
        if answers[1][0] != second_status:
            raise ConformanceFailure.evidence(
                context,
                f"GET {path} answered {second_status}, as on its own",
                f"GET {path} answered {answers[1][0]} {answers[1][1][:160]!r}",
            )
        return
    if ended.startswith("the connection ended"):
        return  # answered the login and closed: it keeps no connection alive
    raise ConformanceFailure.evidence(
        context,
        f"an answer to GET {path} after the login's, or the connection closed after it",
        f"the login answered {got}; then {ended}"
        + (f"; {len(rest)} more bytes: {rest[:120]!r}" if rest else ""),
        note="the next request was swallowed with the body and the connection kept: the "
        "client waits for ever",
    )
