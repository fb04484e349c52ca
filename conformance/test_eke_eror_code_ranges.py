"""sft-eke/1 server: an EROR of any code ERR-2 does not list is `internal`, whatever range
it falls in and whatever name it carries (docs/SPEC.md §2 ERR-4, ERR-1, ERR-3, §3.2).

ERR-4: a receiver MUST treat an `EROR` with an unknown code as `internal` (fatal); ERR-1:
it MUST act on `code` only. A responder that carries a habit of another protocol reads
some unknown codes as something else: HTTP's 1xx as provisional answers to skip (100
Continue), 2xx as success, 3xx as a redirect, or the `name` member as the meaning when
the code is not in its table (an EROR `{"code": 404, "name": "not_found"}` taken as the
non-fatal refusal it names). One code per range of each habit, the edges of the ranges
and codes past 16 and 32 bits, each in an EROR whose name is a non-fatal one (so that a
responder acting on the name goes on), followed in the same write by a request:

- in the record phase, an RQFL of a file of the share: the answer is the close, or an
  EROR then the close, never the RSFL;
- before the handshake, an EKE1 of an unknown user: never answered EKE2 (the EROR ended
  the connection; a new login is a new connection, ERR-3).

A responder that skips or keeps going on any of these codes fails ERR-4 with the code.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from conformance import eke
from conformance._wire_fixtures import known_file, require
from conformance.eke_channel import EkeChannel, connect_raw
from conformance.eke_support import SourceAddresses, ghost_user
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

# Unknown codes: each range a habit reads otherwise, its edges, and wide values.
_CODES: tuple[int, ...] = (
    15, 100, 101, 150, 199, 200, 204, 302, 404, 500, 999, 2**16 + 6, 2**31 + 6, 2**63 - 1,
)
_CODE_IDS = [str(code) for code in _CODES]
# Names of non-fatal codes: a responder that acts on the name instead of the code goes on.
_NAMES = ("not_found", "exists", "forbidden", "unsupported", "too_large")


def _name(code: int) -> str:
    return _NAMES[_CODES.index(code) % len(_NAMES)]


def _eror(code: int) -> bytes:
    body = {"code": code, "name": _name(code), "message": "conformance"}
    return frame_bytes("EROR", control(body))


@pytest.mark.req("ERR-4", "ERR-1")
@pytest.mark.parametrize("code", _CODES, ids=_CODE_IDS)
def test_unknown_code_in_the_channel_ends_the_connection(
    eke_target: Target, eke_channel_factory: Callable[..., EkeChannel], code: int
) -> None:
    require(eke_target, "get")
    file = known_file(eke_target)
    channel = eke_channel_factory()
    channel.send_raw(_eror(code))
    channel.send_frame("RQFL", {"name": file.name})
    outcome = channel.expect([ExpectClose(), ExpectError(then_close=True)])
    answer = outcome.frame
    if answer is not None and answer.type != b"EROR":
        failure = ConformanceFailure.evidence(
            f"ERR-4: EROR code {code} (not in ERR-2's list; name {_name(code)!r}), then RQFL "
            f"{file.name!r} of a file of the share",
            "the close, or an EROR then the close: an unknown code is `internal` (fatal) "
            "whatever its range or name, and the get behind it is never served",
            f"{answer.describe()}\nTranscript:\n{channel.transcript.tail()}",
        )
        failure.violates = ("ERR-4",)
        raise failure
    outcome.check(f"ERR-4: EROR code {code}, then RQFL {file.name!r}")


@pytest.mark.req("ERR-4", "ERR-3")
@pytest.mark.parametrize("code", _CODES, ids=_CODE_IDS)
def test_unknown_code_before_eke1_ends_the_login(
    eke_target: Target, eke_sources: SourceAddresses, code: int
) -> None:
    timeout = max(3.0, min(10.0, eke_target.limits.handshake_timeout + 2.0))
    client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=timeout, name=f"eror {code} then eke1",
        source=eke_sources.fresh(),
    )
    try:
        raw.send_raw(_eror(code) + frame_bytes(b"EKE1", json.dumps(client.eke1()).encode()))
        event = raw.recv_frame(deadline_after(timeout))
        if isinstance(event, ReceivedFrame) and event.type == b"EKE2":
            raise ConformanceFailure(
                f"ERR-4: an EROR of code {code} (unknown: `internal`, fatal) followed by an "
                "EKE1 in the same write was answered EKE2: the EROR was skipped or taken for "
                "a non-fatal one.\n"
                f"Transcript:\n{raw.transcript.tail()}",
                violates=("ERR-4",),
            )
        if isinstance(event, TimedOut):
            raise ConformanceFailure(
                f"ERR-3: after an EROR of code {code} (unknown: fatal) the server neither "
                f"answered nor closed within {timeout:g} s.\n"
                f"Transcript:\n{raw.transcript.tail()}",
                violates=("ERR-3",),
            )
        if not isinstance(event, Closed) and not (
            isinstance(event, ReceivedFrame) and event.type == b"EROR"
        ):
            raise ConformanceFailure(
                f"ERR-4: an EROR of code {code} then EKE1 was answered {event.describe()}",
                violates=("ERR-4",),
            )
    finally:
        raw.close()
