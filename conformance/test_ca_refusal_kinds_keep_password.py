"""Whatever kind of refusal a login gets, the password it sent is quoted by no answer and
written to no log (docs/SPEC.md §4.4, CA-ENR-5).

CA-ENR-5: "A password a login sends, right or wrong, MUST NOT be written anywhere else:
not to the CA's log, not to an answer." The other cases send well-formed JSON to the
answers (test_ca_answers_never_quote_password.py) and a 401 and a 200 to the log
(test_ca_log_no_password.py). The debugging aids a CA is left with sit elsewhere: the
body that did not parse quoted in the `400`'s message ("Extra data: line 1 column 90: ..."
with the text around the error, or the body's first bytes), and the body of a refused CSR,
or of any refusal, dumped to the log "to see what the client sent". Both hand the
password to whoever reads the answer or the log.

- Answers: from a fresh address each, request bodies that are not one JSON object —
  trailing bytes, a body cut short, single quotes, a trailing comma, `NaN`, a byte that is
  no UTF-8, nesting deeper than a recursive parser goes — each holding a marker password
  once as the first member and once as the last (so a quote of the start and a quote of
  the text around the error are both seen). No answer's body or head may hold any 10
  consecutive characters of the marker's random part.
- Log (the target's `[pki] ca_log`; SKIP without): a fresh account (the target's
  `ca_user_add_cmd`; else the enrolee) sends its right password with a CSR that is no PEM
  and with a CSR for a P-384 key (`400 bad_csr` each), a wrong password with a CSR that is
  no PEM, then a malformed body, a `csr` that is a number, and an unknown alias, each with
  a marker password; what the log gained holds none of them.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.log_files import SETTLE_WAIT, added_since, settled, size
from conformance.plugin import inconclusive
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-refusal-kinds-keep-password"),
]

_WINDOW = 10  # characters of the marker's random part that cannot appear by chance
_DEPTH = 20000  # nesting of the deep body: 40 KB, within the 64 KiB limit


def _marker() -> tuple[str, str]:
    core = secrets.token_hex(12)
    return f"pw-{core}", core


def _quoted(core: str, text: bytes) -> bool:
    """Any `_WINDOW` consecutive characters of `core` in `text` (a quote cut short too)."""
    return any(
        core[i : i + _WINDOW].encode() in text for i in range(len(core) - _WINDOW + 1)
    )


def _post(target: Target, body: bytes) -> ca.CaAnswer:
    return ca.request(
        target,
        "POST",
        "/v1/enroll",
        body,
        source=ca.sources(target).fresh(),
        headers={"Content-Type": "application/json"},
    )


def _malformed(alias: str, csr: str, password: str) -> list[tuple[str, bytes]]:
    """Bodies that are no JSON object, the password first and last in each."""
    first = json.dumps({"password": password, "alias": alias, "csr": csr})
    last = json.dumps({"alias": alias, "csr": csr, "password": password})
    bodies: list[tuple[str, bytes]] = []
    for where, text in (("first", first), ("last", last)):
        bodies += [
            (f"trailing bytes, the password {where}", (text + " trailing").encode()),
            (f"a body cut short, the password {where}", text[:-1].encode()),
            (f"a trailing comma, the password {where}", (text[:-1] + ",}").encode()),
            (f"a NaN member, the password {where}", (text[:-1] + ', "n": NaN}').encode()),
            (f"a byte that is no UTF-8, the password {where}",
             (text[:-1] + ', "x": "').encode() + b"\xff" + b'"}'),
            (f"single quotes, the password {where}", text.replace('"', "'").encode()),
        ]  # fmt: skip
    deep = "[" * _DEPTH + "]" * _DEPTH
    bodies.append(
        (
            "nesting deeper than a recursive parser goes",
            f'{{"password": {json.dumps(password)}, "alias": {json.dumps(alias)}, '
            f'"x": {deep}}}'.encode(),
        )
    )
    return bodies


@pytest.mark.req("CA-ENR-5")
def test_malformed_bodies_are_refused_without_quoting_the_password(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    password, core = _marker()
    bodies = _malformed(alias, csr, password)
    bad = []
    for what, body in bodies:
        answer = _post(pki_target, body)
        head = " ".join(f"{k}: {v}" for k, v in answer.headers.items()).encode()
        where = [w for w, text in (("body", answer.body), ("head", head)) if _quoted(core, text)]
        if where:
            bad.append(
                f"{what}: {answer.status}, the password in its {' and '.join(where)}: "
                f"{answer.body[:200]!r}"
            )
    if bad:
        raise ConformanceFailure.evidence(
            f"CA-ENR-5: {len(bodies)} request bodies that are no JSON object, each holding a "
            f"marker password ({password!r})",
            "refusals that never quote the password sent, in whole or in part",
            "; ".join(bad[:3]) + (f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""),
        )


@pytest.mark.req("CA-ENR-5")
def test_no_kind_of_refusal_writes_the_password_to_the_log(pki_target: Target) -> None:
    log = pki_target.ca_log
    if log is None:
        pytest.skip("the target declares no CA log ([pki] ca_log)")
    ca.ca_address(pki_target)
    right_core = ""
    if pki_target.ca_user_add_cmd:
        right, right_core = _marker()
        account = Account(f"refusals-{secrets.token_hex(5)}", right)
        ca.admin_command(pki_target, "add", account.user, stdin=account.password + "\n")
    else:
        account = ca.enrolee(pki_target)
    ghost = ca.ghost_alias()
    good_csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    p384_csr = ca.csr_pem(ca.CsrKey.ec("P-384"), ca.name((ca.OID_CN, account.user)))
    wrong, wrong_core = _marker()
    spelled, spelled_core = _marker()
    typed, typed_core = _marker()
    unknown, unknown_core = _marker()
    trailing = json.dumps({"alias": ghost, "password": spelled, "csr": good_csr}) + " trailing"
    # (what, body, password sent, its random part: searched in part too)
    logins: list[tuple[str, bytes, str, str]] = [
        ("its right password with a csr that is no PEM",
         ca.enrol_body(account.user, account.password, "not a csr"), account.password,
         right_core),
        ("its right password with a CSR for a P-384 key",
         ca.enrol_body(account.user, account.password, p384_csr), account.password,
         right_core),
        ("a wrong password with a csr that is no PEM",
         ca.enrol_body(account.user, wrong, "not a csr"), wrong, wrong_core),
        ("a body with trailing bytes", trailing.encode(), spelled, spelled_core),
        ("a csr that is a number",
         json.dumps({"alias": ghost, "password": typed, "csr": 7}).encode(), typed, typed_core),
        ("an unknown alias", ca.enrol_body(ghost, unknown, good_csr), unknown, unknown_core),
    ]  # fmt: skip
    start = size(log)
    answered = []
    for what, body, _password, _core in logins:
        answer = _post(pki_target, body)
        answered.append(f"{what}: {answer.status}")
    if not settled(log, start):
        inconclusive(
            f"{log} gained nothing within {SETTLE_WAIT:g} s of {len(logins)} refused logins: "
            "the file the target declares is not where this CA logs them"
        )
    added = added_since(log, start)
    found = []
    for what, _body, password, core in logins:
        needles = {password.encode("utf-8"), json.dumps(password).strip('"').encode("ascii")}
        whole = len(password.encode("utf-8")) >= 8 and any(n in added for n in needles)
        if whole or (core and _quoted(core, added)):
            found.append(what)
    if found:
        raise ConformanceFailure.evidence(
            f"CA-ENR-5: refused logins ({'; '.join(answered)}); what the CA's log ({log}) "
            f"gained meanwhile ({len(added)} bytes)",
            "no password any of them sent in the log, in whole or in part",
            "the log holds the password of " + ", of ".join(found),
        )
