"""Profile pki-legacy: many refused requests cost the next enrolment nothing (§7.2).

The CA answers each `POST /verify` on its own: an unknown alias `401`, a malformed
request `400`, the right credentials `200` and a certificate for the posted key
(LEG-CA-FMT-2, LEG-CA-FMT-3). test_legacy_ca0_retries.py checks that ONE refused request
leaves nothing behind; a CA can pass it and still keep something per refused request that
only runs out after many:
- posted keys recorded as "pending" when a request arrives and dropped only when a
  certificate is issued, with a cap ("at most 16 enrolments in progress"): refused
  requests fill it, and then every enrolment is refused (503, 409, …);
- a list of refusals kept for the log, with an "under attack" switch when it is long;
- slots, file descriptors or temporary files taken per request and given back on the
  success path only.
Here 40 requests that MUST be refused — unknown aliases, credentials that are no JSON
object (each with a public key of its own) and the right credentials with a public_key
that is no key — are posted, and then the --enroll account's
right credentials MUST still get `200` and a certificate for their key. A `429` is
throttling (LEG-CA-5 reports it): not judged. The keys are public keys only (random
moduli): the legacy CA checks no proof of possession (LEG-CA-2).
"""

from __future__ import annotations

import base64
import json
import secrets

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.test_legacy_ca0_parallel_enrolments import public_only_key

pytestmark = pytest.mark.xdist_group("pki-legacy")

REFUSED = 40


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _body(root_pem: bytes, credentials: bytes, public_key: str) -> bytes:
    sealed = pki0.oaep_encrypt(RSA.import_key(root_pem), credentials)
    return json.dumps(
        {"payload": base64.b64encode(sealed).decode(), "public_key": public_key}
    ).encode()


@pytest.mark.req("LEG-CA-FMT-2")
def test_an_enrolment_after_many_refusals_is_still_certified(
    pki_legacy: LegacyPkiTarget,
) -> None:
    if not (pki_legacy.ca_url and pki_legacy.enroll and pki_legacy.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = pki_legacy.enroll
    root_pem, url = pki_legacy.root.read_bytes(), pki_legacy.ca_url
    statuses: dict[int, int] = {}
    right = json.dumps({"name": alias, "password": password}).encode()
    for i in range(REFUSED):
        public_key = (public_only_key().export_key("PEM") + b"\n").decode()
        if i % 5 == 3:  # decrypts, but to no JSON object: malformed, 400
            credentials = f"{alias}:{password}".encode()
        elif i % 5 == 4:  # the right credentials, a public_key that is no key: 400
            credentials, public_key = right, f"not a key {secrets.token_hex(8)}"
        else:  # an alias no account has: 401
            unknown = f"{alias}-{secrets.token_hex(4)}"
            credentials = json.dumps({"name": unknown, "password": password}).encode()
        status, _ = pki0.post_verify(url, _body(root_pem, credentials, public_key))
        statuses[status] = statuses.get(status, 0) + 1
    if statuses.get(200):
        pytest.skip(
            f"not judged: requests that MUST be refused got 200 ({statuses}): "
            "test_legacy_ca0_credentials.py's cases report it"
        )
    key = public_only_key()
    body = pki0.verify_body(root_pem, alias, password, key.export_key("PEM") + b"\n")
    status, answer = pki0.post_verify(url, body)
    if status == 429:
        pytest.skip("not judged: the enrolment was throttled (429; LEG-CA-5 reports it)")
    what = f"{status} {answer[:60]!r}"
    if status == 200:
        try:
            cert = der.read_certificate_leniently(answer)
        except ValueError:
            cert = None
        if cert is not None and cert.public_key == key.public_key() and cert.subject_cn == alias:
            return
        what = "200, but not a certificate for the posted key and CN = the alias"
    refusals = ", ".join(f"{n}× {s}" for s, n in sorted(statuses.items()))
    _fail(
        "LEG-CA-FMT-2 (the right credentials MUST be answered 200 with a certificate for the "
        "posted key)",
        f"after {REFUSED} requests that were refused ({refusals}: unknown aliases, "
        f"credentials that are no JSON object, public_keys that are no key), {alias!r}'s "
        f"right "
        f"credentials were answered {what}: refused requests left something behind",
    )
