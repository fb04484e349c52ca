"""The capture reader maps a capture file and reads it in place: the same segments, flags
and counters as reading it block by block from a stream, and each mapped segment says
where its payload lies in the file."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captures.pcap import TCP_ACK, CaptureFormatError, CaptureReader, PcapngWriter, TcpSegment


def _read(reader: CaptureReader) -> tuple[list[tuple[object, ...]], tuple[object, ...]]:
    segments: list[tuple[object, ...]] = []
    error = ""
    try:
        for s in reader:
            segments.append((s.index, s.time, s.src, s.sport, s.dst, s.dport, s.seq, s.ack,
                             s.flags, bytes(s.payload)))
    except CaptureFormatError as exc:
        error = str(exc)
    state: tuple[object, ...] = (reader.format, reader.packets, reader.truncated, reader.snapped,
             reader.non_tcp, reader.fragments, error,
             [(i.received, i.dropped) for i in reader.stats])
    return segments, state


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), packets=st.integers(0, 30), cut=st.integers(0, 200),
       stats=st.booleans())
def test_mapped_reading_is_stream_reading(
    seed: int, packets: int, cut: int, stats: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rng = random.Random(seed)
    raw = io.BytesIO()
    w = PcapngWriter(raw)
    hosts = [("10.0.0.1", 40000), ("10.0.0.2", 7000), ("::1", 41000), ("::2", 7001)]
    for n in range(packets):
        pair = rng.choice([(0, 1), (1, 0), (2, 3), (3, 2)])
        w.tcp(n * 0.5, hosts[pair[0]], hosts[pair[1]], rng.getrandbits(32), 0, TCP_ACK,
              rng.randbytes(rng.choice([0, 1, 7, 100, 1500])))
    if stats:
        w.stats(packets, 0)
    data = raw.getvalue()
    data = data[: len(data) - cut] if cut and rng.random() < 0.5 else data  # a cut recording
    if data and rng.random() < 0.5:  # corrupt bytes: lengths, headers, anything
        spoilt = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            spoilt[rng.randrange(len(spoilt))] = rng.randrange(256)
        data = bytes(spoilt)
    path = tmp_path_factory.mktemp("p") / "c.pcapng"
    path.write_bytes(data)
    with path.open("rb") as fh:
        mapped = CaptureReader(fh)
        assert mapped.mapped is not None or not data
        placed = [(s.payload_at, bytes(s.payload)) for s in _segments(mapped)]
    with path.open("rb") as fh:
        mapped_again = CaptureReader(fh)
        got = _read(mapped_again)
        mapped_again.close()
    assert got == _read(CaptureReader(io.BytesIO(data)))
    for at, payload in placed:
        assert at >= 0 and data[at : at + len(payload)] == payload
    assert len(placed) == len(got[0])


def _segments(reader: CaptureReader) -> list[TcpSegment]:
    out: list[TcpSegment] = []
    try:
        out.extend(reader)
    except CaptureFormatError:
        pass
    return out


def test_an_empty_file_is_read_as_a_stream(tmp_path: Path) -> None:
    path = tmp_path / "empty.pcapng"
    path.write_bytes(b"")
    with path.open("rb") as fh:
        reader = CaptureReader(fh)
        assert reader.mapped is None
        with pytest.raises(CaptureFormatError):
            list(reader)
