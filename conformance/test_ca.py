"""The organisation CA of sft-pki/1 over HTTPS (SPEC §4.4): enrolment, errors, throttling.

Needs the CA's URL (`--ca-url` / `[pki] ca_url`; the embedded reference has one) and, for
the cases that enrol, an enrolment identity (`--enroll ALIAS:PASSWORDFILE`). Cases that
fail logins on purpose use fresh loopback source addresses, so that the CA's per-address
throttling never hits the other cases.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import secrets
import ssl
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance import x509
from conformance.eke_support import SourceAddresses, sources_for
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("ca")]

_TIMEOUT = 10.0


def _ca(target: Target) -> tuple[str, int]:
    if not target.ca_url or target.root is None:
        pytest.skip("needs the CA's URL (--ca-url) and the root (--root)")
    parts = urlsplit(target.ca_url)
    if parts.scheme != "https" or parts.hostname is None:
        pytest.skip(f"the CA URL {target.ca_url!r} is not https://HOST:PORT")
    return parts.hostname, parts.port or 443


def _context(target: Target, *, max_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    assert target.root is not None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(target.root))  # the organisation root only
    ctx.check_hostname = False  # the CA's name is checked by the chain to the root
    if max_version is not None:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = max_version
    return ctx


def _request(
    target: Target,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    source: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    host, port = _ca(target)
    conn = http.client.HTTPSConnection(
        host, port, timeout=_TIMEOUT, context=_context(target),
        source_address=(source, 0) if source else None,
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def _json(status: int, body: bytes, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(body)
    except ValueError as exc:
        raise ConformanceFailure(
            f"CA-ENR-9: {what}: status {status} with a body that is not JSON: {body[:200]!r}"
        ) from exc
    if not isinstance(obj, dict):
        raise ConformanceFailure(f"CA-ENR-9: {what}: JSON body is not an object: {obj!r}")
    return obj


def _csr(key: x509.KeyPair, common_name: str, *, break_signature: bool = False) -> str:
    """A PKCS#10 request (RFC 2986) signed by `key`, built with the suite's own DER code."""
    attributes = bytes([0xA0, 0x00])  # [0] IMPLICIT SET OF Attribute, empty
    info = x509._seq(x509._int(0), x509._name(common_name), key.public_der(), attributes)
    signature = key.sign(info)
    if break_signature:
        signature = key.sign(info + b"tampered")
    der = x509._seq(info, key.algorithm(), x509._prim(0x03, b"\x00" + signature))
    return x509.pem_encode(der, "CERTIFICATE REQUEST")


def _enrolee(target: Target) -> Account:
    if not target.enroll:
        pytest.skip("needs an enrolment identity (--enroll ALIAS:PASSWORDFILE)")
    return target.enroll[0]


def _enrol_body(alias: str, password: str, csr: str) -> bytes:
    return json.dumps({"alias": alias, "password": password, "csr": csr}).encode()


def _sources(target: Target) -> SourceAddresses:
    return sources_for(target)


@pytest.mark.req("CA-ENR-8")
def test_root_and_crl_are_served(pki_target: Target) -> None:
    status, headers, body = _request(pki_target, "GET", "/v1/root")
    assert status == 200, f"GET /v1/root: {status} {body[:200]!r}"
    assert pki_target.root is not None
    served = x509.pem_decode(body)
    assert served == x509.pem_decode(pki_target.root.read_bytes()), (
        "GET /v1/root is not the organisation root"
    )
    status, headers, body = _request(pki_target, "GET", "/v1/crl")
    assert status == 200, f"GET /v1/crl: {status} {body[:200]!r}"
    assert headers.get("content-type", "").startswith("application/pkix-crl"), headers
    assert body[:1] == b"\x30", "the CRL is not DER"
    # TBSCertList: [version], signature, issuer, thisUpdate, nextUpdate?, ...
    tbs = x509._children(x509._split(x509._children(x509._split(body)[1])[0])[1])
    times = [t for t in tbs if t[:1] in (b"\x17", b"\x18")]
    assert len(times) >= 2, "CA-ENR-8: the CRL has no nextUpdate"


@pytest.mark.req("CA-ENR-1")
def test_ca_refuses_tls12(pki_target: Target) -> None:
    host, port = _ca(pki_target)
    ctx = _context(pki_target, max_version=ssl.TLSVersion.TLSv1_2)
    conn = http.client.HTTPSConnection(host, port, timeout=_TIMEOUT, context=ctx)
    try:
        conn.request("GET", "/v1/root")
        response = conn.getresponse()
    except (ssl.SSLError, OSError):
        return  # refused: what CA-ENR-1 asks
    finally:
        conn.close()
    raise ConformanceFailure(f"CA-ENR-1: a TLS 1.2 client got HTTP {response.status}")


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize(
    "case",
    ["unknown-path", "wrong-method", "malformed-json", "not-an-object", "too-large"],
)
def test_ca_errors_are_json(pki_target: Target, case: str) -> None:
    source = _sources(pki_target).fresh()
    requests: dict[str, tuple[str, str, bytes | None, int, str | None]] = {
        "unknown-path": ("GET", "/v1/nothing-here", None, 404, None),
        "wrong-method": ("GET", "/v1/enroll", None, 405, None),
        "malformed-json": ("POST", "/v1/enroll", b'{"alias": ', 400, "bad_request"),
        "not-an-object": ("POST", "/v1/enroll", b"[1, 2]", 400, "bad_request"),
        "too-large": ("POST", "/v1/enroll", b"{" + b" " * (64 * 1024 + 10) + b"}", 413, None),
    }
    method, path, body, want, code = requests[case]
    headers = {"Content-Type": "application/json"} if body is not None else {}
    try:
        status, _headers, raw = _request(pki_target, method, path, body, source=source,
                                         headers=headers)
    except (ConnectionError, http.client.HTTPException) as exc:
        if case == "too-large":
            raise ConformanceFailure(
                f"CA-ENR-9: a body over 64 KiB got no 413 answer: {type(exc).__name__}"
            ) from exc
        raise
    obj = _json(status, raw, case)
    assert status == want, f"CA-ENR-9: {case}: status {status}, want {want}: {obj}"
    assert isinstance(obj.get("error"), str) and isinstance(obj.get("message"), str), obj
    if code is not None:
        assert obj["error"] == code, f"CA-ENR-9: {case}: error {obj['error']!r}, want {code!r}"
    assert b"Traceback" not in raw, "CA-ENR-9: a stack trace in an error answer"


