"""What the `csr` member may hold, and what the CSR may not decide (SPEC §4.4).

- [CA-ENR-13] `csr` is ONE PEM `CERTIFICATE REQUEST`: a request followed (or preceded)
  by a PEM block of another kind — a certificate, a public key — is not that, whatever a
  check that counts only `CERTIFICATE REQUEST` blocks concludes: `400 bad_csr`.
  A request's DER under another label (CERTIFICATE, PUBLIC KEY, ...) is not one either.
- [CA-ENR-3] A bare public key (`-----BEGIN PUBLIC KEY-----`) proves nothing: a CA that
  certifies it, as the legacy CA certified `public_key`, issues for a key nobody showed
  it holds: `400 bad_csr`.
- [CA-ENR-4] The certificate names the enrolled alias, never the CSR's subject: a
  request without `alias` is not completed from the CSR's CN (no `200`).
- [CA-ENR-17] The host-name check is on the alias the certificate will name, not on the
  CSR's subject: an account named after one of the CA's own names, enrolling with a CSR
  whose subject is something else (or empty), is refused too.

Right passwords only (the enrolee's, or accounts the suite adds), from fresh addresses.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-csr-forms"),
]

_ALIAS_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # PKI-CERT-2


def _refused_as_bad_csr(target: Target, csr: str, rids: str, what: str) -> None:
    account = ca.enrolee(target)
    answer = ca.enrol(target, account.user, account.password, csr)
    obj = ca.json_body(answer, what)
    if answer.status == 400 and obj.get("error") == "bad_csr":
        return
    detail = answer.describe()
    if answer.status == 200 and isinstance(obj.get("certificate"), str):
        cert = ca.read_issued(obj["certificate"])
        detail = f"HTTP 200, a certificate was issued: serial {cert.serial:#x}"
    raise ConformanceFailure.evidence(
        f"{rids}: enrolment of {account.user!r} (right password, fresh address), `csr` "
        f"holding {what}",
        '400 {"error": "bad_csr"}',
        detail,
    )


@pytest.fixture(scope="module")
def rsa_2048() -> ca.CsrKey:
    return ca.CsrKey.rsa(2048)


def _public_key_pem(key: ca.CsrKey) -> str:
    return x509.pem_encode(key.spki(), "PUBLIC KEY")


@pytest.mark.req("CA-ENR-13")
@pytest.mark.parametrize(
    "form",
    [
        "request-then-certificate",
        "certificate-then-request",
        "request-then-public-key",
        "public-key-then-request",
    ],
)
def test_a_request_beside_another_pem_block_is_refused(pki_target: Target, form: str) -> None:
    """A valid request (the enrolee's CN, P-256, SHA-256) and, before or after it, a PEM
    block of another kind (the organisation root, the request's own public key): not one
    PEM CERTIFICATE REQUEST."""
    account = ca.enrolee(pki_target)
    assert pki_target.root is not None
    key = ca.CsrKey.ec("P-256")
    request = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    other = pki_target.root.read_text() if "certificate" in form else _public_key_pem(key)
    csr = request + other if form.startswith("request") else other + request
    _refused_as_bad_csr(
        pki_target, csr, "CA-ENR-13", f"a valid request and another PEM block ({form})"
    )


# A valid request's DER under another PEM label: what a CA that decodes the block and
# never reads its label (Go's `pem.Decode` without `block.Type`, a hand-rolled "strip
# the armour" decoder) certifies. ("NEW CERTIFICATE REQUEST", the legacy label RFC 7468
# §7 lets parsers accept, is not among them.)
_OTHER_LABELS = ("CERTIFICATE", "PUBLIC KEY", "X509 CRL", "PKCS7")


@pytest.mark.req("CA-ENR-13")
@pytest.mark.parametrize("label", _OTHER_LABELS)
def test_a_request_under_another_pem_label_is_refused(pki_target: Target, label: str) -> None:
    """The enrolee's valid request (P-256, SHA-256, its own CN), its DER armoured as
    `-----BEGIN {label}-----`: one PEM block, but not a CERTIFICATE REQUEST."""
    account = ca.enrolee(pki_target)
    request = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    csr = x509.pem_encode(x509.pem_decode(request, "CERTIFICATE REQUEST"), label)
    _refused_as_bad_csr(
        pki_target, csr, "CA-ENR-13", f"a valid request's DER under the PEM label {label!r}"
    )


@pytest.mark.req("CA-ENR-3", "CA-ENR-13")
@pytest.mark.parametrize("kind", ["ec-p256", "rsa-2048"])
def test_a_bare_public_key_is_no_request(
    pki_target: Target, rsa_2048: ca.CsrKey, kind: str
) -> None:
    """`csr` holding a PEM PUBLIC KEY (SubjectPublicKeyInfo), not a request: no proof of
    possession, not a CERTIFICATE REQUEST."""
    key = rsa_2048 if kind == "rsa-2048" else ca.CsrKey.ec("P-256")
    _refused_as_bad_csr(
        pki_target, _public_key_pem(key), "CA-ENR-3", f"a bare {kind} PUBLIC KEY (no request)"
    )


@pytest.mark.req("CA-ENR-4")
@pytest.mark.parametrize("alias_member", ["absent", "null"])
def test_the_alias_is_never_taken_from_the_csr(pki_target: Target, alias_member: str) -> None:
    """The enrolee's right password and a valid CSR whose subject is CN = the enrolee's
    alias, the `alias` member absent (or null): no `200` — the certificate's name is the
    alias the request names, never the CSR's subject."""
    account = ca.enrolee(pki_target)
    request: dict[str, object] = {
        "password": account.password,
        "csr": ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user))),
    }
    if alias_member == "null":
        request = {"alias": None, **request}
    answer = ca.request(
        pki_target,
        "POST",
        "/v1/enroll",
        json.dumps(request).encode(),
        source=ca.sources(pki_target).fresh(),
        headers={"Content-Type": "application/json"},
    )
    if answer.status == 200 or b"BEGIN CERTIFICATE" in answer.body:
        raise ConformanceFailure.evidence(
            f"CA-ENR-4: an enrolment with the `alias` member {alias_member}, the right "
            f"password of {account.user!r} and a CSR whose subject is CN={account.user!r}",
            "an error answer (no alias, no enrolment): the CA sets the subject to the "
            "enrolled alias, ignoring the subject requested in the CSR",
            answer.describe(),
        )


