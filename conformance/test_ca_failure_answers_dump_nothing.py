"""A login a handler chokes on is answered without a debug dump (docs/SPEC.md §2 ERR-6,
§4.4 CA-ENR-5, CA-ENR-9).

ERR-6: an endpoint MUST NOT answer any input "with a stack trace, a debug dump or a message
that differs by the internal cause". test_ca.py sends values a handler may fail on (a lone
surrogate, a NUL, deep nesting) and looks for stack-trace marks; a CA whose 500 says
`f"internal error: {exc!r}"` (Python), `err.toString()` (Java, Node) or `%#v` (Go) shows no
frame, yet dumps the exception: its type, and the value it failed on — the password, when
the password is what a codec or the hash could not take.

`test_choking_logins_get_no_dump` sends logins whose password is a fresh marker with a
value a handler may fail on (a lone surrogate, a NUL, a line end, a 60,000-character tail),
and logins with a marker password beside a lone surrogate in the alias or the CSR. Whatever
the status (401, 400, even 500), the answer may hold no 10-character piece of the password
(CA-ENR-5: not to an answer, whatever the refusal's cause) and no exception dump: no
exception or error type name (`UnicodeEncodeError`, `java.lang.IllegalArgumentException`,
`TypeError`), no repr of one (`Error('...`), no codec's own words (ERR-6).
"""

from __future__ import annotations

import json
import re
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-failure-answers-dump-nothing"),
]

_PIECE = 10
# An exception's type or repr, in the usual languages' spellings.
_DUMP = re.compile(
    r"\b[A-Z][A-Za-z0-9_]*(?:Error|Exception)\b"  # UnicodeEncodeError, IOException
    r"|\b(?:java|javax|kotlin|scala)\.[a-z]+\.[A-Za-z.]+"  # java.lang.Foo
    r"|codec can't|surrogates not allowed|invalid continuation byte"  # Python's codecs
    r"|&errors\.|\*errors\.|&json\.|\*json\."  # Go's %#v of an error
)


def _body(alias: str, password: str, csr: str) -> str:
    """JSON text written by hand (each value already JSON), so that a lone surrogate
    travels as its escape."""
    return '{"alias": ' + alias + ', "password": ' + password + ', "csr": ' + csr + "}"


def _logins(alias: str, csr: str) -> dict[str, str]:
    """what -> the body's JSON text (MARKER: where the password's marker goes)."""
    a, c = json.dumps(alias), json.dumps(csr)
    return {
        "a lone surrogate in the password": _body(a, '"MARKER\\ud800"', c),
        "a lone low surrogate first in the password": _body(a, '"\\udc00MARKER"', c),
        "a NUL in the password": _body(a, '"MARKER\\u0000x"', c),
        "a line end in the password": _body(a, '"MARKER\\r\\nx"', c),
        "a 60,000-character password": _body(a, '"MARKER' + "p" * 60000 + '"', c),
        "a lone surrogate in the alias": _body('"\\ud800x"', '"MARKER"', c),
        "a lone surrogate in the csr": _body(a, '"MARKER"', '"\\ud800"'),
    }


@pytest.mark.req("ERR-6", "CA-ENR-5")
def test_choking_logins_get_no_dump(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ca.ghost_alias())))
    kinds = list(_logins("a", csr))
    dumps, leaks = [], []
    for what in kinds:  # a fresh alias and address each: no login is throttled
        template = _logins(ca.ghost_alias(), csr)[what]
        marker = secrets.token_hex(16)
        body = template.replace("MARKER", marker).encode()
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            body,
            source=ca.sources(pki_target).fresh(),
            headers={"Content-Type": "application/json"},
        )
        head = " ".join(f"{k}: {v}" for k, v in answer.headers.items())
        text = answer.body.decode("utf-8", "replace")
        try:
            decoded = json.loads(answer.body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):  # the message as the client reads it, escapes undone
            text += "\n" + " ".join(str(v) for v in decoded.values())
        pieces = {marker[i : i + _PIECE] for i in range(len(marker) - _PIECE + 1)}
        found = sorted(p for p in pieces if p in text or p in head)
        if found:
            leaks.append(f"{what}: {answer.status} holds {found[0]!r} of the password")
        dump = _DUMP.search(text)
        if dump:
            dumps.append(f"{what}: {answer.status} names {dump.group(0)!r}: {answer.body[:160]!r}")
    if leaks or dumps:
        rid = "CA-ENR-5" if leaks else "ERR-6"
        raise ConformanceFailure.evidence(
            f"{rid}: {len(kinds)} logins with values a handler may fail on, "
            "each with a fresh marker password",
            "an answer of any status holding no piece of the password and no exception dump "
            "(its type, its repr, a codec's words)",
            "; ".join((leaks + dumps)[:3]),
            note=f"{len(leaks)} answer(s) quote the password, {len(dumps)} dump an exception",
        )
