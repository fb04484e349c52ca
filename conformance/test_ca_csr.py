"""What the organisation CA issues, and which CSRs it must refuse (SPEC §4.2, §4.4).

Every certificate the CA answers with is read field by field (conformance/ca_support.py)
and judged against PKI-CERT-1 and CA-ENR-4/10: subject exactly CN = the alias, the CSR's
key, CA:FALSE, digitalSignature, both EKUs, the root's SHA-256 signature, a positive
serial of at most 20 octets, a validity of at most the configured period. The CSRs come
in families: the subject and extensions a requester may ask for (CA-ENR-4), ways to lack
proof of possession (CA-ENR-3), keys and hashes PKI-CERT-1 does not allow and malformed
requests (CA-ENR-13). Every enrolment uses the right password from a fresh loopback
address, so nothing here is throttled.
"""

from __future__ import annotations

import base64
import itertools
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pytest
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA

from conformance import ca_support as ca
from conformance import x509
from conformance.plugin import run_shared_bytes
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca"), pytest.mark.xdist_group("ca-csr")]

_CODE_SIGNING = "1.3.6.1.5.5.7.3.3"
_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9"
_ANY_EKU = "2.5.29.37.0"
_PRIVATE_OID = "1.3.6.1.4.1.55555.7.1"


@pytest.fixture
def root(pki_target: Target) -> ca.RootInfo:
    ca.ca_address(pki_target)
    return ca.root_info(pki_target)


@pytest.fixture(scope="module")
def rsa_2048(pytestconfig: pytest.Config) -> ca.CsrKey:
    # One key per run, shared by the xdist workers (~0.3-1.5 s of CPU each otherwise).
    pem = run_shared_bytes(
        pytestconfig, "csr-rsa-2048.pem", lambda: bytes(ca.CsrKey.rsa(2048).key.export_key())
    )
    return ca.CsrKey(RSA.import_key(pem), "rsa")


def _fail_on(problems: Iterable[tuple[str, str]], ids: Iterable[str], what: str) -> None:
    wanted = set(ids)
    hits = [(rid, text) for rid, text in problems if rid in wanted]
    if hits:
        # Only the requirements broken (a certificate without key identifiers breaks
        # PKI-CERT-13, not the enrolment itself).
        raise ConformanceFailure(
            f"{what}:\n" + "\n".join(f"{rid}: {text}" for rid, text in hits),
            violates=sorted({rid for rid, _ in hits}),
        )


def _refused_as_bad_csr(target: Target, csr: str, rid: str, what: str) -> None:
    account = ca.enrolee(target)
    answer = ca.enrol(target, account.user, account.password, csr)
    obj = ca.json_body(answer, what)
    if answer.status == 400 and obj.get("error") == "bad_csr":
        return
    detail = answer.describe()
    if answer.status == 200 and isinstance(obj.get("certificate"), str):
        cert = ca.read_issued(obj["certificate"])
        detail = f"HTTP 200, a certificate was issued: serial {cert.serial:#x}"
    raise ConformanceFailure(
        f"{rid}: {what} (right password, from a fresh address): want 400 bad_csr, got {detail}"
    )


# --- what a valid CSR gets (CA-ENR-2, PKI-CERT-1) ---------------------------------------------


