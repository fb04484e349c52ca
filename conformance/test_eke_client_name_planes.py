"""An sft-eke/1 CLIENT sends a name holding characters beyond U+FFFF as those characters
(SPEC APP-NAME-3, FRM-14).

JSON writes a character as itself (UTF-8) or as a `\\u` escape of four hex digits; a
character above U+FFFF needs two escapes, a surrogate pair (RFC 8259 §7:
`\\ud83d\\ude00` for U+1F600). A request written by a hand-made escaper that writes
`\\u` + the code point (`\\u1f600`) sends U+1F60 followed by `0`; one that truncates to
16 bits, or writes the UTF-16 units as separate `\\u` escapes of the wrong order, sends
another name too. APP-NAME-3: a name is used literally; the suite serves (and accepts a
put of) exactly the name given, so a client that sends another name fails its get (or
offers its put under another name):

* a get of `smile-😀.txt` (U+1F600) — and, slow, of names holding U+10000 (the first
  character beyond the BMP) and U+10FFFD (near the last): the RQFL's `name` is the name
  given, and the get completes;
* a put offered as `smile-😀.txt`: the PUTF's `name` is the name given.

§3.5 allows every such name (no control character, no bidirectional override).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_inner,
    run_case,
    serve_records,
    skip_slow_variant,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

CONTENT = b"a name beyond the BMP\n"
_TIMEOUT = 5.0

_NAMES = {
    "u1f600": "smile-\U0001f600.txt",
    "u10000": "first-\U00010000.txt",
    "u10fffd": "last-\U0010fffd.txt",
}
_DEFAULT = frozenset({"u1f600"})


def _shown(name: object) -> str:
    return ascii(name)


@pytest.mark.req("APP-NAME-3", "FRM-14")
@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=[] if k in _DEFAULT else [pytest.mark.slow]) for k in _NAMES]
)
def test_client_asks_for_a_name_beyond_the_bmp_as_given(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """A get of the name of `kind`: the RQFL is a JSON object whose `name` is that name,
    and the get completes (the suite serves that name only: any other is not_found)."""
    skip_slow_variant(request)
    name = _NAMES[kind]
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    asked: list[ReceivedFrame] = []
    digest = hashlib.sha256(CONTENT).hexdigest()

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        first = read_inner(channel, view, _TIMEOUT)
        if not isinstance(first, ReceivedFrame) or first.type != b"RQFL":
            return
        asked.append(first)
        obj = first.json()
        if not isinstance(obj, dict):
            channel.send_frame("EROR", {"code": 1, "name": "bad_frame", "message": "not JSON"})
            return
        if obj.get("name") == name:
            channel.send_frame("RSFL", {"name": name, "size": len(CONTENT), "sha256": digest})
            channel.send_frame("DATA", CONTENT)
            channel.send_frame("DONE", {"size": len(CONTENT), "sha256": digest})
        else:
            channel.send_frame("EROR", {"code": 6, "name": "not_found", "message": "no"})
        serve_records(channel, view, {}, _TIMEOUT)

    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name=name, password=password, timeout=_TIMEOUT
    )
    if not asked:
        raise RuntimeError(
            f"the client never sent its request (is --client-cmd right?)\n{case.describe()}"
        )
    obj = asked[0].json()
    if not isinstance(obj, dict):
        failure = ConformanceFailure.evidence(
            f"FRM-14: a get of {_shown(name)}",
            "an RQFL whose payload is a JSON object carrying the name",
            f"its RQFL payload is not a JSON object: {asked[0].payload[:120]!r}",
            note=case.describe(),
        )
        failure.violates = ("FRM-14",)
        raise failure
    problems = []
    if obj.get("name") != name:
        problems.append(
            f"its RQFL asked for {_shown(obj.get('name'))} (raw payload {asked[0].payload[:120]!r})"
        )
    result = case.result
    if not (result.succeeded and result.kept_file and result.out.read_bytes() == CONTENT):
        problems.append(f"the get did not complete: {result.describe()}")
    if problems:
        failure = ConformanceFailure.evidence(
            f"APP-NAME-3: a get of {_shown(name)} (a character beyond U+FFFF)",
            f"an RQFL for {_shown(name)} (in JSON: UTF-8, or a surrogate pair of \\u escapes), "
            "and the get completes",
            "; ".join(problems),
            note=case.describe(),
        )
        failure.violates = ("APP-NAME-3",)
        raise failure


@pytest.mark.req("APP-NAME-3", "FRM-14")
def test_client_offers_a_put_under_a_name_beyond_the_bmp_as_given(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A put offered as `smile-😀.txt` (`client_put_cmd`'s {name}): the PUTF is a JSON
    object whose `name` is that name."""
    name = _NAMES["u1f600"]
    put = puts._run_put(eke_target, tmp_path, transcripts, puts.Answer(), CONTENT, name=name)
    if put.seen.putf is None:
        failure = ConformanceFailure.evidence(
            f"FRM-14: a put as {_shown(name)}",
            "a PUTF whose payload is a JSON object carrying the name",
            f"its PUTF payload is not a JSON object: {put.seen.putf_raw[:120]!r}",
            note=put.describe(),
        )
        failure.violates = ("FRM-14",)
        raise failure
    offered = put.seen.putf.get("name")
    if offered != name:
        failure = ConformanceFailure.evidence(
            f"APP-NAME-3: a put as {_shown(name)} (a character beyond U+FFFF)",
            f"a PUTF offering {_shown(name)}",
            f"its PUTF offered {_shown(offered)} (raw {put.seen.putf_raw[:120]!r})",
            note=put.describe(),
        )
        failure.violates = ("APP-NAME-3",)
        raise failure
