"""The ENROLMENT client takes the CA's honest answer however the CA spells it (docs/SPEC.md
§4.4, CA-ENR-12).

CA-ENR-12: the enrolment client keeps the certificate of a `200` answer whose certificate
holds its key, names its alias and verifies with the root — and "what the CA may spell
its way does not fail the enrolment": any JSON text of `{"certificate": PEM}`, a
`Content-Type` of `application/json` with parameters or in any letter case, a PEM whose
lines have any length and end in LF or CRLF. The other enrolment cases answer as the
reference CA does (`application/json`, compact JSON, PEM in 64-column LF lines); a
client written against those bytes — a Content-Type compared byte for byte, a body read
with a regular expression or a fixed prefix, a PEM split on "\\n" into 64-character
lines — passes them and fails against a CA behind a proxy that adds `; charset=utf-8`, a
JSON library that escapes `/`, or a CA whose PEM writer uses CRLF.

The suite's CA (test_enroll_client.py's) answers the honest certificate in one spelling
per case; the enrolment MUST succeed and store the client's own key with a certificate
for it (`_judge_own_key`). Default run: the Content-Type with a charset, the JSON with
`\\/` and `\\u000a` escapes, the PEM with CRLF line ends; slow run: the media type in
capitals, JSON pretty-printed with tabs and CRLF between its tokens, a PEM of 76-column
lines.

Fixtures (conformance/plugin.py): `target` (pki, lab mode, the target file's `enroll_cmd`),
`tmp_path`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.target import Target
from conformance.test_enroll_client import (
    Answer,
    HostileCa,
    _ca_certificate,
    _honest,
    _judge_own_key,
    _server_context,
    run_against,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

Respell = Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]]


def _content_type(value: str) -> Respell:
    def respell(headers: dict[str, str], payload: bytes) -> tuple[dict[str, str], bytes]:
        return {**headers, "Content-Type": value}, payload

    return respell


def _pem_lines(width: int, ending: str) -> Respell:
    def respell(headers: dict[str, str], payload: bytes) -> tuple[dict[str, str], bytes]:
        pem = json.loads(payload)["certificate"]
        lines = pem.strip().splitlines()
        body = "".join(lines[1:-1])
        wrapped = [body[i : i + width] for i in range(0, len(body), width)]
        text = ending.join([lines[0], *wrapped, lines[-1]]) + ending
        return headers, json.dumps({"certificate": text}).encode()

    return respell


def _escaped(headers: dict[str, str], payload: bytes) -> tuple[dict[str, str], bytes]:
    text = json.dumps(json.loads(payload))  # ASCII, "\n" escaped as \n
    return headers, text.replace("/", "\\/").replace("\\n", "\\u000a").encode()


def _pretty(headers: dict[str, str], payload: bytes) -> tuple[dict[str, str], bytes]:
    pem = json.loads(payload)["certificate"]
    text = '\r\n{\r\n\t"certificate"\t:\r\n\t' + json.dumps(pem) + "\r\n}\r\n"
    return headers, text.encode()


_SPELLINGS: dict[str, Respell] = {
    "content-type-with-charset": _content_type("application/json; charset=utf-8"),
    "json-escapes": _escaped,
    "pem-crlf": _pem_lines(64, "\r\n"),
    "content-type-capitals": _content_type("Application/JSON"),
    "json-pretty-printed": _pretty,
    "pem-76-columns": _pem_lines(76, "\n"),
}
_DEFAULT = ("content-type-with-charset", "json-escapes", "pem-crlf")
_PARAMS = [
    pytest.param(k, id=k, marks=[] if k in _DEFAULT else [pytest.mark.slow]) for k in _SPELLINGS
]


def _respelled(answer: Answer, respell: Respell) -> Answer:
    def answer_it(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        status, headers, payload = answer(body)
        if status != 200:
            return status, headers, payload
        headers, payload = respell(headers, payload)
        return status, headers, payload

    return answer_it


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("spelling", _PARAMS)
def test_enrolment_client_takes_an_honest_answer_in_any_spelling(
    target: Target, tmp_path: Path, spelling: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    answer = _respelled(_honest(lab), _SPELLINGS[spelling])
    context = _server_context(tmp_path, _ca_certificate(lab))
    ca = HostileCa(context, answer, lab.root.crl_der(), target.root.read_bytes())
    run = run_against(target, tmp_path, ca)
    if not ca.enrolments():
        pytest.fail(f"the enrolment client never sent its request: {run.describe()}")
    _judge_own_key(
        run,
        f"CA-ENR-12: the CA answers 200 with a root-issued certificate for the CSR's key and "
        f"alias, spelt {spelling} (legal JSON, media type and PEM)",
        must_succeed=True,
    )
