"""Search a reassembled byte stream for secrets, raw and in derived forms.

Secrets are texts (a password, a file name) or files (every 16-byte window of the
file counts). The search must keep up with tshark on 100 MB+ of ciphertext; it
works a 4 MiB chunk at a time, in numpy and in C-speed `bytes` methods:

* Text secrets are few and short: each encoded form (raw, hex, base64 at the three
  alignments, UTF-16LE/BE) is searched with `bytes.find`, which is C-speed.
* A secret file can be large, so its windows become 8-byte keys (little-endian
  uint64) in a sorted table, and the stream is probed only at offsets that are
  multiples of 8: a chunk's probes are one `np.frombuffer`, tested all at once
  against a hashed bit filter, then by binary search (`_KeyTable`). Any 16-byte window
  of the file present in the stream contains a probe position p (p ≡ 0 mod 8) with
  stream[p:p+8] inside the window, so indexing the file at *every* offset finds it.
  The index is capped (`max_keys`). A longer file is indexed every `stride` bytes
  (stride odd, so coprime with the probe spacing), which guarantees detection of any
  shared run of at least spacing·stride + 7 bytes; the report states that length
  (`min_detectable`). Files that large are probed every 32 bytes with up to 4× the
  keys (a quarter of the probes at the same guarantee).
  A key that stands in several places of the secrets (text repeats 8-grams: runs of
  spaces, common words) keeps up to 64 of its other places: a seed that does not
  extend to a whole window at the key's first place is tried at those, so a window
  whose only probe is a repeated 8-gram is still found where it came from.
* Derived forms of the stream (hex, base64, UTF-16 text, gzip/zlib streams): word-wide
  numpy tests first tell whether a chunk can hold a run of base64 characters or of
  UTF-16 text at all (random ciphertext almost never can: `_may_hold_base64_run`),
  and only such a chunk is mapped through `bytes.translate` to a class alphabet and
  searched for long runs with `bytes.find`; each run is decoded and scanned like raw
  bytes, and a finding points at the run in the stream. Compressed streams start at a
  gzip or zlib header, found with numpy (`_compressed_starts`) and inflated.

Measured per 4 MiB chunk of random bytes against a 100 MB secret file (CPU time, on
the project's 2-core machine): 13 ms, where the pure-Python version (a dictionary of
keys tested with `dict.keys() & probes`, three translates per chunk) took 72 ms; the
index of that file is built in 0.25 s instead of 0.49 s.
"""

from __future__ import annotations

__all__ = ["FileBytes", "Secret", "SecretMatch", "SecretIndex", "StreamScanner", "CHUNK"]

import base64
import binascii
import mmap
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

