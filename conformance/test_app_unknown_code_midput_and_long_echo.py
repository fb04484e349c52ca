"""An initiator's EROR of an unknown code during a put (ERR-4, APP-3), and the RSFL echo of
a long name (APP-GET-7).

ERR-4: a receiver treats an `EROR` whose code it does not know as `internal` (fatal). A
responder written for "forward compatibility" may log a code from a newer version and go
on with the put in progress: the put is then stored although its sender gave up. The case
sends half a put, an `EROR` of a code outside §2's list (15, 255, 4242, 2^31), then the
rest and `DONE`: the responder must close without acknowledging (no `DONE`, no `RSFL`),
and the name must stay free (a new put of it is accepted, not `exists`).

APP-GET-7: `RSFL.name` is the request's name, unchanged, whatever its length. A responder
copying it through a NAME_MAX-sized buffer (256 bytes), or cutting it on characters or
bytes, passes every short name. The case creates files under paths of more than 255 (and
more than 512) bytes in the declared `share` (ASCII and two-byte characters) and checks
the echo of each get.

Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, put_file, require
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame

_UNKNOWN_CODES = (15, 255, 4242, 2**31)


@pytest.mark.req("ERR-4", "APP-3")
@pytest.mark.parametrize("code", _UNKNOWN_CODES)
def test_unknown_code_during_a_put_ends_it(
    target: Target, app_channel: AppChannel, code: int
) -> None:
    require(target, "put")
    name = fresh_name("sft-conformance-unknown-code")
    data = hashlib.sha256(name.encode()).digest() * 32  # 1 KiB
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    answer = channel.recv_frame(time.monotonic() + max(3.0, channel.timeout))
    if not isinstance(answer, ReceivedFrame) or answer.type != b"RSFL":
        pytest.skip(f"the put was not accepted: {answer.describe()}")
    half = len(data) // 2
    channel.send_frame("DATA", data[:half])
    channel.send_frame(
        "EROR", {"code": code, "name": "from_the_future", "message": "a newer version's code"}
    )
    channel.send_frame("DATA", data[half:])
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    deadline = time.monotonic() + 3.0
    seen: list[str] = []
    ended = None
    for _ in range(8):  # bounded: a conforming responder sends nothing, or one EROR
        event = channel.recv_frame(deadline)
        if isinstance(event, ReceivedFrame):
            seen.append(event.describe(80))
            if event.type != b"EROR":
                break
            continue
        ended = event
        break
    channel.close()
    if (seen and not seen[-1].startswith("EROR")) or not isinstance(ended, Closed):
        raise ConformanceFailure.evidence(
            f"ERR-4: an EROR of the unknown code {code} in the middle of a put",
            "taken as internal (fatal): the put abandoned and the connection closed at once",
            "; ".join(seen) + ("; " if seen else "") + (ended.describe() if ended else ""),
            note="an unknown code is never skipped as a newer version's notice",
        )
    # The put was never completed: its name is free for a new put.
    again = app_channel()
    answer2, final = put_file(again, name, b"the honest put after the abandoned one")
    again.close()
    frame = answer2.frame
    if frame is None or frame.type != b"RSFL" or final is None or final.frame is None:
        raise ConformanceFailure.evidence(
            f"ERR-4: after a put abandoned by an EROR of code {code}",
            f"a new put of {name!r} accepted and stored (nothing was stored before)",
            answer2.describe() + (f"; then {final.describe()}" if final is not None else ""),
        )


def _long_names(tag: str) -> dict[str, str]:
    root = f"sft-conformance-echo-{tag}"
    return {
        "ascii-300": f"{root}/" + "d" * 200 + "/" + "f" * 90 + ".txt",
        "ascii-700": f"{root}/" + "/".join(["e" * 200] * 3) + "/file.txt",
        "two-byte-300": f"{root}/" + "é" * 120 + "/" + "ü" * 20 + ".txt",
    }


@pytest.mark.req("APP-GET-7")
def test_rsfl_echoes_a_long_name_unchanged(target: Target, app_channel: AppChannel) -> None:
    require(target, "get")
    share = target.share
    if share is None:
        pytest.skip("the target declares no writable `share`")
    tag = uuid.uuid4().hex[:10]
    names = _long_names(tag)
    try:
        for name in names.values():
            path = share / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"content of {name}\n".encode())
        channel = app_channel()
        wrong: list[str] = []
        for case, name in names.items():
            result = get_file(channel, name)
            echoed = (result.first.frame.json() or {}).get("name") if result.first.frame else None
            if echoed != name:
                size = len(name.encode())
                got = echoed if not isinstance(echoed, str) else f"{len(echoed.encode())} bytes"
                wrong.append(f"{case} ({size} bytes): RSFL.name is {got}: {str(echoed)[:80]!r}")
        channel.close()
    finally:
        shutil.rmtree(share / f"sft-conformance-echo-{tag}", ignore_errors=True)
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-GET-7: gets of names longer than 255 bytes",
            "RSFL.name equal to the request's name, whatever its length",
            "\n".join(wrong),
        )
