"""What the CA must accept (SPEC §4.2, §4.4): every alias PKI-CERT-2 allows, a password
exactly as it was set, and a second enrolment with a key already certified.

A CA hardened beyond the SPEC refuses legitimate requests: aliases with a dot or an
underscore ("they look like host names"), aliases longer than a DNS label (63), a
password with outer white space or a combining accent (stripped or normalised before
it is checked), a key it has certified before ("make a new key"). CA-ENR-2: a request
whose alias exists, whose password is right and whose CSR is valid MUST get `200
{"certificate": PEM}`. The accounts come from the target's `ca_user_add_cmd` (skipped
without it); every login goes from a fresh loopback address, so nothing is throttled.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Callable

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-accounts"),
]


def _add(target: Target, alias: str, password: str) -> None:
    """A new account through the target's declared add command (password on stdin)."""
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    ca.admin_command(target, "add", alias, stdin=password + "\n")


def _csr(alias: str) -> tuple[ca.CsrKey, str]:
    key = ca.CsrKey.ec("P-256")
    return key, ca.csr_pem(key, ca.name((ca.OID_CN, alias)))


def _issued(answer: ca.CaAnswer, what: str) -> ca.IssuedCertificate | None:
    """The certificate of a 200 answer, or None for any other answer."""
    obj = ca.json_body(answer, what)
    if answer.status != 200:
        return None
    if not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure(f"CA-ENR-2: {what}: 200 without a certificate: {obj!r}")
    return ca.read_issued(obj["certificate"])


# Aliases of PKI-CERT-2 (1-64 of a-z 0-9 . _ -, starting with a letter or digit) that an
# over-eager CA refuses; each is fresh (a random part), none a host name of any CA. Each
# maker gets the random part and the host of the CA's URL.
_ALIASES: dict[str, Callable[[str, str], str]] = {
    "dot": lambda tag, host: f"first.last-{tag}",
    "underscore": lambda tag, host: f"first_last-{tag}",
    "digit-first": lambda tag, host: f"7{tag}",
    "ends-with-dot": lambda tag, host: f"node-{tag}.",
    "64-characters": lambda tag, host: f"long-{tag}-".ljust(64, "x"),
    # CA-ENR-17 refuses an alias EQUAL to one of the CA's names, not one that contains
    # it: a substring or prefix check refuses these.
    "starts-with-the-ca-host": lambda tag, host: f"{host}-{tag}",
    # (joined by a hyphen, not a dot: never a subdomain a wildcard name could cover)
    "ends-with-the-ca-host": lambda tag, host: f"{tag}-{host}",
    "starts-with-localhost": lambda tag, host: f"localhost-{tag}",
}


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("form", list(_ALIASES))
def test_every_alias_form_enrols(pki_target: Target, form: str) -> None:
    """A fresh account under an alias of the given form, its right password, a valid CSR:
    200 with a certificate whose CN is the alias. An alias the CA's administration tool
    itself refuses is skipped (the tool MAY be stricter; the enrolment MUST NOT be)."""
    host = ca.ca_address(pki_target)[0].lower().removesuffix(".")
    alias = _ALIASES[form](secrets.token_hex(5), host)
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", alias):
        pytest.skip(f"the CA's host {host!r} makes no alias of this form ({alias!r})")
    password = f"pw-{secrets.token_urlsafe(12)}"
    _add(pki_target, alias, password)
    _key, csr = _csr(alias)
    answer = ca.enrol(pki_target, alias, password, csr)
    what = f"enrolment of the new account {alias!r} ({form}, {len(alias)} characters)"
    cert = _issued(answer, what)
    if cert is None:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: {what} with its right password and a valid P-256 CSR, from a fresh address",
            '200 {"certificate": PEM}: PKI-CERT-2 allows 1-64 characters of a-z 0-9 . _ -, '
            "starting with a letter or digit",
            answer.describe(),
        )
    if cert.subject_attributes != ((ca.OID_CN, alias),):
        raise ConformanceFailure(
            f"CA-ENR-4: {what}: the certificate's subject is {cert.subject_attributes!r}, "
            f"want exactly CN={alias!r}",
            violates=["CA-ENR-4"],
        )


