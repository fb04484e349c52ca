"""Mutants of sft-pki/1: TLS channel, certificates, identities (responder and initiator).

Each is a plausible implementer's bug, planted by monkeypatching the reference inside the
mutant's own subprocess (see conformance/selftest/mutants.py); the suite must FAIL the
named requirement. A mutant process runs one role only (`peer serve` or `get`), so a patch
of the shared reference.pki.tls module touches only that role.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

# OpenSSL's X509_V_FLAG_NO_CHECK_TIME: Python's ssl takes the raw flag value.
_NO_CHECK_TIME = 0x200000


def _bare_close(sock: Any, timeout: float = 1.0) -> None:
    """`close_tls` as written by someone who thinks closing the socket is enough."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def _patch_context(module: str, name: str, change: Callable[[Any], None]) -> None:
    """Wraps the context factory `module.name` so that `change(ctx)` runs on each one."""
    target = _module(module)
    original = getattr(target, name)

    def build(*args: Any, **kwargs: Any) -> Any:
        ctx = original(*args, **kwargs)
        change(ctx)
        return ctx

    setattr(target, name, build)


# ---------------------------------------------------------------- the responder


def _responder_bare_fin() -> None:
    _module("reference.pki.peer").close_tls = _bare_close


def _responder_bare_fin_on_eof() -> None:
    """Responder.run returns on the initiator's EOF; the mutant closes bare there only."""
    peer = _module("reference.pki.peer")
    transfer = _module("reference.transfer")
    original_next = transfer._Channel.next_event
    original_close = peer.close_tls
    eof_seen: set[int] = set()

    def next_event(self: Any) -> Any:
        event = original_next(self)
        if event is transfer.CLOSED:
            eof_seen.add(id(self.stream))
        return event

    def close_tls(sock: Any, timeout: float = 1.0) -> None:
        if id(sock) in eof_seen:
            eof_seen.discard(id(sock))
            _bare_close(sock)
        else:
            original_close(sock, timeout)

    transfer._Channel.next_event = next_event
    peer.close_tls = close_tls


def _responder_no_time_check() -> None:
    # "Clock skew on the laptops made handshakes fail": validity dates never checked.
    def no_time(ctx: Any) -> None:
        ctx.verify_flags = ctx.verify_flags | _NO_CHECK_TIME

    _patch_context("reference.pki.peer", "server_context", no_time)


def _lenient_certificate_check(*, eku_optional: bool = False, ca_ok: bool = False) -> None:
    """`check_peer_certificate` with one of its checks relaxed."""
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    original = tls.check_peer_certificate

    def check(der: bytes | None, *, as_server: bool) -> str:
        if der is not None:
            cert = x509.load_der_x509_certificate(der)
            if eku_optional:
                try:  # "no EKU means any purpose", as OpenSSL has it
                    cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
                except x509.ExtensionNotFound:
                    return str(tls._common_name(cert))
            if ca_ok:
                return str(tls._common_name(cert))  # only OpenSSL's chain checks remain
        result: str = original(der, as_server=as_server)
        return result

    tls.check_peer_certificate = check


def _responder_eku_optional() -> None:
    _lenient_certificate_check(eku_optional=True)


def _responder_ca_true_accepted() -> None:
    _lenient_certificate_check(ca_ok=True)


def _crl_first_entry_only(module: str, context: str) -> None:
    """Revocation checked by hand, with the classic loop bug: the `else` gives up after
    comparing the first CRL entry. `module.context` builds the TLS context."""
    peer = _module(module)
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    latest: list[bytes] = []
    original_context = getattr(peer, context)
    original_alias = peer.peer_alias

    def server_context(identity: Any, crl_der: bytes) -> Any:
        latest[:] = [crl_der]
        return original_context(identity, None)  # OpenSSL no longer checks the CRL

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        alias: str = original_alias(sock, as_server=as_server)
        serial = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True)).serial_number
        for entry in x509.load_der_x509_crl(latest[0]):
            if entry.serial_number == serial:
                raise tls.CertificateRefused(f"{alias}'s certificate was revoked")
            else:  # the bug being planted: gives up after the first entry
                break
        return alias

    setattr(peer, context, server_context)
    peer.peer_alias = peer_alias


