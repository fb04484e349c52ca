"""No refusal of the CA quotes any part of a password, in its answer or its log (docs/SPEC.md
§4.4, CA-ENR-5).

CA-ENR-5: "a password a login sends, right or wrong, MUST NOT be written anywhere else:
not to the CA's log, not to an answer. This holds for every refusal, whatever its cause (a
body that is not JSON, a member of the wrong type, a bad CSR): no error message or log line
quotes the request body or a part of it." test_ca_answers_never_quote_password.py looks for
the whole password in answers to well-formed JSON; test_ca_log_no_password.py for it in
the log of a wrong and a right login. Two leaks pass both: a parser's message that quotes
the start of a body it could not read (V8's `Unexpected token ..., "{"password":"hunter2..."
is not valid JSON`), which holds a PREFIX of the password, not all of it; and a refusal
logged with the body it refused ("for debugging clients"). Here every request puts a
fresh marker password first in its body, and its answer (body and head) and what the log
gains (when the target declares it) may hold no 10-character piece of it.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.log_files import SETTLE_WAIT, added_since, settled, size
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-refusals-quote-no-fragment"),
]

_PIECE = 10  # a piece this long of a random 32-hex-digit marker is no coincidence


def _bodies(marker: str, alias: str, csr: str) -> dict[str, bytes]:
    """Refused requests, the marker first in each (a parser quoting the body's start
    quotes it)."""
    good = json.dumps({"password": marker, "alias": alias, "csr": csr})
    return {
        "truncated JSON": good[: len(marker) + 30].encode(),
        "an unterminated password": ('{"password": "' + marker).encode(),
        "trailing garbage": (good + " }x").encode(),
        "a byte that is not UTF-8": ('{"password": "' + marker + '\xff", "alias": "a"}').encode(
            "latin-1"
        ),
        "NaN in the object": ('{"password": "' + marker + '", "alias": NaN}').encode(),
        "an array of the object": ("[" + good + "]").encode(),
        "a csr that is a number": json.dumps(
            {"password": marker, "alias": alias, "csr": 7}
        ).encode(),
        "a csr that is no PEM": json.dumps(
            {"password": marker, "alias": alias, "csr": "not a csr"}
        ).encode(),
        "no alias": json.dumps({"password": marker, "csr": csr}).encode(),
    }


def _pieces(marker: str) -> set[bytes]:
    return {marker[i : i + _PIECE].encode() for i in range(len(marker) - _PIECE + 1)}


def _refuse_all(target: Target) -> tuple[dict[str, tuple[str, ca.CaAnswer]], str]:
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    answers: dict[str, tuple[str, ca.CaAnswer]] = {}
    markers = []
    for what in _bodies("x" * 32, alias, csr):
        marker = secrets.token_hex(16)
        markers.append(marker)
        body = _bodies(marker, alias, csr)[what]
        answers[what] = (
            marker,
            ca.request(
                target,
                "POST",
                "/v1/enroll",
                body,
                source=ca.sources(target).fresh(),
                headers={"Content-Type": "application/json"},
            ),
        )
    return answers, alias


@pytest.mark.req("CA-ENR-5")
def test_refusal_answers_hold_no_piece_of_the_password(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    answers, _ = _refuse_all(pki_target)
    bad = []
    for what, (marker, answer) in answers.items():
        head = " ".join(f"{k}: {v}" for k, v in answer.headers.items()).encode("latin-1", "replace")
        found = sorted(p.decode() for p in _pieces(marker) if p in answer.body or p in head)
        if found:
            bad.append(f"{what}: {answer.status} holds {found[0]!r} of {marker!r}: "
                       f"{answer.body[:160]!r}")
    if bad:
        raise ConformanceFailure.evidence(
            f"CA-ENR-5: {len(answers)} refused requests, each with a fresh marker password "
            "first in its body",
            f"no answer holding any {_PIECE}-character piece of the password sent",
            "; ".join(bad[:3]) + (f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""),
            note="a parser's message that quotes the body's start quotes the password",
        )


@pytest.mark.req("CA-ENR-5")
def test_refusals_leave_no_piece_of_the_password_in_the_log(pki_target: Target) -> None:
    log = pki_target.ca_log
    if log is None:
        pytest.skip("the target declares no CA log ([pki] ca_log)")
    ca.ca_address(pki_target)
    start = size(log)
    answers, _ = _refuse_all(pki_target)
    if not settled(log, start):
        inconclusive(
            f"{log} gained nothing within {SETTLE_WAIT:g} s of {len(answers)} requests: the "
            "file the target declares is not where this CA logs them"
        )
    added = added_since(log, start)
    bad = []
    for what, (marker, answer) in answers.items():
        escaped = {json.dumps(p.decode()).strip('"').encode() for p in _pieces(marker)}
        found = sorted(p.decode() for p in _pieces(marker) | escaped if p in added)
        if found:
            bad.append(f"{what} ({answer.status}): {found[0]!r} of {marker!r}")
    if bad:
        raise ConformanceFailure.evidence(
            f"CA-ENR-5: {len(answers)} refused requests, each with a fresh marker password "
            f"first in its body; what the CA's log ({log}) gained meanwhile ({len(added)} "
            "bytes)",
            f"no {_PIECE}-character piece of any password in the log",
            "; ".join(bad[:3]) + (f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""),
            note="a refusal logged with the body it refused logs the password",
        )
