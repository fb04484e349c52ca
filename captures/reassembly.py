"""TCP reassembly by sequence number, in place or into temporary files (bounded memory).

A direction whose segments come in order, each after the last, from a mapped capture
(`TcpSegment.payload_at`) is kept as extents: where each payload lies in the capture
file. Reading it gathers those bytes from the capture (one `pread` of the span that
holds them, a slice of each); nothing is copied or written during the pass (on 1 GB
the temporary files cost ~0.5 s of writes and the copies that fed them as much again).
A segment captured out of order fills its hole with an extent; a retransmission that
repeats bytes already there changes nothing (its new bytes, if any, become extents).
The first segment that would change what the direction holds (a retransmission with
other bytes) or whose payload is not in the mapping turns the direction into a
temporary file: its extents are written out, and from then on each
payload is written with `os.pwrite` at its offset relative to the initial sequence
number, so out-of-order and retransmitted segments land where they belong (a later
one over an earlier one) and memory holds only the list of covered intervals, not the
bytes (a naive in-memory reassembly took over 1 GB for a 100 MB capture). Both read
the same. A direction is complete when it saw its SYN and its FIN, has no hole
between them and no RST cut the connection.
"""

from __future__ import annotations

__all__ = ["Direction", "TcpStream", "StreamTable", "OPENING_LIMIT"]

import bisect
import mmap
import os
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from captures.pcap import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TcpSegment

# How many bytes of each direction's opening are kept in memory, with the time and
# direction of each turn, for the protocol parsers (handshakes) and the ladder.
OPENING_LIMIT = 64 * 1024
# Extents this close in the capture are read with one pread (what lies between is read
# and skipped): at most this much more than the next extent's own length.
_SPAN_SLACK = 4096
# Bound on the offset -> time map per direction (thinned out beyond it).
_MAX_TIMES = 200_000