def _dates_only(module: str, context: str) -> None:
    """Validity checked by hand on calendar dates (`not_valid_after.date() < today`);
    OpenSSL's own time check switched off (NO_CHECK_TIME)."""
    target = _module(module)
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    dt = _module("datetime")
    original_alias = target.peer_alias

    def no_time(ctx: Any) -> None:
        ctx.verify_flags = ctx.verify_flags | _NO_CHECK_TIME

    _patch_context(module, context, no_time)

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
        today = dt.datetime.now(dt.UTC).date()
        if not cert.not_valid_before_utc.date() <= today <= cert.not_valid_after_utc.date():
            raise tls.CertificateRefused("the certificate is not valid today")
        result: str = original_alias(sock, as_server=as_server)
        return result

    target.peer_alias = peer_alias


def _responder_crl_first_entry_only() -> None:
    _crl_first_entry_only("reference.pki.peer", "server_context")


def _initiator_crl_first_entry_only() -> None:
    _crl_first_entry_only("reference.pki.client", "client_context")


def _weak_crypto_allowed() -> None:
    # "Old peers still have RSA-1024 keys": security level 0 and no own algorithm check.
    def weak(ctx: Any) -> None:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")

    tls = _module("reference.pki.tls")
    original = tls._base_context

    def base_context(protocol: int) -> Any:
        ctx = original(protocol)
        weak(ctx)
        return ctx

    tls._base_context = base_context
    tls._check_algorithms = lambda cert, alias: None


def _responder_alpn_optional() -> None:
    peer = _module("reference.pki.peer")
    tls = _module("reference.pki.tls")

    def peer_alias(sock: Any, *, as_server: bool) -> str:  # ALPN "is only a hint"
        if sock.version() != "TLSv1.3":
            raise tls.CertificateRefused("the peer did not negotiate TLS 1.3")
        result: str = tls.check_peer_certificate(
            sock.getpeercert(binary_form=True), as_server=as_server
        )
        return result

    peer.peer_alias = peer_alias


def _responder_refusal_keeps_connection() -> None:
    """After `EROR auth_failed` the responder waits for the client to hang up."""
    peer = _module("reference.pki.peer")
    tls = _module("reference.pki.tls")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    original = peer.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        try:
            result: str = original(sock, as_server=as_server)
            return result
        except tls.CertificateRefused:
            frame = messages.ErrorFrame(errors.ErrorCode.AUTH_FAILED, "authentication failed")
            with contextlib.suppress(OSError):
                sock.sendall(messages.encode_message(frame))
                sock.settimeout(30.0)
                for _ in range(1000):  # drain until the client gives up
                    if not sock.recv(4096):
                        break
            raise

    peer.peer_alias = peer_alias


class _JoinedAllowList(tuple):  # type: ignore[type-arg]
    """`alias in allow` on the comma-joined list: a substring test."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and item in ",".join(self)


def _responder_allow_substring() -> None:
    peer = _module("reference.pki.peer")
    original = peer.PeerServer.__init__

    def init(self: Any, identity: Any, config: Any, *args: Any, **kwargs: Any) -> None:
        config = dataclasses.replace(config, allow=_JoinedAllowList(config.allow))
        original(self, identity, config, *args, **kwargs)

    peer.PeerServer.__init__ = init


def _responder_allow_gets_only() -> None:
    """The allow list guards the share only: an outsider's put is accepted."""
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")
    original = transfer.Responder.run

    def run(self: Any) -> None:
        if not self.policy.authorised:
            refusal = self.policy.refusal
            self.policy = dataclasses.replace(self.policy, authorised=True)

            def get(request: Any) -> None:
                self._refuse(errors.RemoteProtocolError(errors.ErrorCode.FORBIDDEN, refusal))

            self._get = get
        original(self)

    transfer.Responder.run = run


