"""Blind red-team round 16: the sft-eke/1 CLIENT (`sft eke get/put`), helper B81.

Written from docs/SPEC.md §0-§3, §5, §6 and the reference's eke client alone (client.py,
records.py, transport.py, crypto.py, handshake.py, transfer.py, frames.py, app.py,
cli/eke.py), before any case file or conformance module was read. Of the first 25 ideas,
20 repeated registered client mutants (32-bit sizes, record limit + tag, put DATA over
1 MiB, th length in characters, empty put DATA, reused ephemeral or Na on retry, fixed
temporary names, -o/--force, DONE.sha256 optional, RSFL.size optional, the busy socket
kept, clear EROR after a bad record, records as a stream, excess DATA written, the 0-byte
fast path, busy wait from connect, symmetric jitter, per-read handshake deadline ...)
and were replaced, still blind to the case files, by the ones marked (r) below. Each mutant is
the reference's client with one plausible slip, seen through one lens of the round.

L1 units and widths
  b16cli-eror-code-u8 (r)          an EROR code kept in 8 bits: 256 + 6 is not_found, a
                                   non-fatal refusal instead of an unknown code (internal)
  b16cli-ctl-limit-chars (r)       the 64 KiB control limit counted in characters of the
                                   decoded JSON, not in bytes (70 000 bytes of 'é' pass)
  b16cli-sweep-age-ms (r)          the stale-temporary age (600 s) written as 600 ms: a live
                                   temporary of another initiator, untouched for 1 s, goes
L2 the second time
  b16cli-seal-seq-reset-after-done      the sealer's sequence number (and block count)
                                   restarted between transfers with its buffers: the BYE_
                                   after a transfer reuses nonce 0
  b16cli-write-offset-per-frame (r)     each DATA payload written at its offset within
                                   its frame, not the file's: the second frame overwrites
                                   the first on disk (the digest, of the stream, agrees)
L3 configuration honoured (one path of two; a default that fails open)
  b16cli-ctl-limit-get-only        the 64 KiB control limit applied while a get is answered,
                                   not on the put path (RSFL{accept}, the receipt DONE)
  b16cli-rec-limit-get-only (r)    the record length limit applied on the get path only: on
                                   the put path a RECD header of 4 GiB is waited for
  b16cli-hs-type-unchecked (r)     the handshake's frame reader skips the FRM-2 type check:
                                   a type of bad bytes is unexpected_frame, not bad_frame
  b16cli-hs-malformed-eror-skipped (r)  a malformed EROR during the login (code missing,
                                   a string) is skipped as noise and the login goes on
  b16cli-hs-json-dups (r)          the handshake parses its frames with a plain JSON parser:
                                   duplicate keys in EKE2 pass (the app layer refuses them)
L4 the error path's own errors
  b16cli-commit-exists-keeps-temp       an output that appeared during the get makes the
                                   commit fail, and that failure leaves the temporary
  b16cli-done-size-bad-frame       a well-formed DONE whose size disagrees answered bad_frame
                                   (a "malformed" DONE), not integrity_failed
  b16cli-auth-eror-twice (r)       a bad C2: the core's EROR auth_failed, then the adapter's
                                   own one: two EROR frames before the close
  b16cli-get-eof-before-bye-fails (r)   a server that closes after its DONE, without
                                   echoing BYE_, makes the completed get exit 1
  b16cli-link-no-unlink (r)        the commit links the temporary to the final name and
                                   never unlinks it: a .sft-partial-* stays beside every get
L5 layer boundaries
  b16cli-rec-type-ignored (r)      the record reader ignores the header's type and builds the
                                   AD from constants ("RECD" + length): any 4 type bytes pass
  b16cli-rec-tag-after-use (r)     a record whose tag fails is decrypted (CTR) and handed on;
                                   the failure is raised at the next record: a DONE record
                                   with a bad tag commits the get
L6 time
  b16cli-sweep-ctime               the sweep ages temporaries by st_ctime ("creation"): an
                                   old one (mtime an hour ago) is never removed
  b16cli-hs-deadline-from-first-byte (r)  the login deadline starts at the server's first
                                   byte: a server that accepts and says nothing holds it
  (b16cli-hs-deadline-per-phase, the login deadline restarted when EKE2 arrives, was
  written and dropped after the blind run: the client still gives up within twice its
  own handshake timeout, and the SPEC does not say that an initiator's handshake timeout
  is one deadline for the whole login, nor does a target declare the client's timeout.
  Proposed sentence for LIM-9: "An initiator's handshake timeout bounds its whole login,
  from the TCP connection's establishment to a verified EKE4 (sft-eke/1) or the end of
  the TLS handshake (sft-pki/1); bytes arriving meanwhile do not extend it.")

Blind run (each against the file named blind, then every client file citing its
requirement): 2 of 19 detected by the named file (sweep-age-ms, sweep-ctime); 6 more by
other existing files (seal-seq-reset-after-done: test_client_put_wire.py;
ctl-limit-get-only: test_client_run_put_answers.py; done-size-bad-frame and
link-no-unlink: test_eke_client_transfer.py; rec-tag-after-use:
test_client_run_fatal_endings.py, by its late close; hs-deadline-from-first-byte:
test_eke_client_login_rules.py). 11 missed by every file: eror-code-u8, ctl-limit-chars,
write-offset-per-frame, rec-limit-get-only, hs-type-unchecked, hs-malformed-eror-skipped,
hs-json-dups, commit-exists-keeps-temp (test_eke_client_transfer.py sees its leftover but
cites APP-GET-6/APP-STORE-2 only), auth-eror-twice, get-eof-before-bye-fails,
rec-type-ignored (and rec-tag-after-use: the transfer file's DONE-tag variant is slow).
After the round's cases, all 19 are detected: test_eke_client_login_frames.py (the
login's clear frames read by the record phase's rules: FRM-2 type bytes, FRM-9 JSON,
ERR-8 malformed EROR; one EROR then the close, EKE-HS-4/ERR-3),
test_eke_client_get_outcomes.py (many frames kept byte for byte and alone; the commit's
own failure cleaned up; the last record broken or retyped; FRM-8 in bytes; APP-BYE-2
endings) and test_eke_client_put_paths.py (the put's answers held to the get's limits
and record checks; ERR-4 codes read with 8/16/32 bits, on both paths).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind16-client"


def _client() -> Any:
    return _module("reference.eke.client")


# -- L1 ------------------------------------------------------------------------------------


def _eror_code_u8() -> None:
    errors = _module("reference.errors")
    code_type = errors.ErrorCode

    def from_wire(cls: Any, value: int) -> Any:
        try:
            return cls(value & 0xFF)  # mutant: the code is a uint8_t
        except ValueError:
            return cls.INTERNAL

    type.__setattr__(code_type, "from_wire", classmethod(from_wire))


def _ctl_limit_chars() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        ("if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:", "if False:"),
    )
    _patch_source(
        frames,
        "loads_control",
        (
            "if len(payload) > MAX_CONTROL_PAYLOAD:",
            "if len(bytes(payload).decode('utf-8', 'replace')) > MAX_CONTROL_PAYLOAD:",
        ),
    )
    messages.loads_control = frames.loads_control


def _sweep_age_ms() -> None:
    cli = _module("reference.cli.eke")
    cli._STALE = 600 / 1000  # mutant: "600" written where milliseconds were meant


# -- L2 ------------------------------------------------------------------------------------


def _seal_seq_reset_after_done() -> None:
    crypto = _module("reference.eke.crypto")
    original = crypto.RecordSealer.release_buffers

    def release_buffers(self: Any) -> None:
        original(self)
        # mutant: a transfer's state goes with its buffers (usage count and sequence)
        self.blocks = 0
        self.sequence = 0

    crypto.RecordSealer.release_buffers = release_buffers


def _write_offset_per_frame() -> None:
    share = _module("reference.share")
    errors = _module("reference.errors")

    def write(self: Any, data: Any) -> None:
        if self._file is None:
            raise ValueError("the partial file is closed")
        view = memoryview(data).cast("B")
        if self.written + len(view) > self.limit:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.INTEGRITY_FAILED, "more data than announced"
            )
        offset = 0  # mutant: the payload's offset within its DATA frame
        while view:
            n = os.pwrite(self._file.fileno(), view, offset)
            if n <= 0:
                raise OSError(5, "short write")
            view = view[n:]
            offset += n
            self.written += n

    share.PartialFile.write = write


# -- L3 ------------------------------------------------------------------------------------


def _ctl_limit_get_only() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    _patch_source(frames, "loads_control", ("if len(payload) > MAX_CONTROL_PAYLOAD:", "if False:"))
    messages.loads_control = frames.loads_control
    check = app.ApplicationConnection._check_header

    def _b16_header(self: Any, frame_type: bytes, length: int) -> Any:
        if self.state in (app.InitiatorState.PUT_SENT, app.InitiatorState.DONE_SENT):
            if frame_type == b"DATA" or frame_type not in app._KNOWN_TYPES:
                return check(frame_type, length)
            return frame_type, length  # mutant: the put path reads its answers unbounded
        return check(frame_type, length)

    app.ApplicationConnection._b16_header = _b16_header
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        ("self._header = self._check_header(", "self._header = self._b16_header("),
    )


def _rec_limit_get_only() -> None:
    transport = _module("reference.eke.transport")
    app = _module("reference.app")
    original = transport.SecureStream._next_record

    def _next_record(self: Any) -> Any:
        reader = self.reader
        if not hasattr(self, "_b16_limit"):
            self._b16_limit = reader.max_record
        put_path = self.app.state in (app.InitiatorState.PUT_SENT, app.InitiatorState.DONE_SENT)
        reader.max_record = 0xFFFFFFFF if put_path else self._b16_limit
        return original(self)

    transport.SecureStream._next_record = _next_record


def _hs_type_unchecked() -> None:
    hs = _module("reference.eke.handshake")
    frames = _module("reference.frames")
    errors = _module("reference.errors")

    def _b16_unpack(header: Any) -> tuple[bytes, int]:
        frame_type, length = frames.HEADER.unpack(bytes(header))
        if length > frames.MAX_CONTROL_PAYLOAD:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.FRAME_TOO_LARGE, f"frame announces {length} bytes"
            )
        return frame_type, length

    hs._b16_unpack = _b16_unpack
    _patch_source(
        hs._Handshake,
        "_read_frame",
        (
            "parse_header(buf[:HEADER_SIZE], MAX_CONTROL_PAYLOAD)",
            "_b16_unpack(buf[:HEADER_SIZE])",
        ),
    )


def _hs_malformed_eror_skipped() -> None:
    hs = _module("reference.eke.handshake")
    _patch_source(
        hs._Handshake,
        "_read_frame",
        (
            "obj = loads_control(payload)\n    check_schema(frame_type, obj, _SCHEMAS[frame_type])",
            "try:\n"
            "        obj = loads_control(payload)\n"
            "        check_schema(frame_type, obj, _SCHEMAS[frame_type])\n"
            "    except RemoteProtocolError:\n"
            "        if frame_type == T_EROR:\n"
            "            return self._read_frame()  # mutant: a garbled EROR is line noise\n"
            "        raise",
        ),
    )


def _hs_json_dups() -> None:
    hs = _module("reference.eke.handshake")
    errors = _module("reference.errors")
    frames = _module("reference.frames")

    def loads_control(payload: Any) -> dict[str, Any]:
        if len(payload) > frames.MAX_CONTROL_PAYLOAD:
            raise errors.RemoteProtocolError(errors.ErrorCode.FRAME_TOO_LARGE, "too large")
        try:
            value = json.loads(
                bytes(payload).decode("utf-8"), parse_constant=frames._reject_constant
            )
        except (ValueError, RecursionError):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not JSON") from None
        if not isinstance(value, dict):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not an object")
        return value  # mutant: no duplicate-key hook on the handshake's parser

    hs.loads_control = loads_control


# -- L4 ------------------------------------------------------------------------------------


def _commit_exists_keeps_temp() -> None:
    share = _module("reference.share")
    _patch_source(
        share.PartialFile,
        "commit",
        (
            "except FileExistsError:\n        self.abort()",
            "except FileExistsError:\n"
            "        self._done = True  # mutant: the failure path forgets the temporary\n"
            "        self._untrack()\n"
            "        self._release_dir()",
        ),
    )


def _done_size_bad_frame() -> None:
    app = _module("reference.app")
    errors = _module("reference.errors")

    def check_done(self: Any, done: Any) -> None:
        sha = self.digest.hexdigest()
        if not done.size == self.announced == self.count:
            # mutant: a DONE that contradicts the sizes is a malformed DONE
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "DONE: inconsistent size")
        if done.sha256 != sha:
            raise errors.RemoteProtocolError(errors.ErrorCode.INTEGRITY_FAILED, "SHA-256 mismatch")
        if self.expected_sha256 is not None and self.expected_sha256 != sha:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.INTEGRITY_FAILED, "SHA-256 differs from the one announced"
            )

    app._Transfer.check_done = check_done


def _auth_eror_twice() -> None:
    client = _client()
    hs = _module("reference.eke.handshake")
    errors = _module("reference.errors")

    def _b16_auth_eror() -> bytes:
        return bytes(
            hs.encode_error(errors.ErrorCode.AUTH_FAILED, "wrong password or unknown user")
        )

    client._b16_auth_eror = _b16_auth_eror
    _patch_source(
        client.EkeClient,
        "_connect_once",
        (
            "except AuthenticationFailed:\n        self.close()",
            "except AuthenticationFailed:\n"
            "        with contextlib.suppress(OSError):\n"
            "            sock.sendall(_b16_auth_eror())  # mutant: tell the server ourselves\n"
            "        self.close()",
        ),
    )


def _get_eof_before_bye_fails() -> None:
    client = _client()
    frames = _module("reference.frames")
    messages = _module("reference.messages")

    def close(self: Any) -> None:
        stream, self._stream = self._stream, None
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if stream is None:
            with contextlib.suppress(OSError):
                sock.close()
            return
        ended_early = False
        try:
            stream.send(messages.Bye())
        except OSError:
            ended_early = True
        except Exception:  # noqa: S110 - not idle: nothing to end politely
            pass
        else:
            # mutant: the server's BYE_ is waited for; an end without it is a failure
            sock.settimeout(self.config.close_linger)
            try:
                event = stream.next_event()
                ended_early = not isinstance(event, messages.Bye) and event is frames.CLOSED
            except TimeoutError:
                pass
            except Exception:
                ended_early = True
        with contextlib.suppress(OSError):
            sock.close()
        if ended_early:
            raise client.TransferFailed("the server left without saying BYE_")

    client.EkeClient.close = close


def _link_no_unlink() -> None:
    share = _module("reference.share")
    _patch_source(
        share.PartialFile,
        "commit",
        (
            "os.unlink(self.temp_name, dir_fd=self._dir_fd)",
            "pass  # mutant: the sweep will remove the temporary name",
        ),
    )


# -- L5 ------------------------------------------------------------------------------------


def _rec_type_ignored() -> None:
    records = _module("reference.eke.records")
    _patch_source(
        records.RecordReader, "_parse_header", ("if frame_type != RECORD_TYPE:", "if False:")
    )
    _patch_source(
        records.RecordReader,
        "_next_frame",
        (
            "inner = self._opener.open(header, sealed)",
            'inner = self._opener.open(b"RECD" + bytes(header[4:8]), sealed)',
        ),
    )


def _rec_tag_after_use() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    ciphers = _module("cryptography.hazmat.primitives.ciphers")
    algorithms = _module("cryptography.hazmat.primitives.ciphers.algorithms")
    modes = _module("cryptography.hazmat.primitives.ciphers.modes")
    opener = crypto.RecordOpener
    init, open_ = opener.__init__, opener.open

    def __init__(self: Any, key: bytes, iv: bytes, *args: Any, **kwargs: Any) -> None:
        init(self, key, iv, *args, **kwargs)
        self._b16_key = key

    def open(self: Any, header: Any, sealed: Any) -> Any:
        if getattr(self, "_b16_bad", False):
            raise errors.AuthenticationFailed()
        try:
            return open_(self, header, sealed)
        except errors.AuthenticationFailed:
            plain_len = len(sealed) - crypto.TAG_LEN
            if plain_len < 0 or plain_len > len(self._plains[0]):
                raise
            nonce = (self._iv ^ self.sequence).to_bytes(crypto.IV_LEN, "big")
            dec = ciphers.Cipher(
                algorithms.AES(self._b16_key), modes.CTR(nonce + b"\x00\x00\x00\x02")
            ).decryptor()
            plain = dec.update(bytes(sealed[:plain_len])) + dec.finalize()
            # mutant: streaming decryption; the bad tag is reported at the next record
            self._b16_bad = True
            self.sequence += 1
            out = memoryview(self._plains[self._turn ^ 1])[:plain_len]
            out[:] = plain
            self._turn ^= 1
            return out

    opener.__init__ = __init__
    opener.open = open


# -- L6 ------------------------------------------------------------------------------------


def _sweep_ctime() -> None:
    transfer = _module("reference.transfer")
    cli = _module("reference.cli.eke")
    _patch_source(
        transfer,
        "remove_stale_partials",
        ("info.st_mtime > cutoff", "info.st_ctime > cutoff"),
    )
    cli.remove_stale_partials = transfer.remove_stale_partials


def _login_runner() -> Any:
    transport = _module("reference.eke.transport")
    frames = _module("reference.frames")
    errors = _module("reference.errors")

    def run_handshake(sock: socket.socket, hs: Any, deadline: float, on_event: Any) -> Any:
        budget = deadline - time.monotonic()
        started = False
        transport._flush(sock, hs)
        while True:
            try:
                event = hs.next_event()
            except errors.RemoteProtocolError:
                transport._flush(sock, hs)
                raise
            if event is frames.NEED_DATA:
                transport._flush(sock, hs)
                if started:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        hs.fail_timeout()
                        transport._flush(sock, hs)
                        raise transport.HandshakeTimeout()
                    sock.settimeout(remaining)
                else:
                    sock.settimeout(None)  # mutant: the timer starts with the first byte
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    hs.fail_timeout()
                    transport._flush(sock, hs)
                    raise transport.HandshakeTimeout() from None
                if data and not started:
                    started = True
                    deadline = time.monotonic() + budget
                hs.receive_data(data)
                continue
            if isinstance(event, _module("reference.eke.handshake").Established):
                transport._flush(sock, hs)
                return event
            on_event(event)
            transport._flush(sock, hs)

    return run_handshake


def _hs_deadline_from_first_byte() -> None:
    _client().run_handshake = _login_runner()


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    # L1
    _m(
        "b16cli-eror-code-u8",
        "ERR-4",
        "test_eke_client_put_paths.py",
        "L1: the EROR code kept in 8 bits: 256 + 6 read as not_found, a non-fatal refusal, "
        "instead of an unknown code (internal, fatal)",
        _eror_code_u8,
    ),
    _m(
        "b16cli-ctl-limit-chars",
        "FRM-8",
        "test_eke_client_get_outcomes.py",
        "L1: the 64 KiB control limit counted in characters of the decoded payload, not in "
        "bytes: an RSFL of 70 000 bytes of 2-byte characters is taken",
        _ctl_limit_chars,
    ),
    _m(
        "b16cli-sweep-age-ms",
        "APP-STORE-3",
        "test_client_sweep_idle_age.py",
        "L1: the stale-temporary age written as 600 ms instead of 600 s: another initiator's "
        "live temporary, untouched for a second, is swept",
        _sweep_age_ms,
    ),
    # L2
    _m(
        "b16cli-seal-seq-reset-after-done",
        "EKE-REC-2",
        "test_client_put_wire.py",
        "L2: the sealer's sequence number is restarted with its buffers between transfers: "
        "the BYE_ after a get or put is sealed under sequence 0 again (nonce reuse)",
        _seal_seq_reset_after_done,
    ),
    _m(
        "b16cli-write-offset-per-frame",
        "APP-GET-3",
        "test_eke_client_get_outcomes.py",
        "L2: each DATA payload is written at its offset within its frame: from the second "
        "frame on the file on disk is not the verified stream",
        _write_offset_per_frame,
    ),
    # L3
    _m(
        "b16cli-ctl-limit-get-only",
        "FRM-8",
        "test_client_run_put_answers.py",
        "L3: the 64 KiB control limit is applied on the get path only: a put's RSFL{accept} "
        "or receipt DONE of 70 000 bytes is taken",
        _ctl_limit_get_only,
    ),
    _m(
        "b16cli-rec-limit-get-only",
        "EKE-REC-6",
        "test_eke_client_put_paths.py",
        "L3: the record length limit is applied on the get path only: answering a PUTF, a "
        "RECD header of 4 GiB is waited for",
        _rec_limit_get_only,
    ),
    _m(
        "b16cli-hs-type-unchecked",
        "FRM-2",
        "test_eke_client_login_frames.py",
        "L3: the login's frame reader skips the type syntax check: a handshake frame of bad "
        "type bytes is answered unexpected_frame, not bad_frame",
        _hs_type_unchecked,
    ),
    _m(
        "b16cli-hs-malformed-eror-skipped",
        "ERR-8",
        "test_eke_client_login_frames.py",
        "L3: a malformed EROR during the login (no code, a string code) is skipped as noise: "
        "the EKE2 after it is answered with EKE3",
        _hs_malformed_eror_skipped,
    ),
    _m(
        "b16cli-hs-json-dups",
        "FRM-9",
        "test_eke_client_login_frames.py",
        "L3: the login's frames parsed without the duplicate-key check the record phase has: "
        "an EKE2 with a key twice is answered EKE3",
        _hs_json_dups,
    ),
    # L4
    _m(
        "b16cli-commit-exists-keeps-temp",
        "APP-STORE-3",
        "test_eke_client_get_outcomes.py",
        "L4: a get whose output appeared meanwhile fails at the commit, and that failure "
        "path leaves the temporary behind",
        _commit_exists_keeps_temp,
    ),
    _m(
        "b16cli-done-size-bad-frame",
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "L4: a well-formed DONE whose size disagrees with the bytes or RSFL is answered "
        "bad_frame, not integrity_failed",
        _done_size_bad_frame,
    ),
    _m(
        "b16cli-auth-eror-twice",
        "EKE-HS-4",
        "test_eke_client_login_frames.py",
        "L4: a bad C2 is answered EROR auth_failed twice (the core's and the adapter's) "
        "before the close",
        _auth_eror_twice,
    ),
    _m(
        "b16cli-get-eof-before-bye-fails",
        "APP-BYE-2",
        "test_eke_client_get_outcomes.py",
        "L4: after a completed transfer the client waits for the server's BYE_ echo; a "
        "server that closed after its DONE makes it exit 1",
        _get_eof_before_bye_fails,
    ),
    _m(
        "b16cli-link-no-unlink",
        "APP-STORE-2",
        "test_eke_client_transfer.py",
        "L4: the commit links the temporary to the final name and never unlinks it: a "
        ".sft-partial-* hard link stays beside every get",
        _link_no_unlink,
    ),
    # L5
    _m(
        "b16cli-rec-type-ignored",
        "EKE-REC-5",
        "test_eke_client_get_outcomes.py",
        "L5: the record reader ignores the header's type and builds the AD from constants: "
        "a record whose type bytes are not RECD is opened",
        _rec_type_ignored,
    ),
    _m(
        "b16cli-rec-tag-after-use",
        "EKE-REC-4",
        "test_eke_client_get_outcomes.py",
        "L5: a record whose tag fails is decrypted and handed on, the failure raised at the "
        "next record: a DONE record with a bad tag commits the get",
        _rec_tag_after_use,
    ),
    # L6
    _m(
        "b16cli-sweep-ctime",
        "APP-STORE-3",
        "test_client_sweep_upper_age.py",
        "L6: the sweep ages temporaries by st_ctime: one last written an hour ago (its "
        "inode changed since) is never removed",
        _sweep_ctime,
    ),
    _m(
        "b16cli-hs-deadline-from-first-byte",
        "LIM-9",
        "test_eke_client_login_rules.py",
        "L6: the login deadline starts at the server's first byte: a server that accepts and "
        "says nothing holds the client forever",
        _hs_deadline_from_first_byte,
    ),
)
