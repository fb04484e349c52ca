"""Mutants of the hardening requirements (issue 16): TLS 1.3 parameters [PKI-TLS-9], the
CA's CRL lifetime [CA-ENR-16] and the alias / host-name namespace [CA-ENR-17].

Each is a mistake a hurried implementer makes: a group list widened "for old clients",
a suite list copied from a tutorial, a CRL that lives a month, a host-name check that
forgets the IP addresses, the CN or DNS's trailing dot. Checked by
conformance/test_pki_hardening.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

# OpenSSL 3's default TLS 1.3 groups: what a context that pins nothing negotiates.
_OPENSSL_DEFAULT_GROUPS = "X25519:P-256:X448:P-521:P-384:ffdhe2048:ffdhe3072:ffdhe4096"


def _tls_setting(name: str, value: str) -> Callable[[], None]:
    def apply() -> None:
        setattr(_module("reference.pki.tls"), name, value)

    return apply


def _tls_groups_added(extra: str) -> Callable[[], None]:
    def apply() -> None:
        tls = _module("reference.pki.tls")
        tls.TLS13_GROUPS = f"{tls.TLS13_GROUPS}:{extra}"

    return apply


def _tls_suites_added(extra: str) -> Callable[[], None]:
    def apply() -> None:
        tls = _module("reference.pki.tls")
        tls.TLS13_CIPHERSUITES = f"{tls.TLS13_CIPHERSUITES}:{extra}"

    return apply


def _crl_lifetime(days: float) -> Callable[[], None]:
    """The CA signs CRLs valid for `days` ("a CRL a month saves re-signing")."""

    def apply() -> None:
        ca = _module("reference.pki.ca")
        dt = _module("datetime")
        original = ca.make_crl

        def make_crl(*args: Any, **kwargs: Any) -> Any:
            kwargs["validity"] = dt.timedelta(days=days)
            return original(*args, **kwargs)

        ca.make_crl = make_crl

    return apply


def _crl_window_from_now() -> None:
    """nextUpdate = now + 7 days while thisUpdate is backdated: 7 days and 5 minutes."""
    ca = _module("reference.pki.ca")
    original = ca.make_crl

    def make_crl(*args: Any, **kwargs: Any) -> Any:
        kwargs["validity"] = kwargs.get("validity", ca.CRL_VALIDITY) + ca._BACKDATE
        return original(*args, **kwargs)

    ca.make_crl = make_crl


def _alias_host_unchecked() -> None:
    ca = _module("reference.pki.ca")
    ca.CertificateAuthority.check_not_host_name = lambda self, alias: None


def _alias_host_cn_only() -> None:
    """Compares the alias with the CA certificate's CN only, not its subjectAltName."""
    ca = _module("reference.pki.ca")
    oid = _module("cryptography.x509.oid")

    def host_names(cert: Any) -> frozenset[str]:
        cns = cert.subject.get_attributes_for_oid(oid.NameOID.COMMON_NAME)
        return frozenset(ca._host_key(str(attr.value)) for attr in cns)

    ca._host_names = host_names


def _alias_host_dns_only() -> None:
    """Compares with the SAN's DNS names only: the CA's IP addresses are free aliases."""
    ca = _module("reference.pki.ca")
    x509 = _module("cryptography.x509")

    def host_names(cert: Any) -> frozenset[str]:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return frozenset(ca._host_key(n) for n in san.get_values_for_type(x509.DNSName))

    ca._host_names = host_names


def _alias_host_trailing_dot() -> None:
    """Case-insensitive, but `localhost.` is not `localhost` to it."""
    ca = _module("reference.pki.ca")
    ca._host_key = lambda name: name.lower()


def _mutant(
    name: str,
    requirement: str,
    description: str,
    apply: Callable[[], None],
    *,
    ca: bool = False,
    client: bool = False,
    default: bool = False,
    strict: bool = False,
) -> Mutant:
    return Mutant(
        name,
        "hardening",
        "pki",
        requirement,
        "test_pki_hardening.py",
        description,
        apply,
        default=default,
        ca=ca,
        client=client,
        strict=strict,
    )


