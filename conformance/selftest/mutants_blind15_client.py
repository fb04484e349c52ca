"""Blind red-team round 15: the sft-eke/1 CLIENT (`sft eke get/put`), helper B74.

Written from docs/SPEC.md and the reference's eke client alone, before any case file
or mutant module was read; 17 of the first 30 ideas duplicated registered client
mutants and were replaced (still blind to the case files) after the list was written.
Each mutant is the reference's client with one plausible slip, seen through one lens
of the round (briefs/s15/lenses15.md). Two more of the blind list were dropped after
the blind run as unobservable: "fatal = the codes 1-4 and 8 of the first draft" and "an
EROR acted on by its name" make a one-shot get take a fatal EROR for a refusal, but the
client then only says BYE_ and closes with its FIN at once, which ERR-3 allows.
Blind run: 6 of the 21 detected (hs-timeout-retried, empty-data-skipped,
unknown-type-bad-frame, state-bad-frame, done-sha-else-rsfl, failure-unlinks-final); the
others by the round's new case files (test_eke_client_login_holds.py,
test_eke_client_get_doors.py, test_eke_client_sign_halves.py,
test_eke_client_put_unknown_codes.py).

L1 one blocks all (a silent or trickling server; the client must give up in its time)
  b15cl-hs-timeout-retried        a login that timed out is retried like a `busy`
                                  answer (10 times): the client holds on for a minute
  b15cl-hs-frame-body-no-timeout  once part of a handshake frame is in, the rest is read
                                  without a deadline: a server silent mid-EKE2 holds it
  b15cl-hs-close-waits-peer-fin   a failed login is closed "politely": FIN, then the
                                  socket drained until the server's FIN, with no bound
L2 reflection and cross-context acceptance
  b15cl-th-fallback-no-user       C2 that fails under th is tried again under a
                                  transcript without the user name (a draft-0 shim)
  b15cl-rec-other-dir-fallback    a record that fails under the s2c key is tried under
                                  the c2s key (the client's own direction)
  b15cl-clear-eke4-skipped        a plaintext EKE4 after the handshake (a "repeated"
                                  confirmation) is skipped, the records go on
L3 the default branch
  b15cl-eror-code0-put-ok         EROR code 0 read as "no error": in place of the put's
                                  receipt (or its acceptance) it is success, exit 0
  b15cl-empty-data-skipped        an empty DATA frame skipped as a keep-alive
  b15cl-unknown-type-bad-frame    an inner frame of unknown type answered bad_frame
  b15cl-state-bad-frame           a frame the state does not allow answered bad_frame
L4 compound conditions
  b15cl-data-limit-is-frame-limit a DATA payload bounded by the frame limit (1 MiB +
                                  256), not by 1 MiB
  b15cl-done-sha-else-rsfl        at DONE the digest is compared with RSFL.sha256 when
                                  present, else with DONE.sha256 (if/else, not both)
  b15cl-sign-canonical-min        the client sends X' = min(X, p - X), a "canonical"
                                  form: never a value above p/2
L5 asymmetric cost (a buffer per declared length before the check)
  b15cl-hs-limit-eke4-open        the 64 KiB handshake limit is checked while awaiting
                                  EKE2 only: an EKE4 header of 4 GiB is waited for
  b15cl-ctl-limit-not-done        the 64 KiB control limit is not applied to DONE
  b15cl-rec-limit-first-only      the record length limit is checked on the first
                                  record of the connection only
L6 check-then-act under concurrency
  b15cl-failure-unlinks-final     a failed get removes the output name "so that nothing
                                  remains under it": a file another get stored is lost
  b15cl-commit-replaces-empty     the commit replaces an EMPTY file found at the output
                                  (taken for its own placeholder)
  b15cl-sweep-empty-temps         the stale-temporary sweep removes empty temporaries at
                                  once: another initiator's fresh one goes
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind15-client"


def _client() -> Any:
    return _module("reference.eke.client")


# -- L1 ------------------------------------------------------------------------------------


def _hs_timeout_retried() -> None:
    _patch_source(
        _client().EkeClient,
        "_connect_once",
        (
            'raise TransferFailed("the server did not complete the login in time") from None',
            "raise ServerBusy(1) from None",
        ),
    )


def _hs_frame_body_no_timeout() -> None:
    transport = _module("reference.eke.transport")
    _patch_source(
        transport,
        "run_handshake",
        ("sock.settimeout(remaining)", "sock.settimeout(None if hs._inbox else remaining)"),
    )
    _client().run_handshake = transport.run_handshake


def _hs_close_waits_peer_fin() -> None:
    cls = _client().EkeClient
    original = cls.close

    def close(self: Any) -> None:
        if self._stream is None and self._sock is not None:
            sock, self._sock = self._sock, None
            with contextlib.suppress(OSError):
                sock.settimeout(None)
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(65536):
                    pass
            with contextlib.suppress(OSError):
                sock.close()
            return
        original(self)

    cls.close = close


# -- L2 ------------------------------------------------------------------------------------


def _th_fallback_no_user() -> None:
    hs = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")

    def _on_eke2(self: Any, obj: dict[str, Any]) -> None:
        b = bytes.fromhex(obj["b"])
        c = bytes.fromhex(obj["c"])
        y = crypto.reveal_element(self._pw, b)
        z = crypto.shared_secret(self._ephemeral, y)
        th = crypto.transcript_hash(self.user, self._a, b)
        keys = crypto.derive_keys(z, th)
        try:
            ns = crypto.open_confirm(keys.kcs, 2, c, th)
        except errors.AuthenticationFailed:
            # mutant: servers of the first draft hashed A and B without the user name
            th = hashlib.sha256(crypto._TRANSCRIPT_LABEL + bytes(self._a) + b).digest()
            keys = crypto.derive_keys(z, th)
            ns = crypto.open_confirm(keys.kcs, 2, c, th)
        if len(ns) != crypto.NONCE_LEN:
            raise errors.AuthenticationFailed()
        self._th = th
        self._keys = keys
        c3 = crypto.seal_confirm(keys.kcc, 3, self._na + ns, th)
        self._outbox += hs._control(hs.T_EKE3, {"c": c3.hex()})
        del self._ephemeral, self._pw

    hs.ClientHandshake._on_eke2 = _on_eke2


class _EitherOpener:
    """The s2c opener, and when a record fails under it, the c2s one."""

    def __init__(self, primary: Any, spare: Any, failure: type[Exception]) -> None:
        self._primary = primary
        self._spare = spare
        self._failure = failure

    def open(self, header: Any, sealed: Any) -> Any:
        try:
            return self._primary.open(header, sealed)
        except self._failure:
            return self._spare.open(header, sealed)

    def release_buffers(self) -> None:
        self._primary.release_buffers()
        self._spare.release_buffers()


def _rec_other_dir_fallback() -> None:
    records = _module("reference.eke.records")
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    original = records.RecordChannel.__init__

    def __init__(self: Any, keys: Any, **kwargs: Any) -> None:
        original(self, keys, **kwargs)
        if kwargs.get("is_client"):
            max_record = kwargs.get("max_record", records.DEFAULT_MAX_PAYLOAD)
            spare = crypto.RecordOpener(
                keys.key_c2s,
                keys.iv_c2s,
                max_record - crypto.TAG_LEN,
                block_limit=kwargs.get("block_limit", crypto.MAX_RECORD_BLOCKS),
            )
            self.reader._opener = _EitherOpener(
                self.reader._opener, spare, errors.AuthenticationFailed
            )

    records.RecordChannel.__init__ = __init__


def _clear_eke4_skipped() -> None:
    records = _module("reference.eke.records")
    _patch_source(
        records.RecordReader,
        "_parse_header",
        (
            "if frame_type != RECORD_TYPE:",
            'if frame_type == b"EKE4" and length <= 65536:\n'
            "            self._skip_clear = True\n"
            "        elif frame_type != RECORD_TYPE:",
        ),
    )
    _patch_source(
        records.RecordReader,
        "_next_frame",
        (
            "header = self._view[:HEADER_SIZE]",
            'if getattr(self, "_skip_clear", False):\n'
            "        self._skip_clear = False\n"
            "        self._have, self._length = 0, None\n"
            "        return self._next_frame()\n"
            "    header = self._view[:HEADER_SIZE]",
        ),
    )


# -- L3 ------------------------------------------------------------------------------------


def _eror_code0_put_ok() -> None:
    app = _module("reference.app")
    messages = _module("reference.messages")
    client = _client()
    seen = {"ok": False}
    decode = messages.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        message = decode(frame, rsfl_for_put=rsfl_for_put)
        if frame.type == messages.T_EROR:
            code = json.loads(bytes(frame.payload)).get("code")
            seen["ok"] = code == 0 and not isinstance(code, bool)  # status 0: no error
        return message

    app.decode_message = decode_message
    original = client.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        try:
            result: str = original(self, path, name=name, progress=progress)
        except client.ClientError:
            if seen["ok"]:
                return name or path.name
            raise
        return result

    client.EkeClient.put = put


def _empty_data_skipped() -> None:
    transport = _module("reference.eke.transport")
    _patch_source(
        transport.SecureStream,
        "next_event",
        (
            "if frame.type == T_DATA:",
            "if frame.type == T_DATA and not len(frame.payload):\n"
            "            continue  # a keep-alive\n"
            "        if frame.type == T_DATA:",
        ),
    )


def _unknown_type_bad_frame() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        (
            'ErrorCode.UNEXPECTED_FRAME, f"unknown frame type',
            'ErrorCode.BAD_FRAME, f"unknown frame type',
        ),
    )


def _state_bad_frame() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_lookup",
        ("ErrorCode.UNEXPECTED_FRAME,", "ErrorCode.BAD_FRAME,"),
    )


# -- L4 ------------------------------------------------------------------------------------


def _data_limit_is_frame_limit() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        (
            "if frame_type == T_DATA and not 1 <= length <= MAX_DATA_PAYLOAD:",
            "if frame_type == T_DATA and not 1 <= length <= DEFAULT_MAX_PAYLOAD:",
        ),
    )


def _done_sha_else_rsfl() -> None:
    app = _module("reference.app")
    errors = _module("reference.errors")

    def check_done(self: Any, done: Any) -> None:
        sha = self.digest.hexdigest()
        wanted = self.expected_sha256 if self.expected_sha256 is not None else done.sha256
        if not (done.size == self.announced == self.count and wanted == sha):
            raise errors.RemoteProtocolError(
                errors.ErrorCode.INTEGRITY_FAILED,
                f"received {self.count} of {self.announced} bytes; size or SHA-256 mismatch",
            )

    app._Transfer.check_done = check_done


def _sign_canonical_min() -> None:
    crypto = _module("reference.eke.crypto")

    def hide_element(pw: bytes, element: int) -> bytes:
        sign_bit = 0 if element <= crypto.P - element else 1
        return bytes(crypto._hide_element_from_parts(pw, element, sign_bit=sign_bit))

    crypto.hide_element = hide_element


# -- L5 ------------------------------------------------------------------------------------


def _hs_limit_eke4_open() -> None:
    hs = _module("reference.eke.handshake")
    _patch_source(
        hs._Handshake,
        "_read_frame",
        (
            "parse_header(buf[:HEADER_SIZE], MAX_CONTROL_PAYLOAD)",
            "parse_header(buf[:HEADER_SIZE], 0xFFFFFFFF if self.state is "
            "HandshakeState.CLIENT_AWAIT_EKE4 else MAX_CONTROL_PAYLOAD)",
        ),
    )


def _ctl_limit_not_done() -> None:
    app = _module("reference.app")
    messages = _module("reference.messages")
    # One check of the limit, on the header (the reference checks again when it parses
    # the JSON: a second guard an implementation with this slip does not have).
    _patch_source(
        _module("reference.frames"),
        "loads_control",
        ("if len(payload) > MAX_CONTROL_PAYLOAD:", "if False:"),
    )
    messages.loads_control = _module("reference.frames").loads_control
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if frame_type not in (T_DATA, T_DONE) and length > MAX_CONTROL_PAYLOAD:",
        ),
    )


def _rec_limit_first_only() -> None:
    records = _module("reference.eke.records")
    _patch_source(
        records.RecordReader,
        "_parse_header",
        (
            "parse_header(self._view[:HEADER_SIZE], self.max_record)",
            'parse_header(self._view[:HEADER_SIZE], 0xFFFFFFFF if getattr(self, "_seen_one", '
            "False) else self.max_record)",
        ),
        ("self._length = length", "self._length = length\n    self._seen_one = True"),
    )


# -- L6 ------------------------------------------------------------------------------------


def _failure_unlinks_final() -> None:
    client = _client()
    original = client.EkeClient.get

    def get(
        self: Any,
        name: str,
        destination: Path,
        *,
        overwrite: bool = False,
        progress: Any = None,
    ) -> Any:
        if destination.exists() and not overwrite:
            return original(self, name, destination, overwrite=overwrite, progress=progress)
        try:
            return original(self, name, destination, overwrite=overwrite, progress=progress)
        except client.ClientError:
            # mutant: "nothing may remain under the final name" [APP-STORE-3], misread
            with contextlib.suppress(OSError):
                os.unlink(destination)
            raise

    client.EkeClient.get = get


def _commit_replaces_empty() -> None:
    share = _module("reference.share")
    original = share.PartialFile.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        if not overwrite:
            try:
                info = os.stat(self.final_name, dir_fd=self._dir_fd, follow_symlinks=False)
            except OSError:
                info = None
            if info is not None and stat.S_ISREG(info.st_mode) and info.st_size == 0:
                overwrite = True  # mutant: an empty file there is our own placeholder
        original(self, overwrite=overwrite)

    share.PartialFile.commit = commit


def _sweep_empty_temps() -> None:
    transfer = _module("reference.transfer")
    cli = _module("reference.cli.eke")
    _patch_source(
        transfer,
        "remove_stale_partials",
        (
            "if cutoff is not None and info.st_mtime > cutoff:",
            "if cutoff is not None and info.st_mtime > cutoff and info.st_size > 0:",
        ),
    )
    cli.remove_stale_partials = transfer.remove_stale_partials


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    # L1
    _m(
        "b15cl-hs-timeout-retried",
        "LIM-9",
        "test_eke_client_login_rules.py",
        "L1: a login that timed out is retried like a busy answer (10 times): the client "
        "does not give up within its handshake timeout",
        _hs_timeout_retried,
    ),
    _m(
        "b15cl-hs-frame-body-no-timeout",
        "LIM-9",
        "test_eke_client_login_holds.py",
        "L1: once part of a handshake frame is in, its rest is read without a deadline: a "
        "server silent mid-EKE2 holds the client",
        _hs_frame_body_no_timeout,
    ),
    _m(
        "b15cl-hs-close-waits-peer-fin",
        "LIM-9",
        "test_eke_client_login_holds.py",
        "L1: a failed login is closed with FIN and drained until the server's FIN, without "
        "a bound: a silent server holds the client after its handshake timeout",
        _hs_close_waits_peer_fin,
    ),
    # L2
    _m(
        "b15cl-th-fallback-no-user",
        "EKE-KS-1",
        "test_eke_client_get_doors.py",
        "L2: a C2 that fails under th is tried again under a transcript without the user "
        "name (a draft-0 shim)",
        _th_fallback_no_user,
    ),
    _m(
        "b15cl-rec-other-dir-fallback",
        "EKE-KS-4",
        "test_eke_client_get_doors.py",
        "L2: a record that fails under the s2c key and IV is tried under the c2s ones (the "
        "client's own direction)",
        _rec_other_dir_fallback,
    ),
    _m(
        "b15cl-clear-eke4-skipped",
        "EKE-REC-5",
        "test_eke_client_get_doors.py",
        "L2: a plaintext EKE4 after the handshake (a repeated confirmation) is skipped and "
        "the records go on",
        _clear_eke4_skipped,
    ),
    # L3
    _m(
        "b15cl-eror-code0-put-ok",
        "ERR-4",
        "test_eke_client_put_unknown_codes.py",
        "L3: EROR code 0 read as 'no error': in place of the put's receipt it is success (exit 0)",
        _eror_code0_put_ok,
    ),
    _m(
        "b15cl-empty-data-skipped",
        "FRM-13",
        "test_eke_client_transfer.py",
        "L3: an empty DATA frame is skipped as a keep-alive",
        _empty_data_skipped,
    ),
    _m(
        "b15cl-unknown-type-bad-frame",
        "FRM-5",
        "test_eke_client_transfer.py",
        "L3: an inner frame of unknown type answered bad_frame, not unexpected_frame",
        _unknown_type_bad_frame,
    ),
    _m(
        "b15cl-state-bad-frame",
        "FRM-6",
        "test_client_lies.py",
        "L3: a well-formed frame its state does not allow answered bad_frame, not unexpected_frame",
        _state_bad_frame,
    ),
    # L4
    _m(
        "b15cl-data-limit-is-frame-limit",
        "FRM-13",
        "test_eke_client_get_doors.py",
        "L4: a DATA payload bounded by the frame limit (1 MiB + 256), not by 1 MiB",
        _data_limit_is_frame_limit,
    ),
    _m(
        "b15cl-done-sha-else-rsfl",
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "L4: at DONE the bytes' digest is compared with RSFL.sha256 when present, else "
        "with DONE.sha256 (not both)",
        _done_sha_else_rsfl,
    ),
    _m(
        "b15cl-sign-canonical-min",
        "EKE-X-2",
        "test_eke_client_sign_halves.py",
        "L4: the client sends X' = min(X, p - X) (a canonical form): never above p/2",
        _sign_canonical_min,
    ),
    # L5
    _m(
        "b15cl-hs-limit-eke4-open",
        "FRM-3",
        "test_eke_client_login_holds.py",
        "L5: the handshake's 64 KiB limit is checked while awaiting EKE2 only: an EKE4 "
        "header of 4 GiB is waited for",
        _hs_limit_eke4_open,
    ),
    _m(
        "b15cl-ctl-limit-not-done",
        "FRM-8",
        "test_eke_client_get_doors.py",
        "L5: the 64 KiB control limit is not applied to DONE (a DONE of 70 000 bytes taken)",
        _ctl_limit_not_done,
    ),
    _m(
        "b15cl-rec-limit-first-only",
        "EKE-REC-6",
        "test_eke_client_get_doors.py",
        "L5: the record length limit is checked on the connection's first record only",
        _rec_limit_first_only,
    ),
    # L6
    _m(
        "b15cl-failure-unlinks-final",
        "APP-GET-6",
        "test_eke_client_transfer.py",
        "L6: a failed get unlinks its output name (nothing may remain under it): a file "
        "that appeared there meanwhile is lost",
        _failure_unlinks_final,
    ),
    _m(
        "b15cl-commit-replaces-empty",
        "APP-GET-6",
        "test_eke_client_get_doors.py",
        "L6: the commit replaces an empty file found at the output (taken for its own placeholder)",
        _commit_replaces_empty,
    ),
    _m(
        "b15cl-sweep-empty-temps",
        "APP-STORE-3",
        "test_eke_client_get_doors.py",
        "L6: the stale-temporary sweep removes empty temporaries whatever their age: "
        "another initiator's fresh one goes",
        _sweep_empty_temps,
    ),
)