@pytest.mark.req("CA-ENR-2", "PKI-CERT-1", "CA-ENR-13", "PKI-CERT-13", "CA-ENR-4")
@pytest.mark.parametrize(
    "kind",
    [
        "ec-p256",
        "rsa-2048",
        "ec-p256-sha384",
        "ec-p256-sha512",
        "rsa-2048-sha384",
        "rsa-2048-pss-sha256",
        "rsa-2048-pss-sha512",
    ],
)
def test_valid_csr_gets_a_certificate_of_the_profile(
    pki_target: Target, root: ca.RootInfo, rsa_2048: ca.CsrKey, kind: str
) -> None:
    """ECDSA P-256 and RSA 2048 (the smallest allowed) both get a PKI-CERT-1 certificate,
    also when the CSR is signed with SHA-384 or SHA-512: CA-ENR-13 refuses hashes weaker
    than SHA-256, not stronger ones (a CA that takes only its own client's SHA-256 does).
    An RSA CSR may be signed with RSASSA-PSS (RFC 4055; the signature TLS 1.3 itself
    makes with an RSA key, PKI-TLS-9): a valid PKCS#10 request of an allowed key and
    hash, which a CA checking signature algorithms against a list of PKCS#1 v1.5 and
    ECDSA identifiers refuses.

    The CSR asks for nothing but CN = the alias, so whatever else its certificate's
    subject holds (the root's O, an OU) the CA added itself: PKI-CERT-1 ("exactly one
    attribute, CN = the alias; the CA adds no O or OU of its own") as well as CA-ENR-4.
    And a certificate for a key other than the CSR's (a key the CA kept from an earlier
    enrolment of the alias) is not the certificate CA-ENR-2 answers for that CSR."""
    account = ca.enrolee(pki_target)
    key = rsa_2048 if kind.startswith("rsa-2048") else ca.CsrKey.ec("P-256")
    hash_name = kind.rsplit("-", 1)[1] if kind.count("-") >= 2 else "sha256"
    if "-pss-" in kind:
        key = ca.CsrKey.rsa_pss(rsa_2048.key)  # the same key, signing with PSS
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)), hash_name=hash_name)
    cert, problems = ca.enrol_and_read(pki_target, account, key, csr, root)
    if cert.subject_attributes != ((ca.OID_CN, account.user),):
        problems.append(
            (
                "PKI-CERT-1",
                f"subject {list(cert.subject_attributes)} for a CSR asking for CN = "
                f"{account.user!r} alone: want exactly that one attribute",
            )
        )
    if cert.spki != key.spki():
        problems.append(("CA-ENR-2", "the certificate's public key is not the CSR's"))
    _fail_on(
        problems,
        ["PKI-CERT-1", "PKI-CERT-13", "CA-ENR-2", "CA-ENR-4"],
        f"the certificate issued for a {kind} CSR",
    )


# --- the CA decides subject and extensions (CA-ENR-4) -----------------------------------------


@pytest.mark.req("CA-ENR-4")
def test_an_employee_certificate_carries_no_subject_alt_name(
    pki_target: Target, root: ca.RootInfo
) -> None:
    """A plain CSR (CN = the alias, nothing requested): the certificate names the alias in
    its CN only. A CA that adds a subjectAltName of its own (DNS = the alias, the habit of
    "modern TLS clients want a SAN") breaks CA-ENR-4's profile, and CA-ENR-17's reason for
    it: an alias in a SAN is a host name to every TLS client, and the CA's own host names
    are checked against the SAN."""
    account = ca.enrolee(pki_target)
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    cert, _problems = ca.enrol_and_read(pki_target, account, key, csr, root)
    san = cert.extension(ca.OID_SAN)
    if san is not None:
        raise ConformanceFailure(
            f"CA-ENR-4: the certificate issued to {account.user!r} for a CSR that asked for "
            f"nothing carries a subjectAltName ({san.value.hex()}): an employee "
            "certificate names its alias in its CN only (CA-ENR-17: it MUST NOT carry one)"
        )


