"""Several puts, one after another, on one connection (docs/SPEC.md §3.2 APP-2, §3.4, §6).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. A connection MUST support
several transfers [APP-2], and the limits of §6 are per file (LIM-3, APP-PUT-7): what one
put counted, hashed or named must not carry over to the next one. The class of bug: per
connection state kept across transfers where it should be per transfer — a byte budget
summed over the connection's puts (a quota where the SPEC has a per-file limit), a hash
or count not reset, the previous put's name reused — and a get after puts that trips
over what the puts left behind.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    fresh_name,
    get_file,
    known_file,
    put_file,
    require,
)
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

# Above this max file size the sequence is not driven past the limit (it would take too
# long to send); it still checks several puts of more than 1 MiB on one connection.
_SUM_ABOVE_LIMIT_UP_TO = 8 * 1024 * 1024


def _sizes(max_file_size: int) -> list[int]:
    """Put sizes, each within the limit; their sum exceeds it when the limit is small."""
    if max_file_size <= _SUM_ABOVE_LIMIT_UP_TO:
        return [max_file_size, max_file_size // 2 + 1, 1]
    return [1024 * 1024 + 1, 1024 * 1024 + 1, 1]


def _stored(channel: Channel, name: str, what: str) -> None:
    """A new PUTF of `name` is `exists`: the put was stored under it [APP-PUT-5]."""
    channel.send_frame("PUTF", {"name": name, "size": 1})
    again = channel.expect([ExpectError("exists"), ExpectFrame("RSFL", {"accept": True})])
    if again.frame is None or again.frame.error_name != "exists":
        failure = ConformanceFailure.evidence(
            f"APP-2: {what}, then PUTF {name!r} again",
            "EROR exists: that put was stored under its own name",
            again.describe(),
        )
        failure.violates = ("APP-2",)
        raise failure


@pytest.mark.req("APP-2", "APP-PUT-5")
def test_puts_one_after_another_on_one_connection(target: Target, app_channel: AppChannel) -> None:
    """Puts of the max file size, of more than half of it and of 1 byte, then a get, all on
    one connection: each put is accepted (each is within the per-file limit although
    together they exceed it), acknowledged with its own size and SHA-256 and stored under
    its own name; the get after them is served. Catches a limit counted per connection,
    a hash or byte count carried from one put to the next, the first put's name reused,
    and a connection that cannot serve a get once it has received puts."""
    require(target, "put")
    limit = target.limits.max_file_size
    if limit < 2:
        pytest.skip(f"the max file size ({limit} B) leaves no room for several puts")
    sizes = _sizes(limit)
    channel = app_channel(timeout=max(10.0, sum(sizes) / (2 * 1024 * 1024)))
    stored: list[tuple[str, bytes]] = []
    for index, size in enumerate(sizes):
        name = fresh_name(f"sft-sequence-{index}")
        data = os.urandom(size)
        what = (
            f"put {index + 1} of {len(sizes)} on one connection ({size} B; limit {limit} B; "
            f"earlier puts {sum(sizes[:index])} B)"
        )
        answer, final = put_file(channel, name, data, chunk=256 * 1024)
        if answer.frame is None or answer.frame.type != b"RSFL":
            failure = ConformanceFailure.evidence(
                f"APP-2: {what}: PUTF {name!r}",
                "RSFL {accept: true}: every put within the per-file limit is accepted",
                answer.describe(),
            )
            failure.violates = ("APP-2",)
            raise failure
        want = {"size": size, "sha256": hashlib.sha256(data).hexdigest()}
        done = final.frame.json() if final is not None and final.frame is not None else None
        # Only DONE's defined members: a receiver ignores the others (FRM-10).
        got = {k: done.get(k) for k in want} if isinstance(done, dict) else done
        if final is None or final.frame is None or final.frame.type != b"DONE" or got != want:
            failure = ConformanceFailure.evidence(
                f"APP-2: {what}: DATA and DONE {want}",
                f"DONE {want}",
                final.describe() if final is not None else "nothing",
            )
            failure.violates = ("APP-2", "APP-PUT-5")
            raise failure
        stored.append((name, data))
    for name, _ in stored:
        _stored(channel, name, f"{len(sizes)} puts on one connection")
    if target.has("get"):
        file = known_file(target)
        get_file(channel, file.name)  # APP-GET-2 checks, with evidence
    if target.inbox is not None:
        wrong = [
            name
            for name, data in stored
            if not (target.inbox / name).is_file() or (target.inbox / name).read_bytes() != data
        ]
        if wrong:
            raise ConformanceFailure.evidence(
                f"APP-2: {len(sizes)} puts on one connection, in the declared inbox",
                "each file holds exactly the bytes of its own put",
                f"wrong or missing: {', '.join(wrong)}",
            )


def _acknowledged(channel: Channel, name: str, data: bytes, what: str) -> None:
    """An honest put of `data` as `name`, without PUTF.sha256: accepted and acknowledged
    with its own DONE [APP-PUT-5]."""
    answer, final = put_file(channel, name, data)
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    done = final.frame.json() if final is not None and final.frame is not None else None
    # Only DONE's defined members: a receiver ignores the others (FRM-10).
    got = {k: done.get(k) for k in want} if isinstance(done, dict) else done
    if (
        answer.frame is None
        or answer.frame.type != b"RSFL"
        or final is None
        or final.frame is None
        or final.frame.type != b"DONE"
        or got != want
    ):
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: {what}, then an honest put of {name!r} without sha256 on the same "
            "connection",
            f"RSFL {{accept}}, then DONE {want}: a PUTF without sha256 is verified against "
            "its DONE alone, nothing of an earlier PUTF carries over",
            final.describe() if final is not None else answer.describe(),
        )


@pytest.mark.req("APP-PUT-5", "APP-2")
@pytest.mark.parametrize("first", ["stored", "refused-exists", "refused-too-large"])
def test_put_without_sha256_after_one_with_it(
    target: Target, app_channel: AppChannel, first: str
) -> None:
    """A PUTF carrying sha256 (stored, or refused `exists` / `too_large` after the
    responder read it), then on the same connection an honest put of other bytes whose
    PUTF has no sha256: it is stored. A responder that keeps the announced digest on the
    connection (`expected = putf.sha256 or expected`) refuses it integrity_failed."""
    require(target, "put")
    channel = app_channel()
    data = os.urandom(64)
    putf_sha = hashlib.sha256(data).hexdigest()
    if first == "stored":
        answer, final = put_file(channel, fresh_name(), data, putf_sha=putf_sha)
        if final is None or final.frame is None or final.frame.type != b"DONE":
            pytest.skip(f"the put with sha256 was not stored: {answer.describe()}")
    else:
        if first == "refused-exists":
            existing = fresh_name()
            _answer, final = put_file(app_channel(), existing, b"x")
            if final is None or final.frame is None or final.frame.type != b"DONE":
                pytest.skip("no put could be stored to be refused `exists` afterwards")
            offer = {"name": existing, "size": len(data), "sha256": putf_sha}
            code = "exists"
        else:
            offer = {"name": fresh_name(), "size": target.limits.max_file_size + 1}
            offer["sha256"] = putf_sha
            code = "too_large"
        channel.send_frame("PUTF", offer)
        refusal = channel.expect([ExpectError(code)])
        if not refusal.ok:
            pytest.skip(f"PUTF {offer} was not refused {code}: {refusal.describe()}")
    _acknowledged(channel, fresh_name(), os.urandom(48), f"a PUTF with sha256 ({first})")


@pytest.mark.req("APP-PUT-5")
@pytest.mark.parametrize("where", ["same-connection", "other-connection", "also-in-putf"])
def test_put_whose_done_repeats_an_earlier_receipt(
    target: Target, app_channel: AppChannel, where: str
) -> None:
    """A put is stored and acknowledged; then a put of other bytes of the same size sends,
    as its DONE, the receipt the responder gave the first one (on the same connection, on
    another one, or with that digest also claimed in its PUTF). The bytes do not match it:
    `integrity_failed`. A responder that takes a DONE equal to a receipt it gave for a
    retransmission, or believes the digest two of the initiator's frames agree on, stores
    bytes nobody verified."""
    require(target, "put")
    first_channel = app_channel()
    first = os.urandom(96)
    answer, final = put_file(first_channel, fresh_name(), first)
    receipt = final.frame.json() if final is not None and final.frame is not None else None
    if not (final is not None and final.frame is not None and final.frame.type == b"DONE"):
        pytest.skip(f"the first put was not stored: {(final or answer).describe()}")
    if not isinstance(receipt, dict):
        raise ConformanceFailure(f"APP-PUT-5: the receipt is not an object: {final.describe()}")
    channel = first_channel if where == "same-connection" else app_channel()
    second = bytes(b ^ 0x5A for b in first)
    name = fresh_name()
    claimed = str(receipt.get("sha256"))
    answer, final = put_file(
        channel,
        name,
        second,
        done_sha=claimed,
        done_size=len(second),
        putf_sha=claimed if where == "also-in-putf" else None,
    )
    if final is None or final.frame is None or final.frame.error_name != "integrity_failed":
        raise ConformanceFailure.evidence(
            f"APP-PUT-5 ({where}): put 1 of {len(first)} bytes acknowledged with DONE "
            f"{receipt}; put 2 {name!r} of {len(second)} other bytes whose DONE repeats "
            "that receipt"
            + (" (and whose PUTF claims its sha256)" if where == "also-in-putf" else ""),
            "EROR integrity_failed: the DONE does not match the bytes received",
            (final or answer).describe(),
        )