# Passwords a CA must take exactly as they were set (no trimming, no normalisation).
_PASSWORDS: dict[str, Callable[[str], tuple[str, str]]] = {
    # (the password, what a CA that alters it would check instead)
    "outer-spaces": lambda tag: (f"  spaced {tag} ", f"spaced {tag}"),
    "combining-accent": lambda tag: (
        f"cafe\u0301-{tag}",
        unicodedata.normalize("NFC", f"cafe\u0301-{tag}"),
    ),
    # 200 characters, 300 UTF-8 bytes: no length limit of the SPEC's, and one a CA that
    # caps or truncates passwords (bcrypt's 72 bytes, a 128-character field) breaks.
    "long": lambda tag: (f"{tag}-" + "\u00e9x" * 96, (f"{tag}-" + "\u00e9x" * 96)[:64]),
    # Characters outside the BMP (4 UTF-8 bytes, a surrogate pair in UTF-16 and in JSON's
    # \u escapes): a CA that hashes UTF-16 halves one by one (Java's modified UTF-8,
    # CESU-8) or drops what it cannot encode checks other bytes than the tool stored.
    "outside-the-bmp": lambda tag: (
        f"key-\U0001f511-{tag}-\U00010348",
        f"key--{tag}-",
    ),
}


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("form", list(_PASSWORDS))
def test_a_password_is_checked_as_it_was_set(pki_target: Target, form: str) -> None:
    """A fresh account whose password has outer spaces (or a combining accent, NFD), then
    an enrolment with that very password: 200. A CA that strips or normalises what it
    receives compares another string with the stored hash and answers 401. When the
    exact password fails but the altered one succeeds, the administration tool stored
    the altered one: that FAILs too (CA-ENR-2: the add command takes the password as the
    whole line it reads and never stores it altered)."""
    ca.ca_address(pki_target)
    alias = f"pw-{form}-{secrets.token_hex(5)}"
    password, altered = _PASSWORDS[form](secrets.token_hex(4))
    _add(pki_target, alias, password)
    _key, csr = _csr(alias)
    answer = ca.enrol(pki_target, alias, password, csr)
    what = f"enrolment of the new account {alias!r} with its password {password!r} ({form})"
    if _issued(answer, what) is not None:
        return
    if answer.status in (429, 503):
        pytest.skip(f"{what}: {answer.describe()} (throttled; judged elsewhere)")
    if answer.status != 401:
        raise ConformanceFailure(
            f"CA-ENR-2: {what}, a valid CSR, from a fresh address: {answer.describe()}, want 200"
        )
    # Did the administration tool store the altered password? Then the CA is not at fault.
    second = ca.enrol(pki_target, alias, altered, csr)
    if _issued(second, f"enrolment of {alias!r} with {altered!r}") is not None:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: the account {alias!r} added with the password {password!r} ({form}) "
            "as one line on the add command's stdin, which exited 0",
            "the account's password is that line exactly (no trimming, no normalisation, "
            "no cut); a password the command cannot store as given it refuses",
            f"{answer.describe()} with the password given; 200 with {altered!r}: the add "
            "command stored an altered password",
        )
    if second.status in (429, 503):
        pytest.skip(f"the second login was {second.describe()} (throttled; judged elsewhere)")
    raise ConformanceFailure.evidence(
        f"CA-ENR-2: {what} (added with exactly that password on the add command's stdin), "
        "a valid CSR, from a fresh address",
        '200 {"certificate": PEM}: the password is compared as it was set',
        f"{answer.describe()}; and with {altered!r} instead: {second.describe()}",
        note="the CA alters the password it receives (strips or normalises it) before its check",
    )


@pytest.mark.req("CA-ENR-2")
def test_an_account_added_after_a_login_was_tried_for_it_enrols(pki_target: Target) -> None:
    """A login for an alias no account has yet (401, or 400), from one address; then the
    administrator adds that very alias; its right password from the same address and from
    a fresh one: 200. A CA that remembers "unknown" (a negative cache of the user table,
    kept to spare the lookup of guessed aliases) refuses the account for ever."""
    ca.ca_address(pki_target)
    alias = f"late-{secrets.token_hex(5)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    address = ca.sources(pki_target).fresh()
    _key, csr = _csr(alias)
    before = ca.enrol(pki_target, alias, password, csr, source=address)
    if before.status == 200:
        raise ConformanceFailure(
            f"CA-ENR-6: {alias!r}, an alias no account has, was enrolled: {before.describe()}",
            violates=["CA-ENR-6"],
        )
    _add(pki_target, alias, password)
    refused = []
    for where, source in (("the same address", address), ("a fresh address", None)):
        answer = ca.enrol(pki_target, alias, password, csr, source=source)
        if _issued(answer, f"enrolment of {alias!r} from {where}") is None:
            refused.append(f"from {where}: {answer.describe()}")
    if refused:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: a login as {alias!r} before its account existed ({before.status}); "
            "the account added (add command returned); then its right password and a valid "
            "CSR",
            '200 {"certificate": PEM} from any address',
            "; ".join(refused),
            note="the CA kept its first answer for the alias (a cache of unknown aliases)",
        )


