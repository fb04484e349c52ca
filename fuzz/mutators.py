"""Composable mutators: pure functions that turn valid messages into hostile ones.

Two levels, like tlsfuzzer's `fuzz_message` / `split_message` / `truncate_handshake`:

* byte-level functions take one encoded frame and return bytes (`flip_bit`,
  `truncate`, `lie_length`, `wrong_json_type`, `json_abuse`, ...);
* `Mutation` values act on a whole script (a tuple of `Write`s): they pick a write by
  index (modulo the script's length, so any drawn index is valid) and apply one
  byte-level function, or change the script's shape (split, tiny writes, duplicate,
  reorder, drop, splice in a foreign or wrong-state frame, reseal a record with the
  wrong key or sequence number, pause).

Every mutation is data (`kind`, `index`, `args`) with a one-line `describe()`, so a
saved case says what was done to the honest script. Nothing here does I/O.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from fuzz.cases import MAX_DELAY, SEALS, Seal, Write

__all__ = [
    "LYING_LENGTHS",
    "JSON_ABUSES",
    "WRONG_TYPE_VALUES",
    "flip_bit",
    "set_byte",
    "truncate",
    "lie_length",
    "set_type",
    "wrong_json_type",
    "json_abuse",
    "split_sizes",
    "Mutation",
    "apply_all",
    "MUTATION_KINDS",
]

# [FRM-3]: 0, small, just above the default limit (1 MiB + 256), huge, the maximum.
LYING_LENGTHS: Final[tuple[int, ...]] = (0, 1, 7, 1_048_833, 0x7FFFFFFF, 0xFFFFFFFF)
# JSON values of every type, to put where the schema wants another [FRM-9, FRM-11, FRM-12].
WRONG_TYPE_VALUES: Final[tuple[Any, ...]] = (
    None,
    True,
    False,
    0,
    -1,
    2**63,
    1.5,
    "",
    "x",
    [],
    {},
    "../../etc/passwd",
)
JSON_ABUSES: Final[tuple[str, ...]] = (
    "duplicate_key",
    "nan",
    "infinity",
    "not_utf8",
    "lone_surrogate",
    "array",
    "deep_nesting",
    "huge_int",
    "float_size",
    "exponent_size",
    "bool_size",
    "trailing_garbage",
    "empty",
    "bom",
)


# --- byte-level -------------------------------------------------------------------------


def flip_bit(data: bytes, bit: int) -> bytes:
    """Flips one bit (`bit` modulo the length in bits); empty input stays empty."""
    if not data:
        return data
    bit %= len(data) * 8
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def set_byte(data: bytes, index: int, value: int) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    out[index % len(data)] = value & 0xFF
    return bytes(out)


def truncate(data: bytes, length: int) -> bytes:
    """Keeps the first `length` bytes (modulo the length, so always strictly shorter)."""
    if not data:
        return data
    return data[: length % len(data)]


def lie_length(data: bytes, length: int) -> bytes:
    """Rewrites the header's length field, keeping the payload [FRM-1, FRM-3]."""
    if len(data) < 8:
        return data
    return data[:4] + struct.pack("!I", length & 0xFFFFFFFF) + data[8:]


def set_type(data: bytes, frame_type: bytes) -> bytes:
    """Replaces the 4 type bytes (any bytes: `frm2` tests use non A-Z ones) [FRM-2, FRM-5]."""
    if len(data) < 4 or len(frame_type) != 4:
        return data
    return frame_type + data[4:]


def _reframe(data: bytes, payload: bytes) -> bytes:
    return data[:4] + struct.pack("!I", len(payload)) + payload


