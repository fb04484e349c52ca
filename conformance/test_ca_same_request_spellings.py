"""One enrolment request, however its client spells it (CA-ENR-2, CA-ENR-9).

The SPEC's own words: "Any JSON text of that object is the same request (member order,
white space, escapes such as `\\/` or `\\u0041`), and a `Content-Type` of
`application/json` with parameters ... is `application/json`" and "The password is
compared exactly as the account was given it (no trimming ...)" (CA-ENR-2); the body is
"all the `Content-Length` bytes after the head", a `Content-Length` being ASCII decimal
digits (CA-ENR-9; RFC 9110 §8.6: `1*DIGIT`). A CA written against one client's bytes
breaks on another's:

- the media type compared as a string (a list of the spellings its developer met): a
  parameter without the space, `UTF-8` in capitals, the type in capitals (RFC 9110
  §8.3.1: case-insensitive), a quoted parameter value — all `application/json`;
- the password's line end trimmed on the network path as the admin tool trims a
  password file's (PWF-1): the right password with `\\n`, `\\r` or `\\r\\n` appended
  enrols, a different password;
- a `Content-Length` with leading zeros (`0` + the length) taken for no length (411):
  still the same digits, the same length.

The spelling cases use the target's enrolment identity; the password case adds a fresh
account (`ca_user_add_cmd`, skipped without it). Every login comes from a fresh loopback
address.
"""

from __future__ import annotations

import secrets
import time

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-same-request"),
]

_MAX_RETRY_WAIT = 5.0


def _csr(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


def _post(target: Target, body: bytes, headers: dict[str, str]) -> ca.CaAnswer:
    return ca.request(
        target, "POST", "/v1/enroll", body, source=ca.sources(target).fresh(), headers=headers
    )


def _certified(answer: ca.CaAnswer, what: str) -> bool:
    """True for a 200 with a certificate that parses; False for any other status."""
    if answer.status != 200:
        return False
    obj = ca.json_body(answer, what)
    if not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure(f"CA-ENR-2: {what}: 200 without a certificate: {obj!r}")
    ca.read_issued(obj["certificate"])
    return True


# Spellings of the media type application/json (RFC 9110 §8.3: type and subtype and
# parameter names case-insensitive, OWS around ';', a value token or quoted-string).
_CONTENT_TYPES = {
    "no-space-upper-charset": "application/json;charset=UTF-8",
    "type-in-capitals": "Application/JSON",
    "quoted-charset": 'application/json; charset="utf-8"',
}


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize("form", list(_CONTENT_TYPES))
def test_every_spelling_of_application_json_is_json(pki_target: Target, form: str) -> None:
    """The enrolee's right password and a valid CSR with `Content-Type` spelled another
    way RFC 9110 allows for `application/json`: 200 with a certificate."""
    account = ca.enrolee(pki_target)
    content_type = _CONTENT_TYPES[form]
    body = ca.enrol_body(account.user, account.password, _csr(account.user))
    answer = _post(pki_target, body, {"Content-Type": content_type})
    what = f"an enrolment of {account.user!r} with Content-Type: {content_type}"
    if not _certified(answer, what):
        raise ConformanceFailure.evidence(
            f"{what} (right password, a valid P-256 CSR, a fresh address)",
            '200 {"certificate": PEM}: a Content-Type of application/json with parameters is '
            "application/json (CA-ENR-2), and media types are case-insensitive (RFC 9110 "
            "§8.3.1)",
            answer.describe(),
        )


def _fresh_account(target: Target, password: str) -> Account:
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    account = Account(f"spell-{secrets.token_hex(5)}", password)
    ca.admin_command(target, "add", account.user, stdin=password + "\n")
    return account


_LINE_ENDS = {"LF": "\n", "CR": "\r", "CRLF": "\r\n"}


@pytest.mark.req("CA-ENR-2")
def test_the_right_password_with_a_line_end_is_another_password(pki_target: Target) -> None:
    """A fresh account enrols with its right password (200), then with it followed by
    LF, CR and CRLF: no account can hold a line end (PWF-1), so each is a wrong password —
    401 (or 429, once the throttle counts them) and never 200."""
    password = f"pw-{secrets.token_hex(6)}"
    account = _fresh_account(pki_target, password)
    csr = _csr(account.user)
    first = _post(
        pki_target, ca.enrol_body(account.user, password, csr), {"Content-Type": "application/json"}
    )
    if not _certified(first, f"the enrolment of the fresh {account.user!r}"):
        inconclusive(f"the fresh account {account.user!r} did not enrol: {first.describe()}")
    accepted = []
    for name, end in _LINE_ENDS.items():
        body = ca.enrol_body(account.user, password + end, csr)
        answer = _post(pki_target, body, {"Content-Type": "application/json"})
        retry = answer.headers.get("retry-after") or ""
        if answer.status == 429 and retry.isdigit() and int(retry) <= _MAX_RETRY_WAIT:
            time.sleep(int(retry) + 0.1)  # the throttle's own law: then this one is verified
            answer = _post(pki_target, body, {"Content-Type": "application/json"})
        if answer.status in (401, 429):
            continue
        if _certified(answer, f"{account.user!r} with its password + {name}"):
            accepted.append(f"+ {name}: {answer.describe()[:120]}")
    if accepted:
        raise ConformanceFailure.evidence(
            f"a fresh account {account.user!r} (enrolled with its right password), then its "
            "right password with a line end appended, each from a fresh address",
            "401 auth_failed: the password is compared exactly as the account was given it, "
            "no trimming (CA-ENR-2)",
            "; ".join(accepted),
            "the admin tool's password-file trimming (PWF-1) applied to the network path",
        )


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("zeros", [1, 3])
def test_a_content_length_with_leading_zeros_is_the_length(pki_target: Target, zeros: int) -> None:
    """The enrolee's right request with `Content-Length: 0…0L` (leading zeros before its
    length L): ASCII decimal digits alone, so the body's length is L (RFC 9110 §8.6
    `1*DIGIT`) and the request is answered as any other — 200."""
    account = ca.enrolee(pki_target)
    body = ca.enrol_body(account.user, account.password, _csr(account.user))
    length = "0" * zeros + str(len(body))
    answer = _post(pki_target, body, {"Content-Type": "application/json", "Content-Length": length})
    what = f"an enrolment of {account.user!r} with Content-Length: {length}"
    if not _certified(answer, what):
        raise ConformanceFailure.evidence(
            f"{what} (its body {len(body)} bytes: right password, a valid CSR)",
            '200 {"certificate": PEM}: a Content-Length of ASCII decimal digits is the '
            "body's length whatever leading zeros it has (CA-ENR-9, RFC 9110 §8.6)",
            answer.describe(),
        )