CHUNK = 4 * 1024 * 1024
_OVERLAP = 4096  # multiple of 8; longer than any encoded form of a 16-byte window
WINDOW = 16
_KEY = 8
_SPARSE_PROBE = 32  # probe spacing for strided (large) files: a multiple of _KEY
_SPARSE_FACTOR = _SPARSE_PROBE // _KEY  # so they may have this many times the keys
_MAX_REPEATS = 64  # further places tried for one repeated key (a bound on the work)
_FILE_SHIFT = 48  # index values: file number << 48 | offset (files below 256 TiB)
_OFFSET_MASK = (1 << _FILE_SHIFT) - 1
_KEY_DTYPE = np.dtype("<u8")  # a key: 8 bytes of the file as a little-endian integer
_KEY_BLOCK = 8 * 1024 * 1024  # a large secret file is read this much at a time
_MAP_WINDOW = 16 * 1024 * 1024  # ... or mapped this much at a time
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / φ, odd: Fibonacci hashing
_FILTER_LOAD = 64  # filter bits per key (at least): ~1.5% of random probes pass
_FILTER_MAX_BITS = 25  # 4 MiB of filter at most (400 000 keys: 1.2% pass)
# A second filter, with another multiplier, for the probes that pass the first: a
# binary search in 400 000 keys costs ~1 µs (a cache miss per level), and 1.2% of a
# chunk's 131 000 probes took 1.6 ms of it per 4 MiB; 8 bits per key (at most 512 KiB)
# let ~12% of those through, which the few gathers cost nothing against.
_GOLDEN2 = np.uint64(0xC2B2AE3D27D4EB4F)  # odd, and unrelated to _GOLDEN
_FILTER2_LOAD = 8
_FILTER2_MAX_BITS = 22

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
_BIT6 = np.uint64(0x4040404040404040)
_BIT7 = np.uint64(0x8080808080808080)
_ODD_BYTES = np.uint64(0xFF00FF00FF00FF00)  # bytes 1, 3, 5, 7 of a little-endian word
_EVEN_BYTES = np.uint64(0x00FF00FF00FF00FF)
# zlib's second byte (FLG) after CMF 0x78 when FCHECK is valid and there is no dictionary
_ZLIB_FLG = np.zeros(256, dtype=np.bool_)
_ZLIB_FLG[[0x01, 0x5E, 0x9C, 0xDA]] = True
_MAX_INFLATE = 16 * 1024 * 1024  # bound on what one compressed candidate may expand to
_MAX_INFLATE_TRIES = 4096  # per chunk: random data has a zlib-looking header every ~16 KiB
# Word-wide tests over a chunk run this many bytes at a time: each numpy operation's
# temporaries then stay in the core's cache instead of going out to memory and back
_SUB_BLOCK = 256 * 1024


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

    def fileno(self) -> int:
        return self._fd

    def __getitem__(self, item: slice) -> bytes:
        start, stop, step = item.indices(self._size)
        if step != 1:
            raise ValueError("FileBytes supports contiguous slices only")
        return os.pread(self._fd, max(stop - start, 0), start) if stop > start else b""

    def readinto(self, offset: int, buffer: memoryview) -> int:
        """Fill `buffer` from `offset` (short only at the end of the file); bytes read."""
        done = 0
        while done < len(buffer):
            n = os.preadv(self._fd, [buffer[done:]], offset + done)
            if n <= 0:
                break
            done += n
        return done

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


