"""One request, one login: a body that carries many logins buys no more guesses
(docs/SPEC.md §4.4, CA-ENR-14, CA-ENR-7, CA-ENR-2).

CA-ENR-2 defines an enrolment as one JSON object `{"alias", "password", "csr"}`, and
CA-ENR-14 bounds what a login may cost the accounts: "whatever the interleaving, no more
wrong passwords per alias or per address are verified than the throttle allows one after
the other". A CA written with a JSON-RPC habit (JSON-RPC 2.0 §6: an array of calls is a
batch, answered with an array) or a bulk endpoint's habit (`{"requests": [...]}`) admits the
request once and verifies every login it carries: N + 3 passwords tried for one admission,
the throttle's threshold N never reached before the right one is found.

`test_a_batch_of_logins_is_no_login` sends, for a fresh account, N + 3 wrong passwords and
then its right password with a valid CSR, in one request, in three shapes: a JSON array of
enrolment objects, the array under a `requests` member, and the array as JSON-RPC calls.
The CA may refuse them as it likes (a 4xx: not an enrolment object; a 401 for the first
login; a 429/503), but no answer may be a 2xx or hold a certificate: that certificate
would prove that the right password was verified after N + 3 wrong ones within one
admission (CA-ENR-14), and a 2xx to a body that is not CA-ENR-2's object answers what
CA-ENR-2 never defined. Each shape is sent from a fresh address for a fresh account (the
target's `[pki] ca_user_add_cmd`), or, without it, for the declared enrolment account with
wrong passwords only (the last login then also wrong: a 2xx or a certificate still FAILs).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from conformance import ca_support as ca
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-batched-logins"),
]

_JSON = {"Content-Type": "application/json"}


def _wrap_array(logins: list[dict[str, str]]) -> Any:
    return logins


def _wrap_requests(logins: list[dict[str, str]]) -> Any:
    return {"requests": logins}


def _wrap_json_rpc(logins: list[dict[str, str]]) -> Any:
    return [
        {"jsonrpc": "2.0", "method": "enroll", "params": login, "id": n}
        for n, login in enumerate(logins, 1)
    ]


_SHAPES = {"array": _wrap_array, "requests-member": _wrap_requests, "json-rpc": _wrap_json_rpc}


def _account(target: Target) -> tuple[Account, bool]:
    """A fresh account (and True), or the declared enrolment account (False)."""
    if target.ca_user_add_cmd:
        account = Account(f"batch-{secrets.token_hex(5)}", f"pw-{secrets.token_urlsafe(12)}")
        ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
        return account, True
    return ca.enrolee(target), False


def _certificates_in(value: Any, depth: int = 0) -> int:
    """How many PEM certificates a JSON value holds, at any depth (bounded)."""
    if depth > 8:
        return 0
    if isinstance(value, str):
        return value.count("-----BEGIN CERTIFICATE-----")
    if isinstance(value, list):
        return sum(_certificates_in(v, depth + 1) for v in value[:256])
    if isinstance(value, dict):
        return sum(_certificates_in(v, depth + 1) for v in list(value.values())[:256])
    return 0


@pytest.mark.req("CA-ENR-14", "CA-ENR-7")
@pytest.mark.parametrize("shape", list(_SHAPES))
def test_a_batch_of_logins_is_no_login(pki_target: Target, shape: str) -> None:
    ca.ca_address(pki_target)
    account, fresh = _account(pki_target)
    threshold = pki_target.limits.ca_throttle_failures or 10
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    logins = [
        {"alias": account.user, "password": f"{account.password}-wrong-{n}", "csr": csr}
        for n in range(threshold + 3)
    ]
    last = account.password if fresh else f"{account.password}-wrong-last"
    logins.append({"alias": account.user, "password": last, "csr": csr})
    body = json.dumps(_SHAPES[shape](logins)).encode()
    answer = ca.request(
        pki_target,
        "POST",
        "/v1/enroll",
        body,
        source=ca.sources(pki_target).fresh(),
        headers=_JSON,
    )
    try:
        parsed: Any = json.loads(answer.body)
    except ValueError:
        parsed = answer.body.decode("utf-8", "replace")
    issued = _certificates_in(parsed)
    if 200 <= answer.status < 300 or issued:
        raise ConformanceFailure.evidence(
            f"CA-ENR-14: one POST /v1/enroll whose body ({shape}) carries {len(logins)} logins "
            f"of {account.user!r}: {threshold + 3} wrong passwords, then "
            + ("its right password" if fresh else "one more wrong one"),
            "a refusal (4xx: not the enrolment object of CA-ENR-2, or 401/429/503): one "
            f"request is one login, and no more than N = {threshold} wrong passwords are "
            "verified before the throttle answers",
            f"{answer.status} with {issued} certificate(s): {answer.body[:300]!r}",
        )