MUTANTS: tuple[Mutant, ...] = (
    _mutant(
        "hard-tls-groups-library-default",
        "PKI-TLS-9",
        "the responder pins no groups: OpenSSL's defaults (ffdhe*, x448, P-521) pass",
        _tls_setting("TLS13_GROUPS", _OPENSSL_DEFAULT_GROUPS),
        default=True,
    ),
    _mutant(
        "hard-tls-groups-ffdhe",
        "PKI-TLS-9",
        "the responder adds ffdhe2048 to its groups 'for old clients'",
        _tls_groups_added("ffdhe2048"),
    ),
    _mutant(
        "hard-tls-groups-ffdhe3072",
        "PKI-TLS-9",
        "the responder adds ffdhe3072 (the 'stronger' finite-field group) to its groups",
        _tls_groups_added("ffdhe3072"),
    ),
    _mutant(
        "hard-tls-groups-p521",
        "PKI-TLS-9",
        "the responder also accepts secp521r1",
        _tls_groups_added("P-521"),
    ),
    _mutant(
        "hard-tls-groups-x448",
        "PKI-TLS-9",
        "the responder also accepts x448",
        _tls_groups_added("X448"),
    ),
    _mutant(
        "hard-tls-suites-ccm8",
        "PKI-TLS-9",
        "the responder enables TLS_AES_128_CCM_8_SHA256 (64-bit tag) 'for IoT peers'",
        _tls_suites_added("TLS_AES_128_CCM_8_SHA256"),
    ),
    _mutant(
        "hard-tls-suites-ccm",
        "PKI-TLS-9",
        "the responder enables every TLS 1.3 suite, TLS_AES_128_CCM_SHA256 included",
        _tls_suites_added("TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"),
    ),
    _mutant(
        "hard-tls-ca-groups-library-default",
        "PKI-TLS-9",
        "the CA's HTTPS context pins no groups (only the peer's does)",
        _tls_setting("TLS13_GROUPS", _OPENSSL_DEFAULT_GROUPS),
        ca=True,
    ),
    _mutant(
        "hard-tls-ca-suites-ccm8",
        "PKI-TLS-9",
        "the CA enables TLS_AES_128_CCM_8_SHA256",
        _tls_suites_added("TLS_AES_128_CCM_8_SHA256"),
        ca=True,
    ),
    _mutant(
        "hard-tls-client-groups-library-default",
        "PKI-TLS-9",
        "the initiator pins no groups: it offers OpenSSL's ffdhe*, x448 and P-521",
        _tls_setting("TLS13_GROUPS", _OPENSSL_DEFAULT_GROUPS),
        client=True,
    ),
    _mutant(
        "hard-tls-client-suites-ccm8",
        "PKI-TLS-9",
        "the initiator offers TLS_AES_128_CCM_8_SHA256 as well",
        _tls_suites_added("TLS_AES_128_CCM_8_SHA256"),
        client=True,
    ),
    _mutant(
        "hard-tls-client-sigalgs-library-default",
        "PKI-TLS-11",
        "the initiator pins no signature algorithms (Ed25519, P-384, PKCS#1 SHA-1 offered)",
        _tls_setting(
            "TLS13_SIGALGS",
            "ECDSA+SHA256:ECDSA+SHA384:ed25519:rsa_pss_rsae_sha256:"
            "rsa_pss_pss_sha256:RSA+SHA256:RSA+SHA1",
        ),
        client=True,
        strict=True,  # the offer is PKI-TLS-11, a SHOULD
    ),
    _mutant(
        "hard-ca-crl-30-days",
        "CA-ENR-16",
        "the CA signs CRLs valid for 30 days",
        _crl_lifetime(30),
        ca=True,
    ),
    _mutant(
        "hard-ca-crl-window-from-now",
        "CA-ENR-16",
        "nextUpdate = now + 7 days with a backdated thisUpdate: valid 7 days 5 minutes",
        _crl_window_from_now,
        ca=True,
    ),
    _mutant(
        "hard-ca-alias-host-unchecked",
        "CA-ENR-17",
        "the CA enrols an alias equal to its own host name",
        _alias_host_unchecked,
        ca=True,
    ),
    _mutant(
        "hard-ca-alias-host-cn-only",
        "CA-ENR-17",
        "the CA compares aliases with its certificate's CN only, not its subjectAltName",
        _alias_host_cn_only,
        ca=True,
    ),
    _mutant(
        "hard-ca-alias-host-dns-only",
        "CA-ENR-17",
        "the CA compares aliases with its DNS names only: its IP address is a free alias",
        _alias_host_dns_only,
        ca=True,
    ),
    _mutant(
        "hard-ca-alias-host-trailing-dot",
        "CA-ENR-17",
        "the CA compares aliases with its names without dropping DNS's trailing dot",
        _alias_host_trailing_dot,
        ca=True,
    ),
)
