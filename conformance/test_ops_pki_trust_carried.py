"""sft-pki/1: revocation holds on a responder that has been running a while (PKI-CERT-7).

PKI-CERT-7: an endpoint "MUST refuse a peer certificate listed in the organisation's
CRL". The revocation cases of test_pki_certs.py connect to a responder in its ordinary
state. Two shortcuts of a long-running responder pass them:

* Its one TLS context mutated for one connection. A responder that answers connections
  over its limit with a polite `busy` has no use for their revocation check, and turns it
  off — on the context every connection shares. After the first `busy` (a busy hour),
  revoked certificates pass until the context is rebuilt. The first case fills every
  slot with established connections, has one more refused (busy or a close), frees the
  slots and at once presents a revoked certificate: it must be refused. It does the same
  after a connection refused for its certificate (another path that might "relax" the
  shared context to say why).
* Session resumption left on (OpenSSL, Go and Node issue tickets by default) and the
  refreshed CRL loaded into the running context: tickets issued before a revocation stay
  valid, and a resumed TLS 1.3 handshake (PSK) verifies no certificate. The second case
  connects with a fresh employee certificate, keeps the session the responder gave it,
  revokes the employee at the CA, waits for the responder's declared CRL refresh
  (`[limits] crl_refresh`), and connects again offering that session: the connection must
  be refused, resumed or not. A responder that issues no ticket cannot be resumed: PASS
  (the refresh itself is test_pki_certs.py's).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance._wire_fixtures import TranscriptBook, lab_pki
from conformance.channel import Channel
from conformance.eke_support import sources_for
from conformance.pki_channel import (
    PkiChannel,
    client_context,
    close_bound,
    connect_pki,
    judge_responder_refusal,
)
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.test_lockout import _fresh, _honest_get, _limits, _refused_probe
from conformance.test_ops_pki_revocation import _accepted
from conformance.test_pki_certs import (
    _MAX_REFRESH_WAIT,
    _fresh_revocable_identity,
    _record,
    _request_name,
    _revoked_identities,
)
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

__all__: list[str] = []


def _revoked(target: Target) -> tuple[str, Path, Path]:
    name, (cert, key) = next(iter(_revoked_identities(target).items()))
    return name, cert, key


def _judge_revoked(
    target: Target, transcripts: TranscriptBook, name: str, cert: Path, key: Path, after: str
) -> None:
    accepted = _accepted(target, transcripts, cert, key, f"revoked identity {name!r}, {after}")
    if accepted is not None:
        raise ConformanceFailure(
            f"PKI-CERT-7: the identity {name!r}, listed in the CRL since before the responder "
            f"started, was accepted {after}\n{accepted}\n"
            "A check switched off on the TLS context every connection shares, for one "
            "connection, stays off for the next ones",
            violates=("PKI-CERT-7",),
        )


@pytest.mark.req("PKI-CERT-7", "LIM-4")
@pytest.mark.xdist_group("slots")
def test_revoked_certificate_refused_right_after_a_busy_refusal(
    pki_target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    target = pki_target
    if not target.has("busy"):
        unsupported("the target does not declare feature 'busy'")
    name, cert, key = _revoked(target)
    _, total = _limits(target)
    addresses = _fresh(sources_for(target), total + 1)
    held: list[Channel] = []
    try:
        for index, source in enumerate(addresses[:total]):
            held.append(_honest_get(target, source, tmp_path, transcripts, f"#{index + 1}"))
        refusal = _refused_probe(target, addresses[total], tmp_path, transcripts)
        if refusal is None:
            inconclusive("one connection over max_connections was served (LIM-4 judges it)")
    finally:
        for channel in held:
            channel.close()
    _judge_revoked(
        target, transcripts, name, cert, key,
        f"right after a connection over max_connections ({total}) was refused and the "
        f"{total} connections holding the slots ended",
    )  # fmt: skip


@pytest.mark.req("PKI-CERT-7")
def test_revoked_certificate_refused_right_after_another_refused_certificate(
    pki_target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    target = pki_target
    name, cert, key = _revoked(target)
    lab = lab_pki(target)
    expired_cert, expired_key = lab.employee("suite", days_before=30, days_after=-1).write(
        tmp_path, "expired"
    )
    if _accepted(target, transcripts, expired_cert, expired_key, "an expired employee") is None:
        _judge_revoked(
            target, transcripts, name, cert, key, "right after an expired certificate was refused"
        )


@pytest.mark.req("PKI-CERT-7")
def test_session_from_before_a_revocation_is_not_resumed_after_it(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    target = pki_target
    if not target.has("crl"):
        unsupported("the target does not declare feature 'crl'")
    interval = target.limits.crl_refresh
    if interval > _MAX_REFRESH_WAIT:
        pytest.skip(
            f"the target's [limits] crl_refresh is {interval:g} s (the case waits for at "
            f"most {_MAX_REFRESH_WAIT:g} s)"
        )
    assert target.root is not None
    alias, cert, key = _fresh_revocable_identity(target, tmp_path)
    ctx = client_context(target.root, cert, key)
    name = _request_name(target)
    first = connect_pki(target.host, target.port, ctx, name=f"{alias} before revocation")
    _record(transcripts, first)
    if not isinstance(first, PkiChannel):
        inconclusive(f"{alias!r} was refused before it was revoked: {first.reason}")
        return
    try:
        first.send_frame("RQFL", {"name": name})
        answer = first.recv_frame(deadline_after(first.timeout))
        # The tickets (NewSessionTicket) come after the handshake: read before asking.
        session = first.sock.session
    finally:
        first.close()
    if not isinstance(answer, ReceivedFrame) or answer.error_name == "auth_failed":
        inconclusive(f"{alias!r} was not served before its revocation: {answer.describe()}")
    if session is None or not session.has_ticket:
        return  # no ticket: nothing can be resumed
    ca.admin_command(target, "revoke", alias)
    waited = 1.5 * interval + 1.0
    # Waiting out the declared refresh period (bounded by _MAX_REFRESH_WAIT): the
    # condition under test is a session older than the CRL the responder now holds.
    time.sleep(waited)
    second = connect_pki(
        target.host, target.port, ctx, name=f"{alias} revoked, resuming", session=session
    )
    resumed = isinstance(second, PkiChannel) and second.sock.session_reused
    _record(transcripts, second)
    what = (
        f"PKI-CERT-7: {alias!r} revoked at the CA {waited:g} s ago (declared CRL refresh "
        f"{interval:g} s); its session from before the revocation offered for resumption "
        f"({'resumed' if resumed else 'not resumed'})"
    )
    try:
        judge_responder_refusal(
            second,
            what,
            request_name=name,
            close_within=close_bound(target.limits.idle_timeout),
        )
    except ConformanceFailure as failure:
        # Accepted. A MUST only if the responder knows of the revocation: a full handshake
        # with the same certificate must be refused now. If it is accepted too, the CRL
        # was not refetched in time — PKI-CERT-7's SHOULD, judged by
        # test_ops_pki_revocation.py, not here.
        if _accepted(target, transcripts, cert, key, f"{alias} revoked, full handshake"):
            inconclusive(
                f"{alias!r} was accepted {waited:g} s after its revocation without a session "
                "too: the responder had not refetched the CRL (a SHOULD)"
            )
        raise ConformanceFailure(
            f"{failure}\nA full handshake with the same certificate, right after, was "
            "refused: the responder holds the CRL that lists it, yet resumed a session "
            "issued before the revocation (a resumed TLS 1.3 handshake verifies no "
            "certificate)",
            violates=("PKI-CERT-7",),
        ) from None
    finally:
        if isinstance(second, PkiChannel):
            second.close()
