"""Blind red-team round 6 (brief B19): clients of both profiles, and the responder's
application and framing layer, written from the SPEC.

Phase 1 (blind: written from docs/SPEC.md §0-§3, §5, §6 and the reference's clients
(reference/eke/client.py, reference/pki/client.py, reference/cli/), app.py, frames.py,
messages.py, share.py, transfer.py, before opening any case file, existing mutant list or
independent implementation; mutant.py, mutants_app._patch_source and the docstring of
mutants_blind5_eke.py were read for the format). Every client mutant of the application
layer exists for both profiles' clients (`b6cli-eke-...`, `b6cli-pki-...`).

Clients (client=True; the embedded server stays honest):
- b6cli-{eke,pki}-unknown-code-refusal -> ERR-4: an EROR code outside the table is taken
  as a non-fatal refusal ("a newer peer's warning"): the client stays and says BYE_.
- b6cli-{eke,pki}-malformed-eror-skipped -> ERR-8: an EROR whose payload fails its
  schema (no `code`) is skipped as if it had not come; the frames after it are used.
- b6cli-{eke,pki}-overflow-trusts-done -> APP-GET-4: more DATA than RSFL announced is
  taken when DONE's size and digest cover it (the client checks DONE, not RSFL).
- b6cli-{eke,pki}-eror-keeps-partial -> APP-STORE-3: a fatal EROR from the responder in
  the middle of a get keeps the temporary file ("for a later resume").
- b6cli-{eke,pki}-commit-at-last-byte -> APP-STORE-2: the temporary file is renamed to
  its final name when the announced size is reached, before DONE is verified (and
  removed again if DONE then fails).
- b6cli-{eke,pki}-put-data-before-accept -> APP-PUT-1: the put sends its DATA and DONE
  right after PUTF ("optimistic"), and reads the acceptance afterwards.
- b6cli-{eke,pki}-put-digest-with-headers -> APP-PUT-4: the put's DONE.sha256 hashes the
  DATA frames' headers along with the payloads.
- b6cli-{eke,pki}-eror-traceback -> ERR-6: the EROR the client sends on a protocol error
  carries the Python traceback ("debug aid").
- b6cli-{eke,pki}-get-overwrites -> APP-GET-6: the output name is not checked and the
  rename replaces (`os.replace`): an existing file at the output is overwritten.
- b6cli-eke-pwf-first-line -> PWF-1: the password file is read with `readline()`: a
  second line is silently dropped.
- b6cli-eke-pwf-rstrip -> PWF-1: every trailing CR and LF is stripped (`rstrip("\\r\\n")`).
- b6cli-eke-eke1-key-id -> EKE-PW-3: EKE1 carries a "key id", the first 16 hex of
  SHA-256(pw) (an offline-guessable value computed from the password).
- b6cli-eke-z-unchecked -> EKE-KS-2: the client skips the range checks of X' and Z.
- b6cli-eke-record-ad-fallback -> EKE-REC-3: a record that fails under its header as AD
  is tried again with an empty AD.
- b6cli-eke-eke1-upper-hex -> EKE-HS-1: EKE1's `a` is upper-case hex.

Responder, application and framing layer:
- b6app-dup-key-nested -> FRM-9 (eke): duplicate keys refused at the top level only.
- b6app-nested-unknown-refused -> FRM-10 (pki): an unknown member holding an object or
  an array is refused `bad_frame` (a flat decoder).
- b6app-size-string-coerced -> FRM-11 (eke): `"size": "10"` is taken as 10.
- b6app-int-u64 -> FRM-11 (pki): integers are bounded by 2^64-1, not 2^63-1.
- b6app-negative-size -> FRM-11 (eke): the lower bound of integers is not checked.
- b6app-surrogate-escape-name -> FRM-15 (eke): names are encoded with `surrogateescape`:
  a lone low surrogate U+DC80..U+DCFF becomes a raw byte of a file name.
- b6app-unknown-code-warning -> ERR-4 (pki): an initiator's EROR with an unknown code is
  a warning; the responder stays and answers the next request.
- b6app-malformed-eror-skipped -> ERR-8 (eke): a malformed EROR from the initiator is
  skipped, the next request answered.
- b6app-bad-json-traceback -> ERR-6 (pki): the bad_frame answer to invalid JSON carries
  the traceback.
- b6app-control-limit-off-by-one -> FRM-8 (eke): a control payload of exactly 65 536
  bytes is refused `frame_too_large`.
- b6app-data-max-off-by-one -> FRM-13 (pki): a DATA frame of exactly 1 MiB is refused.
- b6app-sha256-prefix-match -> FRM-12 (eke): `sha256` checked with `re.match`, not
  `fullmatch`: 64 hex followed by anything passes.
- b6app-partial-prefix-full-name -> APP-NAME-9 (pki): the reserved prefix is checked on
  the whole name, not its last component (`sub/.sft-partial-x` is stored).
- b6app-put-name-checked-at-commit -> APP-PUT-1 (eke): a put's name is accepted as its
  basename and checked only when storing (forbidden instead of DONE).
- b6app-eof-with-all-bytes-commits -> FRM-7 (pki): a put whose announced bytes all
  arrived is stored when the connection ends inside (or before) its DONE.
- b6app-put-max-size-off-by-one -> APP-PUT-7 (eke): a put of exactly max_file_size is
  refused `too_large`.

Phase 2 (the suite as it was). With the case file each mutant was first guessed to be
caught in: 24 of 40 detected (60 %). With the named file corrected to where the suite
already had the case (no case changed): 28 of 40 (70 %) — b6cli-eke-unknown-code-refusal
(test_eke_client_transfer.py compares EROR 99 with EROR 11), b6cli-eke-z-unchecked
(test_eke_client.py), b6app-malformed-eror-skipped (test_framing.py),
b6app-eof-with-all-bytes-commits (test_app_put.py). The 12 escapes:
- b6cli-{eke,pki}-malformed-eror-skipped: no case gave a CLIENT a malformed EROR (ERR-8
  was judged on the responder only).
- b6cli-{eke,pki}-eror-traceback: no case read the message of an EROR a client sends.
- b6cli-{eke,pki}-commit-at-last-byte: the final name before DONE was judged by the kill
  cases under APP-GET-6/APP-STORE-5 only; the race in "a file appears during the get"
  let it through; nothing cited APP-STORE-2 for a DONE that then fails.
- b6cli-pki-eror-keeps-partial: no default pki case judged the leftovers after a fatal
  EROR in the middle of a get (eke had one).
- b6cli-eke-record-ad-fallback: no record sealed under the right key with another AD.
- b6cli-eke-eke1-upper-hex: ERROR, not FAIL: the suite's server raised on the malformed
  EKE1 (a harness fault) instead of judging the client.
- b6app-surrogate-escape-name: only U+D800 was tried; U+DC80..U+DCFF are what
  `surrogateescape` turns into bytes.
- b6app-unknown-code-warning: the lone-EROR case took the idle timeout's `EROR timeout`
  for "an EROR then the close".
- b6app-bad-json-traceback: ERR-6 was judged only on the frames of an ordinary session.
Cases added: test_client_lies.py (both profiles: malformed EROR, the client's EROR
message, rename only after DONE verified, leftovers after a fatal EROR mid-get, frames
out of state mid-get, a symlink at the output), test_error_disclosure.py
test_error_answer_carries_no_stack_trace, test_framing.py
test_error_with_unknown_code_then_a_request_is_not_served, more lone surrogates in RQFL
and test_put_of_a_lone_surrogate_name_is_refused, test_eke_client_transfer.py records
sealed without / with a partial AD, test_eke_client.py
test_client_handshake_frames_are_well_formed (and a malformed EKE1 ends the suite's
session instead of raising). After: 40 of 40.

Phase 3 probes (written after reading the suite):
- b6cli-{eke,pki}-second-rsfl-restarts -> FRM-6: a second RSFL mid-get restarts the file.
- b6cli-{eke,pki}-commit-copies-through-symlink -> APP-GET-6: the commit copies the
  temporary to the final path with open("wb"), through a symlink planted there.
  (Cases written first.) Against the suite before phase 2: 3 of 4 caught (the eke
  client's second RSFL escaped: only a DATA before RSFL was tried); after: 4 of 4.
- b6cli-{eke,pki}-{size-string-coerced, int-u64, dup-key-nested, nested-unknown-refused}
  -> FRM-11, FRM-11, FRM-9, FRM-10: the responder's JSON mutants above, planted in the
  clients (measured before their cases were written): 1 of 8 caught (the pki client's
  nested unknown member, by test_pki_initiator_transfer.py's `"x-y": {}`); the clients'
  RSFL was never sent a size as a string, above 2^63 - 1, a nested duplicate, nor (eke)
  a nested unknown member. After test_client_lies.py's JSON cases: 8 of 8.
- b6cli-{eke,pki}-{sha256-prefix-match, control-limit-off-by-one, data-max-off-by-one}
  -> FRM-12, FRM-8, FRM-13: three more of the responder's mutants above, in the clients
  (measured before their cases were written): 0 of 6 caught — no client was sent a
  sha256 longer than 64 characters, a control payload of exactly 65 536 bytes, or a DATA
  frame of exactly 1 MiB (the lying peers send 1000-byte frames). After
  test_client_lies.py's cases: 6 of 6.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


# --- clients: the application layer (both profiles) -------------------------------------


def _unknown_code_refusal() -> None:
    errors = _module("reference.errors")
    code_type = errors.ErrorCode

    def from_wire(cls: Any, value: int) -> Any:
        try:
            return cls(value)
        except ValueError:
            return cls.NOT_FOUND  # "a code from a newer peer: a refusal we do not know"

    type.__setattr__(code_type, "from_wire", classmethod(from_wire))


def _malformed_eror_skipped() -> None:
    app = _module("reference.app")
    errors = _module("reference.errors")
    conn = app.ApplicationConnection
    original = conn._on_control

    def _on_control(self: Any, frame: Any) -> Any:
        if frame.type == b"EROR":
            try:
                return original(self, frame)
            except errors.RemoteProtocolError:
                return self._next_event()  # "garbage error frame: ignore it"
        return original(self, frame)

    conn._on_control = _on_control


def _overflow_trusts_done() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        ("if self._incoming.count + length > self._incoming.announced:", "if False:"),
    )
    _patch_source(
        app._Transfer,
        "check_done",
        ("done.size == self.announced == self.count", "done.size == self.count"),
    )
    _patch_source(
        _module("reference.share").PartialFile,
        "write",
        ("if self.written + len(view) > self.limit:", "if False:"),
    )


def _eror_keeps_partial() -> None:
    share = _module("reference.share")
    partial_type = share.PartialFile
    integrity = _module("reference.errors").ErrorCode.INTEGRITY_FAILED
    original = partial_type.__exit__

    def __exit__(self: Any, exc_type: Any, exc: Any, tb: Any) -> None:
        if (
            exc is not None
            and type(exc).__name__ == "TransferFailed"
            and getattr(exc, "code", None) not in (None, integrity)
            and getattr(exc, "remote", True)
            and self.written > 0
        ):
            # "the responder gave up: keep what we have for a resume"
            if self._file is not None:
                self._file.close()
                self._file = None
            self._done = True
            return
        original(self, exc_type, exc, tb)

    partial_type.__exit__ = __exit__


def _commit_at_last_byte() -> None:
    partial_type = _module("reference.share").PartialFile
    write, commit, leave = partial_type.write, partial_type.commit, partial_type.__exit__

    def early_write(self: Any, data: Any) -> None:
        write(self, data)
        tracked = self._tracked
        if self.written == self.limit and tracked is not None and not hasattr(self, "_early"):
            directory = os.path.dirname(tracked)
            commit(self)  # all announced bytes are here: "done"
            self._early = os.path.join(directory, self.final_name)

    def late_commit(self: Any, *, overwrite: bool = False) -> None:
        if hasattr(self, "_early"):
            return
        commit(self, overwrite=overwrite)

    def __exit__(self: Any, exc_type: Any, exc: Any, tb: Any) -> None:
        early = getattr(self, "_early", None)
        if early is not None:
            if exc_type is not None:
                with contextlib.suppress(OSError):
                    os.unlink(early)
            return
        leave(self, exc_type, exc, tb)

    partial_type.write = early_write
    partial_type.commit = late_commit
    partial_type.__exit__ = __exit__


def _eke_put_data_before_accept() -> None:
    client = _module("reference.eke.client")
    app = _module("reference.app")
    messages = _module("reference.messages")
    state = app.InitiatorState

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        stream = self._require()
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise client.TransferFailed(f"cannot read {path}: {exc.strerror}") from None
        with io.FileIO(fd, "rb", closefd=True) as file:
            size = os.fstat(fd).st_size
            try:
                stream.send(messages.PutRequest(name or path.name, size))
                stream.app.state = state.SENDING  # optimistic: no round trip
                sent = 0
                while sent < size:
                    n = stream.send_file_chunk(file, size - sent)
                    if n == 0:
                        raise client.TransferFailed(f"{path} shrank while being sent")
                    sent += n
                stream.send(stream.app.outgoing_done())
            except OSError as exc:
                self._abandon()
                raise client.TransferFailed(f"connection lost: {exc}") from None
            stream.app.state = state.PUT_SENT
            answer = self._next(stream)
            if not isinstance(answer, messages.PutAccepted):
                raise client.TransferFailed("unexpected answer from the server")
            stream.app.state = state.DONE_SENT
            done = self._next(stream)
            if not isinstance(done, messages.Done):
                raise client.TransferFailed("unexpected answer from the server")
            return str(answer.name)

    client.EkeClient.put = put


def _pki_put_data_before_accept() -> None:
    transfer = _module("reference.transfer")
    app = _module("reference.app")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    state = app.InitiatorState

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        name = name or source.name
        transfer.check_name(name)
        with source.open("rb", buffering=0) as f:
            size = f.seek(0, 2)
            f.seek(0)
            conn = self.channel.conn
            try:
                self.channel.send(messages.PutRequest(name, size))
                conn.state = state.SENDING  # optimistic: no round trip
                self.channel.send_file(f.readinto, size, progress)
                conn.state = state.PUT_SENT
                accepted = self._answer()
                assert isinstance(accepted, messages.PutAccepted)
                conn.state = state.DONE_SENT
                ack = self._answer()
                assert isinstance(ack, messages.Done)
                return str(accepted.name)
            except errors.ProtocolError as exc:
                raise self._guard(exc) from None
            except TimeoutError:
                raise self._guard(
                    errors.RemoteProtocolError(errors.ErrorCode.TIMEOUT, "the responder stalled")
                ) from None

    transfer.Initiator.put = put


def _put_digest_with_headers() -> None:
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "send_data_header",
        (
            "self._outgoing.add(payload)",
            "self._outgoing.digest.update(encode_header(T_DATA, n))\n"
            "    self._outgoing.add(payload)",
        ),
    )


def _eror_traceback() -> None:
    app = _module("reference.app")
    messages = _module("reference.messages")
    original = app.encode_message

    def encode_message(message: Any) -> bytes:
        if isinstance(message, messages.ErrorFrame) and sys.exc_info()[0] is not None:
            message = replace(message, message=traceback.format_exc())
        data: bytes = original(message)
        return data

    app.encode_message = encode_message


def _get_overwrites() -> None:
    edit = ("if destination.exists() and not overwrite:", "if False:")
    _patch_source(_module("reference.eke.client").EkeClient, "get", edit)
    _patch_source(_module("reference.transfer").Initiator, "get", edit)
    _patch_source(_module("reference.share").PartialFile, "commit", ("if overwrite:", "if True:"))


# --- clients: sft-eke/1 only ------------------------------------------------------------


def _pwf_first_line() -> None:
    cli = _module("reference.cli.eke")

    def read(path: Path) -> str:
        with open(path, encoding="utf-8", newline="") as f:
            line = f.readline()
        if line.endswith("\r\n"):
            return line[:-2]
        return line.removesuffix("\n")

    cli._read_password_file = read


def _pwf_rstrip() -> None:
    cli = _module("reference.cli.eke")

    def read(path: Path) -> str:
        return Path(path).read_bytes().decode("utf-8").rstrip("\r\n")

    cli._read_password_file = read


def _eke1_member(build: Callable[[Any, str, bytes], dict[str, Any]]) -> None:
    hs = _module("reference.eke.handshake")
    client_hs = hs.ClientHandshake
    setup = client_hs._setup

    def _setup(self: Any, user: str, pw: bytes, **kwargs: Any) -> None:
        setup(self, user, pw, **kwargs)
        self._outbox.clear()
        self._outbox += hs._control(hs.T_EKE1, build(self, user, pw))

    client_hs._setup = _setup


def _eke1_key_id() -> None:
    _eke1_member(
        lambda self, user, pw: {
            "user": user,
            "a": self._a.hex(),
            "key_id": hashlib.sha256(pw).hexdigest()[:16],
        }
    )


def _eke1_upper_hex() -> None:
    _eke1_member(lambda self, user, pw: {"user": user, "a": self._a.hex().upper()})


def _z_unchecked() -> None:
    crypto = _module("reference.eke.crypto")
    _patch_source(
        crypto, "pm_decode", ("if value in (0, 1, P - 1) or value >= P:", "if value >= P:")
    )
    _patch_source(
        crypto,
        "shared_secret",
        ("if not 1 < peer_element < P - 1:", "if False:"),
        ("if z in (0, 1, P - 1):", "if False:"),
    )


def _record_ad_fallback() -> None:
    _patch_source(
        _module("reference.eke.crypto").RecordOpener,
        "open",
        (
            "    except InvalidTag:\n        raise AuthenticationFailed() from None\n",
            "    except InvalidTag:\n"
            "        try:\n"
            '            self._aead.decrypt_into(nonce, sealed, b"", out)\n'
            "        except InvalidTag:\n"
            "            raise AuthenticationFailed() from None\n",
        ),
    )


# --- responder: application and framing layer -------------------------------------------


def _dup_key_nested() -> None:
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    bad = errors.ErrorCode.BAD_FRAME

    def loads_control(payload: Any) -> dict[str, Any]:
        if len(payload) > frames.MAX_CONTROL_PAYLOAD:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.FRAME_TOO_LARGE, "control payload too large"
            )
        duplicated: list[bool] = []

        def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            duplicated.append(len({key for key, _ in pairs}) != len(pairs))
            return dict(pairs)

        try:
            value = json.loads(
                bytes(payload).decode("utf-8"),
                object_pairs_hook=hook,
                parse_constant=frames._reject_constant,
            )
        except UnicodeDecodeError:
            raise errors.RemoteProtocolError(bad, "payload is not UTF-8") from None
        except (ValueError, RecursionError):
            raise errors.RemoteProtocolError(bad, "payload is not valid JSON") from None
        if not isinstance(value, dict):
            raise errors.RemoteProtocolError(bad, "payload is not a JSON object")
        if duplicated and duplicated[-1]:  # the message object: the last one closed
            raise errors.RemoteProtocolError(bad, "duplicate key")
        return value

    messages.loads_control = loads_control


def _nested_unknown_refused() -> None:
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    check = messages.check_schema

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:
        for key, value in obj.items():
            if isinstance(value, dict | list):
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.BAD_FRAME, f"member {key[:64]!r} must be a scalar"
                )
        check(frame_type, obj, schema)

    messages.check_schema = check_schema


def _size_string_coerced() -> None:
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    app = _module("reference.app")
    has_kind = frames._has_kind
    decode = app.decode_message

    def _has_kind(value: Any, kind: str) -> bool:
        if kind == "int" and isinstance(value, str) and value.isdigit():
            return True
        result: bool = has_kind(value, kind)
        return result

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        message = decode(frame, rsfl_for_put=rsfl_for_put)
        kinds = (messages.PutRequest, messages.FileResponse, messages.Done)
        if isinstance(message, kinds) and isinstance(message.size, str):
            message = replace(message, size=int(message.size))
        return message

    frames._has_kind = _has_kind
    app.decode_message = decode_message


def _int_u64() -> None:
    frames = _module("reference.frames")
    frames.MAX_INT = 2**64 - 1  # "sizes are uint64"


def _negative_size() -> None:
    _patch_source(
        _module("reference.frames"),
        "_has_kind",
        ("0 <= value <= MAX_INT", "value <= MAX_INT"),
    )


def _surrogate_escape_name() -> None:
    frames = _module("reference.frames")
    share = _module("reference.share")
    frames._is_encodable = lambda value: True
    _patch_source(
        share,
        "check_name",
        ('len(name.encode("utf-8"))', 'len(name.encode("utf-8", "surrogateescape"))'),
    )


def _unknown_code_warning() -> None:
    _unknown_code_refusal()
    app = _module("reference.app")
    for responder_state in app.ResponderState:
        if responder_state is not app.ResponderState.CLOSED:
            app._TRANSITIONS[(responder_state, b"EROR")] = responder_state
    _patch_source(
        _module("reference.transfer").Responder,
        "run",
        (
            "if event is CLOSED or isinstance(event, ErrorFrame):",
            "if isinstance(event, ErrorFrame) and not event.fatal:\n"
            "                continue  # a warning from the initiator\n"
            "            if event is CLOSED or isinstance(event, ErrorFrame):",
        ),
    )


def _bad_json_traceback() -> None:
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    loads = messages.loads_control

    def loads_control(payload: Any) -> dict[str, Any]:
        try:
            value: dict[str, Any] = loads(payload)
        except errors.RemoteProtocolError as exc:
            raise errors.RemoteProtocolError(exc.code, traceback.format_exc()) from None
        return value

    messages.loads_control = loads_control


def _control_limit_off_by_one() -> None:
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "_check_header",
        ("length > MAX_CONTROL_PAYLOAD", "length >= MAX_CONTROL_PAYLOAD"),
    )


def _data_max_off_by_one() -> None:
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "_check_header",
        ("not 1 <= length <= MAX_DATA_PAYLOAD", "not 1 <= length < MAX_DATA_PAYLOAD"),
    )


def _sha256_prefix_match() -> None:
    _patch_source(
        _module("reference.frames"),
        "_has_kind",
        ("_SHA256_RE.fullmatch(value)", "_SHA256_RE.match(value)"),
    )


def _partial_prefix_full_name() -> None:
    _patch_source(
        _module("reference.share").Inbox,
        "target_name",
        ("if base.startswith(PARTIAL_PREFIX):", "if name.startswith(PARTIAL_PREFIX):"),
    )


def _put_name_checked_at_commit() -> None:
    server = _module("reference.eke.server").EkeServer
    _patch_source(
        server,
        "_begin_put",
        (
            "target = self._inbox.target_name(request.name)",
            "target = request.name.rsplit('/', 1)[-1] or '_'",
        ),
        (
            "partial = self._inbox.begin(target, request.size)",
            "partial = self._inbox.begin(target, request.size)\n"
            "    partial.raw_name = request.name",
        ),
    )
    _patch_source(
        server,
        "_finish_put",
        (
            "partial.commit()\n",
            "self._inbox.target_name(getattr(partial, 'raw_name', partial.final_name))\n"
            "        partial.commit()\n",
        ),
        (
            "stream.send(ErrorFrame(exc.code, exc.message))\n",
            "partial.abort()\n        stream.send(ErrorFrame(exc.code, exc.message))\n",
        ),
    )


def _eof_with_all_bytes_commits() -> None:
    _patch_source(
        _module("reference.transfer").Responder,
        "_put",
        (
            "self.channel.receive_file(partial, request.size, None)\n",
            "try:\n"
            "                self.channel.receive_file(partial, request.size, None)\n"
            "            except TruncatedStream:\n"
            "                if partial.written != request.size:\n"
            "                    raise\n"
            "                partial.commit()  # every byte is here: DONE is a formality\n"
            "                return\n",
        ),
    )


def _put_max_size_off_by_one() -> None:
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_begin_put",
        (
            "if request.size > self.config.max_file_size:",
            "if request.size >= self.config.max_file_size:",
        ),
    )


# --- phase 3 probes (written after the suite was read) ----------------------------------


def _restart(partial: Any, size: int) -> None:
    """What a client that takes a second RSFL for a restart does with its temporary."""
    partial._file.seek(0)
    partial._file.truncate(0)
    partial.written = 0
    partial.limit = size


def _second_rsfl_restarts() -> None:
    app = _module("reference.app")
    state = app.InitiatorState
    app._TRANSITIONS[(state.RECEIVING, b"RSFL")] = state.RECEIVING
    client = _module("reference.eke.client")
    client._restart = _restart
    _patch_source(
        client.EkeClient,
        "_receive",
        (
            "            else:\n"
            '                raise TransferFailed("unexpected frame during a get")',
            "            elif isinstance(event, FileResponse):  # the server starts again\n"
            "                _restart(partial, event.size)\n"
            "                received = 0\n"
            "            else:\n"
            '                raise TransferFailed("unexpected frame during a get")',
        ),
    )
    transfer = _module("reference.transfer")
    transfer._restart = _restart
    _patch_source(
        transfer._Channel,
        "receive_file",
        (
            "        elif isinstance(event, ErrorFrame):",
            "        elif isinstance(event, FileResponse):  # the responder starts again\n"
            "            _restart(sink, event.size)\n"
            "            received = 0\n"
            "        elif isinstance(event, ErrorFrame):",
        ),
    )


def _commit_copies_through_symlink() -> None:
    partial_type = _module("reference.share").PartialFile
    commit = partial_type.commit

    def copy_commit(self: Any, *, overwrite: bool = False) -> None:
        tracked = self._tracked
        if tracked is None or self._file is None:
            commit(self, overwrite=overwrite)
            return
        # "rename may fail across file systems: copy the temporary to the final path"
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        directory = os.path.dirname(tracked)
        with (
            open(tracked, "rb") as source,
            open(os.path.join(directory, self.final_name), "wb") as target,
        ):
            target.write(source.read())
        os.unlink(tracked)
        self._done = True
        self._untrack()
        self._release_dir()

    partial_type.commit = copy_commit


# --- the list ---------------------------------------------------------------------------

_CLIENT_GROUP = "b6-client"
_APP_GROUP = "b6-app"


def _both(
    stem: str,
    requirement: str,
    files: tuple[str, str],
    description: str,
    apply: Callable[[], None],
) -> tuple[Mutant, Mutant]:
    return tuple(  # type: ignore[return-value]
        Mutant(
            f"b6cli-{profile}-{stem}",
            _CLIENT_GROUP,
            profile,
            requirement,
            test_file,
            f"{profile} client: {description}",
            apply,
            client=True,
        )
        for profile, test_file in zip(("eke", "pki"), files, strict=True)
    )


def _eke_client(
    stem: str, requirement: str, test_file: str, description: str, apply: Callable[[], None]
) -> Mutant:
    return Mutant(
        f"b6cli-eke-{stem}",
        _CLIENT_GROUP,
        "eke",
        requirement,
        test_file,
        f"eke client: {description}",
        apply,
        client=True,
    )


def _app(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
) -> Mutant:
    return Mutant(f"b6app-{name}", _APP_GROUP, profile, requirement, test_file, description, apply)


_GET_FILES = ("test_eke_client_transfer.py", "test_pki_initiator_transfer.py")
_PUT_FILES = ("test_client_put.py", "test_client_put.py")
_LIES_FILES = ("test_client_lies.py", "test_client_lies.py")

MUTANTS: tuple[Mutant, ...] = (
    *_both(
        "unknown-code-refusal",
        "ERR-4",
        ("test_eke_client_transfer.py", "test_client_fatal_errors.py"),
        "an EROR of an unknown code is taken as a non-fatal refusal (it stays, says BYE_)",
        _unknown_code_refusal,
    ),
    *_both(
        "malformed-eror-skipped",
        "ERR-8",
        _LIES_FILES,
        "an EROR that fails its schema is skipped; the frames after it are used",
        _malformed_eror_skipped,
    ),
    *_both(
        "overflow-trusts-done",
        "APP-GET-4",
        _GET_FILES,
        "more DATA than announced is kept when DONE's size and digest cover it",
        _overflow_trusts_done,
    ),
    *_both(
        "eror-keeps-partial",
        "APP-STORE-3",
        _LIES_FILES,
        "a fatal EROR in the middle of a get keeps the temporary file (resume)",
        _eror_keeps_partial,
    ),
    *_both(
        "commit-at-last-byte",
        "APP-STORE-2",
        _LIES_FILES,
        "the final name appears once the announced bytes are in, before DONE is verified",
        _commit_at_last_byte,
    ),
    _eke_client(
        "put-data-before-accept",
        "APP-PUT-1",
        "test_client_put.py",
        "the put sends DATA and DONE right after PUTF, before the acceptance",
        _eke_put_data_before_accept,
    ),
    Mutant(
        "b6cli-pki-put-data-before-accept",
        _CLIENT_GROUP,
        "pki",
        "APP-PUT-1",
        "test_client_put.py",
        "pki client: the put sends DATA and DONE right after PUTF, before the acceptance",
        _pki_put_data_before_accept,
        client=True,
    ),
    *_both(
        "put-digest-with-headers",
        "APP-PUT-4",
        _PUT_FILES,
        "the put's DONE.sha256 covers the DATA headers too",
        _put_digest_with_headers,
    ),
    *_both(
        "eror-traceback",
        "ERR-6",
        _LIES_FILES,
        "the EROR it sends on a protocol error carries a Python traceback",
        _eror_traceback,
    ),
    *_both(
        "get-overwrites",
        "APP-GET-6",
        _GET_FILES,
        "an existing file at the output is replaced (no check, os.replace)",
        _get_overwrites,
    ),
    _eke_client(
        "pwf-first-line",
        "PWF-1",
        "test_eke_client_password_file.py",
        "the password file's first line is used, a second line silently dropped",
        _pwf_first_line,
    ),
    _eke_client(
        "pwf-rstrip",
        "PWF-1",
        "test_eke_client_password_file.py",
        "every trailing CR and LF of the password file is stripped",
        _pwf_rstrip,
    ),
    _eke_client(
        "eke1-key-id",
        "EKE-PW-3",
        "test_eke_client.py",
        "EKE1 carries key_id = the first 16 hex of SHA-256(pw)",
        _eke1_key_id,
    ),
    _eke_client(
        "z-unchecked",
        "EKE-KS-2",
        "test_eke_client.py",
        "no range check of Y' and Z (Z = 1 accepted)",
        _z_unchecked,
    ),
    _eke_client(
        "record-ad-fallback",
        "EKE-REC-3",
        "test_eke_client_transfer.py",
        "a record failing under its header as AD is accepted with an empty AD",
        _record_ad_fallback,
    ),
    _eke_client(
        "eke1-upper-hex",
        "EKE-HS-1",
        "test_eke_client.py",
        "EKE1's `a` is upper-case hex",
        _eke1_upper_hex,
    ),
    # Phase 3 probes: written after reading the suite (not blind).
    *_both(
        "second-rsfl-restarts",
        "FRM-6",
        _LIES_FILES,
        "a second RSFL in the middle of a get restarts the file (a resume)",
        _second_rsfl_restarts,
    ),
    *_both(
        "commit-copies-through-symlink",
        "APP-GET-6",
        _LIES_FILES,
        "the commit copies the temporary to the final path (open 'wb'): through a symlink",
        _commit_copies_through_symlink,
    ),
    # Phase 3, the client's JSON layer (the responder's mutants above, in the client).
    *_both(
        "size-string-coerced",
        "FRM-11",
        _LIES_FILES,
        'an RSFL size given as a string of digits ("5120") is taken',
        _size_string_coerced,
    ),
    *_both(
        "int-u64",
        "FRM-11",
        _LIES_FILES,
        "integers are bounded by 2^64-1 instead of 2^63-1",
        _int_u64,
    ),
    *_both(
        "dup-key-nested",
        "FRM-9",
        _LIES_FILES,
        "duplicate keys are refused in the top-level object only",
        _dup_key_nested,
    ),
    *_both(
        "nested-unknown-refused",
        "FRM-10",
        _LIES_FILES,
        "an unknown member holding an object or array is refused bad_frame",
        _nested_unknown_refused,
    ),
    *_both(
        "sha256-prefix-match",
        "FRM-12",
        _LIES_FILES,
        "sha256 checked with re.match: 64 hex then anything passes",
        _sha256_prefix_match,
    ),
    *_both(
        "control-limit-off-by-one",
        "FRM-8",
        _LIES_FILES,
        "a control payload of exactly 65536 bytes is refused frame_too_large",
        _control_limit_off_by_one,
    ),
    *_both(
        "data-max-off-by-one",
        "FRM-13",
        _LIES_FILES,
        "a DATA frame of exactly 1 MiB is refused",
        _data_max_off_by_one,
    ),
    _app(
        "dup-key-nested",
        "eke",
        "FRM-9",
        "test_framing.py",
        "duplicate keys are refused in the top-level object only",
        _dup_key_nested,
    ),
    _app(
        "nested-unknown-refused",
        "pki",
        "FRM-10",
        "test_framing.py",
        "an unknown member holding an object or array is refused bad_frame",
        _nested_unknown_refused,
    ),
    _app(
        "size-string-coerced",
        "eke",
        "FRM-11",
        "test_framing.py",
        'a size given as a string of digits ("10") is taken',
        _size_string_coerced,
    ),
    _app(
        "int-u64",
        "pki",
        "FRM-11",
        "test_framing.py",
        "integers are bounded by 2^64-1 instead of 2^63-1",
        _int_u64,
    ),
    _app(
        "negative-size",
        "eke",
        "FRM-11",
        "test_framing.py",
        "negative integers pass the schema",
        _negative_size,
    ),
    _app(
        "surrogate-escape-name",
        "eke",
        "FRM-15",
        "test_framing.py",
        "lone low surrogates U+DC80..U+DCFF in a name become raw bytes (surrogateescape)",
        _surrogate_escape_name,
    ),
    _app(
        "unknown-code-warning",
        "pki",
        "ERR-4",
        "test_framing.py",
        "an initiator's EROR of unknown code is a warning: the responder goes on",
        _unknown_code_warning,
    ),
    _app(
        "malformed-eror-skipped",
        "eke",
        "ERR-8",
        "test_framing.py",
        "a malformed EROR from the initiator is skipped, the next request answered",
        _malformed_eror_skipped,
    ),
    _app(
        "bad-json-traceback",
        "pki",
        "ERR-6",
        "test_error_disclosure.py",
        "the bad_frame answer to invalid JSON carries the traceback",
        _bad_json_traceback,
    ),
    _app(
        "control-limit-off-by-one",
        "eke",
        "FRM-8",
        "test_framing.py",
        "a control payload of exactly 65536 bytes is refused frame_too_large",
        _control_limit_off_by_one,
    ),
    _app(
        "data-max-off-by-one",
        "pki",
        "FRM-13",
        "test_framing.py",
        "a DATA frame of exactly 1 MiB is refused",
        _data_max_off_by_one,
    ),
    _app(
        "sha256-prefix-match",
        "eke",
        "FRM-12",
        "test_framing.py",
        "sha256 checked with re.match: 64 hex then anything passes",
        _sha256_prefix_match,
    ),
    _app(
        "partial-prefix-full-name",
        "pki",
        "APP-NAME-9",
        "test_app_reserved_names.py",
        "the reserved .sft-partial- prefix is checked on the whole name, not its basename",
        _partial_prefix_full_name,
    ),
    _app(
        "put-name-checked-at-commit",
        "eke",
        "APP-PUT-1",
        "test_app_put.py",
        "a put's name is accepted as its basename and checked only when storing",
        _put_name_checked_at_commit,
    ),
    _app(
        "eof-with-all-bytes-commits",
        "pki",
        "FRM-7",
        "test_app_put.py",
        "a put with all its bytes is stored when the connection ends inside its DONE",
        _eof_with_all_bytes_commits,
    ),
    _app(
        "put-max-size-off-by-one",
        "eke",
        "APP-PUT-7",
        "test_app_put.py",
        "a put of exactly max_file_size is refused too_large",
        _put_max_size_off_by_one,
    ),
)