def _fullwidth(text: str) -> str:
    """The same alias in fullwidth forms (`ｓｕｉｔｅ`): NFKC folds it back to `text`."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.req("CA-ENR-4")
@pytest.mark.parametrize(
    "subject",
    [
        "other-cn",
        "extra-attributes",
        "two-cns",
        "empty",
        # The alias spelt another way: a CA that keeps the requester's spelling when it
        # "is" the alias (case-insensitively, stripped, NFKC) issues CN != the alias.
        "cn-upper",
        "cn-padded",
        "cn-fullwidth",
    ],
)
def test_requested_subject_is_ignored(pki_target: Target, root: ca.RootInfo, subject: str) -> None:
    account = ca.enrolee(pki_target)
    names = {
        "cn-upper": ((ca.OID_CN, account.user.upper()),),
        "cn-padded": ((ca.OID_CN, f" {account.user} "),),
        "cn-fullwidth": ((ca.OID_CN, _fullwidth(account.user)),),
        "other-cn": ((ca.OID_CN, "carol"),),
        "extra-attributes": (
            (ca.OID_O, "Evil Corp"),
            (ca.OID_CN, account.user),
            (ca.OID_OU, "admins"),
        ),
        "two-cns": ((ca.OID_CN, account.user), (ca.OID_CN, "carol")),
        "empty": (),
    }[subject]
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name(*names))
    _cert, problems = ca.enrol_and_read(pki_target, account, key, csr, root)
    _fail_on(problems, ["CA-ENR-4"], f"a CSR asking for the subject {list(names)}")


def _requested_extensions() -> list[bytes]:
    dns = [x509._prim(0x82, b"ca.evil.example"), x509._prim(0x82, b"*.example.org")]
    email = [x509._prim(0x81, b"root@evil.example")]
    ku = [ca.KU_BITS[n] for n in ("digitalSignature", "dataEncipherment", "keyCertSign", "cRLSign")]
    return [
        x509._extension(ca.OID_SAN, x509._seq(*dns, *email)),
        x509._extension(
            ca.OID_BASIC_CONSTRAINTS,
            x509._seq(b"\x01\x01\xff", x509._int(5)),  # CA:TRUE, pathlen 5
            critical=True,
        ),
        x509._extension(ca.OID_KEY_USAGE, x509._bit_string_named(ku), critical=True),
        x509._extension(
            ca.OID_EKU,
            x509._seq(
                *(
                    x509._oid(o)
                    for o in (x509.EKU_CLIENT_AUTH, _CODE_SIGNING, _OCSP_SIGNING, _ANY_EKU)
                )
            ),
        ),
        x509._extension(ca.OID_SKI, x509._prim(0x04, b"\x5a" * 20)),
        x509._extension(_PRIVATE_OID, x509._prim(0x04, b"requested by the CSR" * 200)),
    ]


@pytest.mark.req("CA-ENR-4")
def test_requested_extensions_are_ignored(pki_target: Target, root: ca.RootInfo) -> None:
    """SAN, CA:TRUE with a pathlen, keyCertSign, extra EKUs, an SKI, a private extension:
    none may reach the certificate; the CA sets PKI-CERT-1's extensions itself."""
    account = ca.enrolee(pki_target)
    key = ca.CsrKey.ec("P-256")
    requested = _requested_extensions()
    csr = ca.csr_pem(
        key, ca.name((ca.OID_CN, account.user)), attributes=ca.extension_request(requested)
    )
    cert, problems = ca.enrol_and_read(pki_target, account, key, csr, root)
    found = [(rid, text) for rid, text in problems if rid in ("CA-ENR-4", "PKI-CERT-1")]
    copied = []
    asked = {ca._oid(x509._children(ca._tlv(e)[1])[0]): e for e in requested}
    for ext in cert.extensions:
        if ext.oid in asked and ca._tlv(x509._children(ca._tlv(asked[ext.oid])[1])[-1])[1] == (
            ext.value
        ):
            copied.append(ext.oid)
    if copied:
        found.append(("CA-ENR-4", f"extensions copied verbatim from the CSR: {copied}"))
    if cert.extension(_PRIVATE_OID) is not None:
        found.append(("CA-ENR-4", f"the CSR's private extension {_PRIVATE_OID} was issued"))
    san = cert.extension(ca.OID_SAN)
    if san is not None and (b"evil.example" in san.value or b"example.org" in san.value):
        found.append(("CA-ENR-4", f"the CSR's subjectAltName names were issued: {san.value!r}"))
    eku = cert.extension(ca.OID_EKU)
    extra = ca.eku_oids(eku.value) & {_CODE_SIGNING, _OCSP_SIGNING, _ANY_EKU} if eku else set()
    if extra:
        found.append(("CA-ENR-4", f"the CSR's extra EKUs were issued: {sorted(extra)}"))
    ku = cert.extension(ca.OID_KEY_USAGE)
    if ku is not None and "dataEncipherment" in ca.key_usage_bits(ku.value):
        found.append(("CA-ENR-4", "the CSR's KeyUsage dataEncipherment was issued"))
    bc = cert.extension(ca.OID_BASIC_CONSTRAINTS)
    if bc is not None and ca.basic_constraints(bc.value)[1] is not None:
        found.append(("CA-ENR-4", f"a pathlen was issued: {ca.basic_constraints(bc.value)}"))
    _fail_on(
        found,
        ["CA-ENR-4", "PKI-CERT-1"],
        "a CSR asking for SAN, CA:TRUE pathlen 5, keyCertSign, codeSigning, an SKI "
        "and a private extension",
    )


