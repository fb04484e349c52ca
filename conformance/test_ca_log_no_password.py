"""The CA writes no password to its log (docs/SPEC.md §4.4, CA-ENR-5), read from the file
the target declares (`[pki] ca_log`).

CA-ENR-5: the CA stores passwords only as salted scrypt or Argon2id hashes, and "a password
a login sends, right or wrong, MUST NOT be written anywhere else: not to the CA's log". The
seed's CA kept passwords as typed; a CA that logs the request it refused ("failed login
for alice with 'Tr0ub4dor&4'"), or dumps a body for debugging, keeps them in clear again
where more people read: a mistyped password is usually one character from the right one,
and employees reuse passwords.

From one fresh address: a fresh account (the target's `ca_user_add_cmd`; else the enrolee)
logs in with a wrong password (a random one, `401` expected), then with its right one
(`200`); the case then reads what the log gained — after it has taken them: the bytes it
added, read until they stop growing — and looks for either password, as sent and
JSON-escaped. SKIP when the target declares no log file.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.log_files import SETTLE_WAIT, added_since, settled, size
from conformance.plugin import inconclusive
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca")]

_MIN_PASSWORD = 8  # shorter passwords could appear in a log by chance: not searched


@pytest.mark.req("CA-ENR-5")
def test_the_cas_log_holds_no_password_a_login_sent(pki_target: Target) -> None:
    log = pki_target.ca_log
    if log is None:
        pytest.skip("the target declares no CA log ([pki] ca_log)")
    ca.ca_address(pki_target)
    if pki_target.ca_user_add_cmd:
        account = Account(f"logged-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
        ca.admin_command(pki_target, "add", account.user, stdin=account.password + "\n")
    else:
        account = ca.enrolee(pki_target)
    wrong = f"wrong-{secrets.token_urlsafe(12)}"
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    source = ca.sources(pki_target).fresh()
    start = size(log)
    refused = ca.enrol(pki_target, account.user, wrong, csr, source=source)
    if refused.status != 401:
        inconclusive(f"the wrong password was answered {refused.status}, not 401")
    accepted = ca.enrol(pki_target, account.user, account.password, csr, source=source)
    if accepted.status != 200:
        inconclusive(f"the right password was answered {accepted.status}, not 200")
    if not settled(log, start):
        inconclusive(
            f"{log} gained nothing within {SETTLE_WAIT:g} s of two logins: the file the "
            "target declares is not where this CA logs them"
        )
    added = added_since(log, start)
    needles: dict[str, bytes] = {}
    sent = (("the wrong password", wrong), ("the right password", account.password))
    for label, password in sent:
        if len(password.encode("utf-8")) < _MIN_PASSWORD:
            continue
        needles[label] = password.encode("utf-8")
        needles[f"{label}, JSON-escaped"] = json.dumps(password).strip('"').encode("ascii")
    found = sorted({label.split(",")[0] for label, needle in needles.items() if needle in added})
    if found:
        raise ConformanceFailure.evidence(
            f"CA-ENR-5: from one address, {account.user!r} with a wrong password (401), then "
            f"its right one (200); what the CA's log ({log}) gained meanwhile "
            f"({len(added)} bytes)",
            "neither password in the log: passwords are kept only as salted hashes",
            "the log holds " + " and ".join(found),
        )
