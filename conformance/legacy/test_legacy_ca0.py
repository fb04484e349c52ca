"""Profile pki-legacy: the sft-pki/0 CA, `POST /verify` (docs/SPEC.md §7.2)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import urllib.parse

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _enrolment(target: LegacyPkiTarget) -> tuple[str, str, bytes, str]:
    if not (target.ca_url and target.enroll and target.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = target.enroll
    return alias, password, target.root.read_bytes(), target.ca_url


def _spare() -> RSA.RsaKey:
    # One key whose private half nobody needs, shared by the CA cases (slot 1: not the
    # suite identity's key).
    return pki0.suite_key(1)


def _public_pem(key: RSA.RsaKey) -> bytes:
    return key.public_key().export_key("PEM") + b"\n"


@pytest.mark.req("LEG-CA-FMT-1", "LEG-CA-FMT-2")
def test_verify_issues_a_certificate_for_the_alias_and_key(pki_legacy: LegacyPkiTarget) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    key = pki0.suite_key(0)
    status, body = pki0.post_verify(
        url, pki0.verify_body(root_pem, alias, password, _public_pem(key))
    )
    assert status == 200, f"expected 200, got {status}: {body[:200]!r}"
    try:
        cert = der.read_certificate(body)
    except ValueError as exc:
        raise AssertionError(f"the answer is not PEM(certificate): {body[:60]!r} ({exc})") from exc
    assert cert.subject_cn == alias
    assert cert.public_key == key.public_key()
    assert cert.signed_by(RSA.import_key(root_pem)), "the certificate is not signed by the root"


@pytest.mark.req("LEG-CA-FMT-3")
def test_a_wrong_password_gets_401(pki_legacy: LegacyPkiTarget) -> None:
    """The family of wrong passwords a careless comparison accepts: a suffix added, a
    prefix (a startsWith / a comparison over the shorter length), the first character,
    the empty string, another case, the last character changed, white space around."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    guesses = [
        password + "-wrong",
        password[:-1],
        password[:1],
        "",
        password.swapcase(),
        password[:-1] + chr(ord(password[-1]) ^ 1) if password else "x",
        password + "\n",
        " " + password,
    ]
    public_pem = _public_pem(_spare())
    answered: dict[str, int] = {}
    for guess in dict.fromkeys(g for g in guesses if g != password):
        status, _ = pki0.post_verify(url, pki0.verify_body(root_pem, alias, guess, public_pem))
        answered[guess] = status
    wrong = {g: s for g, s in answered.items() if s != 401}
    assert not wrong, (
        f"LEG-CA-FMT-3 (a wrong password MUST be answered 401): for alias {alias!r}, "
        + "; ".join(f"password {g!r} answered {s}" for g, s in wrong.items())
    )


@pytest.mark.req("LEG-CA-1", "CA-ENR-1")
def test_the_ca_speaks_plain_http(pki_legacy: LegacyPkiTarget) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    status, body = pki0.post_verify(
        url, pki0.verify_body(root_pem, alias, password, _public_pem(_spare()))
    )
    if status == 200:
        _fail(
            "LEG-CA-1 / CA-ENR-1 (the CA MUST serve only over TLS 1.3)",
            f"POST /verify over plain HTTP to {url} answered 200 with the certificate of "
            f"{alias!r} in clear ({len(body)} bytes, {body[:27]!r}…)",
        )


