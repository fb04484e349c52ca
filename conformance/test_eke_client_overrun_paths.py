"""An sft-eke/1 CLIENT bounds a get by its announced size on every path (SPEC §3.3
APP-GET-4, §3.6 APP-STORE-4).

APP-GET-4: an initiator receiving more DATA than announced MUST fail the transfer with
`integrity_failed` (fatal); APP-STORE-4: it MUST NOT write more bytes to disk than the
announced size. test_eke_client_transfer.py overruns a small file whose RSFL carries no
digest. A client can keep the bound on that path only: skip it when RSFL announced a
sha256 ("the digest catches it at DONE"), or on the path of large files (a bound kept per
frame, or checked on the first MiB only), or for a file announced empty. Such a client
writes the extra bytes and fails at DONE at best; with no DONE it waits.

In every variant the suite answers the client's RQFL with RSFL, every announced byte, then
one DATA frame more (or a last frame one byte too long), and waits (5 s) for the client's
answer WITHOUT sending DONE: the answer owed is a sealed `EROR integrity_failed`, sent on
the overrunning frame. A client that stays silent is then sent a DONE matching the longer
bytes (as a liar would) and fails the case even if it refuses that DONE: the refusal came
late, after the extra bytes were taken. The get must also fail (non-zero exit, nothing
under the final name).
* `rsfl-sha256`: 5 120 bytes with RSFL.sha256 of them, then `DATA "!"`;
* `rsfl-sha256-same-frame`: the same, the last frame one byte too long;
* `rsfl-sha256-of-the-longer-bytes`: RSFL.sha256 of the 5 121 bytes the server will send;
* `after-a-mib-frame`: 1 MiB + 512 bytes in a 1 MiB frame and a 512-byte one, then one
  more byte (no RSFL.sha256);
* `announced-empty`: RSFL size 0 with the empty file's sha256, then `DATA "!"`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_inner,
    run_case,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    control,
    frame_bytes,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_REACTION = 5.0  # how long the client has to answer the overrunning frame
_PIPELINED_BYES = 4  # BYE_ frames skipped before the answer (APP-2: a client MAY pipeline)
_NAME = "overrun.bin"
_SMALL = bytes(range(256)) * 20  # 5 120 bytes
_MIB = 1 << 20


@dataclass(frozen=True)
class _Overrun:
    announced: bytes  # the file RSFL announces (its size)
    frames: tuple[bytes, ...]  # every DATA payload the server sends, the overrun included
    rsfl_sha256: str | None

    @property
    def sent(self) -> bytes:
        return b"".join(self.frames)


def _chunks(body: bytes, size: int) -> tuple[bytes, ...]:
    return tuple(body[i : i + size] for i in range(0, len(body), size))


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


_BIG = bytes(range(251)) * (_MIB // 251 + 3)
_BIG = _BIG[: _MIB + 512]

_VARIANTS = {
    "rsfl-sha256": _Overrun(_SMALL, (*_chunks(_SMALL, 1024), b"!"), _sha(_SMALL)),
    "rsfl-sha256-same-frame": _Overrun(
        _SMALL, (*_chunks(_SMALL[:4096], 1024), _SMALL[4096:] + b"!"), _sha(_SMALL)
    ),
    "rsfl-sha256-of-the-longer-bytes": _Overrun(
        _SMALL, (*_chunks(_SMALL, 1024), b"!"), _sha(_SMALL + b"!")
    ),
    "after-a-mib-frame": _Overrun(_BIG, (_BIG[:_MIB], _BIG[_MIB:], b"!"), None),
    "announced-empty": _Overrun(b"", (b"!",), _sha(b"")),
}


class _Server:
    """The suite's server: an honest login, then the overrun; what the client answered."""

    def __init__(self, pw: bytes, overrun: _Overrun) -> None:
        self.pw = pw
        self.overrun = overrun
        self.requested = False
        self.answer: Event | None = None  # the client's answer to the overrunning frame
        self.late: Event | None = None  # its answer to the DONE sent after its silence
        self.violations: list[str] = []

    def _answer(self, channel: EkeChannel, view: ServerView) -> Event:
        deadline = time.monotonic() + _REACTION
        event = read_inner(channel, view, _REACTION)
        for _ in range(_PIPELINED_BYES):  # bounded
            if not (isinstance(event, ReceivedFrame) and event.type == b"BYE_"):
                break
            event = read_inner(channel, view, max(0.0, deadline - time.monotonic()))
        return event

    def behaviour(self, raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, self.pw, _TIMEOUT)
        if channel is None:
            return
        request = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        self.requested = True
        o = self.overrun
        rsfl: dict[str, object] = {"name": _NAME, "size": len(o.announced)}
        if o.rsfl_sha256 is not None:
            rsfl["sha256"] = o.rsfl_sha256
        sent = channel.send_raw(frame_bytes("RSFL", control(rsfl)))
        for payload in o.frames:
            sent = sent and channel.send_raw(frame_bytes("DATA", payload))
        self.answer = self._answer(channel, view)
        if isinstance(self.answer, TimedOut) and sent:
            done = {"size": len(o.sent), "sha256": _sha(o.sent)}
            channel.send_raw(frame_bytes("DONE", control(done)))
            self.late = self._answer(channel, view)
        self.violations = list(channel.violations)


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(v, marks=pytest.mark.req("APP-GET-4", "APP-STORE-4"))
        for v in _VARIANTS
    ],
)
def test_client_refuses_data_beyond_the_announced_size_on_every_path(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    variant: str,
    request: pytest.FixtureRequest,
) -> None:
    """More DATA than announced: EROR integrity_failed at once, before any DONE; get fails."""
    skip_slow_variant(request)
    password = fresh_password()
    server = _Server(eke_pw(client_user(eke_target), password), _VARIANTS[variant])
    outdir = tmp_path / "out"
    outdir.mkdir()
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        server.behaviour,
        name=_NAME,
        password=password,
        timeout=_TIMEOUT,
        outdir=outdir,
    )
    if not server.requested:
        raise RuntimeError(
            "the client under test never sent its request after an honest handshake "
            f"(is --client-cmd right?)\n{case.describe()}"
        )
    problems = []
    got = server.answer
    if not (isinstance(got, ReceivedFrame) and got.error_name == "integrity_failed"):
        shown = got.describe() if got is not None else "nothing"
        problems.append(f"its answer to the overrunning DATA frame was {shown}")
        if server.late is not None:
            problems.append(f"after a DONE for the longer bytes: {server.late.describe()}")
    if server.violations:
        problems.append(f"sent in clear or unauthenticated: {server.violations}")
    result = case.result
    if result.returncode is None:
        problems.append("the client did not end (killed after the run's deadline)")
    elif result.succeeded:
        problems.append("it reported success")
    if result.kept_file:
        problems.append(f"it kept {result.out.name} under the final name")
    if problems:
        o = _VARIANTS[variant]
        raise ConformanceFailure.evidence(
            f"APP-GET-4 ({variant}): RSFL announced {len(o.announced)} bytes"
            + (" with a sha256" if o.rsfl_sha256 else "")
            + f"; the server sent {len(o.sent)} in {len(o.frames)} DATA frames, no DONE",
            "EROR integrity_failed (sealed) on the frame that goes beyond the size, before "
            "any DONE; the get fails",
            "; ".join(problems),
            note=case.describe(),
        )