# --- the CA's own names [CA-ENR-17] ---------------------------------------------------------


def _ca_names(target: Target) -> list[str]:
    """The CA's host names: its TLS certificate's SAN (DNS, IP) and its URL's host."""
    host, port = ca.ca_address(target)
    with (
        socket.create_connection((host, port), timeout=10.0) as raw,
        ca.tls_context(target).wrap_socket(raw, server_hostname=host) as tls,
    ):
        cert = tls.getpeercert()
    san = cert.get("subjectAltName", ()) if cert else ()
    names = [
        str(entry[1])
        for entry in san
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] in ("DNS", "IP Address")
    ]
    names.append(host)
    return sorted({n.lower() for n in names})


def _accounts_file(target: Target) -> Path:
    """The accounts the suite made on this CA under its host names (mode 0600), shared
    with test_pki_hardening.py: an alias can be added only once per CA."""
    assert target.root is not None
    tag = hashlib.sha256(target.root.read_bytes()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"sft-conformance-{os.getuid()}-{tag}-hostnames.json"


def _remembered(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _remember(path: Path, alias: str, password: str) -> None:
    accounts = {**_remembered(path), alias: password}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(accounts, f)


def _host_account(target: Target, alias: str) -> str | None:
    """The password of an account named `alias` on this CA (added now, or by an earlier
    case), or None when the administration tool refuses it (CA-ENR-17 allows that)."""
    assert target.ca_user_add_cmd is not None
    state = _accounts_file(target)
    password = secrets.token_urlsafe(15)
    argv = [part.format(alias=alias) for part in shlex.split(target.ca_user_add_cmd)]
    done = subprocess.run(
        argv, input=(password + "\n").encode(), capture_output=True, timeout=30, check=False
    )
    if done.returncode == 0:
        _remember(state, alias, password)
        return password
    return _remembered(state).get(alias)


@pytest.mark.req("CA-ENR-17")
@pytest.mark.parametrize("subject", ["another-cn", "empty-subject"])
def test_a_host_name_alias_is_refused_whatever_the_csr_says(
    pki_target: Target, subject: str
) -> None:
    """For each of the CA's names that is a valid alias: an account under it (added
    through `ca_user_add_cmd`; a tool that refuses it is conformant), its right password
    and a CSR whose subject is NOT that name (another CN, or an empty subject): refused,
    as with a CSR naming it — the certificate would name the alias."""
    names = _ca_names(pki_target)
    candidates = [n for n in names if _ALIAS_RE.fullmatch(n)]
    if not candidates:
        pytest.skip(f"none of the CA's names {names} is a valid alias (PKI-CERT-2)")
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    accepted, tried = [], 0
    for alias in candidates:
        password = _host_account(pki_target, alias)
        if password is None:
            continue
        tried += 1
        name = (
            ca.name((ca.OID_CN, f"not-the-host-{secrets.token_hex(4)}"))
            if subject == "another-cn"
            else ca.name()
        )
        answer = ca.enrol(pki_target, alias, password, ca.csr_pem(ca.CsrKey.ec("P-256"), name))
        if answer.status == 200:
            obj = ca.json_body(answer, f"enrolment of {alias!r}")
            cert = ca.read_issued(obj.get("certificate"))
            accepted.append(f"{alias!r} (HTTP 200, subject {cert.subject_attributes!r})")
    if tried == 0:
        pytest.skip(f"the administration tool refused every host-name alias {candidates}")
    if accepted:
        raise ConformanceFailure.evidence(
            f"CA-ENR-17: accounts named after the CA's own names {names}, their right "
            f"passwords, CSRs whose subject is {subject}",
            "refused (400 or 403): the certificate names the alias, whatever the CSR asks",
            "; ".join(accepted),
        )
