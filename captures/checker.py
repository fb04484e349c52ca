"""Check a capture: complete? anything secret readable? what does the protocol say?

Verdicts and exit codes: "clean" 0, "leak" 1, "incomplete" 2 (also unreadable).
The checker fails closed: "clean" needs positive proof of completeness — interface
statistics with zero drops, every connection with SYN and FIN in both directions,
no RST, no sequence hole, no truncated packet, and the expected byte count when
one is given. A leak found in an incomplete capture is still a leak (the evidence
is in the bytes), so "leak" wins over "incomplete".

Work is split so memory stays bounded whatever the capture size: one pass over
the file reassembles every direction into a temporary file (captures.reassembly);
then each direction is scanned in 4 MiB chunks (captures.secrets), sampled for
entropy, and its frame/record headers are walked (captures.protocols); meanwhile a
child process asks tshark, through pyshark, for the protocol facts
(captures.facts).
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
]

import math
import os
import tempfile
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from captures import attacks, protocols
from captures.facts import collect_facts
from captures.pcap import (
    TCP_FIN,
    TCP_RST,
    TCP_SYN,
    CaptureFormatError,
    CaptureReader,
    PcapngWriter,
)
from captures.protocols import DirectionLayout
from captures.reassembly import OPENING_LIMIT, Direction, StreamTable, TcpStream
from captures.secrets import Secret, SecretIndex, SecretMatch, StreamScanner

CLEAN, LEAK, INCOMPLETE = "clean", "leak", "incomplete"
EXIT_CODES = {CLEAN: 0, LEAK: 1, INCOMPLETE: 2}
PROFILES = ("auto", "pki", "eke", "pki0", "eke0")
_PROFILE_PROTOCOL = {"pki": "tls", "eke": "sft-eke/1", "pki0": "sft-pki/0", "eke0": "sft-eke/0"}
_CHANNEL_PROTOCOLS = frozenset({"tls", "sft-eke/1"})
_PLOT_POINTS = 300
_CLOGC = [0.0] + [c * math.log2(c) for c in range(1, 4097)]
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
    Counting every byte would cost ~20 ns/byte in Python (2 s per 100 MB); sampling
    keeps the plot and the run detection at a fraction of that.
    """
    stride = 256 if length < 1 << 20 else 1024 if length < 16 << 20 else 4096
    out: list[tuple[int, float]] = []
    block = 4 * 1024 * 1024  # a multiple of every stride
    for start, end in ranges if ranges is not None else [(0, length)]:
        pos = start
        while pos < end:
            buf = read(pos, min(block, end - pos))
            if not buf:
                break
            for i in range(0, len(buf), stride):
                sample = buf[i : i + probe]
                if len(sample) < min(probe, 32):
                    break
                n = len(sample)
                # H = log2(n) - (1/n)·Σ c·log2(c), c·log2(c) from a table (2x faster)
                h = math.log2(n) - sum(map(_CLOGC.__getitem__, Counter(sample).values())) / n
                out.append((pos + i, h))
            pos += len(buf)
    return out


def _entropy(sample: bytes) -> float | None:
    n = len(sample)
    if n == 0:
        return None
    return round(math.log2(n) - sum(map(_CLOGC.__getitem__, Counter(sample).values())) / n, 3)


def _low_runs(
    probes: list[tuple[int, float]], start: int, threshold: float, min_run: int, probe: int
) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
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
    for k in range(points):
        bucket = probes[int(k * step) : int((k + 1) * step)] or probes[-1:]
        low = min(bucket, key=lambda p: p[1])  # keep dips visible
        out.append((low[0], round(low[1], 3)))
    return out


_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"
_PEM_END = b"-----END CERTIFICATE-----"


def _pem_certificates(
    d: Direction, ranges: list[tuple[int, int]], limit: int = 10
) -> list[tuple[int, str]]:
    """(offset, subject) of PEM certificates readable in a direction (bounded count)."""
    from cryptography import x509  # the checker's only use of cryptography: naming the leak

    found: list[tuple[int, str]] = []
    block = 4 * 1024 * 1024
    for start, end in ranges:
        pos = start
        while pos < end and len(found) < limit:
            found += _pem_in_block(d, x509, pos, block, limit - len(found))
            pos += block
    return found


def _pem_in_block(
    d: Direction, x509: Any, pos: int, block: int, limit: int
) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    buf = d.read(pos, block + len(_PEM_BEGIN))
    i = buf.find(_PEM_BEGIN)
    while 0 <= i < block and len(found) < limit:
        pem = d.read(pos + i, 16384)
        end = pem.find(_PEM_END)
        subject = "unparsed certificate"
        if end > 0:
            try:
                cert = x509.load_pem_x509_certificate(pem[: end + len(_PEM_END)])
                subject = cert.subject.rfc4514_string() or "empty subject"
            except ValueError:
                pass
        found.append((pos + i, subject))
        i = buf.find(_PEM_BEGIN, i + 1)
    return found


_BLOCK = 4 * 1024 * 1024  # scanner chunk and entropy block: parts are whole blocks
_PART = 16 * _BLOCK  # 64 MiB: the largest part a worker scans at once
# Directions from 16 MiB on are scanned by the workers: on 100 MB the serial scan took
# ~1.9 s of CPU against ~0.2 s for reassembly, so the second core is worth its fork.
_PARALLEL_MIN = 4 * _BLOCK
_PARTS_PER_WORKER = 4  # several parts per worker, so a busy core does not hold up the end
_WORKER_SCANNER: StreamScanner | None = None