# ---------------------------------------------------------------- the initiator


def _initiator_no_crl() -> None:
    client = _module("reference.pki.client")
    tls = _module("reference.pki.tls")
    original = client.client_context

    def client_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        # "The CRL made handshakes fail when the CA was slow": chain only.
        ctx.verify_flags = ctx.verify_flags & ~tls.ssl.VERIFY_CRL_CHECK_LEAF
        return ctx

    client.client_context = client_context


def _initiator_cert_none() -> None:
    ssl = _module("ssl")

    def no_verify(ctx: Any) -> None:
        ctx.verify_mode = ssl.CERT_NONE  # alias and extensions are still checked

    _patch_context("reference.pki.client", "client_context", no_verify)


def _initiator_system_trust() -> None:
    def also_system(ctx: Any) -> None:
        ctx.load_default_certs()  # "as create_default_context() does"

    _patch_context("reference.pki.client", "client_context", also_system)


def _initiator_issuer_name_only() -> None:
    """No OpenSSL verification; a hand-written check compares the issuer DN with the
    root's subject and the dates, but never verifies the signature."""
    client = _module("reference.pki.client")
    tls = _module("reference.pki.tls")
    ssl = _module("ssl")
    x509 = _module("cryptography.x509")
    dt = _module("datetime")
    roots: list[Any] = []
    original_context = client.client_context
    original_alias = client.peer_alias

    def client_context(identity: Any, crl_der: bytes) -> Any:
        roots[:] = [x509.load_pem_x509_certificate(identity.root.read_bytes())]
        ctx = original_context(identity, crl_der)
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
        now = dt.datetime.now(dt.UTC)
        if cert.issuer != roots[0].subject:
            raise tls.CertificateRefused("not issued by the organisation root")
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise tls.CertificateRefused("expired or not yet valid")
        result: str = original_alias(sock, as_server=as_server)
        return result

    client.client_context = client_context
    client.peer_alias = peer_alias


class _LenientName(str):
    """The CN as a confused implementation compares it with the alias asked for."""

    match: Callable[[str, str], bool] = staticmethod(lambda cn, alias: cn == alias)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and type(self).match(str(self), other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


def _initiator_alias_match(match: Callable[[Any, str], bool]) -> None:
    """PkiSession checks `name != self.alias`; the mutant's `name` compares with `match`
    (given the certificate, the alias asked for)."""
    client = _module("reference.pki.client")
    x509 = _module("cryptography.x509")
    tls = _module("reference.pki.tls")
    original = client.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        try:
            cn: str = original(sock, as_server=as_server)
        except tls.CertificateRefused:
            raise
        cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))

        class Name(_LenientName):
            pass

        Name.match = staticmethod(lambda _cn, alias: match(cert, alias))
        return Name(cn)

    client.peer_alias = peer_alias


def _initiator_alias_prefix() -> None:
    oid = _module("cryptography.x509.oid").NameOID

    def prefix(cert: Any, alias: str) -> bool:
        cn = str(cert.subject.get_attributes_for_oid(oid.COMMON_NAME)[0].value)
        return cn.startswith(alias) or alias.startswith(cn)  # "tolerates suffixes"

    _initiator_alias_match(prefix)


def _initiator_alias_anywhere_in_subject() -> None:
    def anywhere(cert: Any, alias: str) -> bool:
        return any(attr.value == alias for attr in cert.subject)

    _initiator_alias_match(anywhere)


