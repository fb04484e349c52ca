"""Aliases NEAR the CA's own names are aliases like any other (SPEC §4.4: CA-ENR-2, -17).

CA-ENR-17 has the CA refuse an alias EQUAL to one of its own host names or addresses
(case-insensitive, one trailing dot ignored). A CA that implements "equal" as a
substring, prefix or first-label test — `alias in ",".join(names)`,
`strings.HasPrefix(alias, name)`, comparing `alias.split(".")[0]` — also refuses
`local`, `ocalhost`, `localhost-2`, `127` or `27.0.0.1`: accounts the CA's own store
accepted, whose owners can then never enrol. CA-ENR-2: an alias that exists, with its
right password and a valid CSR, MUST get `200 {"certificate": ...}`, and an alias the
account store accepted is never refused for its form.

The case takes the CA's names from the host of its URL and the subjectAltName of its
TLS certificate, derives valid aliases (PKI-CERT-2) that are near each name but equal
to none (a prefix, a suffix, the name with a suffix, its first label, the name with
two trailing dots — CA-ENR-17 ignores ONE), adds each with the target's `ca_user_add_cmd`
(a kind's next alternative when an earlier run already added one: a shorter prefix, the
next suffix), and enrols each once with its right password.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca"), pytest.mark.xdist_group("ca")]

_ALIAS = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_DNS_NAME = 0x82  # GeneralName dNSName [2] IA5String (implicit)
_IP_ADDRESS = 0x87  # GeneralName iPAddress [7] OCTET STRING (implicit)
_MOST = 10  # aliases tried (each one account and one enrolment)


def _key(name: str) -> str:
    return name.lower().removesuffix(".")


def _own_names(target: Target) -> set[str]:
    """The host of the CA's URL and the dNSNames / IPv4 addresses of its certificate."""
    host, port = ca.ca_address(target)
    names = {_key(host)}
    with (
        socket.create_connection((host, port), timeout=ca.TIMEOUT) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,  # verified to the root
    ):
        der = tls.getpeercert(binary_form=True)
    if not der:
        return names
    extension = ca._read_issued(der).extension(ca.OID_SAN)
    if extension is None:
        return names
    for general_name in x509._children(ca._tlv(extension.value)[1]):
        tag, content = ca._tlv(general_name)
        if tag == _DNS_NAME and not content.startswith(b"*"):
            names.add(_key(content.decode("ascii", errors="replace")))
        elif tag == _IP_ADDRESS and len(content) == 4:
            names.add(str(ipaddress.ip_address(content)))
    return names


def _near(names: set[str]) -> list[list[str]]:
    """Valid aliases near the names, equal to none of them (after one dot is dropped): one
    list per kind of nearness, its alternatives in order. An account a run before added to
    the same CA cannot be enrolled again (its password is gone): the next alternative of
    its kind is taken instead (every shorter prefix, the name with -2 .. -9)."""
    out: list[list[str]] = []
    seen: set[str] = set()
    for name in sorted(names):
        kinds = (
            [name[:k].rstrip(".") for k in range(len(name) - 1, 0, -1)],  # prefixes
            [name[k:].lstrip("._-") for k in range(1, len(name))],  # suffixes
            [f"{name}-{n}" for n in range(2, 10)],  # the name with a suffix
            [name.split(".")[0]] if "." in name else [],  # the first label
            [f"{name}.."],  # two trailing dots: one is ignored, not both
        )
        for alternatives in kinds:
            kept = [
                alias
                for alias in dict.fromkeys(alternatives)
                if _ALIAS.fullmatch(alias)
                and (not alias.endswith(".") or alias.endswith(".."))
                and _key(alias) not in names
                and alias not in seen
            ]
            seen.update(kept)
            if kept:
                out.append(kept)
    return out[:_MOST]


def _added(target: Target, alternatives: list[str], secret: str) -> str | None:
    """The first alternative the target's ca_user_add_cmd adds (None: every one exists)."""
    for alias in alternatives:
        try:
            ca.admin_command(target, "add", alias, stdin=secret + "\n")
        except pytest.skip.Exception:
            continue  # already an account (an earlier run against this CA): the next one
        return alias
    return None


@pytest.mark.req("CA-ENR-2")
def test_aliases_near_the_cas_own_names_enrol(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    names = _own_names(pki_target)
    kinds = _near(names)
    if not kinds:
        pytest.skip(f"no valid alias near the CA's names {sorted(names)}")
    refused: list[str] = []
    answers: list[str] = []
    aliases: list[str] = []
    for alternatives in kinds:
        secret = secrets.token_urlsafe(15)
        alias = _added(pki_target, alternatives, secret)
        if alias is None:
            continue
        aliases.append(alias)
        csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
        answer = ca.enrol(pki_target, alias, secret, csr)
        answers.append(f"{alias!r}: {answer.status}")
        if answer.status in (429, 503):
            pytest.skip(f"{alias!r} was held off ({answer.describe()}): not judged")
        if answer.status != 200:
            refused.append(f"{alias!r}: {answer.describe()}")
    if not aliases:
        pytest.skip(
            f"ca_user_add_cmd added none of the aliases near the CA's names {sorted(names)} "
            "(all exist already, or the command fails)"
        )
    if refused:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: the CA's names are {sorted(names)}; the aliases {aliases}, near them "
            "but equal to none, each added with the target's ca_user_add_cmd and enrolled "
            "once with its right password and a valid P-256 CSR, each from a new address",
            "200 with a certificate for each: only an alias EQUAL to one of the CA's names "
            "(case-insensitive, one trailing dot ignored) is refused (CA-ENR-17)",
            f"refused: {refused} (all answers: {answers})",
            note="a substring, prefix or first-label test refuses accounts the CA's own "
            "store accepted",
        )
