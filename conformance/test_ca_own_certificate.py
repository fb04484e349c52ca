"""The CA's own HTTPS certificate (SPEC §4.4, CA-ENR-17).

Aliases and host names share one namespace, and the defence is on both sides: the CA
refuses aliases equal to its names (test_pki_hardening.py), and the CA's TLS certificate
MUST carry a subjectAltName with its names, so that clients check the host name against
the SAN only (CA-ENR-18), never against a CN an employee certificate could also hold. A
CA whose served certificate names it in its CN only (made at start "for the host it
listens on"), or whose SAN lacks the host of its URL (its DNS names, not the address the
URL uses), is unreachable for such a client or invites the CN fallback.

The certificate judged is the one the CA serves (its TLS handshake, the chain verified
to the organisation root), not a file: the CA may issue it at start.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca"), pytest.mark.xdist_group("ca")]

_DNS_NAME = 0x82  # GeneralName dNSName [2] IA5String (implicit)
_IP_ADDRESS = 0x87  # GeneralName iPAddress [7] OCTET STRING (implicit)


def _served_certificate(target: Target) -> ca.IssuedCertificate:
    host, port = ca.ca_address(target)
    with (
        socket.create_connection((host, port), timeout=ca.TIMEOUT) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,  # verified to the root
    ):
        der = tls.getpeercert(binary_form=True)
    if not der:
        raise ConformanceFailure("CA-ENR-17: the CA's TLS handshake showed no certificate")
    return ca._read_issued(der)


def _host_key(name: str) -> str:
    return name.lower().removesuffix(".")


def _dns_matches(pattern: str, host: str) -> bool:
    """RFC 6125 §6.4.3: exact (case-insensitive, one trailing dot ignored), or a
    wildcard as the whole leftmost label."""
    pattern, host = _host_key(pattern), _host_key(host)
    if pattern == host:
        return True
    if pattern.startswith("*.") and "." in host:
        return host.split(".", 1)[1] == pattern[2:]
    return False


@pytest.mark.req("CA-ENR-17")
def test_the_ca_certificate_names_its_url_host_in_a_subject_alt_name(pki_target: Target) -> None:
    host, _port = ca.ca_address(pki_target)
    cert = _served_certificate(pki_target)
    subject = dict(cert.subject_attributes)
    cn = subject.get(ca.OID_CN)
    extension = cert.extension(ca.OID_SAN)
    if extension is None:
        raise ConformanceFailure.evidence(
            f"CA-ENR-17: the CA's TLS certificate (served at {pki_target.ca_url})",
            f"a subjectAltName naming {host!r}, the host of the CA's URL",
            f"no subjectAltName; subject CN {cn!r}: only a client that falls back to the CN "
            "(as no client may, CA-ENR-18) accepts it",
        )
    dns: list[str] = []
    addresses: list[str] = []
    others = 0
    for name in x509._children(ca._tlv(extension.value)[1]):
        tag, content = ca._tlv(name)
        if tag == _DNS_NAME:
            dns.append(content.decode("ascii", errors="replace"))
        elif tag == _IP_ADDRESS and len(content) in (4, 16):
            addresses.append(str(ipaddress.ip_address(content)))
        else:
            others += 1
    try:
        wanted_ip: str | None = str(ipaddress.ip_address(host))
    except ValueError:
        wanted_ip = None
    named = (
        wanted_ip in addresses
        if wanted_ip is not None
        else any(_dns_matches(pattern, host) for pattern in dns)
    )
    if not named:
        kind = "iPAddress" if wanted_ip is not None else "dNSName"
        raise ConformanceFailure.evidence(
            f"CA-ENR-17: the CA's TLS certificate (served at {pki_target.ca_url})",
            f"a subjectAltName {kind} for {host!r}, the host of the CA's URL",
            f"subjectAltName dNSNames {dns}, iPAddresses {addresses}"
            f"{f', {others} other names' if others else ''}; subject CN {cn!r}",
        )
