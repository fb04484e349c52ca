"""sft-pki/1: the ENROLMENT client sends a password holding control and separator
characters exactly, as valid JSON (docs/SPEC.md PWF-1, CA-ENR-2).

PWF-1: the password is the file's first line with exactly one trailing LF or CRLF removed,
"nothing else is trimmed ... no other line ending"; only CR, LF (and, optionally, NUL)
inside it make the file refused. So a TAB, the other C0 controls, DEL, the C1 control NEL
(U+0085) and the Unicode LINE SEPARATOR (U+2028) are ordinary password characters, and
CA-ENR-2's body is JSON (RFC 8259 §7: every control below U+0020 MUST be escaped in a
string). Two families of bugs meet here:

- a JSON body written by hand that escapes `"`, `\\` and the line ends a PEM needs, but
  writes the other controls raw: the body is not JSON, the CA answers 400 (or, with a
  lenient parser, the password arrives changed);
- a first line taken with a line splitter that also breaks at VT, FF, NEL, U+2028
  (Python's `str.splitlines`, some `readLine`s): the password is cut short.

The suite's hostile CA (test_enroll_client.py's, honest answer) receives the enrolment of
a password file whose one line holds TAB, SOH, ESC, DEL, VT, FF, NEL and U+2028 between
ordinary characters; the slow run adds a password ending in a TAB (a trim at its end). The
client MUST exit 0 and the CA MUST receive a JSON body whose `password` is exactly it.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_enroll_client as enrol
from conformance._wire_fixtures import lab_pki
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_PASSWORDS = {
    "controls-inside": "Zq7\tA\x01B\x1bC\x7fD\x0bE\x0cF\x85G\u2028H pw",
    "tab-at-end": "Zq7 controls pw\t",
}


@pytest.mark.req("PWF-1", "CA-ENR-2")
@pytest.mark.parametrize(
    "kind", ["controls-inside", pytest.param("tab-at-end", marks=pytest.mark.slow)]
)
def test_enrolment_client_sends_a_password_of_control_characters_exactly(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    password = _PASSWORDS[kind]
    content = (password + "\n").encode("utf-8")
    run = enrol._run(
        target,
        tmp_path,
        enrol._ca_certificate(lab),
        enrol._honest(lab),
        lab=lab,
        password_file=content,
    )
    context = f"PWF-1: enrolment with the password file {content!r} ({kind})"
    bodies = [r.body for r in run.ca.enrolments()]
    sent = [(r.json() or {}).get("password") for r in run.ca.enrolments()]
    if not bodies:
        enrol._fail(context, f"the password {password!r} sent to the CA", run)
    if any(r.json() is None for r in run.ca.enrolments()):
        enrol._fail(
            context,
            "a JSON body (CA-ENR-2; RFC 8259 §7: controls escaped in a string)",
            run,
            f"the CA received a body that is not JSON: {bodies[0][:300]!r}",
        )
    if any(p != password for p in sent):
        enrol._fail(
            context,
            f"the password {password!r} exactly",
            run,
            f"the CA received {sent!r}",
            req="PWF-1",
        )
    if run.returncode != 0:
        enrol._fail(context, "exit 0 (an honest CA certified the key)", run)
