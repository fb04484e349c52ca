"""ERR-6 at an sft-pki/1 INITIATOR: one refusal, whatever the certificate's defect.

ERR-6: an endpoint MUST NOT answer any input with "a message that differs by the internal
cause of an authentication failure". An initiator that refuses the responder's
certificate once its TLS handshake has completed MAY send one `EROR auth_failed` before
it closes (PKI-TLS-7, as a responder does, PKI-TLS-10). That EROR is an answer to the
responder's input: its message must be the same whichever check refused the
certificate. An initiator that passes its check's own text through ("the certificate is
not valid for serverAuth", "... is a CA certificate", "... is not signed with SHA-256",
"... did not negotiate ALPN") tells a probing responder which check it reached.

The suite's hostile responder presents, under the alias the initiator asks for,
certificates each refused by one kind of check (no serverAuth in the EKU, no EKU at
all, CA:TRUE, no BasicConstraints, a SHA-384 signature) and, with an honest certificate,
an ALPN other than `sft-pki/1`. The initiator must refuse each (judged elsewhere:
test_client_pki_certs.py, test_pki_initiator_*); here only what it sent: of the runs in
which it sent an `EROR auth_failed`, the messages must all be equal. An initiator that
sends no EROR (its choice, PKI-TLS-7), or refuses some in the TLS handshake with an
alert, has nothing to compare for those runs; fewer than two EROR messages is a PASS
with nothing to judge. test_client_pki_certs.py judges the one EROR's form (ERR-1) and
that nothing else was sent (PKI-TLS-7); no case compared two refusals' messages.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    honest_get_script,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.pki_channel import HostileResponder
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"refusal words\n"

# Each refused by a different check of the initiator (PKI-CERT-5, -6, -9; PKI-TLS-2).
_KINDS: tuple[str, ...] = (
    "no_server_auth",
    "no_eku",
    "ca_true",
    "no_basic_constraints",
    "sha384_signature",
    "alpn-other",
)


def _auth_failed_messages(hostile: HostileResponder) -> list[str]:
    """The messages of the `EROR auth_failed` frames the initiator sent (raw form kept:
    a message that is not a string is shown as its JSON)."""
    found: list[str] = []
    for transcript in hostile.transcripts:
        for entry in transcript.entries:
            frame = entry.data
            if entry.direction != "recv" or frame[:4] != b"EROR":
                continue
            try:
                obj = json.loads(frame[8:].decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                continue
            if isinstance(obj, dict) and obj.get("code") == 4:
                message = obj.get("message")
                found.append(message if isinstance(message, str) else json.dumps(message))
    return found


def _refusal(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> tuple[str, list[str], str]:
    """(kind, its EROR auth_failed messages, the run described) for one refused kind."""
    lab = lab_pki(target)
    alias = responder_alias(target)
    alpn: Sequence[str] | None = ("sft-pki/1",)
    if kind == "alpn-other":
        cert = lab.employee(alias)
        alpn = ("http/1.1",)
    else:
        cert = lab.bad(kind, alias=alias)
    run, hostile = run_initiator(
        target,
        tmp_path / kind,
        transcripts,
        cert=cert,
        script=honest_get_script(CONTENT),
        alpn=alpn,
    )
    require_reached(run, hostile, request=False)
    if run.returncode == 0 or run.kept_file:
        return kind, [], f"{kind}: not refused ({run.describe()}; judged elsewhere)"
    return kind, _auth_failed_messages(hostile), f"{kind}: {run.describe()}"


@pytest.mark.req("ERR-6")
def test_initiator_refuses_every_responder_certificate_in_the_same_words(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    runs = []
    for kind in _KINDS:
        (tmp_path / kind).mkdir()
        runs.append(_refusal(target, tmp_path, transcripts, kind))
    said = {kind: messages for kind, messages, _ in runs if messages}
    distinct = sorted({m for messages in said.values() for m in messages})
    if len(distinct) > 1:
        failure = ConformanceFailure.evidence(
            "ERR-6: the responder's certificate refused for "
            f"{len(_KINDS)} different causes ({', '.join(_KINDS)}), each under the alias "
            "asked for",
            "every `EROR auth_failed` the initiator sends carries the same message, "
            "whatever check refused the certificate (or no EROR at all)",
            "; ".join(f"{kind}: {messages[0][:120]!r}" for kind, messages in said.items()),
            note=" | ".join(describe for _, _, describe in runs),
        )
        failure.violates = ("ERR-6",)
        raise failure
