"""Blind red-team round 12 (client3, helper B56): BOTH clients as their users run them.

Written blind (docs/SPEC.md and the reference clients only), aimed at what the client
stores and reports (the file it writes, what a failure leaves, its exit status, what it
puts on the wire), through the round-12 lenses (lenses12.md). Lens of each mutant:

 1 two values mixed up   eke-mkdir-rsfl-dirs (RSFL's name vs the request's), pki-put-
                         unlinks-source (the source vs a temporary), pki-done-size-wire-
                         bytes (len(frame) vs len(data)), pki-temp-name-from-request
 2 acknowledged early    pki-empty-put-done-pipelined, pki-done-overtakes-last-data,
                         pki-eror-after-last-byte-kept (kept before DONE)
 3 peer claims trusted   eke-mkdir-rsfl-dirs, pki-eror-after-last-byte-kept (an EROR's
                         code taken for the end of the file)
 4 sloppy output         pki-eror-echoes-payload, pki-putf-size-float, eke-eror-no-name,
                         pki-putf-empty-sha, pki-done-size-wire-bytes
 5 two principals        eke-temp-seconds-name, pki-temp-name-from-request,
                         eke-failure-glob-cleanup
 6 deny-lists            eke-cleanup-known-errors, pki-eror-after-last-byte-kept

Nineteen were written blind; five were dropped for breaking no MUST a black-box tester can
observe: the put's DONE echo not compared with what was sent (the SPEC does not ask the
initiator to check it), PUTF offering the local name instead of the one asked for (no
MUST), an EROR's `name` believed over its `code` and `timeout` taken as non-fatal (both
only add a BYE_ and a lingering close, which ERR-3 and test_client_fatal_errors.py allow),
and a BYE_ pipelined behind the put's DONE (APP-2 lets an initiator pipeline requests).
The last four mutants were added after the blind measure: the other client's twin of a
survivor, to check that the new cases catch the class.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path, PurePosixPath
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _share() -> Any:
    return _module("reference.share")


def _no_exit_net() -> None:
    """The reference removes tracked temporaries at exit; an implementation with the
    planted bug has no such second net."""
    atexit = _module("atexit")
    atexit.unregister(_share()._remove_unfinished)


def _wrap_encode(change: Any) -> None:
    """The client's frames go through reference.app's `encode_message`: `change(message)`
    returns the bytes to send instead, or None for the reference's own."""
    app = _module("reference.app")
    original = app.encode_message

    def encode_message(message: Any) -> bytes:
        changed = change(message)
        result: bytes = original(message) if changed is None else changed
        return result

    app.encode_message = encode_message


# -- the mutants ---------------------------------------------------------------------


def _eke_cleanup_known_errors() -> None:
    # The partial is removed for the failures the author listed; a non-fatal EROR in
    # the middle of a get ("cannot happen after RSFL") is not one of them.
    share = _share()
    client = _module("reference.eke.client")
    errors = _module("reference.errors")
    _no_exit_net()

    def __exit__(self: Any, exc_type: Any, exc: Any, tb: Any) -> None:
        listed = (errors.RemoteProtocolError, OSError, client.TransferFailed)
        if not self._done and (exc_type is None or issubclass(exc_type, listed)):
            self.abort()

    share.PartialFile.__exit__ = __exit__


def _eke_temp_seconds_name() -> None:
    # A "unique" temporary name from the clock: two clients started in the same second
    # in one directory collide (O_EXCL: the second one fails).
    share = _share()
    _patch_source(
        share.PartialFile,
        "__init__",
        ("secrets.token_hex(12)", "int(__import__('time').time())"),
    )


def _eke_mkdir_rsfl_dirs() -> None:
    # "Nested names": the directories of the RSFL's name are created beside the output.
    client = _module("reference.eke.client")
    original = client.EkeClient._receive

    def _receive(self: Any, stream: Any, answer: Any, destination: Path, *a: Any) -> Any:
        parent = PurePosixPath(answer.name).parent
        if str(parent) not in ("", "."):
            with contextlib.suppress(OSError):
                os.makedirs(destination.parent / parent, exist_ok=True)
        return original(self, stream, answer, destination, *a)

    client.EkeClient._receive = _receive


def _pki_put_unlinks_source() -> None:
    # The get's clean-up copied into the put: the local path is removed on failure.
    transfer = _module("reference.transfer")
    original = transfer.Initiator.put

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        try:
            result: str = original(self, source, name, progress=progress)
        except transfer.TransferFailed:
            with contextlib.suppress(OSError):
                os.unlink(source)
            raise
        return result

    transfer.Initiator.put = put


