"""Search a reassembled byte stream for secrets, raw and in derived forms.

Secrets are texts (a password, a file name) or files (every 16-byte window of the
file counts). The search must stay fast on 100 MB+ of ciphertext, in pure Python:

* Text secrets are few and short: each encoded form (raw, hex, base64 at the three
  alignments, UTF-16LE/BE) is searched with `bytes.find`, which is C-speed.
* A secret file can be large, so its windows go into a dictionary of 8-byte keys
  (little-endian uint64), and the stream is probed only at offsets that are
  multiples of 8: the probe keys of a 4 MiB chunk are made in C by `array("Q")` and
  tested in C (`dict.keys() & probes`). Any 16-byte window of the file present in
  the stream contains a probe position p (p ≡ 0 mod 8) with stream[p:p+8] inside
  the window, so indexing the file at *every* offset finds it. The test boxes
  every probe into an int: ~0.4 s per 100 MB against 10 000 keys, ~0.7–1.1 s
  against 100 000 (cache misses; both machine-load dependent), so the index is
  capped (`max_keys`). A longer file is indexed every `stride` bytes (stride odd,
  so coprime with the probe spacing), which guarantees detection of any shared run
  of at least spacing·stride + 7 bytes; the report states that length
  (`min_detectable`). Files that large are probed every 32 bytes with up to 4× the
  keys (a quarter of the probes at the same guarantee: 0.64–0.71 s instead of
  0.86–1.04 s per 100 MB against a 100 MB secret file).
  A prefilter cannot help here without a vectorised gather: `bytes.translate`
  looks up 8 bits, and 100 000 keys set every entry of any 8-bit table
  (numpy's bitmap gather measured 0.27 s per 100 MB, but is not a dependency).
  A key that stands in several places of the secrets (text repeats 8-grams: runs of
  spaces, common words) keeps up to 64 of its other places: a seed that does not
  extend to a whole window at the key's first place is tried at those, so a window
  whose only probe is a repeated 8-gram is still found where it came from.
* Derived forms of the stream (hex, base64, UTF-16 text, gzip/zlib streams) are
  found by mapping the chunk through `bytes.translate` to a class alphabet and
  looking for long runs with `bytes.find` (measured: the equivalent regular
  expressions cost 1.1–2.4 s per 100 MB of random bytes); each run is decoded and
  scanned like raw bytes, and a finding points at the run in the stream.
"""

from __future__ import annotations

__all__ = ["FileBytes", "Secret", "SecretMatch", "SecretIndex", "StreamScanner", "CHUNK"]

import base64
import binascii
import os
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 4 * 1024 * 1024
_OVERLAP = 4096  # multiple of 8; longer than any encoded form of a 16-byte window
WINDOW = 16
_KEY = 8
_SPARSE_PROBE = 32  # probe spacing for strided (large) files: a multiple of _KEY
_SPARSE_FACTOR = _SPARSE_PROBE // _KEY  # so they may have this many times the keys
_MAX_REPEATS = 64  # further places tried for one repeated key (a bound on the work)
_FILE_SHIFT = 48  # index values: file number << 48 | offset (files below 256 TiB)
_OFFSET_MASK = (1 << _FILE_SHIFT) - 1

_HEX_TABLE = bytes(ord("h") if chr(b) in "0123456789abcdefABCDEF" else ord(".") for b in range(256))
_B64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
_B64_TABLE = bytes(ord("b") if chr(b) in _B64_CHARS else ord(".") for b in range(256))
_U16_TABLE = bytes(
    ord("p") if (0x20 <= b < 0x7F or b in (9, 10, 13)) else (ord("z") if b == 0 else ord("."))
    for b in range(256)
)
_HEX_RUN = b"h" * 32  # 16 bytes in hex
_B64_RUN = b"b" * 24  # 16+ bytes in base64 at any alignment (needs 24 chars)
_U16_RUN = b"pz" * 8  # 8 UTF-16 code units of ASCII text
# gzip's magic 1f 8b 08 and the four zlib headers 78 {01,5e,9c,da} (CMF 0x78 with a
# valid FCHECK), mapped by one translate to "gke" and "xz", then found with two
# bytes.find loops: 0.15 s per 100 MB of random bytes, against 0.47 s for five finds
# on the raw bytes and 0.78 s for the equivalent regular expression.
_MAGIC_TABLE = bytes(
    {0x1F: ord("g"), 0x8B: ord("k"), 0x08: ord("e"), 0x78: ord("x"), 0x01: ord("z"),
     0x5E: ord("z"), 0x9C: ord("z"), 0xDA: ord("z")}.get(b, ord(".")) for b in range(256)
)
_COMPRESSED_MAGIC = (b"gke", b"xz")
_MAX_INFLATE = 16 * 1024 * 1024  # bound on what one compressed candidate may expand to
_MAX_INFLATE_TRIES = 4096  # per chunk: random data has a zlib-looking header every ~16 KiB


