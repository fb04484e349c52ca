"""Requests refused before any password is verified are no failed logins (docs/SPEC.md
§4.4: CA-ENR-14, CA-ENR-7).

CA-ENR-14: "only a wrong password counts, when its verification ends". A CA that counts
other refusals as failures — a body over 64 KiB (`413`) taken for a flood, a query string
(`400`, CA-ENR-15) or malformed JSON (`400`) taken for an attack, a wrong path (`404`) or
method (`405`) taken for a scanner — throttles the address (and the alias the request
named) of a client that never guessed a password: its owner's right password is then
answered `429`. The size limit, the framing checks and the throttle are each right alone;
wired together this way they lock out an honest user whose client had one bug.

The case: a fresh account and a fresh loopback address; from that address, N + 1
requests of each kind (N: the declared `[limits] ca_throttle_failures`, else 10, the most
the suite judges), each naming the account's alias with a WRONG password where the request
carries a body, each refused without verifying it; then the account's right password
from the same address: `200`, never `429` (a `503 busy` is waited out, at most 3 times:
pending attempts are another case's business). Needs `ca_user_add_cmd`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_vanished_logins import _account
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-unverified-refusals"),
]

_JSON = {"Content-Type": "application/json"}
_MAX_BUSY_WAIT = 3.0


def _wrong(alias: str, pad: int = 0) -> bytes:
    return json.dumps({"alias": alias, "password": "wrong-guess", "csr": "x" * pad}).encode()


# kind -> (method, path, the body naming the alias)
_KINDS: dict[str, tuple[str, str, Callable[[str], bytes]]] = {
    "body-over-64KiB": ("POST", "/v1/enroll", lambda a: _wrong(a, 65536)),
    "query-string": ("POST", "/v1/enroll?debug=1", _wrong),
    "malformed-json": ("POST", "/v1/enroll", lambda a: _wrong(a)[:-1]),
    "unknown-path": ("POST", "/v1/enrol", _wrong),
    "wrong-method": ("PUT", "/v1/enroll", _wrong),
}


@pytest.mark.req("CA-ENR-14", "CA-ENR-7")
def test_unverified_refusals_do_not_throttle_the_right_password(pki_target: Target) -> None:
    alias, password = _account(pki_target, "unverified")
    n = pki_target.limits.ca_throttle_failures or 10
    source = ca.sources(pki_target).fresh()
    done: list[str] = []
    for kind, (method, path, body) in _KINDS.items():
        statuses = []
        for _ in range(n + 1):
            answer = ca.request(pki_target, method, path, body(alias), source=source, headers=_JSON)
            statuses.append(answer.status)
        done.append(f"{kind} x{n + 1}: {statuses}")
        if 429 in statuses:
            raise ConformanceFailure.evidence(
                f"CA-ENR-14: from the fresh address {source}, requests naming the account "
                f"{alias!r} with a wrong password, each refused before any password is "
                f"verified: {'; '.join(done)}",
                "no 429: nothing was counted, no password having been verified",
                f"429 among the answers to {kind}",
                note="refusals of the request's form counted as failed logins",
            )
        if any(s < 400 or s == 401 for s in statuses):
            pytest.skip(f"{kind}: not refused before a password check: {statuses}")
    csr = ca.csr_pem(ca.CsrKey.ec(), ca.name((ca.OID_CN, alias)))
    answer = ca.enrol(pki_target, alias, password, csr, source=source)
    for _ in range(3):
        if answer.status != 503:
            break
        wait = float(answer.headers.get("retry-after", "1") or 1)
        time.sleep(min(max(wait, 0.1), _MAX_BUSY_WAIT))
        answer = ca.enrol(pki_target, alias, password, csr, source=source)
    if answer.status == 200:
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-14: from the fresh address {source}, requests naming the account "
        f"{alias!r} with a wrong password, each refused before any password is verified "
        f"({'; '.join(done)}); then the account's right password from that address",
        "200 with a certificate: no password was verified, so nothing counted against the "
        "address or the alias",
        answer.describe(),
        note="refusals of the request's form (size, query, JSON, path, method) counted as "
        "failed logins",
    )
