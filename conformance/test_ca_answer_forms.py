"""Every field of the CA's answers, and what a request may not decide (SPEC §4.4).

The other CA cases read the field they were written for; these read the rest: the
media type of every error answer and the members of every error object, the 429 too
(CA-ENR-9); the `certificate` member as exactly one certificate (CA-ENR-2); members a
request adds beside alias/password/csr and a repeated `alias` (CA-ENR-10, CA-ENR-4); a
`charset` parameter on the request's Content-Type (CA-ENR-2: it has no effect); and the
form of the refusal of an alias equal to one of the CA's names (CA-ENR-17: 400 or 403,
an error answer of CA-ENR-9).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("ca")]

_JSON = {"Content-Type": "application/json"}
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


def _media_type(answer: ca.CaAnswer) -> str:
    return answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _error_object_problems(answer: ca.CaAnswer) -> list[str]:
    """What keeps `answer` from being an error answer of CA-ENR-9."""
    problems = []
    if not 400 <= answer.status <= 599:
        problems.append(f"status {answer.status} is not 4xx/5xx")
    if _media_type(answer) != "application/json":
        problems.append(
            f"Content-Type {answer.headers.get('content-type')!r}, not application/json"
        )
    try:
        obj = json.loads(answer.body)
    except ValueError:
        return [*problems, f"the body is not JSON: {answer.body[:120]!r}"]
    if not isinstance(obj, dict):
        return [*problems, f"the body is not a JSON object: {obj!r}"]
    if not isinstance(obj.get("error"), str) or not obj.get("error"):
        problems.append(f"no string `error` member: {obj!r}")
    if not isinstance(obj.get("message"), str):
        problems.append(f"no string `message` member: {str(obj)[:160]}")
    return problems


def _key_csr(alias: str) -> str:
    key = ca.CsrKey.ec("P-256")
    return ca.csr_pem(key, ca.name((ca.OID_CN, alias)))


@pytest.mark.req("CA-ENR-9")
def test_every_error_answer_is_a_json_error_object(pki_target: Target) -> None:
    """One request per kind of refusal (unknown path, wrong method, malformed JSON, a
    body of the wrong shape, a body over the limit, a query string, an unknown alias, a
    bad CSR): each answer
    is 4xx/5xx, labelled application/json (parameters allowed), and its body a JSON
    object with a string `error` and a string `message`. A body of JSON sent as
    text/plain (Go's http.Error) or a member missing on one path is not that."""
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    source = ca.sources(pki_target).fresh
    cases: list[tuple[str, str, str, bytes | None, dict[str, str]]] = [
        ("an unknown path", "GET", f"/v1/nothing-{secrets.token_hex(3)}", None, {}),
        ("a wrong method", "DELETE", "/v1/root", None, {}),
        ("malformed JSON", "POST", "/v1/enroll", b"{not json", _JSON),
        ("a JSON array", "POST", "/v1/enroll", b"[]", _JSON),
        ("a query string", "GET", "/v1/crl?x=1", None, {}),
        ("a body over 64 KiB", "POST", "/v1/enroll", b" " * (64 * 1024 + 1), _JSON),
        (
            "an unknown alias",
            "POST",
            "/v1/enroll",
            ca.enrol_body(ca.ghost_alias(), secrets.token_urlsafe(12), _key_csr("x")),
            _JSON,
        ),
        (
            "a bad CSR",
            "POST",
            "/v1/enroll",
            ca.enrol_body(account.user, account.password, "not a CSR"),
            _JSON,
        ),
    ]
    found = []
    for what, method, path, body, headers in cases:
        try:
            answer = ca.request(pki_target, method, path, body, headers=headers, source=source())
        except (OSError, http.client.HTTPException):
            continue  # no answer at all (a reset): judged by test_ca.py's cases of its kind
        problems = _error_object_problems(answer)
        if problems:
            found.append(f"{what} ({method} {path[:40]}): {answer.status}: {'; '.join(problems)}")
    if found:
        raise ConformanceFailure(
            "CA-ENR-9: error answers that are not JSON error objects: " + " | ".join(found)
        )


@pytest.mark.req("CA-ENR-9")
def test_a_throttled_login_gets_a_full_error_object(pki_target: Target) -> None:
    """Wrong passwords for a fresh unknown alias from one fresh address until the CA
    throttles (at most 12, CA-ENR-7): the 429 is an error answer like any other — JSON
    labelled as such, `error` "throttled" and a string `message` (a 429 that carries
    only a `retry_after` number is not one)."""
    ca.ca_address(pki_target)
    alias = ca.ghost_alias()
    source = ca.sources(pki_target).fresh()
    csr = _key_csr(alias)
    limit = pki_target.limits.ca_throttle_failures or 10
    seen = []
    for _ in range(limit + 2):
        answer = ca.enrol(pki_target, alias, secrets.token_urlsafe(12), csr, source=source)
        seen.append(answer.status)
        if answer.status == 503:
            continue  # busy (CA-ENR-14): not counted, try again
        if answer.status == 429:
            problems = _error_object_problems(answer)
            obj = ca.json_body(answer, "the 429")
            if obj.get("error") != "throttled":
                problems.append(f"error {obj.get('error')!r}, want 'throttled'")
            if problems:
                raise ConformanceFailure(
                    f"CA-ENR-9: after {len(seen) - 1} wrong passwords the CA answered "
                    f"{answer.describe()}: " + "; ".join(problems)
                )
            return
    pytest.skip(f"no 429 after {len(seen)} wrong passwords ({seen}): judged in test_ca_throttle")


def _pem_blocks(text: str) -> list[str]:
    return [m.group(1) for m in _PEM_BLOCK.finditer(text)]


@pytest.mark.req("CA-ENR-2")
def test_the_certificate_member_is_one_certificate(pki_target: Target) -> None:
    """`{"certificate": PEM}`: the employee certificate, one PEM CERTIFICATE block and
    nothing else — not a chain with the root behind it, which a client that stores the
    member as its certificate file then presents (or which pairs the key with the
    root when the last block is read)."""
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    key = ca.CsrKey.ec("P-256")
    answer = ca.enrol(
        pki_target,
        account.user,
        account.password,
        ca.csr_pem(key, ca.name((ca.OID_CN, account.user))),
    )
    obj = ca.json_body(answer, "enrolment")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure(
            f"CA-ENR-2: enrolment with the right password: {answer.describe()}"
        )
    text = obj["certificate"]
    blocks = _pem_blocks(text)
    # RFC 7468 §2: "Data before the encapsulation boundaries are permitted" (explanatory
    # text, §5.2); after the one block, nothing but white space.
    first = _PEM_BLOCK.search(text)
    rest = (text[first.end() :] if first else text).strip()
    if blocks != ["CERTIFICATE"] or rest:
        raise ConformanceFailure(
            f"CA-ENR-2: the answer's certificate holds the PEM blocks {blocks}"
            + (f" and the text {rest[:80]!r}" if rest else "")
            + ": want exactly one CERTIFICATE (the employee's)"
        )
    cert = ca.read_issued(text)
    if cert.spki != key.spki():
        raise ConformanceFailure("CA-ENR-2: the certificate answered is not for the CSR's key")


# Members a CA might read to let a request choose its certificate's lifetime.
_LIFETIME_MEMBERS = {
    "validity_days": 3650,
    "validity": 3650,
    "days": 3650,
    "lifetime": 315360000,
    "ttl": 315360000,
    "not_after": "2099-01-01T00:00:00Z",
    "notAfter": "2099-01-01T00:00:00Z",
}


@pytest.mark.req("CA-ENR-10")
def test_a_request_cannot_choose_the_validity(pki_target: Target) -> None:
    """An enrolment with extra members that name a lifetime (validity_days, days, ttl,
    not_after, …), one at a time: the CA may refuse the request (4xx) or ignore them,
    but a certificate it issues is valid at most the configured period (CA-ENR-10):
    the validity is the CA's, not the requester's."""
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    period = dt.timedelta(days=pki_target.limits.cert_validity_days)
    found = []
    for member, value in _LIFETIME_MEMBERS.items():
        key = ca.CsrKey.ec("P-256")
        request = {
            "alias": account.user,
            "password": account.password,
            "csr": ca.csr_pem(key, ca.name((ca.OID_CN, account.user))),
            member: value,
        }
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            json.dumps(request).encode(),
            headers=_JSON,
            source=ca.sources(pki_target).fresh(),
        )
        ended = dt.datetime.now(dt.UTC)
        if answer.status != 200:
            continue
        cert = ca.read_issued(ca.json_body(answer, "enrolment").get("certificate"))
        if cert.not_after > ended + period + ca.CLOCK_SLACK:
            found.append(f"{member}={value!r}: notAfter {cert.not_after:%Y-%m-%d %H:%M}")
    if found:
        raise ConformanceFailure(
            f"CA-ENR-10: the CA (configured {period.days} days) let the request choose a "
            "longer validity: " + "; ".join(found)
        )