def _initiator_alias_from_san() -> None:
    x509 = _module("cryptography.x509")
    oid = _module("cryptography.x509.oid").NameOID

    def like_a_host_name(cert: Any, alias: str) -> bool:
        # "Like HTTPS": subjectAltName first, the CN only without one.
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return str(cert.subject.get_attributes_for_oid(oid.COMMON_NAME)[0].value) == alias
        return alias in san.get_values_for_type(x509.DNSName)

    _initiator_alias_match(like_a_host_name)


def _initiator_eku_optional() -> None:
    _lenient_certificate_check(eku_optional=True)


def _initiator_ca_true_accepted() -> None:
    _lenient_certificate_check(ca_ok=True)


def _initiator_no_time_check() -> None:
    def no_time(ctx: Any) -> None:
        ctx.verify_flags = ctx.verify_flags | _NO_CHECK_TIME

    _patch_context("reference.pki.client", "client_context", no_time)


def _initiator_bare_fin() -> None:
    _module("reference.pki.client").close_tls = _bare_close


def _initiator_tls12_allowed() -> None:
    client = _module("reference.pki.client")
    tls = _module("reference.pki.tls")
    ssl = _module("ssl")

    def tls12(ctx: Any) -> None:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # "the context handles versions"

    _patch_context("reference.pki.client", "client_context", tls12)

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        if sock.selected_alpn_protocol() != tls.ALPN:
            raise tls.CertificateRefused("no ALPN")
        result: str = tls.check_peer_certificate(
            sock.getpeercert(binary_form=True), as_server=as_server
        )
        return result

    client.peer_alias = peer_alias


def _initiator_refusal_bare_fin() -> None:
    """A refused responder is dropped with `sock.close()`; transfers still end cleanly."""
    client = _module("reference.pki.client")
    original = client.PkiSession._connect

    def connect(self: Any, context: Any, host: str, port: int) -> Any:
        saved, client.close_tls = client.close_tls, _bare_close
        try:
            return original(self, context, host, port)
        finally:
            client.close_tls = saved

    client.PkiSession._connect = connect


def _initiator_alpn_optional() -> None:
    client = _module("reference.pki.client")
    tls = _module("reference.pki.tls")

    def peer_alias(sock: Any, *, as_server: bool) -> str:  # the version, not the ALPN
        if sock.version() != "TLSv1.3":
            raise tls.CertificateRefused("the peer did not negotiate TLS 1.3")
        result: str = tls.check_peer_certificate(
            sock.getpeercert(binary_form=True), as_server=as_server
        )
        return result

    client.peer_alias = peer_alias


def _cn_case_folded() -> None:
    """ "Aliases are case-insensitive, like e-mail addresses": the CN is lower-cased
    before every check."""
    tls = _module("reference.pki.tls")
    original = tls._common_name
    tls._common_name = lambda cert: str(original(cert)).lower()


def _pick_one_cn(index: int) -> None:
    """The CN read as many do: `dict(x[0] for x in getpeercert()["subject"])` keeps the
    last CN (index -1); `get_attributes_for_oid(CN)[0]` the first. No "exactly one"."""
    tls = _module("reference.pki.tls")
    oid = _module("cryptography.x509.oid").NameOID

    def common_name(cert: Any) -> str:
        names = cert.subject.get_attributes_for_oid(oid.COMMON_NAME)
        if not names:
            raise tls.CertificateRefused("the certificate has no common name")
        return str(names[index].value)

    tls._common_name = common_name


def _responder_alias_from_san() -> None:
    """The client's alias read "like a host name": its subjectAltName first."""
    tls = _module("reference.pki.tls")
    x509 = _module("cryptography.x509")
    original = tls._common_name

    def common_name(cert: Any) -> str:
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return str(original(cert))
        names = san.get_values_for_type(x509.DNSName)
        return str(names[0]) if names else str(original(cert))

    tls._common_name = common_name


