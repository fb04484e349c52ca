"""Blind red-team round 11 (client3): both clients (`sft eke get/put`, `sft get/put` over
TLS) through the round-11 lenses, written from docs/SPEC.md and the reference's clients
only (helper B45).

A first list of 26 was written blind; comparing it with the registered client mutants
found 20 of them already planted (put exit statuses, truthy `accept`, revocation of the
first CRL entry, busy-wait caps, skew, password-file strips, casefolded CNs, ...): they
were replaced, aimed at what no registered mutant plants (BYE_, LIM-9, ERR-1's members,
the put's acknowledgement, the handshake's frame rules, record batching, caches across
runs). Of the 21 run blind, three were then dropped as no black-box case can judge them:
"C4 checked with endswith(Na)" (the schema fixes C4 at 32 bytes of plaintext: it is
equality, an equivalent mutant), "BYE_ sealed by hand when a transfer runs" (seen only on
SIGTERM mid-DATA, where the interrupted write leaves a torn record, or after the put's
DONE, where a pipelined BYE_ is allowed: APP-2) and "stale sweep after 10 s" (the SPEC ties
the sweep to the client's own idle timeout, which a target does not declare).

Lens of each mutant (1 caches/shortcuts, 2 time, 3 I/O granularity, 4 lenient parsing,
5 role asymmetry, 6 fallbacks):

  1  b11cl3-eke-put-hash-first-chunk     the put's DONE hashes only its first DATA chunk
  1  b11cl3-pki-bye-empty-payload        BYE_ sent with no payload ("it has no members")
  1  b11cl3-eke-put-data-seq-reuse       the DATA fast path seals without advancing seq
  1  b11cl3-pki-alias-verified-cache     a responder alias verified once is trusted after
  2  b11cl3-eke-hs-deadline-per-read     the handshake timeout restarts at every read
  2  b11cl3-eke-hs-timeout-from-idle     the handshake deadline is the idle timeout
  3  b11cl3-eke-put-done-in-last-record  the put's DONE sealed in the last DATA's record
  3  b11cl3-eke-hs-length-judged-late    a handshake frame's length judged once it is in
  3  b11cl3-pki-put-half-close           SHUT_WR after the put's DONE (no close_notify)
  4  b11cl3-pki-type-case-folded         frame types upper-cased before the FRM-2 check
  4  b11cl3-pki-sweep-substring          the sweep matches "sft-partial-" anywhere
  4  b11cl3-eke-put-accept-name-unchecked  RSFL{accept}'s `name` neither required nor typed
  4  b11cl3-eke-hs-unknown-frame-skipped  an unknown frame type skipped in the handshake
  5  b11cl3-eke-eror-without-name        the client's EROR built from the receiving schema
  5  b11cl3-eke-put-name-nfc             the put's name NFC-normalised (the get's is not)
  5  b11cl3-pki-put-ack-sha-optional     the put's DONE answer read without its sha256
  6  b11cl3-eke-eror-code-from-string    an EROR code given as a string is parsed
  6  b11cl3-pki-expired-retry-no-time    an expired responder retried without time checks

Unregistered by the lead: b11cl3-eke-put-accept-name-unchecked. Four of seven
independent eke clients ignore RSFL{accept}.name the same way; the name is for display
only (APP-PUT-9), and the SPEC now lets an initiator ignore it altogether.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import stat
import time
import unicodedata
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_NO_CHECK_TIME = 0x200000  # OpenSSL's X509_V_FLAG_NO_CHECK_TIME


# --- lens 1: caches and shortcuts ---------------------------------------------------------


def _eke_put_hash_first_chunk() -> None:
    """The sender hashes the first chunk (a "fingerprint"), then only counts bytes."""
    app = _module("reference.app")
    errors = _module("reference.errors")
    frames = _module("reference.frames")
    messages = _module("reference.messages")

    def send_data_header(self: Any, payload: Any) -> bytes:
        if self._error is not None:
            raise errors.LocalProtocolError(errors.ErrorCode.INTERNAL, "the connection failed")
        self._send_lookup(messages.Data)
        n = len(payload)
        if not 1 <= n <= frames.MAX_DATA_PAYLOAD:
            raise errors.LocalProtocolError(errors.ErrorCode.INTERNAL, "bad DATA size")
        out = self._outgoing
        if out.count + n > out.announced:
            raise errors.LocalProtocolError(errors.ErrorCode.INTERNAL, "more DATA than announced")
        if out.count == 0:
            out.add(payload)
        else:
            out.count += n
        return bytes(frames.encode_header(messages.T_DATA, n))

    app.ApplicationConnection.send_data_header = send_data_header


def _pki_bye_empty_payload() -> None:
    """BYE_ has no members, so the initiator sends it with no payload at all."""
    transfer = _module("reference.transfer")
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    errors = _module("reference.errors")

    def bye(self: Any) -> None:
        try:
            self.channel.stream.sendall(frames.encode_header(messages.T_BYE, 0))
            self.channel.next_event()
        except (OSError, errors.ProtocolError):
            pass

    transfer.Initiator.bye = bye


def _eke_put_data_seq_reuse() -> None:
    """The zero-copy DATA path computes its nonce from the sequence number but leaves the
    counter where it was (only `seal` advances it)."""
    crypto = _module("reference.eke.crypto")
    original = crypto.RecordSealer.seal_payload

    def seal_payload(self: Any, frame_type: bytes, length: int) -> Any:
        seq = self.sequence
        record = original(self, frame_type, length)
        self.sequence = seq
        return record

    crypto.RecordSealer.seal_payload = seal_payload


def _pki_alias_verified_cache() -> None:
    """Responders verified once are remembered in the identity directory (alias ->
    certificate fingerprint); a remembered alias skips the checks, and the fingerprint is
    never compared (the cache is keyed on the alias the user typed)."""
    client = _module("reference.pki.client")
    original_init = client.PkiSession.__init__
    original_connect = client.PkiSession._connect_once
    hashlib = _module("hashlib")
    state: dict[str, Path] = {}

    def __init__(self: Any, identity: Any, target: str, config: Any = None, **kw: Any) -> None:
        state["dir"] = Path(identity.directory)
        original_init(self, identity, target, config, **kw)

    def _connect_once(self: Any, context: Any, host: str, port: int, *, reached: bool) -> Any:
        cache = state["dir"] / ".verified-peers.json"
        try:
            known = json.loads(cache.read_text())
        except (OSError, ValueError):
            known = {}
        if self.alias not in known:
            sock = original_connect(self, context, host, port, reached=reached)
            der = sock.getpeercert(binary_form=True) or b""
            known[self.alias] = hashlib.sha256(der).hexdigest()
            with contextlib.suppress(OSError):
                cache.write_text(json.dumps(known))
            return sock
        # Known alias: connect and complete TLS (chain, CRL by OpenSSL), skip the rest.
        saved = client.peer_alias
        client.peer_alias = lambda sock, *, as_server: self.alias
        try:
            return original_connect(self, context, host, port, reached=reached)
        finally:
            client.peer_alias = saved

    client.PkiSession.__init__ = __init__
    client.PkiSession._connect_once = _connect_once


# --- lens 2: time -------------------------------------------------------------------------


def _eke_hs_deadline_per_read() -> None:
    """The handshake timeout is a per-read timeout: every byte that arrives restarts it."""
    eke_client = _module("reference.eke.client")
    transport = _module("reference.eke.transport")
    handshake = _module("reference.eke.handshake")
    frames = _module("reference.frames")
    errors = _module("reference.errors")

    def run_handshake(sock: Any, hs: Any, deadline: float, on_event: Any) -> Any:
        budget = deadline - time.monotonic()
        transport._flush(sock, hs)
        while True:
            try:
                event = hs.next_event()
            except errors.RemoteProtocolError:
                transport._flush(sock, hs)
                raise
            if event is frames.NEED_DATA:
                transport._flush(sock, hs)
                sock.settimeout(budget)
                try:
                    data = sock.recv(transport._RECV_CHUNK)
                except TimeoutError:
                    hs.fail_timeout()
                    transport._flush(sock, hs)
                    raise transport.HandshakeTimeout() from None
                hs.receive_data(data)
                continue
            if isinstance(event, handshake.Established):
                transport._flush(sock, hs)
                return event
            on_event(event)
            transport._flush(sock, hs)

    eke_client.run_handshake = run_handshake


def _eke_hs_timeout_from_idle() -> None:
    """The login's deadline is taken from the idle timeout (60 s), not the handshake's."""
    eke_client = _module("reference.eke.client")
    original = eke_client.EkeClient._connect_once

    def _connect_once(self: Any) -> Any:
        config = self.config
        self.config = dataclasses.replace(config, handshake_timeout=config.idle_timeout)
        try:
            return original(self)
        finally:
            self.config = config

    eke_client.EkeClient._connect_once = _connect_once


def _eke_put_done_in_last_record() -> None:
    """One record fewer: the put's DONE rides in the record of its last DATA frame."""
    eke_client = _module("reference.eke.client")
    messages = _module("reference.messages")
    frames = _module("reference.frames")

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        stream = self._require()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise eke_client.TransferFailed(f"cannot read {path}: {exc.strerror}") from None
        size = len(data)
        try:
            stream.send(messages.PutRequest(name or path.name, size))
        except OSError as exc:
            self._abandon()
            raise eke_client.TransferFailed(f"connection lost: {exc}") from None
        answer = self._next(stream)
        if not isinstance(answer, messages.PutAccepted):
            raise eke_client.TransferFailed("unexpected answer from the server")
        chunks = [
            data[i : i + frames.MAX_DATA_PAYLOAD] for i in range(0, size, frames.MAX_DATA_PAYLOAD)
        ]
        try:
            for index, chunk in enumerate(chunks):
                frame = stream.app.send_data_header(chunk) + chunk
                if index == len(chunks) - 1:
                    frame += stream.app.send(stream.app.outgoing_done())
                stream.sock.sendall(stream.channel.seal(frame))
            if not chunks:
                stream.send(stream.app.outgoing_done())
        except OSError as exc:
            self._abandon()
            raise eke_client.TransferFailed(f"connection lost: {exc}") from None
        done = self._next(stream)
        if not isinstance(done, messages.Done):
            raise eke_client.TransferFailed("unexpected answer from the server")
        return str(answer.name)

    eke_client.EkeClient.put = put


def _handshake_reader(*, judge_length_late: bool, skip_unknown: bool) -> Any:
    """The client handshake's frame reader, with one of two slips."""
    handshake = _module("reference.eke.handshake")
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    known = {handshake.T_EKE1, handshake.T_EKE2, handshake.T_EKE3, handshake.T_EKE4}
    known.add(handshake.T_EROR)

    def _read_frame(self: Any) -> Any:
        buf = self._inbox
        if len(buf) < frames.HEADER_SIZE:
            return self._need_more()
        limit = 0xFFFFFFFF if judge_length_late else frames.MAX_CONTROL_PAYLOAD
        frame_type, length = frames.parse_header(buf[: frames.HEADER_SIZE], limit)
        if skip_unknown and frame_type not in known:
            if len(buf) < frames.HEADER_SIZE + length:
                return self._need_more()
            del buf[: frames.HEADER_SIZE + length]  # extensibility: not ours, skipped
            return self._read_frame()
        step = handshake._TRANSITIONS.get((self.state, frame_type))
        if step is None:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.UNEXPECTED_FRAME,
                f"{frame_type.decode('ascii')} not allowed in state {self.state.name}",
            )
        if len(buf) < frames.HEADER_SIZE + length:
            return self._need_more()
        if length > frames.MAX_CONTROL_PAYLOAD:
            raise errors.RemoteProtocolError(errors.ErrorCode.FRAME_TOO_LARGE, "too large")
        payload = bytes(buf[frames.HEADER_SIZE : frames.HEADER_SIZE + length])
        del buf[: frames.HEADER_SIZE + length]
        obj = frames.loads_control(payload)
        frames.check_schema(frame_type, obj, handshake._SCHEMAS[frame_type])
        handler, next_state = step
        event = getattr(self, handler)(obj)
        self.state = next_state
        if event is None:
            return self.next_event()
        return event

    return _read_frame