# --- proof of possession (CA-ENR-3) -----------------------------------------------------------


@pytest.mark.req("CA-ENR-3")
@pytest.mark.parametrize("tamper", ["other-data", "other-key", "flipped-bit", "empty"])
def test_csr_without_proof_of_possession_is_refused(pki_target: Target, tamper: str) -> None:
    """The signature must verify with the CSR's own key over its own contents."""
    account = ca.enrolee(pki_target)
    key = ca.CsrKey.ec("P-256")
    subject = ca.name((ca.OID_CN, account.user))
    if tamper == "other-key":  # a well-formed signature, by someone else's key
        csr = ca.csr_pem(key, subject, signer=ca.CsrKey.ec("P-256"))
    else:
        mode = {"other-data": "info", "flipped-bit": "bit", "empty": "empty"}[tamper]
        csr = ca.csr_pem(key, subject, tamper=mode)
    _refused_as_bad_csr(pki_target, csr, "CA-ENR-3", f"a CSR whose signature is {tamper}")


@pytest.mark.req("CA-ENR-3")
@pytest.mark.parametrize("algorithm", ["rsa-sha256", "rsa-sha384", "ec-sha384", "ec-sha512"])
def test_proof_of_possession_is_checked_for_every_key_and_hash(
    pki_target: Target, rsa_2048: ca.CsrKey, algorithm: str
) -> None:
    """A flipped signature bit under every key type and SHA-2 hash the CA may accept: a
    CA that verifies only its own enrolment client's choice (ECDSA with SHA-256) and
    waves the rest through lacks proof of possession for those."""
    account = ca.enrolee(pki_target)
    kind, hash_name = algorithm.split("-")
    key = rsa_2048 if kind == "rsa" else ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)), hash_name=hash_name, tamper="bit")
    _refused_as_bad_csr(
        pki_target, csr, "CA-ENR-3", f"a {algorithm} CSR whose signature has one bit flipped"
    )


@pytest.mark.req("CA-ENR-3")
def test_proof_of_possession_is_checked_again_for_a_known_key(pki_target: Target) -> None:
    """Proof of possession belongs to each request, not to a key: once a key has been
    certified, a CSR holding that same public key whose signature does not verify (made
    by another key, or with one bit flipped) is still a bad CSR. A CA that remembers the
    keys it has seen prove possession (a cache keyed on the key) certifies a public key
    anyone can copy from a certificate."""
    account = ca.enrolee(pki_target)
    key = ca.CsrKey.ec("P-256")
    subject = ca.name((ca.OID_CN, account.user))
    first = ca.enrol(pki_target, account.user, account.password, ca.csr_pem(key, subject))
    if first.status != 200:
        pytest.skip(f"the key's first, valid CSR was not certified: {first.describe()}")
    for what, csr in (
        ("signed by another key", ca.csr_pem(key, subject, signer=ca.CsrKey.ec("P-256"))),
        ("with one signature bit flipped", ca.csr_pem(key, subject, tamper="bit")),
    ):
        _refused_as_bad_csr(
            pki_target,
            csr,
            "CA-ENR-3",
            f"a CSR for a public key the CA certified a moment before, {what}",
        )


# --- keys, hashes and encodings the CA must refuse (CA-ENR-13) --------------------------------


