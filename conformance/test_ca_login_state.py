"""What a login is judged on, and nothing else (SPEC §4.4: CA-ENR-3, CA-ENR-6,
CA-ENR-11).

A login is the alias exactly as sent, its account's password and the account's state;
a CSR is judged by its own signature. Each case gives a lenient CA something else to go
by:

- a revoked account that never enrolled (no certificate to look at): its right
  password is answered `401` [CA-ENR-11] — revocation is the account's state, not its
  latest certificate's;
- a key the account already holds a certificate for, sent again with an empty or a
  wrong password: not `200` [CA-ENR-6] — holding a certified key is no password;
- the account's alias followed by a lone surrogate or a NUL (JSON escapes), with its
  right password: not `200` [CA-ENR-6] — an unknown alias, whatever a lossy encoder
  or a C string would make of it;
- a login without its password, alias or csr (or with it null) right after the
  account's successful enrolment: not `200` [CA-ENR-6, CA-ENR-13] — nothing is taken
  from an earlier request;
- a CSR whose signature algorithm is no algorithm (an unassigned OID) or not its
  key's: `400 bad_csr` [CA-ENR-3] — a signature the CA cannot check is not verified.

Fresh accounts through `ca_user_add_cmd` (skipped without it), fresh loopback addresses.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-login-state"),
]


def _add(target: Target, alias: str, password: str) -> None:
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    ca.admin_command(target, "add", alias, stdin=password + "\n")


def _account(target: Target, stem: str) -> tuple[str, str]:
    alias = f"{stem}-{secrets.token_hex(5)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    _add(target, alias, password)
    return alias, password


def _csr(alias: str, key: ca.CsrKey | None = None) -> str:
    return ca.csr_pem(key or ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


@pytest.mark.req("CA-ENR-11")
def test_a_revoked_account_that_never_enrolled(pki_target: Target) -> None:
    """A fresh account, revoked before it ever enrolled; its right password: 401."""
    alias, password = _account(pki_target, "revoked-early")
    ca.admin_command(pki_target, "revoke", alias)
    answer = ca.enrol(pki_target, alias, password, _csr(alias))
    if answer.status == 200 or b"BEGIN CERTIFICATE" in answer.body:
        raise ConformanceFailure.evidence(
            f"CA-ENR-11: the account {alias!r}, revoked (revoke command) without ever having "
            "enrolled; then a login with its right password and a valid CSR",
            "401 auth_failed: a revoked alias never enrols again, certificates or not",
            answer.describe(),
        )


@pytest.mark.req("CA-ENR-6")
@pytest.mark.parametrize("which", ["empty", "wrong"])
def test_a_certified_key_is_no_password(pki_target: Target, which: str) -> None:
    """A fresh account enrols key K (200); then a CSR for K again, with an empty or a
    wrong password: not 200."""
    alias, right = _account(pki_target, "key-again")
    key = ca.CsrKey.ec("P-256")
    first = ca.enrol(pki_target, alias, right, _csr(alias, key))
    if first.status != 200:
        pytest.skip(f"the first enrolment of {alias!r} failed: {first.describe()}")
    sent = "" if which == "empty" else f"wrong-{secrets.token_hex(4)}"
    answer = ca.enrol(pki_target, alias, sent, _csr(alias, key))
    if answer.status == 200 or b"BEGIN CERTIFICATE" in answer.body:
        raise ConformanceFailure.evidence(
            f"CA-ENR-6: the account {alias!r} enrolled a key (200); then a CSR for the same "
            f"key with {'an empty' if which == 'empty' else 'a wrong'} password",
            "not 200 (401 auth_failed, or 400 for an empty one): a key already certified "
            "proves nothing about the password",
            answer.describe(),
        )


_ALIAS_TAILS = {
    "lone-high-surrogate": "\\ud800",
    "lone-low-surrogate": "\\udfff",
    "nul-then-more": "\\u0000x",
}


@pytest.mark.req("CA-ENR-6")
@pytest.mark.parametrize("tail", list(_ALIAS_TAILS))
def test_the_alias_extended_is_another_alias(pki_target: Target, tail: str) -> None:
    """A fresh account; its alias followed by `tail` (a JSON escape), with its right
    password: not 200."""
    alias, password = _account(pki_target, "alias-tail")
    sent = json.dumps(alias)[:-1] + _ALIAS_TAILS[tail] + '"'
    body = (
        '{"alias": '
        + sent
        + ', "password": '
        + json.dumps(password)
        + ', "csr": '
        + json.dumps(_csr(alias))
        + "}"
    ).encode("ascii")
    answer = ca.request(
        pki_target,
        "POST",
        "/v1/enroll",
        body,
        source=ca.sources(pki_target).fresh(),
        headers={"Content-Type": "application/json"},
    )
    if answer.status == 200 or b"BEGIN CERTIFICATE" in answer.body:
        raise ConformanceFailure.evidence(
            f"CA-ENR-6: the account {alias!r}; a login as {alias!r} followed by "
            f"{_ALIAS_TAILS[tail]!r} (JSON escape) with the account's right password",
            "not 200: no account has that alias (401, or 400 for an alias of no valid form)",
            answer.describe(),
        )


# A login with one member missing (or null), sent right after the same account's
# successful enrolment: the CA has nothing to go by for that member but what an earlier
# request left behind (a module-level defaults dict updated in place, a handler's
# attributes kept across requests). Its answer is anything but a certificate.
_MEMBERS = {"password": "CA-ENR-6", "alias": "CA-ENR-6", "csr": "CA-ENR-13"}


@pytest.mark.parametrize(
    "member", [pytest.param(m, marks=pytest.mark.req(req)) for m, req in _MEMBERS.items()]
)
def test_a_login_missing_a_member_gets_no_certificate(pki_target: Target, member: str) -> None:
    """A fresh account enrols (200); then the same login without `member`, and with
    `member` null, each from a fresh address: not 200 (an error answer, 400 or 401) — a
    missing password is no password [CA-ENR-6], a missing alias no account [CA-ENR-6], a
    missing csr no PEM CERTIFICATE REQUEST [CA-ENR-13]."""
    alias, password = _account(pki_target, "members")
    first = ca.enrol(pki_target, alias, password, _csr(alias))
    if first.status != 200:
        pytest.skip(f"the first enrolment of {alias!r} failed: {first.describe()}")
    full = {"alias": alias, "password": password, "csr": _csr(alias)}
    issued = []
    for form in ("missing", "null"):
        login: dict[str, object] = {k: v for k, v in full.items() if k != member}
        if form == "null":
            login[member] = None
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            json.dumps(login).encode(),
            source=ca.sources(pki_target).fresh(),
            headers={"Content-Type": "application/json"},
        )
        if answer.status == 200 or b"BEGIN CERTIFICATE" in answer.body:
            issued.append(f"{member} {form}: {answer.describe()[:160]}")
    if issued:
        raise ConformanceFailure.evidence(
            f"{_MEMBERS[member]}: the account {alias!r} enrolled (200); then the same login "
            f"without its {member!r} member, and with it null",
            "not 200 (an error answer): the request lacks what the CA must judge",
            "; ".join(issued),
            note="the CA filled the member from an earlier request (state shared across requests)",
        )


def _csr_with_algorithm(alias: str, key: ca.CsrKey, algorithm: bytes) -> str:
    """A CSR signed by its own key (SHA-256), naming `algorithm` as its signature's."""
    info = x509._seq(x509._int(0), ca.name((ca.OID_CN, alias)), key.spki(), b"\xa0\x00")
    signature = key.sign(info, "sha256")
    der = x509._seq(info, algorithm, x509._prim(0x03, b"\x00" + signature))
    return x509.pem_encode(der, "CERTIFICATE REQUEST")


