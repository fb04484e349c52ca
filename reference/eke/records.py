"""The sft-eke/1 record layer, sans-IO (docs/SPEC.md §5.5).

After EKE4 every frame travels as ``RECD | u32be(len(C)) | C`` with C the AES-256-GCM
sealing of exactly one application frame. `RecordReader` reassembles records from
bytes in any split and hands out the inner frames; `RecordChannel` pairs it with the
sealer of the other direction.

Throughput matters (1 MiB DATA frames), so the reader works in place, like asyncio's
BufferedProtocol: `get_buffer()` is a view of exactly the bytes still missing from
the current record header or body, the adapter `recv_into`s it and reports the count
with `buffer_updated(n)`. Records then never move in memory and no buffer is
allocated per record. `receive_data(bytes)` remains for tests and fuzzers.

An inner frame's payload is a view into one of the reader's two alternating
plaintext buffers, valid until the call after next of `next_frame()` (so it can be
hashed while the next record is opened): copy it (`InnerFrame.to_frame()`) to keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from reference.buffers import lazy_buffer, release
from reference.eke import crypto
from reference.errors import (
    ErrorCode,
    RemoteProtocolError,
    TruncatedStream,
)
from reference.frames import (
    CLOSED,
    DEFAULT_MAX_PAYLOAD,
    HEADER_SIZE,
    NEED_DATA,
    Frame,
    Sentinel,
    parse_header,
)

__all__ = [
    "RECORD_TYPE",
    "InnerFrame",
    "RecordReader",
    "RecordChannel",
]

RECORD_TYPE: Final = b"RECD"


@dataclass(frozen=True, slots=True)
class InnerFrame:
    """One application frame out of a record; `payload` is borrowed (see module doc)."""

    type: bytes
    payload: memoryview

    def to_frame(self) -> Frame:
        return Frame(self.type, bytes(self.payload))


class RecordReader:
    """Incremental record decoder: bytes in, authenticated inner frames out.

    Any failure — a plaintext frame after the handshake [EKE-REC-5], an announced
    length above the limit (checked on the header alone [EKE-REC-6]), a record that
    does not authenticate [EKE-REC-4], a plaintext that is not exactly one frame
    [EKE-REC-1], EOF inside a record [FRM-7] — raises, and the reader refuses
    further use. Nothing of a record that fails is delivered.
    """

    def __init__(self, opener: crypto.RecordOpener, max_record: int = DEFAULT_MAX_PAYLOAD) -> None:
        self._opener = opener
        self.max_record = max_record
        # Lazy: only the pages records actually fill cost memory [LIM-6].
        self._buf = lazy_buffer(HEADER_SIZE + max_record)
        self._view = memoryview(self._buf)
        self._have = 0
        self._length: int | None = None  # body length once the header has arrived
        self._pending = bytearray()  # bytes given to receive_data(), not yet placed
        self._eof = False
        self._failed: RemoteProtocolError | None = None

    # -- input ------------------------------------------------------------------------
    def get_buffer(self) -> memoryview:
        """Where the next received bytes go: exactly what the current record misses."""
        self._check()
        if self._length is None:
            return self._view[self._have : HEADER_SIZE]
        return self._view[self._have : HEADER_SIZE + self._length]

    def buffer_updated(self, nbytes: int) -> None:
        """`nbytes` were written at the start of the last `get_buffer()` view."""
        self._check()
        self._have += nbytes
        if self._length is None and self._have >= HEADER_SIZE:
            self._parse_header()

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Bytes from the peer (copied); b"" means end of stream."""
        if not data:
            self._eof = True
        else:
            self._pending += data

    def eof_received(self) -> None:
        self._eof = True

    def release_buffers(self) -> None:
        """Gives back the pages of the record and plaintext buffers between records
        (a no-op while part of a record is held: those bytes are still needed)."""
        if self._have == 0 and self._failed is None:
            release(self._buf)
            self._opener.release_buffers()

    @property
    def in_record(self) -> bool:
        """Whether part of a record has arrived (EOF now would be a truncation)."""
        return self._have > 0 or bool(self._pending)

    # -- output -----------------------------------------------------------------------
    def next_frame(self) -> InnerFrame | Sentinel:
        self._check()
        try:
            return self._next_frame()
        except RemoteProtocolError as exc:
            self._failed = exc.detached()
            raise

    def _next_frame(self) -> InnerFrame | Sentinel:
        self._place_pending()
        if self._length is None or self._have < HEADER_SIZE + self._length:
            if not self._eof:
                return NEED_DATA
            if self.in_record:
                raise TruncatedStream("connection closed inside a record")
            return CLOSED
        header = self._view[:HEADER_SIZE]
        sealed = self._view[HEADER_SIZE : HEADER_SIZE + self._length]
        inner = self._opener.open(header, sealed)
        self._have, self._length = 0, None
        return _split_inner(inner)

    def _place_pending(self) -> None:
        pending = self._pending
        while pending:
            room = self.get_buffer()
            if not room:
                return
            n = min(len(room), len(pending))
            room[:n] = pending[:n]
            del pending[:n]
            self.buffer_updated(n)

    def _parse_header(self) -> None:
        try:
            frame_type, length = parse_header(self._view[:HEADER_SIZE], self.max_record)
            if frame_type != RECORD_TYPE:
                raise RemoteProtocolError(
                    ErrorCode.UNEXPECTED_FRAME, "plaintext frame after the handshake"
                )
        except RemoteProtocolError as exc:
            self._failed = exc.detached()
            raise
        self._length = length

    def _check(self) -> None:
        if self._failed is not None:
            raise self._failed.detached()


