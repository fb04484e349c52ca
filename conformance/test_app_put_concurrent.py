"""Puts in progress on several connections at once stay apart (docs/SPEC.md §3.4, §3.6).

Two principals at once, each with a put of its own name in progress: nothing one of them
holds may collide with or leak into the other's.

- The temporary file's name. APP-STORE-1 wants `.sft-partial-` followed by a *random*
  part, created exclusively. A "random" part that is not — a counter kept per connection
  (each connection's first put gets `…-0`), or the digest the initiator claims in
  `PUTF.sha256` (content-addressed staging: two copies of one file claim one digest) —
  makes the second put's exclusive create fail while the first is in progress: the
  responder answers it `internal`, or closes, instead of accepting a name nobody holds.
  Here two fresh connections put the same content, announced with its digest, under two
  different names at once: both MUST be accepted and stored.
- The acknowledgement. The responder answers a verified put with `DONE {size, sha256}`
  once it is stored (APP-PUT-5); a responder that keeps "the verified put" where every
  connection sees it (a class or module attribute) acknowledges one put with another's
  DONE when their DONEs arrive together. Here pairs of puts of different sizes end at
  the same moment, several times: each acknowledgement MUST be its own put's.

Both profiles.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_CHUNK = 64 * 1024


def _offer(channel: Channel, name: str, data: bytes, what: str) -> None:
    channel.send_frame(
        "PUTF", {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    )
    outcome = channel.expect(
        [ExpectFrame("RSFL", {"accept": True}), ExpectError("forbidden", "exists", "too_large")]
    )
    frame = outcome.frame
    if frame is None or frame.type != b"RSFL":
        failure = ConformanceFailure.evidence(
            what,
            "RSFL {accept: true}: a fresh name no other put holds, within every limit",
            outcome.describe(),
            note="the other put, of the same content under another name, was in progress on "
            "another connection: a temporary named by a counter or by the claimed digest "
            "collides with its one (APP-STORE-1: a random part, created exclusively), or "
            "the responder refuses puts while another is in progress (APP-PUT-1: a fresh "
            "name is accepted)",
        )
        failure.violates = ("APP-STORE-1", "APP-PUT-1")
        raise failure


def _send_data(channel: Channel, data: bytes) -> None:
    for offset in range(0, len(data), _CHUNK):
        channel.send_frame("DATA", data[offset : offset + _CHUNK])


def _send_done(channel: Channel, data: bytes) -> None:
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


def _acknowledged(channel: Channel, data: bytes, what: str) -> str | None:
    """None when the put was acknowledged with its own DONE; else what came instead."""
    outcome = channel.expect([ExpectFrame("DONE")])
    frame = outcome.frame
    if frame is None or frame.type != b"DONE":
        return f"{what}: {outcome.describe()}"
    meta = frame.json() or {}
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    got = {"size": meta.get("size"), "sha256": meta.get("sha256")}
    if got != want:
        return f"{what}: acknowledged with {got}, its own put is {want}"
    return None


@pytest.mark.req("APP-STORE-1", "APP-PUT-1", "APP-PUT-5")
def test_two_connections_put_one_content_under_two_names_at_once(
    target: Target, app_channel: AppChannel
) -> None:
    """Two fresh connections, each with its first put: the same 200 KiB, its digest in
    PUTF, two different fresh names; the second PUTF comes while the first put is in
    progress (accepted, part of its data sent). Both accepted, both stored."""
    require(target, "put")
    if target.limits.max_file_size < 200 * 1024:
        pytest.skip("the maximum file size is below the 200 KiB this case puts")
    data = hashlib.sha256(b"one content, two names").digest() * (200 * 1024 // 32)
    first, second = app_channel(), app_channel()
    name_a, name_b = fresh_name(), fresh_name()
    _offer(first, name_a, data, f"APP-STORE-1: the first PUTF {name_a!r}")
    first.send_frame("DATA", data[:_CHUNK])
    _offer(second, name_b, data, f"APP-STORE-1: PUTF {name_b!r} while {name_a!r} is in progress")
    _send_data(first, data[_CHUNK:])
    _send_data(second, data)
    _send_done(first, data)
    _send_done(second, data)
    problems = [
        p
        for p in (
            _acknowledged(first, data, f"the put of {name_a!r}"),
            _acknowledged(second, data, f"the put of {name_b!r}"),
        )
        if p is not None
    ]
    if problems:
        failure = ConformanceFailure.evidence(
            "APP-PUT-5: two puts of one content under two names, at once",
            "DONE {size, sha256} for each, once it is stored",
            "\n".join(problems),
        )
        failure.violates = ("APP-PUT-5",)
        raise failure


_ROUNDS = 6


@pytest.mark.req("APP-PUT-5")
def test_puts_ending_together_are_each_acknowledged_with_their_own_done(
    target: Target, app_channel: AppChannel
) -> None:
    """Rounds of two puts (different sizes and contents) on two connections whose DONEs
    are sent back to back: each connection's DONE answer names its own put."""
    require(target, "put")
    first, second = app_channel(), app_channel()
    problems: list[str] = []
    for round_ in range(_ROUNDS):
        data_a = f"round {round_}: the first put\n".encode() * (300 + round_)
        data_b = f"round {round_}: the second, other put\n".encode() * (700 + round_)
        name_a, name_b = fresh_name(), fresh_name()
        _offer(first, name_a, data_a, f"round {round_}: PUTF {name_a!r}")
        _offer(second, name_b, data_b, f"round {round_}: PUTF {name_b!r}")
        _send_data(first, data_a)
        _send_data(second, data_b)
        _send_done(first, data_a)
        _send_done(second, data_b)
        for channel, data, name in ((first, data_a, name_a), (second, data_b, name_b)):
            problem = _acknowledged(channel, data, f"round {round_}: the put of {name!r}")
            if problem is not None:
                problems.append(problem)
        if problems:
            break
    if problems:
        failure = ConformanceFailure.evidence(
            "APP-PUT-5: two puts on two connections whose DONEs arrive together",
            "each answered DONE {size, sha256} of its own stored put",
            "\n".join(problems),
        )
        failure.violates = ("APP-PUT-5",)
        raise failure


