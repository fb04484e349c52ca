"""A refusal of a name through a symbolic link never says where the link leads (docs/SPEC.md
§3.5 APP-NAME-6, APP-NAME-4).

APP-NAME-6: the answer to a refused name "MUST NOT reveal whether a file of that name
exists outside the share — neither in its code nor in its message: a message may quote
the refused name, never where a symbolic link leads or whether its target exists".
test_app_link_target_existence.py asks for one name twice, its link's target present and
then removed, and compares the two answers: a message that quotes the link's TEXT (`name
-> /srv/elsewhere/x`, `os.readlink` in the refusal, Java's `toRealPath()` or Go's
`filepath.EvalSymlinks` error text, `realpath` in a log-style message) is the same both
times, and passes there. Here the link's text is made of markers that occur nowhere in the
name asked for: a link to a file outside the share, a link to a directory outside (a file
below it asked for) and a dangling link (its target's parent exists outside, the target
does not). Each must be refused `forbidden` (APP-NAME-4) and the message must hold no
marker of where the link leads — neither the outside directory's name nor the target
file's. Both profiles; the share must be on this host (target file `share`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_KINDS = ("link-to-file", "link-to-directory", "dangling-link")


def _share(target: Target) -> Path:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    return share


@contextlib.contextmanager
def _outside(marker: str) -> Iterator[Path]:
    place = Path(tempfile.mkdtemp(prefix=f"sft-where-{marker}-"))
    try:
        yield place
    finally:
        shutil.rmtree(place, ignore_errors=True)


@pytest.mark.req("APP-NAME-6", "APP-NAME-4")
@pytest.mark.parametrize("kind", _KINDS)
def test_link_refusal_does_not_say_where_the_link_leads(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    share = _share(target)
    place_marker = uuid.uuid4().hex[:12]
    file_marker = uuid.uuid4().hex[:12]
    link = share / f"sft-linkref-{uuid.uuid4().hex[:10]}"
    channel = app_channel()
    with _outside(place_marker) as outside:
        if kind == "link-to-file":
            aim = outside / f"aim-{file_marker}.txt"
            aim.write_bytes(b"outside the share\n")
            name = link.name
        elif kind == "link-to-directory":
            aim = outside / f"dir-{file_marker}"
            aim.mkdir()
            (aim / "inner.txt").write_bytes(b"outside the share\n")
            name = f"{link.name}/inner.txt"
        else:
            aim = outside / f"gone-{file_marker}.txt"
            name = link.name
        os.symlink(aim, link)
        try:
            channel.send_frame("RQFL", {"name": name})
            outcome = channel.expect([ExpectError("forbidden", "not_found"), ExpectFrame("RSFL")])
        finally:
            with contextlib.suppress(OSError):
                link.unlink()
            channel.close()
    frame = outcome.frame
    context = f"{kind}: RQFL {name!r}, a symbolic link of the share to {str(aim)!r} (outside)"
    if frame is None or frame.error_name != "forbidden":
        failure = ConformanceFailure.evidence(
            context, "EROR forbidden [APP-NAME-4]", outcome.describe()
        )
        failure.violates = ("APP-NAME-4",)
        raise failure
    message = str((frame.json() or {}).get("message", ""))
    leaked = [m for m in (place_marker, file_marker, str(outside)) if m in message]
    if leaked:
        failure = ConformanceFailure.evidence(
            context,
            "EROR forbidden whose message may quote the name, never where the link leads "
            "[APP-NAME-6]",
            f"the message holds {leaked[0]!r}, part of the link's target: {message[:200]!r}",
        )
        failure.violates = ("APP-NAME-6",)
        raise failure