_ALGORITHMS = {
    # (key kind, AlgorithmIdentifier DER)
    "ec-unassigned-ecdsa-oid": ("ec", x509._seq(x509._oid("1.2.840.10045.4.3.9"))),
    "ec-private-oid": ("ec", x509._seq(x509._oid("1.3.6.1.4.1.55555.1.2"))),
    "rsa-unassigned-pkcs1-oid": (
        "rsa",
        x509._seq(x509._oid("1.2.840.113549.1.1.99"), b"\x05\x00"),
    ),
    "ec-key-rsa-algorithm": ("ec", x509._seq(x509._oid("1.2.840.113549.1.1.11"), b"\x05\x00")),
}


@pytest.mark.req("CA-ENR-3")
@pytest.mark.parametrize("form", list(_ALGORITHMS))
def test_a_signature_algorithm_the_ca_cannot_check(pki_target: Target, form: str) -> None:
    """A fresh account's right password and a CSR whose signature is its key's over
    SHA-256, but whose signatureAlgorithm is an unassigned OID (or the other key type's):
    400 bad_csr."""
    alias, password = _account(pki_target, "sigalg")
    kind, algorithm = _ALGORITHMS[form]
    key = ca.CsrKey.ec("P-256") if kind == "ec" else ca.CsrKey.rsa(2048)
    answer = ca.enrol(pki_target, alias, password, _csr_with_algorithm(alias, key, algorithm))
    code = None
    if answer.body[:1] == b"{":
        try:
            code = json.loads(answer.body).get("error")
        except ValueError:
            code = None
    if answer.status != 400 or code != "bad_csr":
        raise ConformanceFailure.evidence(
            f"CA-ENR-3: the account {alias!r}'s right password and a CSR ({form}) whose "
            "signatureAlgorithm the signature cannot be checked by",
            '400 {"error": "bad_csr"}: a signature the CA cannot verify is not verified',
            answer.describe(),
        )
