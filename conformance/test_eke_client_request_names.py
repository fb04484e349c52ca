"""An sft-eke/1 CLIENT asks for the name its user gave, byte for byte (SPEC APP-NAME-3).

A name MUST be used literally: not percent-decoded, unescaped, case-folded or
Unicode-normalised before use. The client is the first to use the name its user typed:
a client that NFC-normalises it (as some toolkits do with every string, or a file system
with file names), decodes `%41`, or folds its case asks the server for another file. The
suite's server serves the file under the name given and answers `not_found` to any
other; the RQFL must carry the given name exactly, and the get must complete.
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
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [pytest.mark.side("initiator"), pytest.mark.xdist_group("eke-client")]

CONTENT = b"the file under its literal name\n"
_TIMEOUT = 5.0

_NAMES = {
    # e + U+0301 (NFD): NFC composes it to U+00E9.
    "nfd": "cafe\u0301-menu.txt",
    # %41 is the literal three characters, not "A".
    "percent": "x%41y.txt",
    "mixed-case": "MiXeD-Case.TXT",
}


@pytest.mark.req("APP-NAME-3")
@pytest.mark.parametrize("kind", list(_NAMES))
def test_client_requests_the_name_it_was_given_literally(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    name = _NAMES[kind]
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    asked: list[object] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        # serve_records answers RQFL by exact name (not_found otherwise); note what came.
        first = read_inner(channel, view, _TIMEOUT)
        if not isinstance(first, ReceivedFrame) or first.type != b"RQFL":
            return
        asked.append((first.json() or {}).get("name"))
        if asked[0] == name:
            digest = hashlib.sha256(CONTENT).hexdigest()
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
    result = case.result
    problems = []
    if asked[0] != name:
        problems.append(f"its RQFL asked for {asked[0]!r}")
    if not result.succeeded or not result.kept_file or result.out.read_bytes() != CONTENT:
        problems.append(f"the get did not complete: {result.describe()}")
    if problems:
        raise ConformanceFailure.evidence(
            f"APP-NAME-3: a get of {name!r} ({kind})",
            "the RQFL names that file byte for byte and the get completes",
            "; ".join(problems),
            note=case.describe(),
        )


# Names a path library rewrites (pathlib, filepath.Clean, path.normalize): each one
# breaks APP-NAME-2 (a `.` or empty component), so the server refuses it `forbidden`;
# but the client must ask for it as given, not for the tidied name that exists.
_UNTIDY = {
    "dot-prefix": ("./menu.txt", "menu.txt"),
    "double-slash": ("docs//menu.txt", "docs/menu.txt"),
    "trailing-slash": ("docs/menu.txt/", "docs/menu.txt"),
    "inner-dot": ("docs/./menu.txt", "docs/menu.txt"),
}


@pytest.mark.req("APP-NAME-3")
@pytest.mark.parametrize("kind", list(_UNTIDY))
def test_client_does_not_tidy_the_path_it_was_given(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """[APP-NAME-3] A get of a name with a `.` or an empty component, which a path library
    would rewrite to a valid name of an existing file: the client either refuses the name
    itself (no RQFL) or asks for it literally (the server answers `forbidden`); it must
    not ask for the rewritten name, which the suite would serve."""
    name, tidy = _UNTIDY[kind]
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    asked: list[object] = []

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        first = read_inner(channel, view, _TIMEOUT)
        if not isinstance(first, ReceivedFrame) or first.type != b"RQFL":
            return
        asked.append((first.json() or {}).get("name"))
        if asked[0] == tidy:
            digest = hashlib.sha256(CONTENT).hexdigest()
            channel.send_frame("RSFL", {"name": tidy, "size": len(CONTENT), "sha256": digest})
            channel.send_frame("DATA", CONTENT)
            channel.send_frame("DONE", {"size": len(CONTENT), "sha256": digest})
        else:
            channel.send_frame("EROR", {"code": 5, "name": "forbidden", "message": "no"})
        serve_records(channel, view, {}, _TIMEOUT)

    case = run_case(
        eke_target, tmp_path, transcripts, behaviour, name=name, password=password, timeout=_TIMEOUT
    )
    if asked and asked[0] != name:
        raise ConformanceFailure.evidence(
            f"APP-NAME-3: a get of {name!r} ({kind})",
            f"an RQFL for {name!r} byte for byte, or none (the client refuses the name)",
            f"its RQFL asked for {asked[0]!r}"
            + (
                f" and the client kept that file ({case.result.describe()})"
                if case.result.kept_file
                else ""
            ),
            note=case.describe(),
        )
