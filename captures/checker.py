"""Check a capture: complete? anything secret readable? what does the protocol say?

Verdicts and exit codes: "clean" 0, "leak" 1, "incomplete" 2 (also unreadable).
The checker fails closed: "clean" needs positive proof of completeness — interface
statistics with zero drops, every connection with SYN and FIN in both directions,
no RST, no sequence hole, no truncated packet, and the expected byte count when
one is given. A leak found in an incomplete capture is still a leak (the evidence
is in the bytes), so "leak" wins over "incomplete".

Work is split so memory stays bounded whatever the capture size: one pass over
the mapped capture reassembles every direction (captures.reassembly: extents of the
capture file while segments follow each other, else a temporary file); then each
direction is scanned in 4 MiB chunks (captures.secrets) by forked workers, sampled
for entropy, and its frame/record headers are walked (captures.protocols);
meanwhile tshark reads the protocol facts from a digest of every connection's
opening (captures.facts).
"""

from __future__ import annotations

__all__ = [
    "CLEAN",
    "LEAK",
    "INCOMPLETE",
    "EXIT_CODES",
    "CheckConfig",
    "Finding",
    "DirectionReport",
    "StreamReport",
    "CheckReport",
    "check_capture",
    "entropy_probes",
    "requirements_of",
]

import gc
import math
import mmap
import os
import re
import tempfile
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from captures import attacks, protocols
from captures.facts import FactsChild
from captures.pcap import (
    TCP_FIN,
    TCP_RST,
    TCP_SYN,
    CaptureFormatError,
    CaptureReader,
    PcapngWriter,
    TcpSegment,
)
from captures.protocols import DirectionLayout
from captures.reassembly import OPENING_LIMIT, Direction, StreamTable, TcpStream
from captures.secrets import CHUNK, Secret, SecretIndex, SecretMatch, StreamScanner

CLEAN, LEAK, INCOMPLETE = "clean", "leak", "incomplete"
EXIT_CODES = {CLEAN: 0, LEAK: 1, INCOMPLETE: 2}
PROFILES = ("auto", "pki", "eke", "pki0", "eke0")
_PROFILE_PROTOCOL = {"pki": "tls", "eke": "sft-eke/1", "pki0": "sft-pki/0", "eke0": "sft-eke/0"}
_CHANNEL_PROTOCOLS = frozenset({"tls", "sft-eke/1"})
_PLOT_POINTS = 300
_CLOGC = [0.0] + [c * math.log2(c) for c in range(1, 4097)]
_CLOGC_ARRAY = np.array(_CLOGC)
_SAMPLE_GROUP = 128  # entropy samples counted together
_SAMPLE_CELLS = (np.arange(_SAMPLE_GROUP, dtype=np.intp) * 256)[:, None]  # sample k: k·256
_MAX_FINDINGS_PER_KIND = 10  # per direction, secret and encoding; the rest are counted


@dataclass(frozen=True)
class CheckConfig:
    capture: Path
    secrets: tuple[Secret, ...] = ()
    profile: str = "auto"
    wordlist: Path | None = None
    expect_bytes: int | None = None  # the transfer's reported size (a lower bound)
    facts: bool = True  # run tshark/pyshark for protocol facts
    facts_timeout: float = 120.0
    # 100 000 keys: every 16-byte window of files up to ~100 KB; larger files get up
    # to 400 000 keys probed every 32 bytes (0.64–0.71 s per 100 MB), see captures.secrets
    max_index_keys: int = 100_000
    probe_size: int = 256
    low_entropy_bits: float = 6.0  # a 256-byte sample of random bytes measures ~7.2
    low_entropy_run: int = 4096  # flag low-entropy runs at least this long
    workdir: Path | None = None
    # processes scanning large directions in parallel (2 cores here: 2)
    workers: int = field(default_factory=lambda: min(os.cpu_count() or 1, 4))

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r} (one of {', '.join(PROFILES)})")


@dataclass
class Finding:
    kind: str  # secret, low_entropy, protocol, password, completeness, note
    severity: str  # leak, incomplete, info
    message: str
    stream: int | None = None
    direction: str | None = None  # "forward" (initiator → responder) or "backward"
    offset: int | None = None  # byte offset in that direction's reassembled stream
    length: int | None = None
    secret: str | None = None
    encoding: str | None = None
    secret_offset: int | None = None
    packet: int | None = None  # capture packet (Wireshark frame number)
    packet_offset: int | None = None  # offset in that packet's TCP payload
    excerpt_offset: int | None = None
    excerpt_hex: str | None = None
    excerpt_ascii: str | None = None
    # docs/SPEC.md requirement IDs the finding is evidence against (set by the checker
    # from the finding's kind, secret and stream protocol: `requirements_of`)
    requirements: list[str] = field(default_factory=list)


@dataclass
class DirectionReport:
    name: str  # forward / backward
    src: str
    dst: str
    bytes: int
    wire_bytes: int
    packets: int
    syn: bool
    fin: bool
    rst: bool
    holes: list[tuple[int, int]]
    first_time: float | None
    last_time: float | None
    channel_offset: int | None
    framing_error: str
    unit_count: int
    unit_counts: dict[str, int]
    units: list[dict[str, Any]]  # offset, kind, length, time (for the ladder)
    entropy: list[tuple[int, float]]  # (offset, bits per byte of a probe), downsampled
    low_entropy_runs: list[tuple[int, int]]


@dataclass
class StreamReport:
    index: int
    protocol: str
    initiator: str
    responder: str
    forward: DirectionReport
    backward: DirectionReport
    complete: bool


