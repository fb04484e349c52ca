"""A request the CA's parsers refuse is answered without a debug dump (docs/SPEC.md §2
ERR-6, §4.4 CA-ENR-3, CA-ENR-13, CA-ENR-9).

ERR-6: an endpoint MUST NOT answer any input "with a stack trace, a debug dump or a message
that differs by the internal cause". test_ca.py and test_ca_failure_answers_dump_nothing.py
look for stack traces and exception names in answers to logins a handler chokes on; both
stop at the password (an unknown alias, or a wrong password), where a password-first CA
has not parsed the CSR yet. Behind a right password the CSR reaches the ASN.1 parser, and
a CA that passes the parser's own error on as the `bad_csr` message ("the parser says
why") answers with what the library prints for its developers: Rust's Debug of a parse
error (`ParseError { kind: UnexpectedTag { actual: Tag { value: 2, ... } }, location:
["Csr::csr_info"] }`, pyca/cryptography), Go's `%+v` of an asn1 structure error (`{class:0
tag:2 length:1 isCompound:false} {optional:false explicit:false ...}`), a Python or Java
exception's repr, a source file and line.

`test_bad_csrs_get_no_parser_dump` logs in with the enrolment identity's right password
and a series of malformed `csr` members (broken PEM framing, a truncated DER, the wrong
ASN.1 tag, a certificate where a request belongs, trailing bytes, a flipped signature), and
requires each answer to be an error that holds none of those dumps: Rust's and Go's struct
syntax, an exception's type with its repr, a stack frame or a source location. The words
of a message are the CA's choice; the parser's internal structures are not for clients.
"""

from __future__ import annotations

import base64
import json
import re

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-parser-errors-no-dump"),
]

# What a library prints for its developers, in the usual languages' spellings.
_DUMP = re.compile(
    r"\b[A-Z][A-Za-z0-9_]*\s\{\s[a-z_][a-z0-9_]*:\s"  # Rust Debug: ParseError { kind: ...
    r"|\blocation:\s\["  # Rust asn1's parse location list
    r"|\{[a-z][A-Za-z0-9]*:[^\s{}]*\s[a-z][A-Za-z0-9]*:"  # Go %+v: {class:0 tag:2 ...
    r"|&[a-z][a-z0-9]*\.[A-Z][A-Za-z0-9]*\{"  # Go %#v: &asn1.StructuralError{
    r"|\b[A-Z][A-Za-z0-9_]*(?:Error|Exception)\(['\"]"  # Python repr: ValueError('...
    r"|<[A-Za-z_][\w.]* object at 0x[0-9a-fA-F]+>"  # Python's default repr
    r"|\b(?:java|javax|sun|org\.bouncycastle)\.[a-z]+\.[A-Za-z.$]+"  # Java class names
    r"|Traceback \(most recent call last\)|\bFile \"[^\"]+\", line \d+"  # Python frames
    r"|\bat [\w.$<>]+\([\w$]+\.(?:java|kt|scala):\d+\)"  # Java frames
    r"|\n\s+at \S+ \(\S+:\d+:\d+\)"  # Node frames
    r"|\b[\w/.-]+\.(?:py|rs|go|java|js|ts|c|cc|cpp|cs|rb):\d+\b"  # a source file and line
)


def _pem(der: bytes, label: str = "CERTIFICATE REQUEST") -> str:
    return x509.pem_encode(der, label)


def _bad_csrs(alias: str, root_pem: str) -> dict[str, str]:
    good = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    der = x509.pem_decode(good, "CERTIFICATE REQUEST")
    root_der = x509.pem_decode(root_pem)
    return {
        "PEM framing with no base64 in it": (
            "-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all!\n"
            "-----END CERTIFICATE REQUEST-----\n"
        ),
        "a DER cut after three bytes": _pem(der[:3]),
        "a DER of the wrong shape (SEQUENCE { INTEGER 0 })": _pem(bytes.fromhex("3003020100")),
        "the organisation root where a request belongs": _pem(root_der),
        "a request with 16 bytes after its DER": _pem(der + b"\x00" * 16),
        "a request whose signature has one bit flipped": ca.csr_pem(
            ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)), tamper="bit"
        ),
        "a request holding base64 of no DER": _pem(base64.b64decode("AAAAAAAA")),
    }


def _message_text(answer: ca.CaAnswer) -> str:
    """The body as sent, and its JSON values as a client reads them (escapes undone)."""
    text = answer.body.decode("utf-8", "replace")
    try:
        decoded = json.loads(answer.body)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        text += "\n" + "\n".join(str(v) for v in decoded.values())
    return text


@pytest.mark.req("ERR-6")
def test_bad_csrs_get_no_parser_dump(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    assert pki_target.root is not None
    account = ca.enrolee(pki_target)
    bad = _bad_csrs(account.user, pki_target.root.read_text())
    dumps: list[str] = []
    issued: list[str] = []
    statuses: dict[str, int] = {}
    for what, csr in bad.items():
        answer = ca.enrol(pki_target, account.user, account.password, csr)
        statuses[what] = answer.status
        if answer.status == 200:
            issued.append(what)
            continue
        found = _DUMP.search(_message_text(answer))
        if found:
            dumps.append(
                f"{what}: {answer.status} holds {found.group(0)!r} ({answer.body[:200]!r})"
            )
    if all(status in (200, 401, 429, 503) for status in statuses.values()):
        pytest.skip(
            "no bad CSR reached the CA's parser (every login refused before it: "
            f"{sorted(set(statuses.values()))})"
        )
    if dumps:
        raise ConformanceFailure.evidence(
            f"ERR-6: {len(bad)} logins with {account.user!r}'s right password and a "
            "malformed csr each (broken PEM, truncated or misshapen DER, a certificate, "
            "trailing bytes, a flipped signature)",
            "error answers whose words are the CA's: no parser's debug dump (Rust's or Go's "
            "struct syntax, an exception's repr, a stack frame or a source line)",
            "; ".join(dumps[:3]),
            note=f"{len(dumps)} of {len(bad)} answers dump the parser's error"
            + (f"; certified (judged by CA-ENR-3/CA-ENR-13's cases): {issued}" if issued else ""),
        )