@dataclass(frozen=True)
class _Curve:
    """A short Weierstrass curve y^2 = x^3 + ax + b over GF(p), base point (gx, gy) of
    order n: the 256-bit curves pycryptodome lacks, in plain integers (a CSR is one
    signature, a few milliseconds)."""

    name: str
    oid: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    def add(
        self, one: tuple[int, int] | None, two: tuple[int, int] | None
    ) -> tuple[int, int] | None:
        if one is None or two is None:
            return two if one is None else one
        (x1, y1), (x2, y2) = one, two
        if x1 == x2 and (y1 + y2) % self.p == 0:
            return None
        if one == two:
            slope = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, self.p)
        else:
            slope = (y2 - y1) * pow(x2 - x1, -1, self.p)
        x3 = (slope * slope - x1 - x2) % self.p
        return x3, (slope * (x1 - x3) - y1) % self.p

    def times_g(self, k: int) -> tuple[int, int]:
        result: tuple[int, int] | None = None
        point: tuple[int, int] | None = (self.gx, self.gy)
        while k:
            if k & 1:
                result = self.add(result, point)
            point = self.add(point, point)
            k >>= 1
        assert result is not None
        return result


# 256-bit curves that are not P-256: a CA that checks the curve by its size (256 bits)
# or by a name prefix instead of the curve itself accepts them.
_SECP256K1 = _Curve(
    "secp256k1",
    "1.3.132.0.10",
    2**256 - 2**32 - 977,
    0,
    7,
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
)
_BRAINPOOL_P256R1 = _Curve(
    "brainpoolP256r1",
    "1.3.36.3.3.2.8.1.1.7",
    0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377,
    0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9,
    0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6,
    0x8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262,
    0x547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997,
    0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
)


@dataclass(frozen=True)
class _CurveKey(ca.CsrKey):
    """An ECDSA key on a `_Curve` (`key` is (curve, private scalar)), signing CSRs with
    ECDSA and SHA-256 exactly as for P-256: only the curve is outside PKI-CERT-1."""

    @classmethod
    def on(cls, curve: _Curve) -> _CurveKey:
        return cls((curve, 1 + secrets.randbelow(curve.n - 1)), "ec")

    def spki(self) -> bytes:
        curve, d = self.key
        x, y = curve.times_g(d)
        point = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
        algorithm = x509._seq(x509._oid("1.2.840.10045.2.1"), x509._oid(curve.oid))
        return x509._seq(algorithm, x509._prim(0x03, b"\x00" + point))

    def sign(self, data: bytes, hash_name: str) -> bytes:
        assert hash_name == "sha256"
        curve, d = self.key
        z = int.from_bytes(SHA256.new(data).digest(), "big")
        while True:
            k = 1 + secrets.randbelow(curve.n - 1)
            r = curve.times_g(k)[0] % curve.n
            s = pow(k, -1, curve.n) * (z + r * d) % curve.n
            if r and s:
                return x509._seq(x509._int(r), x509._int(s))


def _rsa_2047() -> bytes:
    """An RSA key of 2047 bits, one below PKI-CERT-1's minimum: a CA that refuses only
    1024-bit keys, or compares the size in whole bytes (256), accepts it."""
    key = RSA.generate(2047)  # noqa: S505 - weak on purpose: the CA must refuse it
    assert key.size_in_bits() == 2047
    return bytes(key.export_key())


@pytest.mark.req("CA-ENR-13")
@pytest.mark.parametrize(
    "kind", ["rsa-1024", "rsa-2047", "p-192", "p-384", "secp256k1", "brainpoolp256r1", "ed25519"]
)
def test_key_outside_the_profile_is_refused(
    pki_target: Target, pytestconfig: pytest.Config, kind: str
) -> None:
    account = ca.enrolee(pki_target)
    makers: dict[str, Callable[[], ca.CsrKey]] = {
        "rsa-1024": lambda: ca.CsrKey.rsa(1024),
        "rsa-2047": lambda: ca.CsrKey(
            RSA.import_key(run_shared_bytes(pytestconfig, "csr-rsa-2047.pem", _rsa_2047)), "rsa"
        ),
        "p-192": lambda: ca.CsrKey.ec("P-192"),
        "p-384": lambda: ca.CsrKey.ec("P-384"),
        "secp256k1": lambda: _CurveKey.on(_SECP256K1),
        "brainpoolp256r1": lambda: _CurveKey.on(_BRAINPOOL_P256R1),
        "ed25519": lambda: ca.CsrKey.ec("Ed25519"),
    }
    key = makers[kind]()
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    _refused_as_bad_csr(pki_target, csr, "CA-ENR-13", f"a correctly signed CSR for a {kind} key")


