"""sft-pki/1 INITIATOR as a SENDER: the put trusts a responder on the same grounds as the
get — revocation, validity dates and the issuing root (docs/SPEC.md PKI-CERT-3,
PKI-CERT-4, PKI-CERT-7, PKI-TLS-7).

test_client_pki_put_identity.py tries the checks a client makes in its own code (the
alias, EKU, BasicConstraints) on the put. These are the ones a TLS library makes when
it is configured to: a put command whose connection is set up apart from the get's
("a put receives nothing: the CRL does not matter", a context built without the CRL
flag, without the time check, or with the system store) sends its file to a responder
the get would refuse. The suite's responder presents, for the put (`client_put_cmd`),
for exactly the alias asked for:

- a certificate the CA revoked (`target.identities["revoked"]`, as test_pki_certs.py;
  SKIP without one) [PKI-CERT-7];
- a root-issued certificate expired an hour ago [PKI-CERT-3];
- a certificate issued by a foreign CA [PKI-CERT-4].

Each run must fail (non-zero exit) and no request (PUTF, DATA) may reach the responder:
at most one `EROR auth_failed` (PKI-TLS-7).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki, responder_alias
from conformance.pki_channel import HostileResponder, server_context
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_pki_put_identity import _accepting_script, _auth_failed_eror
from conformance.test_client_put import READ_TIMEOUT, RUN_TIMEOUT, _put_template
from conformance.wire import ConformanceFailure
from conformance.x509 import Certificate
from sftkit.client_run import run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"a put to a responder the get would refuse\n"

_KINDS = {
    "revoked": "PKI-CERT-7",
    "expired_an_hour_ago": "PKI-CERT-3",
    "foreign_ca": "PKI-CERT-4",
}


def _responder(target: Target, kind: str) -> Certificate:
    lab = lab_pki(target)
    alias = responder_alias(target)
    if kind == "revoked":
        revoked = sorted(k for k in target.identities if k.startswith("revoked"))
        if not revoked:
            pytest.skip(
                "needs an identity revoked at the CA before the run (target.identities['revoked'])"
            )
        cert_path, key_path = target.identities[revoked[0]]
        return Certificate.load(cert_path.read_bytes(), key_path.read_bytes())
    if kind == "expired_an_hour_ago":
        return lab.employee(alias, days_before=30, days_after=-1 / 24)
    return lab.bad("foreign_ca", alias=alias)


@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.req(r, "PKI-TLS-7"), id=k) for k, r in _KINDS.items()],
)
def test_initiator_put_refuses_a_responder_the_get_would_refuse(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    assert target.root is not None
    template = _put_template(target, tmp_path)
    cert = _responder(target, kind)
    alias = cert.common_name if kind == "revoked" else responder_alias(target)
    cert_path, key_path = cert.write(tmp_path, f"responder-{kind}")
    source = tmp_path / "outgoing.bin"
    source.write_bytes(CONTENT)
    own = target.client_put_cmd is not None
    with HostileResponder(
        server_context(cert_path, key_path, target.root), _accepting_script, timeout=READ_TIMEOUT
    ) as hostile:
        launch = client_launch(
            template,
            {
                "host": hostile.host,
                "port": str(hostile.port),
                "file": str(source),
                "name": f"put-{secrets.token_hex(4)}.bin",
                "alias": alias,
            },
            stdin_template=target.client_stdin if own else None,
            success="exit",
        )
        run = run_client(launch, timeout=RUN_TIMEOUT)
    for t in hostile.transcripts:
        transcripts.add(t)
    if not hostile.transcripts:
        raise RuntimeError(
            f"the client under test never connected (is client_put_cmd right?): {run.describe()}"
        )
    sent = [e.data for t in hostile.transcripts for e in t.entries if e.direction == "recv"]
    types = [f[:4].decode("latin-1") for f in sent]
    requirement = _KINDS[kind]
    problems: list[tuple[str, str]] = []
    if run.returncode == 0:
        problems.append((requirement, f"exit code 0: the put went through ({types})"))
    else:
        other = [f for f in sent if not _auth_failed_eror(f)]
        if other:
            problems.append(
                (
                    requirement,
                    f"sent {types} to a responder whose certificate it refuses: the request "
                    "reached it before the certificate was judged",
                )
            )
        elif len(sent) > 1:
            problems.append(("PKI-TLS-7", f"sent {types} (at most one EROR auth_failed)"))
    if problems:
        failure = ConformanceFailure.evidence(
            f"{requirement}: a put to {alias!r}, the responder presents a {kind} certificate",
            "the put fails (non-zero exit) and no request (PUTF, DATA) reaches the responder",
            "; ".join(f"[{rid}] {text}" for rid, text in problems),
            note=f"{run.describe()}; responder TLS errors: {hostile.handshake_errors}",
        )
        failure.violates = tuple(sorted({rid for rid, _ in problems}))
        raise failure