class FileBytes:
    """Read-only `bytes`-like view of a file through `pread`: len() and slices only.

    A large secret file is read through this, so a 1 GB secret costs the checker
    neither 1 GB of heap nor 1 GB of mapped pages: only its bounded key index.
    """

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._size = os.fstat(self._fd).st_size

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, item: slice) -> bytes:
        start, stop, step = item.indices(self._size)
        if step != 1:
            raise ValueError("FileBytes supports contiguous slices only")
        return os.pread(self._fd, max(stop - start, 0), start) if stop > start else b""

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        self.close()


@dataclass(frozen=True)
class Secret:
    """A secret to look for: a text (searched whole) or a file (searched by windows)."""

    name: str
    data: bytes | FileBytes
    is_file: bool = False

    @classmethod
    def from_file(cls, path: Path, name: str | None = None) -> Secret:
        if path.stat().st_size < 1024 * 1024:
            return cls(name or path.name, path.read_bytes(), is_file=True)
        return cls(name or path.name, FileBytes(path), is_file=True)


@dataclass(frozen=True)
class SecretMatch:
    secret: str
    encoding: str  # raw, hex, base64, utf-16, gzip, zlib
    offset: int  # offset in the stream of the first byte of the evidence
    length: int  # bytes of the stream covered by the evidence
    secret_offset: int | None  # where the matched bytes start in the secret file


def _text_forms(data: bytes) -> list[tuple[str, bytes]]:
    forms = [("raw", data), ("hex", data.hex().encode()), ("hex", data.hex().upper().encode())]
    for shift in range(3):
        # base64 of the secret preceded by `shift` unknown bytes: the characters that
        # do not depend on those bytes (or on the bytes after) are a fixed substring.
        enc = base64.b64encode(b"\0" * shift + data)
        start = {0: 0, 1: 2, 2: 3}[shift]
        end = len(enc) - (4 if (shift + len(data)) % 3 else 0)
        core = enc[start:end]
        if len(core) >= 4:
            forms.append(("base64", core))
            forms.append(("base64", core.replace(b"+", b"-").replace(b"/", b"_")))
    try:
        text = data.decode("utf-8")
        forms.append(("utf-16", text.encode("utf-16-le")))
        forms.append(("utf-16", text.encode("utf-16-be")))
    except UnicodeDecodeError:
        pass
    seen: set[bytes] = set()
    out: list[tuple[str, bytes]] = []
    for enc_name, pattern in forms:
        if pattern and pattern not in seen:
            seen.add(pattern)
            out.append((enc_name, pattern))
    return out


