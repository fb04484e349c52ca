"""Reassembly into files against a naive model: every payload lands at its offset, a
later segment overwrites an earlier one, holes read as zeros — whatever the segment
sizes, their order, the interleaving of the two directions and of reads."""

from __future__ import annotations

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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_directions_read_back_as_the_model(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    table = StreamTable(str(tmp_path_factory.mktemp("r")))
    table.add(_segment(1, 0, -1, b"", TCP_SYN))
    table.add(_segment(2, 1, -1, b"", TCP_SYN | TCP_ACK))
    models = [bytearray(), bytearray()]
    ends = [0, 0]
    for n in range(3, 3 + data.draw(st.integers(0, 60), label="segments")):
        d = rng.randrange(2)
        kind = rng.random()
        if kind < 0.6:  # in order
            offset = ends[d]
        elif kind < 0.8:  # a retransmission, maybe with other bytes
            offset = rng.randrange(0, ends[d] + 1)
        else:  # ahead: leaves a hole (maybe filled later)
            offset = ends[d] + rng.randrange(1, 3000)
        payload = rng.randbytes(rng.randrange(1, 3000))
        table.add(_segment(n, d, offset, payload))
        model = models[d]
        if len(model) < offset + len(payload):
            model.extend(bytes(offset + len(payload) - len(model)))
        model[offset : offset + len(payload)] = payload
        ends[d] = max(ends[d], offset + len(payload))
        if rng.random() < 0.1:  # a read in the middle sees everything so far
            direction = table.streams[0].directions[d]
            assert direction.read(0, direction.length) == bytes(model)
    stream = table.streams[0]
    for d, direction in enumerate(stream.directions):
        assert direction.length == len(models[d])
        assert Path(direction.path).read_bytes()[: direction.length] == bytes(models[d])
        assert direction.read(0, direction.length + 10) == bytes(models[d])
    table.close()
