"""sft-pki/1: the ENROLMENT client under test keeps none of the extra certificates a CA's
answer carries beside the employee certificate (docs/SPEC.md PKI-TLS-4, CA-ENR-12).

PKI-TLS-4: the enrolment client's root is the one its user gave it: "it MUST NOT store, as
a trust anchor or beside one, a root the CA serves or a certificate the CA's answers
carry". test_enroll_root_kept_from_user.py serves another root at `GET /v1/root`; here
the other certificate rides in the enrolment answer itself, the way other protocols hand
out chains: certbot's `fullchain.pem` (the leaf, then its issuers, in one PEM text), EST's
and ACME's CA certificates beside the certificate. A client that keeps "the chain as
sent" in root.pem, or writes a chain.pem beside it, makes every later connection trust
whoever holds that certificate's key.

The hostile CA is honest in everything the enrolment checks (its TLS certificate issued
by the organisation root for `localhost`, a certificate for the client's key and alias
issued by that root) and adds a foreign root, or an impostor root copying the
organisation root's subject and key identifier: after the leaf in the `certificate`
member, or in a `chain` member beside it. Judged as the sibling file: a client that fails
the enrolment PASSES (CA-ENR-12 lets it refuse an answer it does not understand); one that
reports success MUST NOT have stored the extra certificate anywhere under `{out}` (PEM or
DER, alone or in a bundle).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    Answer,
    HostileCa,
    _ca_certificate,
    _fail,
    _honest,
    _server_context,
    _stored,
    run_against,
)
from conformance.x509 import pem_decode

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_EXTRA = {
    "foreign_root": "a foreign organisation's root",
    "impostor_root": "an impostor root copying the organisation root's subject and key "
    "identifier (another key)",
}
_WHERE = {
    "fullchain": "after the leaf in the `certificate` member (certbot's fullchain.pem)",
    "chain_member": "in a `chain` member beside `certificate` (EST/ACME's CA certificates)",
}


def _with_extra(honest: Answer, extra_pem: str, where: str) -> Answer:
    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        status, headers, payload = honest(body)
        if status != 200:
            return status, headers, payload
        obj = json.loads(payload)
        if where == "fullchain":
            obj["certificate"] = obj["certificate"].rstrip("\n") + "\n" + extra_pem
        else:
            obj["chain"] = [extra_pem]
        return status, headers, json.dumps(obj).encode()

    return answer


@pytest.mark.req("PKI-TLS-4")
@pytest.mark.parametrize("where", sorted(_WHERE))
@pytest.mark.parametrize("extra", sorted(_EXTRA))
def test_enrolment_client_keeps_no_certificate_the_answer_carries_beside_its_own(
    target: Target, tmp_path: Path, extra: str, where: str
) -> None:
    assert target.root is not None
    lab = lab_pki(target)
    carried = (lab.foreign if extra == "foreign_root" else lab.impostor_root()).certificate
    carried_der = pem_decode(carried.pem)
    ca = HostileCa(
        _server_context(tmp_path, _ca_certificate(lab)),
        _with_extra(_honest(lab), carried.pem, where),
        lab.root.crl_der(),
        Path(target.root).read_bytes(),
    )
    run = run_against(target, tmp_path, ca)
    if run.returncode != 0:
        return  # the enrolment failed: nothing kept, nothing to judge
    stored = _stored(run.out)
    if not stored.certs:
        inconclusive(f"no certificate stored under {{out}} to judge ({run.describe()})")
    kept = [str(path.relative_to(run.out)) for path, der in stored.certs if der == carried_der]
    if kept:
        _fail(
            f"PKI-TLS-4: an honest enrolment (TLS certificate and answer issued by the "
            f"organisation root given as {{root}}) whose answer carries {_EXTRA[extra]} "
            f"{_WHERE[where]}",
            "the identity keeps the root given ({root}) as its only trust anchor: no "
            "certificate the CA's answer carries beside the employee's is stored",
            run,
            f"the carried certificate stored under {{out}} in {', '.join(kept)}",
            req="PKI-TLS-4",
        )
