"""Blind round 3 (brief B6): bugs an implementer of the sft-eke/1 SERVER and CLIENT could
plausibly write, planted in the reference WITHOUT looking at the conformance cases first.

The blind list (name -> requirement -> the mistake), written before measuring:

Server, handshake and key schedule (reference/eke/handshake.py, crypto.py)
- b3eke-ks1-user-length-in-chars    EKE-KS-1   th counts the user name in characters, not
                                               UTF-8 bytes: wrong only for a non-ASCII name
- b3eke-x3-reduced-mod-p            EKE-X-3    X' is reduced mod p before the checks: X' >= p
                                               is taken as X' - p instead of rejected
- b3eke-hs6-ns-not-compared         EKE-HS-6   C3 must authenticate, but its plaintext's Ns
                                               part is never compared with our Ns
- b3eke-hs8-invalid-x-bad-frame     EKE-HS-8   an invalid X' (doomed handshake) is answered
                                               `bad_frame` at EKE3, not the one auth_failed
- b3eke-hs9-eke1-restarts           EKE-HS-9   a second EKE1 after EKE2 restarts the
                                               handshake instead of `unexpected_frame`
- b3eke-hs11-deadline-eke1-only     EKE-HS-11  the handshake deadline guards only the wait
                                               for EKE1: a client silent after EKE2 is kept
- b3eke-x1-y-reused                 EKE-X-1    the server's ephemeral (y, Y) is drawn once and
                                               cached "for speed": every handshake reuses it
- b3eke-hs10-ns-reused              EKE-HS-10  the server's Ns is drawn once and reused
- b3eke-sec1-sign-bit-fixed         EKE-SEC-1  the server always sends X' = Y (never p - Y):
                                               a decryption of B under a guess that is not a
                                               residue rules the guess out (partition attack)
- b3eke-pw4-user-stripped           EKE-PW-4   the user name is stripped of spaces before the
                                               lookup: "alice " logs in as alice
- b3eke-err7-retry-after-float      ERR-7      `throttled` carries retry_after as a float
                                               (1.0, 3.7), not an integer
Server, records and transfers (reference/eke/server.py, transport.py, messages.py)
- b3eke-rec4-clear-eror-on-bad-record EKE-REC-4 a record that fails to authenticate is
                                               answered with a plaintext EROR before closing
- b3eke-err3-waits-for-peer-close   ERR-3      after a fatal EROR the server reads until the
                                               peer closes (to not lose the EROR to a reset)
- b3eke-rec1-empty-get-one-record   EKE-REC-1  a get of a 0-byte file: RSFL and DONE sealed
                                               in ONE record
- b3eke-frm13-empty-data-empty-file FRM-13     a get of a 0-byte file sends one empty DATA
- b3eke-frm14-data-record-sized     FRM-14     a get's DATA frames are cut at the record's
                                               capacity (1 MiB + 232), not at 1 MiB
- b3eke-frm7-eof-after-all-data-stored FRM-7   a put whose connection ends after all the
                                               announced bytes but before DONE is stored
- b3eke-lim5-handshakes-serialised  LIM-5      one lock around the whole handshake: a client
                                               stalling after EKE1 stops every other login
- b3eke-lim2-idle-timeout-lost-after-put LIM-2 the socket timeout is cleared for the put's
                                               fsync and never set back: idle forever
- b3eke-frm1-length-in-chars        FRM-1      control frames' length counts characters of
                                               the JSON text, not bytes: non-ASCII names
- b3eke-rec2-sequence-per-process   EKE-REC-2  the send sequence number continues from the
                                               previous connection instead of starting at 0
Client (client=True; reference/eke/client.py, handshake.py, records.py)
- b3eke-c-hs4-invalid-y-bad-frame   EKE-HS-4   an invalid Y' in EKE2 is answered bad_frame,
                                               not auth_failed
- b3eke-c-hs7-na-half-compared      EKE-HS-7   EKE4's Na compared on its first 16 bytes only
- b3eke-c-err5-key-in-eror          ERR-5      the client's EROR auth_failed message carries a
                                               "key id": the first 8 bytes of pw in hex
- b3eke-c-pw3-key-check-value       EKE-PW-3   EKE1 carries a key check value (first 4 bytes
                                               of SHA-256(pw)) "to report typos early"
- b3eke-c-get5-eof-after-all-data-kept APP-GET-5 a get whose connection ends after all the
                                               announced bytes but before DONE is kept
                                               (blind: b3eke-c-frm7-…, FRM-7; an EOF between
                                               frames is APP-GET-5's, not FRM-7's)
- b3eke-c-rec5-plaintext-skipped    EKE-REC-5  a plaintext frame after EKE4 is skipped
- b3eke-c-frm13-empty-data-empty-put FRM-13    a put of a 0-byte file sends one empty DATA
- b3eke-c-hs9-record-as-eke4        EKE-HS-9   a RECD in place of EKE4 is taken as "server
                                               skipped the confirmation": established
- b3eke-c-err4-unknown-code-refusal ERR-4      an EROR with an unknown code is a non-fatal
                                               refusal: the client goes on (sends BYE_)

Measured (phase 2, the suite as it was): 18 of 30 detected at once; 3 more were caught by
the existing suite once the guessed file or ID was corrected (b3eke-err3-… by
test_framing.py; b3eke-c-frm13-… is the sender's FRM-14, caught by test_client_put.py;
b3eke-c-get5-… is APP-GET-5's, caught by test_eke_client_transfer.py): 21/30 = 70 %.
The 9 survivors and the cases that now catch their families:
- b3eke-rec1-empty-get-one-record, b3eke-frm1-length-in-chars, b3eke-frm14-data-record-sized:
  test_eke_records.py::test_every_record_holds_exactly_one_well_formed_frame (0-byte
  file, non-ASCII name and refusal, a file just above 1 MiB on one connection); the
  channel now names EKE-REC-1 (and FRM-1 when the length ends on no frame boundary) for
  a record that authenticates but is not one frame, instead of a wrong REC-2 diagnosis.
- b3eke-lim5-handshakes-serialised: test_eke_handshake_stalls.py (a login while three
  handshakes stall).
- b3eke-c-hs4-invalid-y-bad-frame: test_eke_client.py's invalid-element case now requires
  EROR auth_failed.
- b3eke-c-err5-key-in-eror, b3eke-c-pw3-key-check-value: the password-forms search now
  covers truncated hex (12+ hex digits anywhere, the first 8 of a digest) and SHA-256(pw).
- b3eke-c-rec5-plaintext-skipped: test_eke_client.py's plaintext-then-sealed-answer case.
- b3eke-c-err4-unknown-code-refusal: test_eke_client_transfer.py compares the client's
  reaction to EROR 99 with its reaction to EROR internal.
Added after measuring: b3eke-frm1-length-in-chars-pki, the FRM-1 bug over sft-pki/1 (the
message layer is shared), caught by test_framing.py's non-ASCII framing case.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _crypto() -> Any:
    return _module("reference.eke.crypto")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _server() -> Any:
    return _module("reference.eke.server").EkeServer


# -- server: handshake and key schedule ---------------------------------------------------


def _ks1_user_length_in_chars() -> None:
    _patch_source(
        _crypto(),
        "transcript_hash",
        ('struct.pack("!H", len(raw))', 'struct.pack("!H", len(user))'),
    )


def _x3_reduced_mod_p() -> None:
    _patch_source(
        _crypto(),
        "pm_decode",
        ('value = int.from_bytes(encoded, "big")', 'value = int.from_bytes(encoded, "big") % P'),
    )


def _hs6_ns_not_compared() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "_on_eke3",
        ("if not ok or self._doomed", "if self._doomed"),
    )


def _hs8_invalid_x_bad_frame() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "_on_eke3",
        (
            "    plain = crypto.open_confirm(",
            "    if self._doomed:\n"
            '        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "EKE1: invalid public value")\n'
            "    plain = crypto.open_confirm(",
        ),
    )


def _hs9_eke1_restarts() -> None:
    hs = _handshake()
    state = hs.HandshakeState
    hs._TRANSITIONS[(state.SERVER_AWAIT_EKE3, hs.T_EKE1)] = ("_on_eke1", state.SERVER_AWAIT_KEY)


def _hs11_deadline_eke1_only() -> None:
    transport = _module("reference.eke.transport")
    _patch_source(
        transport,
        "run_handshake",
        (
            "        on_event(event)\n        _flush(sock, hs)",
            "        on_event(event)\n        _flush(sock, hs)\n"
            "        deadline = time.monotonic() + 3600.0  # mutant: EKE1 was in time",
        ),
    )
    _module("reference.eke.server").run_handshake = transport.run_handshake


def _cached(owner: Any, attr: str) -> None:
    original = getattr(owner, attr)
    cache: list[Any] = []

    def once(*args: Any) -> Any:
        if not cache:
            cache.append(original(*args))
        return cache[0]

    setattr(owner, attr, once)


def _x1_y_reused() -> None:
    _cached(_crypto(), "new_ephemeral")


def _hs10_ns_reused() -> None:
    _cached(_crypto(), "new_nonce")


def _sec1_sign_bit_fixed() -> None:
    _patch_source(_crypto(), "hide_element", ("sign_bit=secrets.randbits(1)", "sign_bit=0"))


def _pw4_user_stripped() -> None:
    store = _module("reference.eke.store").PasswordStore
    original = store.key_for

    def key_for(self: Any, name: str) -> bytes:
        return bytes(original(self, name.strip()))

    store.key_for = key_for


def _err7_retry_after_float() -> None:
    _patch_source(
        _handshake().ServerHandshake,
        "refuse_throttled",
        ("seconds = max(1, math.ceil(retry_after))", "seconds = max(1.0, round(retry_after, 1))"),
    )


# -- server: records and transfers ----------------------------------------------------------


def _rec4_clear_eror_on_bad_record() -> None:
    _patch_source(
        _server(),
        "_serve_records",
        (
            "                return  # [EKE-REC-4]: close, deliver nothing, send nothing",
            "                with contextlib.suppress(OSError):\n"
            '                    sock.sendall(encode_error(ErrorCode.BAD_FRAME, "bad record"))\n'
            "                return",
        ),
    )


def _err3_waits_for_peer_close() -> None:
    server = _server()
    original = server._send_fatal

    def _send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        original(self, stream, code, message)
        # "Drain until the client closes, so that it reads our EROR before a reset."
        with contextlib.suppress(OSError):
            stream.sock.settimeout(self.config.idle_timeout)
            while stream.sock.recv(65536):
                pass

    server._send_fatal = _send_fatal


def _rec1_empty_get_one_record() -> None:
    _patch_source(
        _server(),
        "_serve_get",
        (
            "        stream.send(FileResponse(name, shared.size))",
            "        if shared.size == 0:  # mutant: one record for the whole answer\n"
            "            head = stream.app.send(FileResponse(name, 0))\n"
            "            tail = stream.app.send(stream.app.outgoing_done())\n"
            "            stream.sock.sendall(stream.channel.seal(head + tail))\n"
            '            return "size=0 sent"\n'
            "        stream.send(FileResponse(name, shared.size))",
        ),
    )


def _frm13_empty_data_empty_file() -> None:
    _patch_source(
        _server(),
        "_serve_get",
        (
            "        remaining = shared.size\n",
            "        remaining = shared.size\n"
            "        if not remaining:  # mutant: 'at least one DATA frame'\n"
            '            stream.sock.sendall(stream.channel.seal(b"DATA" + bytes(4)))\n',
        ),
    )


def _frm14_data_record_sized() -> None:
    _patch_source(
        _module("reference.eke.transport").SecureStream,
        "send_file_chunk",
        (
            "[: min(limit, MAX_DATA_PAYLOAD)]",
            "[: min(limit, self.channel.max_payload)]",
        ),
        (
            "self.app.send_data_header(buf[:n])",
            "for at in range(0, n, MAX_DATA_PAYLOAD):\n"
            "        self.app.send_data_header(buf[at : min(n, at + MAX_DATA_PAYLOAD)])",
        ),
    )


def _frm7_eof_after_all_data_stored() -> None:
    _patch_source(
        _server(),
        "_serve_records",
        (
            "            except (AuthenticationFailed, TruncatedStream):\n",
            "            except TruncatedStream:\n"
            "                if partial is not None and partial.written == partial.limit:\n"
            "                    current, partial = partial, None\n"
            "                    current.commit()  # mutant: every byte is there\n"
            "                return\n"
            "            except AuthenticationFailed:\n",
        ),
    )


def _lim5_handshakes_serialised() -> None:
    server = _server()
    original = server._handshake
    lock = threading.Lock()

    def _handshake(self: Any, sock: Any, address: str) -> Any:
        with lock:  # "the store and the throttle are touched by one handshake at a time"
            return original(self, sock, address)

    server._handshake = _handshake


def _lim2_idle_timeout_lost_after_put() -> None:
    _patch_source(
        _server(),
        "_finish_put",
        (
            "    try:\n        partial.commit()",
            "    stream.sock.settimeout(None)  # mutant: fsync may take long\n"
            "    try:\n        partial.commit()",
        ),
    )


def _frm1_length_in_chars() -> None:
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    json = _module("json")

    def _control(frame_type: bytes, obj: dict[str, object]) -> bytes:
        text: str = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        return bytes(frames.encode_header(frame_type, len(text))) + text.encode("utf-8")

    messages._control = _control


def _rec2_sequence_per_process() -> None:
    crypto = _crypto()
    sealer = crypto.RecordSealer
    next_sequence = [0]
    init, next_nonce = sealer.__init__, sealer._next_nonce

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.sequence = next_sequence[0]

    def _next_nonce(self: Any) -> bytes:
        nonce = bytes(next_nonce(self))
        next_sequence[0] = self.sequence
        return nonce

    sealer.__init__ = __init__
    sealer._next_nonce = _next_nonce


# -- client --------------------------------------------------------------------------------


def _c_hs4_invalid_y_bad_frame() -> None:
    _patch_source(
        _handshake().ClientHandshake,
        "_on_eke2",
        (
            "    y = crypto.reveal_element(self._pw, b)",
            "    try:\n"
            "        y = crypto.reveal_element(self._pw, b)\n"
            "    except AuthenticationFailed:\n"
            '        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "EKE2: invalid B") from None',
        ),
    )


def _c_hs7_na_half_compared() -> None:
    _patch_source(
        _handshake().ClientHandshake,
        "_on_eke4",
        ("hmac.compare_digest(na, self._na)", "hmac.compare_digest(na[:16], self._na[:16])"),
    )


def _c_err5_key_in_eror() -> None:
    hs = _handshake()
    client = hs.ClientHandshake
    base_fail = hs._Handshake._fail

    def _fail(self: Any, exc: Any) -> None:
        pw = getattr(self, "_pw", None)
        if (
            pw is not None
            and self._failure is None
            and self.state is not hs.HandshakeState.CLOSED
            and self._should_answer(exc)
            and exc.code is hs.ErrorCode.AUTH_FAILED
        ):
            message = f"authentication failed (key id {bytes(pw)[:8].hex()})"
            self._outbox += hs.encode_error(exc.code, message)
            self._failure = exc.detached()
            self.state = hs.HandshakeState.CLOSED
            return
        base_fail(self, exc)

    client._fail = _fail


def _c_pw3_key_check_value() -> None:
    hs = _handshake()
    client = hs.ClientHandshake
    setup = client._setup

    def _setup(self: Any, user: str, pw: bytes, **kwargs: Any) -> None:
        setup(self, user, pw, **kwargs)
        self._outbox.clear()
        kcv = hashlib.sha256(pw).hexdigest()[:8]
        self._outbox += hs._control(hs.T_EKE1, {"user": user, "a": self._a.hex(), "kcv": kcv})

    client._setup = _setup


def _c_frm7_eof_after_all_data_kept() -> None:
    _patch_source(
        _module("reference.eke.client").EkeClient,
        "_receive",
        (
            "            event = self._next(stream)\n",
            "            try:\n"
            "                event = self._next(stream)\n"
            "            except TransferFailed:\n"
            "                if received != answer.size:\n"
            "                    raise\n"
            "                partial.commit(overwrite=overwrite)  # mutant: all bytes came\n"
            '                return Done(answer.size, "0" * 64)\n',
        ),
    )


def _c_rec5_plaintext_skipped() -> None:
    records = _module("reference.eke.records")
    reader = records.RecordReader

    def _parse_header(self: Any) -> None:
        try:
            frame_type, length = records.parse_header(
                self._view[: records.HEADER_SIZE], self.max_record
            )
        except records.RemoteProtocolError as exc:
            self._failed = exc.detached()
            raise
        self._skip = frame_type != records.RECORD_TYPE  # mutant: stray plaintext dropped
        self._length = length

    original = reader._next_frame

    def _next_frame(self: Any) -> Any:
        while True:
            self._place_pending()
            complete = self._length is not None and self._have >= records.HEADER_SIZE + self._length
            if complete and getattr(self, "_skip", False):
                self._have, self._length, self._skip = 0, None, False
                continue
            return original(self)

    reader._parse_header = _parse_header
    reader._next_frame = _next_frame


def _c_frm13_empty_data_empty_put() -> None:
    transport = _module("reference.eke.transport")
    messages = _module("reference.messages")
    stream_class = transport.SecureStream
    send = stream_class.send

    def patched(self: Any, message: Any) -> None:
        if (
            isinstance(message, messages.Done)
            and message.size == 0
            and self.app.state.name == "SENDING"
        ):
            self.sock.sendall(self.channel.seal(b"DATA" + bytes(4)))  # "at least one DATA"
        send(self, message)

    stream_class.send = patched


def _c_hs9_record_as_eke4() -> None:
    hs = _handshake()
    client = hs.ClientHandshake
    read_frame = hs._Handshake._read_frame

    def _read_frame(self: Any) -> Any:
        if self.state is hs.HandshakeState.CLIENT_AWAIT_EKE4 and bytes(self._inbox[:4]) == b"RECD":
            # "the server went straight to records: it skipped EKE4"
            self.state = hs.HandshakeState.ESTABLISHED
            return hs.Established(self.user, self._keys)
        return read_frame(self)

    client._read_frame = _read_frame


def _c_err4_unknown_code_refusal() -> None:
    errors = _module("reference.errors")
    code_class = errors.ErrorCode

    def from_wire(cls: Any, value: int) -> Any:
        try:
            return cls(value)
        except ValueError:
            return cls.FORBIDDEN  # "a refusal we do not know: show its message"

    code_class.from_wire = classmethod(from_wire)


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group="eke",
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=name.startswith("b3eke-c-"),
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b3eke-ks1-user-length-in-chars",
        "EKE-KS-1",
        "test_eke_handshake.py",
        "th counts the user name in characters, not UTF-8 bytes",
        _ks1_user_length_in_chars,
    ),
    _m(
        "b3eke-x3-reduced-mod-p",
        "EKE-X-3",
        "test_eke_handshake.py",
        "X' is reduced mod p before the checks: X' >= p accepted",
        _x3_reduced_mod_p,
    ),
    _m(
        "b3eke-hs6-ns-not-compared",
        "EKE-HS-6",
        "test_eke_handshake.py",
        "C3 authenticates but its Ns part is never compared",
        _hs6_ns_not_compared,
    ),
    _m(
        "b3eke-hs8-invalid-x-bad-frame",
        "EKE-HS-8",
        "test_eke_handshake.py",
        "an invalid X' is answered bad_frame at EKE3, not auth_failed",
        _hs8_invalid_x_bad_frame,
    ),
    _m(
        "b3eke-hs9-eke1-restarts",
        "EKE-HS-9",
        "test_eke_handshake.py",
        "a second EKE1 after EKE2 restarts the handshake",
        _hs9_eke1_restarts,
    ),
    _m(
        "b3eke-hs11-deadline-eke1-only",
        "EKE-HS-11",
        "test_eke_handshake.py",
        "the handshake deadline guards only the wait for EKE1",
        _hs11_deadline_eke1_only,
    ),
    _m(
        "b3eke-x1-y-reused",
        "EKE-X-1",
        "test_eke_handshake.py",
        "the server's ephemeral y is drawn once and reused",
        _x1_y_reused,
    ),
    _m(
        "b3eke-hs10-ns-reused",
        "EKE-HS-10",
        "test_eke_handshake.py",
        "the server's Ns is drawn once and reused",
        _hs10_ns_reused,
    ),
    _m(
        "b3eke-sec1-sign-bit-fixed",
        "EKE-SEC-1",
        "test_eke_handshake.py",
        "the server always hides Y, never p - Y: B partitions the passwords",
        _sec1_sign_bit_fixed,
    ),
    _m(
        "b3eke-pw4-user-stripped",
        "EKE-PW-4",
        "test_eke_handshake.py",
        "the user name is stripped of spaces before the lookup",
        _pw4_user_stripped,
    ),
    _m(
        "b3eke-err7-retry-after-float",
        "ERR-7",
        "test_eke_throttling.py",
        "throttled carries retry_after as a float",
        _err7_retry_after_float,
    ),
    _m(
        "b3eke-rec4-clear-eror-on-bad-record",
        "EKE-REC-4",
        "test_eke_records.py",
        "a record that fails to authenticate is answered with a plaintext EROR",
        _rec4_clear_eror_on_bad_record,
    ),
    _m(
        "b3eke-err3-waits-for-peer-close",
        "ERR-3",
        "test_framing.py",
        "after a fatal EROR the server reads until the peer closes",
        _err3_waits_for_peer_close,
    ),
    _m(
        "b3eke-rec1-empty-get-one-record",
        "EKE-REC-1",
        "test_eke_records.py",
        "a get of a 0-byte file: RSFL and DONE in one record",
        _rec1_empty_get_one_record,
    ),
    _m(
        "b3eke-frm13-empty-data-empty-file",
        "FRM-13",
        "test_app_get.py",
        "a get of a 0-byte file sends one empty DATA frame",
        _frm13_empty_data_empty_file,
    ),
    _m(
        "b3eke-frm14-data-record-sized",
        "FRM-14",
        "test_eke_records.py",
        "DATA frames cut at the record capacity (1 MiB + 232), not 1 MiB",
        _frm14_data_record_sized,
    ),
    _m(
        "b3eke-frm7-eof-after-all-data-stored",
        "FRM-7",
        "test_app_put.py",
        "a put ended by EOF after all its bytes but before DONE is stored",
        _frm7_eof_after_all_data_stored,
    ),
    _m(
        "b3eke-lim5-handshakes-serialised",
        "LIM-5",
        "test_eke_handshake_stalls.py",
        "one lock around each handshake: a stalled client stops every login",
        _lim5_handshakes_serialised,
    ),
    _m(
        "b3eke-lim2-idle-timeout-lost-after-put",
        "LIM-2",
        "test_limits.py",
        "the idle timeout is cleared by a put and never set back",
        _lim2_idle_timeout_lost_after_put,
    ),
    _m(
        "b3eke-frm1-length-in-chars",
        "FRM-1",
        "test_eke_records.py",
        "control frames' length counts characters, not bytes",
        _frm1_length_in_chars,
    ),
    Mutant(
        name="b3eke-frm1-length-in-chars-pki",
        group="framing",
        profile="pki",
        requirement="FRM-1",
        test_file="test_framing.py",
        description="control frames' length counts characters, not bytes (over sft-pki/1)",
        apply=_frm1_length_in_chars,
    ),
    _m(
        "b3eke-rec2-sequence-per-process",
        "EKE-REC-2",
        "test_eke_records.py",
        "the send sequence continues from the previous connection",
        _rec2_sequence_per_process,
    ),
    _m(
        "b3eke-c-hs4-invalid-y-bad-frame",
        "EKE-HS-4",
        "test_eke_client.py",
        "the client answers an invalid Y' with bad_frame",
        _c_hs4_invalid_y_bad_frame,
    ),
    _m(
        "b3eke-c-hs7-na-half-compared",
        "EKE-HS-7",
        "test_eke_client.py",
        "the client compares EKE4's Na on 16 of its 32 bytes",
        _c_hs7_na_half_compared,
    ),
    _m(
        "b3eke-c-err5-key-in-eror",
        "ERR-5",
        "test_eke_client.py",
        "the client's EROR auth_failed carries 8 bytes of pw",
        _c_err5_key_in_eror,
    ),
    _m(
        "b3eke-c-pw3-key-check-value",
        "EKE-PW-3",
        "test_eke_client.py",
        "EKE1 carries 4 bytes of SHA-256(pw) as a key check value",
        _c_pw3_key_check_value,
    ),
    _m(
        "b3eke-c-get5-eof-after-all-data-kept",
        "APP-GET-5",
        "test_eke_client_transfer.py",
        "a get ended by EOF after all its bytes but before DONE is kept",
        _c_frm7_eof_after_all_data_kept,
    ),
    _m(
        "b3eke-c-rec5-plaintext-skipped",
        "EKE-REC-5",
        "test_eke_client.py",
        "a plaintext frame after EKE4 is skipped",
        _c_rec5_plaintext_skipped,
    ),
    _m(
        "b3eke-c-frm13-empty-data-empty-put",
        "FRM-14",
        "test_client_put.py",
        "a put of a 0-byte file sends one empty DATA frame",
        _c_frm13_empty_data_empty_put,
    ),
    _m(
        "b3eke-c-hs9-record-as-eke4",
        "EKE-HS-9",
        "test_eke_client.py",
        "a RECD in place of EKE4 is taken as established",
        _c_hs9_record_as_eke4,
    ),
    _m(
        "b3eke-c-err4-unknown-code-refusal",
        "ERR-4",
        "test_eke_client_transfer.py",
        "an EROR with an unknown code is a non-fatal refusal",
        _c_err4_unknown_code_refusal,
    ),
)
