"""Blocking adapter: runs an `ApplicationConnection` over a byte stream, for both roles.

A *stream* is anything with `sendall`, `recv_into` and `close` — a TLS socket for
sft-pki/1, the EKE record channel for sft-eke/1. The protocol decisions are the
sans-IO core's (reference.app); file access is reference.share's; this module only
moves bytes between them.

Constant memory [LIM-6]: two DATA buffers of 8 + 1 MiB and one of 64 KiB per
connection, whatever the file size; the DATA buffers take memory only while a
transfer uses them (reference.buffers). Sending reads the file into a buffer after an
8-byte gap, writes the DATA header into the gap, and hands header + payload to one
`sendall` (no concatenation copy). Receiving reads DATA payloads straight into a
buffer (`payload_wanted`/`receive_payload`) and writes them to disk from there.
The two DATA buffers alternate so that SHA-256 of one chunk (on a helper thread,
`PipelinedSha256`) overlaps the TLS and disk work on the next.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from reference.app import (
    CLOSED,
    INITIATOR,
    NEED_DATA,
    RESPONDER,
    AppConfig,
    ApplicationConnection,
)
from reference.buffers import lazy_buffer, release
from reference.errors import (
    ErrorCode,
    ProtocolError,
    RemoteProtocolError,
    TruncatedStream,
    peer_text,
)
from reference.frames import HEADER_SIZE, MAX_DATA_PAYLOAD, Sentinel
from reference.messages import (
    Bye,
    Data,
    Done,
    ErrorFrame,
    FileRequest,
    FileResponse,
    Message,
    PutAccepted,
    PutRequest,
)
from reference.share import PARTIAL_PREFIX, Inbox, PartialFile, ShareDirectory, check_name

__all__ = [
    "BUFFER_SIZE",
    "DEFAULT_MAX_FILE_SIZE",
    "Initiator",
    "PipelinedSha256",
    "Progress",
    "Responder",
    "ResponderPolicy",
    "Stream",
    "TransferFailed",
    "TransferRefused",
    "remove_stale_partials",
    "send_progressing",
    "storage_failure",
]

BUFFER_SIZE: Final = MAX_DATA_PAYLOAD  # 1 MiB: the largest DATA payload [FRM-13]
DEFAULT_MAX_FILE_SIZE: Final = 4 * 1024**3  # [LIM-3]
_SMALL_READ: Final = 64 * 1024
_PIPELINE_MIN: Final = 256 * 1024  # smaller updates are hashed inline
_SEND_STEP: Final = 64 * 1024  # the progress a send deadline is renewed by [LIM-10]

Progress = Callable[[int, int], None]
"""Called with (bytes so far, total bytes) during a transfer."""


class Stream(Protocol):
    def sendall(self, data: bytes | bytearray | memoryview, /) -> None: ...

    def recv_into(self, buffer: bytearray | memoryview, /) -> int: ...

    def close(self) -> None: ...


class TransferRefused(Exception):
    """The responder answered a request with a non-fatal EROR; the connection lives on."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code.wire_name}: {peer_text(message)}")
        self.code = code
        self.message = message


class TransferFailed(Exception):
    """The transfer and the connection failed; nothing was kept under the final name."""

    def __init__(self, code: ErrorCode, message: str, *, remote: bool) -> None:
        super().__init__(f"{code.wire_name}: {peer_text(message) if remote else message}")
        self.code = code
        self.message = message
        self.remote = remote  # True: the peer sent this EROR; False: we detected it


class _HashJobs:
    """What `PipelinedSha256` shares with its helper thread (never the hash object's
    owner itself, so that dropping the owner ends the thread: see `__del__`)."""

    __slots__ = ("error", "finished", "job", "posted")

    def __init__(self) -> None:
        self.job: tuple[Any, bytes | bytearray | memoryview] | None = None
        self.error: BaseException | None = None  # raised to the owner at its next wait
        self.posted = threading.Semaphore(0)  # a job (or None: stop) is in `job`
        self.finished = threading.Semaphore(0)  # the posted job is done