class SecretIndex:
    """The secrets, prepared for scanning: text forms for `find`, file windows as keys.

    Files of at most `max_keys` windows are indexed at every offset ("dense": probed
    every 8 bytes). Larger files are indexed every `stride` bytes, stride odd, and
    probed every `_SPARSE_PROBE` (32) bytes: up to 4·max_keys keys for 1/4 of the
    probes. The run guaranteed is _SPARSE_PROBE·stride + 7 bytes, as with 8-byte
    probes and a 4× larger stride, but a probe costs about the same against 400 000
    keys as against 100 000 (the time is in boxing the probes), so the scan of a
    large secret file's stream costs half as much.
    """

    def __init__(self, secrets: list[Secret], max_keys: int = 200_000) -> None:
        self.secrets = secrets
        self.texts: list[tuple[str, str, bytes]] = []  # (secret, encoding, pattern)
        self.raw_texts: list[tuple[str, bytes]] = []  # raw form only: for decoded views
        # key -> file number << _FILE_SHIFT | offset in file; first occurrence wins
        self.dense: dict[int, int] = {}  # probed at every multiple of 8
        self.sparse: dict[int, int] = {}  # probed at every multiple of _SPARSE_PROBE
        # key -> every further packed occurrence of a key that stands in more than one
        # place (text files repeat 8-grams: runs of spaces, common words); a seed whose
        # first occurrence does not extend to a window is tried there too. Bounded.
        self.repeats: dict[int, list[int]] = {}
        self.files: list[Secret] = []
        self.coverage: dict[str, int] = {}  # secret name -> min detectable run (bytes)
        budget = max_keys
        for s in secrets:
            if not s.is_file or len(s.data) < WINDOW:
                if s.data:
                    text = s.data[0 : len(s.data)]
                    for enc, pat in _text_forms(text):
                        self.texts.append((s.name, enc, pat))
                    self.raw_texts.append((s.name, text))
                    self.coverage[s.name] = len(s.data)
                continue
            n_windows = len(s.data) - _KEY + 1
            fileno = len(self.files)
            self.files.append(s)
            if n_windows <= budget:
                stride, keys, probe = 1, self.dense, _KEY
            else:
                # strided, probed every 8 bytes or (4x the keys) every 32: every 32
                # unless its guarantee is over 1% longer (rounding strides to odd
                # numbers makes them differ a little; a quarter of the probes is worth it)
                dense_stride = _odd(-(-n_windows // max(budget, 1)))
                stride = _odd(-(-n_windows // (_SPARSE_FACTOR * max(budget, 1))))
                keys, probe = self.sparse, _SPARSE_PROBE
                if 100 * _SPARSE_PROBE * stride > 101 * _KEY * dense_stride:
                    stride, keys, probe = dense_stride, self.dense, _KEY
            _add_keys(keys, s.data, n_windows, stride, fileno << _FILE_SHIFT, self.repeats)
            budget = max(budget - n_windows // stride // (probe // _KEY), 1)
            self.coverage[s.name] = WINDOW if stride == 1 and probe == _KEY else (
                probe * stride + _KEY - 1)

    def scan_buffer(
        self, buf: bytes, texts: bool = True
    ) -> Iterator[tuple[str, int, int, int | None]]:
        """Yield (secret, offset in buf, length, offset in secret) for raw matches in buf."""
        if texts:
            for name, pat in self.raw_texts:
                i = buf.find(pat)
                while i >= 0:
                    yield name, i, len(pat), None
                    i = buf.find(pat, i + len(pat))
        if len(buf) < _KEY or not (self.dense or self.sparse):
            return
        probes = array("Q")
        if probes.itemsize != _KEY:  # pragma: no cover - every CPython platform has 8
            raise RuntimeError("array('Q') is not 8 bytes here")
        probes.frombytes(memoryview(buf)[: len(buf) // _KEY * _KEY])
        # the membership tests run in C (dict view & iterable): only hits reach Python
        candidates: list[tuple[int, int, int]] = []  # (offset in buf, packed offset, key)
        if self.dense:
            hits = self.dense.keys() & probes
            if hits:
                candidates += [(i * _KEY, self.dense[k], k) for i, k in enumerate(probes)
                               if k in hits]
        if self.sparse:
            sparse_probes = probes[:: _SPARSE_PROBE // _KEY]
            hits = self.sparse.keys() & sparse_probes
            if hits:
                candidates += [(i * _SPARSE_PROBE, self.sparse[k], k)
                               for i, k in enumerate(sparse_probes) if k in hits]
        skip_to = 0
        for pos, first, key in sorted(candidates):
            if pos < skip_to:
                continue
            for packed in (first, *self.repeats.get(key, ())):
                fileno, fpos = packed >> _FILE_SHIFT, packed & _OFFSET_MASK
                found = self._extend(buf, pos, self.files[fileno].data, fpos)
                if found is not None and found[2] >= WINDOW:
                    start, fstart, length = found
                    yield self.files[fileno].name, start, length, fstart
                    skip_to = start + length
                    break

    @staticmethod
    def _extend(
        buf: bytes, pos: int, data: bytes | FileBytes, fpos: int
    ) -> tuple[int, int, int] | None:
        # grow the 8-byte seed match both ways with slice comparisons (memcmp), doubling
        # then bisecting, so a 100 MB run costs a few dozen comparisons, not a loop per byte
        if buf[pos : pos + _KEY] != data[fpos : fpos + _KEY]:
            return None
        fwd = _common_length(lambda n: buf[pos : pos + n] == data[fpos : fpos + n],
                             min(len(buf) - pos, len(data) - fpos))
        back = _common_length(lambda n: buf[pos - n : pos] == data[fpos - n : fpos],
                              min(pos, fpos))
        return pos - back, fpos - back, back + fwd


def _odd(n: int) -> int:
    """n, or n + 1 if n is even: a stride coprime with the probe spacings (powers of 2)."""
    return n + 1 - n % 2


def _add_keys(
    keys: dict[int, int], data: bytes | FileBytes, n_windows: int, stride: int, tag: int,
    repeats: dict[int, list[int]],
) -> None:
    """Index the 8-byte window at every `stride`-th offset of `data` (tagged with the
    file number), the first occurrence of a key winning: the keys of a 1 MiB block are
    cut out with strided slices, made into integers by `array` and inserted by
    `dict.update`, all in C (the blocks go last to first, so that the first wins).
    Keys that stand in several places also get their other places in `repeats` (at
    most _MAX_REPEATS each; they are found by counting, in C, once per block)."""
    block = 1024 * 1024 // stride * stride or stride  # whole strides per block
    fresh: dict[int, int] = {}
    counts: Counter[int] = Counter()
    blocks: list[tuple[array[int], range]] = []
    for base in reversed(range(0, n_windows, block)):
        count = -(-min(block, n_windows - base) // stride)
        # one block (plus the 7 bytes the last key needs) in memory at a time
        buf = data[base : base + (count - 1) * stride + _KEY]
        raw = bytearray(count * _KEY)
        for j in range(_KEY):
            raw[j::_KEY] = buf[j : j + (count - 1) * stride + 1 : stride]
        offsets = range(tag | base, tag | (base + count * stride), stride)
        block_keys = array("Q", raw)
        fresh.update(zip(reversed(block_keys), reversed(offsets), strict=True))
        counts.update(block_keys)
        blocks.append((block_keys, offsets))
    repeated = {k for k, n in counts.items() if n > 1} | (fresh.keys() & keys.keys())
    if repeated:
        for block_keys, offsets in reversed(blocks):  # first to last
            for key, packed in zip(block_keys, offsets, strict=True):
                if key in repeated and packed != keys.get(key, fresh.get(key)):
                    others = repeats.setdefault(key, [])
                    if len(others) < _MAX_REPEATS:
                        others.append(packed)
    for key in fresh.keys() & keys.keys():  # an earlier file's key wins
        del fresh[key]
    keys.update(fresh)


def _common_length(equal: Callable[[int], bool], limit: int) -> int:
    lo, hi = 0, 1
    while hi <= limit and equal(hi):
        lo, hi = hi, hi * 2
    hi = min(hi, limit + 1)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if equal(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _runs(translated: bytes, needle: bytes, other: int) -> Iterator[tuple[int, int]]:
    """(start, end) of maximal runs of class bytes that contain `needle`."""
    pos = translated.find(needle)
    while pos >= 0:
        start = translated.rfind(bytes([other]), 0, pos) + 1
        end = translated.find(bytes([other]), pos)
        if end < 0:
            end = len(translated)
        yield start, end
        pos = translated.find(needle, end)


class StreamScanner:
    """Scan one direction (read through `read(offset, size)`) for every secret and form."""

    def __init__(self, index: SecretIndex) -> None:
        self.index = index

    def scan(
        self,
        read: Callable[[int, int], bytes],
        length: int,
        ranges: list[tuple[int, int]] | None = None,
        limit: int | None = None,
    ) -> list[SecretMatch]:
        """Scan [start, end) ranges (default: the whole stream); holes are never read,
        so a forged far-away sequence number cannot make us scan gigabytes of zeros.

        `limit` lets a part of a range (a worker's share) read its last overlap from
        beyond its end, so that parts scanned separately find what one pass finds.
        """
        found: dict[tuple[str, str, int], SecretMatch] = {}
        for start, end in ranges if ranges is not None else [(0, length)]:
            pos = start
            stop = end if limit is None else max(limit, end)
            while pos < end:
                chunk = read(pos, min(CHUNK + _OVERLAP, stop - pos))
                if not chunk:
                    break
                for m in self._scan_chunk(chunk, pos, read, stop):
                    key = (m.secret, m.encoding, m.offset)
                    if key not in found:
                        found[key] = m
                pos += CHUNK
        return self.merge(list(found.values()))

    @staticmethod
    def merge(matches: list[SecretMatch]) -> list[SecretMatch]:
        """Deduplicate and merge overlapping findings (also across separately scanned parts)."""
        unique = {(m.secret, m.encoding, m.offset): m for m in matches}
        return _merge(sorted(unique.values(), key=lambda m: (m.offset, m.secret, m.encoding)))

    def _scan_chunk(
        self, chunk: bytes, base: int, read: Callable[[int, int], bytes], length: int
    ) -> Iterator[SecretMatch]:
        ix = self.index
        for name, enc, pat in ix.texts:
            i = chunk.find(pat)
            while i >= 0:
                yield SecretMatch(name, enc, base + i, len(pat), None)
                i = chunk.find(pat, i + 1)
        for name, off, n, foff in ix.scan_buffer(chunk, texts=False):
            yield SecretMatch(name, "raw", base + off, n, foff)
        yield from self._decoded(chunk, base)
        yield from self._inflated(chunk, base, read, length)

    def _decoded(self, chunk: bytes, base: int) -> Iterator[SecretMatch]:
        ix = self.index
        # Hex digits are base64 characters, so a hex run lies inside a base64-class run:
        # one translate of the chunk finds both (the hex table is applied to runs only).
        b64map = chunk.translate(_B64_TABLE)
        for start, end in _runs(b64map, _B64_RUN, ord(".")):
            hexmap = chunk[start:end].translate(_HEX_TABLE)
            for hs, he in _runs(hexmap, _HEX_RUN, ord(".")):
                for align in (0, 1):
                    s = start + hs + align
                    e = s + (start + he - s) // 2 * 2
                    try:
                        decoded = bytes.fromhex(chunk[s:e].decode("ascii"))
                    except ValueError:
                        continue
                    for name, off, n, foff in ix.scan_buffer(decoded, texts=bool(ix.files)):
                        yield SecretMatch(name, "hex", base + s + 2 * off, 2 * n, foff)
            run = chunk[start:end].replace(b"-", b"+").replace(b"_", b"/")
            for align in range(4):
                piece = run[align:]
                piece = piece[: len(piece) // 4 * 4]
                try:
                    decoded = binascii.a2b_base64(piece)
                except binascii.Error:
                    continue
                for name, off, n, foff in ix.scan_buffer(decoded, texts=bool(ix.files)):
                    yield SecretMatch(name, "base64", base + start + align + off * 4 // 3,
                                      -(-n * 4 // 3), foff)
        u16map = chunk.translate(_U16_TABLE)
        for start, end in _runs(u16map, _U16_RUN, ord(".")):
            # align on the text bytes: the needle starts on one; a stray printable byte
            # of the surroundings may start the run one byte early
            anchor = u16map.find(_U16_RUN, start)
            first = anchor - (anchor - start) // 2 * 2
            decoded = chunk[first:end:2]
            for name, off, n, foff in ix.scan_buffer(decoded, texts=bool(ix.files)):
                yield SecretMatch(name, "utf-16", base + first + 2 * off, 2 * n, foff)

    def _inflated(
        self, chunk: bytes, base: int, read: Callable[[int, int], bytes], length: int
    ) -> Iterator[SecretMatch]:
        ix = self.index
        limit = min(len(chunk), CHUNK)  # candidates in the overlap belong to the next chunk
        starts: list[int] = []
        classes = chunk.translate(_MAGIC_TABLE)
        for magic in _COMPRESSED_MAGIC:
            i = classes.find(magic, 0, limit + len(magic) - 1)
            while i >= 0 and len(starts) < _MAX_INFLATE_TRIES:
                starts.append(i)
                i = classes.find(magic, i + 1, limit + len(magic) - 1)
        for start in sorted(starts):
            gzip = chunk[start] == 0x1F
            out = _inflate(read, base + start, length, gzip)
            if not out:
                continue
            enc = "gzip" if gzip else "zlib"
            for name, _off, _n, foff in ix.scan_buffer(out):
                # the compressed bytes cannot be mapped back byte by byte; the
                # evidence is the compressed stream that starts here
                yield SecretMatch(name, enc, base + start, 0, foff)
                break


def _inflate(read: Callable[[int, int], bytes], offset: int, length: int, gzip: bool) -> bytes:
    d = zlib.decompressobj(31 if gzip else 15)
    out = bytearray()
    pos = offset
    try:
        # a tiny first step rejects the many false headers of random data cheaply
        step = 64
        while pos < length and len(out) < _MAX_INFLATE and not d.eof:
            data = read(pos, step)
            if not data:
                break
            out += d.decompress(data, _MAX_INFLATE - len(out))
            pos += len(data)
            step = 256 * 1024
    except zlib.error:
        return bytes(out) if d.eof else b""
    return bytes(out) if len(out) >= 8 else b""


def _merge(matches: list[SecretMatch]) -> list[SecretMatch]:
    """Merge overlapping findings of the same secret and encoding into one."""
    out: list[SecretMatch] = []
    last: dict[tuple[str, str], int] = {}
    for m in matches:
        k = (m.secret, m.encoding)
        j = last.get(k)
        if j is not None:
            prev = out[j]
            if m.offset <= prev.offset + prev.length and m.length:
                end = max(prev.offset + prev.length, m.offset + m.length)
                out[j] = SecretMatch(prev.secret, prev.encoding, prev.offset,
                                     end - prev.offset, prev.secret_offset)
                continue
        last[k] = len(out)
        out.append(m)
    return out
