"""Mutators are pure, total and do what their names say; strategies are valid by construction."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.wire import FrameReader, control, frame_bytes
from fuzz import mutators as m
from fuzz.cases import Case, Write, load_case, save_case
from fuzz.strategies import Knowledge, app_frames, cases, eke1, eke3, honest_scripts, mutations

PUTF = frame_bytes("PUTF", control({"name": "a.txt", "size": 3, "sha256": "0" * 64}))
KNOW = Knowledge(file_name="hello.txt", file_bytes=b"hello")


def _frames(data: bytes) -> list[tuple[bytes, bytes]]:
    reader = FrameReader()
    reader.feed(data)
    frames = [(f.type, f.payload) for f in reader.frames()]
    assert reader.buffered == b""
    return frames


@given(st.binary(min_size=1, max_size=64), st.integers(0, 10_000))
def test_flip_bit_changes_exactly_one_bit(data: bytes, bit: int) -> None:
    out = m.flip_bit(data, bit)
    diff = sum(bin(a ^ b).count("1") for a, b in zip(data, out, strict=True))
    assert diff == 1 and m.flip_bit(out, bit) == data


@given(st.binary(min_size=1, max_size=64), st.integers(0, 10_000))
def test_truncate_is_a_strict_prefix(data: bytes, length: int) -> None:
    out = m.truncate(data, length)
    assert data.startswith(out) and len(out) < len(data)


@pytest.mark.parametrize("length", m.LYING_LENGTHS)
def test_lie_length_keeps_payload_and_rewrites_header(length: int) -> None:
    out = m.lie_length(PUTF, length)
    assert out[:4] == b"PUTF" and out[8:] == PUTF[8:]
    assert struct.unpack("!I", out[4:8])[0] == length


@pytest.mark.parametrize("kind", m.JSON_ABUSES)
def test_json_abuse_yields_a_payload_a_strict_parser_refuses(kind: str) -> None:
    out = m.json_abuse(PUTF, kind)
    (length,) = struct.unpack("!I", out[4:8])
    assert length == len(out) - 8, "the frame stays well-formed: only the JSON is bad"
    payload = out[8:]
    pairs_seen: list[str] = []

    def no_dup(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [k for k, _ in pairs]
        pairs_seen.extend(keys)
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate")
        return dict(pairs)

    def strict() -> object:
        text = payload.decode("utf-8")
        if text.startswith("\ufeff"):
            raise ValueError("BOM")
        value = json.loads(text, object_pairs_hook=no_dup, parse_constant=lambda c: 1 / 0)
        if not isinstance(value, dict):
            raise ValueError("not an object")
        size = value.get("size", 0)
        if type(size) is not int or not 0 <= size < 2**63:
            raise ValueError("size is not an integer")
        for v in value.values():
            if isinstance(v, str):
                v.encode("utf-8")
        return value

    with pytest.raises((ValueError, UnicodeError, ZeroDivisionError, RecursionError)):
        strict()


@given(st.integers(0, 20), st.integers(0, len(m.WRONG_TYPE_VALUES) - 1))
def test_wrong_json_type_changes_one_member(member: int, value: int) -> None:
    before = json.loads(PUTF[8:])
    after = json.loads(m.wrong_json_type(PUTF, member, value)[8:])
    assert set(after) == set(before)
    changed = [k for k in before if before[k] != after[k] or type(before[k]) is not type(after[k])]
    assert len(changed) == 1


@given(st.integers(1, 5000), st.integers(1, 64), st.integers(0, 2**32))
def test_split_sizes_cover_the_input(total: int, pieces: int, seed: int) -> None:
    sizes = m.split_sizes(total, pieces, seed)
    assert sum(sizes) == total and all(s > 0 for s in sizes)


def test_script_mutations_compose() -> None:
    writes = (Write(PUTF), Write(frame_bytes("DATA", b"abc")), Write(frame_bytes("DONE", b"{}")))
    muts = [
        m.Mutation("duplicate", 1),
        m.Mutation("reorder", 0, (3,)),
        m.Mutation("split", 2, (5,)),
        m.Mutation("reseal", 1, ("wrong_key",)),
        m.Mutation("tiny_writes", 0, (4, 9)),
    ]
    out = m.apply_all(writes, muts)
    assert len(out) == 5
    assert sum(1 for w in out if w.seal == "wrong_key") == 1
    assert sum(len(w.data) for w in out) == sum(len(w.data) for w in writes) + len(writes[1].data)
    assert out[0].chunks and sum(out[0].chunks) == len(out[0].data) + 8
    assert m.apply_all((), muts) == ()


def test_end_after_and_drop_shorten_the_script() -> None:
    writes = tuple(Write(bytes([i]) * 9) for i in range(4))
    assert len(m.Mutation("end_after", 1).apply(writes)) == 2
    assert m.Mutation("drop", 5).apply(writes) == (writes[0], *writes[2:])
    spliced = m.Mutation("wrong_state", 9, (b"DONE\x00\x00\x00\x02{}",)).apply(writes)
    assert len(spliced) == 5 and b"DONE\x00\x00\x00\x02{}" in [w.data for w in spliced]


@settings(max_examples=60)
@given(st.data())
def test_honest_scripts_are_valid_frames(data: st.DataObject) -> None:
    script = data.draw(honest_scripts("eke", "channel", KNOW))
    for frame in script:
        ((ftype, payload),) = _frames(frame)
        assert ftype in (b"RQFL", b"PUTF", b"DATA", b"DONE", b"BYE_")
        if ftype != b"DATA":
            assert isinstance(json.loads(payload), dict)


@settings(max_examples=60)
@given(app_frames(KNOW) | eke1() | eke3())
def test_frame_strategies_build_well_formed_frames(frame: bytes) -> None:
    ((ftype, _payload),) = _frames(frame)
    assert len(ftype) == 4


@settings(max_examples=40)
@given(st.data())
def test_every_mutation_applies_to_every_script(data: st.DataObject) -> None:
    stage = data.draw(st.sampled_from(["connect", "eke2", "channel"]))
    script = tuple(Write(f) for f in data.draw(honest_scripts("eke", stage, KNOW)))
    mutation = data.draw(mutations("eke", stage, KNOW))
    out = mutation.apply(script)
    assert all(isinstance(w, Write) for w in out)


@settings(max_examples=25)
@given(case=cases("eke", KNOW))
def test_cases_round_trip_through_json(
    case: Case, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = tmp_path_factory.mktemp("cases")
    path = save_case(case.with_findings(["LIM-5"], "note"), directory)
    back = load_case(path)
    assert back.writes == case.writes and back.requirements == ("LIM-5",)


@pytest.mark.parametrize("second", ["json_abuse", "wrong_json_type"])
def test_mutations_compose_over_deeply_nested_json(second: str) -> None:
    # Found by a ci campaign: json_abuse(deep_nesting) then another JSON mutation raised
    # RecursionError inside the fuzzer instead of leaving the frame as it was.
    deep = m.json_abuse(PUTF, "deep_nesting")
    args = ("nan",) if second == "json_abuse" else (0, 1)
    out = m.Mutation(second, 0, args).apply((Write(deep),))
    assert out[0].data == deep


@pytest.mark.parametrize("profile", ["pki", "eke"])
def test_seed_derived_mutations_cover_the_kinds_of_the_strategy_and_apply(profile: str) -> None:
    from fuzz.strategies import mutation_from_seed, session_request

    drawn = [mutation_from_seed(seed, profile, KNOW) for seed in range(3000)]  # type: ignore[arg-type]
    expected = {
        "flip", "set_byte", "truncate", "end_after", "lie_length", "set_type",
        "wrong_json_type", "json_abuse", "split", "tiny_writes", "duplicate", "reorder",
        "drop", "splice", "pause",
    } | ({"reseal"} if profile == "eke" else set())
    assert {mut.kind for mut in drawn} == expected
    assert expected <= set(m.MUTATION_KINDS)
    # Boundary values are favoured, as hypothesis does for its own integer draws.
    assert any(mut.kind == "set_byte" and mut.args[1] in (0, 255) for mut in drawn)
    # Pauses are mostly short (their cost is wall time), long ones still drawn.
    pauses = [mut.args[0] for mut in drawn if mut.kind == "pause"]
    assert any(ms > 60 for ms in pauses) and sum(ms <= 8 for ms in pauses) > len(pauses) // 2
    for seed, mut in enumerate(drawn):
        writes = tuple(Write(f) for f in session_request(seed, KNOW, [], salt=seed))
        assert isinstance(m.apply_all(writes, (mut,)), tuple)