@pytest.mark.req("CA-ENR-4")
def test_a_repeated_alias_member_names_no_other_alias(pki_target: Target) -> None:
    """A body whose `alias` appears twice — the enrolment account (with its right
    password) and an alias no account has, in both orders. RFC 8259 leaves duplicate
    names to the parser; the CA may refuse the body, or read either value — but ONE: a
    certificate is issued only for the alias whose password it verified, so a 200 can
    only name the enrolment account (CA-ENR-4: CN = the enrolled alias). A CA that
    verifies one occurrence and names the other sells any alias for one account's
    password."""
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    for own_first in (True, False):
        other = ca.ghost_alias()
        key = ca.CsrKey.ec("P-256")
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        first, last = (account.user, other) if own_first else (other, account.user)
        body = (
            "{"
            f'"alias": {json.dumps(first)}, "password": {json.dumps(account.password)}, '
            f'"csr": {json.dumps(csr)}, "alias": {json.dumps(last)}'
            "}"
        ).encode()
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            body,
            headers=_JSON,
            source=ca.sources(pki_target).fresh(),
        )
        if answer.status != 200:
            continue  # refused, or the unknown alias read (a wrong password): conformant
        cert = ca.read_issued(ca.json_body(answer, "enrolment").get("certificate"))
        if cert.subject_attributes != ((ca.OID_CN, account.user),):
            raise ConformanceFailure(
                f"CA-ENR-4: a body naming `alias` twice ({first!r}, then {last!r}; the "
                f"password is {account.user!r}'s, {other!r} has no account) got 200 with a "
                f"certificate whose subject is {list(cert.subject_attributes)}: the "
                "certificate names an alias whose password was never verified"
            )


