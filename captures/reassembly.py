"""TCP reassembly by sequence number into temporary files (bounded memory).

Each direction of each TCP connection is written with `os.pwrite` at its offset
relative to the initial sequence number, so out-of-order and retransmitted
segments land where they belong and memory holds only the list of covered
intervals, not the bytes (a naive in-memory reassembly took over 1 GB for a
100 MB capture). A direction is complete when it saw its SYN and its FIN, has no
hole between them and no RST cut the connection.
"""

from __future__ import annotations

__all__ = ["Direction", "TcpStream", "StreamTable", "OPENING_LIMIT"]

import bisect
import os
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from captures.pcap import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TcpSegment

# How many bytes of each direction's opening are kept in memory, with the time and
# direction of each turn, for the protocol parsers (handshakes) and the ladder.
OPENING_LIMIT = 64 * 1024
# Bound on the offset -> time map per direction (thinned out beyond it).
_MAX_TIMES = 200_000


@dataclass
class Direction:
    """One direction (sender -> receiver) of a TCP connection, reassembled on disk."""

    src: str
    sport: int
    dst: str
    dport: int
    path: str
    fd: int = -1
    isn: int | None = None
    syn: bool = False
    fin_offset: int | None = None
    rst: bool = False
    packets: int = 0
    payload_packets: int = 0
    wire_bytes: int = 0  # payload bytes on the wire, retransmissions included
    first_time: float | None = None
    last_time: float | None = None
    # covered byte ranges [start, end), sorted and merged
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    # sampled (offset, time) pairs of payload segments, for timing frames in the ladder
    offsets: array = field(default_factory=lambda: array("Q"))  # type: ignore[type-arg]
    times: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]
    numbers: array = field(default_factory=lambda: array("Q"))  # type: ignore[type-arg]
    _high: int = 0  # highest end offset written, to unwrap 32-bit sequence numbers

    @property
    def label(self) -> str:
        return f"{self.src}:{self.sport} → {self.dst}:{self.dport}"

    @property
    def length(self) -> int:
        """Bytes from offset 0 to the end of the highest segment."""
        return self.ends[-1] if self.ends else 0

    def ranges(self) -> list[tuple[int, int]]:
        """The covered byte ranges [start, end), in order."""
        return list(zip(self.starts, self.ends, strict=True))

    def holes(self) -> list[tuple[int, int]]:
        """Missing byte ranges between 0 and the end of the stream (FIN or last byte)."""
        end = self.fin_offset if self.fin_offset is not None else self.length
        gaps: list[tuple[int, int]] = []
        pos = 0
        for s, e in zip(self.starts, self.ends, strict=True):
            if s > pos:
                gaps.append((pos, min(s, end)))
            pos = max(pos, e)
        if pos < end:
            gaps.append((pos, end))
        return [g for g in gaps if g[0] < g[1]]

    def _offset(self, seq: int) -> int:
        assert self.isn is not None
        rel = (seq - self.isn - 1) & 0xFFFFFFFF
        # Unwrap: choose the 64-bit offset with these low 32 bits nearest the
        # highest offset seen, so streams over 4 GiB keep their order.
        base = self._high & ~0xFFFFFFFF
        best = base | rel
        for cand in (best - (1 << 32), best + (1 << 32)):
            if cand >= -1 and abs(cand - self._high) < abs(best - self._high):
                best = cand
        return best

    def add(self, seg: TcpSegment) -> None:
        self.packets += 1
        if self.first_time is None:
            self.first_time = seg.time
        self.last_time = seg.time
        if seg.flags & TCP_SYN:
            if self.isn is None or not self.syn:
                self.isn = seg.seq
            self.syn = True
        if seg.flags & TCP_RST:
            self.rst = True
        if self.isn is None:
            # joined mid-stream: the first byte seen is offset 0; no SYN is recorded,
            # which makes the stream incomplete
            self.isn = (seg.seq - 1) & 0xFFFFFFFF
        payload = seg.payload
        data_seq = seg.seq + (1 if seg.flags & TCP_SYN else 0)
        off = self._offset(data_seq)
        if payload and off >= 0:
            self.payload_packets += 1
            self.wire_bytes += len(payload)
            os.pwrite(self._open(), payload, off)
            self._cover(off, off + len(payload))
            if len(self.offsets) < _MAX_TIMES:
                self.offsets.append(off)
                self.times.append(seg.time)
                self.numbers.append(seg.index)
            self._high = max(self._high, off + len(payload))
        if seg.flags & TCP_FIN:
            self.fin_offset = off + len(payload)

    def _cover(self, start: int, end: int) -> None:
        starts, ends = self.starts, self.ends
        if not starts or start > ends[-1]:
            starts.append(start)
            ends.append(end)
            return
        if start >= starts[-1]:  # the common case: in order, or overlapping the last range
            ends[-1] = max(ends[-1], end)
            return
        i = bisect.bisect_left(ends, start)
        j = bisect.bisect_right(starts, end)
        if i >= j:
            starts.insert(i, start)
            ends.insert(i, end)
            return
        new_start = min(start, starts[i])
        new_end = max(end, ends[j - 1])
        del starts[i:j]
        del ends[i:j]
        starts.insert(i, new_start)
        ends.insert(i, new_end)

    def time_at(self, offset: int) -> float | None:
        """Capture time of the segment that carried `offset` (nearest sample)."""
        if not self.offsets:
            return None
        i = bisect.bisect_right(self.offsets, offset) - 1
        return float(self.times[max(i, 0)])

    def packet_at(self, offset: int) -> tuple[int, int] | None:
        """(packet number, offset in its TCP payload) of the segment that carried `offset`."""
        if not self.offsets:
            return None
        i = bisect.bisect_right(self.offsets, offset) - 1
        if i < 0:
            return None
        return int(self.numbers[i]), offset - int(self.offsets[i])

    def _open(self) -> int:
        # descriptors of finished connections are closed (a capture may hold thousands
        # of connections); a late retransmission or a read reopens the file
        if self.fd < 0:
            self.fd = os.open(self.path, os.O_RDWR)
        return self.fd

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def read(self, offset: int, size: int) -> bytes:
        return os.pread(self._open(), size, offset)


