"""Synthetic captures with exact segmentation (no capture rights needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from captures.pcap import TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, PcapngWriter

CLIENT = ("127.0.0.1", 50123)
SERVER = ("127.0.0.1", 4000)


def conversation(
    path: Path,
    turns: Sequence[tuple[int, bytes]],
    *,
    fin: bool = True,
    rst: bool = False,
    stats: bool = True,
    dropped: int = 0,
    skip: Sequence[int] = (),
    swap: tuple[int, int] | None = None,
) -> None:
    """Write one TCP connection: `turns` are (0 client→server | 1 server→client, bytes).

    Each turn is one segment. `skip` drops segments (by turn index) to make holes;
    `swap` exchanges two segments' order on the wire (reassembly must fix it).
    """
    isn = [1000, 50000]
    nxt = [isn[0] + 1, isn[1] + 1]
    ends = [CLIENT, SERVER]
    packets: list[tuple[int, int, int, int, bytes]] = []  # (dir, seq, ack, flags, payload)
    packets.append((0, isn[0], 0, TCP_SYN, b""))
    packets.append((1, isn[1], nxt[0], TCP_SYN | TCP_ACK, b""))
    packets.append((0, nxt[0], nxt[1], TCP_ACK, b""))
    data_packets: list[tuple[int, int, int, int, bytes]] = []
    for d, payload in turns:
        data_packets.append((d, nxt[d], nxt[1 - d], TCP_ACK, payload))
        nxt[d] += len(payload)
    order = list(range(len(data_packets)))
    if swap is not None:
        a, b = swap
        order[a], order[b] = order[b], order[a]
    packets += [data_packets[i] for i in order if i not in skip]
    if rst:
        packets.append((0, nxt[0], nxt[1], TCP_RST | TCP_ACK, b""))
    elif fin:
        packets.append((0, nxt[0], nxt[1], TCP_FIN | TCP_ACK, b""))
        packets.append((1, nxt[1], nxt[0] + 1, TCP_FIN | TCP_ACK, b""))
        packets.append((0, nxt[0] + 1, nxt[1] + 1, TCP_ACK, b""))
    with path.open("wb") as f:
        w = PcapngWriter(f)
        for i, (d, seq, ack, flags, payload) in enumerate(packets):
            w.tcp(1.0 + i / 1000, ends[d], ends[1 - d], seq, ack, flags, payload)
        if stats:
            w.stats(len(packets), dropped)


def frame(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload
