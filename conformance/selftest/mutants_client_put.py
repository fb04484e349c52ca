"""Mutants of the reference INITIATOR's put path, on both profiles (run via client_put_cmd).

Each is a plausible implementer's bug in the sending side of a put: data sent before the
answer, a DONE over the wrong bytes, a frame one byte too long or an empty one, an `RSFL`
taken as an acceptance that is not one, a refusal or a failed put reported as success.
The suite's put cases (conformance/test_client_put.py) must FAIL the named requirement.
The sft-eke/1 client's put is reference/eke/client.py `EkeClient.put`; the sft-pki/1
initiator's is reference/transfer.py `Initiator.put` through reference/pki/client.py;
both share the application core (reference/app.py) and message layer.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_FILE = "test_client_put.py"
_FRAME_LIMIT = 1_048_576


# ------------------------------------------------------ DATA before the answer [APP-PUT-1]


def _eke_data_before_answer() -> None:
    client = _module("reference.eke.client")
    app = _module("reference.app")
    messages = _module("reference.messages")
    sending, put_sent, done_sent = (
        app.InitiatorState.SENDING,
        app.InitiatorState.PUT_SENT,
        app.InitiatorState.DONE_SENT,
    )

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        # "Stream it at once; the server reads the answer's worth when it is ready."
        stream = self._require()
        data = path.read_bytes()
        stream.send(messages.PutRequest(name or path.name, len(data)))
        stream.app.state = sending
        source = io.BytesIO(data)
        sent = 0
        while sent < len(data):
            sent += stream.send_file_chunk(source, len(data) - sent)
        stream.send(stream.app.outgoing_done())
        stream.app.state = put_sent
        answer = self._next(stream)
        if not isinstance(answer, messages.PutAccepted):
            raise client.TransferFailed("unexpected answer from the server")
        stream.app.state = done_sent
        self._next(stream)
        return str(answer.name)

    client.EkeClient.put = put


def _pki_data_before_answer() -> None:
    transfer = _module("reference.transfer")
    app = _module("reference.app")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    states = app.InitiatorState

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        name = name or source.name
        transfer.check_name(name)
        with source.open("rb", buffering=0) as f:
            size = f.seek(0, 2)
            f.seek(0)
            try:
                self.channel.send(messages.PutRequest(name, size))
                self.channel.conn.state = states.SENDING  # no round trip before the data
                self.channel.send_file(f.readinto, size, progress)
                self.channel.conn.state = states.PUT_SENT
                accepted = self._answer()
                self.channel.conn.state = states.DONE_SENT
                self._answer()
                return str(accepted.name)
            except errors.ProtocolError as exc:
                raise self._guard(exc) from None

    transfer.Initiator.put = put


# ------------------------------------------------------------ DONE's values [APP-PUT-4]


def _eke_done_hashes_frame_headers() -> None:
    app = _module("reference.app")
    original = app.ApplicationConnection.send_data_header

    def send_data_header(self: Any, payload: Any) -> bytes:
        header: bytes = original(self, payload)
        if self._outgoing is not None:  # "hash what goes on the wire": the header too
            self._outgoing.digest.update(header)
        return header

    app.ApplicationConnection.send_data_header = send_data_header


def _pki_hash_restarted_per_frame() -> None:
    app = _module("reference.app")
    original = app.ApplicationConnection.send_data_header

    def send_data_header(self: Any, payload: Any) -> bytes:
        if self._outgoing is not None:  # the hasher is created inside the send loop
            self._outgoing.digest = self._digest_factory()
        header: bytes = original(self, payload)
        return header

    app.ApplicationConnection.send_data_header = send_data_header


# ------------------------------------------------------------------ DATA sizes [FRM-13]


def _pki_frame_one_byte_too_long() -> None:
    app = _module("reference.app")
    transfer = _module("reference.transfer")
    # "1 MiB + 1 fits the 1 MiB + 256 frame limit": chunks of 1 048 577 bytes.
    app.MAX_DATA_PAYLOAD = _FRAME_LIMIT + 1
    transfer.BUFFER_SIZE = _FRAME_LIMIT + 1


def _pki_empty_data_frame() -> None:
    app = _module("reference.app")
    transfer = _module("reference.transfer")
    original = app.ApplicationConnection.send_data_header

    def send_data_header(self: Any, payload: Any) -> bytes:
        if len(payload) == 0:  # the core's lower bound was dropped with the loop below
            self._send_lookup(app.Data)
            header: bytes = app.encode_header(app.T_DATA, 0)
            return header
        result: bytes = original(self, payload)
        return result

    def send_file(self: Any, reader: Any, size: int, progress: Any) -> None:
        sent = 0
        while True:  # do-while: an empty file still gets "its" DATA frame
            view = self._data_view()
            chunk = min(transfer.BUFFER_SIZE, size - sent)
            n = transfer._read_exactly(
                reader, view[transfer.HEADER_SIZE : transfer.HEADER_SIZE + chunk]
            )
            view[: transfer.HEADER_SIZE] = self.conn.send_data_header(
                view[transfer.HEADER_SIZE : transfer.HEADER_SIZE + n]
            )
            self.stream.sendall(view[: transfer.HEADER_SIZE + n])
            sent += n
            if sent >= size or n == 0:
                break
        self.send(self.conn.outgoing_done())
        self.release_buffers()

    app.ApplicationConnection.send_data_header = send_data_header
    transfer._Channel.send_file = send_file


# ------------------------------------------------------------ what accepts [APP-PUT-9]


def _eke_any_rsfl_accepts() -> None:
    app = _module("reference.app")
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    original = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        if rsfl_for_put and frame.type == messages.T_RSFL:
            obj = frames.loads_control(frame.payload)  # an RSFL after PUTF: "go ahead"
            return messages.PutAccepted(str(obj.get("name", "")))
        return original(frame, rsfl_for_put=rsfl_for_put)

    app.decode_message = decode_message


def _eke_accept_truthy() -> None:
    app = _module("reference.app")
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    original = app.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        if rsfl_for_put and frame.type == messages.T_RSFL:
            obj = frames.loads_control(frame.payload)
            if not obj.get("accept") or not isinstance(obj.get("name"), str):  # truthiness
                raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not accepted")
            return messages.PutAccepted(obj["name"])
        return original(frame, rsfl_for_put=rsfl_for_put)

    app.decode_message = decode_message


def _pki_accept_any_bool() -> None:
    messages = _module("reference.messages")
    # "accept is a boolean member": its type is checked, its value never.
    messages._SCHEMAS["RSFL-put"] = {"accept": ("bool", True), "name": ("str", True)}


def _pki_accept_optional() -> None:
    messages = _module("reference.messages")
    # "accept defaults to true": an RSFL without it (a get's) is taken as the acceptance.
    messages._SCHEMAS["RSFL-put"] = {"accept": ("true", False), "name": ("str", True)}


# ------------------------------------------------------ failure reported [APP-PUT-10]


def _eke_exists_is_success() -> None:
    client = _module("reference.eke.client")
    errors = _module("reference.errors")
    original = client.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        try:
            result: str = original(self, path, name=name, progress=progress)
        except client.TransferRefused as exc:
            if exc.code is not errors.ErrorCode.EXISTS:
                raise
            return name or path.name  # "it is there already: nothing to do"
        return result

    client.EkeClient.put = put


def _pki_refusal_is_a_warning() -> None:
    pki_client = _module("reference.pki.client")
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        try:
            result: str = self._initiator.put(source, name, progress=progress)
        except transfer.TransferRefused as exc:  # printed, but the command "worked"
            print(f"warning: {exc}", flush=True)
            return name or source.name
        except (transfer.TransferFailed, errors.ProtocolError, OSError, ValueError) as exc:
            raise self._translate(exc, f"put {source.name}") from None
        return result

    pki_client.PkiSession.put = put


def _eke_no_wait_for_done() -> None:
    client = _module("reference.eke.client")
    app = _module("reference.app")

    original = client.EkeClient._next

    def _next(self: Any, stream: Any) -> Any:
        if stream.app.state is app.InitiatorState.DONE_SENT:
            # "The data is out: the server's DONE is a formality."
            return _module("reference.messages").Done(0, "0" * 64)
        return original(self, stream)

    client.EkeClient._next = _next


def _pki_ack_error_ignored() -> None:
    transfer = _module("reference.transfer")
    original = transfer.Initiator._answer

    def _answer(self: Any) -> Any:
        if self.channel.conn.state is _module("reference.app").InitiatorState.DONE_SENT:
            try:
                return original(self)
            except transfer.TransferFailed:
                # Every byte was sent: an error now "cannot matter"; the put goes on as done.
                return _module("reference.messages").Done(0, "0" * 64)
        return original(self)

    transfer.Initiator._answer = _answer


def _m(name: str, profile: str, requirement: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"cput-{name}",
        group="client-put",
        profile=profile,
        requirement=requirement,
        test_file=_FILE,
        description=description,
        apply=apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "eke-data-before-answer",
        "eke",
        "APP-PUT-1",
        "eke client streams DATA and DONE right after PUTF, then reads the answer",
        _eke_data_before_answer,
    ),
    _m(
        "pki-data-before-answer",
        "pki",
        "APP-PUT-1",
        "pki initiator sends DATA right after PUTF without waiting for RSFL",
        _pki_data_before_answer,
    ),
    _m(
        "eke-done-hashes-frame-headers",
        "eke",
        "APP-PUT-4",
        "eke client's DONE.sha256 covers each DATA frame's header too",
        _eke_done_hashes_frame_headers,
    ),
    _m(
        "pki-hash-restarted-per-frame",
        "pki",
        "APP-PUT-4",
        "pki initiator's DONE.sha256 is of the last DATA frame only (hasher made in the loop)",
        _pki_hash_restarted_per_frame,
    ),
    _m(
        "pki-frame-one-byte-too-long",
        "pki",
        "FRM-14",
        "pki initiator sends DATA frames of 1 048 577 bytes (within the frame limit)",
        _pki_frame_one_byte_too_long,
    ),
    _m(
        "pki-empty-data-frame",
        "pki",
        "FRM-14",
        "pki initiator's send loop is a do-while: an empty file gets an empty DATA frame",
        _pki_empty_data_frame,
    ),
    _m(
        "eke-any-rsfl-accepts",
        "eke",
        "APP-PUT-9",
        "eke client takes any RSFL after PUTF as the acceptance",
        _eke_any_rsfl_accepts,
    ),
    _m(
        "eke-accept-truthy",
        "eke",
        "APP-PUT-9",
        "eke client tests accept for truthiness (accept: 1 is an acceptance)",
        _eke_accept_truthy,
    ),
    _m(
        "pki-accept-any-bool",
        "pki",
        "APP-PUT-9",
        "pki initiator checks that accept is a boolean, not that it is true",
        _pki_accept_any_bool,
    ),
    _m(
        "pki-accept-optional",
        "pki",
        "APP-PUT-9",
        "pki initiator takes an RSFL without accept (a get's RSFL) as the acceptance",
        _pki_accept_optional,
    ),
    _m(
        "eke-exists-is-success",
        "eke",
        "APP-PUT-10",
        "eke client reports a put refused with `exists` as success",
        _eke_exists_is_success,
    ),
    _m(
        "pki-refusal-is-a-warning",
        "pki",
        "APP-PUT-10",
        "pki initiator prints a refusal as a warning and exits 0",
        _pki_refusal_is_a_warning,
    ),
    _m(
        "eke-no-wait-for-done",
        "eke",
        "APP-PUT-10",
        "eke client reports success once its DONE is sent, without the responder's answer",
        _eke_no_wait_for_done,
    ),
    _m(
        "pki-ack-error-ignored",
        "pki",
        "APP-PUT-10",
        "pki initiator ignores an EROR (integrity_failed) in place of the responder's DONE",
        _pki_ack_error_ignored,
    ),
)
