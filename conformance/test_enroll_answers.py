"""sft-pki/1: the ENROLMENT client under test, beyond test_enroll_client.py: its trust
store, the CA certificate's CN, answers that carry the client's OWN certificate in the
wrong form, and a failed re-enrolment over an existing identity (docs/SPEC.md §4.4,
CA-ENR-12, CA-ENR-18, PKI-TLS-4). Same hostile CA, same `enroll_cmd` (see
test_enroll_client.py, whose harness this file reuses):

- the client run with SSL_CERT_FILE / SSL_CERT_DIR naming a foreign root (OpenSSL, curl,
  Go and others read them as the *system* store): the CA's certificate issued by that
  foreign root for `localhost` MUST still be refused before the password is sent — a
  client that loads the default store besides the root (`load_default_certs()`,
  `create_default_context()`) trusts it [PKI-TLS-4];
- the CA's certificate names `localhost` in its subjectAltName and ANOTHER host name
  (`ca.invalid`) in its CN: the client checks the host against the subjectAltName only,
  so the enrolment completes [CA-ENR-18] (a client that also wants the CN to match fails);
- a `200` whose body is not the JSON of CA-ENR-2 (`{"certificate": PEM}`) but still holds
  a root-issued certificate for the CSR's key — the bare PEM, or the PEM under another
  member — and a `201`/`202` with the right JSON: the client keeps a certificate only from
  a `200` answer of that form, so each MUST fail the enrolment (non-zero exit)
  [CA-ENR-12]; a client that fishes a PEM block out of any body, or takes any 2xx for
  success, exits 0;
- an enrolment into an `{out}` that already holds an identity the same client made at an
  honest CA, answered `401`, `500` or with a certificate for another key: whatever the
  client leaves, no stored private key may be left beside certificates none of which
  holds it — a client that writes its new key before the answer (`so that it is never
  lost`) leaves the new key paired with the old certificate [CA-ENR-12].

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
    CA_HOST,
    PASSWORD,
    Answer,
    HostileCa,
    Run,
    _ca_certificate,
    _cert_spki,
    _csr_spki,
    _fail,
    _fixed,
    _honest,
    _judge_own_key,
    _other_key,
    _run,
    _server_context,
    _stored,
    run_against,
)
from conformance.x509 import EKU_CLIENT_AUTH, EKU_SERVER_AUTH, CertProfile, LabPKI

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


def _run_with_env(target: Target, tmp: Path, ca: HostileCa, env: dict[str, str]) -> Run:
    """test_enroll_client's run, with `env` added to the client's environment."""
    return run_against(target, tmp, ca, env=env)


@pytest.mark.req("PKI-TLS-4")
def test_enrolment_client_ignores_a_foreign_root_in_the_system_store(
    target: Target, tmp_path: Path
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    system = tmp_path / "planted-system-store"
    system.mkdir()
    (system / "ca.pem").write_text(lab.foreign.certificate.pem + lab.foreign.crl_pem())
    cert = lab.foreign.issue(
        CertProfile(
            common_name="sft conformance hostile ca",
            dns_names=(CA_HOST,),
            eku=(EKU_SERVER_AUTH, EKU_CLIENT_AUTH),
        )
    )
    ca = HostileCa(
        _server_context(tmp_path, cert),
        _honest(lab),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    run = _run_with_env(
        target,
        tmp_path,
        ca,
        {"SSL_CERT_FILE": str(system / "ca.pem"), "SSL_CERT_DIR": str(system)},
    )
    context = (
        "PKI-TLS-4: the CA's certificate is issued by a foreign root that the client's "
        "SSL_CERT_FILE / SSL_CERT_DIR (its system trust store) holds"
    )
    if run.ca.connections == 0:
        inconclusive(f"the enrolment client never connected to the CA ({run.describe()})")
    if run.ca.password_seen(PASSWORD) or run.ca.enrolments():
        _fail(
            context,
            "the connection refused before the password is sent: only the organisation "
            "root is trusted, never a system store",
            run,
            "the CA received the enrolment request (the password)",
        )
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (enrolment failed)", run)


@pytest.mark.req("CA-ENR-18", "CA-ENR-12")
def test_enrolment_client_ignores_the_ca_certificate_common_name(
    target: Target, tmp_path: Path
) -> None:
    lab = lab_pki(target)
    cert = _ca_certificate(lab, common_name="ca.invalid")
    run = _run(target, tmp_path, cert, _honest(lab), lab=lab)
    context = (
        f"CA-ENR-18: the CA's certificate is root-issued, subjectAltName {CA_HOST} (the "
        "URL's host), CN ca.invalid"
    )
    if run.returncode != 0:
        _fail(
            context,
            "exit 0: the host name is checked against the subjectAltName only, never the CN",
            run,
            req="CA-ENR-18",
        )
    _judge_own_key(run, context, must_succeed=True)


def _own_cert_pem(lab: LabPKI, body: dict[str, Any] | None) -> str | None:
    """A root-issued certificate (PEM) for the CSR's key, as `_honest` makes it."""
    status, _, payload = _honest(lab)(body)
    if status != 200:
        return None
    return str(json.loads(payload)["certificate"])


