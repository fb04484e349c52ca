"""sft-pki/0's bare public key never reaches the modern CA's issuing (docs/SPEC.md §4.4,
CA-ENR-3, CA-ENR-13; §7.2, LEG-CA-2).

The legacy CA certified whatever `public_key` it was posted (LEG-CA-2: no proof of
possession). CA-ENR-3: the sft-pki/1 CA MUST verify the CSR's signature — its proof that
the requester holds the key — and CA-ENR-13 refuses with `400 bad_csr` a `csr` that is not
one PEM `CERTIFICATE REQUEST` holding a well-formed PKCS#10 request. A CA that "keeps old
clients working" lets the legacy form in beside the modern one: a `public_key` member
taken when `csr` is missing, a `csr` member holding a `PUBLIC KEY` PEM (or its DER under
the CSR's label), or a `public_key` beside a valid CSR that picks the key certified. Each
certifies a key nobody proved to hold: an attacker who knows an account's password (or
replays a legacy request, LEG-CA-3) gets a certificate for the victim's public key or any
key they like.

With a fresh account's right password (the enrolee's when the target declares no
`ca_user_add_cmd`), a fresh P-256 key K:

- no `csr`, `public_key` = K's SubjectPublicKeyInfo PEM: no certificate (a `400`);
- `csr` = K's `PUBLIC KEY` PEM, and K's SPKI DER under `CERTIFICATE REQUEST`: `400
  bad_csr` each;
- a valid CSR for key C and `public_key` = K's PEM: `200` with a certificate for C (the
  member is ignored), never for K.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-bare-key-requests"),
]


def _account(target: Target) -> Account:
    if target.ca_user_add_cmd:
        account = Account(f"barekey-{secrets.token_hex(5)}", f"pw-{secrets.token_urlsafe(12)}")
        ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
        return account
    return ca.enrolee(target)


def _post(target: Target, members: dict[str, str]) -> ca.CaAnswer:
    return ca.request(
        target,
        "POST",
        "/v1/enroll",
        json.dumps(members).encode(),
        source=ca.sources(target).fresh(),
        headers={"Content-Type": "application/json"},
    )


def _certified_spki(answer: ca.CaAnswer) -> bytes | None:
    """The SubjectPublicKeyInfo of the certificate a 200 carries (None: no certificate)."""
    if answer.status != 200:
        return None
    try:
        obj = json.loads(answer.body)
    except ValueError:
        return None
    pem = obj.get("certificate") if isinstance(obj, dict) else None
    return ca.read_issued(pem).spki if isinstance(pem, str) else None


@pytest.mark.req("CA-ENR-3", "CA-ENR-13")
def test_a_bare_public_key_is_never_certified(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    account = _account(pki_target)
    bare = ca.CsrKey.ec("P-256")
    bare_pem = str(bare.key.public_key().export_key(format="PEM"))
    spki_as_csr = x509.pem_encode(bare.spki(), "CERTIFICATE REQUEST")
    login = {"alias": account.user, "password": account.password}
    bad: list[str] = []
    for what, members, want_bad_csr in (
        ("no csr, a public_key member (sft-pki/0's form)", {**login, "public_key": bare_pem},
         False),
        ("csr holding a PUBLIC KEY PEM", {**login, "csr": bare_pem}, True),
        ("csr holding the SPKI DER under the CERTIFICATE REQUEST label",
         {**login, "csr": spki_as_csr}, True),
    ):
        answer = _post(pki_target, members)
        if _certified_spki(answer) is not None or answer.status == 200:
            bad.append(f"{what}: certified ({answer.status})")
            continue
        if answer.status != 400:
            bad.append(f"{what}: {answer.describe()}")
            continue
        if want_bad_csr:
            obj = ca.json_body(answer, what)
            if obj.get("error") != "bad_csr":
                bad.append(f"{what}: 400 {obj.get('error')!r}, want 'bad_csr'")
    if bad:
        raise ConformanceFailure.evidence(
            f"CA-ENR-3: the right password of {account.user!r} with a bare public key in "
            "place of a CSR",
            "400 (bad_csr where a csr member is not a PKCS#10 request): no key is certified "
            "without its proof of possession",
            "; ".join(bad),
        )
    # The modern request still works: else the refusals above prove nothing.
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    answer = _post(pki_target, {**login, "csr": csr, "public_key": bare_pem})
    certified = _certified_spki(answer)
    if certified is None:
        pytest.skip(
            f"a valid CSR with a public_key member beside it was answered "
            f"{answer.describe()} (a valid CSR's enrolment is judged elsewhere)"
        )
    if certified != key.spki():
        raise ConformanceFailure.evidence(
            f"CA-ENR-3: the right password of {account.user!r}, a valid CSR for key C and a "
            "public_key member holding another key K",
            "a certificate for C, the key the CSR proves (the member ignored)",
            "a certificate for K" if certified == bare.spki() else "a certificate for "
            "another key",
        )
