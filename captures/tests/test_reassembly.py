"""Reassembly into files against a naive model: every payload lands at its offset, a
later segment overwrites an earlier one, holes read as zeros — whatever the segment
sizes, their order, the interleaving of the two directions and of reads."""

from __future__ import annotations

import dataclasses
import mmap
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captures.pcap import TCP_ACK, TCP_SYN, TcpSegment
from captures.reassembly import StreamTable

_A, _B = ("10.0.0.1", 40000), ("10.0.0.2", 7000)
_ISN = (0xFFFFF000, 123)  # the forward one wraps around 2^32 after 4 KiB


def _segment(n: int, d: int, offset: int, payload: bytes, flags: int = TCP_ACK) -> TcpSegment:
    src, dst = (_A, _B) if d == 0 else (_B, _A)
    seq = (_ISN[d] + 1 + offset) & 0xFFFFFFFF
    return TcpSegment(n, float(n), src[0], src[1], dst[0], dst[1], seq, 0, flags, payload)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_directions_read_back_as_the_model(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Payloads from a capture file (extents, turned into a file by the first segment
    that does not follow) or without one (a file from the start) read the same."""
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    in_capture = data.draw(st.booleans(), label="payloads in a capture file")
    # mostly in order keeps a direction as extents for long; 0.6 turns it soon
    in_order = data.draw(st.sampled_from([0.6, 0.9, 1.0]), label="share in order")
    tmp = tmp_path_factory.mktemp("r")
    capture = os.open(tmp / "capture", os.O_RDWR | os.O_CREAT, 0o600)
    table = StreamTable(str(tmp), capture if in_capture else None)
    table.add(_segment(1, 0, -1, b"", TCP_SYN))
    table.add(_segment(2, 1, -1, b"", TCP_SYN | TCP_ACK))
    models = [bytearray(), bytearray()]
    ends = [0, 0]
    for n in range(3, 3 + data.draw(st.integers(0, 60), label="segments")):
        d = rng.randrange(2)
        kind = rng.random()
        if kind < in_order:  # in order
            offset = ends[d]
        elif kind < (1 + in_order) / 2:  # a retransmission, maybe with other bytes
            offset = rng.randrange(0, ends[d] + 1)
        else:  # ahead: leaves a hole (maybe filled later)
            offset = ends[d] + rng.randrange(1, 3000)
        if rng.random() < 0.1:  # ahead also when in order: a hole kept as extents
            offset = ends[d] + rng.randrange(1, 3000)
        payload = rng.randbytes(rng.randrange(1, 3000))
        if offset < ends[d] and rng.random() < 0.5:  # a retransmission of the same bytes
            payload = bytes(models[d][offset : offset + len(payload)]) + payload[
                ends[d] - offset :]
        segment = _segment(n, d, offset, payload)
        if in_capture:  # the payload after some header bytes, as in a capture file
            os.write(capture, rng.randbytes(rng.randrange(0, 80)))
            at = os.lseek(capture, 0, os.SEEK_CUR)
            os.write(capture, payload)
            segment = dataclasses.replace(segment, payload_at=at)
        table.add(segment)
        model = models[d]
        if len(model) < offset + len(payload):
            model.extend(bytes(offset + len(payload) - len(model)))
        model[offset : offset + len(payload)] = payload
        ends[d] = max(ends[d], offset + len(payload))
        if rng.random() < 0.1:  # a read in the middle sees everything so far
            direction = table.streams[0].directions[d]
            assert direction.read(0, direction.length) == bytes(model)
    stream = table.streams[0]
    # the scanning workers' reads: spans sliced from the mapped capture (pages given back)
    size = os.fstat(capture).st_size
    mapping = mmap.mmap(capture, size, access=mmap.ACCESS_READ) if size else None
    for d, direction in enumerate(stream.directions):
        expected = bytes(models[d])
        assert direction.length == len(expected)
        if not direction.in_place:
            assert Path(direction.path).read_bytes()[: direction.length] == expected
        assert direction.read(0, direction.length + 10) == expected
        assert direction.read_mapped(0, direction.length + 10, mapping) == expected
        for _ in range(20):  # any piece: across extents, holes, the end
            a = rng.randrange(0, len(expected) + 2)
            b = rng.randrange(0, 9000)
            assert direction.read(a, b) == expected[a : a + b], (a, b)
            assert direction.read_mapped(a, b, mapping) == expected[a : a + b], (a, b)
            k = b % 9  # a header's few bytes: one pread where one extent holds them
            assert direction.peek(a, k) == expected[a : a + k], (a, k)
    if mapping is not None:
        mapping.close()  # no view of it outlives a read
    table.close()
    os.close(capture)