def _responder_client_cert_optional() -> None:
    """CERT_OPTIONAL ("some tools connect without a certificate"): no certificate is
    the anonymous employee, which the allow list then judges."""
    ssl = _module("ssl")
    tls = _module("reference.pki.tls")
    original = tls.check_peer_certificate

    def optional(ctx: Any) -> None:
        ctx.verify_mode = ssl.CERT_OPTIONAL

    _patch_context("reference.pki.peer", "server_context", optional)

    def check(der: bytes | None, *, as_server: bool) -> str:
        if der is None:
            return "anonymous"
        result: str = original(der, as_server=as_server)
        return result

    tls.check_peer_certificate = check


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    client = bool(kw.pop("client", False))
    group = "pki-client" if client else "pki"
    return Mutant(
        name, group, "pki", requirement, test_file, description, apply, client=client, **kw
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "pki-responder-bare-fin",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "the responder ends every connection with a bare TCP close, never close_notify",
        _responder_bare_fin,
    ),
    _m(
        "pki-responder-no-time-check",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "the responder sets NO_CHECK_TIME: expired and not-yet-valid client certs pass",
        _responder_no_time_check,
    ),
    _m(
        "pki-responder-dates-only",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "validity compared on calendar dates: expired hours ago is still 'today'",
        lambda: _dates_only("reference.pki.peer", "server_context"),
    ),
    _m(
        "pki-initiator-dates-only",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "the initiator compares validity on calendar dates only",
        lambda: _dates_only("reference.pki.client", "client_context"),
        client=True,
    ),
    _m(
        "pki-responder-eku-optional",
        "PKI-CERT-5",
        "test_pki_certs.py",
        "a client certificate without any EKU is accepted (OpenSSL's 'any purpose')",
        _responder_eku_optional,
    ),
    _m(
        "pki-responder-ca-true-accepted",
        "PKI-CERT-6",
        "test_pki_certs.py",
        "the responder relies on OpenSSL alone: a CA:TRUE leaf from the root passes",
        _responder_ca_true_accepted,
    ),
    _m(
        "pki-responder-crl-first-entry-only",
        "PKI-CERT-11",
        "test_pki_certs.py",
        "own revocation loop returns after the first CRL entry (else: break)",
        _responder_crl_first_entry_only,
    ),
    _m(
        "pki-responder-weak-crypto",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "security level 0 for old peers: RSA-1024 and SHA-1 client certificates pass",
        _weak_crypto_allowed,
    ),
    _m(
        "pki-responder-alpn-optional",
        "PKI-TLS-2",
        "test_pki_tls.py",
        "the responder never checks that ALPN sft-pki/1 was negotiated",
        _responder_alpn_optional,
    ),
    _m(
        "pki-responder-refusal-keeps-connection",
        "ERR-3",
        "test_pki_certs.py",
        "after EROR auth_failed the responder waits for the client to hang up",
        _responder_refusal_keeps_connection,
    ),
    _m(
        "pki-responder-allow-substring",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the allow list is matched as a substring of the comma-joined aliases",
        _responder_allow_substring,
    ),
    _m(
        "pki-responder-allow-gets-only",
        "PKI-ID-3",
        "test_pki_identity.py",
        "an employee not on the allow list may still put",
        _responder_allow_gets_only,
    ),
    _m(
        "pki-initiator-no-crl",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "the initiator fetches the CRL but checks the chain only",
        _initiator_no_crl,
        client=True,
    ),
    _m(
        "pki-initiator-crl-first-entry-only",
        "PKI-CERT-11",
        "test_pki_certs.py",
        "own revocation loop in the initiator returns after the first CRL entry",
        _initiator_crl_first_entry_only,
        client=True,
    ),
    _m(
        "pki-responder-bare-fin-on-eof",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "when the initiator closes first, the responder just closes the socket",
        _responder_bare_fin_on_eof,
    ),
    _m(
        "pki-initiator-cert-none",
        "PKI-CERT-4",
        "test_pki_certs.py",
        "the initiator does not verify the chain (CERT_NONE); alias and EKU still checked",
        _initiator_cert_none,
        client=True,
    ),
    _m(
        "pki-initiator-system-trust",
        "PKI-TLS-4",
        "test_pki_certs.py",
        "the initiator trusts the system store besides the organisation root",
        _initiator_system_trust,
        client=True,
    ),
    _m(
        "pki-initiator-issuer-name-only",
        "PKI-CERT-10",
        "test_pki_certs.py",
        "hand-written chain check: issuer DN equals the root's subject, dates; no signature",
        _initiator_issuer_name_only,
        client=True,
    ),
    _m(
        "pki-initiator-alias-prefix",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the alias matches when one of CN and alias is a prefix of the other",
        _initiator_alias_prefix,
        client=True,
    ),
    _m(
        "pki-initiator-alias-anywhere-in-subject",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the alias matches any attribute of the subject (O, OU, CN)",
        _initiator_alias_anywhere_in_subject,
        client=True,
    ),
    _m(
        "pki-initiator-alias-from-san",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the alias is matched like a host name: subjectAltName first",
        _initiator_alias_from_san,
        client=True,
    ),
    _m(
        "pki-initiator-eku-optional",
        "PKI-CERT-5",
        "test_pki_certs.py",
        "a responder certificate without any EKU is accepted",
        _initiator_eku_optional,
        client=True,
    ),
    _m(
        "pki-initiator-ca-true-accepted",
        "PKI-CERT-6",
        "test_pki_certs.py",
        "the initiator relies on OpenSSL alone: a CA:TRUE leaf from the root passes",
        _initiator_ca_true_accepted,
        client=True,
    ),
    _m(
        "pki-initiator-no-time-check",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "the initiator sets NO_CHECK_TIME: an expired responder certificate passes",
        _initiator_no_time_check,
        client=True,
    ),
    _m(
        "pki-initiator-weak-crypto",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "the initiator runs at security level 0 without its own algorithm check",
        _weak_crypto_allowed,
        client=True,
    ),
    _m(
        "pki-initiator-bare-fin",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "the initiator ends with a bare TCP close instead of close_notify",
        _initiator_bare_fin,
        client=True,
    ),
    _m(
        "pki-initiator-refusal-bare-fin",
        "PKI-TLS-7",
        "test_pki_identity.py",
        "the initiator drops a refused responder with a bare close (no close_notify)",
        _initiator_refusal_bare_fin,
        client=True,
    ),
    _m(
        "pki-initiator-alpn-optional",
        "PKI-TLS-2",
        "test_pki_tls.py",
        "the initiator never checks that ALPN sft-pki/1 was selected",
        _initiator_alpn_optional,
        client=True,
    ),
    _m(
        "pki-responder-cn-case-folded",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the responder lower-cases the client's CN: SUITE is served as suite",
        _cn_case_folded,
    ),
    _m(
        "pki-initiator-cn-case-folded",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the initiator lower-cases the responder's CN: ALICE passes for alice",
        _cn_case_folded,
        client=True,
    ),
    _m(
        "pki-initiator-last-cn",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the initiator reads the CN as dict(subject) does: the last CN wins",
        lambda: _pick_one_cn(-1),
        client=True,
    ),
    _m(
        "pki-responder-first-cn",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the responder takes the first of several CNs as the alias",
        lambda: _pick_one_cn(0),
    ),
    _m(
        "pki-responder-alias-from-san",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the responder takes the client's alias from its subjectAltName when present",
        _responder_alias_from_san,
    ),
    _m(
        "pki-responder-client-cert-optional",
        "PKI-TLS-3",
        "test_pki_tls.py",
        "CERT_OPTIONAL: a client without a certificate is served as 'anonymous'",
        _responder_client_cert_optional,
    ),
    _m(
        "pki-initiator-tls12-allowed",
        "PKI-TLS-1",
        "test_pki_tls.py",
        "the initiator's context allows TLS 1.2 and nothing checks the version after",
        _initiator_tls12_allowed,
        client=True,
    ),
)
