"""Profile pki-legacy: certificates issued at the same moment have serials of their own (§7.2).

The CA's answer is `PEM(certificate)`, an X.509 certificate (§7.1.2), and the issuer and
serial number of a certificate identify it: a CA MUST NOT give two certificates one
serial (RFC 5280 §4.1.2.2; LEG-CA-FMT-2). test_legacy_ca0_x509.py compares the serials of
enrolments posted one after another, so a CA passes it with a serial taken from a
counter and still gives one serial twice when two requests overlap:
- the counter read when the request is parsed (for the log line, "this request's
  serial") and stored + 1 once the certificate is signed, with no lock (a C `static`, a
  Go package variable, a Java field without `synchronized`, a Node variable read before
  an `await`): requests that overlap read the same value;
- a serial derived from the clock (seconds, milliseconds) or from the request count of
  a connection: requests of the same instant get the same one.
Here eight enrolments of the --enroll account, each with a key of its own, are put under
way together (every request's headers, with `Expect: 100-continue`, then every body once
the CA has taken the headers in, or a second has passed), three rounds:
every certificate answered `200` in the case MUST carry a serial no other one has. A
`429` (throttling, LEG-CA-5) is not judged.
"""

from __future__ import annotations

import http.client
import os
import socket
import time
import urllib.parse

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import pki0
from conformance.legacy.der import pem_to_der
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.test_legacy_ca0_x509 import _fields

pytestmark = pytest.mark.xdist_group("pki-legacy")

AT_ONCE = 8
ROUNDS = 3
# How long the suite waits, in all, for the CA's `100 Continue` to the requests' headers
# (the CA may send none: the bodies then follow when this bound is over).
CONTINUE_WAIT = 1.0


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _public_pem() -> bytes:
    """An RSA-2048 public key with a random modulus (the legacy CA checks no proof of
    possession, LEG-CA-2): cheap, distinct per call."""
    n = int.from_bytes(os.urandom(256), "big") | (1 << 2047) | 1
    return RSA.construct((n, 65537), consistency_check=False).export_key("PEM") + b"\n"


def _continued(socks: list[socket.socket]) -> None:
    """Reads each connection's `100 Continue` (the server has read that request's
    headers), all within CONTINUE_WAIT in total; a CA that sends none (HTTP/1.0, or one
    that reads the body unasked) simply gets its bodies when the bound is over."""
    deadline = time.monotonic() + CONTINUE_WAIT
    for sock in socks:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        sock.settimeout(left)
        seen = b""
        try:
            while b"\r\n\r\n" not in seen and len(seen) < 4096:
                byte = sock.recv(1)  # one byte at a time: the final answer must stay unread
                if not byte:
                    break
                seen += byte
        except (TimeoutError, OSError):
            return
        finally:
            sock.settimeout(20)
        if not seen.startswith(b"HTTP/1.1 100"):
            raise _Answered(seen)


class _Answered(Exception):
    """A connection answered before its body (not 100 Continue): the case is not judged."""


def _post_split(url: str, bodies: list[bytes]) -> list[tuple[int, bytes] | None]:
    """Every request's line and headers (`Expect: 100-continue`) on a connection of its
    own, then every body once the CA has taken the headers in, then every answer (None:
    no answer): the enrolments are all under way before any of them can be finished."""
    where = urllib.parse.urlsplit(url)
    socks: list[socket.socket] = []
    results: list[tuple[int, bytes] | None] = [None] * len(bodies)
    try:
        for body in bodies:
            sock = socket.create_connection((where.hostname, where.port or 80), timeout=20)
            socks.append(sock)
            sock.sendall(
                f"POST /verify HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Type: "
                f"application/json\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n"
                "Connection: close\r\n\r\n".encode()
            )
        _continued(socks)
        for sock, body in zip(socks, bodies, strict=True):
            sock.sendall(body)
        for i, sock in enumerate(socks):
            response = http.client.HTTPResponse(sock)
            try:
                response.begin()
                results[i] = (response.status, response.read(1 << 20))
            except (OSError, http.client.HTTPException):
                results[i] = None
            finally:
                response.close()
    finally:
        for sock in socks:
            sock.close()
    return results


@pytest.mark.req("LEG-CA-FMT-2")
def test_enrolments_posted_at_once_get_distinct_serials(pki_legacy: LegacyPkiTarget) -> None:
    if not (pki_legacy.ca_url and pki_legacy.enroll and pki_legacy.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = pki_legacy.enroll
    root_pem, url = pki_legacy.root.read_bytes(), pki_legacy.ca_url
    seen: dict[bytes, str] = {}  # serial -> which request got it
    issued = 0
    for round_no in range(1, ROUNDS + 1):
        bodies = [
            pki0.verify_body(root_pem, alias, password, _public_pem()) for _ in range(AT_ONCE)
        ]
        twice = []
        try:
            results = _post_split(url, bodies)
        except _Answered as exc:
            pytest.skip(f"not judged: a request was answered before its body: {exc}")
        for i, result in enumerate(results):
            if result is None or result[0] != 200:
                continue  # refusals and silence are the other cases' business
            try:
                serial, _ = _fields(pem_to_der(result[1]))
            except ValueError:
                continue  # an answer that is no certificate: the format cases report it
            issued += 1
            here = f"round {round_no}, request {i + 1}"
            if serial in seen:
                twice.append(f"0x{serial.hex()} ({seen[serial]} and {here})")
            else:
                seen[serial] = here
        if twice:
            _fail(
                "LEG-CA-FMT-2 (the answer is an X.509 certificate: issuer and serial identify "
                "one certificate, RFC 5280 §4.1.2.2)",
                f"{AT_ONCE} enrolments of {alias!r}, each with its own key, under way together "
                "(their headers, then their bodies): "
                f"certificates with the same serial number were issued: " + "; ".join(twice),
            )
    if issued < 2:
        pytest.skip(f"not judged: {issued} certificate(s) issued to {ROUNDS * AT_ONCE} requests")
