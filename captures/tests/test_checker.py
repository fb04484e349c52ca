"""The checker on synthetic captures: reassembly, completeness, secret forms, verdicts."""

from __future__ import annotations

import base64
import gzip
import os
import zlib
from pathlib import Path

import pytest

from captures.checker import CLEAN, INCOMPLETE, LEAK, CheckConfig, check_capture
from captures.secrets import Secret, SecretIndex, StreamScanner
from captures.tests.synth import conversation

MARKER = b"MARKER-0123456789-never-on-the-wire"


def _check(path: Path, *secrets: Secret, **kw: object) -> object:
    return check_capture(CheckConfig(path, tuple(secrets), facts=False, **kw))  # type: ignore[arg-type]


def _random_turns(n: int = 4, size: int = 3000) -> list[tuple[int, bytes]]:
    return [(i % 2, os.urandom(size)) for i in range(n)]


def test_random_traffic_complete_is_clean(tmp_path: Path) -> None:
    p = tmp_path / "c.pcapng"
    conversation(p, _random_turns())
    r = _check(p, Secret("marker", MARKER))
    assert r.verdict == CLEAN, r.findings
    assert r.exit_code == 0
    s = r.streams[0]
    assert s.complete and s.forward.bytes == 6000 and s.backward.bytes == 6000


def test_marker_split_across_two_segments_is_found_to_the_byte(tmp_path: Path) -> None:
    prefix = os.urandom(1000)
    data = prefix + MARKER + os.urandom(500)
    cut = len(prefix) + 10  # the marker straddles the segment boundary
    p = tmp_path / "split.pcapng"
    conversation(p, [(0, data[:cut]), (0, data[cut:]), (1, os.urandom(64))])
    r = _check(p, Secret("marker", MARKER))
    assert r.verdict == LEAK and r.exit_code == 1
    hits = [f for f in r.findings if f.kind == "secret"]
    assert len(hits) == 1
    f = hits[0]
    assert (f.stream, f.direction, f.offset, f.encoding) == (0, "forward", 1000, "raw")
    # the first segment carrying the marker is packet 4 (after the three-way handshake)
    assert (f.packet, f.packet_offset) == (4, 1000)
    assert MARKER[:16].hex(" ") in (f.excerpt_hex or "")


def test_out_of_order_segments_are_reassembled(tmp_path: Path) -> None:
    data = os.urandom(700) + MARKER + os.urandom(300)
    p = tmp_path / "ooo.pcapng"
    conversation(p, [(0, data[:710]), (0, data[710:])], swap=(0, 1))
    r = _check(p, Secret("marker", MARKER))
    assert [f.offset for f in r.findings if f.kind == "secret"] == [700]
    assert r.streams[0].complete


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        ({"fin": False}, "no FIN"),
        ({"rst": True}, "RST"),
        ({"skip": (1,)}, "hole"),
        ({"stats": False}, "drops are unknown"),
        ({"dropped": 3}, "dropped 3"),
    ],
)
def test_incomplete_captures_fail_closed(tmp_path: Path, mutate: dict, reason: str) -> None:
    p = tmp_path / "inc.pcapng"
    conversation(p, _random_turns(), **mutate)
    r = _check(p, Secret("marker", MARKER))
    assert r.verdict == INCOMPLETE and r.exit_code == 2
    assert any(reason in f.message for f in r.findings if f.severity == INCOMPLETE)


def test_truncated_file_is_incomplete(tmp_path: Path) -> None:
    p = tmp_path / "whole.pcapng"
    conversation(p, _random_turns())
    cut = tmp_path / "cut.pcapng"
    raw = p.read_bytes()
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    r = _check(cut)
    assert r.verdict == INCOMPLETE
    assert any("truncated" in f.message for f in r.findings)


def test_garbage_and_missing_files_are_incomplete(tmp_path: Path) -> None:
    g = tmp_path / "garbage.pcapng"
    g.write_bytes(b"this is not a capture at all")
    assert _check(g).verdict == INCOMPLETE
    assert _check(tmp_path / "absent.pcapng").verdict == INCOMPLETE


def test_leak_wins_over_incomplete(tmp_path: Path) -> None:
    p = tmp_path / "both.pcapng"
    conversation(p, [(0, os.urandom(100) + MARKER)], fin=False)
    r = _check(p, Secret("marker", MARKER))
    assert r.verdict == LEAK
    assert any(f.severity == INCOMPLETE for f in r.findings)


