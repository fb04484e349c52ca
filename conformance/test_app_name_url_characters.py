"""Names are not URLs: `?`, `#`, `;`, `&`, `=` and `+` are name characters, not the start
of a query, a fragment or parameters (docs/SPEC.md §3.5 APP-NAME-3, §3.4 APP-PUT-2); both
profiles.

APP-NAME-3: "A name MUST be used literally: it MUST NOT be percent-decoded, unescaped,
case-folded or Unicode-normalised before use". An implementer who routes requests like an
HTTP server — the name through `urlsplit`, `new URL(...)`, `url.Parse` or a router — gets
the path component: `report.txt?v=2` and `report.txt#top` both become `report.txt`, and
`a;b` may lose `;b` (path parameters). The wildcard case (`?` as a glob) sees one of these;
a fragment, a `;` or a `+` read as a space do not show there.

Gets: for each suffix, the share holds `NAME` and `NAME<suffix>` with different bytes; a
get of `NAME<suffix>` must serve the second, and a get of `OTHER<suffix>` whose cut name
alone exists must be `not_found`. Puts: a put of `NAME<suffix>` is stored under that whole
name in the declared `inbox` (or, without a declared inbox, a second put of the cut name
must still be accepted: the first did not take it).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. Gets need a writable
declared `share`; puts the `put` feature.
"""

from __future__ import annotations

import os
import uuid
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, get_file, put_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError

__all__: list[str] = []

_SUFFIXES: Final = ("?v=2", "#top", ";type=a", "?", "#", "&x=1", "+plus")


@pytest.mark.req("APP-NAME-3")
def test_get_of_a_name_with_url_characters_serves_that_file(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    share = target.share
    if share is None:
        pytest.skip("the target declares no writable `share`")
    tag = uuid.uuid4().hex[:10]
    made: list[str] = []
    wrong: list[str] = []
    try:
        channel = app_channel()
        for index, suffix in enumerate(_SUFFIXES):
            base = f"sft-url-{tag}-{index}.txt"
            whole = base + suffix
            lonely = f"sft-url-{tag}-{index}-alone.txt"
            for name, content in ((base, b"the cut name\n"), (lonely, b"the cut name only\n")):
                (share / name).write_bytes(content)
                made.append(name)
            expected = os.urandom(32)
            (share / whole).write_bytes(expected)
            made.append(whole)
            result = get_file(channel, whole, also=[ExpectError("not_found", "forbidden")])
            if result.data != expected:
                got = result.first.describe().splitlines()[-1].strip()
                wrong.append(f"get {whole!r}: not its own bytes ({got}; {len(result.data)} B)")
            refused = get_file(
                channel, lonely + suffix, also=[ExpectError("not_found")], served=False
            )
            if refused.refused is None:
                wrong.append(f"get {lonely + suffix!r}: served although only {lonely!r} exists")
        channel.close()
    finally:
        for name in made:
            (share / name).unlink(missing_ok=True)
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-NAME-3: gets of names holding URL characters (?, #, ;, &, +)",
            "each name used literally: its own file served, a name that only its cut form "
            "matches not_found",
            "\n".join(wrong),
        )


@pytest.mark.req("APP-NAME-3", "APP-PUT-2")
def test_put_of_a_name_with_url_characters_is_stored_whole(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    inbox = target.inbox
    tag = uuid.uuid4().hex[:10]
    wrong: list[str] = []
    channel = app_channel()
    try:
        for index, suffix in enumerate(_SUFFIXES):
            whole = f"sft-url-put-{tag}-{index}.txt{suffix}"
            cut = f"sft-url-put-{tag}-{index}.txt"
            content = os.urandom(64)
            answer, final = put_file(channel, whole, content)
            if final is None or final.frame is None or final.frame.type != b"DONE":
                then = answer.describe() if final is None else final.describe()
                wrong.append(f"put {whole!r}: {then.splitlines()[-1].strip()}")
                channel.close()
                channel = app_channel()
                continue
            if inbox is not None:
                stored = inbox / whole
                if not stored.is_file() or stored.read_bytes() != content:
                    wrong.append(f"put {whole!r}: not in the inbox under that name")
                (inbox / whole).unlink(missing_ok=True)
                if (inbox / cut).exists():
                    wrong.append(f"put {whole!r}: {cut!r} appeared in the inbox")
                    (inbox / cut).unlink(missing_ok=True)
                continue
            answer, final = put_file(channel, cut, b"the cut name, put second")
            frame = answer.frame
            if frame is None or frame.type != b"RSFL":
                wrong.append(
                    f"put {cut!r} after {whole!r}: {answer.describe().splitlines()[-1].strip()}"
                )
                channel.close()
                channel = app_channel()
    finally:
        channel.close()
    if wrong:
        raise ConformanceFailure.evidence(
            "APP-NAME-3: puts of names holding URL characters (?, #, ;, &, +)",
            "each stored under its whole name (its basename, APP-PUT-2), never under the "
            "name cut at the URL character",
            "\n".join(wrong),
        )