def _hash_jobs(jobs: _HashJobs) -> None:
    while True:
        jobs.posted.acquire()
        job = jobs.job
        if job is None:
            return
        try:
            job[0].update(job[1])
        except BaseException as exc:  # the thread lives on; the owner sees the error
            jobs.error = exc
        finally:
            jobs.job = None
            jobs.finished.release()


class PipelinedSha256:
    """SHA-256 whose large updates run on a helper thread, overlapping the caller's I/O.

    hashlib releases the GIL while it hashes, so hashing chunk k can run on one core
    while chunk k is encrypted and sent (or written to disk) on another. Contract: a
    buffer passed to `update` is not modified until the next `update` or `hexdigest`
    returns — `_Channel` alternates two buffers to keep it.

    One helper thread per transfer, started at its first large update and ended by
    `hexdigest` (or when the object is dropped, for a transfer that failed): a thread
    per 1 MiB chunk cost about 0.2 ms of CPU each, some 5 % of a transfer's CPU.
    """

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._jobs: _HashJobs | None = None
        self._pending = False  # a posted update is not finished yet

    def _join(self) -> None:
        if self._pending:
            assert self._jobs is not None
            self._jobs.finished.acquire()
            self._pending = False
            error, self._jobs.error = self._jobs.error, None
            if error is not None:
                raise error

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        self._join()
        if len(data) < _PIPELINE_MIN:
            self._sha.update(data)  # a hand-off costs more than hashing a small piece
            return
        jobs = self._jobs
        if jobs is None:
            jobs = self._jobs = _HashJobs()
            threading.Thread(target=_hash_jobs, args=(jobs,), daemon=True).start()
        jobs.job = (self._sha, data)
        self._pending = True
        jobs.posted.release()

    def hexdigest(self) -> str:
        self._join()
        self._stop()
        return self._sha.hexdigest()

    def _stop(self) -> None:
        jobs, self._jobs = self._jobs, None
        if jobs is not None:
            jobs.job = None
            jobs.posted.release()  # the thread reads None and ends

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._join()
            self._stop()


class _Channel:
    """The connection, its stream and its buffers: two for DATA (alternating, so one
    can be hashed while the other is filled), one small one for everything else."""

    def __init__(self, stream: Stream, conn: ApplicationConnection) -> None:
        self.stream = stream
        self.conn = conn
        # Lazy (reference.buffers): their pages cost memory only while a transfer
        # fills them, and go back when it ends, so an idle connection holds a few pages.
        self._data_buffers = [lazy_buffer(HEADER_SIZE + BUFFER_SIZE) for _ in range(2)]
        self._data_views = [memoryview(buffer) for buffer in self._data_buffers]
        self._turn = 0
        self._small = memoryview(bytearray(_SMALL_READ))

    def release_buffers(self) -> None:
        """Between transfers (the digest is final, no DATA view is in use)."""
        for buffer in self._data_buffers:
            release(buffer)

    def _data_view(self) -> memoryview:
        """The DATA buffer not handed out last (whose hashing may still run)."""
        self._turn ^= 1
        return self._data_views[self._turn]

    def next_event(self) -> Message | Sentinel:
        """The next event, reading from the stream as needed (never NEED_DATA)."""
        conn = self.conn
        while True:
            event = conn.next_event()
            if event is not NEED_DATA:
                return event
            wanted = conn.payload_wanted()
            if wanted:
                view = self._data_view()
                got = self._read_payload(view, min(wanted, BUFFER_SIZE))
                if got:
                    return conn.receive_payload(view[:got])
                conn.receive_data(b"")
                continue
            n = self.stream.recv_into(self._small)
            conn.receive_data(self._small[:n] if n else b"")

    def _read_payload(self, view: memoryview, size: int) -> int:
        # One TLS read returns one record (16 KiB): gather up to `size` bytes so that
        # hashing and the disk write happen once per MiB, not once per record.
        got = 0
        while got < size:
            n = self.stream.recv_into(view[got:size])
            if n == 0:
                break
            got += n
        return got

    def send(self, event: Message) -> None:
        self.stream.sendall(self.conn.send(event))

    def send_file(
        self, reader: Callable[[memoryview], int], size: int, progress: Progress | None
    ) -> None:
        """Sends `size` bytes read by `reader` as DATA frames, then DONE."""
        sent = 0
        while sent < size:
            view = self._data_view()
            chunk = min(BUFFER_SIZE, size - sent)
            n = _read_exactly(reader, view[HEADER_SIZE : HEADER_SIZE + chunk])
            if n == 0:
                raise OSError("the file shrank while it was being sent")
            view[:HEADER_SIZE] = self.conn.send_data_header(view[HEADER_SIZE : HEADER_SIZE + n])
            send_progressing(self.stream, view[: HEADER_SIZE + n])
            sent += n
            if progress is not None:
                progress(sent, size)
        self.send(self.conn.outgoing_done())
        self.release_buffers()

    def receive_file(self, sink: PartialFile, size: int, progress: Progress | None) -> Done:
        """Writes DATA to `sink` until DONE (verified by the core); raises on EROR."""
        received = 0
        while True:
            event = self.next_event()
            if isinstance(event, Data):
                sink.write(event.data)
                received += len(event.data)
                if progress is not None:
                    progress(received, size)
            elif isinstance(event, Done):
                self.release_buffers()
                return event
            elif isinstance(event, ErrorFrame):
                raise TransferFailed(event.code, event.message, remote=True)
            else:
                raise RemoteProtocolError(ErrorCode.UNEXPECTED_FRAME, f"unexpected {event!r}")

    def fail(self, exc: ProtocolError) -> None:
        """Answers a protocol error with a fatal EROR when a channel still exists."""
        if isinstance(exc, TruncatedStream):
            return
        code = exc.code if exc.code.fatal else ErrorCode.INTERNAL
        try:
            self.stream.sendall(self.conn.send(ErrorFrame(code, exc.message)))
        except (OSError, ProtocolError):
            pass


