"""A login whose request head the client wrote differently — an `Expect: 100-continue`,
the CA's host name in capitals, an absolute-form target — is the same login (docs/SPEC.md
§4.4, CA-ENR-2).

CA-ENR-2: the CA MUST answer `200 {"certificate": PEM}` when the alias exists, the
password is right and the CSR valid. What else the client puts in its request head is its
own choice within HTTP/1.1, and two such choices are common:
- `Expect: 100-continue` (RFC 9110 §10.1.1): curl sends it for every body over 1 KiB — a
  login with an RSA CSR — and then sends the body after a `100 Continue` or a short wait.
  A server either answers `100` and reads on, or reads on (the body may come anyway); a
  CA that refuses the expectation (`417`, "we do no interim answers") or waits for a body
  the client holds back for a `100` that never comes fails every such enrolment;
- the host in the `Host` field in another letter case (RFC 3986 §6.2.2.1, RFC 9110
  §4.2.3: the host is case-insensitive): a CA guarding against DNS rebinding MAY refuse a
  Host it does not serve (`421`), but a guard that compares the field with its names as
  written refuses its own name in capitals.
- the request target in absolute form (`POST https://HOST:PORT/v1/enroll HTTP/1.1`),
  which RFC 9112 §3.2.2 says a server MUST accept (clients talking through a proxy, and
  some HTTP libraries, write it): a CA that looks its routes up by the target as written
  answers `404`.

Each variant sends the enrolee's login (right password, valid P-256 CSR) with the head
field, the body in the same write (a client MAY send it without waiting for the `100`),
and expects the final answer (after any `1xx`) to be `200` with a certificate. The Host
variant takes the CA's DNS name from its TLS certificate's subjectAltName (skipped when it
has none with a letter in it).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.test_ca_own_certificate import _DNS_NAME, _served_certificate
from conformance.test_ca_request_pieces import _csr
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-head-field-freedom"),
]

_WAIT = 10.0


def _dns_name(target: Target) -> str | None:
    """A DNS name of the CA (its URL's host, or a non-wildcard dNSName of its TLS
    certificate) with a letter in it."""
    host, _port = ca.ca_address(target)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if any(c.isalpha() for c in host):
            return host
    extension = _served_certificate(target).extension(ca.OID_SAN)
    if extension is None:
        return None
    for name in x509._children(ca._tlv(extension.value)[1]):
        tag, content = ca._tlv(name)
        text = content.decode("ascii", errors="replace")
        if tag == _DNS_NAME and "*" not in text and any(c.isalpha() for c in text):
            return text
    return None


def _head(
    target: Target, body: bytes, host_name: str | None, extra: list[str], *, absolute: bool = False
) -> bytes:
    host, port = ca.ca_address(target)
    name = host_name if host_name is not None else host
    authority = f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
    request_target = f"https://{authority}/v1/enroll" if absolute else "/v1/enroll"
    lines = [
        f"POST {request_target} HTTP/1.1",
        f"Host: {authority}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _final_answer(target: Target, data: bytes) -> tuple[list[tuple[int, bytes]], str]:
    """Sends `data`; reads the answers up to the first final (non-1xx) one."""
    host, port = ca.ca_address(target)
    source = ca.sources(target).fresh()
    received, ended = b"", f"no final answer within {_WAIT:.0f} s"
    deadline = time.monotonic() + _WAIT
    with (
        socket.create_connection((host, port), timeout=_WAIT, source_address=(source, 0)) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,
    ):
        tls.sendall(data)
        while time.monotonic() < deadline:
            tls.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = tls.recv(65536)
            except TimeoutError:
                break
            except (ssl.SSLError, OSError) as exc:
                ended = f"the connection ended ({type(exc).__name__})"
                break
            if not chunk:
                ended = "the connection ended"
                break
            received += chunk
            answers, _rest = ca.split_answers(received)
            if any(status >= 200 for status, _ in answers):
                return answers, ""
    return ca.split_answers(received)[0], ended + f" ({received[:160]!r})"


_VARIANTS = ("expect-100-continue", "host-in-capitals", "absolute-form-target")


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("variant", _VARIANTS)
def test_a_login_with_a_head_field_of_the_clients_choice_enrols(
    pki_target: Target, variant: str
) -> None:
    account = ca.enrolee(pki_target)
    body = ca.enrol_body(account.user, account.password, _csr(account.user))
    if variant == "expect-100-continue":
        head = _head(pki_target, body, None, ["Expect: 100-continue"])
        what = "with `Expect: 100-continue` (the body right after the head)"
    elif variant == "absolute-form-target":
        head = _head(pki_target, body, None, [], absolute=True)
        what = "with its request target in absolute form (`POST https://HOST:PORT/v1/enroll`)"
    else:
        name = _dns_name(pki_target)
        if name is None:
            pytest.skip("the CA's certificate names no DNS host with a letter in it")
        head = _head(pki_target, body, name.upper(), [])
        what = f"with `Host: {name.upper()}:port` (the CA's name {name!r} in capitals)"
    answers, ended = _final_answer(pki_target, head + body)
    final = next(((s, b) for s, b in answers if s >= 200), None)
    context = f"CA-ENR-2: the enrolee's login (right password, valid CSR) {what}"
    expected = (
        "200 with a certificate (after any 100 Continue): the head field is the client's "
        "choice within HTTP/1.1, the login is the same"
    )
    if final is None:
        raise ConformanceFailure.evidence(
            context,
            expected,
            f"{[s for s, _ in answers]} and no final answer: {ended}",
            note="the CA waits for a body the client may hold back, or drops the request",
        )
    status, answer = final
    if status == 200 and b"BEGIN CERTIFICATE" in answer:
        return
    raise ConformanceFailure.evidence(
        context,
        expected,
        f"{status} {answer[:200]!r}",
        note="a legal head refused: the expectation (417), the host compared as written "
        "(421), or the request target looked up as written (404 for the absolute form)",
    )
