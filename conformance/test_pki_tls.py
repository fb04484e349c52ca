"""sft-pki/1 channel (docs/SPEC.md §4.1, §4.3): TLS 1.3, ALPN, client certificates, alias.

Responder side: the suite connects with a misconfigured TLS client and the responder must
refuse. Initiator side: the suite runs a hostile TLS responder and the initiator under
test (`--client-cmd`; for the embedded run, the reference's `sft get`) must refuse it
before sending any application frame.

How a connection ends [PKI-TLS-6/7]: the suite's channels keep a ragged EOF visible
(`suppress_ragged_eofs=False`), so a bare TCP FIN is told apart from a close_notify after
BYE_, after a get or a put, after a fatal error, after a refused certificate and in
answer to the suite's own close_notify, and on the error paths that end a connection
(an EROR received from the initiator, integrity_failed, frame_too_large, bad_frame, the
allow list's forbidden); and, on the initiator, in answer to the responder's
close_notify after a get.

Fixtures (conformance/plugin.py): `target` (pinned to pki by this file's name),
`transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import os
import select
import socket
import ssl
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    fresh_name,
    get_file,
    honest_get_script,
    judge_refusal,
    known_file,
    lab_pki,
    put_file,
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
    Script,
    client_context,
    close_bound,
    connect_pki,
    ended_cleanly,
    judge_responder_refusal,
)
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    Event,
    Expectation,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
    header_bytes,
)

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


# Every frame type of the profiles (§1, §3.1, §5.3): none may come back in the clear.
_SFT_TYPES = frozenset(
    {b"RQFL", b"RSFL", b"PUTF", b"DATA", b"DONE", b"EROR", b"BYE_", b"RECD", b"EKE1", b"EKE2"}
    | {b"EKE3", b"SECE", b"RSCV", b"RSCI"}
)


@pytest.mark.req("PKI-TLS-1")
@pytest.mark.parametrize("opening", ["RQFL", "PUTF", "BYE_"])
def test_application_frames_in_the_clear_are_never_answered(
    target: Target, transcripts: TranscriptBook, opening: str
) -> None:
    """A connection that opens with an sft frame in the clear, not a TLS ClientHello: the
    channel is TLS 1.3 or nothing, so the responder answers with a TLS alert, or closes,
    never with an sft frame. Catches a responder that sniffs the first byte and falls
    back to plaintext (a debugging mode, "local clients", a port shared with another
    profile)."""
    name = target.files[0].name if target.files else "hello.txt"
    openings: dict[str, dict[str, object]] = {
        "RQFL": {"name": name},
        "PUTF": {"name": fresh_name(), "size": 1},
        "BYE_": {},
    }
    payload = openings[opening]
    sent = frame_bytes(opening, control(payload))
    wait = target.limits.handshake_timeout + 2.0
    got = b""
    try:
        sock = socket.create_connection((target.host, target.port), timeout=wait)
    except OSError as exc:
        raise ConformanceFailure(f"cannot connect to {target.host}:{target.port}: {exc}") from None
    with sock:
        sock.sendall(sent)
        deadline = time.monotonic() + wait
        # Bounded: until 8 bytes came, the connection ended, or the deadline.
        while len(got) < 8 and time.monotonic() < deadline:
            ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            try:
                chunk = sock.recv(4096)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    if got[:4] in _SFT_TYPES:
        raise ConformanceFailure.evidence(
            f"PKI-TLS-1: {opening} {payload} sent in the clear, without TLS",
            "a TLS alert or the close: sft-pki/1 runs over TLS 1.3 only",
            f"an sft frame in the clear: {got[:64]!r}",
        )


def _judge_refused(
    target: Target,
    result: PkiChannel | HandshakeRefused,
    what: str,
    transcripts: TranscriptBook,
) -> None:
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)
    judge_responder_refusal(
        result,
        what,
        request_name=target.files[0].name if target.files else "hello.txt",
        close_within=close_bound(target.limits.idle_timeout),
    )


@pytest.mark.req("PKI-TLS-2", "PKI-TLS-10", "ERR-3")
@pytest.mark.parametrize(
    "alpn",
    [None, ("http/1.1",), ("sft-pki/0",), ("SFT-PKI/1",), ("sft-pki/10",), ("sft-pki",)],
    ids=["none", "http", "sft-pki-0", "upper-case", "longer", "shorter"],
)
def test_client_without_sft_alpn_is_refused(
    target: Target, transcripts: TranscriptBook, tmp_path: Path, alpn: tuple[str, ...] | None
) -> None:
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key, alpn=alpn)
    )
    if isinstance(result, PkiChannel) and result.peer.alpn is not None:
        # Refusing afterwards is allowed (PKI-TLS-10); selecting another protocol is not.
        transcripts.add(result)
        result.close()
        raise ConformanceFailure.evidence(
            f"PKI-TLS-2: a ClientHello offering ALPN {alpn}",
            "the alert no_application_protocol, or a handshake with no protocol selected",
            f"the responder selected {result.peer.alpn!r}",
        )
    _judge_refused(target, result, f"PKI-TLS-2: ALPN {alpn}", transcripts)


@pytest.mark.req("PKI-TLS-2")
def test_sft_alpn_among_others_is_selected(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """A client offering other protocols first still gets sft-pki/1 selected."""
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    offer = ("http/1.1", ALPN, "h2")
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key, alpn=offer)
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        raise ConformanceFailure(f"PKI-TLS-2: offering {offer}: {result.describe()}")
    transcripts.add(result)
    try:
        if result.peer.alpn != ALPN:
            raise ConformanceFailure(f"PKI-TLS-2: offered {offer}, selected {result.peer.alpn!r}")
        get_file(result, known_file(target).name)
    finally:
        result.close()


@pytest.mark.req("PKI-TLS-3", "PKI-TLS-10", "ERR-3")
def test_client_without_certificate_is_refused(target: Target, transcripts: TranscriptBook) -> None:
    assert target.root is not None
    result = connect_pki(target.host, target.port, client_context(target.root))
    _judge_refused(target, result, "PKI-TLS-3: no client certificate", transcripts)


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
    if not run.succeeded or not run.kept_file or run.out.read_bytes() != CONTENT:
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


# --- how a connection ends [PKI-TLS-6, PKI-TLS-7] ----------------------------------------

_ENDINGS = [
    "bye",
    "get_then_bye",
    "put_then_bye",
    "fatal_error",
    "refused_certificate",
    "get_then_suite_close_notify",
    # The responder ends an idle connection itself: EROR timeout, then close_notify.
    "idle_timeout",
]


def _end_of_stream(
    channel: PkiChannel, limit: float, *, close_after_first: float | None = None
) -> list[Event]:
    """Reads (bounded: 4 events, `limit` seconds) until the responder ends the stream;
    with `close_after_first`, the end must also come that soon after the first frame (a
    fatal EROR is followed by the close at once, ERR-3, not by another timeout)."""
    events: list[Event] = []
    deadline = deadline_after(limit)
    for _ in range(4):
        event = channel.recv_frame(deadline)
        events.append(event)
        if not isinstance(event, ReceivedFrame):
            break
        if close_after_first is not None and len(events) == 1:
            deadline = min(deadline, deadline_after(close_after_first))
    return events


@pytest.mark.req("PKI-TLS-6", "PKI-TLS-7")
@pytest.mark.parametrize("ending", _ENDINGS)
def test_responder_ends_every_connection_with_close_notify(
    target: Target, transcripts: TranscriptBook, tmp_path: Path, ending: str
) -> None:
    """Whatever ends the connection, the responder's last word is a TLS close_notify (or
    a TLS alert while refusing), never a bare TCP FIN: the initiator could not tell a
    finished stream from a truncated one."""
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    weak = False
    if ending == "refused_certificate":
        # A defect OpenSSL itself lets through: the refusal comes after the handshake.
        cert, key = lab_pki(target).bad("no_eku", alias="suite").write(tmp_path, "no-eku")
        weak = True
    if ending == "put_then_bye" and not target.has("put"):
        unsupported("the target does not declare feature 'put'")
    if ending == "idle_timeout" and target.limits.idle_timeout > 10.0:
        pytest.skip("waits out the idle timeout: only with a declared idle_timeout <= 10 s")
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key, weak_allowed=weak)
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        if ending == "refused_certificate":
            return  # refused by a TLS alert: an error is a clean end [PKI-TLS-6]
        raise ConformanceFailure(f"honest handshake refused: {result.describe()}")
    transcripts.add(result)
    try:
        if ending in ("get_then_bye", "get_then_suite_close_notify"):
            get_file(result, known_file(target).name)
        if ending == "get_then_suite_close_notify":
            # The suite ends first (no BYE_): the responder must answer our close_notify
            # with its own. `unwrap` sends ours and reads theirs (bounded).
            result.sock.settimeout(min(5.0, 0.8 * target.limits.idle_timeout + 1.0))
            try:
                result.sock.unwrap()
            except (ssl.SSLError, OSError, ValueError) as exc:
                raise ConformanceFailure.evidence(
                    "PKI-TLS-7: the responder's answer to the suite's close_notify after a get",
                    "the responder's own close_notify",
                    f"{type(exc).__name__}: {exc}",
                ) from None
            return
        elif ending == "put_then_bye":
            answer, final = put_file(result, fresh_name(), b"close_notify test\n")
            if final is None or not final.ok or final.frame is None:
                raise ConformanceFailure(f"the put did not complete: {answer.describe()}")
        first: list[Expectation]
        if ending == "fatal_error":
            result.send_frame("ZZZZ", {})
            first = [ExpectError("unexpected_frame", then_close=False)]
        elif ending == "refused_certificate":
            result.send_frame("RQFL", {"name": "hello.txt"})
            first = [ExpectError("auth_failed", then_close=False)]
        elif ending == "idle_timeout":
            first = [ExpectError("timeout", then_close=False)]
        else:
            result.send_frame("BYE_", {})
            first = [ExpectFrame("BYE_")]
        limit = min(5.0, 0.8 * target.limits.idle_timeout + 1.0)
        close_after_first = None
        if ending == "idle_timeout":
            # the timeout comes within 1.5 idle timeouts, its close at once after it
            limit = 1.5 * target.limits.idle_timeout + 1.0
            close_after_first = close_bound(target.limits.idle_timeout)
        events = _end_of_stream(result, limit, close_after_first=close_after_first)
        # After its close_notify the responder closes the TCP connection too, and does
        # not hold it beyond its idle timeout waiting for the suite's close_notify (a C
        # responder's blocking bidirectional SSL_shutdown). Waiting for the peer's
        # close_notify within that bound is left alone: JSSE's SSLSocket.close() does, and
        # the reference waits 1 s for it, so two endings (one shared close path) suffice.
        tcp_end = (
            _tcp_end_within(result, 1.5 * target.limits.idle_timeout + 1.0)
            if ended_cleanly(events[-1]) and ending in ("bye", "idle_timeout")
            else ""
        )
    finally:
        result.close()
    frames = [e for e in events if isinstance(e, ReceivedFrame)]
    last = events[-1]
    unexpected = [f for f in frames if not any(x.matches(f) for x in first)]
    if unexpected or len(frames) > 1:
        raise ConformanceFailure(
            f"{ending}: unexpected frames before the end: {[f.describe(60) for f in frames]}"
        )
    if ending == "refused_certificate" and isinstance(last, Closed) and last.kind == "tls_alert":
        return
    if not ended_cleanly(last):
        raise ConformanceFailure.evidence(
            f"PKI-TLS-7: how the responder ended the connection ({ending})",
            "a TLS close_notify, then the TCP close, soon after the last frame",
            " then ".join(e.describe() for e in events),
        )
    if tcp_end:
        failure = ConformanceFailure.evidence(
            f"PKI-TLS-7: the TCP close after the responder's close_notify ({ending})",
            "a TCP FIN (or reset) within the idle timeout after the close_notify, the "
            "suite's own close_notify never sent",
            " then ".join(e.describe() for e in events) + f"; then {tcp_end}",
            note="an ended TLS stream must not keep its connection open past the idle timeout",
        )
        failure.violates = ("PKI-TLS-7",)
        raise failure


# Error paths that end the connection and that the endings above do not take: an EROR
# received from the initiator (the responder closes on any EROR, §3.2), a put failing its
# integrity check at DONE or by sending more than announced (the responder still has
# unread DATA), a frame announcing more than the limit, a malformed control payload.
# Each is a separate code path in many implementations (a "drop it at once" shortcut for
# a sender still pushing data is the typical bare FIN or reset).
_ERROR_ENDINGS: dict[str, tuple[bool, tuple[str, ...]]] = {
    # name: (needs put, EROR codes the responder may send before its close_notify)
    "initiator_fatal_eror": (False, ("internal", "bad_frame")),
    "initiator_nonfatal_eror": (False, ("bad_frame",)),
    "put_integrity_failed_at_done": (True, ("integrity_failed",)),
    "put_more_data_than_announced": (True, ("integrity_failed",)),
    "frame_too_large": (False, ("frame_too_large", "bad_frame")),
    "malformed_control_payload": (False, ("bad_frame",)),
    # An employee off the allow list: `forbidden` (non-fatal), then the close [PKI-ID-3].
    "not_on_the_allow_list": (False, ("forbidden",)),
}


def _provoke(channel: PkiChannel, ending: str) -> None:
    """Sends what makes the responder end the connection by `ending`."""
    if ending == "initiator_fatal_eror":
        channel.send_frame("EROR", {"code": 11, "name": "internal", "message": "suite"})
    elif ending == "initiator_nonfatal_eror":
        channel.send_frame("EROR", {"code": 6, "name": "not_found", "message": "suite"})
    elif ending == "frame_too_large":
        channel.send_raw(header_bytes("RQFL", 0xFFFFFFF0))
    elif ending == "malformed_control_payload":
        channel.send_frame("RQFL", b"{not json")
    elif ending == "not_on_the_allow_list":
        channel.send_frame("RQFL", {"name": "hello.txt"})
    else:
        data = os.urandom(64)
        channel.send_frame("PUTF", {"name": fresh_name("tls-end"), "size": len(data)})
        answer = channel.expect([ExpectFrame("RSFL", {"accept": True})])
        answer.check(f"{ending}: PUTF of a new name")
        if ending == "put_integrity_failed_at_done":
            channel.send_frame("DATA", data)
            wrong = hashlib.sha256(data + b"!").hexdigest()
            channel.send_frame("DONE", {"size": len(data), "sha256": wrong})
        else:
            channel.send_frame("DATA", data + b"!")  # one byte more than announced


@pytest.mark.req("PKI-TLS-7")
@pytest.mark.parametrize("ending", sorted(_ERROR_ENDINGS))
def test_responder_ends_error_paths_with_close_notify(
    target: Target, transcripts: TranscriptBook, tmp_path: Path, ending: str
) -> None:
    """Each error path that ends an established connection ends it with a TLS
    close_notify before the TCP close [PKI-TLS-7], never a bare FIN or a reset: after an
    EROR the initiator sent (fatal or not), after `integrity_failed` at DONE or on DATA
    beyond the announced size, after `frame_too_large`, after `bad_frame`, after the
    `forbidden` that refuses an employee off the allow list (PKI-ID-3)."""
    needs_put, codes = _ERROR_ENDINGS[ending]
    if needs_put and not target.has("put"):
        unsupported("the target does not declare feature 'put'")
    outsider = ending == "not_on_the_allow_list"
    if outsider and not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    assert target.root is not None
    if outsider:
        employee = lab_pki(target).employee("sft-conformance-outsider")
        cert, key = employee.write(tmp_path, "outsider")
    else:
        cert, key = suite_identity(target, tmp_path)
    result = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        if outsider:
            return  # refusing the outsider's handshake is stricter than PKI-ID-3, and allowed
        raise ConformanceFailure(f"honest handshake refused: {result.describe()}")
    transcripts.add(result)
    idle = target.limits.idle_timeout
    try:
        _provoke(result, ending)
        events = _end_of_stream(
            result, min(5.0, 0.8 * idle + 1.0), close_after_first=close_bound(idle)
        )
    finally:
        result.close()
    allowed = ExpectError(*codes, then_close=False)
    frames = [e for e in events if isinstance(e, ReceivedFrame)]
    last = events[-1]
    if any(not allowed.matches(f) for f in frames) or len(frames) > 1:
        raise ConformanceFailure.evidence(
            f"{ending}: what the responder sent before ending the connection",
            f"at most one EROR ({' or '.join(codes)}), then the end",
            " then ".join(e.describe() for e in events),
        )
    if not isinstance(last, Closed):
        failure = ConformanceFailure.evidence(
            f"ERR-3: {ending}: the responder did not end the connection",
            "the end of the connection at once",
            " then ".join(e.describe() for e in events),
        )
        failure.violates = ("ERR-3",)
        raise failure
    if not ended_cleanly(last):
        failure = ConformanceFailure.evidence(
            f"PKI-TLS-7: how the responder ended the connection ({ending})",
            "a TLS close_notify, then the TCP close",
            " then ".join(e.describe() for e in events),
        )
        failure.violates = ("PKI-TLS-7",)
        raise failure


def _tcp_end_within(channel: PkiChannel, seconds: float) -> str:
    """Empty once the TCP connection under the ended TLS stream closes (FIN or reset) within
    `seconds`; otherwise what was seen. Reads the socket below TLS (a duplicate of its
    descriptor), so the suite sends no close_notify of its own meanwhile."""
    raw = socket.socket(fileno=os.dup(channel.sock.fileno()))
    try:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([raw], [], [], left)
            if not ready:
                break
            try:
                if not raw.recv(4096, socket.MSG_DONTWAIT):
                    return ""
            except BlockingIOError:
                continue
            except OSError:
                return ""  # a reset: the connection is closed too
        return f"the TCP connection still open {seconds:.2f} s after the close_notify"
    finally:
        raw.close()  # the duplicate only: the channel's own descriptor stays open


def _serve_get_then_close(content: bytes, ends: list[str]) -> Script:
    """An honest responder for one get that then ends the stream itself (the initiator
    may wait for that after BYE_, APP-BYE-1) and records how the initiator answers its
    close_notify: with its own close_notify [PKI-TLS-7], or a bare FIN / reset."""
    honest = honest_get_script(content)

    def script(channel: PkiChannel) -> None:
        honest(channel)
        channel.sock.settimeout(3.0)
        try:
            channel.sock.unwrap()  # our close_notify, then read theirs
        except (ssl.SSLError, OSError, ValueError) as exc:
            ends.append(f"no close_notify in answer to ours: {type(exc).__name__}: {exc}")
        else:
            ends.append("close_notify")

    return script


@pytest.mark.req("PKI-TLS-6", "PKI-TLS-7")
def test_initiator_ends_with_close_notify(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """After a completed get, the initiator ends with close_notify, not a bare FIN."""
    lab = lab_pki(target)
    ends: list[str] = []
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=_serve_get_then_close(CONTENT, ends),
    )
    require_reached(run, hostile, request=True)
    if not run.succeeded or not ends:
        raise ConformanceFailure(f"honest get failed: {run.describe()}; saw {ends}")
    if ends != ["close_notify"]:
        raise ConformanceFailure.evidence(
            "PKI-TLS-7: the initiator's answer to the responder's close_notify after a get",
            "the initiator's own close_notify",
            "; ".join(ends),
            note=run.describe(),
        )