def _eke_hs_length_judged_late() -> None:
    """A handshake frame's length is judged once the whole frame is in (a 4 GiB EKE2
    header is waited for until the handshake times out)."""
    handshake = _module("reference.eke.handshake")
    handshake.ClientHandshake._read_frame = _handshake_reader(
        judge_length_late=True, skip_unknown=False
    )


def _pki_put_half_close() -> None:
    """After its DONE the initiator half-closes (SHUT_WR) to say "nothing more", as
    sft-eke/1 allows (APP-2): over TLS that is a bare FIN without close_notify."""
    transfer = _module("reference.transfer")
    channel_class = transfer._Channel
    original = channel_class.send_file

    def send_file(self: Any, reader: Any, size: int, progress: Any) -> None:
        original(self, reader, size, progress)
        with contextlib.suppress(OSError, AttributeError):
            dup = socket.socket(fileno=os.dup(self.stream.fileno()))
            dup.shutdown(socket.SHUT_WR)
            dup.close()

    channel_class.send_file = send_file


# --- lens 4: lenient parsing --------------------------------------------------------------


def _pki_type_case_folded() -> None:
    """Frame types are upper-cased before the FRM-2 check ("rsfl" is RSFL)."""
    app = _module("reference.app")
    frames = _module("reference.frames")

    def parse_header(header: Any, max_payload: int) -> tuple[bytes, int]:
        raw = bytes(header)
        frame_type, length = frames.parse_header(raw[:4].upper() + raw[4:], max_payload)
        return frame_type, length

    app.parse_header = parse_header