def _pki_eror_echoes_payload() -> None:
    # A decoding error quotes the offending payload, and the EROR is not capped.
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    original = messages.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        try:
            return original(frame, rsfl_for_put=rsfl_for_put)
        except errors.RemoteProtocolError as exc:
            quoted = bytes(frame.payload).decode("utf-8", "replace")
            raise errors.RemoteProtocolError(exc.code, f"{exc.message} in {quoted}") from None

    _patch_source(
        messages, "encode_message", ("message.message[:MAX_MESSAGE_CHARS]", "message.message")
    )
    app = _module("reference.app")
    app.decode_message = decode_message
    app.encode_message = messages.encode_message


def _pki_putf_size_float() -> None:
    # A size that went through a float on its way to JSON: `"size": 12.0`.
    messages = _module("reference.messages")
    original = messages.encode_message

    def encode_message(message: Any) -> bytes:
        if isinstance(message, messages.PutRequest):
            obj: dict[str, object] = {"name": message.name, "size": float(message.size)}
            if message.sha256 is not None:
                obj["sha256"] = message.sha256
            data: bytes = messages._control(messages.T_PUTF, obj)
            return data
        result: bytes = original(message)
        return result

    _module("reference.app").encode_message = encode_message


def _eke_failure_glob_cleanup() -> None:
    # "Leave nothing behind": a failed get removes every temporary of its directory,
    # another client's live one too.
    client = _module("reference.eke.client")
    original = client.EkeClient.get

    def get(self: Any, name: str, destination: Path, **kw: Any) -> Any:
        try:
            return original(self, name, destination, **kw)
        except client.ClientError:
            for leftover in destination.parent.glob(".sft-partial-*"):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            raise

    client.EkeClient.get = get


def _eke_eror_no_name() -> None:
    # "name is for people": the client's EROR carries code and message only.
    messages = _module("reference.messages")

    def change(message: Any) -> bytes | None:
        if not isinstance(message, messages.ErrorFrame):
            return None
        data: bytes = messages._control(
            messages.T_EROR, {"code": int(message.code), "message": message.message[:512]}
        )
        return data

    _wrap_encode(change)