@dataclass
class Direction:
    """One direction (sender -> receiver) of a TCP connection: extents of the mapped
    capture while its segments follow each other, else a temporary file (`path`)."""

    src: str
    sport: int
    dst: str
    dport: int
    path: str  # the temporary file, created when the direction stops being extents
    fd: int = -1
    source: int | None = None  # descriptor of the capture file the extents point into
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
    # extents: the payload at stream offset _ext_offsets[i] is _ext_lengths[i] bytes at
    # _ext_places[i] in `source`; each starts at or after the end of the one before
    in_place: bool = True  # still extents (False: the bytes are in the file at `path`)
    _ext_offsets: array = field(default_factory=lambda: array("Q"))  # type: ignore[type-arg]
    _ext_places: array = field(default_factory=lambda: array("Q"))  # type: ignore[type-arg]
    _ext_lengths: array = field(default_factory=lambda: array("Q"))  # type: ignore[type-arg]

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
        if -0x80000000 < best - self._high < 0x80000000:
            return best  # nearer than 2 GiB: the windows either side are farther
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
            if self.in_place:
                self._add_extent(off, payload, seg.payload_at)
            if not self.in_place:
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

    def _add_extent(self, off: int, payload: bytes | memoryview, place: int) -> None:
        """Keep `payload` (at `place` in the capture) as extents, or turn to a file.

        The parts of the segment that fall in bytes not seen yet (after the end, or in a
        hole: a segment captured out of order) become extents. The parts over bytes
        already seen (a retransmission: loopback captures under load have them) must
        repeat them; if one does not, writing it would change what the direction holds,
        so the direction becomes a file, where the later bytes win."""
        if place < 0 or self.source is None:
            self._to_file()
            return
        end = off + len(payload)
        offsets = self._ext_offsets
        if not self.ends or off >= self.ends[-1]:  # the common case: after the end
            offsets.append(off)
            self._ext_places.append(place)
            self._ext_lengths.append(len(payload))
            return
        gaps: list[tuple[int, int]] = []
        pos = off
        i = bisect.bisect_right(self.ends, off)  # the first covered range ending after off
        while pos < end:
            if i < len(self.starts) and self.starts[i] < end:
                a, b = max(self.starts[i], pos), min(self.ends[i], end)
                if self.starts[i] > pos:
                    gaps.append((pos, self.starts[i]))
                if a < b and self.read(a, b - a) != bytes(payload[a - off : b - off]):
                    self._to_file()
                    return
                pos = max(pos, self.ends[i])
                i += 1
            else:
                gaps.append((pos, end))
                pos = end
        for a, b in gaps:
            k = bisect.bisect_left(offsets, a)
            offsets.insert(k, a)
            self._ext_places.insert(k, place + (a - off))
            self._ext_lengths.insert(k, b - a)

    def _to_file(self) -> None:
        """Stop being extents: write them to the temporary file (created now)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        self.release()
        self.fd = fd
        if self.source is not None:
            for off, place, n in zip(self._ext_offsets, self._ext_places,
                                     self._ext_lengths, strict=True):
                os.pwrite(fd, os.pread(self.source, n, place), off)
        self.in_place = False
        self._ext_offsets, self._ext_places, self._ext_lengths = array("Q"), array("Q"), array("Q")

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

    def peek(self, offset: int, size: int) -> bytes:
        """`read` for a few bytes (a record header): one `pread` where one extent holds
        them, without `read`'s general path (64 000 TLS headers per GB: 5 µs → 2 µs)."""
        if self.in_place and self.source is not None:
            starts = self._ext_offsets
            i = bisect.bisect_right(starts, offset) - 1
            if i >= 0:
                start = starts[i]
                if offset + size <= start + self._ext_lengths[i]:
                    return os.pread(self.source, size, self._ext_places[i] + offset - start)
        return self.read(offset, size)

    def read(self, offset: int, size: int) -> bytes:
        """Bytes [offset, offset + size) of the direction, short at its end; holes read
        as zeros (as from the sparse temporary file)."""
        return self._read(offset, size, None)

    def read_mapped(self, offset: int, size: int, mapping: mmap.mmap | None) -> bytes:
        """`read`, with the spans of extents sliced from `mapping` (the capture file
        mapped, as `source`) instead of read by `pread`: for the scanning workers' 4 MiB
        chunks, one copy of the bytes instead of two (the kernel's into the span, then
        the join), 1.2 → 0.7 ms per chunk. The pages of each span are given back
        (`madvise`) once copied, so the mapping does not add to the resident set."""
        return self._read(offset, size, mapping)

    def _read(self, offset: int, size: int, mapping: mmap.mmap | None) -> bytes:
        if not self.in_place:
            return os.pread(self._open(), size, offset)
        end = min(offset + size, self.length)
        if end <= offset or self.source is None:
            return b""
        starts, places, lengths = self._ext_offsets, self._ext_places, self._ext_lengths
        first = max(bisect.bisect_right(starts, offset) - 1, 0)
        last = bisect.bisect_left(starts, end, first)  # extents [first, last) may overlap
        if last == first:  # before the first extent: a hole
            return bytes(end - offset)
        if last - first == 1 and starts[first] <= offset < end <= starts[first] + lengths[first]:
            # one payload holds it all (a record header, the opening, many reads)
            return os.pread(self.source, end - offset, places[first] + offset - starts[first])
        pieces: list[bytes | memoryview] = []
        given_back: list[tuple[int, int]] = []  # spans of `mapping` to give back
        pos = offset
        i = first
        while i < last:
            # a run of extents that follow each other closely in the capture (in order,
            # only headers and the other direction's small packets between them): one
            # read of the span that holds them, then a slice of each
            j = i + 1
            while j < last and 0 <= places[j] - places[j - 1] - lengths[j - 1] <= (
                    _SPAN_SLACK + lengths[j]):
                j += 1
            lo = places[i] + min(max(pos - starts[i], 0), lengths[i])
            hi = places[j - 1] + max(min(end - starts[j - 1], lengths[j - 1]), 0)
            if mapping is not None and hi <= len(mapping):
                view = memoryview(mapping)[lo:hi]
                given_back.append((lo, hi))
            else:
                view = memoryview(os.pread(self.source, hi - lo, lo))
            for k in range(i, j):
                start, n = starts[k], lengths[k]
                if start > pos:  # a hole before this extent
                    pieces.append(bytes(start - pos))
                    pos = start
                stop = min(start + n, end)
                if stop > pos:
                    at = places[k] + (pos - start) - lo
                    pieces.append(view[at : at + (stop - pos)])
                    pos = stop
            i = j
        if pos < end:  # a hole after the last extent read (another extent follows it)
            pieces.append(bytes(end - pos))
        data = b"".join(pieces)
        pieces.clear()
        if mapping is not None:
            for lo, hi in given_back:
                start = lo & ~(mmap.PAGESIZE - 1)
                if hi > start:
                    mapping.madvise(mmap.MADV_DONTNEED, start, hi - start)
        return data


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
        data = bytes(seg.payload[: OPENING_LIMIT - self._opening[d]])
        self._opening[d] += len(data)
        self._next[d] = offset + len(seg.payload)
        if self.turns and self.turns[-1][1] == d:
            t, _, prev = self.turns[-1]
            self.turns[-1] = (t, d, prev + data)
        else:
            self.turns.append((seg.time, d, data))


class StreamTable:
    """Dispatch segments to connections; owns the temporary files (close() removes them)."""

    def __init__(self, workdir: str, source: int | None = None) -> None:
        self._dir = workdir
        self._source = source  # descriptor of a mapped capture (CaptureReader.payload_fd)
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
        direction = Direction(src[0], src[1], dst[0], dst[1], path, source=self._source)
        if self._source is None:  # no extents: the bytes go to the file from the start
            direction._to_file()
        return direction

    def close(self) -> None:
        for s in self.streams:
            for d in s.directions:
                d.release()
