"""Aliases at the edges of PKI-CERT-2 enrol, named exactly (SPEC §4.2, §4.4: CA-ENR-2, -4).

PKI-CERT-2 allows 1–64 characters of `a`–`z`, `0`–`9`, `.`, `_`, `-`, starting with a letter
or digit; CA-ENR-2: "an alias the account store accepted is never refused for its form",
and a request whose alias exists, whose password is right and whose CSR is valid MUST get
`200 {"certificate": PEM}`. CA-ENR-4: the certificate's subject CN is the enrolled alias.

Realistic ways to break that at the edges, none the SPEC's:
- the issuing code's own copy of the pattern, written `[a-z0-9][a-z0-9._-]+` — an alias
  of ONE character is refused at enrolment though its account exists;
- aliases that look like structure elsewhere: certificates written to files named after
  the alias, "sanitised" for Windows (device names `com1`, `lpt7`, `nul.x`, a `..` inside);
  an alias shaped like an IPv4 address refused because "it could pose as a host" (CA-ENR-17
  refuses only the CA's OWN names and addresses);
- the CN written as a PrintableString, whose character set has no `_`: the alias is then not
  what the certificate holds (strict parsers, Go's crypto/x509, refuse it outright).

Each form is one fresh account (the target's `ca_user_add_cmd`; an alias the
administration tool itself refuses is not judged: the tool MAY be stricter, the enrolment
MUST NOT be), one enrolment with its right password and a valid P-256 CSR from a fresh
address, the forms side by side: each MUST be `200`, with a subject of exactly one CN
equal to the alias, encoded as a string type whose character set holds it (UTF8String;
PrintableString or IA5String only for an alias within theirs).
"""

from __future__ import annotations

import re
import secrets
import shlex
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Target
from conformance.test_interop_ca_alias_near_own_names import _key, _own_names
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-accounts"),
]

_ALIAS = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # PKI-CERT-2
_THREADS = 3  # accounts made side by side (each an administration command)


def _one_character(tag: str) -> str:
    return tag[0]  # 16 of the 36 one-character aliases; a taken one is skipped


def _device_name(tag: str) -> str:
    # COM1-9 and LPT1-9 (Windows' reserved device names), exactly
    return f"{'com' if int(tag[0], 16) % 2 else 'lpt'}{int(tag[1], 16) % 9 + 1}"


def _ipv4_form(tag: str) -> str:
    raw = bytes.fromhex(tag[:6])
    return f"10.{raw[0]}.{raw[1]}.{raw[2]}"


# form -> alias maker (a random hex tag in; every form but the fixed-size ones is fresh)
_FORMS: dict[str, Callable[[str], str]] = {
    "one-character": _one_character,
    "device-name": _device_name,
    "device-name-with-suffix": lambda tag: f"nul.{tag}",
    "dot-dot-inside": lambda tag: f"x..{tag}",
    "ipv4-address-form": _ipv4_form,
    # '_' has no place in a PrintableString; '-' and '.' do
    "underscore": lambda tag: f"u_{tag}_v",
}

# Character sets of the ASN.1 string types a CN may use (X.680 §41): the alias must fit.
_PRINTABLE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")
_STRING_TYPES: dict[int, tuple[str, Callable[[str], bool]]] = {
    0x0C: ("UTF8String", lambda s: True),
    0x13: ("PrintableString", lambda s: set(s) <= _PRINTABLE),
    0x16: ("IA5String", lambda s: s.isascii()),
}


def _cn_strings(subject: bytes) -> list[tuple[int, bytes]]:
    """(tag, content) of every CN value of a Name's DER."""
    out = []
    for rdn in x509._children(ca._tlv(subject)[1]):
        for attribute in x509._children(ca._tlv(rdn)[1]):
            oid, value = x509._children(ca._tlv(attribute)[1])[:2]
            if ca._oid(oid) == ca.OID_CN:
                out.append((value[0], ca._tlv(value)[1]))
    return out


def _add(target: Target, alias: str, password: str) -> bool:
    """The target's add command (as ca.admin_command); False when it refuses the alias."""
    assert target.ca_user_add_cmd is not None
    argv = [part.format(alias=alias) for part in shlex.split(target.ca_user_add_cmd)]
    try:
        done = subprocess.run(
            argv, input=(password + "\n").encode(), capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _enrols(target: Target, form: str, alias: str) -> tuple[str, str] | bool | None:
    """(requirement, problem) of one form's account; None: it enrolled as it must; False:
    the administration tool refused the alias (not judged)."""
    password = f"pw-{secrets.token_urlsafe(12)}"
    if not _add(target, alias, password):
        return False
    key = ca.CsrKey.ec("P-256")
    answer = ca.enrol(target, alias, password, ca.csr_pem(key, ca.name((ca.OID_CN, alias))))
    what = f"{alias!r} ({form}, {len(alias)} characters)"
    obj = ca.json_body(answer, f"enrolment of {what}")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        return "CA-ENR-2", f"{what}: {answer.describe()}"
    cert = ca.read_issued(obj["certificate"])
    strings = _cn_strings(cert.subject)
    if cert.subject_attributes != ((ca.OID_CN, alias),) or len(strings) != 1:
        return "CA-ENR-4", f"{what}: subject {cert.subject_attributes!r}, not exactly CN={alias!r}"
    tag, content = strings[0]
    kind, holds = _STRING_TYPES.get(tag, (f"string type 0x{tag:02x}", lambda s: False))
    if content != alias.encode("ascii") or not holds(alias):
        return "CA-ENR-4", f"{what}: the CN is the {kind} {content!r}, which cannot hold it"
    return None


@pytest.mark.req("CA-ENR-2", "CA-ENR-4")
def test_aliases_at_the_edges_of_their_syntax_enrol(pki_target: Target) -> None:
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    own = _own_names(pki_target)
    aliases = {form: make(secrets.token_hex(5)) for form, make in _FORMS.items()}
    aliases = {f: a for f, a in aliases.items() if _ALIAS.fullmatch(a) and _key(a) not in own}
    # One account and one enrolment per form, side by side (each from a fresh address).
    with ThreadPoolExecutor(_THREADS) as pool:
        outcomes = dict(
            zip(
                aliases, pool.map(lambda fa: _enrols(pki_target, *fa), aliases.items()), strict=True
            )
        )
    refused = [form for form, outcome in outcomes.items() if outcome is False]
    problems = [o for o in outcomes.values() if isinstance(o, tuple)]
    if problems:
        text = ConformanceFailure.evidence(
            "CA-ENR-2/CA-ENR-4: fresh accounts under aliases at the edges of PKI-CERT-2, each "
            "enrolled with its right password and a valid P-256 CSR from a fresh address",
            '200 {"certificate": PEM} for each (an alias the account store accepted is never '
            "refused for its form), its subject exactly CN=alias in a string type whose "
            "character set holds it (UTF8String; PrintableString has no '_')",
            "; ".join(problem for _req, problem in problems),
            note=f"forms whose account the administration tool refused (not judged): {refused}"
            if refused
            else "",
        ).args[0]
        raise ConformanceFailure(text, violates=sorted({req for req, _p in problems}))
    if len(refused) == len(outcomes):
        pytest.skip(f"the administration tool refused every alias: {aliases}")
