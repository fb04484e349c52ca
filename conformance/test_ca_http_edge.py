"""Edges of the CA's HTTP surface (SPEC §4.4, CA-ENR-8, CA-ENR-9). Belongs beside
test_ca.py.

* `GET /v1/root` returns the root *as PEM* (CA-ENR-8). A CA that serves the DER
  (`root.Cert.Raw`, the habit of CRL endpoints) answers bytes that are not text: they must
  be judged a FAIL with evidence, not crash the comparison. And the root alone: a chain
  file (the root and the CA's TLS certificate) puts a second trust anchor in every client.
* A body that is one JSON object followed by anything but whitespace is not JSON (RFC
  8259: a JSON text is one value), so it is malformed JSON: `400 bad_request` (CA-ENR-9).
  A decoder read once (Go's `json.Decoder.Decode`, a streaming parser) takes the first
  object and never looks at the rest; with every member of a login present, such a CA
  answers the login (401) instead. Each body is a complete login of a ghost alias with a
  valid CSR, from a fresh address: a CA that ignores the rest verifies a password.
"""

from __future__ import annotations

import base64
import json
import re

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca"), pytest.mark.xdist_group("ca")]

_JSON = {"Content-Type": "application/json"}
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n(.*?)-----END CERTIFICATE-----", re.S)


@pytest.mark.req("CA-ENR-8")
def test_the_root_is_served_as_pem(pki_target: Target) -> None:
    assert pki_target.root is not None
    answer = ca.request(pki_target, "GET", "/v1/root")
    if answer.status != 200:
        raise ConformanceFailure(f"CA-ENR-8: GET /v1/root: {answer.describe()}")
    wanted = _PEM_CERT.search(pki_target.root.read_bytes())
    assert wanted is not None, "the target's root file is not PEM"
    root_der = base64.b64decode(b"".join(wanted.group(1).split()))
    shown = answer.body[:48]
    try:
        answer.body.decode("ascii")
    except UnicodeDecodeError:
        same = " (the root's DER)" if answer.body == root_der else ""
        raise ConformanceFailure.evidence(
            "CA-ENR-8: GET /v1/root",
            "the root certificate as PEM (text: -----BEGIN CERTIFICATE-----)",
            f"{len(answer.body)} bytes that are not text{same}, starting {shown!r}",
        ) from None
    found = _PEM_CERT.search(answer.body)
    if found is None:
        raise ConformanceFailure.evidence(
            "CA-ENR-8: GET /v1/root",
            "the root certificate as PEM (-----BEGIN CERTIFICATE-----)",
            f"{len(answer.body)} bytes without a PEM CERTIFICATE block, starting {shown!r}",
        )
    try:
        served = base64.b64decode(b"".join(found.group(1).split()), validate=True)
    except ValueError as exc:
        raise ConformanceFailure(f"CA-ENR-8: GET /v1/root: the PEM is not base64: {exc}") from None
    if served != root_der:
        raise ConformanceFailure(
            "CA-ENR-8: GET /v1/root: the PEM certificate served is not the organisation root"
        )
    # The root and nothing else: a client loads this answer as its trust anchors, so any
    # other certificate in it (a "chain file" with the CA's own TLS certificate, an
    # intermediate) would be trusted as a root too.
    blocks = re.findall(rb"-----BEGIN ([A-Z0-9 ]+)-----", answer.body)
    if len(blocks) != 1:
        raise ConformanceFailure.evidence(
            "CA-ENR-8: GET /v1/root",
            "the root certificate alone (one PEM block)",
            f"{len(blocks)} PEM blocks ({', '.join(b.decode() for b in blocks)}): the root "
            "first, then more that a client would install as trust anchors",
        )


_TRAILERS: dict[str, bytes] = {
    "second-object": b"{}",
    "garbage": b"x",
    "comma": b",",
}


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("trailer", list(_TRAILERS))
def test_data_after_the_json_object_is_malformed_json(pki_target: Target, trailer: str) -> None:
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    login = json.dumps({"alias": alias, "password": "not-the-password", "csr": csr}).encode()
    body = login + b" " + _TRAILERS[trailer]
    what = f"POST /v1/enroll: a complete login object followed by {_TRAILERS[trailer]!r}"
    answer = ca.request(
        pki_target, "POST", "/v1/enroll", body, source=ca.sources(pki_target).fresh(),
        headers=_JSON,
    )  # fmt: skip
    obj = ca.json_body(answer, what)
    if answer.status == 400 and obj.get("error") == "bad_request":
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-9: {what} (not a JSON text: RFC 8259 allows one value)",
        "400 bad_request (malformed JSON)",
        f"{answer.describe()}: the CA read the first object and ignored the rest",
    )