@pytest.mark.req("APP-STORE-1", "APP-PUT-5")
def test_interleaved_puts_of_two_names_keep_their_own_bytes(
    target: Target, app_channel: AppChannel
) -> None:
    """Two connections put two different contents under two fresh names at once, their
    DATA interleaved chunk by chunk, their DONEs back to back: each is acknowledged with
    its own DONE and (where the inbox is known) holds exactly its own bytes. A temporary
    whose name is not random and exclusive — the clock's second, a name-derived or
    per-connection counter opened with O_TRUNC — is shared by both: one put truncates and
    overwrites the other's bytes, and the second commit finds its temporary gone."""
    require(target, "put")
    size_a, size_b = 5 * _CHUNK + 123, 3 * _CHUNK + 45
    if target.limits.max_file_size < size_a:
        pytest.skip(f"the maximum file size is below the {size_a} bytes this case puts")
    data_a = hashlib.sha256(b"interleaved a").digest() * (size_a // 32) + b"a" * (size_a % 32)
    data_b = hashlib.sha256(b"interleaved b").digest() * (size_b // 32) + b"b" * (size_b % 32)
    first, second = app_channel(), app_channel()
    name_a, name_b = fresh_name(), fresh_name()
    _offer(first, name_a, data_a, f"APP-STORE-1: PUTF {name_a!r}")
    _offer(second, name_b, data_b, f"APP-STORE-1: PUTF {name_b!r} while {name_a!r} is open")
    chunks_a = [data_a[i : i + _CHUNK] for i in range(0, len(data_a), _CHUNK)]
    chunks_b = [data_b[i : i + _CHUNK] for i in range(0, len(data_b), _CHUNK)]
    for index in range(max(len(chunks_a), len(chunks_b))):
        if index < len(chunks_a):
            first.send_frame("DATA", chunks_a[index])
        if index < len(chunks_b):
            second.send_frame("DATA", chunks_b[index])
    _send_done(first, data_a)
    _send_done(second, data_b)
    problems = [
        p
        for p in (
            _acknowledged(first, data_a, f"the put of {name_a!r}"),
            _acknowledged(second, data_b, f"the put of {name_b!r}"),
        )
        if p is not None
    ]
    if not problems and target.inbox is not None:
        for name, data in ((name_a, data_a), (name_b, data_b)):
            try:
                stored = (target.inbox / name).read_bytes()
            except OSError as exc:
                problems.append(f"{name!r} acknowledged but not readable in the inbox: {exc}")
                continue
            if stored != data:
                digest = hashlib.sha256(stored).hexdigest()
                problems.append(
                    f"{name!r} acknowledged, but the inbox holds {len(stored)} bytes "
                    f"(sha256 {digest}), not the {len(data)} bytes put"
                )
    if problems:
        raise ConformanceFailure.evidence(
            "APP-STORE-1/APP-PUT-5: two puts of two names and two contents on two "
            "connections, DATA interleaved chunk by chunk, DONEs back to back",
            "DONE {size, sha256} for each, and each stored file holding its own bytes: "
            "each put writes its own exclusive, randomly named temporary",
            "\n".join(problems),
        )
