"""The checker's shortcuts against what they replace: the word prefilters on ASCII words
only, the PEM search skipped where no printable run can be, TLS headers walked with
single reads, and a digest for tshark without bare ACKs."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captures import checker as checker_module
from captures import protocols
from captures import secrets as secrets_module
from captures.pcap import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, CaptureReader
from captures.reassembly import OPENING_LIMIT, Direction, StreamTable
from captures.secrets import Secret, SecretIndex, StreamScanner
from captures.tests.synth import conversation
from captures.tests.test_pcap import _read

_BIT6 = np.uint64(0x4040404040404040)
_BIT7 = np.uint64(0x8080808080808080)


def _all_words_base64(words: np.ndarray) -> bool:
    """The prefilter as it was, on every word of the chunk (the reference)."""
    if len(words) < 2:
        return False
    folded = ((words << np.uint64(1)) | words) & _BIT6 ^ _BIT6 | (words & _BIT7)
    ok = folded == 0
    return bool(np.any(ok[:-1] & ok[1:]))


def _all_words_utf16(words: np.ndarray) -> bool:
    odd, even = np.uint64(0xFF00FF00FF00FF00), np.uint64(0x00FF00FF00FF00FF)
    return bool(np.any(((words & odd) == 0) | ((words & even) == 0)))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), size=st.integers(0, 400))
def test_prefilters_on_ascii_words_agree_with_every_word(data: st.DataObject, size: int) -> None:
    """Mostly-printable buffers (many ASCII words, pairs at the very start and end):
    the base64 prefilter says what the all-words version says; the UTF-16 one says
    "maybe" wherever a UTF-16 run of ASCII text can be (it may say "no" more often:
    a word with zero odd bytes and high even bytes holds no such text)."""
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    alphabet = data.draw(st.sampled_from([b"ab+/09", b"ab\x80\xff", b"a\0", b"\0\x90", bytes(
        range(256))]), label="alphabet")
    raw = bytes(rng.choice(alphabet) for _ in range(size))
    words = np.frombuffer(raw, dtype="<u8", count=len(raw) // 8)
    ascii_at = secrets_module._ascii_words(words)
    assert secrets_module._may_hold_base64_run(words, ascii_at) == _all_words_base64(words)
    assert secrets_module._may_hold_base64_run(words) == _all_words_base64(words)
    maybe_u16 = secrets_module._may_hold_utf16_run(words, ascii_at)
    assert maybe_u16 <= _all_words_utf16(words)
    if secrets_module._U16_RUN in raw.translate(secrets_module._U16_TABLE):
        assert maybe_u16


_PEM = checker_module._PEM_BEGIN


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_pem_headers_are_never_in_a_chunk_the_scanner_calls_unprintable(
    data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small chunks (so that headers fall at chunk starts, ends and across them): every
    PEM header that starts in a chunk is in a chunk marked as possibly printable, which
    is all the worker needs to skip the search elsewhere."""
    monkeypatch.setattr(secrets_module, "CHUNK", 1024)
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    buf = bytearray(rng.randbytes(data.draw(st.integers(0, 5000), label="size")))
    for _ in range(data.draw(st.integers(0, 3), label="headers")):
        at = data.draw(st.integers(0, len(buf)), label="offset")
        buf[at : at + len(_PEM)] = _PEM
    stream = bytes(buf)
    scanner = StreamScanner(SecretIndex([Secret("m", b"never-on-the-wire-0123")]))
    scanner.scan(lambda o, n: stream[o : o + n], len(stream))
    i = stream.find(_PEM)
    while i >= 0:
        base = i // 1024 * 1024
        assert scanner.printable_runs.get(base, True), (i, base)
        i = stream.find(_PEM, i + 1)


def _naive_tls(data: bytes) -> protocols.DirectionLayout:
    out = protocols.DirectionLayout()
    pos = 0
    while pos + 5 <= len(data):
        hdr = data[pos : pos + 5]
        if hdr[1] != 0x03:
            out.framing_error = f"not a TLS record at offset {pos}"
            break
        n = (hdr[3] << 8) | hdr[4]
        if hdr[0] == 23 and out.channel_offset is None:
            out.channel_offset = pos
        out.add(protocols.Unit(pos, protocols._TLS_TYPES.get(hdr[0], f"type{hdr[0]}"), n))
        pos += 5 + n
    return out