def _pki_done_size_wire_bytes() -> None:
    # The put's DONE counts the bytes that went out, DATA headers included.
    messages = _module("reference.messages")
    frames = _module("reference.frames")

    def change(message: Any) -> bytes | None:
        if not isinstance(message, messages.Done):
            return None
        count = -(-message.size // frames.MAX_DATA_PAYLOAD)
        obj = {"size": message.size + frames.HEADER_SIZE * count, "sha256": message.sha256}
        data: bytes = messages._control(messages.T_DONE, obj)
        return data

    _wrap_encode(change)


def _pki_putf_empty_sha() -> None:
    # A struct's zero value serialised: PUTF carries "sha256": "" (no digest computed).
    messages = _module("reference.messages")

    def change(message: Any) -> bytes | None:
        if not isinstance(message, messages.PutRequest):
            return None
        obj = {"name": message.name, "size": message.size, "sha256": message.sha256 or ""}
        data: bytes = messages._control(messages.T_PUTF, obj)
        return data

    _wrap_encode(change)


def _pki_temp_name_from_request() -> None:
    # The temporary is named from the remote name ("resumable"): two clients fetching
    # one name into one directory, under different output names, collide.
    transfer = _module("reference.transfer")
    share = _share()
    share._REQUEST = [""]
    _patch_source(
        share.PartialFile,
        "__init__",
        (
            "secrets.token_hex(12)",
            "__import__('hashlib').sha256(_REQUEST[0].encode()).hexdigest()[:24]",
        ),
    )
    original = transfer.Initiator.get

    def get(self: Any, name: str, destination: Path, **kw: Any) -> Any:
        share._REQUEST[0] = name
        return original(self, name, destination, **kw)

    transfer.Initiator.get = get


def _pki_eror_after_last_byte_kept() -> None:
    # Every announced byte is in; an EROR other than integrity_failed in place of DONE
    # ("the peer timed out / failed after sending") is taken as the end of the file.
    transfer = _module("reference.transfer")
    messages = _module("reference.messages")
    code = _module("reference.errors").ErrorCode
    original = transfer._Channel.receive_file

    def receive_file(self: Any, sink: Any, size: int, progress: Any) -> Any:
        try:
            return original(self, sink, size, progress)
        except transfer.TransferFailed as exc:
            if (
                exc.remote
                and exc.code is not code.INTEGRITY_FAILED
                and size
                and sink.written == size
            ):
                return messages.Done(size, "0" * 64)
            raise

    transfer._Channel.receive_file = receive_file


def _pki_empty_put_done_pipelined() -> None:
    # An empty file has no DATA to wait for: PUTF and DONE go out together.
    transfer = _module("reference.transfer")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    share = _share()
    original = transfer.Initiator.put

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        if source.stat().st_size != 0:
            result: str = original(self, source, name, progress=progress)
            return result
        name = name or source.name
        share.check_name(name)
        try:
            self.channel.send(messages.PutRequest(name, 0))
            empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            self.channel.stream.sendall(messages.encode_message(messages.Done(0, empty)))
            accepted = self._answer()
            assert isinstance(accepted, messages.PutAccepted)
            self.channel.conn.send(self.channel.conn.outgoing_done())  # (already sent)
            ack = self._answer()
            assert isinstance(ack, messages.Done)
            return str(accepted.name)
        except errors.ProtocolError as exc:
            raise self._guard(exc) from None

    transfer.Initiator.put = put


def _pki_done_overtakes_last_data() -> None:
    # DONE is queued as soon as the last chunk is read, ahead of that chunk's write.
    transfer = _module("reference.transfer")

    def send_file(self: Any, reader: Any, size: int, progress: Any) -> None:
        sent = 0
        held = b""
        while sent < size:
            view = self._data_view()
            chunk = min(transfer.BUFFER_SIZE, size - sent)
            n = transfer._read_exactly(
                reader, view[transfer.HEADER_SIZE : transfer.HEADER_SIZE + chunk]
            )
            if n == 0:
                raise OSError("the file shrank while it was being sent")
            payload = view[transfer.HEADER_SIZE : transfer.HEADER_SIZE + n]
            view[: transfer.HEADER_SIZE] = self.conn.send_data_header(payload)
            sent += n
            if sent < size:
                self.stream.sendall(view[: transfer.HEADER_SIZE + n])
            else:
                held = bytes(view[: transfer.HEADER_SIZE + n])
            if progress is not None:
                progress(sent, size)
        self.send(self.conn.outgoing_done())
        if held:
            self.stream.sendall(held)
        self.release_buffers()

    transfer._Channel.send_file = send_file


# -- after the blind measure: twins of caught ones, to check the new cases catch the class


def _pki_mkdir_rsfl_dirs() -> None:
    # "Nested names": the directories of the RSFL's name are created beside the output.
    transfer = _module("reference.transfer")

    def mkdirs(destination: Path, rsfl_name: str) -> None:
        parent = PurePosixPath(rsfl_name).parent
        if str(parent) not in ("", "."):
            with contextlib.suppress(OSError):
                os.makedirs(destination.parent / parent, exist_ok=True)

    transfer._b12_mkdirs = mkdirs
    _patch_source(
        transfer.Initiator,
        "get",
        (
            "assert isinstance(response, FileResponse)",
            "assert isinstance(response, FileResponse)\n"
            "        _b12_mkdirs(destination, response.name)",
        ),
    )


def _pki_failure_glob_cleanup() -> None:
    pki_client = _module("reference.pki.client")
    original = pki_client.PkiSession.get

    def get(self: Any, name: str, destination: Path, **kw: Any) -> Any:
        try:
            return original(self, name, destination, **kw)
        except pki_client.PkiClientError:
            for leftover in destination.parent.glob(".sft-partial-*"):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            raise

    pki_client.PkiSession.get = get


def _eke_eror_after_last_byte_kept() -> None:
    client = _module("reference.eke.client")
    messages = _module("reference.messages")
    code = _module("reference.errors").ErrorCode

    def _receive(
        self: Any, stream: Any, answer: Any, destination: Path, overwrite: bool, progress: Any
    ) -> Any:
        share = _share()
        with share.PartialFile.create(destination, answer.size) as partial:
            received = 0
            while True:
                try:
                    event = self._next(stream)
                except client.ClientError as exc:
                    if (
                        exc.code is not code.INTEGRITY_FAILED
                        and answer.size
                        and received == answer.size
                    ):
                        partial.commit(overwrite=overwrite)
                        return messages.Done(answer.size, "0" * 64)
                    raise
                if isinstance(event, messages.Data):
                    partial.write(event.data)
                    received += len(event.data)
                elif isinstance(event, messages.Done):
                    partial.commit(overwrite=overwrite)
                    return event
                else:
                    raise client.TransferFailed("unexpected frame during a get")

    client.EkeClient._receive = _receive


def _eke_eror_echoes_payload() -> None:
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    original = messages.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        try:
            return original(frame, rsfl_for_put=rsfl_for_put)
        except errors.RemoteProtocolError as exc:
            quoted = bytes(frame.payload).decode("utf-8", "replace")
            raise errors.RemoteProtocolError(exc.code, f"{exc.message} in {quoted}") from None

    _patch_source(
        messages, "encode_message", ("message.message[:MAX_MESSAGE_CHARS]", "message.message")
    )
    app = _module("reference.app")
    app.decode_message = decode_message
    app.encode_message = messages.encode_message


def _m(name: str, profile: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b12cl3-{name}",
        group="blind12-client3",
        profile=profile,
        requirement=req,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


_SIDE = "test_client_store_side_by_side.py"
_NAMES = "test_client_store_server_names.py"
_LATE = "test_client_report_late_errors.py"
_FRAMES = "test_client_report_put_frames.py"

MUTANTS: tuple[Mutant, ...] = (
    # -- written blind --
    _m(
        "eke-cleanup-known-errors",
        "eke",
        "APP-STORE-3",
        _LATE,
        "eke get: the temporary is removed only for listed failures; a non-fatal EROR "
        "mid-get leaves it",
        _eke_cleanup_known_errors,
    ),
    _m(
        "eke-temp-seconds-name",
        "eke",
        "APP-STORE-1",
        _SIDE,
        "eke get: the temporary's random part is the time in seconds: two clients in one "
        "directory collide",
        _eke_temp_seconds_name,
    ),
    _m(
        "eke-mkdir-rsfl-dirs",
        "eke",
        "APP-GET-7",
        _NAMES,
        "eke get: the directories of RSFL.name are created beside the output",
        _eke_mkdir_rsfl_dirs,
    ),
    _m(
        "eke-failure-glob-cleanup",
        "eke",
        "APP-STORE-3",
        _SIDE,
        "eke get: a failed get removes every .sft-partial-* of its directory",
        _eke_failure_glob_cleanup,
    ),
    _m(
        "eke-eror-no-name",
        "eke",
        "ERR-1",
        "test_client_lies.py",
        "eke client: its EROR carries no `name` member",
        _eke_eror_no_name,
    ),
    _m(
        "pki-put-unlinks-source",
        "pki",
        "APP-PUT-10",
        "test_client_put.py",
        "pki put: a failed put removes the local file it was sending",
        _pki_put_unlinks_source,
    ),
    _m(
        "pki-eror-echoes-payload",
        "pki",
        "ERR-1",
        _LATE,
        "pki client: its bad_frame EROR quotes the whole payload, message over 512 chars",
        _pki_eror_echoes_payload,
    ),
    _m(
        "pki-putf-size-float",
        "pki",
        "FRM-14",
        _FRAMES,
        "pki put: PUTF's size sent as a JSON float (5000.0)",
        _pki_putf_size_float,
    ),
    _m(
        "pki-done-size-wire-bytes",
        "pki",
        "APP-PUT-4",
        "test_client_put.py",
        "pki put: DONE.size counts the DATA headers too",
        _pki_done_size_wire_bytes,
    ),
    _m(
        "pki-putf-empty-sha",
        "pki",
        "FRM-14",
        "test_client_put.py",
        'pki put: PUTF carries "sha256": ""',
        _pki_putf_empty_sha,
    ),
    _m(
        "pki-temp-name-from-request",
        "pki",
        "APP-STORE-1",
        "test_client_temporaries.py",
        "pki get: the temporary named from a hash of the remote name: two gets of one "
        "name into one directory collide",
        _pki_temp_name_from_request,
    ),
    _m(
        "pki-eror-after-last-byte-kept",
        "pki",
        "APP-GET-5",
        _LATE,
        "pki get: all announced bytes in, an EROR (not integrity_failed) instead of DONE "
        "keeps the file",
        _pki_eror_after_last_byte_kept,
    ),
    _m(
        "pki-empty-put-done-pipelined",
        "pki",
        "APP-PUT-10",
        _FRAMES,
        "pki put of an empty file: DONE sent with PUTF, before the answer",
        _pki_empty_put_done_pipelined,
    ),
    _m(
        "pki-done-overtakes-last-data",
        "pki",
        "APP-PUT-4",
        "test_client_put.py",
        "pki put: DONE sent before the last DATA frame",
        _pki_done_overtakes_last_data,
    ),
    # -- after the blind measure: the other client's twin of a survivor --
    _m(
        "pki-mkdir-rsfl-dirs",
        "pki",
        "APP-GET-7",
        _NAMES,
        "pki get: the directories of RSFL.name are created beside the output",
        _pki_mkdir_rsfl_dirs,
    ),
    _m(
        "pki-failure-glob-cleanup",
        "pki",
        "APP-STORE-3",
        _SIDE,
        "pki get: a failed get removes every .sft-partial-* of its directory",
        _pki_failure_glob_cleanup,
    ),
    _m(
        "eke-eror-after-last-byte-kept",
        "eke",
        "APP-GET-5",
        _LATE,
        "eke get: all announced bytes in, an EROR (not integrity_failed) instead of DONE "
        "keeps the file",
        _eke_eror_after_last_byte_kept,
    ),
    _m(
        "eke-eror-echoes-payload",
        "eke",
        "ERR-1",
        _LATE,
        "eke client: its bad_frame EROR quotes the whole payload, message over 512 chars",
        _eke_eror_echoes_payload,
    ),
)
