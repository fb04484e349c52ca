"""An sft-eke/1 CLIENT keeps an honest get of a name with directory components (SPEC
APP-GET-7, APP-GET-2, APP-GET-6).

A name is a relative path (APP-NAME-1): `dir/file.bin` asks for `file.bin` in the share's
directory `dir`, and an honest responder's RSFL repeats the request's name unchanged
(APP-GET-7). The put's answer works differently — RSFL {accept} names the basename the
inbox stores (APP-PUT-2, APP-PUT-9) — and a client that checks the get's RSFL.name the
put's way (against the request's last component), or against the local output name,
fails every honest get of a nested name. APP-GET-7 lets a client fail the transfer only
when RSFL.name DIFFERS from its request.

The suite plays an honest server: it answers the client's RQFL with RSFL whose name is the
request's, byte for byte, then the file and the right DONE. The client must report success
and keep the file (under the output the suite chose), byte for byte.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

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
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, control, frame_bytes

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

CONTENT = bytes(range(256)) * 12
_TIMEOUT = 5.0


@pytest.mark.req("APP-GET-7", "APP-GET-2")
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("sub/nested.bin", id="one-directory"),
        pytest.param("a/b/c/nested.bin", id="three-directories", marks=pytest.mark.slow),
        pytest.param(
            "dir.bin/nested.bin", id="directory-named-like-a-file", marks=pytest.mark.slow
        ),
    ],
)
def test_client_keeps_an_honest_get_of_a_nested_name(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    name: str,
    request: pytest.FixtureRequest,
) -> None:
    """RQFL `name` answered by an honest server (RSFL.name = the request's name): the get
    succeeds and the file is kept byte for byte."""
    skip_slow_variant(request)
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    digest = hashlib.sha256(CONTENT).hexdigest()
    asked: list[str] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        event = read_inner(channel, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        requested = (event.json() or {}).get("name")
        asked.append(repr(requested))
        if requested != name:
            return  # judged by the request-name cases; nothing to serve
        frames = [frame_bytes("RSFL", control({"name": requested, "size": len(CONTENT)}))]
        frames += [frame_bytes("DATA", CONTENT[o : o + 1000]) for o in range(0, len(CONTENT), 1000)]
        frames.append(frame_bytes("DONE", control({"size": len(CONTENT), "sha256": digest})))
        channel.raw.send_raw(b"".join(channel.seal(f) for f in frames))
        read_inner(channel, view, _TIMEOUT)  # the client's BYE_ or its close

    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name=name, password=password, timeout=_TIMEOUT
    )
    if asked != [repr(name)]:
        pytest.skip(
            f"the client did not ask for {name!r} as given (asked {asked}): judged elsewhere"
        )
    result = case.result
    if not result.succeeded or not result.kept_file or result.out.read_bytes() != CONTENT:
        raise ConformanceFailure.evidence(
            f"APP-GET-7: an honest get of {name!r} (RSFL.name is the request's name)",
            "the get succeeds and the file is kept byte for byte",
            result.describe(),
            note=case.describe(),
        )
