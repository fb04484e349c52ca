"""sft-pki/1 ENROLMENT CLIENT: a 200 answer whose certificate holds a public key of an
algorithm the client's library does not know is refused with a message, never a stack
trace (docs/SPEC.md ERR-6, CA-ENR-12).

ERR-6: "An endpoint MUST NOT answer any input with a stack trace, a debug dump". The
enrolment client judges the CA's answer: parse the certificate, compare its key with its
own, check the subject and the issuer. The comparison is the step that asks the X.509
library to build a key object from the certificate's SubjectPublicKeyInfo, and for an
algorithm identifier it does not know the library raises its own exception
(`cryptography`'s UnsupportedAlgorithm, Go's x509 returning an "unknown public key
algorithm" the caller does not expect, a Java ProviderException) — not the parse error
the client catches around the parse. A hostile or broken CA then gets a traceback out of
`sft enroll`.

The suite's CA answers 200 with the certificate an honest CA would issue for the CSR's
key and alias, its SubjectPublicKeyInfo algorithm identifier replaced by an unassigned OID
of the same length (1.2.840.10045.2.9 for an EC key, 1.2.840.113549.1.1.99 for an RSA
one; the signature then no longer verifies either). Judged: no stack trace in the
client's output [ERR-6] and a non-zero exit with nothing stored as done [CA-ENR-12].

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.target import Target
from conformance.test_enroll_client import Answer, _ca_certificate, _fail, _honest, _run
from conformance.test_error_disclosure import stack_trace_in
from conformance.x509 import LabPKI

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

# SPKI algorithm OIDs (DER, tag and length included) and an unassigned one of each's length.
_UNKNOWN = {
    bytes.fromhex("06072a8648ce3d0201"): bytes.fromhex("06072a8648ce3d0209"),  # ecPublicKey
    bytes.fromhex("06092a864886f70d010101"): bytes.fromhex("06092a864886f70d010163"),  # rsa
}


def _unknown_key_answer(lab: LabPKI) -> Answer:
    honest = _honest(lab)

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        status, headers, payload = honest(body)
        if status != 200:
            return status, headers, payload
        pem = json.loads(payload)["certificate"]
        b64 = "".join(line for line in pem.splitlines() if "-----" not in line)
        der = base64.b64decode(b64)
        for known, unknown in _UNKNOWN.items():
            if der.count(known) == 1:
                der = der.replace(known, unknown)
                break
        else:  # a key of another kind: answer as is (the case then proves nothing more)
            return status, headers, payload
        text = base64.encodebytes(der).decode().replace("\n", "")
        lines = [text[i : i + 64] for i in range(0, len(text), 64)]
        out = "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
        return status, headers, json.dumps({"certificate": out}).encode()

    return answer


@pytest.mark.req("ERR-6", "CA-ENR-12")
def test_enrolment_client_explains_a_certificate_of_unknown_key_algorithm(
    target: Target, tmp_path: Path
) -> None:
    lab = lab_pki(target)
    run = _run(target, tmp_path, _ca_certificate(lab), _unknown_key_answer(lab), lab=lab)
    context = (
        "ERR-6: the CA answers 200 with a certificate for the CSR's alias whose "
        "SubjectPublicKeyInfo names an unknown algorithm OID"
    )
    trace = stack_trace_in(run.output)
    if trace is not None:
        _fail(context, "a message, never a stack trace or crash dump", run, trace, req="ERR-6")
    if run.returncode == 0:
        _fail(
            context,
            "a non-zero exit status: the answer gives no certificate for the client's key",
            run,
            "exit 0",
            req="CA-ENR-12",
        )