@dataclass
class CheckReport:
    capture: str
    verdict: str
    exit_code: int
    summary: str
    format: str = ""
    packets: int = 0
    capture_bytes: int = 0
    interface_stats: list[dict[str, int | None]] = field(default_factory=list)
    streams: list[StreamReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    attacks: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    secrets: list[dict[str, Any]] = field(default_factory=list)
    profile: str = "auto"
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def entropy_probes(
    read: Callable[[int, int], bytes],
    length: int,
    probe: int = 256,
    ranges: list[tuple[int, int]] | None = None,
) -> list[tuple[int, float]]:
    """Shannon entropy (bits/byte) of `probe`-byte samples along a stream.

    Samples every 256 bytes under 1 MiB, every 1 KiB under 16 MiB, every 4 KiB
    beyond: any low-entropy run longer than stride + probe contains a whole sample.
    The samples of a block are counted together in numpy (one `bincount` of
    sample·256 + byte), not one `Counter` each: 25 000 samples per 100 MB cost
    ~1 s of Python that way.
    """
    stride = _entropy_stride(length)
    out: list[tuple[int, float]] = []
    block = 4 * 1024 * 1024  # a multiple of every stride
    for start, end in ranges if ranges is not None else [(0, length)]:
        pos = start
        while pos < end:
            buf = read(pos, min(block, end - pos))
            if not buf:
                break
            out += _block_entropies(pos, buf, stride, probe)
            pos += len(buf)
    return out


def _entropy_stride(length: int) -> int:
    return 256 if length < 1 << 20 else 1024 if length < 16 << 20 else 4096


def _block_entropies(
    pos: int, buf: bytes | memoryview, stride: int, probe: int
) -> list[tuple[int, float]]:
    """(offset, entropy) of the samples of one block that starts at `pos`: whole
    samples together; the last, shorter ones (at least 32 bytes) alone."""
    whole = max(0, (len(buf) - probe) // stride + 1) if len(buf) >= probe else 0
    out = list(zip(range(pos, pos + whole * stride, stride),
                   _sample_entropies(buf, whole, stride, probe), strict=True))
    for tail in range(whole * stride, len(buf), stride):
        if len(buf) - tail < min(probe, 32):
            break
        out.append((pos + tail, _entropy(bytes(buf[tail : tail + probe]), digits=None) or 0.0))
    return out


def _sample_entropies(
    buf: bytes | memoryview, count: int, stride: int, probe: int
) -> list[float]:
    """Entropy of the `count` samples buf[k·stride : k·stride + probe], counted
    `_SAMPLE_GROUP` samples at a time (the temporaries stay in the core's cache: 1.19 →
    0.93 ms per 4 MiB block)."""
    if count == 0:
        return []
    raw = np.frombuffer(buf, dtype=np.uint8)
    out: list[float] = []
    for first in range(0, count, _SAMPLE_GROUP):
        n = min(_SAMPLE_GROUP, count - first)
        samples = np.lib.stride_tricks.as_strided(
            raw[first * stride :], shape=(n, probe), strides=(stride, 1))
        cells = samples + _SAMPLE_CELLS[:n]
        counts = np.bincount(cells.ravel(), minlength=n * 256).reshape(n, 256)
        # H = log2(n) - (1/n)·Σ c·log2(c), c·log2(c) from a table
        weighted = _CLOGC_ARRAY[counts].sum(axis=1)
        out += (math.log2(probe) - weighted / probe).tolist()
    return out


def _entropy(sample: bytes, digits: int | None = 3) -> float | None:
    n = len(sample)
    if n == 0:
        return None
    h = math.log2(n) - sum(map(_CLOGC.__getitem__, Counter(sample).values())) / n
    return h if digits is None else round(h, digits)


def _low_runs(
    probes: list[tuple[int, float]], start: int, threshold: float, min_run: int, probe: int
) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    if not probes or min(probes, key=itemgetter(1))[1] >= threshold:
        return runs  # ciphertext: no sample is low (one C-level pass over 250 000 per GB)
    run_start: int | None = None
    last = 0
    for off, h in probes:
        if off < start:
            continue
        if h < threshold:
            if run_start is None:
                run_start = off
            last = off + probe
        elif run_start is not None:
            if last - run_start >= min_run:
                runs.append((run_start, last))
            run_start = None
    if run_start is not None and last - run_start >= min_run:
        runs.append((run_start, last))
    return runs


def _downsample(probes: list[tuple[int, float]], points: int) -> list[tuple[int, float]]:
    if len(probes) <= points:
        return [(o, round(h, 3)) for o, h in probes]
    step = len(probes) / points
    out = []
    values = [h for _, h in probes]
    for k in range(points):
        lo, hi = int(k * step), int((k + 1) * step)
        if hi <= lo:
            lo, hi = len(probes) - 1, len(probes)
        bucket = values[lo:hi]
        low = probes[lo + bucket.index(min(bucket))]  # the first lowest: keep dips visible
        out.append((low[0], round(low[1], 3)))
    return out


_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"
_PEM_END = b"-----END CERTIFICATE-----"


def _pem_offsets(
    read: Callable[[int, int], bytes], ranges: list[tuple[int, int]], limit: int = 10
) -> list[int]:
    """Offsets of PEM certificate headers in a direction (bounded count)."""
    found: list[int] = []
    block = 4 * 1024 * 1024
    for start, end in ranges:
        pos = start
        while pos < end and len(found) < limit:
            buf = read(pos, block + len(_PEM_BEGIN))
            found += _pem_in_block(pos, buf, block, limit - len(found))
            pos += block
    return found


def _pem_in_block(pos: int, buf: bytes, block: int, limit: int) -> list[int]:
    """Offsets of PEM headers that start in buf[:block] (buf holds the header's
    length more, so that one across the end of the block is found whole)."""
    found: list[int] = []
    i = buf.find(_PEM_BEGIN)
    while 0 <= i < block and len(found) < limit:
        found.append(pos + i)
        i = buf.find(_PEM_BEGIN, i + 1)
    return found


def _pem_subjects(d: Direction, offsets: list[int]) -> list[tuple[int, str]]:
    """(offset, subject) of the PEM certificates at these offsets."""
    if not offsets:
        return []  # the usual case: spare the import of cryptography (~0.09 s of CPU)
    from cryptography import x509  # the checker's only use of cryptography: naming the leak

    named: list[tuple[int, str]] = []
    for off in offsets:
        pem = d.read(off, 16384)
        end = pem.find(_PEM_END)
        subject = "unparsed certificate"
        if end > 0:
            try:
                cert = x509.load_pem_x509_certificate(pem[: end + len(_PEM_END)])
                subject = cert.subject.rfc4514_string() or "empty subject"
            except ValueError:
                pass
        named.append((off, subject))
    return named


_BLOCK = 4 * 1024 * 1024  # scanner chunk and entropy block: parts are whole blocks
_PART = 16 * _BLOCK  # 64 MiB: the largest part a worker scans at once
# Directions from 16 MiB on are scanned by the workers: on 100 MB the serial scan took
# ~1.9 s of CPU against ~0.2 s for reassembly, so the second core is worth its fork.
_PARALLEL_MIN = 4 * _BLOCK
_PARTS_PER_WORKER = 4  # several parts per worker, so a busy core does not hold up the end
_WORKER_SCANNER: StreamScanner | None = None
_WORKER_DIRECTIONS: dict[str, Direction] = {}  # every direction, by path, for the workers
_WORKER_MAPPING: mmap.mmap | None = None  # the capture, mapped (the directions' extents)
_MAPPED_READ_MIN = 64 * 1024  # worker reads from this size on slice the mapping
_PEM_LIMIT = 10  # certificates named per direction


def _scan_part(
    key: str, length: int, start: int, end: int, limit: int, probe: int
) -> tuple[list[SecretMatch], list[tuple[int, float]], list[int]]:
    """Worker: secrets, entropy samples and PEM headers of [start, end) of a direction
    (reading up to `limit`). One read per block serves all three: the scanner's
    chunk (the block and its overlap) is kept for the entropy and the PEM search.
    The direction (extents of the mapped capture, or its temporary file) and the
    scanner were inherited from the parent at the fork: `key` names the direction."""
    assert _WORKER_SCANNER is not None
    assert CHUNK == _BLOCK  # the scanner's chunks are the blocks
    direction = _WORKER_DIRECTIONS[key]
    last: list[tuple[int, bytes]] = [(-1, b"")]  # the longest read at the block's start

    def read(offset: int, size: int) -> bytes:
        if size >= _MAPPED_READ_MIN:  # the chunks: sliced from the mapped capture
            data = direction.read_mapped(offset, size, _WORKER_MAPPING)
        else:
            data = direction.read(offset, size)
        if offset == last[0][0] and len(data) > len(last[0][1]):
            last[0] = (offset, data)
        return data

    matches: list[SecretMatch] = []
    probes: list[tuple[int, float]] = []
    pems: list[int] = []
    stride = _entropy_stride(length)
    try:
        for a in range(start, end, _BLOCK):
            b = min(a + _BLOCK, end)
            last[0] = (a, b"")
            matches += _WORKER_SCANNER.scan(read, length, [(a, b)], limit=limit)
            chunk = last[0][1]
            if len(chunk) < b - a:  # pragma: no cover - the scanner read it whole
                chunk = read(a, b - a)
            probes += _block_entropies(a, memoryview(chunk)[: b - a], stride, probe)
            # a PEM header is 27 bytes of 0x20-0x7F: where the scanner's word test saw
            # no such run in this chunk, there is none to search for
            if len(pems) < _PEM_LIMIT and _WORKER_SCANNER.printable_runs.get(a, True):
                pems += _pem_in_block(a, chunk, b - a, _PEM_LIMIT - len(pems))
        return matches, probes, pems
    finally:
        direction.release()


def _forget_worker_state() -> None:
    """After a check: drop the mapping the workers were forked with (it is closed)."""
    global _WORKER_MAPPING
    _WORKER_MAPPING = None


def _part_size(total: int, workers: int) -> int:
    """Bytes per worker part: whole blocks (so that the parts sample entropy and cut
    scanner chunks where one pass does), about `_PARTS_PER_WORKER` parts per worker,
    at most `_PART`."""
    want = -(-total // (workers * _PARTS_PER_WORKER))
    return max(_BLOCK, min(_PART, -(-want // _BLOCK) * _BLOCK))


class _DigestWriter:
    """Copy the opening of every connection (the segments that carry the first 64 KiB of
    each direction, and every SYN, FIN, RST) into a small pcapng for tshark, during the
    reassembly pass; keep the original packet numbers.

    Handshakes — all tshark needs for the protocol facts — are at the start of each
    connection, so tshark dissects kilobytes instead of the whole capture: on 1 GB the
    whole-file pass took 15 s and ~470 MiB in tshark. The bulk bytes are checked by
    the fast path anyway. (A second pass over the capture to write it cost 0.2 s per
    100 MB, serially before the scan.)
    """

    def __init__(self, path: Path, table: StreamTable) -> None:
        self.path = path
        self.numbers: array[int] = array("Q")
        self._table = table
        self._file = path.open("wb")
        self._writer = PcapngWriter(self._file)

    def add(self, seg: TcpSegment) -> None:
        """Copy `seg` if it belongs to the digest (call after the table has taken it)."""
        stream = self._table.stream_of(seg)
        wanted = seg.flags & (TCP_SYN | TCP_FIN | TCP_RST) or stream is None
        # a bare ACK carries nothing tshark reads facts from: a bulk transfer's receiver
        # sends thousands, all at the opening's sequence number (on 1 GB: 12 000 of the
        # digest's 12 010 packets, 0.2 s to copy and more for tshark to dissect)
        if not wanted and stream is not None and len(seg.payload):
            d = stream.forward if (seg.src, seg.sport) == (
                stream.forward.src, stream.forward.sport) else stream.backward
            wanted = d.isn is None or ((seg.seq - d.isn - 1) & 0xFFFFFFFF) < OPENING_LIMIT
        if wanted:
            self._writer.segment(seg)
            self.numbers.append(seg.index)

    def close(self) -> None:
        self._file.close()


def _excerpt(d: Direction, offset: int, length: int) -> tuple[int, str, str]:
    start = max(0, offset - 16)
    data = d.read(start, min(max(length, 16), 48) + (offset - start))
    text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)
    return start, data.hex(" "), text


class _Check:
    def __init__(self, cfg: CheckConfig) -> None:
        self.cfg = cfg
        self.report = CheckReport(str(cfg.capture), INCOMPLETE, 2, "", profile=cfg.profile)
        self._digest_map: array[int] = array("Q")
        self._pool: ProcessPoolExecutor | None = None
        self._table_streams: list[TcpStream] = []
        self._mapping: mmap.mmap | None = None  # the capture, mapped (CaptureReader)

    def add(self, **kw: Any) -> Finding:
        f = Finding(**kw)
        self.report.findings.append(f)
        return f

    def run(self) -> CheckReport:
        cfg, rep = self.cfg, self.report
        t0 = time.perf_counter()
        try:
            rep.capture_bytes = cfg.capture.stat().st_size
            fh = cfg.capture.open("rb")
        except OSError as exc:
            self.add(kind="completeness", severity=INCOMPLETE,
                     message=f"cannot read the capture: {exc.strerror or exc}")
            return self._finish(t0)
        # the facts child gets ready (pyshark, tshark's version) while we reassemble, and
        # so does the secret index, in a thread: reading the secret files and sorting
        # their keys release the GIL (1 GB secret file: 0.9 s, no longer after reassembly)
        child = FactsChild() if cfg.facts else None
        builder = ThreadPoolExecutor(1, thread_name_prefix="sft-index")
        index = builder.submit(SecretIndex, list(cfg.secrets), cfg.max_index_keys)
        builder.shutdown(wait=False)
        with tempfile.TemporaryDirectory(prefix="sft-capture-", dir=cfg.workdir) as tmp, fh:
            reader = CaptureReader(fh)
            self._mapping = reader.mapped
            table = StreamTable(tmp, reader.payload_fd)
            self._table_streams = table.streams
            digest = _DigestWriter(Path(tmp) / "digest.pcapng", table) if cfg.facts else None
            try:
                for seg in reader:
                    table.add(seg)
                    if digest is not None:
                        digest.add(seg)
            except CaptureFormatError as exc:
                self.add(kind="completeness", severity=INCOMPLETE,
                         message=f"unreadable capture: {exc}")
            finally:
                if digest is not None:
                    digest.close()
            rep.timings["reassembly_s"] = round(time.perf_counter() - t0, 3)
            rep.format, rep.packets = reader.format, reader.packets
            try:
                self._analyse(table, reader, digest, child, index)
            finally:
                if child is not None:
                    child.cancel()  # a no-op once it has answered
                table.close()
                if self._pool is not None:
                    self._pool.shutdown()
                _forget_worker_state()
                reader.close()
        return self._finish(t0)

    def _analyse(
        self, table: StreamTable, reader: CaptureReader, digest: _DigestWriter | None,
        child: FactsChild | None, index_build: Future[SecretIndex],
    ) -> None:
        cfg, rep = self.cfg, self.report
        self._completeness_of_file(reader)
        protos = {s.index: protocols.classify(s) for s in table.streams}
        if cfg.profile != "auto":
            want = _PROFILE_PROTOCOL[cfg.profile]
            for s in table.streams:
                if protos[s.index] != want:
                    self.add(kind="note", severity="info", stream=s.index,
                             message=f"profile {cfg.profile} expects {want}, this stream "
                             f"looks like {protos[s.index]}")
        facts_box: dict[str, Any] = {}
        facts_thread: threading.Thread | None = None
        tls_ports = sorted({s.forward.dport for s in table.streams if protos[s.index] == "tls"})
        sft_ports = sorted({s.forward.dport for s in table.streams
                            if protos[s.index].startswith("sft-")})
        if child is not None and digest is not None and table.streams:
            # tshark starts at once (its start-up is the facts' cost); the workers are
            # forked below from this same thread, after Popen has closed its end of
            # tshark's pipes (see FactsChild.start), and before the facts thread starts
            # (which may start the pyshark fallback)
            child.start(digest.path, tls_ports, sft_ports)
        facts_started = time.perf_counter()
        index = index_build.result()
        scanner = StreamScanner(index)
        if cfg.workers > 1 and any(sum(e - s for s, e in d.ranges()) >= _PARALLEL_MIN
                                   for st in table.streams for d in st.directions):
            self._start_pool(scanner)
        if child is not None and digest is not None and table.streams:
            self._digest_map = digest.numbers

            def run_facts() -> None:
                facts_box.update(child.collect(digest.path, tls_ports, sft_ports,
                                               timeout=cfg.facts_timeout))
                facts_box["elapsed_s"] = round(time.perf_counter() - facts_started, 3)
                self.report.timings["facts_s"] = facts_box["elapsed_s"]

            facts_thread = threading.Thread(target=run_facts, daemon=True)
            facts_thread.start()

        rep.secrets = [
            {"name": s.name, "bytes": len(s.data), "file": s.is_file,
             "min_detectable_run": index.coverage.get(s.name, len(s.data))}
            for s in cfg.secrets
        ]
        for secret in index.secrets:
            cov = index.coverage.get(secret.name)
            if secret.is_file and cov is not None and cov > 16:
                self.add(kind="note", severity="info", secret=secret.name,
                         message=f"secret file {secret.name} is large: indexed sparsely, so shared "
                         f"runs of {cov} bytes or more are guaranteed to be found (not every "
                         "16-byte window)")
        t = time.perf_counter()
        for s in table.streams:
            rep.streams.append(self._stream(s, protos[s.index], scanner))
        rep.timings["scan_s"] = round(time.perf_counter() - t, 3)
        self._attacks(table, protos)
        if facts_thread is not None:
            facts_thread.join(cfg.facts_timeout + 10)
            rep.facts = dict(facts_box)
            # tshark numbered the digest's packets: give the capture's own numbers back
            for key in ("tls", "http", "sft_frames"):
                for item in rep.facts.get(key, []):
                    item["packet"] = self._original_packet(item["packet"])
            rep.facts["scope"] = "the first 64 KiB of each direction, and SYN/FIN/RST"
            self._facts(table, protos)
        if not table.streams and not any(f.severity == INCOMPLETE for f in rep.findings):
            self.add(kind="completeness", severity=INCOMPLETE,
                     message="no TCP connection in the capture: nothing to prove")
        if cfg.expect_bytes is not None:
            most = max((d.length for s in table.streams for d in s.directions), default=0)
            if most < cfg.expect_bytes:
                self.add(kind="completeness", severity=INCOMPLETE,
                         message=f"the transfer reported {cfg.expect_bytes} bytes but no "
                         f"direction carries that many ({most} at most)")

    def _completeness_of_file(self, reader: CaptureReader) -> None:
        rep = self.report
        if reader.truncated:
            self.add(kind="completeness", severity=INCOMPLETE,
                     message="the capture file ends inside a block (truncated recording)")
        if reader.snapped:
            self.add(kind="completeness", severity=INCOMPLETE,
                     message=f"{reader.snapped} packets were cut short by the snap length")
        if reader.fragments:
            self.add(kind="completeness", severity=INCOMPLETE,
                     message=f"{reader.fragments} IP fragments were not reassembled")
        stats = reader.stats
        rep.interface_stats = [
            {"received": s.received, "dropped": s.dropped} for s in stats
        ]
        if not stats or any(s.dropped is None for s in stats):
            self.add(kind="completeness", severity=INCOMPLETE,
                     message="no interface statistics in the capture: drops are unknown "
                     "(record with `sft capture record`, which stops dumpcap cleanly)")
        for s in stats:
            if s.dropped:
                self.add(kind="completeness", severity=INCOMPLETE,
                         message=f"the capture tool dropped {s.dropped} packets")

    def _stream(self, s: TcpStream, protocol: str, scanner: StreamScanner) -> StreamReport:
        cfg = self.cfg
        dirs = []
        complete = True
        # the workers get both directions' parts first: the layout and completeness below
        # run in this process meanwhile (a 1 GB TLS direction has 60 000 record headers)
        bulk = {d.path: self._bulk(d, d.ranges(), scanner) for d in s.directions}
        for name, d in (("forward", s.forward), ("backward", s.backward)):
            lay = protocols.layout(protocol, d.read, d.length, name == "forward", d.peek)
            if lay.count == 0 and d.length:
                _add_turn_units(lay, s, 0 if name == "forward" else 1, d.length)
            missing = []
            if not d.syn:
                missing.append("no SYN")
            if d.fin_offset is None:
                missing.append("no FIN")
            if d.rst:
                missing.append("RST")
            holes = d.holes()
            if holes:
                missing.append(f"{len(holes)} sequence hole(s), first at offset {holes[0][0]}")
            if missing:
                complete = False
                self.add(kind="completeness", severity=INCOMPLETE, stream=s.index,
                         direction=name, message=f"stream {s.index} {name} ({d.label}): "
                         + ", ".join(missing))
            per_kind: dict[tuple[str, str], list[int]] = {}
            matches, probes, pems = bulk[d.path]()
            for m in matches:
                seen = per_kind.setdefault((m.secret, m.encoding), [0, 0])
                seen[0] += 1
                seen[1] += m.length
                if seen[0] > _MAX_FINDINGS_PER_KIND:
                    continue
                f = self.add(
                    kind="secret", severity=LEAK, stream=s.index, direction=name,
                    offset=m.offset, length=m.length, secret=m.secret, encoding=m.encoding,
                    secret_offset=m.secret_offset,
                    message=f"{m.secret} readable ({m.encoding}) in stream {s.index} {name} "
                    f"at byte {m.offset}",
                )
                self._locate(f, d)
            for (secret, enc), (count, total) in per_kind.items():
                if count > _MAX_FINDINGS_PER_KIND:
                    self.add(kind="secret", severity=LEAK, stream=s.index, direction=name,
                             secret=secret, encoding=enc,
                             message=f"{secret} ({enc}): {count - _MAX_FINDINGS_PER_KIND} more "
                             f"occurrences in stream {s.index} {name} not listed ({count} in "
                             f"all, {total} bytes)")
            for off, subject in _pem_subjects(d, pems):
                f = self.add(
                    kind="protocol", severity=LEAK, stream=s.index, direction=name,
                    offset=off, length=27,
                    message=f"certificate readable on the wire in stream {s.index} {name}: "
                    f"{subject} (identities must travel inside the channel)",
                )
                self._locate(f, d)
            judge_from: int | None = 0
            if protocol in _CHANNEL_PROTOCOLS:
                judge_from = lay.channel_offset
            runs = []
            if judge_from is not None:
                runs = _low_runs(probes, judge_from, cfg.low_entropy_bits,
                                 cfg.low_entropy_run, cfg.probe_size)
            for a, b in runs[:20]:
                f = self.add(
                    kind="low_entropy", severity=LEAK, stream=s.index, direction=name,
                    offset=a, length=b - a,
                    message=f"low-entropy run of {b - a} bytes in stream {s.index} {name} "
                    f"at byte {a}" + (" after the secure channel is up"
                                      if protocol in _CHANNEL_PROTOCOLS else ""),
                )
                self._locate(f, d)
            if protocol == "sft-eke/1" or protocol == "sft-clear":
                for u in lay.clear_app_frames[:5]:
                    f = self.add(
                        kind="protocol", severity=LEAK, stream=s.index, direction=name,
                        offset=u.offset, length=8 + u.length,
                        message=f"application frame {u.kind} ({u.length} bytes) readable "
                        f"outside any secure channel in stream {s.index} {name}",
                    )
                    self._locate(f, d)
            dirs.append(self._direction(name, d, lay, probes, runs))
        return StreamReport(s.index, protocol, f"{s.forward.src}:{s.forward.sport}",
                            f"{s.forward.dst}:{s.forward.dport}", dirs[0], dirs[1], complete)

    def _bulk(
        self, d: Direction, ranges: list[tuple[int, int]], scanner: StreamScanner
    ) -> Callable[[], tuple[list[SecretMatch], list[tuple[int, float]], list[int]]]:
        """Secret search, entropy samples and PEM headers of one direction, as a call that
        returns them; large directions are cut into parts of whole 4 MiB chunks, scanned
        from now on by forked worker processes (the parts give the same results as one
        pass); small ones are scanned here when the results are asked for."""
        cfg = self.cfg
        total = sum(e - s for s, e in ranges)
        if cfg.workers <= 1 or total < _PARALLEL_MIN:
            return lambda: (scanner.scan(d.read, d.length, ranges),
                            entropy_probes(d.read, d.length, cfg.probe_size, ranges),
                            _pem_offsets(d.read, ranges, _PEM_LIMIT))
        size = _part_size(total, cfg.workers)
        parts = [(a, min(a + size, e), e) for s, e in ranges for a in range(s, e, size)]
        pool = self._start_pool(scanner)
        futures = [pool.submit(_scan_part, d.path, d.length, a, b, limit, cfg.probe_size)
                   for a, b, limit in parts]

        def collect() -> tuple[list[SecretMatch], list[tuple[int, float]], list[int]]:
            matches: list[SecretMatch] = []
            probes: list[tuple[int, float]] = []
            pems: list[int] = []
            for fut in futures:
                m, p, c = fut.result()
                matches += m
                probes += p
                pems += c
            return StreamScanner.merge(matches), sorted(probes), sorted(pems)[:_PEM_LIMIT]

        return collect

    def _start_pool(self, scanner: StreamScanner) -> ProcessPoolExecutor:
        """The scanning workers, forked now (once): they inherit the scanner and every
        direction (the reassembly is over; the scanner is the same for every stream)."""
        global _WORKER_SCANNER, _WORKER_MAPPING
        if self._pool is None:
            _WORKER_SCANNER = scanner
            _WORKER_MAPPING = self._mapping
            _WORKER_DIRECTIONS.clear()
            _WORKER_DIRECTIONS.update({x.path: x for st in self._table_streams
                                       for x in st.directions})
            # what the workers inherit is frozen for the collector while they are forked:
            # their collections then skip it, and do not copy the parent's heap page by
            # page (copy-on-write) to walk it
            gc.freeze()
            try:
                self._pool = ProcessPoolExecutor(self.cfg.workers, mp_context=get_context("fork"))
                # the fork context starts every worker at the first submit: do it here
                self._pool.submit(os.getpid).result()
            finally:
                gc.unfreeze()
        return self._pool

    def _locate(self, f: Finding, d: Direction) -> None:
        if f.offset is None:
            return
        where = d.packet_at(f.offset)
        if where is not None:
            f.packet, f.packet_offset = where
        f.excerpt_offset, f.excerpt_hex, f.excerpt_ascii = _excerpt(d, f.offset, f.length or 16)

    def _direction(
        self, name: str, d: Direction, lay: DirectionLayout, probes: list[tuple[int, float]],
        runs: list[tuple[int, int]],
    ) -> DirectionReport:
        header = 5 if any(u.kind in ("Handshake", "ApplicationData") for u in lay.units) else 8
        units = [
            {"offset": u.offset, "kind": u.kind, "length": u.length, "time": d.time_at(u.offset),
             # per-frame entropy of (up to 2 KiB of) the payload, for the ladder
             "entropy": _entropy(d.read(u.offset + (0 if u.kind == "bytes" else header),
                                        min(u.length, 2048)))}
            for u in lay.units
        ]
        for unit, u in zip(units, lay.units, strict=True):
            if u.kind == "bytes":  # unframed cleartext: show what it says
                unit["preview"] = _preview(d.read(u.offset, min(u.length, 32)))
        return DirectionReport(
            name, f"{d.src}:{d.sport}", f"{d.dst}:{d.dport}", d.length, d.wire_bytes, d.packets,
            d.syn, d.fin_offset is not None, d.rst, d.holes()[:20], d.first_time, d.last_time,
            lay.channel_offset, lay.framing_error, lay.count, lay.counts, units,
            _downsample(probes, _PLOT_POINTS), runs,
        )

    def _attacks(self, table: StreamTable, protos: dict[int, str]) -> None:
        self._versions(table)
        cfg, rep = self.cfg, self.report
        words: list[bytes] = []
        if cfg.wordlist is not None:
            try:
                words = [w for w in cfg.wordlist.read_bytes().splitlines() if w]
            except OSError as exc:
                self.add(kind="note", severity="info",
                         message=f"cannot read the wordlist: {exc.strerror or exc}")
        for s in table.streams:
            proto = protos[s.index]
            if proto == "sft-eke/0":
                r = attacks.eke0_dictionary_attack(s, words)
                rep.attacks.append(asdict(r))
                if r.recovered is not None:
                    self.add(kind="password", severity=LEAK, stream=s.index,
                             secret="password",  # noqa: S106 - names the kind of secret
                             message=f"sft-eke/0 password recovered from the capture alone "
                             f"({r.source}, {r.tried} guesses tried): {r.recovered!r}")
                elif r.testable:
                    self.add(kind="password", severity=LEAK, stream=s.index,
                             message="sft-eke/0: password guesses can be tested offline "
                             "from this capture (" + r.explanation + ")")
            elif proto == "sft-eke/1":
                rep.attacks.append(asdict(attacks.AttackResult(
                    s.index, proto, False, None, "", 0, attacks.EKE1_NO_OFFLINE_TEST)))

    def _facts(self, table: StreamTable, protos: dict[int, str]) -> None:
        facts = self.report.facts
        needs_facts = any(p == "tls" for p in protos.values()) or self.cfg.profile == "pki"
        if "error" in facts:
            self.add(kind="note" if not needs_facts else "completeness",
                     severity="info" if not needs_facts else INCOMPLETE,
                     message=f"protocol facts unavailable: {facts['error']}")
            return
        by_port: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for t in facts.get("tls", []):
            by_port.setdefault((t["src_port"], t["dst_port"]), []).append(t)
        for s in table.streams:
            if protos[s.index] != "tls":
                continue
            fwd = by_port.get((s.forward.sport, s.forward.dport), [])
            bwd = by_port.get((s.forward.dport, s.forward.sport), [])
            server_hello = next((t for t in bwd if "2" in t["handshake_types"]), None)
            if server_hello is None:
                self.add(kind="completeness", severity=INCOMPLETE, stream=s.index,
                         message=f"stream {s.index}: tshark saw no TLS ServerHello, so the "
                         "negotiated version cannot be proven")
                continue
            version = (server_hello["supported_versions"] or server_hello["handshake_version"]
                       or ["?"])[0]
            cipher = (server_hello["cipher_suites"] or ["?"])[0]
            alpn = sorted({a for t in fwd + bwd for a in t["alpn"]})
            self.add(kind="protocol", severity="info", stream=s.index,
                     message=f"stream {s.index}: TLS version {_tls_version(version)}, "
                     f"cipher suite {_cipher(cipher)}, ALPN offered {alpn or 'none'}")
            if version != "0x0304":
                self.add(kind="protocol", severity=LEAK, stream=s.index,
                         message=f"stream {s.index}: TLS {_tls_version(version)} negotiated, "
                         "not TLS 1.3: certificates and aliases travel in clear (PKI-TLS-1)")
            certs = sum(t["certificates_in_clear"] for t in fwd + bwd)
            names = sorted({n for t in fwd + bwd for n in t["names_in_clear"]})
            if certs or names:
                self.add(kind="protocol", severity=LEAK, stream=s.index,
                         message=f"stream {s.index}: {certs} certificate(s) readable on the "
                         f"wire; names visible: {', '.join(names) or 'none'}")
            elif version == "0x0304":
                self.add(kind="protocol", severity="info", stream=s.index,
                         message=f"stream {s.index}: no certificate or alias readable "
                         "(TLS 1.3 encrypts them)")
        for h in facts.get("http", [])[:5]:
            self.add(kind="protocol", severity=LEAK, packet=h["packet"],
                     message=f"HTTP readable in packet {h['packet']}: {h['line']}")
        counts = facts.get("sft_frame_counts", {})
        if counts:
            self.add(kind="protocol", severity="info",
                     message="sft frames dissected by tshark (captures/sft.lua): "
                     + ", ".join(f"{k}×{v}" for k, v in sorted(counts.items())))

    def _original_packet(self, digest_number: int) -> int:
        if 0 < digest_number <= len(self._digest_map):
            return int(self._digest_map[digest_number - 1])
        return digest_number

    def _versions(self, table: StreamTable) -> None:
        """Name the software versions readable on the wire (HTTP Server/User-Agent
        headers, interpreter and library banners, protocol version strings): what an
        eavesdropper learns to pick an exploit. Reported as info, never as a leak."""
        for s in table.streams:
            for name, d in (("forward", s.forward), ("backward", s.backward)):
                head = d.read(0, min(d.length, _VERSION_SCAN))
                seen: list[str] = []
                for m in _VERSION_STRINGS.finditer(head):
                    text = m.group(0).decode("ascii", "replace").strip()
                    if text not in seen:
                        seen.append(text)
                if seen:
                    self.add(kind="version", severity="info", stream=s.index, direction=name,
                             message=f"version strings readable in stream {s.index} {name}: "
                             + ", ".join(repr(v) for v in seen[:8]))

    def _finish(self, t0: float) -> CheckReport:
        rep = self.report
        protocols_of = {st.index: st.protocol for st in rep.streams}
        for f in rep.findings:
            if not f.requirements:
                protocol = protocols_of.get(f.stream, "") if f.stream is not None else ""
                f.requirements = requirements_of(f, protocol, self.cfg.profile)
        sev = {f.severity for f in rep.findings}
        rep.verdict = LEAK if LEAK in sev else INCOMPLETE if INCOMPLETE in sev else CLEAN
        rep.exit_code = EXIT_CODES[rep.verdict]
        n_leak = sum(f.severity == LEAK for f in rep.findings)
        n_inc = sum(f.severity == INCOMPLETE for f in rep.findings)
        rep.summary = {
            CLEAN: f"clean: {len(rep.streams)} complete connection(s), nothing secret readable",
            LEAK: f"leak: {n_leak} finding(s) of readable secrets or protocol leaks"
            + (f" (and the capture is incomplete: {n_inc} issue(s))" if n_inc else ""),
            INCOMPLETE: f"incomplete: {n_inc} issue(s); the capture proves nothing",
        }[rep.verdict]
        rep.timings["total_s"] = round(time.perf_counter() - t0, 3)
        return rep


_TLS_VERSIONS = {"0x0304": "1.3", "0x0303": "1.2", "0x0302": "1.1", "0x0301": "1.0"}
_CIPHERS = {
    "0x1301": "TLS_AES_128_GCM_SHA256",
    "0x1302": "TLS_AES_256_GCM_SHA384",
    "0x1303": "TLS_CHACHA20_POLY1305_SHA256",
}


def _add_turn_units(lay: DirectionLayout, s: TcpStream, k: int, length: int) -> None:
    """Unframed protocols (sft-eke/0 reads one recv per message): one "bytes" unit per
    turn of the conversation, so that the ladder still shows who sent what, when; the
    bytes after the recorded opening turns form one last unit."""
    offset = 0
    for _time, d, data in s.turns:
        if d == k and data:
            lay.add(protocols.Unit(offset, "bytes", len(data)))
            offset += len(data)
    if offset < length:
        lay.add(protocols.Unit(offset, "bytes", length - offset))


def _preview(data: bytes) -> str:
    """Printable ASCII as it is, anything else as a dot (a hex dump's right column)."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)


def _tls_version(code: str) -> str:
    return _TLS_VERSIONS.get(code, code)


def _cipher(code: str) -> str:
    return _CIPHERS.get(code, code)


_VERSION_SCAN = 64 * 1024  # version banners sit at the start of a direction
_VERSION_STRINGS = re.compile(
    rb"(?:Server|User-Agent|X-Powered-By): [\x20-\x7e]{1,120}"
    rb"|(?:Python|OpenSSL|BaseHTTP|SimpleHTTP|CPython|OpenSSH|nginx|Apache|requests|"
    rb"urllib|curl|Werkzeug|gunicorn|uvicorn|Go-http-client|Java|libcurl)/[0-9][0-9A-Za-z.\-]{0,30}"
    rb"|SSH-[12]\.[0-9]+-[\x21-\x7e]{1,60}"
    rb"|sft-(?:pki|eke)/[0-9]+"
)
# The profile family of a stream: "eke" (sft-eke/1, sft-eke/0) or "pki" (TLS, pki/0, HTTP).
_LEGACY_PROTOCOLS = frozenset({"sft-eke/0", "sft-pki/0"})


def requirements_of(f: Finding, protocol: str, profile: str) -> list[str]:
    """The docs/SPEC.md IDs a finding is evidence against, from its kind, the secret it
    names and the stream's protocol (else the profile the capture was checked with).
    Only leaks are mapped: info and completeness findings judge nothing."""
    if f.severity != LEAK:
        return []
    proto = protocol if protocol not in ("", "unknown", "sft-clear") else ""
    proto = proto or {"pki": "tls", "eke": "sft-eke/1", "pki0": "sft-pki/0",
                      "eke0": "sft-eke/0"}.get(profile, protocol)
    eke = proto.startswith("sft-eke") or (proto == "sft-clear" and profile.startswith("eke"))
    legacy = proto in _LEGACY_PROTOCOLS or profile in ("pki0", "eke0")
    message = f.message
    secret = (f.secret or "").lower()
    ids: list[str]
    if f.kind == "password":  # the eke/0 dictionary attack
        ids = ["EKE-SEC-1", "LEG-EKE-5"]
        if "cleartext" in message:
            ids = ["EKE-PW-3", "EKE-SEC-1", "LEG-EKE-1"]
    elif f.kind == "secret" and "password" in secret:
        if "enrolment" in secret or not eke:
            ids = ["CA-ENR-1"] + (["LEG-CA-1"] if legacy else [])
        else:
            ids = ["EKE-PW-3", "EKE-SEC-1"] + (["LEG-EKE-1"] if legacy else [])
    elif f.kind in ("secret", "low_entropy"):
        if eke:
            ids = ["EKE-SEC-2"] + (["LEG-EKE-8"] if legacy else [])
        else:
            ids = ["PKI-TLS-1"] + (["LEG-PKI-6"] if legacy else [])
    elif f.kind == "protocol" and message.startswith("HTTP readable"):
        ids = ["CA-ENR-1"] + (["LEG-CA-1"] if legacy else [])
    elif f.kind == "protocol" and "certificate" in message:
        ids = ["PKI-TLS-1"] + (["LEG-PKI-1"] if legacy else [])
    elif f.kind == "protocol" and "application frame" in message:
        ids = ["EKE-SEC-2"]
    elif f.kind == "protocol" and "TLS" in message:
        ids = ["PKI-TLS-1"]
    else:
        ids = []
    return ids


def check_capture(config: CheckConfig) -> CheckReport:
    """Check one capture file; never raises for bad captures (they are "incomplete")."""
    return _Check(config).run()
