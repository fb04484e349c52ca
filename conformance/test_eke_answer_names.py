"""sft-eke/1: the RSFL that answers a get names the request exactly (SPEC §3.3 APP-GET-7).

"The `name` of the RSFL that answers an RQFL MUST be the request's name, unchanged." The
common cases (a short ASCII name) pass whatever a responder does to names on the way: the
slips show on the names that a log line, a path library or a display helper would change —
a name longer than a display form keeps (cut at 64 or 255 characters), one whose
components a path join rebuilds, one with characters an escaping or normalising step
rewrites (quotes, spaces, non-ASCII in NFD form), a 255-byte component. The case writes
such files into the target's share (the `share` target-file key: a responder on the
suite's own host; the embedded reference declares it), asks for each by its name on one
connection, and compares every RSFL.name with the request byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import get_file
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure

ChannelFactory = Callable[..., EkeChannel]


def _share(target: Target) -> Path:
    if not target.has("get"):
        pytest.skip("the target does not serve gets")
    if target.share is None or not target.share.is_dir():
        pytest.skip("the target declares no share directory on this host (target-file key)")
    return target.share


def _names(tag: str) -> list[str]:
    """Names a display, path or escaping step would change; all within APP-NAME-1/2/8."""
    decomposed = unicodedata.normalize("NFD", "é")  # e + U+0301: NFC would make it one
    return [
        # Longer than a 64-character display form, and than 128; mixed case.
        f"sft-answer-{tag}-MiXeD-" + "x" * 150 + ".BIN",
        # A component of exactly 255 bytes.
        f"sft-answer-{tag}-".ljust(251, "y") + ".bin",
        # Nested: the whole path, not its basename or a rebuilt join.
        f"sft-answer-{tag}-dir/inner {tag} " + "z" * 70 + ".bin",
        # Characters an escaping or quoting step rewrites.
        f"sft-answer-{tag} 'single' \"double\" $HOME `tick` {{x}} %41 &amp;.bin",
        # Non-ASCII, in NFD form (not normalised, APP-NAME-3), past 64 characters.
        f"sft-answer-{tag}-" + decomposed * 40 + "-ünïcødé-日本.bin",
    ]


@pytest.mark.req("APP-GET-7")
def test_rsfl_repeats_every_shape_of_name_unchanged(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    """Files of the names above are written into the share and fetched on one connection;
    each RSFL.name must equal its RQFL.name exactly (and the content must be the file's,
    APP-GET-2, checked by the get)."""
    share = _share(eke_target)
    tag = secrets.token_hex(4)
    names = _names(tag)
    created: list[Path] = []
    made_dirs: list[Path] = []
    try:
        for name in names:
            path = share / name
            if not path.parent.exists():
                path.parent.mkdir()
                made_dirs.append(path.parent)
            content = f"{name}\n".encode() + secrets.token_bytes(32)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            created.append(path)
        channel = eke_channel_factory()
        wrong: list[str] = []
        for name in names:
            try:
                result = get_file(channel, name)
            except ConformanceFailure as exc:
                raise ConformanceFailure(
                    f"{exc}\nThe file exists in the share under exactly this name (written "
                    "by the suite); the name is valid (APP-NAME-1/2/8) and is used literally "
                    "(APP-NAME-3).",
                    violates=("APP-GET-2",),
                ) from None
            rsfl = result.first.frame
            answered = (rsfl.json() or {}).get("name") if rsfl is not None else None
            if answered != name:
                wrong.append(f"RQFL {name!r}\n    RSFL.name {answered!r}")
            if result.data != (share / name).read_bytes():
                wrong.append(f"RQFL {name!r}: the content is not the file's")
        if wrong:
            raise ConformanceFailure(
                "APP-GET-7: the RSFL answering a get must name the request unchanged\n"
                + "\n".join(wrong),
                violates=("APP-GET-7",),
            )
    finally:
        for path in created:
            with contextlib.suppress(OSError):
                path.unlink()
        for directory in made_dirs:
            with contextlib.suppress(OSError):
                directory.rmdir()