def test_expected_byte_count(tmp_path: Path) -> None:
    p = tmp_path / "c.pcapng"
    conversation(p, _random_turns())
    assert _check(p, expect_bytes=6000).verdict == CLEAN
    assert _check(p, expect_bytes=6001).verdict == INCOMPLETE


def _scan(data: bytes, *secrets: Secret, max_keys: int = 200_000) -> list:
    scanner = StreamScanner(SecretIndex(list(secrets), max_keys))
    return scanner.scan(lambda off, n: data[off : off + n], len(data))


def _embed(secret: bytes, start: int, end: int, pad: int) -> bytes:
    """Random bytes around secret[start:end] whose neighbours differ from the secret's,
    so that the shared run is exactly end - start bytes long."""
    before, after = bytearray(os.urandom(pad)), bytearray(os.urandom(pad))
    if start > 0:
        before[-1] = secret[start - 1] ^ 0xFF
    if end < len(secret):
        after[0] = secret[end] ^ 0xFF
    return bytes(before) + secret[start:end] + bytes(after)


def test_every_16_byte_window_of_a_secret_file_is_found_and_15_is_not() -> None:
    secret = os.urandom(5000)
    for start in (0, 1, 7, 2345, 4984):
        stream = _embed(secret, start, start + 16, 333)
        found = _scan(stream, Secret("f", secret, is_file=True))
        assert [(m.offset, m.length, m.secret_offset) for m in found] == [(333, 16, start)]
    short = _embed(secret, 100, 115, 333)
    assert _scan(short, Secret("f", secret, is_file=True)) == []


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("hex", lambda b: b.hex().encode()),
        ("base64", base64.b64encode),
        ("utf-16", lambda b: b.decode("latin-1").encode("utf-16-le")),
        ("gzip", gzip.compress),
        ("zlib", zlib.compress),
    ],
)
def test_secret_file_found_in_derived_forms(encoding: str, encode: object) -> None:
    secret = bytes(range(32, 127)) * 4  # printable, so the UTF-16 form is text
    stream = os.urandom(1001) + encode(secret[50:150]) + os.urandom(999)  # type: ignore[operator]
    found = _scan(stream, Secret("f", secret, is_file=True))
    assert encoding in {m.encoding for m in found}
    m = next(m for m in found if m.encoding == encoding)
    # UTF-16: a stray printable byte just before the text reads as one more unit (the
    # scan pairs bytes leniently there, so big-endian text is never cut short), and
    # matches secret[49] when it happens to be that byte: one character earlier.
    first = 49 if encoding == "utf-16" else 50
    assert m.secret_offset is not None and first <= m.secret_offset < 150
    assert 1001 <= m.offset < 1001 + 4 * 100


@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("start", [0, 1, 37, 84])
def test_every_16_byte_window_in_utf16_is_found(order: str, start: int) -> None:
    """A 16-character window of a text file, in either byte order, whatever random bytes
    surround it (a printable byte before it shifts how the units pair up): found whole,
    from its own offset of the file or, when a stray neighbour reads as one more unit of
    the same text, from one character earlier."""
    # printable, so the window is text in UTF-16; random, so no window repeats
    secret = bytes(32 + b % 95 for b in os.urandom(400))
    window = secret[start : start + 16].decode("latin-1").encode(order)
    for _ in range(64):  # the neighbours are random: several draws
        stream = os.urandom(301) + window + os.urandom(299)
        units = [
            m for m in _scan(stream, Secret("f", secret, is_file=True)) if m.encoding == "utf-16"
        ]
        assert units, f"{order} window at {start} not found in {stream[296:340].hex()}"
        assert any(
            m.secret_offset is not None and start - 1 <= m.secret_offset <= start and m.length >= 32
            for m in units
        ), units


@pytest.mark.parametrize("form", ["raw", "hex", "base64", "utf-16"])
def test_secret_text_found_in_each_form(form: str) -> None:
    text = b"correct horse battery"
    enc = {
        "raw": text,
        "hex": text.hex().encode(),
        "base64": base64.b64encode(b"xx" + text),
        "utf-16": text.decode().encode("utf-16-be"),
    }[form]
    found = _scan(os.urandom(100) + enc + os.urandom(100), Secret("pw", text))
    assert form in {m.encoding for m in found}


