"""sft-pki/1: the ENROLMENT client under test keeps the organisation root it was given,
never the one a CA publishes (docs/SPEC.md PKI-TLS-4, CA-ENR-12).

PKI-TLS-4: both endpoints validate the peer's chain "against the organisation root only";
the enrolment client is given that root (`{root}`) and keeps, in the identity it writes,
what later connections will trust. test_enroll_trust_sources.py covers a CA whose TLS
certificate comes from another root (the password must not be sent); here the CA is
honest in everything the enrolment checks — its TLS certificate is issued by the
organisation root for `localhost`, its answer a certificate for the client's key and
alias, issued by that root — but its `GET /v1/root` serves ANOTHER root: a foreign one, or
an impostor copying the root's subject and key identifier. A client that refreshes its
root from the CA once the enrolment checked out ("the CA knows its current root", a root
rollover), or keeps the CA's root beside the given one in a bundle, writes an identity
whose every later connection trusts whoever holds that other root's key: one rogue (or
compromised) CA answer turns into lasting trust, out of the organisation's reach.

Judged: a client that fails the enrolment, or never asks for /v1/root, PASSES; one that
reports success MUST NOT have stored the root the CA served anywhere under `{out}` (as
PEM or DER, alone or in a bundle). A client that stores no certificate at all cannot be
judged (SKIP-like: inconclusive).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
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

_KINDS = {
    "foreign_root": "a foreign organisation's root",
    "impostor_root": "an impostor root copying the organisation root's subject and key "
    "identifier (another key)",
}


@pytest.mark.req("PKI-TLS-4")
@pytest.mark.parametrize("kind", sorted(_KINDS))
def test_enrolment_client_keeps_the_root_it_was_given(
    target: Target, tmp_path: Path, kind: str
) -> None:
    assert target.root is not None
    lab = lab_pki(target)
    served = (lab.foreign if kind == "foreign_root" else lab.impostor_root()).certificate
    served_der = pem_decode(served.pem)
    ca = HostileCa(
        _server_context(tmp_path, _ca_certificate(lab)),
        _honest(lab),
        lab.root.crl_der(),
        served.pem.encode(),  # GET /v1/root: not the organisation's root
    )
    run = run_against(target, tmp_path, ca)
    if run.returncode != 0:
        return  # the enrolment failed: nothing kept, nothing to judge
    stored = _stored(run.out)
    if not stored.certs:
        inconclusive(f"no certificate stored under {{out}} to judge ({run.describe()})")
    kept = [str(path.relative_to(run.out)) for path, der in stored.certs if der == served_der]
    if kept:
        asked = any(r.path.startswith("/v1/root") for r in run.ca.requests)
        _fail(
            f"PKI-TLS-4: an honest enrolment (TLS certificate and answer issued by the "
            f"organisation root given as {{root}}) at a CA whose GET /v1/root serves "
            f"{_KINDS[kind]}",
            "the identity keeps the root given ({root}) as its only trust anchor: the root "
            "a CA serves is never stored for later connections to trust",
            run,
            f"the CA's root stored under {{out}} in {', '.join(kept)} (the client "
            f"{'asked' if asked else 'did not ask'} for /v1/root)",
            req="PKI-TLS-4",
        )
