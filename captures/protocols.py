"""What each reassembled stream carries: protocol, frames/records, channel start.

Fast structural parsing of the reassembled streams (headers only, read with
`pread`, payloads skipped) so that the checker knows where the secure channel
starts in each direction (entropy is judged after that point), can draw the
ladder of frames, and can say which application frames are readable.
The authoritative protocol *facts* (TLS version, cipher, certificates) come from
tshark through captures.facts; this module only needs record boundaries.
"""

from __future__ import annotations

__all__ = ["Unit", "DirectionLayout", "classify", "layout", "MAX_UNITS_KEPT"]

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from captures.reassembly import TcpStream

_TYPE = re.compile(rb"^[A-Z0-9_]{4}$")
MAX_UNITS_KEPT = 60  # units remembered per direction for the ladder (head and tail)
_HEAD = 45
_TLS_TYPES = {20: "ChangeCipherSpec", 21: "Alert", 22: "Handshake", 23: "ApplicationData"}
# sft frames whose content is application data: readable on the wire = a leak
APPLICATION_FRAMES = frozenset({"RQFL", "RSFL", "PUTF", "DATA", "DONE", "BYE_"})
EKE_HANDSHAKE = frozenset({"EKE1", "EKE2", "EKE3", "EKE4"})


@dataclass(frozen=True)
class Unit:
    """One frame or record in a direction: where it starts and what it is."""

    offset: int
    kind: str  # sft frame type, TLS record type name, or "bytes" for unframed turns
    length: int  # payload length announced (sft) or record length (TLS)


@dataclass
class DirectionLayout:
    units: list[Unit] = field(default_factory=list)  # first _HEAD and last few
    count: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    channel_offset: int | None = None  # where ciphertext starts (None: never / unknown)
    clear_app_frames: list[Unit] = field(default_factory=list)  # bounded
    framing_error: str = ""

    def add(self, unit: Unit) -> None:
        self.count += 1
        self.counts[unit.kind] = self.counts.get(unit.kind, 0) + 1
        if len(self.units) < MAX_UNITS_KEPT:
            self.units.append(unit)
        else:
            # keep the first _HEAD units and a sliding tail
            del self.units[_HEAD]
            self.units.append(unit)


def classify(stream: TcpStream) -> str:
    """Name the protocol of a stream from its opening bytes (both directions)."""
    first = {0: b"", 1: b""}
    for _, d, data in stream.turns:
        if not first[d]:
            first[d] = data
    fwd, bwd = first[0], first[1]
    if len(fwd) >= 3 and fwd[0] == 0x16 and fwd[1] == 0x03:
        return "tls"
    if len(fwd) >= 8 and _TYPE.match(fwd[:4]):
        t = fwd[:4]
        if t == b"EKE1":
            return "sft-eke/1"
        if t == b"SECE":
            return "sft-pki/0"
        return "sft-clear"
    if bwd.startswith(b"u_ack") or bwd.startswith(b"Wrong Username"):
        return "sft-eke/0"
    if fwd[:4] in (b"GET ", b"POST", b"PUT ", b"HEAD"):
        return "http"
    return "unknown"


class _BlockReader:
    """`read(offset, size)` served from blocks read ahead: the headers walked here are
    close together (a TLS record is at most ~16 KiB), and one read of a block per ~16
    headers costs less than a read per header (on 1 GB, 64 000 reads took ~0.4 s)."""

    def __init__(self, read: Callable[[int, int], bytes], block: int = 256 * 1024) -> None:
        self._read = read
        self._block = block
        self._start = 0
        self._data = b""

    def __call__(self, offset: int, size: int) -> bytes:
        at = offset - self._start
        if at < 0 or at + size > len(self._data):
            self._data = self._read(offset, max(size, self._block))
            self._start, at = offset, 0
        return self._data[at : at + size]


def layout(
    protocol: str, read: Callable[[int, int], bytes], length: int, forward: bool,
    peek: Callable[[int, int], bytes] | None = None,
) -> DirectionLayout:
    """The frames/records of a direction. `peek` (optional) reads a few bytes cheaply
    (`Direction.peek`: one `pread` where one captured segment holds them): TLS headers
    are then read one by one instead of in blocks that copy the whole direction."""
    out = DirectionLayout()
    if protocol == "tls":
        _tls(out, peek or _BlockReader(read), length)
        return out
    read = _BlockReader(read)
    if protocol in ("sft-eke/1", "sft-pki/0", "sft-clear"):
        _sft(out, read, length, protocol, forward)
    else:
        out.channel_offset = None
    return out


def _tls(out: DirectionLayout, read: Callable[[int, int], bytes], length: int) -> None:
    # what DirectionLayout.add does, in a tight loop: a 1 GB direction has 64 000
    # records, and a Unit and a call per record cost ~3 µs each; Units are made only for
    # the records kept (the first _HEAD and the last MAX_UNITS_KEPT - _HEAD)
    pos = 0
    count = 0
    counts: dict[int, int] = {}
    head: list[tuple[int, int, int]] = []
    tail: deque[tuple[int, int, int]] = deque(maxlen=MAX_UNITS_KEPT - _HEAD)
    channel = out.channel_offset
    try:
        while pos + 5 <= length:
            hdr = read(pos, 5)
            if len(hdr) < 5 or hdr[1] != 0x03:
                out.framing_error = f"not a TLS record at offset {pos}"
                return
            t = hdr[0]
            n = (hdr[3] << 8) | hdr[4]
            if t == 23 and channel is None:
                channel = pos
            counts[t] = counts.get(t, 0) + 1
            count += 1
            if count <= _HEAD:
                head.append((pos, t, n))
            else:
                tail.append((pos, t, n))
            pos += 5 + n
    finally:
        out.channel_offset = channel
        out.count += count
        for t, c in counts.items():
            kind = _TLS_TYPES.get(t, f"type{t}")
            out.counts[kind] = out.counts.get(kind, 0) + c
        out.units += [Unit(p, _TLS_TYPES.get(t, f"type{t}"), n) for p, t, n in (*head, *tail)]


def _sft(
    out: DirectionLayout, read: Callable[[int, int], bytes], length: int, protocol: str,
    forward: bool,
) -> None:
    pos = 0
    while pos + 8 <= length:
        hdr = read(pos, 8)
        if len(hdr) < 8 or not _TYPE.match(hdr[:4]):
            out.framing_error = f"no sft frame header at offset {pos}"
            return
        kind = hdr[:4].decode("ascii")
        n = int.from_bytes(hdr[4:8], "big")
        unit = Unit(pos, kind, n)
        out.add(unit)
        if kind in APPLICATION_FRAMES and len(out.clear_app_frames) < 20:
            out.clear_app_frames.append(unit)
        pos += 8 + n
        if protocol == "sft-eke/1" and out.channel_offset is None:
            # the client's channel starts after EKE3, the server's after EKE4
            if (forward and kind == "EKE3") or (not forward and kind == "EKE4"):
                out.channel_offset = pos
