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
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.target import Target
from conformance.test_enroll_client import _ca_certificate, _fail, _fixed, _run
from conformance.test_error_disclosure import stack_trace_in

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