@pytest.mark.req("CA-ENR-13")
# SHA-224 too: weaker than SHA-256, and what a blocklist of MD5 and SHA-1 lets through.
@pytest.mark.parametrize("algorithm", ["rsa-sha1", "rsa-md5", "ec-sha1", "ec-sha224"])
def test_csr_signed_with_a_weak_hash_is_refused(
    pki_target: Target, rsa_2048: ca.CsrKey, algorithm: str
) -> None:
    account = ca.enrolee(pki_target)
    kind, hash_name = algorithm.split("-")
    key = rsa_2048 if kind == "rsa" else ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)), hash_name=hash_name)
    _refused_as_bad_csr(pki_target, csr, "CA-ENR-13", f"a CSR signed with {algorithm}")


@pytest.mark.req("CA-ENR-13")
@pytest.mark.parametrize(
    "form",
    [
        "empty",
        "garbage-der",
        "a-certificate",
        "trailing-garbage",
        "two-requests",
        "one-request-twice",
        "base64-der",
        "base64-der-one-line",
    ],
)
def test_malformed_csr_is_refused(pki_target: Target, form: str) -> None:
    account = ca.enrolee(pki_target)
    assert pki_target.root is not None
    good = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    der = x509.pem_decode(good, "CERTIFICATE REQUEST")
    csr = {
        "empty": "",
        "garbage-der": x509.pem_encode(b"\x30\x82\x01\x00" + b"\x00" * 16, "CERTIFICATE REQUEST"),
        # The root certificate, under its own label: a certificate is no request.
        "a-certificate": pki_target.root.read_text(),
        "trailing-garbage": x509.pem_encode(der + b"\x05\x00", "CERTIFICATE REQUEST"),
        # Not one request: which would be certified? (A loader that takes the first PEM
        # block and ignores the rest accepts it.)
        "two-requests": good
        + ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user))),
        # The same request pasted twice: still not ONE PEM block (folding repeats first
        # accepts it).
        "one-request-twice": good + good,
        # A valid request without its PEM armour (the body of the PEM block, or its
        # base64 in one line): not a PEM CERTIFICATE REQUEST. A CA that falls back to
        # base64-decoding and loading DER accepts what the SPEC refuses.
        "base64-der": "".join(good.strip().splitlines(keepends=True)[1:-1]),
        "base64-der-one-line": base64.b64encode(der).decode(),
    }[form]
    _refused_as_bad_csr(pki_target, csr, "CA-ENR-13", f"a CSR field holding {form}")


# --- serials and validity (CA-ENR-10) ---------------------------------------------------------


@pytest.mark.req("CA-ENR-10")
def test_serials_are_random_and_validity_is_the_configured_period(
    pki_target: Target, root: ca.RootInfo
) -> None:
    """Six enrolments, four with one key, the last the first's request byte for byte (a
    client's retry): the serials never repeat, look like 64 random bits (no counter, no
    clock, no hash of the key, no answer replayed from a cache) and the validity is as
    configured."""
    account = ca.enrolee(pki_target)
    same = ca.CsrKey.ec("P-256")
    keys = [same, same, same, ca.CsrKey.ec("P-256"), ca.CsrKey.ec("P-256")]
    csrs = [ca.csr_pem(key, ca.name((ca.OID_CN, account.user))) for key in keys]
    keys.append(same)
    csrs.append(csrs[0])
    serials: list[int] = []
    found: list[tuple[str, str]] = []
    for key, csr in zip(keys, csrs, strict=True):
        cert, problems = ca.enrol_and_read(pki_target, account, key, csr, root)
        serials.append(cert.serial)
        found += [(r, t) for r, t in problems if r == "CA-ENR-10"]
    shown = ", ".join(f"{s:#x}" for s in serials)
    if len(set(serials)) != len(serials):
        found.append(
            (
                "CA-ENR-10",
                "a serial repeats (the first three and the last share a key; the last "
                f"repeats the first request byte for byte): {shown}",
            )
        )
    # For 64 random bits each bound below fails with probability <= 2^-24 per serial/pair.
    short = [s for s in serials if s.bit_length() <= 40]
    if short:
        found.append(("CA-ENR-10", f"serials of 40 bits or fewer: {short} (all: {shown})"))
    if max(serials).bit_length() < 60:
        found.append(("CA-ENR-10", f"no serial reaches 60 bits: {shown}"))
    close = [
        (a, b)
        for i, a in enumerate(serials)
        for b in serials[i + 1 :]
        if a != b and (a ^ b).bit_length() <= 40
    ]
    if close:
        found.append(
            (
                "CA-ENR-10",
                f"serials that differ only in their low 40 bits (a counter or a clock): {shown}",
            )
        )
    _fail_on(found, ["CA-ENR-10"], f"{len(keys)} enrolments of {account.user!r}")


