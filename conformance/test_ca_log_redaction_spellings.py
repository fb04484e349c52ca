"""A CA that logs requests "with the password redacted" redacts every spelling of it
(SPEC §4.4 CA-ENR-5, CA-ENR-2), read from the file the target declares (`[pki] ca_log`).

CA-ENR-5: a password a login sends, right or wrong, MUST NOT be written to the CA's log.
A CA that logs refused requests for debugging often "redacts" the password in the body
text with a pattern — `"password"\\s*:\\s*"[^"]*"` — and the marker passwords of
test_ca_log_no_password.py and test_ca_log_refusals_no_password.py (hex digits) are
redacted by it. CA-ENR-2 says any JSON text of the request is the same request: a
password holding an escaped quote (`\\"`) or a backslash ends such a pattern early and
leaves its tail in the log; a member name written with an escape (`"pass\\u0077ord"`)
is not matched at all; a body that names `password` twice has one occurrence
redacted, the other not.

The case sends, each from a fresh address and for a fresh unknown alias, wrong logins
whose password holds a fresh marker in each such spelling, then the enrolment identity's
right login (so that the log surely grows), waits for the log to take them, and looks in
what it gained for any 12-character piece of each marker. SKIP when the target declares
no log file.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.log_files import SETTLE_WAIT, added_since, settled, size
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-log-redaction-spellings"),
]

_PIECE = 12


def _post(target: Target, body: bytes) -> int:
    answer = ca.request(
        target,
        "POST",
        "/v1/enroll",
        body,
        source=ca.sources(target).fresh(),
        headers={"Content-Type": "application/json"},
    )
    return answer.status


@pytest.mark.req("CA-ENR-5")
def test_every_spelling_of_a_password_stays_out_of_the_log(pki_target: Target) -> None:
    log = pki_target.ca_log
    if log is None:
        pytest.skip("the target declares no CA log ([pki] ca_log)")
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    c = json.dumps(ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ca.ghost_alias()))))
    markers: dict[str, list[str]] = {}

    def marks(what: str, count: int) -> list[str]:
        markers[what] = [secrets.token_hex(12) for _ in range(count)]
        return markers[what]

    start = size(log)
    sent: list[str] = []
    # Bodies as JSON text, the password's spelling chosen here: (what, members).
    m = marks("an escaped quote in the password", 2)
    bodies = [("an escaped quote in the password", f'"password": "{m[0]}\\"{m[1]}"')]
    m = marks("a backslash in the password", 2)
    bodies.append(("a backslash in the password", f'"password": "{m[0]}\\\\{m[1]}"'))
    m = marks("an escaped quote and a closing brace", 2)
    bodies.append(("an escaped quote and a closing brace", f'"password": "{m[0]}\\"}}, {m[1]}"'))
    m = marks("the member name written with an escape", 1)
    bodies.append(("the member name written with an escape", f'"pass\\u0077ord": "{m[0]}"'))
    m = marks("the member name with another escape", 1)
    bodies.append(("the member name with another escape", f'"p\\u0061ssword": "{m[0]}"'))
    m = marks("the password member twice", 2)
    bodies.append(("the password member twice", f'"password": "{m[0]}", "password": "{m[1]}"'))
    m = marks("white space around the colon", 1)
    bodies.append(("white space around the colon", f'"password"\t:\r\n "{m[0]}"'))
    for what, members in bodies:
        alias = json.dumps(ca.ghost_alias())
        body = f'{{"alias": {alias}, {members}, "csr": {c}}}'.encode()
        sent.append(f"{what}: {_post(pki_target, body)}")
    right = ca.enrol(
        pki_target,
        account.user,
        account.password,
        ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user))),
    )
    if right.status != 200:
        inconclusive(f"the enrolment identity's right login was answered {right.status}")
    if not settled(log, start):
        inconclusive(
            f"{log} gained nothing within {SETTLE_WAIT:g} s of {len(sent) + 1} requests: the "
            "file the target declares is not where this CA logs"
        )
    added = added_since(log, start)
    found = []
    for what, pieces_of in markers.items():
        for marker in pieces_of:
            pieces = {marker[i : i + _PIECE].encode() for i in range(len(marker) - _PIECE + 1)}
            hit = next((p for p in sorted(pieces) if p in added), None)
            if hit is not None:
                found.append(f"{what} ({hit.decode()!r} of its password)")
                break
    if found:
        raise ConformanceFailure.evidence(
            f"CA-ENR-5: wrong logins whose password is spelt in JSON-legal ways a redacting "
            f"pattern misses ({'; '.join(sent)}), then a right login; what the CA's log "
            f"({log}) gained meanwhile ({len(added)} bytes)",
            "no piece of any password in the log, however the JSON spells it (CA-ENR-2: "
            "any JSON text of the request is the same request)",
            "the log holds a piece of the password of " + ", ".join(found),
        )
