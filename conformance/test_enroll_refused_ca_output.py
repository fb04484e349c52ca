"""The ENROLMENT client prints no password when it refuses the CA (docs/SPEC.md PWF-2).

PWF-2: a tool that takes a password MUST NOT write it to its standard output or error
"whether it succeeds or fails and whatever the other side answers".
test_client_output_secrets.py runs the enrolment client against a CA it trusts and
answers of every kind; test_enroll_client.py checks that a CA it must refuse never
receives the password. Between the two lies the error path of the refusal itself: the
request was built (password included) before the TLS handshake failed, and a client
that reports what it "could not send" ("request not sent: {…}", a debug dump of the
request on a TLS error, the body in an exception's text) prints the password although it
never left the machine.

The suite serves the CA with a certificate (or TLS, or no TLS) the client MUST refuse —
an employee certificate whose CN is the host and no subjectAltName, a foreign root, an
expired certificate, TLS 1.2 only, plain HTTP — with a fresh password each run, and
searches everything the client printed for the password in any encoding and any 6 of
its characters in a row (conformance/secret_needles.py).

Fixtures (conformance/plugin.py): `target` (pki, lab mode: the target's `enroll_cmd`),
`tmp_path`.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.secret_needles import found_in, password_needles
from conformance.target import Target
from conformance.test_enroll_client import _REFUSED, _honest, _refused_certificate, _run
from conformance.wire import ConformanceFailure

__all__: list[str] = []

_KINDS = ("cn_only", "foreign_root", "expired", "tls12", "plain_http")


def _password() -> str:
    return f"Refus\u00e9-CA {secrets.token_urlsafe(9)}"


@pytest.mark.profile("pki")
@pytest.mark.side("initiator")
@pytest.mark.req("PWF-2")
@pytest.mark.parametrize("kind", _KINDS)
def test_enrolment_client_refusing_the_ca_prints_no_password(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    password = _password()
    run = _run(
        target,
        tmp_path,
        _refused_certificate(lab, kind),
        _honest(lab),
        lab=lab,
        password_file=(password + "\n").encode(),
        tls12_only=kind == "tls12",
        plain=kind == "plain_http",
    )
    if run.ca.connections == 0:
        inconclusive(f"the enrolment client never connected to the CA ({run.describe()})")
    found = found_in(run.output.encode(), password_needles(password))
    if found:
        raise ConformanceFailure.evidence(
            f"PWF-2: the enrolment client's output when it refuses the CA "
            f"({_REFUSED[kind][1]})",
            "nothing printed that holds the password, sent or not",
            f"its output holds {', '.join(found[:4])}",
            note=run.describe(),
        )
