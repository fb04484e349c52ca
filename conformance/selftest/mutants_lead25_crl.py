"""Round 25 (lead): the initiator's revocation checks against a CRL it is given (SPEC
PKI-CERT-11 and PKI-CERT-12), judged by test_pki_initiator_crl_file.py through the
target's `client_crl_cmd` (the reference: `sft get --crl FILE`).

Until this round an initiator's CRL was always its CA's own — few entries, fresh, with
serials the suite did not choose — so an initiator that reads part of a CRL, compares
serials by a printed form, or accepts a stale CRL passed. The reference leaves the lookup
to OpenSSL (VERIFY_CRL_CHECK_LEAF), which refuses an expired CRL itself; the first three
mutants are therefore an initiator that checks revocation ITSELF after the handshake (as
a client on a TLS library without CRL support must), with one planted bug each:

- lead25-crl-serial-printed-hex   the responder's serial printed as its DER content in
                                  hex (per octet: a 00 sign octet and a leading 0 nibble
                                  kept), each CRL entry's as `%x` (both dropped): 00ff..
                                  and 0f.. serials never match
- lead25-crl-serial-der-octets    the same, the CRL entries printed per octet too but
                                  without the DER sign octet: only 00ff.. misses
- lead25-crl-first-256-entries    only the CRL's first 256 entries are consulted
- lead25-crl-stale-accepted       the CRL's nextUpdate no longer compared with the clock
                                  (the absent-nextUpdate and 7-day checks kept)
- lead25-crl-validity-unbounded   the reference as it is, without the 7-day bound on a
                                  CRL's validity (nextUpdate - thisUpdate)
- lead25-crl-no-next-update-ok    the reference as it is, a CRL without nextUpdate taken
                                  as never expiring (OpenSSL accepts one too)
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _client() -> Any:
    return _module("reference.pki.client")


def _rebind_check_crl() -> None:
    """reference.pki.client imported `check_crl` by name: it must see the patched one."""
    _client().check_crl = _tls().check_crl


def _own_revocation_check(revoked: Callable[[Any, Any], bool]) -> None:
    """The initiator checks revocation itself, after the handshake, with `revoked(crl,
    cert)`: OpenSSL is given the root only (no CRL, so no check of its own)."""
    client = _client()
    tls = _tls()
    x509 = _module("cryptography.x509")
    held: dict[str, bytes] = {}
    original_context = client.client_context
    original_alias = client.peer_alias

    def client_context(identity: Any, crl_der: bytes) -> ssl.SSLContext:
        held["crl"] = crl_der
        ctx: ssl.SSLContext = original_context(identity, crl_der)
        ctx.verify_flags &= ~ssl.VERIFY_CRL_CHECK_LEAF
        return ctx

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        name: str = original_alias(sock, as_server=as_server)
        der = sock.getpeercert(binary_form=True)
        if der is not None and "crl" in held:
            cert = x509.load_der_x509_certificate(der)
            if revoked(x509.load_der_x509_crl(held["crl"]), cert):
                raise tls.CertificateRefused(f"{name}'s certificate was revoked")
        return name

    client.client_context = client_context
    client.peer_alias = peer_alias


def _der_content_hex(serial: int) -> str:
    """The INTEGER's DER content octets in hex: a 00 sign octet when the top bit is set."""
    return serial.to_bytes(serial.bit_length() // 8 + 1, "big").hex()


def _serial_printed_hex() -> None:
    def revoked(crl: Any, cert: Any) -> bool:
        listed = {f"{entry.serial_number:x}" for entry in crl}
        return _der_content_hex(cert.serial_number) in listed

    _own_revocation_check(revoked)


def _serial_der_octets() -> None:
    def revoked(crl: Any, cert: Any) -> bool:
        listed = {
            entry.serial_number.to_bytes((entry.serial_number.bit_length() + 7) // 8, "big").hex()
            for entry in crl
        }
        return _der_content_hex(cert.serial_number) in listed

    _own_revocation_check(revoked)


def _first_256_entries() -> None:
    def revoked(crl: Any, cert: Any) -> bool:
        entries = list(crl)[:256]  # a fixed table of 256 entries
        return any(entry.serial_number == cert.serial_number for entry in entries)

    _own_revocation_check(revoked)


def _by_integer(crl: Any, cert: Any) -> bool:
    return any(entry.serial_number == cert.serial_number for entry in crl)


def _stale_accepted() -> None:
    _patch_source(
        _tls(),
        "check_crl",
        (
            "if next_update is None or next_update < (now or dt.datetime.now(dt.UTC)):",
            "if next_update is None:",
        ),
    )
    _rebind_check_crl()
    _own_revocation_check(_by_integer)


def _validity_unbounded() -> None:
    _patch_source(
        _tls(),
        "check_crl",
        (
            "if next_update - crl.last_update_utc > MAX_CRL_VALIDITY:",
            "if False:",
        ),
    )
    _rebind_check_crl()


def _no_next_update_ok() -> None:
    _patch_source(
        _tls(),
        "check_crl",
        (
            "if next_update is None or next_update < (now or dt.datetime.now(dt.UTC)):",
            "if next_update is None:\n        return\n"
            "    if next_update < (now or dt.datetime.now(dt.UTC)):",
        ),
    )
    _rebind_check_crl()


def _m(name: str, requirement: str, apply: Callable[[], None], description: str) -> Mutant:
    return Mutant(
        name=f"lead25-crl-{name}",
        group="lead25-crl",
        profile="pki",
        requirement=requirement,
        test_file="test_pki_initiator_crl_file.py",
        description=description,
        apply=apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "serial-printed-hex",
        "PKI-CERT-11",
        _serial_printed_hex,
        "the initiator checks revocation itself, comparing the responder's serial printed "
        "as its DER content in hex with each CRL entry printed as %x: a serial with a 00 "
        "sign octet or a first octet below 0x10 is never found",
    ),
    _m(
        "serial-der-octets",
        "PKI-CERT-11",
        _serial_der_octets,
        "the initiator checks revocation itself, comparing the responder's serial's DER "
        "content octets with each CRL entry's minimal octets: a serial with a 00 sign "
        "octet (top bit set) is never found",
    ),
    _m(
        "first-256-entries",
        "PKI-CERT-11",
        _first_256_entries,
        "the initiator checks revocation itself against the CRL's first 256 entries only",
    ),
    _m(
        "stale-accepted",
        "PKI-CERT-12",
        _stale_accepted,
        "the initiator checks revocation itself and never compares the CRL's nextUpdate "
        "with the clock: a CRL past its nextUpdate is used",
    ),
    _m(
        "validity-unbounded",
        "PKI-CERT-12",
        _validity_unbounded,
        "a CRL whose nextUpdate is more than 7 days after its thisUpdate is accepted",
    ),
    _m(
        "no-next-update-ok",
        "PKI-CERT-12",
        _no_next_update_ok,
        "a CRL without nextUpdate is taken as never expiring (its 7-day bound skipped too)",
    ),
)
