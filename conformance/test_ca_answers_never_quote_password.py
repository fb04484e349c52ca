"""No answer of the CA quotes the password it was sent (docs/SPEC.md §4.4, CA-ENR-5).

CA-ENR-5: a password a login sends, right or wrong, MUST NOT be written anywhere but the
check: not to the CA's log (test_ca_log_no_password.py), not to an answer. A "helpful"
error that quotes what the CA received (`received {...}`, the request echoed for
debugging, a validation error listing each member with its value) hands the password to
every proxy, log and screen the answer passes. Such messages come from the refusals that
are not about the password: members of the wrong type, a missing member, a bad CSR after a
right password, a malformed alias.

Each request carries a marker password (a fresh account's own, where the refusal follows a
right password) and gets a refusal; neither its body nor its head may hold the marker.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-answers-never-quote-password"),
]


def _post(target: Target, members: dict[str, Any]) -> ca.CaAnswer:
    return ca.request(
        target,
        "POST",
        "/v1/enroll",
        json.dumps(members).encode(),
        source=ca.sources(target).fresh(),
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.req("CA-ENR-5")
def test_refusals_never_quote_the_password(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    alias = ca.ghost_alias()
    marker = f"pw-marker-{secrets.token_hex(8)}"
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    requests: list[tuple[str, dict[str, Any]]] = [
        ("a csr that is a number", {"alias": alias, "password": marker, "csr": 7}),
        ("an alias that is a list", {"alias": [alias], "password": marker, "csr": csr}),
        ("no csr member", {"alias": alias, "password": marker}),
        ("a csr that is no PEM", {"alias": alias, "password": marker, "csr": "not a csr"}),
        ("a malformed alias", {"alias": f"Ghost {alias}!", "password": marker, "csr": csr}),
        ("an unknown alias", {"alias": alias, "password": marker, "csr": csr}),
    ]
    if pki_target.ca_user_add_cmd:
        # The refusals after a right password: the account's password is the marker.
        account = f"quote-{secrets.token_hex(5)}"
        right = f"pw-right-{secrets.token_hex(8)}"
        ca.admin_command(pki_target, "add", account, stdin=right + "\n")
        requests += [
            (
                "a right password with a csr that is no PEM",
                {"alias": account, "password": right, "csr": "not a csr"},
            ),
            (
                "a right password with a csr that is a number",
                {"alias": account, "password": right, "csr": 7},
            ),
        ]
    bad = []
    for what, members in requests:
        answer = _post(pki_target, members)
        sent = str(members["password"])
        head = " ".join(f"{k}: {v}" for k, v in answer.headers.items())
        where = [w for w, text in (("body", answer.body), ("head", head.encode())) if
                 sent.encode() in text]
        if where:
            bad.append(f"{what}: {answer.status}, the password in its {' and '.join(where)}: "
                       f"{answer.body[:160]!r}")
    if bad:
        raise ConformanceFailure.evidence(
            f"CA-ENR-5: {len(requests)} refused logins, each with a marker password",
            "answers that never quote the password sent",
            "; ".join(bad[:4]) + (f" (and {len(bad) - 4} more)" if len(bad) > 4 else ""),
        )