@pytest.mark.req("CA-ENR-6", "ERR-6")
def test_wrong_password_and_unknown_alias_get_the_same_answer(pki_target: Target) -> None:
    enrolee = _enrolee(pki_target)
    csr = _csr(x509.KeyPair.generate(), enrolee.user)
    sources = _sources(pki_target)
    answers = []
    for alias, password in (
        (enrolee.user, enrolee.password + "-wrong"),
        (f"ghost-{secrets.token_hex(4)}", "whatever"),
    ):
        status, _headers, raw = _request(
            pki_target, "POST", "/v1/enroll", _enrol_body(alias, password, csr),
            source=sources.fresh(), headers={"Content-Type": "application/json"},
        )
        answers.append((status, _json(status, raw, f"login as {alias!r}")))
    (s1, wrong), (s2, unknown) = answers
    assert s1 == s2 == 401, f"CA-ENR-6: statuses {s1} (wrong password) and {s2} (unknown alias)"
    assert wrong == unknown, (
        f"CA-ENR-6: the answers differ\nwrong password: {wrong}\nunknown alias:  {unknown}"
    )
    assert wrong.get("error") == "auth_failed", wrong


@pytest.mark.req("CA-ENR-2", "CA-ENR-4", "CA-ENR-10", "PKI-CERT-1")
def test_enrolment_sets_cn_and_extensions_itself(pki_target: Target) -> None:
    enrolee = _enrolee(pki_target)
    key = x509.KeyPair.generate()
    csr = _csr(key, "someone-else")  # the CA must ignore the requested subject
    status, _headers, raw = _request(
        pki_target, "POST", "/v1/enroll", _enrol_body(enrolee.user, enrolee.password, csr),
        source=_sources(pki_target).fresh(), headers={"Content-Type": "application/json"},
    )
    obj = _json(status, raw, "enrolment")
    assert status == 200, f"CA-ENR-2: enrolment with the right password: {status} {obj}"
    der = x509.pem_decode(str(obj.get("certificate", "")))
    info = x509.read_certificate(der)
    assert info.common_name == enrolee.user, (
        f"CA-ENR-4: CN is {info.common_name!r}, not the enrolled alias {enrolee.user!r}"
    )
    assert not info.violations_as_employee(), info.violations_as_employee()
    tbs = x509._children(x509._split(x509._children(x509._split(der)[1])[0])[1])
    serial = int.from_bytes(x509._split(tbs[1])[1], "big")
    assert serial.bit_length() >= 63, f"CA-ENR-10: serial {serial:#x} has under 64 bits"
    validity = [x509._split(t)[1].decode() for t in x509._children(x509._split(tbs[4])[1])]
    not_before, not_after = (_asn1_time(v) for v in validity)
    assert not_after - not_before <= dt.timedelta(days=31), (
        f"CA-ENR-10: valid from {not_before} to {not_after}"
    )


def _asn1_time(text: str) -> dt.datetime:
    fmt = "%y%m%d%H%M%SZ" if len(text) == 13 else "%Y%m%d%H%M%SZ"
    return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)


@pytest.mark.req("CA-ENR-3")
def test_csr_with_a_bad_signature_is_refused(pki_target: Target) -> None:
    enrolee = _enrolee(pki_target)
    csr = _csr(x509.KeyPair.generate(), enrolee.user, break_signature=True)
    status, _headers, raw = _request(
        pki_target, "POST", "/v1/enroll", _enrol_body(enrolee.user, enrolee.password, csr),
        source=_sources(pki_target).fresh(), headers={"Content-Type": "application/json"},
    )
    obj = _json(status, raw, "enrolment with a CSR whose signature does not verify")
    assert status == 400 and obj.get("error") == "bad_csr", (
        f"CA-ENR-3: no proof of possession was accepted: {status} {obj}"
    )


@pytest.mark.req("CA-ENR-7")
def test_failed_logins_are_throttled(pki_target: Target) -> None:
    """Failures for one alias from several addresses: 429 with Retry-After, within 10."""
    ghost = f"ghost-{secrets.token_hex(4)}"
    csr = _csr(x509.KeyPair.generate(), ghost)
    sources = _sources(pki_target)
    statuses = []
    for _ in range(10):
        status, headers, raw = _request(
            pki_target, "POST", "/v1/enroll", _enrol_body(ghost, "guess", csr),
            source=sources.fresh(), headers={"Content-Type": "application/json"},
        )
        statuses.append(status)
        if status == 429:
            obj = _json(status, raw, "throttled login")
            assert obj.get("error") == "throttled", obj
            assert headers.get("retry-after", "").isdigit(), (
                f"CA-ENR-7: 429 without a Retry-After in seconds: {headers}"
            )
            return
    raise ConformanceFailure(f"CA-ENR-7: 10 failed logins for one alias, never 429: {statuses}")
