"""Names that look like patterns are names (docs/SPEC.md §3.5 APP-NAME-3, §3.3 APP-GET-2).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. A name "MUST be used
literally" (APP-NAME-3): `*`, `?`, `[...]`, `{a,b}` and `.*` are ordinary characters of a
name §3.5 allows. The class of bug: a look-up that treats them as a pattern — `glob()`
("wildcard gets" as a convenience, or a fallback tried when the literal name is not
found), `fnmatch`/`PathMatcher`/`filepath.Match` over a directory listing, a shell
expanding the name, a regular expression built from it, SQL `LIKE` — so a request for a
name no file has is served another file, or a file whose name holds `[1]` is never
found.

Two cases:
- gets of pattern-like names that name no file of the share, several built from a file
  the target declares (`hello.txt` gives `hel*`, `hello.tx?`, `[h]ello.txt`, `*`): each
  must be `not_found`, never a served file;
- when the target declares its share (key `share`), files whose names hold `[1]`, `*` and
  `?` are created beside a file the pattern would match (`...1.txt`): each get of the
  literal name serves that file's own content.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, get_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError


def _patterns(target: Target) -> list[str]:
    """Pattern-like names that no file of the share has (per the target's file list)."""
    names = ["*", "?*", "*.*", "[!.]*", "**", ".*", "*/*", "{a,b}*", "%"]
    for known in target.files[:2]:
        base = known.name.rsplit("/", 1)[-1]
        head = known.name[: -len(base)]
        if len(base) >= 3:
            names += [
                head + base[:2] + "*",
                head + base[:-1] + "?",
                head + "[" + base[0] + "]" + base[1:],
                head + base[0] + "*" + base[-1],
                head + base[:2] + "%",
            ]
    listed = {f.name for f in target.files}
    return [n for n in dict.fromkeys(names) if n not in listed]


@pytest.mark.req("APP-NAME-3", "APP-GET-2")
def test_get_of_a_pattern_like_name_is_not_found(target: Target, app_channel: AppChannel) -> None:
    """RQFL of `*`, `hel*`, `hello.tx?`, `[h]ello.txt` ... (no file has these names):
    never the content of a file the pattern matches (`not_found`; a `forbidden` is not
    judged here)."""
    require(target, "get")
    channel = app_channel()
    served: list[str] = []
    for name in _patterns(target):
        result = get_file(channel, name, also=[ExpectError("not_found", "forbidden")])
        frame = result.first.frame
        if frame is not None and frame.type == b"RSFL":
            served.append(f"RQFL {name!r}: served {len(result.data)} bytes ({frame.describe()})")
    if served:
        raise ConformanceFailure.evidence(
            "APP-NAME-3: gets of names holding *, ?, [...], {..} or % that name no file of the "
            "share (a name is used literally)",
            "EROR not_found for each",
            "\n".join(served),
        )


@pytest.mark.req("APP-NAME-3", "APP-GET-2")
def test_get_of_a_file_whose_name_holds_pattern_characters_serves_it(
    target: Target, app_channel: AppChannel
) -> None:
    """In the declared share: `T[1].txt` beside `T1.txt`, `T*.txt` and `T?.txt` beside
    `Tx.txt`: each get of the literal name serves its own file's bytes — never another
    file's, never `not_found` (a `forbidden` is not judged here)."""
    require(target, "get")
    if target.share is None:
        pytest.skip("the target file does not declare its share (key `share`)")
    tag = f"sft-b17-{uuid.uuid4().hex[:10]}"
    files = {
        f"{tag}[1].txt": b"the file named with [1]\n",
        f"{tag}1.txt": b"the file a pattern [1] would match\n",
        f"{tag}*.txt": b"the file named with a star\n",
        f"{tag}?.txt": b"the file named with a question mark\n",
        f"{tag}x.txt": b"the file * and ? would match\n",
    }
    made: list[Path] = []
    try:
        for name, data in files.items():
            path = target.share / name
            path.write_bytes(data)
            made.append(path)
        channel = app_channel()
        wrong: list[str] = []
        for name in (f"{tag}[1].txt", f"{tag}*.txt", f"{tag}?.txt"):
            result = get_file(channel, name, also=[ExpectError("not_found", "forbidden")])
            refused = result.refused
            if refused is not None and refused.error_name == "not_found":
                wrong.append(f"RQFL {name!r}: {result.first.describe()}")
            elif refused is None and result.data != files[name]:
                wrong.append(f"RQFL {name!r}: served {result.data!r}, not {files[name]!r}")
        if wrong:
            raise ConformanceFailure.evidence(
                "APP-NAME-3: gets of files of the share whose names hold [1], * or ?, each "
                "beside a file the name would match as a pattern",
                "each file's own bytes",
                "\n".join(wrong),
            )
    finally:
        for path in made:
            path.unlink(missing_ok=True)
