"""SecretIndex's key index against a naive reference: the C-speed membership tests
(dense keys probed every 8 bytes, sparse keys every 32) never drop a true hit."""

from __future__ import annotations

import os
import random
from pathlib import Path

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
    assert not len(sparse.dense) and len(sparse.sparse)
    assert int(sparse.sparse.places.min()) == 0


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


# --- the numpy paths against naive references ---------------------------------------


def _naive_b64_run(data: bytes) -> bool:
    run = 0
    for b in data:
        run = run + 1 if secrets_module._B64_TABLE[b] == ord("b") else 0
        if run >= 24:
            return True
    return False


def _naive_u16_run(data: bytes) -> bool:
    classes = data.translate(secrets_module._U16_TABLE)
    return secrets_module._U16_RUN in classes


def _words(data: bytes) -> object:
    import numpy as np

    return np.frombuffer(data, dtype="<u8", count=len(data) // 8)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=st.integers(0, 300))
def test_the_word_prefilters_never_miss_a_run(data: st.DataObject, size: int) -> None:
    """Random bytes with a planted run of base64 characters or of UTF-16 text, of any
    length around the thresholds, at any offset (the very start and end included):
    wherever the exact class search finds a run, the word prefilter says "maybe"."""
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    buf = bytearray(rng.randbytes(size))
    if size:
        length = data.draw(st.integers(0, min(size, 40)), label="run length")
        at = data.draw(st.integers(0, size - length), label="offset")
        kind = data.draw(st.sampled_from(["b64", "hex", "u16", "zeros"]), label="kind")
        if kind == "b64":
            run = bytes(rng.choice(secrets_module._B64_CHARS.encode()) for _ in range(length))
        elif kind == "hex":
            run = bytes(rng.choice(b"0123456789abcdefABCDEF") for _ in range(length))
        elif kind == "u16":
            odd = data.draw(st.booleans(), label="odd start")
            text = bytes(rng.choice(b"abc xyz\t\n~") for _ in range(length))
            run = (b"\0" if odd else b"") + text.decode().encode("utf-16-le")
            run = run[:length]
        else:
            run = b"\0" * length
        buf[at : at + length] = run
    raw = bytes(buf)
    if _naive_b64_run(raw):
        assert secrets_module._may_hold_base64_run(_words(raw))  # type: ignore[arg-type]
    if _naive_u16_run(raw):
        assert secrets_module._may_hold_utf16_run(_words(raw))  # type: ignore[arg-type]


def test_compressed_candidates_are_every_stream_inflate_accepts() -> None:
    """Every offset where inflate yields something is a candidate (the prefilter drops
    only headers inflate refuses), including streams at the very start and the end."""
    import gzip
    import zlib

    import numpy as np

    rng = random.Random(11)
    payload = b"secret words " * 40
    for trial in range(40):
        parts = [rng.randbytes(rng.randrange(0, 3000)) for _ in range(3)]
        streams = [zlib.compress(payload, level) for level in (0, 1, 9)] + [gzip.compress(payload)]
        buf = parts[0] + rng.choice(streams) + parts[1] + rng.choice(streams) + parts[2]
        if trial % 2:
            buf = rng.choice(streams) + buf + rng.choice(streams)[:5]
        chunk = np.frombuffer(buf, dtype=np.uint8)
        starts = set(secrets_module._compressed_starts(chunk, len(buf)))

        def read(o: int, n: int, b: bytes = buf) -> bytes:
            return b[o : o + n]

        for i in range(len(buf) - 1):
            gz = buf[i : i + 3] == b"\x1f\x8b\x08"
            zl = buf[i] == 0x78 and buf[i + 1] in (0x01, 0x5E, 0x9C, 0xDA)
            if (gz or zl) and secrets_module._inflate(read, i, len(buf), gz):
                assert i in starts, (trial, i)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n_keys=st.integers(0, 3000))
def test_the_key_table_lookup_is_set_membership(data: st.DataObject, n_keys: int) -> None:
    """The hashed bit filter and the binary search never drop a key, never invent
    one; text-like keys (few distinct low bytes) too; every place of a key is listed
    first to last, at most 1 + _MAX_REPEATS of them."""
    import numpy as np

    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    alphabet = data.draw(st.sampled_from([bytes(range(256)), b"ab ", b"\0\1"]), label="alphabet")
    pool = [bytes(rng.choice(alphabet) for _ in range(8)) for _ in range(max(n_keys // 3, 1))]
    keys_b = [rng.choice(pool) for _ in range(n_keys)]
    keys = np.frombuffer(b"".join(keys_b), dtype="<u8").astype(np.uint64)
    places = np.arange(n_keys, dtype=np.uint64) * 3
    table = secrets_module._KeyTable(keys, places)
    probes_b = [rng.choice(pool) if rng.random() < 0.5 else rng.randbytes(8) for _ in range(500)]
    probes = np.frombuffer(b"".join(probes_b), dtype="<u8")
    at, first = table.lookup(probes)
    expected = [i for i, p in enumerate(probes_b) if p in set(keys_b)]
    assert at.tolist() == expected
    for i, f in zip(at.tolist(), first.tolist(), strict=True):
        where = [3 * j for j, k in enumerate(keys_b) if k == probes_b[i]]
        assert table.places_of(f) == where[: 1 + secrets_module._MAX_REPEATS]


@pytest.mark.parametrize(("key_block", "map_window"),
                         [(4096, 4096), (65536, 65536 + 7), (8 * 1024 * 1024, 16 * 1024 * 1024)])
def test_a_large_secret_file_read_through_pread_indexes_as_in_memory(
    tmp_path: Path, key_block: int, map_window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FileBytes (a secret file over 1 MiB) is read a block at a time into one buffer
    (dense keys), or mapped a window at a time (strided keys): its keys are those of
    the same bytes held in memory, whatever the block or window size."""
    monkeypatch.setattr(secrets_module, "_KEY_BLOCK", key_block)
    monkeypatch.setattr(secrets_module, "_MAP_WINDOW", map_window)
    data = os.urandom(1024 * 1024 + 4077)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    on_disk = Secret.from_file(path, "f")
    assert isinstance(on_disk.data, secrets_module.FileBytes)
    for max_keys in (50_000, 4_000_000):  # sparse, and dense
        a = SecretIndex([on_disk], max_keys=max_keys)
        b = SecretIndex([Secret("f", data, is_file=True)], max_keys=max_keys)
        assert a.coverage == b.coverage
        for mine, theirs in ((a.dense, b.dense), (a.sparse, b.sparse)):
            assert (mine.keys == theirs.keys).all() and (mine.places == theirs.places).all()
    a = SecretIndex([on_disk], max_keys=50_000)
    run = a.coverage["f"]  # a guaranteed run near the end, extended through pread
    leak = len(data) - run - 3
    before, after = bytearray(os.urandom(40)), bytearray(os.urandom(40))
    before[-1], after[0] = data[leak - 1] ^ 0xFF, data[leak + run] ^ 0xFF  # exactly `run`
    stream = bytes(before) + data[leak : leak + run] + bytes(after)
    found = StreamScanner(a).scan(lambda o, n: stream[o : o + n], len(stream))
    assert [(m.offset, m.secret_offset) for m in found if m.encoding == "raw"][:1] == [(40, leak)]