def _scan_part(
    path: str, length: int, start: int, end: int, limit: int, probe: int
) -> tuple[list[SecretMatch], list[tuple[int, float]]]:
    """Worker: scan [start, end) of a direction file (reading up to `limit`)."""
    assert _WORKER_SCANNER is not None
    fd = os.open(path, os.O_RDONLY)
    try:
        def read(offset: int, size: int) -> bytes:
            return os.pread(fd, size, offset)

        matches = _WORKER_SCANNER.scan(read, length, [(start, end)], limit=limit)
        return matches, entropy_probes(read, length, probe, [(start, end)])
    finally:
        os.close(fd)


def _part_size(total: int, workers: int) -> int:
    """Bytes per worker part: whole blocks (so that the parts sample entropy and cut
    scanner chunks where one pass does), about `_PARTS_PER_WORKER` parts per worker,
    at most `_PART`."""
    want = -(-total // (workers * _PARTS_PER_WORKER))
    return max(_BLOCK, min(_PART, -(-want // _BLOCK) * _BLOCK))


def _write_digest(capture: Path, table: StreamTable, out: Path) -> array[int]:
    """Copy the opening of every connection (first 64 KiB of each direction, and every
    SYN, FIN, RST) into a small pcapng for tshark; return the original packet numbers.

    Handshakes — all tshark needs for the protocol facts — are at the start of each
    connection, so tshark dissects kilobytes instead of the whole capture: on 1 GB the
    whole-file pass took 15 s and ~470 MiB in tshark. The bulk bytes are checked by
    the fast path anyway.
    """
    keep = OPENING_LIMIT
    numbers: array[int] = array("Q")
    with capture.open("rb") as src, out.open("wb") as dst:
        writer = PcapngWriter(dst)
        try:
            for seg in CaptureReader(src):
                stream = table.stream_of(seg)
                wanted = seg.flags & (TCP_SYN | TCP_FIN | TCP_RST) or stream is None
                if not wanted and stream is not None:
                    d = stream.forward if (seg.src, seg.sport) == (
                        stream.forward.src, stream.forward.sport) else stream.backward
                    wanted = d.isn is None or (
                        (seg.seq - d.isn - 1) & 0xFFFFFFFF) < keep
                if wanted:
                    writer.segment(seg)
                    numbers.append(seg.index)
        except CaptureFormatError:
            pass  # already reported by the first pass
    return numbers


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
        with tempfile.TemporaryDirectory(prefix="sft-capture-", dir=cfg.workdir) as tmp, fh:
            table = StreamTable(tmp)
            reader = CaptureReader(fh)
            try:
                table.feed(reader)
            except CaptureFormatError as exc:
                self.add(kind="completeness", severity=INCOMPLETE,
                         message=f"unreadable capture: {exc}")
            rep.timings["reassembly_s"] = round(time.perf_counter() - t0, 3)
            rep.format, rep.packets = reader.format, reader.packets
            try:
                self._analyse(table, reader, Path(tmp))
            finally:
                table.close()
                if self._pool is not None:
                    self._pool.shutdown()
        return self._finish(t0)

    def _analyse(self, table: StreamTable, reader: CaptureReader, tmp: Path) -> None:
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
        if cfg.facts and table.streams:
            digest = tmp / "digest.pcapng"
            self._digest_map = _write_digest(cfg.capture, table, digest)

            def run_facts() -> None:
                t = time.perf_counter()
                facts_box.update(collect_facts(digest, tls_ports, sft_ports,
                                               timeout=cfg.facts_timeout))
                facts_box["elapsed_s"] = round(time.perf_counter() - t, 3)
                self.report.timings["facts_s"] = facts_box["elapsed_s"]

            facts_thread = threading.Thread(target=run_facts, daemon=True)
            facts_thread.start()

        index = SecretIndex(list(cfg.secrets), cfg.max_index_keys)
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
        scanner = StreamScanner(index)
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
        for name, d in (("forward", s.forward), ("backward", s.backward)):
            lay = protocols.layout(protocol, d.read, d.length, name == "forward")
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
            ranges = d.ranges()
            matches, probes = self._bulk(d, ranges, scanner)
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
            for off, subject in _pem_certificates(d, ranges):
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
    ) -> tuple[list[SecretMatch], list[tuple[int, float]]]:
        """Secret search and entropy samples of one direction; large directions are cut
        into parts of whole 4 MiB chunks scanned by forked worker processes (the scan is
        CPU-bound pure Python; the parts give the same results as one pass)."""
        cfg = self.cfg
        total = sum(e - s for s, e in ranges)
        if cfg.workers <= 1 or total < _PARALLEL_MIN:
            return (scanner.scan(d.read, d.length, ranges),
                    entropy_probes(d.read, d.length, cfg.probe_size, ranges))
        size = _part_size(total, cfg.workers)
        parts = [(a, min(a + size, e), e) for s, e in ranges for a in range(s, e, size)]
        global _WORKER_SCANNER
        _WORKER_SCANNER = scanner  # inherited by the forked workers
        if self._pool is None:
            self._pool = ProcessPoolExecutor(cfg.workers, mp_context=get_context("fork"))
        futures = [self._pool.submit(_scan_part, d.path, d.length, a, b, limit, cfg.probe_size)
                   for a, b, limit in parts]
        matches: list[SecretMatch] = []
        probes: list[tuple[int, float]] = []
        for fut in futures:
            m, p = fut.result()
            matches += m
            probes += p
        return StreamScanner.merge(matches), sorted(probes)

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

    def _finish(self, t0: float) -> CheckReport:
        rep = self.report
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


def check_capture(config: CheckConfig) -> CheckReport:
    """Check one capture file; never raises for bad captures (they are "incomplete")."""
    return _Check(config).run()
