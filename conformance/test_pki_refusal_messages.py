"""The sft-pki/1 responder's refusal of a certificate says nothing of its cause
(docs/SPEC.md §2 ERR-6, §4.1 PKI-TLS-10).

A responder may refuse a client certificate after the TLS handshake with `EROR
auth_failed` (PKI-TLS-10). ERR-6: no answer may carry "a message that differs by the
internal cause of an authentication failure". The class of bug: the refusal's `message`
built from the check that failed ("no extended key usage", "is a CA certificate",
"signed with SHA-384") — the detail a log should hold, sent to the peer. The suite
presents certificates that each fail another of the responder's own checks (the kinds
OpenSSL lets through, so that the refusal comes after the handshake) and compares the
messages of the `auth_failed` answers. A message that differs between two refusals of
the same certificate (a connection number, a time) cannot be judged: INCONCLUSIVE.
A responder that refuses with alerts or a bare close has no message to compare: PASS.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, lab_pki, suite_identity
from conformance.pki_channel import PkiChannel, client_context, connect_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after
from conformance.x509 import pem_decode, read_certificate

# Each fails another check of PKI-CERT-5/6/9, all past OpenSSL's own verification.
_KINDS = (
    "no_eku",
    "ca_true",
    "ca_true_not_critical",
    "no_basic_constraints",
    "key_agreement_usage",
    "sha384_signature",
)
_AUTH_FAILED = 4


def _refusal_message(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str, tag: str
) -> str | None:
    """The `message` of the EROR auth_failed that refused a `kind` certificate, if any."""
    assert target.root is not None
    lab = lab_pki(target)
    cert_path, _key = suite_identity(target, tmp_path)
    alias = read_certificate(pem_decode(cert_path.read_text())).common_name or "suite"
    cert, key = lab.bad(kind, alias=alias).write(tmp_path, f"{kind}-{tag}")
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key, weak_allowed=True),
        name=f"pki with a {kind} client certificate ({tag})",
    )
    if not isinstance(result, PkiChannel):
        transcripts.add(result.transcript)
        return None
    transcripts.add(result)
    try:
        result.send_frame("RQFL", {"name": target.files[0].name if target.files else "x"})
        first = result.recv_frame(deadline_after(result.timeout))
    finally:
        result.close()
    if isinstance(first, ReceivedFrame) and first.error_code == _AUTH_FAILED:
        message = (first.json() or {}).get("message")
        return message if isinstance(message, str) else repr(message)
    return None


@pytest.mark.req("ERR-6", "PKI-TLS-10")
def test_certificate_refusals_carry_one_message_whatever_the_cause(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Certificates failing different checks, refused with EROR auth_failed after the
    handshake: every refusal carries the same message."""
    messages = {kind: _refusal_message(target, tmp_path, transcripts, kind, "1") for kind in _KINDS}
    answered = {kind: m for kind, m in messages.items() if m is not None}
    if len(set(answered.values())) <= 1:
        return  # one message for all (or refusals without EROR): nothing differs
    kind = next(iter(answered))
    again = _refusal_message(target, tmp_path, transcripts, kind, "2")
    if again != answered[kind]:
        inconclusive(
            f"two refusals of the same {kind} certificate carried different messages "
            f"({answered[kind]!r}, {again!r}): the message varies by connection, so its "
            "differences between causes cannot be judged"
        )
    raise ConformanceFailure.evidence(
        "ERR-6: client certificates each failing another check (EKU, BasicConstraints, "
        "KeyUsage, signature hash), refused with EROR auth_failed",
        "one message for every refusal: an authentication failure's answer does not "
        "differ by its cause",
        "\n".join(f"{kind}: {message!r}" for kind, message in answered.items()),
    )