def _split_inner(inner: memoryview) -> InnerFrame:
    """The one frame a record's plaintext must be [EKE-REC-1]."""
    if len(inner) < HEADER_SIZE:
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "record plaintext is not a frame")
    frame_type, length = parse_header(inner[:HEADER_SIZE], 0xFFFFFFFF)
    if length != len(inner) - HEADER_SIZE:
        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "record plaintext is not exactly one frame")
    return InnerFrame(frame_type, inner[HEADER_SIZE:])


class RecordChannel:
    """Both directions of one side: seal with our key, open with the peer's."""

    def __init__(
        self,
        keys: crypto.SessionKeys,
        *,
        is_client: bool,
        max_record: int = DEFAULT_MAX_PAYLOAD,
        block_limit: int = crypto.MAX_RECORD_BLOCKS,  # [EKE-REC-7]; lower only in tests
    ) -> None:
        if max_record < crypto.TAG_LEN + HEADER_SIZE:
            raise ValueError("record limit too small")
        send_key, send_iv, recv_key, recv_iv = (
            (keys.key_c2s, keys.iv_c2s, keys.key_s2c, keys.iv_s2c)
            if is_client
            else (keys.key_s2c, keys.iv_s2c, keys.key_c2s, keys.iv_c2s)
        )
        max_inner = max_record - crypto.TAG_LEN
        self.sealer = crypto.RecordSealer(send_key, send_iv, max_inner, block_limit=block_limit)
        opener = crypto.RecordOpener(recv_key, recv_iv, max_inner, block_limit=block_limit)
        self.reader = RecordReader(opener, max_record)
        self.max_payload = max_inner - HEADER_SIZE

    def release_buffers(self) -> None:
        """Between transfers: gives back the pages of both directions' large buffers, so
        an idle connection holds a few pages whatever its record limit [LIM-6]."""
        self.sealer.release_buffers()
        self.reader.release_buffers()

    def seal(self, frame: bytes | bytearray | memoryview) -> memoryview:
        """The record for one complete frame; the view is valid until the next seal."""
        return self.sealer.seal(frame)

    def seal_frame(self, frame_type: bytes, payload: bytes | bytearray | memoryview) -> memoryview:
        """Seals `frame_type | u32be(len) | payload` without joining header and payload."""
        n = len(payload)
        self.sealer.payload_buffer()[:n] = payload
        return self.sealer.seal_payload(frame_type, n)

    def payload_buffer(self) -> memoryview:
        """Fill the next frame's payload here (e.g. `file.readinto`), then `seal_payload`."""
        return self.sealer.payload_buffer()[: self.max_payload]

    def seal_payload(self, frame_type: bytes, length: int) -> memoryview:
        return self.sealer.seal_payload(frame_type, length)
