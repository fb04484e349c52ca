"""What a login leaves behind it: the answer's head and body, and the CA's log (docs/SPEC.md
§4.4 CA-ENR-5, CA-ENR-6, CA-ENR-15, §2 ERR-6).

- CA-ENR-5: a password a login sends "MUST NOT be written anywhere else: not to the CA's
  log, not to an answer". That holds for the right login's 200 too (an answer that echoes
  the request without its csr), for a password sent with the wrong type (a validation
  error that prints each wrong member's value), for a body over 64 KiB (a 413 logged
  with the start of the body) and for a digest of the password. A fast hash of a guess in
  the log ("to spot credential stuffing") is a password stored other than as scrypt or
  Argon2id, and an offline dictionary attack on it costs nothing.
- ERR-6 / CA-ENR-6: the 401 of a wrong password and of an unknown alias are the same
  answer, and the head is part of the answer. A `WWW-Authenticate` whose error names the
  cause, or an attempts-left header sent for known aliases only, tells an attacker which
  aliases exist. A header whose value changes from one answer to the next (a request id)
  is noise and is not judged. Only what is stable within each kind of refusal and
  differs between the two kinds is judged.
- CA-ENR-15: a target with a query string is refused 400 "before reading any credential",
  so a throttled alias named in the body changes nothing. A CA that checks the query after
  the throttle answers 429.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

import pytest

from conformance import ca_support as ca
from conformance.log_files import SETTLE_WAIT, added_since, settled, size
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-login-traces"),
]

_PIECE = 12  # a piece of a marker this long in the log is the marker's
_MAX_FAILURES = 12  # CA-ENR-7: a target that declares no N is judged as if N <= 10


def _post(target: Target, body: bytes, path: str = "/v1/enroll") -> ca.CaAnswer:
    return ca.request(
        target,
        "POST",
        path,
        body,
        source=ca.sources(target).fresh(),
        headers={"Content-Type": "application/json"},
    )


def _holds(answer: ca.CaAnswer, secret: str) -> list[str]:
    head = " ".join(f"{k}: {v}" for k, v in answer.headers.items()).encode()
    return [w for w, text in (("body", answer.body), ("head", head)) if secret.encode() in text]


@pytest.mark.req("CA-ENR-5")
def test_answers_never_carry_the_password(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    bad = []
    right = ca.enrol(pki_target, account.user, account.password, csr)
    if right.status != 200:
        inconclusive(f"the enrolment identity's right login was answered {right.status}")
    if where := _holds(right, account.password):
        bad.append(f"the right login's 200 holds its password in its {' and '.join(where)}")
    marker = f"pw-marker-{secrets.token_hex(8)}"
    forms: list[tuple[str, Any]] = [
        ("a password that is a list", [marker]),
        ("a password that is an object", {"value": marker}),
        ("a password that is a list of characters", list(marker)),
    ]
    for what, password in forms:
        members = {"alias": ca.ghost_alias(), "password": password, "csr": csr}
        answer = _post(pki_target, json.dumps(members).encode())
        if answer.status < 400:
            bad.append(f"{what}: answered {answer.status}, not refused")
        for secret in (marker, "".join(f'"{c}", ' for c in marker[:_PIECE])[:-2]):
            if where := _holds(answer, secret):
                bad.append(f"{what}: {answer.status}, the password in its {' and '.join(where)}"
                           f": {answer.body[:160]!r}")
                break
    if bad:
        raise ConformanceFailure.evidence(
            "CA-ENR-5: the enrolment identity's right login, then logins whose password "
            "member is of the wrong type",
            "no answer holds the password it was sent",
            "; ".join(bad),
        )


def _digests(secret: str) -> dict[str, list[bytes]]:
    """Printed forms of fast digests of `secret`: 8-hex prefixes (either case), base64."""
    data = secret.encode()
    found: dict[str, list[bytes]] = {}
    for name in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "blake2b"):
        raw = hashlib.new(name, data).digest()
        hexed = raw.hex()
        found[name] = [
            hexed[:8].encode(),
            hexed[:8].upper().encode(),
            base64.b64encode(raw)[:_PIECE],
            base64.urlsafe_b64encode(raw)[:_PIECE],
        ]
    return found


@pytest.mark.req("CA-ENR-5")
def test_log_holds_no_oversized_body_and_no_password_digest(pki_target: Target) -> None:
    log = pki_target.ca_log
    if log is None:
        pytest.skip("the target declares no CA log ([pki] ca_log)")
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ca.ghost_alias())))
    markers = {
        "a wrong password": secrets.token_hex(16),
        "a body over 64 KiB, its password first": secrets.token_hex(16),
        "a body over 64 KiB, its password after the alias": secrets.token_hex(16),
    }
    start = size(log)
    sent = []
    wrong = _post(pki_target, ca.enrol_body(ca.ghost_alias(), markers["a wrong password"], csr))
    sent.append(f"a wrong password: {wrong.status}")
    padding = "A" * 70_000
    first = json.dumps(
        {"password": markers["a body over 64 KiB, its password first"], "alias": ca.ghost_alias(),
         "csr": csr + padding}
    ).encode()
    second = ca.enrol_body(
        ca.ghost_alias(), markers["a body over 64 KiB, its password after the alias"], csr + padding
    )
    for what, body in (("first", first), ("second", second)):
        try:
            answer = _post(pki_target, body)
            sent.append(f"a {len(body)}-byte body ({what}): {answer.status}")
        except OSError as exc:  # a CA may close without reading a body over its limit
            sent.append(f"a {len(body)}-byte body ({what}): {type(exc).__name__}")
    right = ca.enrol(pki_target, account.user, account.password, csr)
    if right.status != 200:
        inconclusive(f"the enrolment identity's right login was answered {right.status}")
    if not settled(log, start):
        inconclusive(
            f"{log} gained nothing within {SETTLE_WAIT:g} s of {len(sent) + 1} requests: the "
            "file the target declares is not where this CA logs"
        )
    added = added_since(log, start)
    found = []
    for what, m in markers.items():
        pieces = sorted({m[i : i + _PIECE].encode() for i in range(len(m) - _PIECE + 1)})
        hit = next((p for p in pieces if p in added), None)
        if hit is not None:
            found.append(f"{what}: {hit.decode()!r}, a piece of its password")
            continue
        for name, forms in _digests(m).items():
            form = next((f for f in forms if f in added), None)
            if form is not None:
                found.append(f"{what}: {form.decode()!r}, the start of its password's {name}")
                break
    if found:
        raise ConformanceFailure.evidence(
            f"CA-ENR-5: logins with a fresh marker password each ({'; '.join(sent)}), then a "
            f"right login; what the CA's log ({log}) gained meanwhile ({len(added)} bytes)",
            "no piece of a password and no digest of one in the log",
            "; ".join(found),
        )


def _kinds_differ(known: list[ca.CaAnswer], unknown: list[ca.CaAnswer]) -> list[str]:
    """Header fields stable within each kind of 401 and different between the kinds."""
    def fields(answer: ca.CaAnswer) -> dict[str, str]:
        return {k: v for k, v in answer.headers.items() if k not in ("date",)}

    k_fields = [fields(a) for a in known]
    u_fields = [fields(a) for a in unknown]
    differ = []
    for name in sorted(set().union(*k_fields, *u_fields)):
        k_values = {f.get(name) for f in k_fields}
        u_values = {f.get(name) for f in u_fields}
        if len(k_values) == 1 and len(u_values) == 1 and k_values != u_values:
            differ.append(f"{name}: {k_values.pop()!r} (known alias) vs {u_values.pop()!r} "
                          "(unknown alias)")
    return differ


@pytest.mark.req("ERR-6", "CA-ENR-6")
def test_401_heads_do_not_tell_known_from_unknown(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ca.ghost_alias())))
    known: list[ca.CaAnswer] = []
    unknown: list[ca.CaAnswer] = []
    for _ in range(2):
        account = f"heads-{secrets.token_hex(5)}"
        ca.admin_command(pki_target, "add", account, stdin=f"pw-{secrets.token_hex(10)}\n")
        guess = f"guess-{secrets.token_hex(8)}"
        known.append(ca.enrol(pki_target, account, guess, csr))
        unknown.append(ca.enrol(pki_target, ca.ghost_alias(), guess, csr))
    statuses = [a.status for a in known + unknown]
    if any(s != 401 for s in statuses):
        inconclusive(f"the wrong logins were answered {statuses}, not all 401")
    bodies = {a.body for a in known + unknown}
    differ = _kinds_differ(known, unknown)
    if differ or len(bodies) > 1:
        raise ConformanceFailure.evidence(
            "ERR-6/CA-ENR-6: a wrong password for each of two fresh accounts, and the same "
            "wrong password for two unknown aliases (fresh addresses)",
            "the same 401 answer, head and body, whatever the cause",
            "; ".join(differ) or f"bodies differ: {sorted(bodies)!r}",
        )


@pytest.mark.req("CA-ENR-15")
def test_query_refused_even_for_a_throttled_alias(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    body = ca.enrol_body(alias, f"guess-{secrets.token_hex(8)}", csr)
    answers = []
    for _ in range(_MAX_FAILURES):
        answer = _post(pki_target, body)
        answers.append(answer.status)
        if answer.status == 429:
            break
    else:
        inconclusive(f"{_MAX_FAILURES} wrong logins of one unknown alias were answered "
                     f"{answers}: never throttled (CA-ENR-7 is judged elsewhere)")
    answer = _post(pki_target, body, "/v1/enroll?x=1")
    code = None
    if answer.status == 400:
        code = ca.json_body(answer, "a login with a query string").get("error")
    if answer.status != 400 or code != "bad_request":
        raise ConformanceFailure.evidence(
            f"CA-ENR-15: an unknown alias throttled by wrong logins ({answers}), then at once "
            "the same login to /v1/enroll?x=1 from a fresh address",
            "400 bad_request: a query string is refused before any credential is read",
            answer.describe(),
        )
