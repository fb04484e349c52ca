"""Blind red-team round 15, second client team (helper B78): both clients as programs.

Written from docs/SPEC.md and the reference's clients (eke/client.py, pki/client.py,
enroll.py, transfer.py, share.py, app.py, the CLI) before any case file was read. The
first list had 22 ideas; 17 of them were already registered (own alias, echoed requests,
the EKU, the CA's CN, exit 0 on a refusal, unknown codes, 2xx enrolments, the key written
before the answer, a fixed temporary name, the replace-on-commit, ...) and were replaced
by the ideas marked (r), checked against the registered client mutants before coding.
Lens of each (round 15): L1 one blocks all, L2 reflection, L3 the default branch, L4
compound conditions, L5 asymmetric cost, L6 check-then-act.

 b15cl3-pki-fatal-eror-drains      L1 ERR-3       pki get: a fatal EROR mid-get is followed
                                                  by reading until the responder closes
 b15cl3-eke-bad-record-waits   (r) L1 EKE-REC-4   eke: after a record that fails to open,
                                                  the client reads until the server closes
 b15cl3-eke-busy-answer-retried(r) L1/L5 EKE-THR-7 eke: `busy` answering a request (after
                                                  the login) is retried at once: reconnect
 b15cl3-pki-answer-eror-idle   (r) L1/L3 ERR-3    a fatal EROR answering a request returns
                                                  the initiator to IDLE: BYE_, echo awaited
 b15cl3-eke-fatal-by-range     (r) L3 ERR-3       fatality read as "code >= 8": bad_frame,
                                                  frame_too_large, unexpected_frame,
                                                  auth_failed are taken as refusals
 b15cl3-pki-midget-eror-commits    L3 APP-GET-6   pki: a non-fatal EROR in the middle of a
                                                  get ends the file: what came is renamed
 b15cl3-eke-rsfl-kind-by-shape (r) L2 FRM-10      RSFL decoded by its members, not by the
                                                  state: a get's RSFL with an extra
                                                  `accept` is taken for a put's acceptance
 b15cl3-pki-eror-message-decides(r) L2 ERR-1      an EROR whose message starts with a code's
                                                  name is acted on as that code
 b15cl3-eke-eror-quotes-frame  (r) L2 ERR-5       the client's EROR for a frame out of place
                                                  quotes the frame's first bytes (DATA:
                                                  file content)
 b15cl3-eke-bye-taken-as-close (r) L3 FRM-6       a BYE_ from the server before the answer
                                                  is "the server leaving": closed without
                                                  EROR unexpected_frame
 b15cl3-eke-done-demorgan          L4 APP-GET-3   DONE.size checked against the count OR
                                                  the RSFL size (De Morgan slip)
 b15cl3-pki-empty-skips-rsfl-sha   L4 APP-GET-3   RSFL.sha256 compared only when bytes came
 b15cl3-pki-put-control-unbounded(r) L4 FRM-8     the 64 KiB control limit applied to a
                                                  get's answers, not to a put's
 b15cl3-eke-sha-len-or-hex     (r) L4 FRM-12      sha256 members: 64 characters OR
                                                  lowercase hex (`and` meant)
 b15cl3-eke-overflow-per-frame     L5 APP-GET-4   DATA beyond the announced size judged per
                                                  frame, not on the running total
 b15cl3-eke-temp-before-answer (r) L5 APP-STORE-3 a temporary reserved before RQFL is
                                                  answered: every refused get leaves one
 b15cl3-pki-commit-same-size   (r) L6 APP-GET-6   an output that appeared meanwhile with the
                                                  announced size is "the same download" and
                                                  replaced
 b15cl3-eke-temp-first-free    (r) L6 APP-STORE-1 temporary .sft-partial-N, the first N not
                                                  present, opened without O_EXCL: two runs at
                                                  once share it
 b15cl3-pki-temp-time-named    (r) L6 APP-STORE-1 temporary named after the time in seconds,
                                                  opened without O_EXCL

Dropped after the blind run: pki-drive-letter-search (the drive-letter rule searched
anywhere in a name, so `notes:v2.txt` is refused before any request): a client that
refuses a name §3.5 allows breaks no MUST the suite can judge (the request-name cases
report it as "client not exercised"), so it is not a mutant. Retargeted after the blind
run: eke-fatal-by-range cites FRM-9 (its observable breach: its own bad_frame is sent as
`internal`; receiving, it only adds a BYE_ before an immediate close).

Enrolment: the three enrolment ideas of the first list (the CA's CN as host name, any
2xx kept, the key written before the answer) were all registered already; no new
enrolment mutant survived the check.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _read_until_close(sock: Any, timeout: float) -> None:
    """Reads and drops until the peer closes ("let it have the last word")."""
    with contextlib.suppress(OSError, ValueError):
        sock.settimeout(timeout)
        buf = bytearray(4096)
        while sock.recv_into(buf):
            pass


# -- lens 1: one blocks all ------------------------------------------------------------


def _pki_fatal_eror_drains() -> None:
    transfer = _module("reference.transfer")
    transfer._b78_read_until_close = lambda stream: _read_until_close(stream, 3600.0)
    _patch_source(
        transfer._Channel,
        "receive_file",
        (
            "raise TransferFailed(event.code, event.message, remote=True)",
            "if event.fatal:\n"
            "                _b78_read_until_close(self.stream)\n"
            "            raise TransferFailed(event.code, event.message, remote=True)",
        ),
    )


def _eke_bad_record_waits() -> None:
    client = _module("reference.eke.client")

    def wait(self: Any, exc: BaseException) -> None:
        if isinstance(exc, client.AuthenticationFailed) and self._sock is not None:
            _read_until_close(self._sock, self.config.idle_timeout)

    client._b78_wait = wait
    _patch_source(
        client.EkeClient,
        "_next",
        (
            "    except (AuthenticationFailed, TruncatedStream):\n        self._abandon()\n",
            "    except (AuthenticationFailed, TruncatedStream) as _b78_exc:\n"
            "        _b78_wait(self, _b78_exc)\n"
            "        self._abandon()\n",
        ),
    )


def _eke_busy_answer_retried() -> None:
    client = _module("reference.eke.client")
    original = client.EkeClient.get

    def get(self: Any, name: str, destination: Any, **kwargs: Any) -> Any:
        for _ in range(3):
            try:
                return original(self, name, destination, **kwargs)
            except client.ServerBusy:
                # "busy: try again" -- the retry_after wait is for logins only.
                self.close()
                self._connect_once()
        return original(self, name, destination, **kwargs)

    client.EkeClient.get = get


def _pki_answer_eror_idle() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_on_control",
        ("self.state = nxt if not message.fatal else self._closed()", "self.state = nxt"),
    )


# -- lens 3: the default branch --------------------------------------------------------


def _eke_fatal_by_range() -> None:
    errors = _module("reference.errors")
    errors.ErrorCode.fatal = property(lambda self: int(self) >= 8 and int(self) not in (12, 13))


def _pki_midget_eror_commits() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer._Channel,
        "receive_file",
        (
            "elif isinstance(event, ErrorFrame):\n",
            "elif isinstance(event, ErrorFrame) and not event.fatal:\n"
            "            self.release_buffers()\n"
            "            return Done(received, '')\n"
            "        elif isinstance(event, ErrorFrame):\n",
        ),
    )


def _eke_bye_taken_as_close() -> None:
    app = _module("reference.app")
    errors = _module("reference.errors")
    original = app.ApplicationConnection._lookup

    def _lookup(self: Any, frame_type: bytes) -> Any:
        if (
            self.role is app.INITIATOR
            and frame_type == app.T_BYE
            and self.state is not app.InitiatorState.BYE_SENT
        ):
            raise errors.TruncatedStream("the server said goodbye")
        return original(self, frame_type)

    app.ApplicationConnection._lookup = _lookup


# -- lens 2: reflection ----------------------------------------------------------------


def _eke_rsfl_kind_by_shape() -> None:
    messages = _module("reference.messages")
    app = _module("reference.app")
    original = messages.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        if frame.type == messages.T_RSFL:
            with contextlib.suppress(ValueError):
                obj = json.loads(bytes(frame.payload))
                rsfl_for_put = isinstance(obj, dict) and "accept" in obj
        return original(frame, rsfl_for_put=rsfl_for_put)

    messages.decode_message = decode_message
    app.decode_message = decode_message


def _pki_eror_message_decides() -> None:
    messages = _module("reference.messages")
    app = _module("reference.app")
    errors = _module("reference.errors")
    original = messages.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        message = original(frame, rsfl_for_put=rsfl_for_put)
        if isinstance(message, messages.ErrorFrame):
            for code in errors.ErrorCode:
                if message.message.startswith(code.wire_name):
                    return messages.ErrorFrame(code, message.message, message.retry_after)
        return message

    messages.decode_message = decode_message
    app.decode_message = decode_message


def _eke_eror_quotes_frame() -> None:
    client = _module("reference.eke.client")
    transport = _module("reference.eke.transport")
    records = _module("reference.eke.records")
    next_record = transport.SecureStream._next_record

    def _next_record(self: Any) -> Any:
        frame = next_record(self)
        self._b78_last = frame
        return frame

    def with_frame(stream: Any, message: str) -> str:
        last = getattr(stream, "_b78_last", None)
        if isinstance(last, records.InnerFrame):
            kind = last.type.decode("ascii", "replace")
            return f"{message} (got {kind} {bytes(last.payload[:40])!r})"
        return message

    transport.SecureStream._next_record = _next_record
    client._b78_with_frame = with_frame
    _patch_source(
        client.EkeClient,
        "_next",
        (
            "ErrorFrame(exc.code if exc.code.fatal else ErrorCode.INTERNAL, exc.message)",
            "ErrorFrame(exc.code if exc.code.fatal else ErrorCode.INTERNAL, "
            "_b78_with_frame(stream, exc.message))",
        ),
    )


# -- lens 4: compound conditions -------------------------------------------------------


def _eke_done_demorgan() -> None:
    app = _module("reference.app")
    _patch_source(
        app._Transfer,
        "check_done",
        (
            "if not (done.size == self.announced == self.count and done.sha256 == sha):",
            "if (done.size != self.announced and done.size != self.count) or done.sha256 != sha:",
        ),
    )


def _pki_empty_skips_rsfl_sha() -> None:
    app = _module("reference.app")
    _patch_source(
        app._Transfer,
        "check_done",
        (
            "if self.expected_sha256 is not None and self.expected_sha256 != sha:",
            "if self.count and self.expected_sha256 is not None and self.expected_sha256 != sha:",
        ),
    )


def _pki_put_control_unbounded() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    put_states = (app.InitiatorState.PUT_SENT, app.InitiatorState.DONE_SENT)
    check_header = app.ApplicationConnection._check_header

    def loose(frame_type: bytes, length: int) -> tuple[bytes, int]:
        if frame_type != app.T_DATA:
            saved = app.MAX_CONTROL_PAYLOAD
            app.MAX_CONTROL_PAYLOAD = app.DEFAULT_MAX_PAYLOAD
            try:
                return check_header(frame_type, length)  # type: ignore[no-any-return]
            finally:
                app.MAX_CONTROL_PAYLOAD = saved
        return check_header(frame_type, length)  # type: ignore[no-any-return]

    app._b78_loose_header = loose
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "self._header = self._check_header(",
            "self._header = (self._check_header if self.state not in "
            "(I.PUT_SENT, I.DONE_SENT) else _b78_loose_header)(",
        ),
    )
    on_control = app.ApplicationConnection._on_control

    def _on_control(self: Any, frame: Any) -> Any:
        if self.state not in put_states:
            return on_control(self, frame)
        saved = frames.MAX_CONTROL_PAYLOAD
        frames.MAX_CONTROL_PAYLOAD = app.DEFAULT_MAX_PAYLOAD
        try:
            return on_control(self, frame)
        finally:
            frames.MAX_CONTROL_PAYLOAD = saved

    app.ApplicationConnection._on_control = _on_control


def _eke_sha_len_or_hex() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "_has_kind",
        (
            "return _SHA256_RE.fullmatch(value) is not None",
            "return len(value) == 64 or _HEX_RE.fullmatch(value) is not None",
        ),
    )


# -- lens 5: asymmetric cost -----------------------------------------------------------


def _eke_overflow_per_frame() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if length > self._incoming.announced:",
        ),
    )


def _eke_temp_before_answer() -> None:
    client = _module("reference.eke.client")
    share = _module("reference.share")
    original = client.EkeClient.get

    def get(self: Any, name: str, destination: Any, **kwargs: Any) -> Any:
        # "Make sure we can write there before asking": the reservation is dropped once
        # the file starts coming; a refusal ends the command before that.
        reserved = None
        with contextlib.suppress(OSError):
            path = destination.parent / f"{share.PARTIAL_PREFIX}{os.urandom(12).hex()}"
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            reserved = path
        stream = self._stream
        if stream is not None and reserved is not None:
            receive = stream.app.next_event

            def next_event() -> Any:
                event = receive()
                if isinstance(event, client.FileResponse):
                    with contextlib.suppress(OSError):
                        os.unlink(reserved)
                return event

            stream.app.next_event = next_event
        return original(self, name, destination, **kwargs)

    client.EkeClient.get = get


# -- lens 6: check-then-act ------------------------------------------------------------


def _pki_commit_same_size() -> None:
    share = _module("reference.share")
    original = share.PartialFile.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        if not overwrite:
            try:
                info = os.stat(self.final_name, dir_fd=self._dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                pass
            else:
                # Another run of the same download got there first: same size, same file.
                overwrite = stat.S_ISREG(info.st_mode) and info.st_size == self.written
        original(self, overwrite=overwrite)

    share.PartialFile.commit = commit


def _first_free(dir_fd: int, prefix: str) -> str:
    n = 0
    while True:
        name = f"{prefix}{n}"
        try:
            os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return name
        n += 1


def _temp_name_patch(expression: str) -> None:
    share = _module("reference.share")
    share._b78_first_free = _first_free
    share._b78_time = time
    _patch_source(
        share.PartialFile,
        "__init__",
        (
            'self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"',
            f"self.temp_name = {expression}",
        ),
        (
            "os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC",
            "os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC",
        ),
    )


def _eke_temp_first_free() -> None:
    _temp_name_patch("_b78_first_free(dir_fd, PARTIAL_PREFIX)")


def _pki_temp_time_named() -> None:
    _temp_name_patch('f"{PARTIAL_PREFIX}{int(_b78_time.time())}"')


# -- the list ---------------------------------------------------------------------------


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
) -> Mutant:
    return Mutant(
        name=f"b15cl3-{name}",
        group="blind15-client3",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "pki-fatal-eror-drains",
        "pki",
        "ERR-3",
        "test_client_run_fatal_endings.py",
        "L1: pki get: a fatal EROR in the middle of a get is followed by reading until the "
        "responder closes: a responder that stays silent holds the initiator",
        _pki_fatal_eror_drains,
    ),
    _m(
        "eke-bad-record-waits",
        "eke",
        "EKE-REC-4",
        "test_client_run_fatal_endings.py",
        "L1: after a record that fails to authenticate the eke client reads until the server "
        "closes, up to its idle timeout, before closing",
        _eke_bad_record_waits,
    ),
    _m(
        "eke-busy-answer-retried",
        "eke",
        "EKE-THR-7",
        "test_client_run_busy_after_login.py",
        "L1/L5: an EROR busy answering a request (after the login) is retried at once on a new "
        "connection, whatever its retry_after",
        _eke_busy_answer_retried,
    ),
    _m(
        "pki-answer-eror-idle",
        "pki",
        "ERR-3",
        "test_client_pki_eror_fatality.py",
        "L1/L3: any EROR answering a request returns the initiator to IDLE, fatal ones too: "
        "it says BYE_ and waits for the echo",
        _pki_answer_eror_idle,
    ),
    _m(
        "eke-fatal-by-range",
        "eke",
        "FRM-9",
        "test_eke_client_transfer.py",
        "L3: fatality read as 'code >= 8' (exists, unsupported excepted): bad_frame, "
        "frame_too_large, unexpected_frame, auth_failed received are refusals",
        _eke_fatal_by_range,
    ),
    _m(
        "pki-midget-eror-commits",
        "pki",
        "APP-GET-6",
        "test_client_run_get_lies.py",
        "L3: pki get: a non-fatal EROR in the middle of a get ends the file: the bytes so far "
        "are renamed to the final name",
        _pki_midget_eror_commits,
    ),
    _m(
        "eke-rsfl-kind-by-shape",
        "eke",
        "FRM-10",
        "test_client_run_frame_forms.py",
        "L2: an RSFL is decoded by its members, not by the state: a get's RSFL carrying an "
        "extra `accept` is taken for a put's acceptance and the get fails",
        _eke_rsfl_kind_by_shape,
    ),
    _m(
        "pki-eror-message-decides",
        "pki",
        "ERR-1",
        "test_client_run_fatal_endings.py",
        "L2: an EROR whose message starts with a code's name (`not_found: ...`) is acted on as "
        "that code, not as its `code`",
        _pki_eror_message_decides,
    ),
    _m(
        "eke-eror-quotes-frame",
        "eke",
        "ERR-5",
        "test_client_error_content.py",
        "L2: the eke client's EROR for a frame it refuses quotes the frame's first 40 bytes "
        "(a DATA frame out of place: file content)",
        _eke_eror_quotes_frame,
    ),
    _m(
        "eke-bye-taken-as-close",
        "eke",
        "FRM-6",
        "test_client_run_frame_forms.py",
        "L3: a BYE_ from the server while a request is open is 'the server leaving': the "
        "client closes without EROR unexpected_frame",
        _eke_bye_taken_as_close,
    ),
    _m(
        "eke-done-demorgan",
        "eke",
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "L4: DONE.size checked against the bytes received OR the RSFL size (De Morgan slip): "
        "a short file with a DONE that agrees with it is kept",
        _eke_done_demorgan,
    ),
    _m(
        "pki-empty-skips-rsfl-sha",
        "pki",
        "APP-GET-3",
        "test_client_run_get_lies.py",
        "L4: RSFL.sha256 compared only when bytes came: a 0-byte get whose RSFL announced "
        "another digest is kept",
        _pki_empty_skips_rsfl_sha,
    ),
    _m(
        "pki-put-control-unbounded",
        "pki",
        "FRM-8",
        "test_client_run_put_answers.py",
        "L4: the 64 KiB control limit is applied to a get's answers, not to a put's (its "
        "RSFL{accept}, its receipt DONE)",
        _pki_put_control_unbounded,
    ),
    _m(
        "eke-sha-len-or-hex",
        "eke",
        "FRM-12",
        "test_client_run_frame_forms.py",
        "L4: a sha256 member passes when it has 64 characters OR is lowercase hex (`and` meant)",
        _eke_sha_len_or_hex,
    ),
    _m(
        "eke-overflow-per-frame",
        "eke",
        "APP-GET-4",
        "test_eke_client_transfer.py",
        "L5: DATA beyond the announced size judged per frame (length > size), not on the "
        "running total",
        _eke_overflow_per_frame,
    ),
    _m(
        "eke-temp-before-answer",
        "eke",
        "APP-STORE-3",
        "test_client_run_before_data.py",
        "L5: a .sft-partial- temporary reserved before RQFL is answered: every refused get "
        "(not_found, forbidden) leaves one behind",
        _eke_temp_before_answer,
    ),
    _m(
        "pki-commit-same-size",
        "pki",
        "APP-GET-6",
        "test_client_run_get_lies.py",
        "L6: an output that appeared during the get with the announced size is taken for "
        "another run of the same download and replaced",
        _pki_commit_same_size,
    ),
    _m(
        "eke-temp-first-free",
        "eke",
        "APP-STORE-1",
        "test_client_temporaries.py",
        "L6: the temporary is .sft-partial-N, the first N not present, opened O_TRUNC without "
        "O_EXCL: two runs at once share it",
        _eke_temp_first_free,
    ),
    _m(
        "pki-temp-time-named",
        "pki",
        "APP-STORE-1",
        "test_client_pki_temp_names.py",
        "L6: the temporary is named after the time in seconds, opened O_TRUNC without O_EXCL: "
        "two runs started in one second share it",
        _pki_temp_time_named,
    ),
)
