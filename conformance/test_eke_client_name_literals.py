"""An sft-eke/1 CLIENT sends the name its user gave as that name: no character of it read
as structure (SPEC APP-NAME-3, FRM-14).

A name is data. Characters that look like structure to some layer of a client — white
space at its ends (command-line tidying), a backslash (a Windows path separator, or a
JSON escape when the request is written by hand), a double quote (the end of a JSON
string) — must reach the server unchanged, in a well-formed RQFL:

* a name that §3.5 allows (spaces at its ends, a double quote) is asked for byte for
  byte and the get completes (the suite serves it under that name only);
* a name §3.5 refuses (a backslash: APP-NAME-2) is asked for literally — the suite
  answers `forbidden` — or refused by the client itself; it must not become another
  name the suite would serve (`docs/menu.txt` for `docs\\menu.txt`, `xA.txt` for
  `x\\u0041.txt` written into JSON unescaped);
* [FRM-14] the RQFL payload is a JSON object whatever the name holds (a request built
  by string formatting breaks on a `"`).

The same holds for the name a put offers (`client_put_cmd`'s {name}): its PUTF carries it
byte for byte, in a JSON object (the suite refuses a name §3.5 refuses `forbidden`).
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

CONTENT = b"a name is data\n"
_TIMEOUT = 5.0

# kind: (the name given, whether SPEC 3.5 allows it, the other name the suite serves)
_NAMES: dict[str, tuple[str, bool, str]] = {
    "leading-space": (" menu.txt", True, "menu.txt"),
    "trailing-space": ("menu.txt ", True, "menu.txt"),
    "double-quote": ('say "hi".txt', True, "say .txt"),
    "backslash": ("docs\\menu.txt", False, "docs/menu.txt"),
    "backslash-u-escape": ("x\\u0041.txt", False, "xA.txt"),
}
_SLOW = frozenset({"backslash-u-escape", "leading-space"})


@pytest.mark.req("APP-NAME-3", "FRM-14")
@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=[pytest.mark.slow] if k in _SLOW else []) for k in _NAMES]
)
def test_client_sends_a_name_that_looks_like_structure_as_given(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """A get of the name of `kind` (module docstring): the RQFL is a JSON object whose
    `name` is that name byte for byte (or, for a name §3.5 refuses, no RQFL at all)."""
    skip_slow_variant(request)
    name, valid, other = _NAMES[kind]
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
        wanted = obj.get("name") if isinstance(obj, dict) else None
        if obj is None:
            channel.send_frame("EROR", {"code": 1, "name": "bad_frame", "message": "not JSON"})
            return
        if (valid and wanted == name) or (wanted == other and other != name):
            # The name given (when valid) or the other name: both are served.
            channel.send_frame("RSFL", {"name": wanted, "size": len(CONTENT), "sha256": digest})
            channel.send_frame("DATA", CONTENT)
            channel.send_frame("DONE", {"size": len(CONTENT), "sha256": digest})
        elif wanted == name:
            channel.send_frame("EROR", {"code": 5, "name": "forbidden", "message": "no"})
        else:
            channel.send_frame("EROR", {"code": 6, "name": "not_found", "message": "no"})
        serve_records(channel, view, {}, _TIMEOUT)

    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name=name, password=password, timeout=_TIMEOUT
    )
    result = case.result
    if valid and not asked:
        raise RuntimeError(
            f"the client never sent its request (is --client-cmd right?)\n{case.describe()}"
        )
    if not asked:
        return  # a name §3.5 refuses, refused by the client itself: conforming
    obj = asked[0].json()
    context = f"a get of {name!r} ({kind}; SPEC 3.5 {'allows' if valid else 'refuses'} it)"
    if not isinstance(obj, dict):
        failure = ConformanceFailure.evidence(
            f"FRM-14: {context}",
            "an RQFL whose payload is a JSON object carrying the name",
            f"its RQFL payload is not a JSON object: {asked[0].payload[:120]!r}",
            note=case.describe(),
        )
        failure.violates = ("FRM-14",)
        raise failure
    wanted = obj.get("name")
    problems = []
    if wanted != name:
        problems.append(f"its RQFL asked for {wanted!r}")
    if valid and not (result.succeeded and result.kept_file and result.out.read_bytes() == CONTENT):
        problems.append(f"the get did not complete: {result.describe()}")
    if problems:
        failure = ConformanceFailure.evidence(
            f"APP-NAME-3: {context}",
            f"an RQFL for {name!r} byte for byte"
            + (", and the get completes" if valid else " (answered forbidden), or none"),
            "; ".join(problems),
            note=case.describe(),
        )
        failure.violates = ("APP-NAME-3",)
        raise failure


_PUT_NAMES = ("trailing-space", "double-quote", "backslash")
_PUT_DEFAULT = frozenset({"trailing-space"})


@pytest.mark.req("APP-NAME-3", "FRM-14")
@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=[] if k in _PUT_DEFAULT else [pytest.mark.slow]) for k in _PUT_NAMES],
)
def test_client_offers_a_put_under_a_name_that_looks_like_structure_as_given(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """The put's side of the same rule (`client_put_cmd`, the name as {name}): the PUTF is
    a JSON object whose `name` is the name given byte for byte (or, for a name §3.5
    refuses, no PUTF at all). The suite refuses such a name `forbidden` and accepts the
    others."""
    skip_slow_variant(request)
    name, valid, _other = _NAMES[kind]
    answer = puts.Answer() if valid else puts.Answer(refuse="forbidden")
    try:
        put = puts._run_put(eke_target, tmp_path, transcripts, answer, CONTENT, name=name)
    except RuntimeError:
        if valid:
            raise
        return  # a name §3.5 refuses, refused by the client itself (no PUTF): conforming
    context = f"a put as {name!r} ({kind}; SPEC 3.5 {'allows' if valid else 'refuses'} it)"
    if put.seen.putf is None:
        failure = ConformanceFailure.evidence(
            f"FRM-14: {context}",
            "a PUTF whose payload is a JSON object carrying the name",
            f"its PUTF payload is not a JSON object: {put.seen.putf_raw[:120]!r}",
            note=put.describe(),
        )
        failure.violates = ("FRM-14",)
        raise failure
    offered = put.seen.putf.get("name")
    if offered != name:
        failure = ConformanceFailure.evidence(
            f"APP-NAME-3: {context}",
            f"a PUTF offering {name!r} byte for byte",
            f"its PUTF offered {offered!r}",
            note=put.describe(),
        )
        failure.violates = ("APP-NAME-3",)
        raise failure
