"""Blind red-team round 8: the two CLIENTS (`sft eke get/put`, `sft get/put`).

Written from docs/SPEC.md and the reference clients only, before reading any case file.
Lenses: (1) the SECOND thing (a retry after busy, the answer after our DONE); (2) the
order of two correct steps (rename then verify, report then clean up, send DONE then
wait); (3) edges (a 0-byte file, an RSFL whose name differs, an existing output);
(4) the exit status on each failure path.

eke (reference/eke/client.py, reference/cli/eke.py):
- b8cli-eke-put-no-ack-wait      (2) put returns once its DONE is sent, no wait for DONE.
- b8cli-eke-put-refused-exit0    (4) a refused PUTF (exists, too_large...) exits 0.
- b8cli-eke-get-integrity-exit0  (4) a get failing integrity_failed exits 0 (no file).
- b8cli-eke-get-commit-at-size   (2) renames once `size` bytes arrived, verifies at DONE.
- b8cli-eke-get-zero-no-file     (3) a 0-byte get creates no file, exits 0.
- b8cli-eke-busy-no-wait         (1) a busy answer is retried at once, ignoring retry_after.
- b8cli-eke-get-overwrite        (3) replaces an existing output without being asked.
- b8cli-eke-get-rsfl-name        (3) stores under RSFL.name (beside the output).
- b8cli-eke-get-exit-before-clean(2) on a failed get, reports and exits before removing
                                     the temporary file.
- b8cli-eke-put-empty-no-done    (3) a 0-byte put sends no DONE (nothing to finish).
- b8cli-eke-get-refused-exit0    (4) a get answered not_found/forbidden exits 0.
- b8cli-eke-put-error-after-done-exit0 (1/4) an EROR in place of the put's DONE is success.

pki (reference/pki/client.py, reference/transfer.py, reference/cli/pki.py): the same
twelve, named b8cli-pki-….
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module

# -- eke --------------------------------------------------------------------------------


def _eke() -> Any:
    return _module("reference.eke.client")


def _eke_put_no_ack_wait() -> None:
    m = _eke()
    original = m.EkeClient._next

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        # Same as the reference up to DONE, then returns without reading the answer.
        stream = self._require()
        with open(path, "rb", buffering=0) as file:
            size = os.fstat(file.fileno()).st_size
            stream.send(m.PutRequest(name or path.name, size))
            answer = original(self, stream)
            if not isinstance(answer, m.PutAccepted):
                raise m.TransferFailed("unexpected answer from the server")
            sent = 0
            while sent < size:
                n = stream.send_file_chunk(file, size - sent)
                if n == 0:
                    raise m.TransferFailed("shrank")
                sent += n
            stream.send(stream.app.outgoing_done())
            self._abandon()
            return str(answer.name)

    m.EkeClient.put = put


def _eke_put_refused_exit0() -> None:
    m = _eke()
    original = m.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        try:
            return str(original(self, path, name=name, progress=progress))
        except m.TransferRefused as exc:
            print(f"note: {exc}", file=sys.stderr)
            return name or path.name

    m.EkeClient.put = put


def _eke_get_integrity_exit0() -> None:
    m = _eke()
    original = m.EkeClient.get

    def get(self: Any, name: str, destination: Path, **kw: Any) -> Any:
        try:
            return original(self, name, destination, **kw)
        except m.TransferFailed as exc:
            if exc.code is not m.ErrorCode.INTEGRITY_FAILED:
                raise
            print(f"warning: {exc}", file=sys.stderr)
            return m.Done(0, "0" * 64)

    m.EkeClient.get = get


def _eke_get_commit_at_size() -> None:
    m = _eke()

    def _receive(
        self: Any, stream: Any, answer: Any, destination: Path, overwrite: bool, progress: Any
    ) -> Any:
        with m.PartialFile.create(destination, answer.size) as partial:
            received = 0
            committed = answer.size == 0
            if committed:
                partial.commit(overwrite=overwrite)
            while True:
                event = self._next(stream)
                if isinstance(event, m.Data):
                    partial.write(event.data)
                    received += len(event.data)
                    if received == answer.size and not committed:
                        partial.commit(overwrite=overwrite)  # all bytes here: rename now
                        committed = True
                elif isinstance(event, m.Done):
                    if not committed:
                        partial.commit(overwrite=overwrite)
                    return event
                else:
                    raise m.TransferFailed("unexpected frame during a get")

    m.EkeClient._receive = _receive


def _eke_get_zero_no_file() -> None:
    m = _eke()
    original = m.EkeClient._receive

    def _receive(
        self: Any, stream: Any, answer: Any, destination: Path, overwrite: bool, progress: Any
    ) -> Any:
        if answer.size == 0:
            event = self._next(stream)
            if isinstance(event, m.Done):
                return event  # nothing to save
            raise m.TransferFailed("unexpected frame during a get")
        return original(self, stream, answer, destination, overwrite, progress)

    m.EkeClient._receive = _receive


def _eke_busy_no_wait() -> None:
    m = _eke()

    def connect(self: Any) -> Any:
        tries = 0
        while True:
            tries += 1
            try:
                return self._connect_once()
            except m.ServerBusy as exc:
                if tries > self.config.busy_retries:
                    raise m.ServerBusy(exc.retry_after, tries) from None
                # retries at once

    m.EkeClient.connect = connect


def _eke_get_overwrite() -> None:
    m = _eke()
    original = m.EkeClient.get

    def get(self: Any, name: str, destination: Path, **kw: Any) -> Any:
        kw["overwrite"] = True
        return original(self, name, destination, **kw)

    m.EkeClient.get = get


def _eke_get_rsfl_name() -> None:
    m = _eke()
    original = m.EkeClient._receive

    def _receive(
        self: Any, stream: Any, answer: Any, destination: Path, overwrite: bool, progress: Any
    ) -> Any:
        target = destination.parent / answer.name.rsplit("/", 1)[-1]
        return original(self, stream, answer, target, overwrite, progress)

    m.EkeClient._receive = _receive


def _eke_get_exit_before_clean() -> None:
    m = _eke()

    def _receive(
        self: Any, stream: Any, answer: Any, destination: Path, overwrite: bool, progress: Any
    ) -> Any:
        with m.PartialFile.create(destination, answer.size) as partial:
            try:
                while True:
                    event = self._next(stream)
                    if isinstance(event, m.Data):
                        partial.write(event.data)
                    elif isinstance(event, m.Done):
                        partial.commit(overwrite=overwrite)
                        return event
                    else:
                        raise m.TransferFailed("unexpected frame during a get")
            except (m.ClientError, m.ProtocolError) as exc:
                # "report, then clean up" with the clean-up never reached
                print(f"sft: {exc}", file=sys.stderr, flush=True)
                os._exit(1)

    m.EkeClient._receive = _receive


def _eke_put_empty_no_done() -> None:
    m = _eke()
    original_put = m.EkeClient.put

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        if os.stat(path).st_size != 0:
            return str(original_put(self, path, name=name, progress=progress))
        stream = self._require()
        stream.send(m.PutRequest(name or path.name, 0))
        answer = self._next(stream)
        if not isinstance(answer, m.PutAccepted):
            raise m.TransferFailed("unexpected answer from the server")
        done = self._next(stream)  # no DATA, no DONE: waits for the server
        if not isinstance(done, m.Done):
            raise m.TransferFailed("unexpected answer from the server")
        return str(answer.name)

    m.EkeClient.put = put


def _eke_get_refused_exit0() -> None:
    m = _eke()
    original = m.EkeClient.get

    def get(self: Any, name: str, destination: Path, **kw: Any) -> Any:
        try:
            return original(self, name, destination, **kw)
        except m.TransferRefused as exc:
            print(f"sft: {exc}", file=sys.stderr)
            return m.Done(0, "0" * 64)

    m.EkeClient.get = get


def _eke_put_error_after_done_exit0() -> None:
    m = _eke()
    original = m.EkeClient._next

    def put(self: Any, path: Path, *, name: str | None = None, progress: Any = None) -> str:
        stream = self._require()
        with open(path, "rb", buffering=0) as file:
            size = os.fstat(file.fileno()).st_size
            stream.send(m.PutRequest(name or path.name, size))
            answer = original(self, stream)
            if not isinstance(answer, m.PutAccepted):
                raise m.TransferFailed("unexpected answer from the server")
            sent = 0
            while sent < size:
                n = stream.send_file_chunk(file, size - sent)
                if n == 0:
                    raise m.TransferFailed("shrank")
                sent += n
            stream.send(stream.app.outgoing_done())
            try:
                original(self, stream)
            except m.ClientError as exc:
                print(f"warning after upload: {exc}", file=sys.stderr)
            return str(answer.name)

    m.EkeClient.put = put


# -- pki --------------------------------------------------------------------------------


def _tr() -> Any:
    return _module("reference.transfer")


def _pki() -> Any:
    return _module("reference.pki.client")


def _pki_put_body(self: Any, source: Path, name: str | None, wait: str) -> str:
    t = _tr()
    name = name or source.name
    with source.open("rb", buffering=0) as f:
        size = f.seek(0, 2)
        f.seek(0)
        try:
            self.channel.send(t.PutRequest(name, size))
            accepted = self._answer()
            if not isinstance(accepted, t.PutAccepted):
                raise t.RemoteProtocolError(t.ErrorCode.BAD_FRAME, "not an acceptance")
            if wait == "empty-no-done" and size == 0:
                ack = self._answer()
                return str(accepted.name)
            self.channel.send_file(f.readinto, size, None)
            if wait == "no-wait":
                return str(accepted.name)
            try:
                ack = self._answer()
            except (t.TransferFailed, t.TransferRefused) as exc:
                print(f"warning after upload: {exc}", file=sys.stderr)
                return str(accepted.name)
            del ack
            return str(accepted.name)
        except t.ProtocolError as exc:
            raise self._guard(exc) from None


def _pki_put_no_ack_wait() -> None:
    t = _tr()

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        return _pki_put_body(self, source, name, "no-wait")

    t.Initiator.put = put


def _pki_put_error_after_done_exit0() -> None:
    t = _tr()

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        return _pki_put_body(self, source, name, "swallow")

    t.Initiator.put = put


def _pki_put_empty_no_done() -> None:
    t = _tr()
    original = t.Initiator.put

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        if source.stat().st_size != 0:
            return str(original(self, source, name, progress=progress))
        return _pki_put_body(self, source, name, "empty-no-done")

    t.Initiator.put = put


def _pki_put_refused_exit0() -> None:
    t = _tr()
    original = t.Initiator.put

    def put(self: Any, source: Path, name: str | None = None, *, progress: Any = None) -> str:
        try:
            return str(original(self, source, name, progress=progress))
        except t.TransferRefused as exc:
            print(f"note: {exc}", file=sys.stderr)
            return name or source.name

    t.Initiator.put = put


def _pki_get_integrity_exit0() -> None:
    p = _pki()
    t = _tr()
    original = p.PkiSession.get

    def get(self: Any, name: str, destination: Path, **kw: Any) -> int:
        try:
            return int(original(self, name, destination, **kw))
        except p.PkiClientError as exc:
            if "integrity" not in str(exc):
                raise
            print(f"warning: {exc}", file=sys.stderr)
            return 0

    del t
    p.PkiSession.get = get


def _pki_get_refused_exit0() -> None:
    t = _tr()
    original = t.Initiator.get

    def get(self: Any, name: str, destination: Path, **kw: Any) -> Any:
        try:
            return original(self, name, destination, **kw)
        except t.TransferRefused as exc:
            print(f"sft: {exc}", file=sys.stderr)
            return t.Done(0, "0" * 64)

    t.Initiator.get = get


def _pki_get_with(mode: str) -> None:
    t = _tr()

    def get(
        self: Any,
        name: str,
        destination: Path,
        *,
        overwrite: bool = False,
        progress: Any = None,
    ) -> Any:
        t.check_name(name)
        if mode == "overwrite":
            overwrite = True
        if destination.exists() and not overwrite:
            raise FileExistsError(f"{destination} exists")
        try:
            self.channel.send(t.FileRequest(name))
            response = self._answer()
            assert isinstance(response, t.FileResponse)
            if mode == "rsfl-name":
                destination = destination.parent / response.name.rsplit("/", 1)[-1]
            if mode == "zero" and response.size == 0:
                event = self.channel.next_event()
                if not isinstance(event, t.Done):
                    raise t.RemoteProtocolError(t.ErrorCode.UNEXPECTED_FRAME, "unexpected")
                return event
            with t.PartialFile.create(destination, response.size) as partial:
                if mode == "commit-at-size":
                    received = 0
                    committed = response.size == 0
                    if committed:
                        partial.commit(overwrite=overwrite)
                    while True:
                        event = self.channel.next_event()
                        if isinstance(event, t.Data):
                            partial.write(event.data)
                            received += len(event.data)
                            if received == response.size and not committed:
                                partial.commit(overwrite=overwrite)
                                committed = True
                        elif isinstance(event, t.Done):
                            if not committed:
                                partial.commit(overwrite=overwrite)
                            return event
                        elif isinstance(event, t.ErrorFrame):
                            raise t.TransferFailed(event.code, event.message, remote=True)
                        else:
                            raise t.RemoteProtocolError(t.ErrorCode.UNEXPECTED_FRAME, "?")
                try:
                    done = self.channel.receive_file(partial, response.size, progress)
                except BaseException as exc:
                    if mode == "exit-before-clean":
                        print(f"sft: get {name} failed: {exc}", file=sys.stderr, flush=True)
                        os._exit(1)
                    raise
                partial.commit(overwrite=overwrite)
            return done
        except t.ProtocolError as exc:
            if mode == "exit-before-clean":
                print(f"sft: get {name} failed: {exc}", file=sys.stderr, flush=True)
                os._exit(1)
            raise self._guard(exc) from None
        except TimeoutError:
            raise self._guard(
                t.RemoteProtocolError(t.ErrorCode.TIMEOUT, "the responder stalled")
            ) from None

    t.Initiator.get = get


def _data_limit_off_by_one() -> None:
    # Post-blind (written to probe the edge-size cases): `<` for `<=` at the DATA limit,
    # so a DATA frame of exactly MAX_DATA_PAYLOAD (1 MiB) is refused as bad_frame.
    app = _module("reference.app")
    original = app.ApplicationConnection._check_header

    def check(frame_type: bytes, length: int) -> tuple[bytes, int]:
        if frame_type == app.T_DATA and length >= app.MAX_DATA_PAYLOAD:
            raise app.RemoteProtocolError(app.ErrorCode.BAD_FRAME, f"DATA payload of {length}")
        result: tuple[bytes, int] = original(frame_type, length)
        return result

    app.ApplicationConnection._check_header = staticmethod(check)


_E = "eke"
_P = "pki"


def _m(name: str, profile: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group="blind8-client",
        profile=profile,
        requirement=req,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


_EKE_GET = "test_eke_client_transfer.py"
_PKI_GET = "test_pki_initiator_transfer.py"
_PUT = "test_client_put.py"

MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b8cli-eke-put-no-ack-wait",
        _E,
        "APP-PUT-10",
        _PUT,
        "eke put reports success once its DONE is sent, without the responder's DONE",
        _eke_put_no_ack_wait,
    ),
    _m(
        "b8cli-eke-put-refused-exit0",
        _E,
        "APP-PUT-10",
        _PUT,
        "eke put answered exists/too_large/forbidden exits 0",
        _eke_put_refused_exit0,
    ),
    _m(
        "b8cli-eke-put-error-after-done-exit0",
        _E,
        "APP-PUT-10",
        _PUT,
        "eke put: an EROR in place of the responder's DONE is a warning, exit 0",
        _eke_put_error_after_done_exit0,
    ),
    _m(
        "b8cli-eke-put-empty-no-done",
        _E,
        "APP-PUT-4",
        _PUT,
        "eke put of a 0-byte file sends no DONE",
        _eke_put_empty_no_done,
    ),
    _m(
        "b8cli-eke-get-integrity-exit0",
        _E,
        "APP-GET-3",
        _EKE_GET,
        "eke get failing integrity_failed (nothing kept) exits 0",
        _eke_get_integrity_exit0,
    ),
    _m(
        "b8cli-eke-get-commit-at-size",
        _E,
        "APP-GET-3",
        _EKE_GET,
        "eke get renames to the final name once size bytes arrived, before DONE's check",
        _eke_get_commit_at_size,
    ),
    _m(
        "b8cli-eke-get-zero-no-file",
        _E,
        "APP-GET-6",
        _EKE_GET,
        "eke get of a 0-byte file creates no output file, exits 0",
        _eke_get_zero_no_file,
    ),
    _m(
        "b8cli-eke-busy-no-wait",
        _E,
        "EKE-THR-7",
        "test_eke_client.py",
        "eke client retries a busy answer at once, ignoring retry_after",
        _eke_busy_no_wait,
    ),
    _m(
        "b8cli-eke-get-overwrite",
        _E,
        "APP-GET-6",
        _EKE_GET,
        "eke get replaces an existing output without --force",
        _eke_get_overwrite,
    ),
    _m(
        "b8cli-eke-get-rsfl-name",
        _E,
        "APP-GET-7",
        _EKE_GET,
        "eke get stores under the basename of RSFL.name",
        _eke_get_rsfl_name,
    ),
    _m(
        "b8cli-eke-get-exit-before-clean",
        _E,
        "APP-STORE-3",
        _EKE_GET,
        "eke get failing mid-transfer exits before removing its temporary file",
        _eke_get_exit_before_clean,
    ),
    _m(
        "b8cli-eke-get-refused-exit0",
        _E,
        "APP-GET-6",
        _EKE_GET,
        "eke get answered not_found/forbidden exits 0",
        _eke_get_refused_exit0,
    ),
    _m(
        "b8cli-pki-put-no-ack-wait",
        _P,
        "APP-PUT-10",
        _PUT,
        "pki put reports success once its DONE is sent",
        _pki_put_no_ack_wait,
    ),
    _m(
        "b8cli-pki-put-refused-exit0",
        _P,
        "APP-PUT-10",
        _PUT,
        "pki put answered exists/too_large/forbidden exits 0",
        _pki_put_refused_exit0,
    ),
    _m(
        "b8cli-pki-put-error-after-done-exit0",
        _P,
        "APP-PUT-10",
        _PUT,
        "pki put: an EROR in place of the responder's DONE is a warning, exit 0",
        _pki_put_error_after_done_exit0,
    ),
    _m(
        "b8cli-pki-put-empty-no-done",
        _P,
        "APP-PUT-4",
        _PUT,
        "pki put of a 0-byte file sends no DONE",
        _pki_put_empty_no_done,
    ),
    _m(
        "b8cli-pki-get-integrity-exit0",
        _P,
        "APP-GET-3",
        _PKI_GET,
        "pki get failing integrity_failed (nothing kept) exits 0",
        _pki_get_integrity_exit0,
    ),
    _m(
        "b8cli-pki-get-commit-at-size",
        _P,
        "APP-GET-3",
        _PKI_GET,
        "pki get renames once size bytes arrived, before DONE's check",
        lambda: _pki_get_with("commit-at-size"),
    ),
    _m(
        "b8cli-pki-get-zero-no-file",
        _P,
        "APP-GET-6",
        _PKI_GET,
        "pki get of a 0-byte file creates no output file",
        lambda: _pki_get_with("zero"),
    ),
    _m(
        "b8cli-pki-get-overwrite",
        _P,
        "APP-GET-6",
        _PKI_GET,
        "pki get replaces an existing output without --force",
        lambda: _pki_get_with("overwrite"),
    ),
    _m(
        "b8cli-pki-get-rsfl-name",
        _P,
        "APP-GET-7",
        _PKI_GET,
        "pki get stores under the basename of RSFL.name",
        lambda: _pki_get_with("rsfl-name"),
    ),
    _m(
        "b8cli-pki-get-exit-before-clean",
        _P,
        "APP-STORE-3",
        _PKI_GET,
        "pki get failing mid-transfer exits before removing its temporary file",
        lambda: _pki_get_with("exit-before-clean"),
    ),
    _m(
        "b8cli-pki-get-refused-exit0",
        _P,
        "APP-GET-6",
        _PKI_GET,
        "pki get answered not_found/forbidden exits 0",
        _pki_get_refused_exit0,
    ),
    # -- post-blind: written after reading the cases, to probe the new edge-size cases
    _m(
        "b8cli-eke-get-data-limit-off-by-one",
        _E,
        "APP-GET-6",
        _EKE_GET,
        "eke get refuses a DATA frame of exactly 1 MiB (the largest allowed)",
        _data_limit_off_by_one,
    ),
    _m(
        "b8cli-pki-get-data-limit-off-by-one",
        _P,
        "APP-GET-6",
        _PKI_GET,
        "pki get refuses a DATA frame of exactly 1 MiB (the largest allowed)",
        _data_limit_off_by_one,
    ),
)