@settings(max_examples=100, deadline=None)
@given(data=st.data(), records=st.integers(0, 130))
def test_the_tls_walk_is_the_record_by_record_walk(data: st.DataObject, records: int) -> None:
    """Records of every type (and unknown ones), any count around the units kept (45
    first, 15 last), a broken header anywhere, a cut last record: the tight walk, with
    single reads or in blocks, gives the units, counts, channel start and error of a
    walk through DirectionLayout.add."""
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    out = bytearray()
    for _ in range(records):
        n = rng.choice([0, 1, rng.randrange(2000), 16401])
        out += bytes([rng.choice([20, 21, 22, 23, 23, 23, 99]), 3, 3]) + n.to_bytes(2, "big")
        out += rng.randbytes(n)
    if out and data.draw(st.booleans(), label="broken header"):
        out[rng.randrange(len(out))] = 0x07  # maybe a header's version byte
    out = out[: len(out) - data.draw(st.integers(0, 30), label="cut")]
    stream = bytes(out)
    expected = _naive_tls(stream)

    def read(o: int, n: int) -> bytes:
        return stream[o : o + n]

    for peek in (None, read):
        got = protocols.layout("tls", read, len(stream), True, peek)
        assert (got.units, got.count, got.counts, got.channel_offset, got.framing_error) == (
            expected.units, expected.count, expected.counts, expected.channel_offset,
            expected.framing_error)


def test_the_digest_keeps_what_tshark_reads_and_no_bare_ack(tmp_path: Path) -> None:
    """SYN, FIN, RST and the segments of each direction's opening go to the digest,
    with their packet numbers; the receiver's bare ACKs and the bulk do not."""
    from captures.pcap import PcapngWriter

    cap = tmp_path / "c.pcapng"
    conversation(cap, [(0, b"hello " * 10), (1, b"x" * 3000)])
    # append a bulk transfer with bare ACKs after the opening
    with cap.open("ab") as f:
        w = PcapngWriter.__new__(PcapngWriter)
        w._f, w.count = f, 0
        seq = 50001 + 3000
        for k in range(40):
            w.tcp(9.0 + k, ("127.0.0.1", 4000), ("127.0.0.1", 50123), seq, 1061, TCP_ACK,
                  b"y" * 4000)
            seq += 4000
            w.tcp(9.5 + k, ("127.0.0.1", 50123), ("127.0.0.1", 4000), 1061, seq, TCP_ACK)
        w.tcp(60.0, ("127.0.0.1", 50123), ("127.0.0.1", 4000), 1061, seq, TCP_RST)
    with cap.open("rb") as fh:
        reader = CaptureReader(fh)
        table = StreamTable(str(tmp_path), reader.payload_fd)
        digest = checker_module._DigestWriter(tmp_path / "d.pcapng", table)
        segments = []
        for seg in reader:
            table.add(seg)
            digest.add(seg)
            segments.append((seg.index, seg.flags, len(seg.payload), seg.seq, seg.sport))
        digest.close()
        reader.close()
    table.close()
    isn = {50123: 1000, 4000: 50000}
    wanted = [i for i, flags, n, seq, sport in segments
              if flags & (TCP_SYN | TCP_FIN | TCP_RST)
              or (n and (seq - isn[sport] - 1) < OPENING_LIMIT)]
    assert list(digest.numbers) == wanted
    assert len(wanted) < len(segments) - 40  # the 40 bare ACKs (and some bulk) are out
    with (tmp_path / "d.pcapng").open("rb") as fh:
        copied = [(s.flags, len(s.payload)) for s in CaptureReader(fh)]
    assert copied == [(f, n) for i, f, n, _, _ in segments if i in wanted]