# --------------------------------------------------------------------------------------
# RSA keys above the minimum (SPEC §4.2, §4.4).
#
# PKI-CERT-1 and CA-ENR-13 allow RSA keys of *at least* 2048 bits; the cases above enrol
# the smallest allowed (2048). A CA whose key check is an equality (`key_size != 2048`,
# "RSA keys are 2048 bits") refuses every larger key, and a right password with a valid
# CSR for an RSA 3072 key (NIST's 128-bit level, a common default) must be answered 200
# with a certificate of the profile (CA-ENR-2).
# --------------------------------------------------------------------------------------


def _rsa_3072() -> bytes:
    return bytes(RSA.generate(3072).export_key())


@pytest.mark.req("CA-ENR-2", "PKI-CERT-1")
def test_an_rsa_key_above_2048_bits_gets_a_certificate(
    pki_target: Target, pytestconfig: pytest.Config
) -> None:
    ca.ca_address(pki_target)
    root = ca.root_info(pki_target)
    pem = run_shared_bytes(pytestconfig, "csr-rsa-3072.pem", _rsa_3072)
    key = ca.CsrKey(RSA.import_key(pem), "rsa")
    account = ca.enrolee(pki_target)
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    # CA-ENR-2 FAILs inside when the answer is not 200 with a certificate.
    _cert, problems = ca.enrol_and_read(pki_target, account, key, csr, root)
    hits = [(rid, text) for rid, text in problems if rid == "PKI-CERT-1"]
    if hits:
        raise ConformanceFailure(
            "the certificate issued for an RSA 3072 CSR:\n"
            + "\n".join(f"{rid}: {text}" for rid, text in hits),
            violates=sorted({rid for rid, _ in hits}),
        )


# --------------------------------------------------------------------------------------
# Serials: at least 64 RANDOM bits (SPEC §4.4, CA-ENR-10).
#
# The five-serial case above catches short serials, repeats and counters or clocks in the
# low 40 bits. Two habits pass it: 8 random bytes read as a positive signed integer (a
# Java `long`, `randbits(64) & 0x7FFF...`: 63 random bits, the CA/B Forum's 2019 serial
# incident), and a clock shifted left past those 40 bits (`time_ns << 16 | counter`,
# unique and long but not random). A larger sample of one alias's enrolments judges both
# with bounds a CA drawing 64 or more random bits meets but with probability 2^-24 or
# less:
# * some serial of 24 reaches 64 bits: 64 random bits are >= 2^63 half of the time (a CA
#   that pins its top bit, as the reference does, always is);
# * consecutive serials differ above their low 60 bits: for 64 random bits two serials
#   agree on every bit from the 61st up with probability 1/16 per pair; a clock or a
#   counter (behind a random base, or shifted by up to 60 bits) makes them agree every
#   time, so at least half of 23 pairs doing so (probability < 10^-8) is no chance.
# --------------------------------------------------------------------------------------

_SERIAL_SAMPLE = 24