def _control_object(data: bytes) -> dict[str, Any] | None:
    if len(data) < 8:
        return None
    try:
        value = json.loads(data[8:].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: a previous mutation nested it deeply (found by a ci campaign).
        return None
    return value if isinstance(value, dict) else None


def wrong_json_type(data: bytes, member_index: int, value_index: int) -> bytes:
    """Gives one member of a control frame a value of another JSON type [FRM-9, FRM-11].

    `member_index` picks an existing member (modulo their number; an object with none
    gets a new member `name`); `value_index` picks from `WRONG_TYPE_VALUES`.
    """
    obj = _control_object(data)
    if obj is None:
        return data
    keys = list(obj) or ["name"]
    key = keys[member_index % len(keys)]
    value = WRONG_TYPE_VALUES[value_index % len(WRONG_TYPE_VALUES)]
    if obj.get(key) == value and type(obj.get(key)) is type(value):
        value = [value]
    obj[key] = value
    return _reframe(data, json.dumps(obj, separators=(",", ":")).encode())


def json_abuse(data: bytes, kind: str) -> bytes:
    """Re-encodes a control payload in one of the ways FRM-8..FRM-11 forbid."""
    obj = _control_object(data)
    if obj is None:
        return data
    text = json.dumps(obj, separators=(",", ":"))
    first = next(iter(obj), "name")
    body: bytes

    # Appends one member to the object's text: `{` + members + `,"z":VALUE}`.
    def extended(value: bytes) -> bytes:
        return text[:-1].encode() + (b"," if obj else b"") + b'"z":' + value + b"}"

    if kind == "duplicate_key":
        body = ("{" + json.dumps(first) + ':"dup",' + text[1:]).encode()
        if not obj:
            body = b'{"z":1,"z":2}'
    elif kind == "nan":
        body = extended(b"NaN")
    elif kind == "infinity":
        body = extended(b"-Infinity")
    elif kind == "not_utf8":
        body = extended(b'"\xff\xfe"')
    elif kind == "lone_surrogate":
        body = extended(b'"\\ud800"')
    elif kind == "array":
        body = ("[" + text + "]").encode()
    elif kind == "deep_nesting":
        body = ("{" + json.dumps(first) + ":" + "[" * 10_000 + "]" * 10_000 + "}").encode()
    elif kind in ("huge_int", "float_size", "exponent_size", "bool_size"):
        literal = {
            "huge_int": str(2**64 + 1),
            "float_size": "1.0",
            "exponent_size": "1e3",
            "bool_size": "true",
        }[kind]
        target = "size" if "size" in obj else ("code" if "code" in obj else first)
        obj.pop(target, None)
        inner = json.dumps(obj, separators=(",", ":"))
        sep = "," if obj else ""
        body = (inner[:-1] + sep + json.dumps(target) + ":" + literal + "}").encode()
    elif kind == "trailing_garbage":
        body = text.encode() + b"}x"
    elif kind == "empty":
        body = b""
    elif kind == "bom":
        body = b"\xef\xbb\xbf" + text.encode()
    else:
        raise ValueError(f"unknown JSON abuse {kind!r}")
    return _reframe(data, body)


def split_sizes(total: int, pieces: int, seed: int) -> tuple[int, ...]:
    """`pieces` chunk sizes summing to `total` (deterministic in `seed`): tiny writes."""
    if total <= 0:
        return ()
    pieces = max(1, min(pieces, total))
    if pieces == total:
        return (1,) * total
    # Cut points spread by a cheap linear congruence: no randomness outside the args.
    cuts = sorted({1 + (seed * (i + 7) * 2654435761) % (total - 1) for i in range(pieces - 1)})
    sizes = []
    last = 0
    for cut in cuts:
        sizes.append(cut - last)
        last = cut
    sizes.append(total - last)
    return tuple(sizes)


# --- script-level -----------------------------------------------------------------------


def _at(writes: Sequence[Write], index: int) -> int:
    return index % len(writes)


def _replace_data(
    writes: tuple[Write, ...], index: int, fn: Callable[[bytes], bytes]
) -> tuple[Write, ...]:
    i = _at(writes, index)
    w = writes[i]
    # Wire chunks describe the old length; a mutated message is written whole.
    return (*writes[:i], replace(w, data=fn(w.data), chunks=()), *writes[i + 1 :])


@dataclass(frozen=True, slots=True)
class Mutation:
    """One mutation of a script. `args` are ints, strs or bytes; see `MUTATION_KINDS`."""

    kind: str
    index: int = 0
    args: tuple[Any, ...] = ()

    def describe(self) -> str:
        shown = ", ".join(a.hex()[:32] if isinstance(a, bytes) else repr(a) for a in self.args)
        return f"{self.kind}@{self.index}({shown})"

    def apply(self, writes: tuple[Write, ...]) -> tuple[Write, ...]:
        if not writes:
            if self.kind in ("splice", "wrong_state") and self.args:
                return (Write(bytes(self.args[0])),)
            return writes
        return _KINDS[self.kind](writes, self.index, *self.args)


def _m_flip(writes: tuple[Write, ...], index: int, bit: int) -> tuple[Write, ...]:
    return _replace_data(writes, index, lambda d: flip_bit(d, bit))


def _m_set_byte(writes: tuple[Write, ...], index: int, pos: int, value: int) -> tuple[Write, ...]:
    return _replace_data(writes, index, lambda d: set_byte(d, pos, value))


def _m_truncate(writes: tuple[Write, ...], index: int, length: int) -> tuple[Write, ...]:
    return _replace_data(writes, index, lambda d: truncate(d, length))


def _m_end_after(writes: tuple[Write, ...], index: int) -> tuple[Write, ...]:
    # The peer vanishes: everything after this write is dropped [FRM-7, APP-GET-5].
    return writes[: _at(writes, index) + 1]


def _m_lie_length(writes: tuple[Write, ...], index: int, length: int) -> tuple[Write, ...]:
    return _replace_data(writes, index, lambda d: lie_length(d, length))


def _m_set_type(writes: tuple[Write, ...], index: int, frame_type: bytes) -> tuple[Write, ...]:
    return _replace_data(writes, index, lambda d: set_type(d, frame_type))


def _m_wrong_json_type(
    writes: tuple[Write, ...], index: int, member: int, value: int
) -> tuple[Write, ...]:
    return _replace_data(writes, index, lambda d: wrong_json_type(d, member, value))


def _m_json_abuse(writes: tuple[Write, ...], index: int, kind: str) -> tuple[Write, ...]:
    return _replace_data(writes, index, lambda d: json_abuse(d, kind))


def _m_split(writes: tuple[Write, ...], index: int, offset: int) -> tuple[Write, ...]:
    """One message becomes two (over EKE: two records, neither holding one whole frame)."""
    i = _at(writes, index)
    w = writes[i]
    if len(w.data) < 2:
        return writes
    cut = 1 + offset % (len(w.data) - 1)
    first, second = (
        replace(w, data=w.data[:cut], chunks=()),
        replace(w, data=w.data[cut:], chunks=()),
    )
    return (*writes[:i], first, second, *writes[i + 1 :])


def _m_tiny_writes(
    writes: tuple[Write, ...], index: int, pieces: int, seed: int
) -> tuple[Write, ...]:
    """The same bytes in many small TCP writes [FRM-4] (the wire image, after sealing)."""
    i = _at(writes, index)
    w = writes[i]
    # Sizes are for the wire image; an EKE record adds 24 bytes, which the runner
    # writes in one last piece (chunks that do not cover everything leave a tail).
    sizes = split_sizes(len(w.data) + 8, pieces, seed)
    return (*writes[:i], replace(w, chunks=sizes), *writes[i + 1 :])


def _m_duplicate(writes: tuple[Write, ...], index: int) -> tuple[Write, ...]:
    i = _at(writes, index)
    return (*writes[: i + 1], writes[i], *writes[i + 1 :])


def _m_reorder(writes: tuple[Write, ...], index: int, other: int) -> tuple[Write, ...]:
    i, j = _at(writes, index), _at(writes, other)
    out = list(writes)
    out[i], out[j] = out[j], out[i]
    return tuple(out)


def _m_drop(writes: tuple[Write, ...], index: int) -> tuple[Write, ...]:
    i = _at(writes, index)
    return (*writes[:i], *writes[i + 1 :])


def _m_splice(writes: tuple[Write, ...], index: int, frame: bytes) -> tuple[Write, ...]:
    """Inserts a frame taken from another session, or one not allowed here [FRM-6]."""
    i = index % (len(writes) + 1)
    return (*writes[:i], Write(bytes(frame)), *writes[i:])


def _m_reseal(writes: tuple[Write, ...], index: int, seal: str) -> tuple[Write, ...]:
    if seal not in SEALS:
        raise ValueError(f"unknown seal {seal!r}")
    i = _at(writes, index)
    typed: Seal = seal
    return (*writes[:i], replace(writes[i], seal=typed), *writes[i + 1 :])


def _m_pause(writes: tuple[Write, ...], index: int, millis: int) -> tuple[Write, ...]:
    i = _at(writes, index)
    delay = min(MAX_DELAY, abs(millis) / 1000)
    return (*writes[:i], replace(writes[i], delay=delay), *writes[i + 1 :])


_KINDS: Final[dict[str, Callable[..., tuple[Write, ...]]]] = {
    "flip": _m_flip,
    "set_byte": _m_set_byte,
    "truncate": _m_truncate,
    "end_after": _m_end_after,
    "lie_length": _m_lie_length,
    "set_type": _m_set_type,
    "wrong_json_type": _m_wrong_json_type,
    "json_abuse": _m_json_abuse,
    "split": _m_split,
    "tiny_writes": _m_tiny_writes,
    "duplicate": _m_duplicate,
    "reorder": _m_reorder,
    "drop": _m_drop,
    "splice": _m_splice,
    "wrong_state": _m_splice,
    "reseal": _m_reseal,
    "pause": _m_pause,
}
MUTATION_KINDS: Final[tuple[str, ...]] = tuple(_KINDS)


def apply_all(writes: tuple[Write, ...], mutations: Sequence[Mutation]) -> tuple[Write, ...]:
    """Applies mutations in order (composition): each sees the previous one's result."""
    for mutation in mutations:
        writes = mutation.apply(writes)
    return writes