def _ipv4_frame(rng: random.Random, vlan: bool, payload: bytes) -> bytes:
    """An Ethernet frame of an IPv4 packet, usually TCP, sometimes odd: IP options, a
    fragment, UDP, a lying total length, a VLAN tag."""
    import struct

    ihl = 6 if rng.random() < 0.15 else 5
    proto = 17 if rng.random() < 0.1 else 6
    frag = rng.choice([0x4000] * 8 + [0x2000, 0x0010])
    tcp = struct.pack("!HHIIBBHHH", rng.choice([4000, 50123]), rng.choice([4000, 50123]),
                      rng.getrandbits(32), rng.getrandbits(32), rng.choice([5, 5, 8, 15]) << 4,
                      rng.getrandbits(6), 65535, 0, 0)
    total = 4 * ihl + len(tcp) + len(payload) + rng.choice([0] * 8 + [-30, 7, 500])
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, max(total, 0) & 0xFFFF, 0, frag, 64, proto,
                     0, bytes([127, 0, 0, rng.randrange(1, 3)]), bytes([127, 0, 0, 1]))
    ip += b"\1\1\1\1" * (ihl - 5)
    ether = b"\x08\x00"
    if vlan:
        ether = b"\x81\x00\x00\x05" + ether
    return b"\0" * 12 + ether + ip + tcp + payload


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), packets=st.integers(0, 40), cut=st.integers(0, 300))
def test_the_mapped_packet_loop_reads_as_the_stream_reader(
    seed: int, packets: int, cut: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """pcapng with several interfaces (Ethernet and raw IP, microsecond and nanosecond
    clocks), packets cut by the snap length, short frames, IP options, fragments, UDP,
    VLAN tags, other blocks between packets, a cut file: the mapped reader's in-place
    loop gives what reading the same bytes as a stream gives."""
    import io
    import struct

    rng = random.Random(seed)

    def block(btype: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 262144))  # Ethernet, µs
    out += block(1, struct.pack("<HHI", 101, 0, 262144) + struct.pack("<HHB3x", 9, 1, 9)
                 + struct.pack("<HH", 0, 0))  # raw IP, ns
    for _ in range(packets):
        iid = rng.choice([0, 0, 0, 1])
        frame = _ipv4_frame(rng, rng.random() < 0.1, rng.randbytes(rng.choice([0, 1, 100, 1448])))
        if iid == 1:
            frame = frame[14:]
        if rng.random() < 0.1:
            frame = frame[: rng.randrange(0, 60)]  # a short frame
        origlen = len(frame)
        if rng.random() < 0.15:
            frame = frame[: rng.randrange(0, len(frame) + 1)]  # snapped
        ts = rng.getrandbits(40)
        out += block(6, struct.pack("<IIIII", iid, ts >> 32, ts & 0xFFFFFFFF, len(frame),
                                    origlen) + frame)
        if rng.random() < 0.05:
            out += block(4, b"name resolution, ignored")
    out += block(5, struct.pack("<III", 0, 0, 0) + struct.pack("<HHQ", 4, 8, packets)
                 + struct.pack("<HHQ", 5, 8, 0) + struct.pack("<HH", 0, 0))
    data = out[: len(out) - cut] if rng.random() < 0.3 else out
    path = tmp_path_factory.mktemp("p") / "c.pcapng"
    path.write_bytes(data)
    with path.open("rb") as fh:
        mapped = CaptureReader(fh)
        assert mapped.mapped is not None or not data
        got = _read(mapped)
        mapped.close()
    assert got == _read(CaptureReader(io.BytesIO(data)))


def _old_low_runs(
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


def _old_downsample(probes: list[tuple[int, float]], points: int) -> list[tuple[int, float]]:
    if len(probes) <= points:
        return [(o, round(h, 3)) for o, h in probes]
    step = len(probes) / points
    out = []
    for k in range(points):
        bucket = probes[int(k * step) : int((k + 1) * step)] or probes[-1:]
        low = min(bucket, key=lambda p: p[1])
        out.append((low[0], round(low[1], 3)))
    return out


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(0, 900), points=st.sampled_from([1, 7, 300]))
def test_low_runs_and_downsampling_are_the_per_sample_loops(
    data: st.DataObject, n: int, points: int
) -> None:
    """Entropy samples with ties, runs of low ones at the start, the end, before
    `start`, or none at all: the shortcut (no low sample: no run) and the bucket minima
    by list index give what the loops over (offset, entropy) pairs gave."""
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    low_share = data.draw(st.sampled_from([0.0, 0.05, 0.5, 1.0]), label="low share")
    probes = [(k * 256, rng.choice([7.0, 7.2, 5.0, 6.0]) if rng.random() < low_share else
               rng.choice([7.0, 7.2, 6.5])) for k in range(n)]
    start = data.draw(st.integers(0, n * 256 + 1), label="start")
    for min_run in (256, 4096):
        assert checker_module._low_runs(probes, start, 6.0, min_run, 256) == _old_low_runs(
            probes, start, 6.0, min_run, 256)
    assert checker_module._downsample(probes, points) == _old_downsample(probes, points)


def _reference_offset(isn: int, high: int, seq: int) -> int:
    rel = (seq - isn - 1) & 0xFFFFFFFF
    best = (high & ~0xFFFFFFFF) | rel
    for cand in (best - (1 << 32), best + (1 << 32)):
        if cand >= -1 and abs(cand - high) < abs(best - high):
            best = cand
    return best


@settings(max_examples=300, deadline=None)
@given(isn=st.integers(0, 2**32 - 1), high=st.integers(0, 2**36),
       delta=st.one_of(st.integers(-(2**33), 2**33),
                       st.sampled_from([2**31 - 1, 2**31, 2**31 + 1, -(2**31) + 1, -(2**31),
                                        -(2**31) - 1, 0, -1, 2**32, -(2**32)])))
def test_sequence_unwrapping_takes_the_nearest_offset(isn: int, high: int, delta: int) -> None:
    """The shortcut (a sequence number within 2 GiB of the highest offset) gives the
    offset the search over the neighbouring 4 GiB windows gives, at every distance."""
    direction = Direction("a", 1, "b", 2, "/nonexistent", isn=isn)
    direction._high = high
    seq = (isn + 1 + high + delta) & 0xFFFFFFFF
    assert direction._offset(seq) == _reference_offset(isn, high, seq)