class _KeyTable:
    """8-byte keys of secret files with where each stands (file number << 48 | offset).

    Sorted by (key, place), so that all the places of one key are adjacent, the
    first occurrence first (earlier file, then lower offset). Membership of a whole
    chunk of probes is tested in numpy: a hashed bit table (a Bloom filter with one
    hash, at most 1/64 full) rejects nearly every probe with a multiply, a shift and a gather
    of the byte holding its bit; the few that pass go through a second, smaller filter
    with another hash, and those are confirmed by a binary search in the sorted keys.
    The bits are packed 8 to a byte: the table of 400 000 keys is then 4 MiB, which
    caches far better than a table of bools (measured: the lookup of a 4 MiB chunk took
    1.7 ms of CPU against 3.7 ms).
    """

    def __init__(self, keys: npt.NDArray[np.uint64], places: npt.NDArray[np.uint64]) -> None:
        # by key, then place: a plain sort of the keys is that order when no key repeats
        # (random files: 8 ms instead of the lexsort's 34 for 400 000 keys)
        order = np.argsort(keys)
        if len(keys) > 1 and np.any(keys[order[1:]] == keys[order[:-1]]):
            order = np.lexsort((places, keys))
        self.keys: npt.NDArray[np.uint64] = keys[order]
        self.places: npt.NDArray[np.uint64] = places[order]
        bits = min(max(int(len(keys) * _FILTER_LOAD).bit_length(), 16), _FILTER_MAX_BITS)
        self._shift = np.uint64(64 - bits)
        table = np.zeros(1 << bits, dtype=np.bool_)
        if len(keys):
            table[self._hash(self.keys)] = True
        self._filter: npt.NDArray[np.uint8] = np.packbits(table, bitorder="little")
        bits2 = min(max(int(len(keys) * _FILTER2_LOAD).bit_length(), 10), _FILTER2_MAX_BITS)
        self._shift2 = np.uint64(64 - bits2)
        table = np.zeros(1 << bits2, dtype=np.bool_)
        if len(keys):
            table[self._hash2(self.keys)] = True
        self._filter2: npt.NDArray[np.uint8] = np.packbits(table, bitorder="little")

    def __len__(self) -> int:
        return len(self.keys)

    def _hash(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
        # multiplicative (Fibonacci) hashing: the top bits of key · φ·2^64 mix every byte
        # of the key, so text keys (ASCII, similar low bytes) spread as well as random ones
        h = keys * _GOLDEN  # wraps modulo 2^64, as wanted
        h >>= self._shift
        return h.view(np.intp)

    def _hash2(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
        h = keys * _GOLDEN2
        h >>= self._shift2
        return h.view(np.intp)

    def lookup(
        self, probes: npt.NDArray[np.uint64]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """(indices of the probes that are keys, index of each one's first place)."""
        if not len(self.keys) or not len(probes):
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        h = self._hash(probes)
        bits = (self._filter[h >> 3] >> (h & 7).astype(np.uint8)) & 1
        # 0/1 bytes seen as bools: nonzero of a bool array is ~10x faster than of uint8
        maybe = np.flatnonzero(bits.view(np.bool_))
        if not len(maybe):
            return maybe, maybe
        wanted = probes[maybe]
        h = self._hash2(wanted)
        again = ((self._filter2[h >> 3] >> (h & 7).astype(np.uint8)) & 1).view(np.bool_)
        maybe, wanted = maybe[again], wanted[again]
        first = np.searchsorted(self.keys, wanted)
        present = self.keys[np.minimum(first, len(self.keys) - 1)] == wanted
        return maybe[present], first[present].astype(np.intp)

    def places_of(self, first: int) -> list[int]:
        """The places of the key at sorted index `first`: the first, and at most
        _MAX_REPEATS more (a bound on the work one repeated key may cause)."""
        stop = min(first + 1 + _MAX_REPEATS, len(self.keys))
        run = self.keys[first:stop]
        count = int(np.count_nonzero(run == run[0]))  # adjacent: the array is sorted
        return [int(p) for p in self.places[first : first + count]]


class SecretIndex:
    """The secrets, prepared for scanning: text forms for `find`, file windows as keys.

    Files of at most `max_keys` windows are indexed at every offset ("dense": probed
    every 8 bytes). Larger files are indexed every `stride` bytes, stride odd, and
    probed every `_SPARSE_PROBE` (32) bytes: up to 4·max_keys keys for 1/4 of the
    probes. The run guaranteed is _SPARSE_PROBE·stride + 7 bytes, as with 8-byte
    probes and a 4× larger stride.
    """

    def __init__(self, secrets: list[Secret], max_keys: int = 200_000) -> None:
        self.secrets = secrets
        self.texts: list[tuple[str, str, bytes]] = []  # (secret, encoding, pattern)
        self.raw_texts: list[tuple[str, bytes]] = []  # raw form only: for decoded views
        self.files: list[Secret] = []
        self.coverage: dict[str, int] = {}  # secret name -> min detectable run (bytes)
        # keys probed at every multiple of 8 / of _SPARSE_PROBE: (keys, places) per file
        dense: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]] = []
        sparse: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]] = []
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
                stride, keys, probe = 1, dense, _KEY
            else:
                # strided, probed every 8 bytes or (4x the keys) every 32: every 32
                # unless its guarantee is over 1% longer (rounding strides to odd
                # numbers makes them differ a little; a quarter of the probes is worth it)
                dense_stride = _odd(-(-n_windows // max(budget, 1)))
                stride = _odd(-(-n_windows // (_SPARSE_FACTOR * max(budget, 1))))
                keys, probe = sparse, _SPARSE_PROBE
                if 100 * _SPARSE_PROBE * stride > 101 * _KEY * dense_stride:
                    stride, keys, probe = dense_stride, dense, _KEY
            keys.append(_file_keys(s.data, n_windows, stride, fileno << _FILE_SHIFT))
            budget = max(budget - n_windows // stride // (probe // _KEY), 1)
            self.coverage[s.name] = WINDOW if stride == 1 and probe == _KEY else (
                probe * stride + _KEY - 1)
        self.dense = _table(dense)
        self.sparse = _table(sparse)

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
        if len(buf) < _KEY or not (len(self.dense) or len(self.sparse)):
            return
        probes = np.frombuffer(buf, dtype=_KEY_DTYPE, count=len(buf) // _KEY)
        # (offset in buf, index of the key's first place in its table, table)
        seeds: list[tuple[int, int, _KeyTable]] = []
        for table, every in ((self.dense, 1), (self.sparse, _SPARSE_PROBE // _KEY)):
            if len(table):
                at, firsts = table.lookup(probes[::every])
                seeds += zip((at * (every * _KEY)).tolist(), firsts.tolist(),
                             (table,) * len(at), strict=True)
        if not seeds:
            return
        seeds.sort(key=lambda seed: seed[0])
        skip_to = 0
        for pos, first, table in seeds:
            if pos < skip_to:
                continue
            for packed in table.places_of(first):
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


def _table(parts: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]]) -> _KeyTable:
    if not parts:
        empty = np.zeros(0, dtype=np.uint64)
        return _KeyTable(empty, empty)
    return _KeyTable(np.concatenate([k for k, _ in parts]), np.concatenate([p for _, p in parts]))


def _file_keys(
    data: bytes | FileBytes, n_windows: int, stride: int, tag: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """The 8-byte window at every `stride`-th offset of `data`, and its place (the
    file's tag | offset). A large file is read a block at a time into one reused
    buffer: the heap holds the keys, not the file."""
    if isinstance(data, FileBytes) and stride > 1:
        try:
            return _mapped_file_keys(data, n_windows, stride, tag)
        except (OSError, ValueError):  # pragma: no cover - a file that cannot be mapped
            pass
    count = -(-n_windows // stride)
    keys = np.empty(count, dtype=np.uint64)
    block = max(_KEY_BLOCK // stride, 1)  # keys per block
    buf = bytearray((block - 1) * stride + _KEY) if isinstance(data, FileBytes) else None
    for first in range(0, count, block):
        n = min(block, count - first)
        start, size = first * stride, (n - 1) * stride + _KEY
        if buf is None:
            view = memoryview(data)[start : start + size]  # type: ignore[arg-type]
        else:
            assert isinstance(data, FileBytes)
            view = memoryview(buf)[: data.readinto(start, memoryview(buf)[:size])]
        raw = np.frombuffer(view, dtype=np.uint8)
        windows = np.lib.stride_tricks.as_strided(raw, shape=(n, _KEY), strides=(stride, 1))
        keys[first : first + n] = np.ascontiguousarray(windows).view(_KEY_DTYPE)[:, 0]
    places = np.arange(tag, tag + count * stride, stride, dtype=np.uint64)
    return keys, places


def _mapped_file_keys(
    data: FileBytes, n_windows: int, stride: int, tag: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """`_file_keys` of a large file, from a mapping of 16 MiB of it at a time: the keys
    are gathered from the mapped pages, not from a copy of the whole file (a 1 GB file
    probed every 2 621 bytes: 0.18 → 0.05 s of CPU); unmapping each window bounds
    what it adds to the resident set."""
    count = -(-n_windows // stride)
    keys = np.empty(count, dtype=np.uint64)
    per = max(_MAP_WINDOW // stride, 1)  # keys per window
    for first in range(0, count, per):
        n = min(per, count - first)
        start = first * stride
        base = start - start % mmap.ALLOCATIONGRANULARITY
        size = start - base + (n - 1) * stride + _KEY
        with mmap.mmap(data.fileno(), size, access=mmap.ACCESS_READ, offset=base) as m:
            raw = np.frombuffer(m, dtype=np.uint8)
            windows = np.lib.stride_tricks.as_strided(
                raw[start - base :], shape=(n, _KEY), strides=(stride, 1))
            keys[first : first + n] = np.ascontiguousarray(windows).view(_KEY_DTYPE)[:, 0]
            del raw, windows  # the mapping closes only without views of it
    places = np.arange(tag, tag + count * stride, stride, dtype=np.uint64)
    return keys, places


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
        # chunk offset -> whether the chunk may hold a run of 24 bytes of 0x20-0x7F
        # (`_may_hold_base64_run`), for the chunks of the last `scan`: a caller that
        # searches the same chunk for printable text (a PEM header) may skip it
        self.printable_runs: dict[int, bool] = {}

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
        self.printable_runs = {}
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
        words = np.frombuffer(chunk, dtype=_KEY_DTYPE, count=len(chunk) // _KEY)
        ascii_at = _ascii_words(words)
        printable = _may_hold_base64_run(words, ascii_at)
        self.printable_runs[base] = printable
        if printable:
            yield from self._base64_and_hex(chunk, base)
        if _may_hold_utf16_run(words, ascii_at):
            yield from self._utf16(chunk, base)

    def _base64_and_hex(self, chunk: bytes, base: int) -> Iterator[SecretMatch]:
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

    def _utf16(self, chunk: bytes, base: int) -> Iterator[SecretMatch]:
        ix = self.index
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
        starts = _compressed_starts(np.frombuffer(chunk, dtype=np.uint8), limit)

        def read_here(offset: int, size: int) -> bytes:
            # the first small reads of a candidate (random data's false headers fail
            # there) come from the chunk in hand, not from the direction
            at = offset - base
            if 0 <= at and at + size <= len(chunk):
                return chunk[at : at + size]
            return read(offset, size)

        for start in starts:
            gzip = chunk[start] == 0x1F
            out = _inflate(read_here, base + start, length, gzip)
            if not out:
                continue
            enc = "gzip" if gzip else "zlib"
            for name, _off, _n, foff in ix.scan_buffer(out):
                # the compressed bytes cannot be mapped back byte by byte; the
                # evidence is the compressed stream that starts here
                yield SecretMatch(name, enc, base + start, 0, foff)
                break


def _ascii_words(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
    """Indices of the words whose 8 bytes are all ASCII (bit 7 clear). Every run the
    word tests below look for (base64, hex, UTF-16 text, a PEM header) holds such a
    word, and random bytes have one word in 256 of them: the tests then look at those
    few words only, not at every word of the chunk (3 operations per word instead of
    ~13: 1.7 ms → 0.5 ms per 4 MiB chunk). Computed `_SUB_BLOCK` bytes at a time, so
    that the temporaries stay in the core's cache (0.63 → 0.37 ms per chunk)."""
    step = _SUB_BLOCK // 8
    if len(words) <= step:
        return np.flatnonzero((words & _BIT7) == 0)
    return np.concatenate([np.flatnonzero((words[i : i + step] & _BIT7) == 0) + i
                           for i in range(0, len(words), step)])


def _may_hold_base64_run(
    words: npt.NDArray[np.uint64], ascii_at: npt.NDArray[np.intp] | None = None
) -> bool:
    """False only if no run of 24 base64-class bytes can be in these bytes.

    Such a run holds two whole adjacent 8-byte-aligned words, each byte of which is
    ASCII (bit 7 clear) with bit 5 or bit 6 set (0x20-0x7F: every base64 and hex
    character). Word-wide operations instead of a translate per byte, on the ASCII
    words only (`ascii_at`: `_ascii_words`, computed here if not given): a random word
    passes with p = (3/8)^8, two adjacent ones about once per 50 MiB, which sends that
    chunk down the exact path. A PEM header (27 bytes of 0x20-0x7F) holds such a pair
    too."""
    if len(words) < 2:
        return False
    at = _ascii_words(words) if ascii_at is None else ascii_at
    at = at[at + 1 < len(words)]
    if not len(at):
        return False
    return bool(np.any(_printable(words[at]) & _printable(words[at + 1])))


def _printable(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
    """Per word: every byte in 0x20-0x7F (bit 7 clear, bit 5 or bit 6 set)."""
    folded = words << np.uint64(1)
    folded |= words
    folded &= _BIT6
    folded ^= _BIT6  # zero where every byte has bit 5 or bit 6
    folded |= words & _BIT7  # ... and bit 7 clear
    return folded == 0  # type: ignore[no-any-return]


def _may_hold_utf16_run(
    words: npt.NDArray[np.uint64], ascii_at: npt.NDArray[np.intp] | None = None
) -> bool:
    """False only if no 8 UTF-16 code units of ASCII text can be in these bytes: such a
    run (16 bytes, text and zero bytes, all ASCII) holds a whole 8-byte-aligned ASCII
    word whose odd or even bytes are zero."""
    at = _ascii_words(words) if ascii_at is None else ascii_at
    w = words[at]
    return bool(np.any(((w & _ODD_BYTES) == 0) | ((w & _EVEN_BYTES) == 0)))


def _compressed_starts(chunk: npt.NDArray[np.uint8], limit: int) -> list[int]:
    """Offsets below `limit` of gzip's magic 1f 8b 08 and of the four zlib headers
    78 {01,5e,9c,da} (CMF 0x78 with a valid FCHECK), gzip first, each in order.

    The bytes 1f and 78 are found together, `_SUB_BLOCK` bytes at a time (one mask
    and one `flatnonzero` per block, in the core's cache): 2.2 → 1.5 ms per chunk."""
    stop = min(limit, len(chunk) - 1)  # a zlib header is 2 bytes (gzip's 3: below)
    found: list[npt.NDArray[np.intp]] = []
    for i in range(0, max(stop, 0), _SUB_BLOCK):
        block = chunk[i : min(i + _SUB_BLOCK, stop)]
        mask = block == 0x1F
        mask |= block == 0x78
        found.append(np.flatnonzero(mask) + i)
    either = np.concatenate(found) if found else np.zeros(0, dtype=np.intp)
    first = chunk[either]
    gzip = either[first == 0x1F]
    gzip = gzip[gzip + 2 < len(chunk)]
    gzip = gzip[(chunk[gzip + 1] == 0x8B) & (chunk[gzip + 2] == 0x08)]
    zlib_ = either[first == 0x78]
    zlib_ = zlib_[_ZLIB_FLG[chunk[zlib_ + 1]]]
    # what inflate would refuse at once, half of random data's headers: a first block
    # of the reserved type 3, or a stored block whose NLEN is not the complement of LEN
    whole = zlib_[zlib_ + 7 <= len(chunk)]
    btype = (chunk[whole + 2] >> 1) & 3
    lengths = chunk[whole[:, None] + np.arange(3, 7)].astype(np.uint16)
    bad_stored = (btype == 0) & (
        (lengths[:, 0] ^ lengths[:, 2]) & (lengths[:, 1] ^ lengths[:, 3]) != 0xFF)
    zlib_ = np.concatenate([whole[(btype != 3) & ~bad_stored], zlib_[len(whole):]])
    starts = gzip.tolist()[:_MAX_INFLATE_TRIES]
    return sorted(starts + zlib_.tolist()[: _MAX_INFLATE_TRIES - len(starts)])


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
