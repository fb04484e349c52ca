"""The CA's log holds no password of a refused request, whatever refused it (docs/SPEC.md
§4.4 CA-ENR-5, CA-ENR-9), read from the file the target declares (`[pki] ca_log`).

CA-ENR-5: a password a login sends MUST NOT be written to the CA's log, and "this holds
for every refusal, whatever its cause (a body that is not JSON, a member of the wrong type,
a bad CSR)". test_ca_log_no_password.py makes the two logins every CA logs (a wrong
password, the right one). The refusals a CA's authors log "for debugging" are the others:
the request their handler failed on (an internal error logged with the exception's repr,
which holds the string a codec could not encode: the password), the body that ended before
its Content-Length (logged with the bytes that did arrive), the body that is no JSON, the
member of the wrong type.

`test_refused_requests_leave_no_password_in_the_log` sends, each from a fresh address and
for a fresh unknown alias, requests that carry a fresh marker password and are refused for
another reason: a lone surrogate or a NUL in the password, a body cut short (the client
ends its side before the announced length), a body that is no JSON, an alias of the wrong
type, a bad CSR; then the enrolment identity's right login (so that the log surely grows),
waits for the log to take them, and looks in what it gained for any 12-character piece of
each marker (a log line may cut a body short). SKIP when the target declares no log file.
"""

from __future__ import annotations

import json
import secrets
import socket
import ssl
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance.log_files import SETTLE_WAIT, added_since, settled, size
from conformance.plugin import inconclusive
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-log-refusals-no-password"),
]

_PIECE = 12


def _cut_short(target: Target, body: bytes, missing: int) -> None:
    """POST /v1/enroll announcing `missing` more bytes than `body`, then the client ends
    the connection (TCP FIN, no close_notify): an incomplete message. Nothing is read."""
    host, port = ca.ca_address(target)
    source = ca.sources(target).fresh()
    head = (
        f"POST /v1/enroll HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body) + missing}\r\n\r\n"
    ).encode()
    raw = socket.create_connection(
        (host, port), timeout=10.0, source_address=(source, 0) if source else None
    )
    try:
        tls = ca.tls_context(target).wrap_socket(raw)
        tls.sendall(head + body)
        tls.settimeout(0.5)
        try:  # the CA may answer at once (400) or wait for the rest; either is fine
            tls.recv(4096)
        except (TimeoutError, ssl.SSLError, OSError):
            pass
    except (ssl.SSLError, OSError) as exc:
        pytest.skip(f"could not send the cut-short request: {exc}")
    finally:
        raw.close()


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


def _logged_passwords(
    target: Target,
    account: Account,
    csr: str,
    log: Path,
    start: int,
    markers: dict[str, str],
    requests: int,
) -> tuple[bytes, list[str]]:
    """After `requests` refused requests: the enrolment identity's right login (so that the
    log surely grows), then what `log` gained since `start` and, for each of `markers`'
    passwords with a `_PIECE`-character piece in it, what it was sent with and that piece.
    INCONCLUSIVE when the right login fails or the log gains nothing. Shared with
    test_ca_log_unrouted_throttled_no_password.py."""
    right = ca.enrol(target, account.user, account.password, csr)
    if right.status != 200:
        inconclusive(f"the enrolment identity's right login was answered {right.status}")
    if not settled(log, start):
        inconclusive(
            f"{log} gained nothing within {SETTLE_WAIT:g} s of {requests + 1} requests: the "
            "file the target declares is not where this CA logs"
        )
    added = added_since(log, start)
    found = []
    for what, m in markers.items():
        pieces = {m[i : i + _PIECE].encode() for i in range(len(m) - _PIECE + 1)}
        hit = next((p for p in sorted(pieces) if p in added), None)
        if hit is not None:
            found.append(f"{what} ({hit.decode()!r} of its password)")
    return added, found


@pytest.mark.req("CA-ENR-5")
def test_refused_requests_leave_no_password_in_the_log(pki_target: Target) -> None:
    log = pki_target.ca_log
    if log is None:
        pytest.skip("the target declares no CA log ([pki] ca_log)")
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ca.ghost_alias())))
    c = json.dumps(csr)
    markers: dict[str, str] = {}

    def marker(what: str) -> str:
        markers[what] = secrets.token_hex(16)
        return markers[what]

    start = size(log)
    sent: list[str] = []
    for what, password_json in (
        ("a lone surrogate in the password", '"{m}\\ud800"'),
        ("a NUL in the password", '"{m}\\u0000x"'),
        ("a line end in the password", '"{m}\\r\\nx"'),
    ):
        a = json.dumps(ca.ghost_alias())
        pw = password_json.format(m=marker(what))
        status = _post(pki_target, f'{{"alias": {a}, "password": {pw}, "csr": {c}}}'.encode())
        sent.append(f"{what}: {status}")
    for missing in (1, 200):
        what = f"a body cut {missing} byte(s) short"
        body = ca.enrol_body(ca.ghost_alias(), marker(what), csr)
        _cut_short(pki_target, body, missing)
        sent.append(f"{what}: cut")
    what = "a body that is no JSON"
    body = f'{{"alias": "{ca.ghost_alias()}", "password": "{marker(what)}", "csr": }}'.encode()
    sent.append(f"{what}: {_post(pki_target, body)}")
    what = "an alias of the wrong type"
    typed = json.dumps({"alias": [ca.ghost_alias()], "password": marker(what), "csr": csr})
    sent.append(f"{what}: {_post(pki_target, typed.encode())}")
    what = "a bad CSR"
    body = ca.enrol_body(ca.ghost_alias(), marker(what), "-----BEGIN CERTIFICATE REQUEST-----")
    sent.append(f"{what}: {_post(pki_target, body)}")
    added, found = _logged_passwords(pki_target, account, csr, log, start, markers, len(sent))
    if found:
        raise ConformanceFailure.evidence(
            f"CA-ENR-5: requests with a fresh marker password each, refused for another "
            f"reason ({'; '.join(sent)}), then a right login; what the CA's log ({log}) "
            f"gained meanwhile ({len(added)} bytes)",
            "no piece of any password in the log, whatever refused the request",
            "the log holds a piece of the password of " + ", ".join(found),
        )