def _admin_add(target: Target, alias: str, password: str) -> int | None:
    if not target.ca_user_add_cmd:
        return None
    argv = [part.format(alias=alias) for part in shlex.split(target.ca_user_add_cmd)]
    try:
        done = subprocess.run(
            argv, input=(password + "\n").encode(), capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.returncode


@pytest.mark.req("CA-ENR-2")
def test_a_charset_parameter_does_not_change_the_body(pki_target: Target) -> None:
    """A fresh user whose password is not ASCII enrols with the body in UTF-8 (as JSON
    always is, RFC 8259 §8.1) and `Content-Type: application/json; charset=iso-8859-1`:
    RFC 8259 §11 defines no charset parameter and "adding one really has no effect on
    compliant recipients" (CA-ENR-2). A CA that decodes the body with the label's
    charset misreads the password and refuses the right one."""
    ca.ca_address(pki_target)
    alias = f"cs-{secrets.token_hex(5)}"
    password = f"pässwörd-ÿ-{secrets.token_hex(4)}"
    if _admin_add(pki_target, alias, password) != 0:
        pytest.skip("needs the CA's user add command ([pki] ca_user_add_cmd) to add a user")
    body = json.dumps(
        {"alias": alias, "password": password, "csr": _key_csr(alias)}, ensure_ascii=False
    ).encode("utf-8")
    plain = ca.request(
        pki_target, "POST", "/v1/enroll", body, headers=_JSON, source=ca.sources(pki_target).fresh()
    )
    if plain.status != 200:
        pytest.skip(
            f"the non-ASCII password does not enrol even without a charset: {plain.describe()}"
        )
    labelled = ca.request(
        pki_target,
        "POST",
        "/v1/enroll",
        json.dumps(
            {"alias": alias, "password": password, "csr": _key_csr(alias)}, ensure_ascii=False
        ).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=iso-8859-1"},
        source=ca.sources(pki_target).fresh(),
    )
    if labelled.status != 200:
        raise ConformanceFailure(
            f"CA-ENR-2: the same UTF-8 body that enrols {alias!r} (200) got "
            f"{labelled.describe()} once labelled `application/json; charset=iso-8859-1`: "
            "the charset parameter of application/json has no effect (RFC 8259 §11)"
        )


# --- CA-ENR-17: the form of the refusal ---------------------------------------------------


def _ca_names(target: Target) -> list[str]:
    host, port = ca.ca_address(target)
    with socket.create_connection((host, port), timeout=ca.TIMEOUT) as raw:
        with ca.tls_context(target).wrap_socket(raw, server_hostname=host) as tls:
            cert = tls.getpeercert()
    san = cert.get("subjectAltName", ()) if cert else ()
    names = [
        str(entry[1])
        for entry in san
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] in ("DNS", "IP Address")
    ]
    names.append(host)
    return sorted({n.lower() for n in names})