@dataclass
class TcpStream:
    """One TCP connection; `forward` is the initiator's direction (the one that sent SYN)."""

    index: int
    forward: Direction
    backward: Direction
    # Turns of the opening conversation: (time, 0 forward / 1 backward, bytes), bounded
    # by OPENING_LIMIT per direction; legacy protocols without framing are split here.
    turns: list[tuple[float, int, bytes]] = field(default_factory=list)
    _opening: list[int] = field(default_factory=lambda: [0, 0])
    _next: list[int] = field(default_factory=lambda: [0, 0])

    @property
    def directions(self) -> tuple[Direction, Direction]:
        return (self.forward, self.backward)

    @property
    def closed(self) -> bool:
        both_fin = self.forward.fin_offset is not None and self.backward.fin_offset is not None
        return both_fin or self.forward.rst or self.backward.rst

    def _record_turn(self, d: int, seg: TcpSegment, offset: int) -> None:
        # Only in-order, not-yet-seen bytes form turns (retransmissions are skipped).
        if offset != self._next[d] or self._opening[d] >= OPENING_LIMIT:
            return
        data = seg.payload[: OPENING_LIMIT - self._opening[d]]
        self._opening[d] += len(data)
        self._next[d] = offset + len(seg.payload)
        if self.turns and self.turns[-1][1] == d:
            t, _, prev = self.turns[-1]
            self.turns[-1] = (t, d, prev + data)
        else:
            self.turns.append((seg.time, d, data))


class StreamTable:
    """Dispatch segments to connections; owns the temporary files (close() removes them)."""

    def __init__(self, workdir: str) -> None:
        self._dir = workdir
        self.streams: list[TcpStream] = []
        self._by_key: dict[tuple[str, int, str, int], TcpStream] = {}

    def feed(self, segments: Iterable[TcpSegment]) -> None:
        for seg in segments:
            self.add(seg)

    def add(self, seg: TcpSegment) -> None:
        key = (seg.src, seg.sport, seg.dst, seg.dport)
        stream = self._by_key.get(key)
        is_new_syn = seg.flags & TCP_SYN and not seg.flags & TCP_ACK
        if stream is not None and is_new_syn and stream.closed:
            stream = None  # port reuse: a new connection on the same four-tuple
        if stream is None:
            stream = self._new(seg)
        d = 0 if (seg.src, seg.sport) == (stream.forward.src, stream.forward.sport) else 1
        direction = stream.directions[d]
        direction.add(seg)
        if seg.payload:
            off = direction._offset(seg.seq + (1 if seg.flags & TCP_SYN else 0))
            stream._record_turn(d, seg, off)
        if stream.closed:
            for x in stream.directions:
                x.release()

    def stream_of(self, seg: TcpSegment) -> TcpStream | None:
        """The latest connection on this segment's four-tuple (None if never seen)."""
        return self._by_key.get((seg.src, seg.sport, seg.dst, seg.dport))

    def _new(self, seg: TcpSegment) -> TcpStream:
        index = len(self.streams)
        # The initiator sent the SYN without ACK; if the capture missed it, guess that
        # the side with the higher (ephemeral) port initiated.
        initiator_is_src = bool(seg.flags & TCP_SYN and not seg.flags & TCP_ACK) or (
            not seg.flags & TCP_SYN and seg.sport > seg.dport
        )
        if seg.flags & TCP_SYN and seg.flags & TCP_ACK:
            initiator_is_src = False
        a = (seg.src, seg.sport) if initiator_is_src else (seg.dst, seg.dport)
        b = (seg.dst, seg.dport) if initiator_is_src else (seg.src, seg.sport)
        fwd = self._direction(index, 0, a, b)
        bwd = self._direction(index, 1, b, a)
        stream = TcpStream(index, fwd, bwd)
        self.streams.append(stream)
        self._by_key[(a[0], a[1], b[0], b[1])] = stream
        self._by_key[(b[0], b[1], a[0], a[1])] = stream
        return stream

    def _direction(
        self, index: int, d: int, src: tuple[str, int], dst: tuple[str, int]
    ) -> Direction:
        path = os.path.join(self._dir, f"stream{index}-{d}.bin")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        return Direction(src[0], src[1], dst[0], dst[1], path, fd)

    def close(self) -> None:
        for s in self.streams:
            for d in s.directions:
                d.release()