def _pki_sweep_substring() -> None:
    """The stale-temporary sweep matches "sft-partial-" anywhere in a name (a glob
    `*sft-partial-*`): the user's old `notes.sft-partial-2024.txt` goes too."""
    transfer = _module("reference.transfer")

    def remove_stale_partials(directory: Path, *, older_than: float | None = None) -> int:
        removed = 0
        cutoff = None if older_than is None else time.time() - older_than
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return 0
        for entry in entries:
            if "sft-partial-" not in entry.name:
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    continue
                if cutoff is not None and info.st_mtime > cutoff:
                    continue
                os.unlink(entry.path)
                removed += 1
        return removed

    transfer.remove_stale_partials = remove_stale_partials


def _eke_put_accept_name_unchecked() -> None:
    """RSFL{accept}'s `name` is for display only, so it is neither required nor typed."""
    app = _module("reference.app")
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    original = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        if frame.type == messages.T_RSFL and rsfl_for_put:
            obj = frames.loads_control(frame.payload)
            frames.check_schema(frame.type, obj, {"accept": ("true", True)})
            name = obj.get("name")
            return messages.PutAccepted(name if isinstance(name, str) else "")
        return original(frame, rsfl_for_put=rsfl_for_put)

    app.decode_message = decode_message


def _eke_hs_unknown_frame_skipped() -> None:
    """FRM-10's extensibility read as "skip frames you do not know" in the handshake."""
    handshake = _module("reference.eke.handshake")
    handshake.ClientHandshake._read_frame = _handshake_reader(
        judge_length_late=False, skip_unknown=True
    )


# --- lens 5: role asymmetry ---------------------------------------------------------------


