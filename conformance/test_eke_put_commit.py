"""sft-eke/1: a put is acknowledged only once it is stored under its final name (SPEC §3.4
APP-PUT-5, §3.6).

"answer `DONE {size, sha256}` only once the file is durably stored under its final name
(§3.6); otherwise `EROR integrity_failed` (fatal) and nothing under the final name." The
commit (fsync, link or rename without replacing, directory fsync) can fail for reasons
the bytes on the wire do not show; a responder that handles the one failure it expected
(the final name taken: `exists`) and logs any other one as harmless answers DONE for a
file that is not there. The failure is made from outside: once the put's temporary file
(`.sft-partial-…`, APP-STORE-1, found by the bytes it holds) has taken the first half of
the data, the suite removes it; the rest and DONE follow. The answer may be DONE (an
implementation that still holds the data may store it) or a fatal EROR — but a DONE MUST
mean the final name holds exactly the bytes sent.

Needs the inbox's path (target file key `inbox`): a responder on the suite's own host.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import fresh_name, require
from conformance.eke_channel import EkeChannel
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

ChannelFactory = Callable[..., EkeChannel]

_CHUNK = 64 * 1024
_PREFIX = ".sft-partial-"


def _our_temporary(inbox: Path, head: bytes, within: float) -> Path | None:
    """The inbox's temporary file whose content starts with `head` (other cases may be
    putting meanwhile: only ours is touched), polled until `within` seconds passed."""
    deadline = time.monotonic() + within
    while True:
        for path in inbox.glob(f"{_PREFIX}*"):
            try:
                with path.open("rb") as f:
                    if f.read(len(head)) == head:
                        return path
            except OSError:
                continue
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


@pytest.mark.req("APP-PUT-5")
def test_a_put_whose_temporary_vanished_is_not_acknowledged_unstored(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    require(eke_target, "put")
    inbox = eke_target.inbox
    if inbox is None:
        pytest.skip("needs the inbox's path (target file key `inbox`)")
    channel = eke_channel_factory()
    name = fresh_name("sft-vanished-temp")
    data = secrets.token_bytes(4 * _CHUNK)
    half = len(data) // 2
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    if answer.frame is None or answer.frame.type != b"RSFL":
        pytest.skip(f"the put was not accepted: {answer.describe()}")
    for offset in range(0, half, _CHUNK):
        channel.send_frame("DATA", data[offset : offset + _CHUNK])
    temporary = _our_temporary(inbox, data[:4096], within=3.0)
    if temporary is None:
        inconclusive(
            f"no {_PREFIX}* file holding the put's first bytes appeared in {inbox} within 3 s "
            "of sending half of them (APP-STORE-1 is other cases' to judge)"
        )
    assert temporary is not None
    temporary.unlink()
    for offset in range(half, len(data), _CHUNK):
        channel.send_frame("DATA", data[offset : offset + _CHUNK])
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    outcome = channel.expect([ExpectFrame("DONE"), ExpectError()])
    final = inbox / name
    stored = final.read_bytes() if final.is_file() else None
    acknowledged = outcome.frame is not None and outcome.frame.type == b"DONE"
    if acknowledged and stored != data:
        what = "nothing" if stored is None else f"{len(stored)} other bytes"
        raise ConformanceFailure.evidence(
            f"APP-PUT-5: a put of {name!r} ({len(data)} bytes) whose temporary "
            f"{temporary.name} the suite removed after the first {half} bytes; the rest and "
            "DONE were sent",
            "DONE only once the bytes are durably stored under the final name; otherwise a "
            "fatal EROR (the commit failed: the temporary is gone)",
            f"{outcome.describe()}\nand the inbox holds {what} under {name!r}",
        )
    if not acknowledged and stored is not None and stored != data:
        raise ConformanceFailure(
            f"APP-PUT-5: the put of {name!r} was refused ({outcome.describe()}) but "
            f"{len(stored)} bytes other than those sent are under its final name"
        )


@pytest.mark.req("APP-PUT-8")
def test_two_puts_of_one_name_verified_at_once_store_one(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    """Two connections put one name; both PUTFs are accepted (a PUTF refused `exists`
    leaves nothing to race: that round proves nothing and passes), both send their bytes,
    then both DONEs leave back to back. Whatever the timing, at most one put is stored:
    one DONE, the other answered `exists` instead of its DONE (APP-PUT-8) — a commit that
    checks "is the name free?" and then renames over it lets both through, the later
    replacing the earlier. With the inbox's path, the stored file must be exactly the
    bytes of the put answered DONE. Three rounds, fresh names, on the same connections."""
    require(eke_target, "put")
    inbox = eke_target.inbox
    first, second = eke_channel_factory(), eke_channel_factory()
    for round_ in range(3):
        name = fresh_name("sft-commit-race")
        datas = (secrets.token_bytes(3000), secrets.token_bytes(3000))
        accepted = []
        for channel, data in zip((first, second), datas, strict=True):
            channel.send_frame("PUTF", {"name": name, "size": len(data)})
            answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
            if answer.frame is None or answer.frame.type != b"RSFL":
                break
            accepted.append(channel)
            channel.send_frame("DATA", data)
        if len(accepted) < 2:
            if accepted:  # the first one still owes its DONE
                accepted[0].send_frame(
                    "DONE", {"size": len(datas[0]), "sha256": hashlib.sha256(datas[0]).hexdigest()}
                )
                accepted[0].expect([ExpectFrame("DONE"), ExpectError()])
            continue
        for channel, data in zip(accepted, datas, strict=True):
            channel.send_frame(
                "DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
        answers = [
            channel.expect([ExpectFrame("DONE"), ExpectError("exists", then_close=False)])
            for channel in accepted
        ]
        done = [i for i, a in enumerate(answers) if a.frame is not None and a.frame.type == b"DONE"]
        if len(done) > 1:
            stored = (inbox / name).read_bytes() if inbox is not None else None
            which = (
                ""
                if stored is None
                else "; the inbox holds the second put's bytes"
                if stored == datas[1]
                else "; the inbox holds the first put's bytes"
                if stored == datas[0]
                else "; the inbox holds neither put's bytes"
            )
            raise ConformanceFailure.evidence(
                f"APP-PUT-8 (round {round_ + 1}): two puts of {name!r} on two connections, "
                "both accepted, their DONEs sent back to back",
                "one DONE; the other put answered `exists` instead of its DONE (the first to "
                "be stored wins, no other replaces it)",
                f"both answered DONE{which}\n" + "\n".join(a.describe() for a in answers),
            )
        for a in answers:
            a.check(f"a DONE of a put of {name!r} raced by another connection's")
        if done and inbox is not None:
            stored = (inbox / name).read_bytes()
            if stored != datas[done[0]]:
                raise ConformanceFailure(
                    f"APP-PUT-8: the put of {name!r} answered DONE was connection "
                    f"{done[0] + 1}'s, but the stored file holds other bytes ({len(stored)})"
                )


@pytest.mark.req("APP-PUT-5")
def test_puts_of_two_names_interleaved_store_their_own_bytes(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    """Two connections put two names at once, their DATA frames interleaved (one of the
    first, one of the second, …), then both DONEs. A put answered DONE MUST be stored as
    the bytes it sent (APP-PUT-5): temporaries chosen so that two connections' puts share
    one (a per-connection counter, a name opened without O_EXCL, APP-STORE-1) store a mix
    of both, verified on the wire and wrong on disk. Needs the inbox's path."""
    require(eke_target, "put")
    inbox = eke_target.inbox
    if inbox is None:
        pytest.skip("needs the inbox's path (target file key `inbox`)")
    channels = (eke_channel_factory(), eke_channel_factory())
    names = (fresh_name("sft-interleaved-a"), fresh_name("sft-interleaved-b"))
    datas = (secrets.token_bytes(4 * _CHUNK), secrets.token_bytes(4 * _CHUNK))
    for channel, name, data in zip(channels, names, datas, strict=True):
        channel.send_frame("PUTF", {"name": name, "size": len(data)})
        answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
        if answer.frame is None or answer.frame.type != b"RSFL":
            pytest.skip(f"the put of {name!r} was not accepted: {answer.describe()}")
    for offset in range(0, len(datas[0]), _CHUNK):
        for channel, data in zip(channels, datas, strict=True):
            channel.send_frame("DATA", data[offset : offset + _CHUNK])
    for channel, data in zip(channels, datas, strict=True):
        channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    for channel, name, data in zip(channels, names, datas, strict=True):
        outcome = channel.expect([ExpectFrame("DONE"), ExpectError()])
        if outcome.frame is None or outcome.frame.type != b"DONE":
            continue  # refused: other cases judge whether it had to be stored
        final = inbox / name
        stored = final.read_bytes() if final.is_file() else None
        if stored != data:
            other = datas[1] if data is datas[0] else datas[0]
            what = (
                "nothing"
                if stored is None
                else "the other put's bytes"
                if stored == other
                else f"{len(stored)} bytes mixing both puts"
                if set(_chunks(stored)) & set(_chunks(other))
                else f"{len(stored)} other bytes"
            )
            raise ConformanceFailure.evidence(
                f"APP-PUT-5: puts of {names[0]!r} and {names[1]!r} on two connections, their "
                f"{len(data) // _CHUNK} DATA frames each interleaved, then both DONEs",
                f"{name!r} answered DONE holds exactly the {len(data)} bytes its put sent",
                f"{outcome.describe()}\nbut the inbox holds {what} under {name!r}",
            )


def _chunks(data: bytes) -> list[bytes]:
    return [data[i : i + 4096] for i in range(0, len(data), 4096)]
