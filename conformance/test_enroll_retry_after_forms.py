"""ERR-6 / CA-ENR-12: the ENROLMENT client reads a `503 busy`'s `Retry-After` without
dying on its form (docs/SPEC.md §4.4, CA-ENR-14's busy answer; §2, ERR-6: "An endpoint
MUST NOT answer any input with a stack trace, a debug dump …").

The suite's hostile CA answers the first enrolment `503 {"error": "busy"}` with a
`Retry-After` a number parser trips over, and every later one honestly:

- `²` sent as the single ISO-8859-1 byte 0xB2 (HTTP field values are octets; Python's
  http.client reads them as ISO-8859-1): `str.isdigit()` is true for it (and for `³`,
  `¹`, circled digits …) while `int()` refuses it — a client that tests `isdigit()`
  without `isascii()` before `int()` dies on it (Java's `Character.isDigit` and
  `Integer.parseInt` disagree the same way on other characters);
- an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, the other form RFC 9110 §10.2.3 gives
  Retry-After): a client that only knows delay-seconds hands it to `int()`;
- one second written with 4,400 leading zeros: an integer parser with a digit limit
  (Python's int() past 4,300 digits) raises on a valid delay-seconds;
- (slow run) `1.5` and `-1`: a float, and a negative number (`time.sleep(-1)` raises).

Whatever the client makes of the value — waiting a default, giving up with a message, or
retrying — its output MUST hold no stack trace or crash dump [ERR-6]; and an enrolment it
reports done MUST have stored the key of the CSR with a certificate for it [CA-ENR-12]
(test_enroll_client.py's judge).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import ssl
import threading
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    Answer,
    HostileCa,
    _ca_certificate,
    _fail,
    _honest,
    _judge_own_key,
    _server_context,
    run_against,
)
from conformance.test_error_disclosure import stack_trace_in

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


class _Latin1HeadSocket(ssl.SSLSocket):
    """Sends an HTTP head as ISO-8859-1 octets (HostileCa writes it as UTF-8): a field
    value holding U+00B2 goes out as the single byte 0xB2."""

    def sendall(self, data: Any, flags: int = 0) -> None:
        raw = bytes(data)
        head, sep, body = raw.partition(b"\r\n\r\n")
        if sep and head.startswith(b"HTTP/"):
            raw = head.decode("utf-8").encode("latin-1") + sep + body
        super().sendall(raw, flags)


_FORMS = {
    "superscript_two_latin1": "\u00b2",
    "http_date": "Wed, 21 Oct 2015 07:28:00 GMT",
    "fraction": "1.5",
    "negative": "-1",
    # 1 s in 4,401 digits (RFC 9110: 1*DIGIT): Python's int() refuses past 4,300 digits.
    "zeros_then_one": "0" * 4400 + "1",
}
_SLOW = frozenset({"fraction", "negative"})


def _busy_once(retry_after: str, then: Answer) -> Answer:
    calls = {"n": 0}
    lock = threading.Lock()

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        with lock:
            calls["n"] += 1
            first = calls["n"] == 1
        if first:
            headers = {"Retry-After": retry_after, "Content-Type": "application/json"}
            return 503, headers, b'{"error": "busy", "message": "try again"}'
        return then(body)

    return answer


@pytest.mark.req("ERR-6", "CA-ENR-12")
@pytest.mark.parametrize(
    "form", [pytest.param(f, marks=pytest.mark.slow) if f in _SLOW else f for f in _FORMS]
)
def test_enrolment_client_reads_any_retry_after_without_a_trace(
    target: Target, tmp_path: Path, form: str
) -> None:
    value = _FORMS[form]
    lab = lab_pki(target)
    assert target.root is not None
    context_tls = _server_context(tmp_path, _ca_certificate(lab))
    context_tls.sslsocket_class = _Latin1HeadSocket
    ca = HostileCa(
        context_tls,
        _busy_once(value, _honest(lab)),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    run = run_against(target, tmp_path, ca)
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    context = (
        f"ERR-6: the CA answers the first enrolment 503 busy with Retry-After {value!r} "
        f"({form}), later ones honestly"
    )
    trace = stack_trace_in(run.output)
    if trace is not None:
        _fail(context, "a message, never a stack trace or crash dump", run, trace, req="ERR-6")
    _judge_own_key(run, f"CA-ENR-12: {context}", must_succeed=False)