def _eke_eror_without_name() -> None:
    """The EROR the client sends is built from the receiving schema, where `name` is
    optional (ERR-1: a receiver acts on `code` only): it carries code and message."""
    messages = _module("reference.messages")
    app = _module("reference.app")
    original = messages.encode_message

    def encode_message(message: Any) -> bytes:
        if isinstance(message, messages.ErrorFrame):
            obj = {"code": int(message.code), "message": message.message[:512]}
            if message.retry_after is not None:
                obj["retry_after"] = message.retry_after
            return bytes(messages._control(messages.T_EROR, obj))
        return bytes(original(message))

    messages.encode_message = encode_message
    app.encode_message = encode_message


def _eke_put_name_nfc() -> None:
    """The put's name is NFC-normalised "for the server's file system"; the get's request
    name was fixed to go literally, this copy was not."""
    eke_client = _module("reference.eke.client")
    original = eke_client.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        offered = unicodedata.normalize("NFC", name or path.name)
        return str(original(self, path, name=offered, progress=progress))

    eke_client.EkeClient.put = put


def _pki_put_ack_sha_optional() -> None:
    """The responder's DONE answering a put is a receipt: its size is checked, its
    sha256 optional (the get's DONE keeps the full schema)."""
    app = _module("reference.app")
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    original = app.ApplicationConnection._on_control

    def _on_control(self: Any, frame: Any) -> Any:
        if frame.type == messages.T_DONE and self.state is app.InitiatorState.DONE_SENT:
            with contextlib.suppress(Exception):
                obj = json.loads(bytes(frame.payload))
                if isinstance(obj, dict) and "sha256" not in obj and self._outgoing is not None:
                    obj["sha256"] = self._outgoing.digest.hexdigest()
                    frame = frames.Frame(frame.type, frames.dumps_control(obj))
        return original(self, frame)

    app.ApplicationConnection._on_control = _on_control


# --- lens 6: fallbacks --------------------------------------------------------------------


def _eke_eror_code_from_string() -> None:
    """An EROR whose code is not an integer falls back to parsing it (`"6"` is 6)."""
    app = _module("reference.app")
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    original = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        if frame.type == messages.T_EROR:
            with contextlib.suppress(Exception):
                obj = json.loads(bytes(frame.payload))
                code = obj.get("code") if isinstance(obj, dict) else None
                if isinstance(code, str) and code.strip().isdigit():
                    obj["code"] = int(code)
                    frame = frames.Frame(frame.type, frames.dumps_control(obj))
        return original(frame, rsfl_for_put=rsfl_for_put)

    app.decode_message = decode_message


