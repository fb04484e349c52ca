"""SecretIndex's key index against a naive reference: the C-speed membership tests
(dense keys probed every 8 bytes, sparse keys every 32) never drop a true hit."""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captures import secrets as secrets_module
from captures.secrets import Secret, SecretIndex, StreamScanner


def _shared_run(stream: bytes, secret: bytes, s0: int, f0: int, n: int) -> bool:
    return stream[s0 : s0 + n] == secret[f0 : f0 + n]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), size=st.integers(16, 3000), max_keys=st.sampled_from([50, 300, 10_000]))
def test_every_guaranteed_run_is_found_where_it_is(
    data: st.DataObject, size: int, max_keys: int
) -> None:
    # random bytes (from a drawn seed, so that failures replay): no repeated 8-byte
    # window, whose key would map to its first occurrence only
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    secret = rng.randbytes(size)
    index = SecretIndex([Secret("f", secret, is_file=True)], max_keys=max_keys)
    guarantee = index.coverage["f"]
    assert guarantee == 16 or guarantee >= 31  # every window, or 8·3 + 7, or 32·s + 7
    assert (size - 7 <= max_keys) == (guarantee == 16)
    run = data.draw(st.integers(min(guarantee, size), size), label="run")
    f0 = data.draw(st.integers(0, size - run), label="file offset")
    pad = data.draw(st.integers(0, 200), label="pad")
    stream = bytearray(rng.randbytes(pad)) + secret[f0 : f0 + run] + rng.randbytes(50)
    if f0 > 0 and pad > 0:  # the run is exactly `run` bytes long
        stream[pad - 1] = secret[f0 - 1] ^ 0xFF
    if f0 + run < size:
        stream[pad + run] = secret[f0 + run] ^ 0xFF
    found = StreamScanner(index).scan(lambda o, n: bytes(stream[o : o + n]), len(stream))
    raw = [m for m in found if m.encoding == "raw"]
    if run < guarantee:  # the whole file is shorter than the guarantee: nothing promised
        return
    assert raw, f"a {run}-byte run (guarantee {guarantee}) was not found"
    for m in raw:  # every finding is true, and located to the byte
        assert m.secret_offset is not None
        assert _shared_run(bytes(stream), secret, m.offset, m.secret_offset, m.length)
        assert m.length >= 16
    assert (raw[0].offset, raw[0].length, raw[0].secret_offset) == (pad, run, f0)


@pytest.mark.parametrize("max_keys", [100, 100_000])
def test_runs_across_chunk_boundaries_are_found(
    max_keys: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small chunks: the overlap between chunks must carry every probe the run needs
    monkeypatch.setattr(secrets_module, "CHUNK", 8192)
    secret = os.urandom(20_000)
    index = SecretIndex([Secret("f", secret, is_file=True)], max_keys=max_keys)
    guarantee = index.coverage["f"]
    for boundary_shift in range(-guarantee, 8, max(1, guarantee // 7)):
        start = 8192 + boundary_shift
        before, after = bytearray(os.urandom(start)), bytearray(os.urandom(9000))
        before[-1], after[0] = secret[4999] ^ 0xFF, secret[5000 + guarantee] ^ 0xFF
        stream = bytes(before) + secret[5000 : 5000 + guarantee] + bytes(after)
        found = StreamScanner(index).scan(lambda o, n, s=stream: s[o : o + n], len(stream))
        assert [(m.offset, m.secret_offset) for m in found if m.encoding == "raw"] == [
            (start, 5000)
        ], (boundary_shift, guarantee)


def test_keys_of_several_files_keep_their_first_occurrence() -> None:
    a = os.urandom(4000)
    b = a[1000:3000] + os.urandom(100)  # b's keys mostly repeat a's
    index = SecretIndex([Secret("a", a, is_file=True), Secret("b", b, is_file=True)])
    # the bytes around the run differ from the file's, so the run is exactly 100 bytes
    before, after = bytes([a[1499] ^ 0xFF]), bytes([a[1600] ^ 0xFF])
    stream = os.urandom(63) + before + a[1500:1600] + after + os.urandom(63)
    found = StreamScanner(index).scan(lambda o, n: stream[o : o + n], len(stream))
    assert [(m.secret, m.offset, m.length, m.secret_offset) for m in found] == [
        ("a", 64, 100, 1500)
    ]
    sparse = SecretIndex([Secret("a", a, is_file=True)], max_keys=200)
    assert not sparse.dense and sparse.sparse
    assert min(v for v in sparse.sparse.values()) == 0


def test_a_window_around_a_repeated_8_gram_is_found_where_it_is() -> None:
    """Text repeats 8-grams. A 16-byte leak whose only whole probe is a repeated 8-gram
    K must be extended at the place it came from, not only at K's first occurrence."""
    k = b"password"
    a1, b1, a2, b2 = (os.urandom(16) for _ in range(4))
    secret = a1 + k + b1 + a2 + k + b2
    leak_at = len(a1 + k + b1 + a2) - 4  # 4 bytes of a2, k, 4 bytes of b2
    index = SecretIndex([Secret("f", secret, is_file=True)], max_keys=10_000)
    assert index.coverage["f"] == 16
    # the leak starts 4 bytes before a probe position: the probe at 64 is k, the ones
    # at 56 and 72 reach outside the leak
    stream = bytearray(os.urandom(60)) + secret[leak_at : leak_at + 16] + os.urandom(60)
    stream[59] = secret[leak_at - 1] ^ 0xFF  # the leak is exactly 16 bytes long
    stream[76] = secret[leak_at + 16] ^ 0xFF
    found = list(index.scan_buffer(bytes(stream)))
    assert found == [("f", 60, 16, leak_at)]


def test_a_key_shared_by_two_files_is_tried_in_both() -> None:
    k = b"ABCDEFGH"
    first = os.urandom(16) + k + os.urandom(16)
    second = os.urandom(16) + k + os.urandom(16)
    index = SecretIndex([Secret("a", first, is_file=True), Secret("b", second, is_file=True)])
    stream = bytearray(os.urandom(60)) + second[12:28] + os.urandom(60)  # only k is whole
    stream[59], stream[76] = second[11] ^ 0xFF, second[28] ^ 0xFF
    assert list(index.scan_buffer(bytes(stream))) == [("b", 60, 16, 12)]