def send_progressing(stream: Stream, data: bytes | bytearray | memoryview) -> None:
    """Sends all of `data` in steps of 64 KiB, each under the stream's own timeout.

    Since Python 3.5 a `sendall` timeout is the total for the call, and an `SSLSocket`
    write of a whole 1 MiB DATA frame is one call: a reader taking the bytes steadily
    but slower than a frame per idle timeout would be cut although every step made
    progress [LIM-10]. Per step, the deadline runs from the last progress.
    """
    view = memoryview(data).cast("B")
    for start in range(0, len(view), _SEND_STEP):
        stream.sendall(view[start : start + _SEND_STEP])


def _read_exactly(reader: Callable[[memoryview], int], view: memoryview) -> int:
    got = 0
    while got < len(view):
        n = reader(view[got:])
        if not n:
            break
        got += n
    return got


@dataclass(frozen=True, slots=True)
class ResponderPolicy:
    """What a responder serves, to whom, and up to which size."""

    share: ShareDirectory | None
    inbox: Inbox | None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    authorised: bool = True
    refusal: str = "you are not allowed by this peer"


class Responder:
    """Serves one connection until BYE_, EOF, an error or a timeout."""

    def __init__(
        self,
        stream: Stream,
        policy: ResponderPolicy,
        config: AppConfig | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.channel = _Channel(
            stream, ApplicationConnection(RESPONDER, config, digest_factory=PipelinedSha256)
        )
        self.policy = policy
        self.log = log or (lambda line: None)
        # True while a put's data is being received: a shutting-down server lets
        # those finish (within its grace) and ends the others at once.
        self.receiving = False
        self._unreceived = 0  # bytes of the current put not received (when it failed)

    def run(self) -> None:
        channel = self.channel
        try:
            while True:
                event = channel.next_event()
                if event is CLOSED or isinstance(event, ErrorFrame):
                    return
                if isinstance(event, Bye):
                    channel.send(Bye())
                    return
                if not self.policy.authorised:
                    # [PKI-ID-3]: every request answered `forbidden`, then close.
                    channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))
                    return
                if isinstance(event, FileRequest):
                    self._get(event)
                elif isinstance(event, PutRequest):
                    self._put(event)
                else:  # the core only lets requests through in IDLE
                    raise RemoteProtocolError(ErrorCode.UNEXPECTED_FRAME, f"unexpected {event!r}")
        except ProtocolError as exc:
            self.log(f"protocol error: {exc}")
            channel.fail(exc)
        except TransferFailed as exc:
            self.log(f"the initiator aborted: {exc}")
        except TimeoutError:
            self.log("idle timeout")
            channel.fail(RemoteProtocolError(ErrorCode.TIMEOUT, "idle timeout"))
        except OSError as exc:
            if (reason := storage_failure(exc)) is not None:
                # The disk, not the connection: say so to the initiator [ERR-*]
                # instead of vanishing (the temporary is already removed).
                self.log(f"cannot store: {reason}")
                channel.fail(RemoteProtocolError(ErrorCode.INTERNAL, f"cannot store: {reason}"))
                self._drain(self._unreceived + self._unreceived // 1024 + _SMALL_READ)
            else:
                self.log(f"connection lost: {exc.strerror or exc}")
        except Exception as exc:  # a bug or a disk error must not look like success
            self.log(f"internal error: {type(exc).__name__}: {exc}")
            channel.fail(RemoteProtocolError(ErrorCode.INTERNAL, "internal error"))

    def _drain(self, limit: int) -> None:
        """Reads and drops what the initiator still sends of a put we could not store
        (at most `limit` bytes, each read bounded by the stream's idle timeout): closing
        with unread data would reset the connection and lose our EROR."""
        buf = memoryview(bytearray(_SMALL_READ))
        drained = 0
        with contextlib.suppress(OSError, ValueError):
            while drained < limit:
                n = self.channel.stream.recv_into(buf)
                if not n:
                    return
                drained += n

    def _refuse(self, exc: RemoteProtocolError) -> None:
        self.channel.send(ErrorFrame(exc.code, exc.message))

    def _get(self, request: FileRequest) -> None:
        share = self.policy.share
        if share is None:
            self._refuse(RemoteProtocolError(ErrorCode.UNSUPPORTED, "this peer shares no files"))
            return
        try:
            shared = share.open(request.name)
        except RemoteProtocolError as exc:
            self.log(f"get refused: {exc}")
            self._refuse(exc)
            return
        with shared:
            if shared.size > self.policy.max_file_size:
                self._refuse(RemoteProtocolError(ErrorCode.TOO_LARGE, "the file exceeds the limit"))
                return
            self.channel.send(FileResponse(request.name, shared.size))
            self.channel.send_file(shared.file.readinto, shared.size, None)
        self.log(f"get {request.name[:64]!r}: {shared.size} bytes sent")

    def _put(self, request: PutRequest) -> None:
        inbox = self.policy.inbox
        if inbox is None:
            self._refuse(RemoteProtocolError(ErrorCode.UNSUPPORTED, "this peer accepts no files"))
            return
        if request.size > self.policy.max_file_size:  # [APP-PUT-7]
            self._refuse(
                RemoteProtocolError(
                    ErrorCode.TOO_LARGE, f"files are limited to {self.policy.max_file_size} bytes"
                )
            )
            return
        try:
            final = inbox.target_name(request.name)
            partial = inbox.begin(final, request.size)
        except RemoteProtocolError as exc:
            self.log(f"put refused: {exc}")
            self._refuse(exc)
            return
        except OSError as exc:
            # The inbox itself failed (removed, or no longer writable while we serve): the
            # disk, not the connection, so the initiator is told, never left with a bare
            # close [ERR-*] (fatal: nothing of this put was read).
            self.log(f"cannot store: {exc.strerror or exc}")
            raise RemoteProtocolError(
                ErrorCode.INTERNAL, f"cannot store: {exc.strerror or 'inbox unavailable'}"
            ) from None
        with partial:  # removed on every exit but a successful commit [APP-STORE-3]
            self.channel.send(PutAccepted(final))
            self.receiving = True
            try:
                self.channel.receive_file(partial, request.size, None)
            finally:
                self.receiving = False
                self._unreceived = partial.limit - partial.written
            try:
                partial.commit()
            except RemoteProtocolError as exc:  # `exists`: another put won the race
                self._refuse(exc)
                return
        self.channel.send(self.channel.conn.stored_done())
        self.log(f"put {final[:64]!r}: {request.size} bytes stored")


class Initiator:
    """The initiator's requests over one connection: get, put, bye."""

    def __init__(
        self,
        stream: Stream,
        config: AppConfig | None = None,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    ) -> None:
        self.channel = _Channel(
            stream, ApplicationConnection(INITIATOR, config, digest_factory=PipelinedSha256)
        )
        self.max_file_size = max_file_size

    def _answer(self) -> Message:
        event = self.channel.next_event()
        if isinstance(event, ErrorFrame):
            if event.fatal:
                raise TransferFailed(event.code, event.message, remote=True)
            raise TransferRefused(event.code, event.message)
        if event is CLOSED:
            raise TransferFailed(
                ErrorCode.INTERNAL, "the responder closed the connection", remote=True
            )
        assert not isinstance(event, Sentinel)
        return event

    def _guard(self, exc: ProtocolError) -> TransferFailed:
        self.channel.fail(exc)
        return TransferFailed(exc.code, exc.message, remote=False)

    def get(
        self,
        name: str,
        destination: Path,
        *,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> Done:
        """Fetches `name` into `destination`, atomically [APP-GET-6]."""
        check_name(name)
        if destination.exists() and not overwrite:
            raise FileExistsError(f"{destination} exists (use --force to replace it)")
        if not destination.parent.is_dir():
            raise FileNotFoundError(f"{destination.parent} is not a directory")
        try:
            self.channel.send(FileRequest(name))
            response = self._answer()
            assert isinstance(response, FileResponse)
            if response.size > self.max_file_size:
                raise RemoteProtocolError(
                    ErrorCode.TOO_LARGE, f"the file has {response.size} bytes, above the limit"
                )
            with PartialFile.create(destination, response.size) as partial:
                done = self.channel.receive_file(partial, response.size, progress)
                partial.commit(overwrite=overwrite)
            return done
        except ProtocolError as exc:
            raise self._guard(exc) from None
        except TimeoutError:
            raise self._guard(
                RemoteProtocolError(ErrorCode.TIMEOUT, "the responder stalled")
            ) from None

    def put(
        self, source: Path, name: str | None = None, *, progress: Progress | None = None
    ) -> str:
        """Sends `source` as `name` (default: its basename); returns the stored name."""
        name = name or source.name
        check_name(name)
        with source.open("rb", buffering=0) as f:
            size = f.seek(0, 2)
            f.seek(0)
            try:
                self.channel.send(PutRequest(name, size))
                accepted = self._answer()
                assert isinstance(accepted, PutAccepted)
                self.channel.send_file(f.readinto, size, progress)
                ack = self._answer()
                assert isinstance(ack, Done)
                return accepted.name
            except ProtocolError as exc:
                raise self._guard(exc) from None
            except TimeoutError:
                raise self._guard(
                    RemoteProtocolError(ErrorCode.TIMEOUT, "the responder stalled")
                ) from None

    def bye(self) -> None:
        """Ends the connection politely [APP-BYE-1]; the echo is optional."""
        try:
            self.channel.send(Bye())
            self.channel.next_event()
        except TruncatedStream:
            pass
        except RemoteProtocolError as exc:
            # Anything but the echo or the close (DATA, RSFL, DONE...) is a frame not
            # allowed after our BYE_: answered `unexpected_frame` [FRM-6], not dropped.
            self.channel.fail(exc)
        except (OSError, ProtocolError):
            pass


def remove_stale_partials(directory: Path, *, older_than: float | None = None) -> int:
    """Removes the `.sft-partial-*` files an earlier run left in `directory` [APP-STORE-3].

    A responder calls it at start for its inbox (`older_than=None`: every temporary
    there is its own, from a run that was killed). An initiator passes its idle
    timeout: a temporary written to within it may be another live initiator's.
    Only regular files are removed, never followed symlinks; returns how many.
    """
    removed = 0
    cutoff = None if older_than is None else time.time() - older_than
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(PARTIAL_PREFIX):
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


_STORAGE_ERRNOS: Final = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}
)


def storage_failure(exc: OSError) -> str | None:
    """A one-line reason when `exc` is the receiver's disk failing (full, quota, read-only,
    I/O error), None when it is the connection: the two get different answers."""
    if exc.errno in _STORAGE_ERRNOS:
        return exc.strerror or errno.errorcode.get(exc.errno or 0, "storage error")
    return None