def _pki_expired_retry_no_time() -> None:
    """A responder refused for its dates is tried again with the time checks off
    ("the clocks disagree"); the alias and the other checks still run."""
    client = _module("reference.pki.client")
    original = client.PkiSession._connect_once

    def _connect_once(self: Any, context: Any, host: str, port: int, *, reached: bool) -> Any:
        try:
            return original(self, context, host, port, reached=reached)
        except client.PkiClientError as exc:
            text = str(exc)
            if "expired" not in text and "not yet valid" not in text:
                raise
            context.verify_flags |= _NO_CHECK_TIME
            return original(self, context, host, port, reached=reached)

    client.PkiSession._connect_once = _connect_once


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        f"b11cl3-{name}",
        f"blind11-client3-{profile}",
        profile,
        requirement,
        test_file,
        description,
        apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "eke-put-hash-first-chunk",
        "eke",
        "APP-PUT-4",
        "test_client_put.py",
        "eke put: the DONE's sha256 covers only the first DATA chunk (a 'fingerprint')",
        _eke_put_hash_first_chunk,
    ),
    _m(
        "pki-bye-empty-payload",
        "pki",
        "APP-BYE-1",
        "test_client_put.py",
        "pki initiator: BYE_ is sent with an empty payload instead of {}",
        _pki_bye_empty_payload,
    ),
    _m(
        "eke-put-data-seq-reuse",
        "eke",
        "EKE-REC-2",
        "test_client_put_wire.py",
        "eke put: the zero-copy DATA sealer does not advance the record sequence number",
        _eke_put_data_seq_reuse,
    ),
    _m(
        "pki-alias-verified-cache",
        "pki",
        "PKI-ID-1",
        "test_client_pki_alias_memory.py",
        "pki initiator: an alias verified once (cached in the identity directory) skips "
        "the certificate and alias checks on later runs",
        _pki_alias_verified_cache,
    ),
    # lens 2
    _m(
        "eke-hs-deadline-per-read",
        "eke",
        "LIM-9",
        "test_eke_client_login_rules.py",
        "eke client: the handshake timeout restarts at every read (a trickling server "
        "holds it forever)",
        _eke_hs_deadline_per_read,
    ),
    _m(
        "eke-hs-timeout-from-idle",
        "eke",
        "LIM-9",
        "test_eke_client_login_rules.py",
        "eke client: the login deadline is the idle timeout (60 s), not the handshake one",
        _eke_hs_timeout_from_idle,
    ),
    # lens 3
    _m(
        "eke-put-done-in-last-record",
        "eke",
        "EKE-REC-1",
        "test_client_put_wire.py",
        "eke put: the DONE is sealed in the same record as the last DATA frame",
        _eke_put_done_in_last_record,
    ),
    _m(
        "eke-hs-length-judged-late",
        "eke",
        "FRM-3",
        "test_eke_client_login_rules.py",
        "eke client: a handshake frame's length is judged only once the frame is in (an "
        "EKE2 header of 4 GiB is waited for)",
        _eke_hs_length_judged_late,
    ),
    _m(
        "pki-put-half-close",
        "pki",
        "PKI-TLS-7",
        "test_client_put_wire.py",
        "pki put: the initiator half-closes TCP (SHUT_WR) after its DONE: a bare FIN, no "
        "close_notify",
        _pki_put_half_close,
    ),
    # lens 4
    _m(
        "pki-type-case-folded",
        "pki",
        "FRM-2",
        "test_client_lenient_frames.py",
        "pki initiator: frame types are upper-cased before the check (rsfl is RSFL)",
        _pki_type_case_folded,
    ),
    _m(
        "pki-sweep-substring",
        "pki",
        "APP-STORE-3",
        "test_client_sweep_prefix.py",
        "pki get: the stale sweep removes any old file whose name contains 'sft-partial-'",
        _pki_sweep_substring,
    ),
    _m(
        "eke-hs-unknown-frame-skipped",
        "eke",
        "EKE-HS-9",
        "test_eke_client_login_rules.py",
        "eke client: a frame of unknown type during the handshake is skipped",
        _eke_hs_unknown_frame_skipped,
    ),
    # lens 5
    _m(
        "eke-eror-without-name",
        "eke",
        "ERR-1",
        "test_client_lies.py",
        "eke client: the EROR frames it sends carry code and message but no name",
        _eke_eror_without_name,
    ),
    _m(
        "eke-put-name-nfc",
        "eke",
        "APP-NAME-3",
        "test_client_put_wire.py",
        "eke put: the name offered in PUTF is NFC-normalised",
        _eke_put_name_nfc,
    ),
    _m(
        "pki-put-ack-sha-optional",
        "pki",
        "FRM-9",
        "test_client_put_wire.py",
        "pki put: the responder's DONE answering the put is taken without its sha256",
        _pki_put_ack_sha_optional,
    ),
    # lens 6
    _m(
        "eke-eror-code-from-string",
        "eke",
        "ERR-8",
        "test_client_lenient_frames.py",
        "eke client: an EROR whose code is a string of digits is read as that code",
        _eke_eror_code_from_string,
    ),
    _m(
        "pki-expired-retry-no-time",
        "pki",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "pki initiator: a responder refused for its validity dates is retried with "
        "OpenSSL's time checks off",
        _pki_expired_retry_no_time,
    ),
)