def _wrong_form(lab: LabPKI, kind: str) -> Answer:
    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        pem = _own_cert_pem(lab, body)
        if pem is None:
            return 400, {"Content-Type": "application/json"}, b'{"error": "bad_csr"}'
        if kind == "pem_body":
            return 200, {"Content-Type": "application/x-pem-file"}, pem.encode()
        if kind == "other_member":
            return 200, {"Content-Type": "application/json"}, json.dumps({"cert": pem}).encode()
        status = 201 if kind == "status_201" else 202
        payload = json.dumps({"certificate": pem}).encode()
        return status, {"Content-Type": "application/json"}, payload

    return answer


_WRONG_FORMS = ("pem_body", "other_member", "status_201", "status_202")


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("kind", _WRONG_FORMS)
def test_enrolment_client_keeps_a_certificate_only_from_a_200_json_answer(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    run = _run(target, tmp_path, _ca_certificate(lab), _wrong_form(lab, kind), lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    if run.returncode == 0:
        _fail(
            f"CA-ENR-12: the CA answers the enrolment with {kind} (a root-issued certificate "
            'for the CSR\'s own key, but not a 200 `{"certificate": PEM}` answer)',
            "a non-zero exit status: only a 200 answer whose body is the JSON of CA-ENR-2 "
            "gives a certificate",
            run,
        )


_FAILED_AGAIN = {
    "auth_failed_401": lambda _lab: _fixed(
        401, {}, b'{"error": "auth_failed", "message": "wrong alias or password"}'
    ),
    "server_error_500": lambda _lab: _fixed(
        500, {}, b'{"error": "internal", "message": "try again"}'
    ),
    "other_key": _other_key,
}


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("kind", list(_FAILED_AGAIN))
def test_enrolment_client_failed_reenrolment_leaves_no_mismatched_identity(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    first = _run(target, tmp_path, _ca_certificate(lab), _honest(lab), lab=lab)
    if first.returncode != 0:
        inconclusive(f"the first (honest) enrolment failed: {first.describe()}")
    before = _stored(first.out)
    if not before.certs or not any(k is not None for _, k, _m in before.keys):
        inconclusive(f"no PEM key and certificate stored by the first enrolment: {before.files}")
    run = _run(target, tmp_path, _ca_certificate(lab), _FAILED_AGAIN[kind](lab), lab=lab)
    if not run.ca.enrolments():
        inconclusive(f"the second run sent no enrolment request ({run.describe()})")
    context = (
        f"CA-ENR-12: a second enrolment into an {{out}} holding the client's earlier "
        f"identity, answered {kind}"
    )
    if run.returncode == 0:
        _judge_own_key(run, context, must_succeed=False)
        return
    stored = _stored(run.out)
    cert_keys = {_cert_spki(der) for _, der in stored.certs}
    orphans = [
        f"{path.name}"
        for path, key, _mode in stored.keys
        if key is not None and key.public_der() not in cert_keys
    ]
    if stored.certs and orphans:
        csr_keys = {_csr_spki((r.json() or {}).get("csr")) for r in run.ca.enrolments()}
        made_now = [
            path.name
            for path, key, _mode in stored.keys
            if key is not None and key.public_der() in csr_keys
        ]
        _fail(
            context,
            "the enrolment fails and no identity is left that pairs a key with a "
            "certificate not its own (the earlier identity kept whole, or removed)",
            run,
            f"private key(s) {orphans} stored beside certificate(s) "
            f"{[p.name for p, _ in stored.certs]} none of which holds them"
            + (f"; {made_now} hold the key of the failed CSR" if made_now else ""),
        )
