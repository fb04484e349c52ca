"""A Content-Length that is no length leaves the body's length unknown on every route
(SPEC §4.4: CA-ENR-9).

CA-ENR-9: "a `Content-Length` that is not ASCII decimal digits alone — `-1`, `+5`, `5_0`,
`5.0`, `²` — is none: the body's length is unknown, RFC 9112 §6.3; so are two
`Content-Length` fields whose values differ ... After answering a request whose body's
length is unknown ... the CA MUST close the connection: the bytes after the head are not a
next request". test_ca_length_forms.py sends such lengths to the enrolment, whose body the
CA reads; here they go to the requests whose body no route reads — GET /v1/root and
/v1/crl, an unknown path (404), a wrong method (405), a query string (400). A CA decides
there a second time whether a body was left unread, and that second copy of the rule is
the looser one: a value `int()`/`parseInt`/`strtol` reads as zero, negative or not at all
("no length: no body"), or the first of two fields taken alone, counts as no body, the
connection is kept, and the bytes after the head are served as the next request (request
smuggling: a proxy in front of the CA saw a body).

Each request carries, after its head, the bytes of a complete GET /v1/crl, on a connection
of its own. The CA answers it (any status) and closes, or refuses it and closes; it MUST
NOT send anything after its first answer.
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance import test_ca_length_forms as forms
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-unread-length-forms"),
]

_HIDDEN = b"GET /v1/crl HTTP/1.1\r\nHost: ca\r\n\r\n"

# Request lines whose body no route reads (the enrolment's own reader: test_ca_length_forms).
_ROUTES = {
    "GET /v1/root": b"GET /v1/root HTTP/1.1",
    "GET /v1/crl": b"GET /v1/crl HTTP/1.1",
    "404": b"GET /v1/nothing-here HTTP/1.1",
    "405": b"POST /v1/root HTTP/1.1",
    "query-400": b"GET /v1/crl?x=1 HTTP/1.1",
}

# Content-Length fields that give no length (RFC 9112 §6.3; SPEC's own examples first).
_NO_LENGTH: dict[str, list[bytes]] = {
    "minus-one": [b"-1"],
    "plus-sign": [b"+%d" % len(_HIDDEN)],
    "underscore": [b"%d_0" % (len(_HIDDEN) // 10)],
    "decimal-point": [b"%d.0" % len(_HIDDEN)],
    "superscript-two": [b"\xb2"],
    "hex": [b"0x%x" % len(_HIDDEN)],
    "letters": [b"abc"],
    "zero-then-length": [b"0", b"%d" % len(_HIDDEN)],
    "length-then-zero": [b"%d" % len(_HIDDEN), b"0"],
}


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("form", list(_NO_LENGTH))
def test_a_length_that_is_none_closes_every_route(pki_target: Target, form: str) -> None:
    """Each route of _ROUTES with the Content-Length field(s) of `form` and a body that is
    a GET /v1/crl: one answer at most, then the close."""
    ca.ca_address(pki_target)  # skips without a CA
    smuggled: list[str] = []
    for what, line in _ROUTES.items():
        fields = b"".join(b"Content-Length: " + value + b"\r\n" for value in _NO_LENGTH[form])
        head = line + b"\r\nHost: ca\r\n" + fields + b"\r\n"
        received, extra = forms._answers_beyond_the_first(pki_target, head + _HIDDEN)
        if extra:
            status = received.split(b"\r\n", 1)[0].decode(errors="replace")
            smuggled.append(f"{what}: {status!r}, then {len(extra)} bytes {extra[:100]!r}")
    if smuggled:
        shown = ", ".join(repr(value) for value in _NO_LENGTH[form])
        raise ConformanceFailure.evidence(
            f"CA-ENR-9: requests whose body no route reads, each with Content-Length {shown} "
            f"(no length: RFC 9112 §6.3) and {len(_HIDDEN)} bytes after the head that are a "
            "GET /v1/crl, each on its own connection",
            "one answer, then the close: the body's length is unknown, so what follows the "
            "head is never a next request",
            "; ".join(smuggled[:3]),
            note=f"{len(smuggled)} of {len(_ROUTES)} routes kept the connection and answered "
            "the body (the rule checked again, looser, where no body is read)",
        )
