"""sft-pki/1 channel (docs/SPEC.md §4.1, §4.3): TLS 1.3, ALPN, client certificates, alias.

Responder side: the suite connects with a misconfigured TLS client and the responder must
refuse. Initiator side: the suite runs a hostile TLS responder and the initiator under
test (`--client-cmd`; for the embedded run, the reference's `sft get`) must refuse it
before sending any application frame.

Fixtures (conformance/plugin.py): `target` (pinned to pki by this file's name),
`transcripts`, `tmp_path`.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    assert_refused,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
    suite_identity,
)
from conformance.pki_channel import (
    ALPN,
    ClientRun,
    HandshakeRefused,
    HostileResponder,
    PkiChannel,
    client_context,
    connect_pki,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError

CONTENT = b"conformance suite file\n" * 40


def _refuses_initiator(run: ClientRun, hostile: HostileResponder, what: str) -> None:
    require_reached(run, hostile, request=False)
    judge_refusal(run, hostile, what)


# --- responder side -----------------------------------------------------------------------


@pytest.mark.req("PKI-TLS-1", "PKI-TLS-2", "PKI-TLS-3")
def test_honest_handshake_is_tls13_with_alpn(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    result = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    if isinstance(result, HandshakeRefused):
        raise ConformanceFailure(f"honest handshake refused: {result.describe()}")
    transcripts.add(result)
    try:
        if result.peer.version != "TLSv1.3" or result.peer.alpn != ALPN:
            raise ConformanceFailure(f"negotiated {result.peer.version} ALPN {result.peer.alpn!r}")
        alias = target.responder_alias
        if alias and result.peer.peer_cn != alias:
            raise ConformanceFailure(f"responder CN {result.peer.peer_cn!r}, expected {alias!r}")
    finally:
        result.close()


@pytest.mark.req("PKI-TLS-1")
@pytest.mark.parametrize("version", ["TLSv1_2"])
def test_tls12_or_lower_is_refused(
    target: Target, transcripts: TranscriptBook, tmp_path: Path, version: str
) -> None:
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    max_version = getattr(ssl.TLSVersion, version)
    try:
        ctx = client_context(target.root, cert, key, max_version=max_version)
    except ssl.SSLError:
        pytest.skip(f"this OpenSSL cannot offer {version}")
    result = connect_pki(target.host, target.port, ctx)
    if isinstance(result, PkiChannel):
        transcripts.add(result)
        raise ConformanceFailure(f"PKI-TLS-1: a {version} client got {result.peer.version}")
    transcripts.add(result.transcript)


@pytest.mark.req("PKI-TLS-2")
@pytest.mark.parametrize("alpn", [None, ("http/1.1",), ("sft-pki/0",)])
def test_client_without_sft_alpn_is_refused(
    target: Target, transcripts: TranscriptBook, tmp_path: Path, alpn: tuple[str, ...] | None
) -> None:
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key, alpn=alpn)
    )
    assert_refused(target, result, f"PKI-TLS-2: ALPN {alpn}", transcripts)


@pytest.mark.req("PKI-TLS-3")
def test_client_without_certificate_is_refused(target: Target, transcripts: TranscriptBook) -> None:
    assert target.root is not None
    result = connect_pki(target.host, target.port, client_context(target.root))
    assert_refused(target, result, "PKI-TLS-3: no client certificate", transcripts)


# --- initiator side -----------------------------------------------------------------------


@pytest.mark.req("APP-GET-3", "APP-GET-6", "PKI-ID-1")
def test_initiator_completes_get_from_honest_responder(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Control case: the client under test works against the suite's honest responder."""
    lab = lab_pki(target)
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=honest_get_script(CONTENT),
    )
    if run.returncode != 0 or not run.kept_file or run.out.read_bytes() != CONTENT:
        raise ConformanceFailure(
            f"honest get failed: {run.describe()}; responder saw "
            f"{hostile.frames_received()} {hostile.handshake_errors}"
        )


@pytest.mark.req("PKI-ID-1")
def test_initiator_detects_mitm_with_another_employees_certificate(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A man in the middle holding a valid certificate of another alias is refused."""
    alias = responder_alias(target)
    other = next((a for a in sorted(target.identities) if a not in (alias, "suite")), None)
    if target.lab_mode:
        cert = lab_pki(target).employee(f"{alias}-impostor" if alias != "mallory" else "eve")
    elif other is not None:
        pytest.skip("enrolment mode: another employee's key is needed for the MITM")
    else:
        pytest.skip("needs lab mode or another enrolled identity")
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    _refuses_initiator(run, hostile, "PKI-ID-1: responder CN differs from the alias asked for")


@pytest.mark.req("PKI-TLS-1")
def test_initiator_refuses_tls12_responder(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    lab = lab_pki(target)
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=honest_get_script(CONTENT),
        max_version=ssl.TLSVersion.TLSv1_2,
    )
    _refuses_initiator(run, hostile, "PKI-TLS-1: responder offering only TLS 1.2")


@pytest.mark.req("PKI-TLS-2")
def test_initiator_refuses_responder_without_alpn(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    lab = lab_pki(target)
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=honest_get_script(CONTENT),
        alpn=None,
    )
    _refuses_initiator(run, hostile, "PKI-TLS-2: responder selected no ALPN")


@pytest.mark.req("PKI-TLS-5")
def test_no_session_ticket_that_could_carry_early_data(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """Python's ssl cannot send 0-RTT data, so the suite checks the precondition: a
    responder that issues no session ticket cannot accept early data at all. One that
    does issue tickets is SKIPPED (the early-data probe needs another TLS stack)."""
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    result = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    if isinstance(result, HandshakeRefused):
        raise ConformanceFailure(f"honest handshake refused: {result.describe()}")
    transcripts.add(result)
    try:
        # TLS 1.3 tickets arrive after the handshake: one request-answer round reads them.
        result.send_frame("RQFL", {"name": "sft-conformance-no-such-file"})
        result.expect([ExpectError("not_found", "forbidden")]).check("a get to read tickets")
        session = result.sock.session
        has_ticket = bool(session is not None and session.has_ticket)
    finally:
        result.close()
    if has_ticket:
        pytest.skip(
            "the responder issues session tickets; probing 0-RTT needs a TLS stack "
            "that can send early data"
        )
