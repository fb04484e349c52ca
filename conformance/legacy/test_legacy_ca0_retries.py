"""Profile pki-legacy: a refused enrolment leaves nothing behind (§7.2).

The CA answers each `POST /verify` on its own: a wrong password `401`, a malformed
request `400`, and the right credentials `200` with a certificate for the key posted IN
THAT REQUEST (LEG-CA-FMT-2). A user who mistypes the password retries, usually with the
same key pair. test_legacy_ca0*.py's cases send their refusals and their enrolments with
different keys, in an order that does not retry; a CA can pass them and still keep state
from a refused request:
- the posted key reserved ("an enrolment with this key is in progress") before the
  password is checked and released only when a certificate is issued: the retry with
  the same key, now with the right password, is refused (409, 401, …);
- a pending enrolment (the key, or a certificate prepared while the account is looked
  up) recorded before the check and dropped only on success: the next successful
  enrolment of the alias certifies the REFUSED request's key, not the one it posted;
- an alias marked in progress while its request is parsed, unmarked on 200 and 401 but
  not on 400: after a malformed request the alias is refused for good.
Sequence (the --enroll account; suite keys of their own): a fresh enrolment (not judged
unless 200: a CA that refuses re-enrolment is LEG-CA-3's business), then a wrong
password with key A followed by the right password with A; a wrong password with key B
followed by the right password with key C; the right password with a `public_key` that
is no key (400) followed by the right password with key D. Each right-password request
MUST get 200 and a certificate for its own key. A 429 is throttling (LEG-CA-5 reports
it): not judged here.
"""

from __future__ import annotations

import secrets

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")


def _public_pem(key: RSA.RsaKey) -> bytes:
    return key.public_key().export_key("PEM") + b"\n"


def _issued_for(status: int, answer: bytes) -> RSA.RsaKey | None:
    """The key of the certificate a 200 carries (None when there is none)."""
    if status != 200:
        return None
    try:
        return der.read_certificate_leniently(answer).public_key
    except ValueError:
        return None


@pytest.mark.req("LEG-CA-FMT-2")
def test_a_refused_enrolment_leaves_the_next_one_whole(pki_legacy: LegacyPkiTarget) -> None:
    if not (pki_legacy.ca_url and pki_legacy.enroll and pki_legacy.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = pki_legacy.enroll
    root_pem, url = pki_legacy.root.read_bytes(), pki_legacy.ca_url
    wrong = password + "-" + secrets.token_hex(4)

    def post(secret: str, public_pem: bytes) -> tuple[int, bytes]:
        return pki0.post_verify(url, pki0.verify_body(root_pem, alias, secret, public_pem))

    fresh = pki0.suite_key(5)
    status, answer = post(password, _public_pem(fresh))
    if _issued_for(status, answer) != fresh.public_key():
        pytest.skip(f"not judged: a fresh enrolment of {alias!r} was answered {status} "
                    f"{answer[:40]!r} (the format cases say how)")  # fmt: skip

    steps: list[str] = []
    problems: list[str] = []

    def then_right(before: str, key: RSA.RsaKey, label: str) -> None:
        status, answer = post(password, _public_pem(key))
        if status == 429:
            pytest.skip(f"not judged: after {before} the right password got 429 (throttling, "
                        "LEG-CA-5's business)")  # fmt: skip
        got = _issued_for(status, answer)
        if got is None:
            problems.append(f"after {before}, the right password with {label} was answered "
                            f"{status} {answer[:48]!r}")  # fmt: skip
        elif got != key.public_key():
            problems.append(f"after {before}, the right password with {label} got a "
                            "certificate for another key (the refused request's?)")  # fmt: skip

    def refused(secret: str, public_pem: bytes, label: str, want: int) -> str | None:
        status, _ = post(secret, public_pem)
        if status != want:
            return None  # the status cases judge the refusal itself
        steps.append(label)
        return label

    key_a, key_b, key_c, key_d = (pki0.suite_key(n) for n in (6, 7, 8, 9))
    before = refused(wrong, _public_pem(key_a), "a wrong password with key A (401)", 401)
    if before:
        then_right(before, key_a, "the same key A")
    before = refused(wrong, _public_pem(key_b), "a wrong password with key B (401)", 401)
    if before:
        then_right(before, key_c, "a new key C")
    not_a_key = b"-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n"
    before = refused(password, not_a_key, "the right password with no key (400)", 400)
    if before:
        then_right(before, key_d, "a new key D")
    if not steps:
        pytest.skip("not judged: no refusal was answered 401/400 (the status cases say how)")
    assert not problems, (
        "LEG-CA-FMT-2 (on a known alias with the right password the answer MUST be 200 and "
        f"a certificate for the POSTED public key) violated for {alias!r}: " + "; ".join(problems)
    )