def test_large_secret_file_is_indexed_sparsely_with_a_stated_guarantee() -> None:
    secret = os.urandom(100_000)
    index = SecretIndex([Secret("big", secret, is_file=True)], max_keys=5000)
    guarantee = index.coverage["big"]
    assert 16 < guarantee < 400
    stream = _embed(secret, 40_000, 40_000 + guarantee, 77)
    found = StreamScanner(index).scan(lambda off, n: stream[off : off + n], len(stream))
    assert [(m.offset, m.secret_offset) for m in found] == [(77, 40_000)]


def test_low_entropy_run_after_the_channel_is_flagged(tmp_path: Path) -> None:
    p = tmp_path / "low.pcapng"
    text = b"plain words, plain words, nothing random here. " * 200
    conversation(p, [(0, os.urandom(2000) + text + os.urandom(2000))])
    r = _check(p)
    runs = [f for f in r.findings if f.kind == "low_entropy"]
    assert r.verdict == LEAK and runs
    assert 1000 <= runs[0].offset <= 2000 + 1024


def test_corrupt_captures_give_a_verdict_never_an_exception(tmp_path: Path) -> None:
    import random

    p = tmp_path / "good.pcapng"
    conversation(p, [(0, os.urandom(300) + MARKER), (1, os.urandom(200))])
    raw = p.read_bytes()
    rnd = random.Random(7)  # fixed seed: reproducible corruptions
    bad = tmp_path / "bad.pcapng"
    verdicts = set()
    for _ in range(150):
        b = bytearray(raw)
        for _ in range(rnd.randint(1, 8)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        if rnd.random() < 0.3:
            b = b[: rnd.randrange(len(b))]
        bad.write_bytes(bytes(b))
        r = _check(bad, Secret("marker", MARKER))
        assert r.verdict in (CLEAN, LEAK, INCOMPLETE)
        verdicts.add(r.verdict)
    # corruption mostly breaks completeness; the marker still shows when its bytes survive
    assert INCOMPLETE in verdicts and LEAK in verdicts


def test_parallel_scan_finds_what_one_pass_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from captures import checker

    mib = 1024 * 1024
    secret = os.urandom(40_000)
    body = bytearray(os.urandom(10 * mib))
    body[4 * mib - 20 : 4 * mib + 20] = secret[:40]  # straddles the first part boundary
    body[8 * mib + 30 : 8 * mib + 73] = MARKER + b"x" * (43 - len(MARKER))
    pem = b"-----BEGIN CERTIFICATE-----"  # across the second part boundary, and inside one
    body[8 * mib - 10 : 8 * mib + 17] = pem
    body[6 * mib + 5 : 6 * mib + 32] = pem
    body[9 * mib : 9 * mib + 8192] = b"low entropy text " * 481 + b"......."
    data = bytes(body)
    p = tmp_path / "big.pcapng"
    conversation(p, [(0, data[i : i + 60_000]) for i in range(0, len(data), 60_000)])
    secrets = (Secret("marker", MARKER), Secret("f", secret, is_file=True))
    serial = _check(p, *secrets, workers=1)
    monkeypatch.setattr(checker, "_PART", 4 * mib)
    monkeypatch.setattr(checker, "_PARALLEL_MIN", 8 * mib)
    monkeypatch.setattr(checker, "_WORKER_SCANNER", None)
    parallel = _check(p, *secrets, workers=2)
    assert checker._WORKER_SCANNER is not None  # the parts went to the worker processes
    assert parallel.verdict == serial.verdict == LEAK

    def view(r: object) -> list[tuple[object, ...]]:
        return [
            (f.kind, f.secret, f.encoding, f.offset, f.length)  # type: ignore[attr-defined]
            for f in r.findings
        ]  # type: ignore[attr-defined]

    assert view(parallel) == view(serial)
    assert ("secret", "f", "raw", 4 * mib - 20, 40) in view(serial)
    certificates = [v[3] for v in view(parallel) if v[0] == "protocol" and v[4] == 27]
    assert certificates == [6 * mib + 5, 8 * mib - 10]
    assert parallel.streams[0].forward.entropy == serial.streams[0].forward.entropy
