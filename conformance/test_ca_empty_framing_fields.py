"""An empty framing field is not a length (SPEC §4.4, CA-ENR-9).

CA-ENR-9: "a `Content-Length` that is not ASCII decimal digits alone ... is none: the
body's length is unknown", "a `Transfer-Encoding` the CA does not read makes the length
unknown too, whatever `Content-Length` says", and after answering such a request "the
CA MUST close the connection: the bytes after the head are not a next request". A field
that is present with an empty value (or white space only) is the case lenient readers
get wrong: `Content-Length:` read as 0 ("no body"), `Transfer-Encoding:` dropped as if it
were absent. A proxy in front of the CA that frames the same bytes otherwise then sees
the CA answer a request it never forwarded (request smuggling, RFC 9112 §6.1, §6.3).

Each case sends one request on its own connection, with an empty (or blank)
Transfer-Encoding field (an empty or blank Content-Length is
test_interop_ca_zero_like_lengths.py's) and
after it the bytes of `GET /v1/crl`: a GET /v1/root, or a login (an unknown alias, so a
CA that reads it answers 401). The CA answers 4xx and closes, or reads and drops what it
takes for a body: it never sends a second answer, to the CRL request hidden in those
bytes. (With `Transfer-Encoding:` empty and a `Content-Length` framing the login, the
login may even be answered: the close after it is what CA-ENR-9 demands, since the
request carries both fields.)
"""

from __future__ import annotations

import json

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_length_forms import _HIDDEN, _answers_beyond_the_first
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-empty-framing-fields"),
]

_GRACE = 1.5  # seconds after the first answer for an answer to the hidden request


def _login() -> bytes:
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    return json.dumps({"alias": alias, "password": "wrong", "csr": csr}).encode()


_ROOT = b"GET /v1/root HTTP/1.1\r\nHost: ca\r\n"
_ENROLL = b"POST /v1/enroll HTTP/1.1\r\nHost: ca\r\nContent-Type: application/json\r\n"


def _carriers() -> dict[str, bytes]:
    """Each request: head, empty field, end of head, then what follows (bytes that hold
    GET /v1/crl where a lenient reader takes the next request to start)."""
    login = _login()
    framed = b"Content-Length: %d\r\n" % len(login)
    return {
        # (an empty or blank Content-Length: test_interop_ca_zero_like_lengths.py)
        # Transfer-Encoding present, empty: dropped as absent
        "root-te-empty": _ROOT + b"Transfer-Encoding:\r\n\r\n" + _HIDDEN,
        "root-te-blank": _ROOT + b"Transfer-Encoding:  \r\n\r\n" + _HIDDEN,
        "enroll-te-empty-with-length": _ENROLL
        + b"Transfer-Encoding: \r\n"
        + framed
        + b"\r\n"
        + login
        + _HIDDEN,
    }


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("carrier", list(_carriers()))
def test_an_empty_framing_field_ends_the_connection(pki_target: Target, carrier: str) -> None:
    """One request with an empty (or blank) Content-Length or Transfer-Encoding, followed
    by the bytes of GET /v1/crl, on its own connection: exactly one answer (4xx, or the
    first request's answer), then the close — never an answer to the hidden request."""
    data = _carriers()[carrier]
    received, extra = _answers_beyond_the_first(pki_target, data)
    if extra:
        head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        status = received.split(b"\r\n", 1)[0].decode(errors="replace")
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: one request ({carrier}), head {head!r}, followed by the bytes of "
            "GET /v1/crl, on its own connection",
            "one answer, then the close: a framing field that is present but empty is no "
            "length (the body's length is unknown), and what follows the head is never a "
            "next request",
            f"the answer {status!r}, then {len(extra)} more bytes: {extra[:160]!r}",
            note="an empty Content-Length read as 0, or an empty Transfer-Encoding dropped "
            "as absent",
        )