@pytest.mark.req("LEG-CA-2", "CA-ENR-3")
def test_the_ca_signs_a_key_the_requester_does_not_hold(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    session = pki0.run_session(
        pki_legacy.host, pki_legacy.port, suite_identity.certificate_pem, suite_identity.key, None
    )
    if session.responder is None:
        pytest.skip("sanity: could not obtain the responder's certificate")
    victim = session.responder.public_key
    status, body = pki0.post_verify(
        url, pki0.verify_body(root_pem, alias, password, _public_pem(victim))
    )
    if status == 200 and der.read_certificate_leniently(body).public_key == victim:
        _fail(
            "LEG-CA-2 / CA-ENR-3 (the CA MUST verify proof of possession of the key)",
            f"posted the public key of {session.responder.subject_cn!r} (whose private key the "
            f"suite does not hold) with the credentials of {alias!r}: the CA issued "
            f"CN={alias!r} for it",
        )


@pytest.mark.req("LEG-CA-3", "CA-ENR-3", "CA-ENR-1")
def test_a_replayed_payload_binds_the_alias_to_another_key(pki_legacy: LegacyPkiTarget) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    honest = json.loads(pki0.verify_body(root_pem, alias, password, _public_pem(_spare())))
    status, _ = pki0.post_verify(url, json.dumps(honest).encode())
    assert status == 200, "sanity: the honest enrolment failed"
    attacker = pki0.suite_key(0)  # not the key of the captured request (slot 1)
    replay = {"payload": honest["payload"], "public_key": _public_pem(attacker).decode()}
    status, body = pki0.post_verify(url, json.dumps(replay).encode())
    if status == 200:
        cert = der.read_certificate_leniently(body)
        if cert.public_key == attacker.public_key():
            _fail(
                "LEG-CA-3 / CA-ENR-3 (credentials MUST be bound to the proof of possession)",
                f"replayed the captured payload of {alias!r} ({honest['payload'][:16]}…) with a "
                f"fresh key: the CA issued CN={cert.subject_cn!r} bound to the attacker's key",
            )


@pytest.mark.req("LEG-CA-5", "CA-ENR-7")
def test_failed_logins_are_not_throttled(pki_legacy: LegacyPkiTarget) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    public = _public_pem(_spare())
    statuses = [
        pki0.post_verify(url, pki0.verify_body(root_pem, alias, f"guess-{i}", public))[0]
        for i in range(8)
    ]
    final, _ = pki0.post_verify(url, pki0.verify_body(root_pem, alias, password, public))
    if 429 not in statuses and final == 200:
        _fail(
            "LEG-CA-5 / CA-ENR-7 (the CA MUST throttle failed logins)",
            f"8 wrong passwords for {alias!r} answered {sorted(set(statuses))} (never 429); "
            "the 9th, correct one, answered 200 at once",
        )


@pytest.mark.req("LEG-CA-6", "PKI-CERT-1", "CA-ENR-4", "CA-ENR-10")
def test_issued_certificates_lack_the_required_extensions(pki_legacy: LegacyPkiTarget) -> None:
    alias, password, root_pem, url = _enrolment(pki_legacy)
    status, body = pki0.post_verify(
        url, pki0.verify_body(root_pem, alias, password, _public_pem(_spare()))
    )
    assert status == 200, "sanity: enrolment failed"
    cert = der.read_certificate_leniently(body)  # the encoding is LEG-CA-FMT-2's case
    days = (cert.not_after - cert.not_before).days
    extensions = "extensions present" if cert.has_extensions else "no extensions at all"
    if not cert.has_extensions or days > 30:
        _fail(
            "LEG-CA-6 / PKI-CERT-1, CA-ENR-4, CA-ENR-10 (BasicConstraints, KeyUsage, EKU; "
            "validity at most 30 days)",
            f"certificate for {alias!r}: {extensions}, valid for {days} days",
        )


@pytest.mark.req("LEG-CA-7", "CA-ENR-8", "PKI-CERT-7")
def test_there_is_no_crl(pki_legacy: LegacyPkiTarget) -> None:
    _, _, _, url = _enrolment(pki_legacy)
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    try:
        conn.request("GET", "/v1/crl")
        response = conn.getresponse()
        response.read(1 << 16)
    finally:
        conn.close()
    if response.status != 200:
        _fail(
            "LEG-CA-7 / CA-ENR-8, PKI-CERT-7 (the CA MUST publish a CRL)",
            f"GET /v1/crl answered {response.status} {response.reason!r}: revoked "
            "certificates cannot be refused",
        )


# --- the format, as a porter of the seed may get it wrong ---------------------------

MAX_BODY = 65536  # docs/SPEC.md §7.2 LEG-CA-FMT-3: a body over 64 KiB is answered 413


def _post(url: str, path: str, body: bytes) -> tuple[int, str, bytes]:
    """(status, Content-Type, body) of `POST path` to the CA at `url`."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    try:
        conn.request("POST", path, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read(1 << 20)
    finally:
        conn.close()


@pytest.mark.req("LEG-CA-FMT-3")
def test_each_refusal_has_the_status_of_the_format(pki_legacy: LegacyPkiTarget) -> None:
    """401 for an unknown alias as for a wrong password, 400 for each way a body is
    malformed, 404 for another path (with a body the CA would otherwise sign), 413 for a
    body over 64 KiB (a valid request padded with spaces: a CA that reads it all signs)."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    public = _public_pem(_spare())
    honest = json.loads(pki0.verify_body(root_pem, alias, password, public))
    unknown = f"nobody-{os.urandom(4).hex()}"
    sealed_garbage = base64.b64encode(os.urandom(255)).decode()
    probes: list[tuple[str, str, bytes, int]] = [
        ("an unknown alias", "/verify", pki0.verify_body(root_pem, unknown, password, public), 401),
        ("a body that is not JSON", "/verify", b"payload=x&public_key=y", 400),
        ("a JSON array", "/verify", b"[]", 400),
        ("no public_key", "/verify", json.dumps({"payload": honest["payload"]}).encode(), 400),
        (
            "a payload that is not base64",
            "/verify",
            json.dumps({**honest, "payload": "*" + honest["payload"][1:]}).encode(),
            400,
        ),
        (
            "a payload no OAEP decryption accepts",
            "/verify",
            json.dumps({**honest, "payload": sealed_garbage}).encode(),
            400,
        ),
        (
            "a public_key that is not a PEM key",
            "/verify",
            json.dumps({**honest, "public_key": "not a key"}).encode(),
            400,
        ),
    ]
    body = json.dumps(honest).encode()
    probes += [(f"path {path!r}", path, body, 404) for path in ("/", "/verify/x", "/enroll")]
    padded = body + b" " * (MAX_BODY + 1 - len(body))
    probes.append((f"a valid request padded to {len(padded)} bytes", "/verify", padded, 413))
    wrong = []
    for what, path, data, want in probes:
        status, _, answer = _post(url, path, data)
        if status != want:
            wrong.append(f"{what}: {status} {answer[:40]!r}, not {want}")
    assert not wrong, "LEG-CA-FMT-3 (401 / 400 / 404 / 413 as the format says): " + "; ".join(wrong)


@pytest.mark.req("LEG-CA-FMT-2")
def test_the_certificate_is_one_plain_pem_chained_to_the_root(pki_legacy: LegacyPkiTarget) -> None:
    """text/plain, one PEM certificate and nothing else, whose issuer is the root's
    subject byte for byte (a root-signed certificate that names another issuer chains
    nowhere)."""
    alias, password, root_pem, url = _enrolment(pki_legacy)
    key = pki0.suite_key(0)
    status, kind, body = _post(
        url, "/verify", pki0.verify_body(root_pem, alias, password, _public_pem(key))
    )
    assert status == 200, f"sanity: enrolment answered {status}: {body[:200]!r}"
    problems = []
    if kind.split(";")[0].strip().lower() != "text/plain":
        problems.append(f"Content-Type {kind!r}, not text/plain")
    text = body.strip()
    if not (
        text.startswith(b"-----BEGIN CERTIFICATE-----")
        and text.endswith(b"-----END CERTIFICATE-----")
        and body.count(b"-----BEGIN") == 1
    ):
        problems.append(f"the body is not one PEM certificate: {body[:40]!r}…{body[-30:]!r}")
    else:
        cert = der.read_certificate(body)
        root = der.read_certificate(root_pem)
        if cert.issuer_name != root.subject_name:
            problems.append(
                f"issuer Name {cert.issuer_name.hex()[:64]}… is not the root's subject "
                f"({root.subject_name.hex()[:64]}…): the certificate does not chain to the root"
            )
        if cert.subject_cn != alias or cert.public_key != key.public_key():
            problems.append(f"CN={cert.subject_cn!r} or the key is not the posted one")
        if not cert.signed_by(RSA.import_key(root_pem)):
            problems.append("not signed by the root")
    assert not problems, "LEG-CA-FMT-2: " + "; ".join(problems)
