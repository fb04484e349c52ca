"""ERR-6 / CA-ENR-12: the ENROLMENT CLIENT ends any CA answer with a message, never a stack
trace — whatever the body the CA (or an impostor behind a broken root) sends.

"An endpoint MUST NOT answer any input with a stack trace, a debug dump …" (ERR-6); and a
client keeps a certificate only from a 200 JSON answer that carries one for its key
(CA-ENR-12). The answer cases feed the client well-formed JSON of the wrong shape; a
client whose JSON parser blows its stack on a body nested 100,000 deep (Python's
RecursionError is not a ValueError, a Go or Java recursive decoder overflows the same
way), or whose error path decodes the body as UTF-8 without a fallback, dies with a
traceback on the very answer it should explain — in the success path and in the
error path alike.

The suite's CA answers the enrolment request with each hostile body, under 200 and
under 401: the client must fail (non-zero), keep no identity for the answer, and its
output must hold no stack trace or crash dump.

A root-issued certificate for the CSR's own key whose subject is odd — no CN at all, an
empty subject with an organisation only, two CNs, the alias second — is an answer the
client must refuse (CA-ENR-12 since round 19: the subject's one CN is exactly the alias;
test_enroll_answer_subject_exact.py judges that), and here it must explain the refusal
with a message: a client that indexes the subject's first CN dies on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.target import Target
from conformance.test_enroll_client import (
    Answer,
    _ca_certificate,
    _csr_spki,
    _fail,
    _fixed,
    _public_key,
    _run,
)
from conformance.test_error_disclosure import stack_trace_in
from conformance.x509 import CertProfile, LabPKI

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_JSON = {"Content-Type": "application/json"}
_DEPTH = 100_000
_BODIES = {
    "nested-array": b"[" * _DEPTH + b"]" * _DEPTH,
    "nested-in-certificate": b'{"certificate": ' + b"[" * _DEPTH + b"]" * _DEPTH + b"}",
    "nested-in-error": b'{"error": "auth_failed", "message": '
    + b'{"a": ' * _DEPTH
    + b"1"
    + b"}" * _DEPTH
    + b"}",
    "not-utf8": b'{"error": "auth_failed", "message": "\xff\xfe\xc3\x28"}',
    "surrogate": b'{"error": "auth_failed", "message": "\\ud800\\udc00\\ud800"}',
}


@pytest.mark.req("ERR-6", "CA-ENR-12")
@pytest.mark.parametrize("status", [200, 401])
@pytest.mark.parametrize("body", list(_BODIES))
def test_enrolment_client_explains_a_hostile_answer(
    target: Target, tmp_path: Path, body: str, status: int
) -> None:
    lab = lab_pki(target)
    run = _run(
        target, tmp_path, _ca_certificate(lab), _fixed(status, _JSON, _BODIES[body]), lab=lab
    )
    context = f"ERR-6: the CA answers {status} with a hostile body ({body})"
    trace = stack_trace_in(run.output)
    if trace is not None:
        _fail(context, "a message, never a stack trace or crash dump", run, trace, req="ERR-6")
    if run.returncode == 0:
        _fail(
            context,
            "a non-zero exit status: the answer gives no certificate for the key",
            run,
            "exit 0",
            req="CA-ENR-12",
        )


# The subject's CN RDNs (in order) of a certificate otherwise right for the CSR's key and
# alias; "{alias}" is the alias the client asked for.
_SUBJECTS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "no-cn": ((), None),
    "organisation-only": ((), "sft test organisation"),
    "two-cns": (("{alias}", "{alias}-2"), None),
    "alias-second": (("x-{alias}", "{alias}"), None),
    "empty-cn": (("",), None),
}


def _odd_subject(lab: LabPKI, shape: str) -> Answer:
    cns, organisation = _SUBJECTS[shape]

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        spki = _csr_spki((body or {}).get("csr"))
        key = _public_key(spki) if spki is not None else None
        alias = (body or {}).get("alias")
        if key is None or not isinstance(alias, str):
            return 400, dict(_JSON), b'{"error": "bad_csr", "message": "not a CSR"}'
        profile = CertProfile(
            common_name=alias,
            organisation=organisation,
            subject_cns=tuple(cn.format(alias=alias) for cn in cns),
        )
        cert = lab.root.issue(profile, key=key)
        return 200, dict(_JSON), json.dumps({"certificate": cert.pem}).encode()

    return answer


@pytest.mark.req("ERR-6")
@pytest.mark.parametrize("shape", list(_SUBJECTS))
def test_enrolment_client_explains_an_odd_subject(
    target: Target, tmp_path: Path, shape: str
) -> None:
    lab = lab_pki(target)
    run = _run(target, tmp_path, _ca_certificate(lab), _odd_subject(lab, shape), lab=lab)
    context = (
        f"ERR-6: the CA answers 200 with a root-issued certificate for the CSR's key whose "
        f"subject is {shape}"
    )
    trace = stack_trace_in(run.output)
    if trace is not None:
        _fail(context, "a message, never a stack trace or crash dump", run, trace, req="ERR-6")
