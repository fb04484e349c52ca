"""What a login's members hold never reaches the head of the CA's answer (docs/SPEC.md
§4.4: CA-ENR-9).

CA-ENR-9: every error answer MUST be a JSON object `{"error": code, "message": str}`.
A CA that echoes a member of the login into a header of its answer — the alias in an
`X-Alias` or `WWW-Authenticate` field for a front proxy's access log, a trace header —
writes whatever the JSON string decoded to: a CR LF in the alias (`\\r\\n` is a valid JSON
escape) then adds header lines of the client's choosing (response splitting), and an
empty line ends the head early, so the body the client reads is the alias's bytes, not
the error object; a character outside Latin-1 makes many HTTP libraries raise while the
head is written (no answer, or a `500`). Plain aliases never show it.

Each variant is one login for an alias no account has — with a CR LF and a header line,
with a bare LF and a header line, with CR LF CR LF and a forged JSON body, with U+2028
and non-Latin-1 letters — and a wrong password (the password too with a CR LF and a
header line, for a CA that echoes it), sent raw over TLS from a fresh address with
`Connection: close`. Each answer MUST be a 4xx (`401`, or `400` for an alias no account
can have, CA-ENR-6) whose head holds none of the injected text, and whose body, as its
framing delimits it, is a JSON object with a string `error` and a string `message`.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca")]

_WAIT = 10.0

# variant -> (alias, password) around the marker %s (a fresh hex string per run)
_VARIANTS: dict[str, tuple[str, str]] = {
    "alias-crlf-header": ("split-%s\r\nX-Injected-%s: 1", "wrong-%s"),
    "alias-lf-header": ("split-%s\nX-Injected-%s: 1", "wrong-%s"),
    "alias-crlf-crlf-body": (
        'split-%s\r\n\r\n{"error": "injected-%s", "message": "x"}',
        "wrong-%s",
    ),
    "alias-non-latin1": ("split-%s-\u0101\u2028\u4e2d-%s", "wrong-%s"),
    "password-crlf-header": ("split-%s", "wrong-%s\r\nX-Injected-%s: 1"),
}


def _login(alias: str, password: str, target: Target) -> bytes:
    body = json.dumps({"alias": alias, "password": password, "csr": "no csr"}).encode()
    return (
        b"POST /v1/enroll HTTP/1.1\r\nHost: "
        + ca.ca_address(target)[0].encode()
        + b"\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def _framed_body(head: bytes, rest: bytes) -> bytes:
    if ca.is_chunked(head):
        return ca.answer_body(head, rest)
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length" and value.strip().isdigit():
            return rest[: int(value.strip())]
    return rest


def _problem(data: bytes, marker: str) -> str | None:
    """Why this answer is wrong, or None."""
    if not data:
        return "no answer (closed or silent)"
    head, sep, rest = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0]
    parts = status_line.split(b" ")
    if not sep or len(parts) < 2 or not parts[1].isdigit():
        return f"no HTTP answer head: {data[:200]!r}"
    status = int(parts[1])
    if not 400 <= status <= 499:
        return f"HTTP {status} (a 4xx is due): {data[:200]!r}"
    if marker.encode() in head.lower() or b"injected" in head.lower():
        return f"the head holds the login's bytes: {head[:400]!r}"
    body = _framed_body(head, rest)
    try:
        obj = json.loads(body)
    except ValueError:
        return f"HTTP {status} whose body is no JSON: {body[:200]!r}"
    if not (
        isinstance(obj, dict)
        and isinstance(obj.get("error"), str)
        and isinstance(obj.get("message"), str)
    ):
        return f"HTTP {status} whose body is no error object: {body[:200]!r}"
    if obj["error"].startswith("injected"):
        return f"HTTP {status} whose body is the alias's forged one: {body[:200]!r}"
    return None


@pytest.mark.req("CA-ENR-9")
def test_login_members_never_reach_the_answer_head(pki_target: Target) -> None:
    pool = ca.sources(pki_target)
    wrong: list[str] = []
    for variant, (alias_form, password_form) in _VARIANTS.items():
        marker = secrets.token_hex(5)
        alias = alias_form.replace("%s", marker)
        password = password_form.replace("%s", marker)
        data = ca.raw_exchange(
            pki_target, _login(alias, password, pki_target), timeout=_WAIT, source=pool.fresh()
        )
        problem = _problem(data, marker)
        if problem is not None:
            wrong.append(f"{variant} (alias {alias!r}): {problem}")
    if wrong:
        raise ConformanceFailure.evidence(
            "CA-ENR-9: POST /v1/enroll for aliases no account has, holding CR LF, LF, "
            "CR LF CR LF or non-Latin-1 characters (JSON escapes), with a wrong password; "
            "each raw over TLS from a fresh address",
            "a 4xx whose head holds none of the login's bytes and whose body is a JSON "
            "object {error: str, message: str}",
            "; ".join(wrong),
            note="a login member echoed into a header of the answer (response splitting)",
        )