def _accounts_file(target: Target) -> Path:
    """The file test_pki_hardening.py keeps its host-name accounts in (an alias can be
    added only once: a later run needs the password an earlier one chose)."""
    assert target.root is not None
    tag = hashlib.sha256(target.root.read_bytes()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"sft-conformance-{os.getuid()}-{tag}-hostnames.json"


def _remembered(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _remember(path: Path, accounts: dict[str, str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(accounts, f)


@pytest.mark.req("CA-ENR-17")
def test_an_alias_equal_to_a_ca_name_is_refused_400_or_403(pki_target: Target) -> None:
    """An account named like one of the CA's own names (its SAN entries, its URL's
    host), added if the administration command lets it, then enrolled with its right
    password: CA-ENR-17 wants `400` or `403`, an error answer of CA-ENR-9 — not a 500
    from a refusal no handler maps, nor a certificate."""
    alias_re = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
    candidates = [n for n in _ca_names(pki_target) if alias_re.fullmatch(n)]
    if not candidates:
        pytest.skip("none of the CA's names is a valid alias (PKI-CERT-2)")
    state = _accounts_file(pki_target)
    accounts = _remembered(state)
    tried = []
    for alias in candidates:
        password = secrets.token_urlsafe(15)
        code = _admin_add(pki_target, alias, password)
        if code is None:
            pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
        if code == 0:
            accounts[alias] = password
            _remember(state, accounts)
        elif alias in accounts:
            password = accounts[alias]
        else:
            continue  # refused at `user add` (CA-ENR-17 allows it)
        answer = ca.enrol(pki_target, alias, password, _key_csr(alias))
        tried.append(alias)
        if answer.status == 401:
            continue  # an older account whose password this run does not know
        problems = _error_object_problems(answer)
        if answer.status not in (400, 403):
            problems.insert(0, f"status {answer.status}, want 400 or 403")
        if problems:
            raise ConformanceFailure(
                f"CA-ENR-17: the enrolment of {alias!r}, one of the CA's own names, with its "
                f"right password: {answer.describe()}: " + "; ".join(problems)
            )
    if not tried:
        pytest.skip("every host-name alias was refused at `user add` (CA-ENR-17 allows it)")