@pytest.mark.req("CA-ENR-2", "CA-ENR-10")
def test_a_certified_key_enrols_again(pki_target: Target) -> None:
    """The enrolee's account, one key, two enrolments one after the other (renewal with
    the same key): both 200, with different serials. CA-ENR-10's serial "never repeats,
    even for the same alias and key" presumes the second one is issued: a CA that refuses
    a key it certified before ("make a new key") refuses a valid request."""
    account = ca.enrolee(pki_target)
    key = ca.CsrKey.ec("P-256")
    answers: list[str] = []
    serials: list[int] = []
    for n in range(2):
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        answer = ca.enrol(pki_target, account.user, account.password, csr)
        answers.append(answer.describe()[:160])
        what = f"enrolment {n + 1} of {account.user!r} with one key"
        cert = _issued(answer, what)
        if cert is None:
            raise ConformanceFailure(
                f"CA-ENR-2: {what} (right password, a valid P-256 CSR, a fresh address): "
                f"{' then '.join(answers)}; want 200 each time (a key certified before may "
                "be certified again)",
                violates=["CA-ENR-2"],
            )
        serials.append(cert.serial)
    if serials[0] == serials[1]:
        raise ConformanceFailure(
            f"CA-ENR-10: two enrolments of {account.user!r} with one key got the same serial "
            f"{serials[0]:#x}: a serial never repeats, even for the same alias and key",
            violates=["CA-ENR-10"],
        )


def _escaped(body: dict[str, str]) -> bytes:
    """JSON as some encoders write it: every `/` as `\\/`, the alias in `\\u` escapes."""
    text = json.dumps({"alias": "", "password": body["password"], "csr": body["csr"]})
    text = text.replace("/", "\\/")
    alias = "".join(f"\\u{ord(c):04x}" for c in body["alias"])
    return text.replace('"alias": ""', f'"alias": "{alias}"', 1).encode()


# Enrolment requests in forms HTTP/1.1 and JSON (RFC 8259) allow, as other clients write
# them: (the body, the Content-Type).
_FORMS: dict[str, Callable[[dict[str, str]], tuple[bytes, str]]] = {
    # RFC 8259 §11: application/json has no charset parameter, and "adding one really has
    # no effect on compliant recipients"; many HTTP libraries add it anyway.
    "content-type-charset": lambda body: (
        json.dumps(body).encode(),
        "application/json; charset=utf-8",
    ),
    "members-reordered": lambda body: (
        json.dumps({k: body[k] for k in ("csr", "password", "alias")}).encode(),
        "application/json",
    ),
    "pretty-printed": lambda body: (
        (json.dumps(body, indent=2) + "\r\n").encode(),
        "application/json",
    ),
    "escaped-solidus-and-unicode": lambda body: (_escaped(body), "application/json"),
}


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("form", list(_FORMS))
def test_an_enrolment_in_another_valid_form_succeeds(pki_target: Target, form: str) -> None:
    """The enrolee's right password and a valid CSR, the request written the way another
    client writes it (a charset on the Content-Type, members in another order, white
    space between tokens, JSON escapes for `/` and the alias): the same request, so
    200 with a certificate. A CA that matches its own client's bytes (an exact
    Content-Type, a regular expression over the body) refuses it."""
    account = ca.enrolee(pki_target)
    _key, csr = _csr(account.user)
    body, content_type = _FORMS[form](
        {"alias": account.user, "password": account.password, "csr": csr}
    )
    assert json.loads(body) == {"alias": account.user, "password": account.password, "csr": csr}
    answer = ca.request(
        pki_target,
        "POST",
        "/v1/enroll",
        body,
        source=ca.sources(pki_target).fresh(),
        headers={"Content-Type": content_type},
    )
    what = f"an enrolment of {account.user!r} written {form} (Content-Type: {content_type})"
    if _issued(answer, what) is None:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: {what}, its right password, a valid P-256 CSR, from a fresh address",
            '200 {"certificate": PEM}: the same JSON object as any other client sends',
            answer.describe(),
        )