@pytest.mark.req("CA-ENR-10", "CA-ENR-2")
def test_serials_carry_at_least_64_random_bits(pki_target: Target, root: ca.RootInfo) -> None:
    account = ca.enrolee(pki_target)
    serials: list[int] = []
    for _ in range(_SERIAL_SAMPLE):
        # A fresh request each time (a CA may answer a replayed request from a cache).
        key = ca.CsrKey.ec("P-256")
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        answer = ca.enrol(pki_target, account.user, account.password, csr)
        obj = ca.json_body(answer, "enrolment")
        if answer.status != 200 or not isinstance(obj.get("certificate"), str):
            raise ConformanceFailure(
                f"CA-ENR-2: enrolment {len(serials) + 1} of {account.user!r} with the right "
                f"password and a valid CSR: {answer.describe()}",
                violates=["CA-ENR-2"],
            )
        serials.append(ca.read_issued(obj["certificate"]).serial)
    shown = ", ".join(f"{s:#x}" for s in serials)
    found: list[tuple[str, str]] = []
    if len(set(serials)) != len(serials):
        found.append(("CA-ENR-10", f"a serial repeats: {shown}"))
    if max(serials).bit_length() < 64:
        found.append(
            (
                "CA-ENR-10",
                f"none of {len(serials)} serials reaches 64 bits (the longest has "
                f"{max(serials).bit_length()}): fewer than 64 random bits, e.g. 8 random "
                f"bytes read as a positive signed integer (63 bits): {shown}",
            )
        )
    pairs = list(itertools.pairwise(serials))
    low = [(a, b) for a, b in pairs if (a ^ b).bit_length() <= 60]
    if 2 * len(low) >= len(pairs):
        found.append(
            (
                "CA-ENR-10",
                f"{len(low)} of {len(pairs)} consecutive serials differ only in their low 60 "
                f"bits (a clock or a counter, not random bits; random serials do so 1 time "
                f"in 16): {shown}",
            )
        )
    _fail_on(found, ["CA-ENR-10"], f"{len(serials)} enrolments of {account.user!r}")


# --------------------------------------------------------------------------------------
# One enrolment does not shape the next (SPEC §4.4, CA-ENR-2, CA-ENR-4).
#
# A CA that fills a certificate template once (a subject set "if empty", a builder kept
# between requests) names every later certificate after the first alias it enrolled; one
# that keeps an alias's first key ("renewal") certifies that key for every later CSR.
# Every case above enrols the same alias, so neither shows. Two aliases, enrolled in turn
# with a fresh key each: every certificate names its own alias alone and holds its own
# CSR's key.
# --------------------------------------------------------------------------------------


def _second_account(target: Target) -> Account:
    """A second alias the CA knows: a declared enrolment identity, else a fresh user made
    with the CA's administration command (SKIP without either)."""
    if len(target.enroll) > 1:
        return target.enroll[1]
    account = Account(f"sj-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
    ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
    return account


@pytest.mark.req("CA-ENR-4", "CA-ENR-2", "PKI-CERT-1")
def test_each_enrolment_names_its_own_alias_and_key(pki_target: Target, root: ca.RootInfo) -> None:
    first = ca.enrolee(pki_target)
    second = _second_account(pki_target)
    found: list[tuple[str, str]] = []
    for account in (second, first, second, first):
        key = ca.CsrKey.ec("P-256")
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        cert, problems = ca.enrol_and_read(pki_target, account, key, csr, root)
        if cert.subject_attributes != ((ca.OID_CN, account.user),):
            found.append(
                (
                    "PKI-CERT-1",
                    f"{account.user!r} got a certificate whose subject is "
                    f"{list(cert.subject_attributes)}",
                )
            )
        if cert.spki != key.spki():
            found.append(
                (
                    "CA-ENR-2",
                    f"{account.user!r} got a certificate for another key than its CSR's "
                    "(a key kept from an earlier enrolment?)",
                )
            )
        found += [(r, f"{account.user!r}: {t}") for r, t in problems if r == "CA-ENR-4"]
    _fail_on(
        found,
        ["CA-ENR-4", "CA-ENR-2", "PKI-CERT-1"],
        f"enrolments of {second.user!r} and {first.user!r} in turn, a fresh key each",
    )
