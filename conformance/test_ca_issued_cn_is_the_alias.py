"""The certificate of every alias form names that alias, exactly (SPEC §4.2, §4.4:
PKI-CERT-1, CA-ENR-4).

PKI-CERT-1: an employee certificate's "subject CN = the alias", the subject "exactly one
attribute"; PKI-CERT-2: an alias is 1–64 characters of `a`–`z`, `0`–`9`, `.`, `_`, `-`,
starting with a letter or digit, and "every such alias is valid whatever its length";
CA-ENR-4: the CA sets "subject CN to the enrolled alias". The enrolment identity of the
other CA cases is one ordinary alias, so a CA that rewrites the CN on the way into the
certificate passes them all while certifying, for other employees, a name that is not
theirs (their peers then refuse them, PKI-ID-1, or take them for someone else). Realistic
rewrites, none the SPEC's:
- the CN made a "valid host name" (a CN is a host name for many TLS clients): `_` turned
  into `-`, a trailing `.` dropped (DNS ignores one), a trailing `-` trimmed;
- the CN copied into a fixed buffer or column: a 64-character alias cut at 63 (C's NUL)
  or 32 characters;
- separators collapsed or stripped by a "sanitiser" written for file names.

Each form is a fresh account (the target's `ca_user_add_cmd`; an alias the administration
tool refuses is not judged, as in test_ca_alias_forms.py), enrolled once with its right
password and a valid P-256 CSR asking for CN = the alias, from a fresh address: the answer
MUST be `200` with a certificate whose subject is exactly one attribute, CN = the alias,
byte for byte.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_ca_alias_forms import _ALIAS, _add
from conformance.test_interop_ca_alias_near_own_names import _key, _own_names
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-accounts"),
]

_THREADS = 3  # accounts made side by side (each an administration command)


def _long(length: int) -> Callable[[str], str]:
    """An alias of exactly `length` characters, fresh, ending in `_.9`: a cut anywhere
    after its first character changes it."""

    def make(tag: str) -> str:
        core = f"l{tag}{secrets.token_hex(40)}"
        return (core[: length - 3] + "_.9")[:length]

    return make


# form -> alias maker (a fresh random hex tag in)
_FORMS: dict[str, Callable[[str], str]] = {
    "64-characters": _long(64),
    "33-characters": _long(33),
    "underscores": lambda tag: f"a_{tag}_b",
    "trailing-dot": lambda tag: f"t{tag}.",
    "trailing-hyphen": lambda tag: f"h{tag}-",
    "trailing-underscore": lambda tag: f"u{tag}_",
    "separators-doubled": lambda tag: f"d{tag}--__..x",
    "digit-first": lambda tag: f"7{tag}",
}


def _enrols(target: Target, form: str, alias: str) -> str | bool | None:
    """A problem with the form's certificate; None: named exactly; False: the
    administration tool refused the alias (not judged)."""
    password = f"pw-{secrets.token_urlsafe(12)}"
    if not _add(target, alias, password):
        return False
    key = ca.CsrKey.ec("P-256")
    answer = ca.enrol(target, alias, password, ca.csr_pem(key, ca.name((ca.OID_CN, alias))))
    what = f"{alias!r} ({form}, {len(alias)} characters)"
    obj = ca.json_body(answer, f"enrolment of {what}")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        return f"{what}: no certificate, {answer.describe()}"
    cert = ca.read_issued(obj["certificate"])
    if cert.subject_attributes != ((ca.OID_CN, alias),):
        return f"{what}: certified with the subject {cert.subject_attributes!r}"
    return None


@pytest.mark.req("PKI-CERT-1", "CA-ENR-4")
def test_every_alias_form_is_certified_under_its_own_name(pki_target: Target) -> None:
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    ca.ca_address(pki_target)
    own = _own_names(pki_target)
    aliases = {form: make(secrets.token_hex(4)) for form, make in _FORMS.items()}
    aliases = {f: a for f, a in aliases.items() if _ALIAS.fullmatch(a) and _key(a) not in own}
    assert all(len(a) <= 64 for a in aliases.values()), aliases
    with ThreadPoolExecutor(_THREADS) as pool:
        outcomes = dict(
            zip(
                aliases,
                pool.map(lambda item: _enrols(pki_target, *item), aliases.items()),
                strict=True,
            )
        )
    judged = [form for form, outcome in outcomes.items() if outcome is not False]
    problems = [outcome for outcome in outcomes.values() if isinstance(outcome, str)]
    if problems:
        raise ConformanceFailure.evidence(
            "PKI-CERT-1, CA-ENR-4: one fresh account per alias form (the administration "
            "tool's own refusals not judged), each enrolled with its right password and a "
            "valid P-256 CSR asking for CN = the alias, from a fresh address",
            "200 and a certificate whose subject is exactly CN = the alias, byte for byte, "
            "for every alias PKI-CERT-2 allows (whatever its length and separators)",
            "; ".join(problems),
            note="the CN rewritten on its way into the certificate (made a host name, cut to "
            "a buffer, sanitised): the certificate names another employee, or nobody",
        )
    if not judged:
        pytest.skip("the administration tool refused every alias form")
