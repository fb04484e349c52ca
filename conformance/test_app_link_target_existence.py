"""A link out of the share is refused the same way whether its target exists (docs/SPEC.md
§3.5 APP-NAME-6, APP-NAME-4).

APP-NAME-4: a name that traverses a symbolic link leading outside the share is
`forbidden`; APP-NAME-6: the answer MUST NOT reveal whether a file of that name exists
outside. test_app_names.py compares refusals of pairs of names, one existing outside and
one not, through `..`, absolute paths and a link to a directory that exists in both. What
it cannot see is a responder that looks at the link's FINAL target before refusing — to
say "symbolic link to an existing file outside the share" or "dangling symbolic link", or
to answer `not_found` for a dangling one — since there the link itself is the component
that leads out.

The class (lens 5 of round 18, distinguishers): in the share (when the target declares it
on this host) a symbolic link points outside — to a file, or to a directory holding the
file asked for — and the same name is asked for twice, once while the target exists and
once after the suite removed it. Same name, same link, same link text: the two answers
MUST be identical — both `forbidden` (APP-NAME-4) with the same message (digits aside, for
a counter or a time in it). One connection. Both profiles.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame, ReceivedFrame


def _share(target: Target) -> Path:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    return share


@contextlib.contextmanager
def _outside() -> Iterator[Path]:
    place = Path(tempfile.mkdtemp(prefix="sft-b18-outside-"))
    try:
        yield place
    finally:
        shutil.rmtree(place, ignore_errors=True)


def _answer(channel: Channel, name: str) -> ReceivedFrame:
    channel.send_frame("RQFL", {"name": name})
    outcome = channel.expect([ExpectError("forbidden", "not_found"), ExpectFrame("RSFL")])
    frame = outcome.frame
    if frame is None or frame.type != b"EROR":
        raise ConformanceFailure.evidence(
            f"RQFL {name!r}: the name leads out of the share through a symbolic link",
            "EROR forbidden [APP-NAME-4]",
            outcome.describe(),
        )
    return frame


def _shape(frame: ReceivedFrame) -> tuple[int | None, str]:
    message = str((frame.json() or {}).get("message", ""))
    return frame.error_code, re.sub(r"\d+", "#", message)


@pytest.mark.req("APP-NAME-6", "APP-NAME-4")
@pytest.mark.parametrize("kind", ["link-to-file", "link-to-directory"])
def test_link_out_of_the_share_answers_alike_with_or_without_its_target(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    """A link of the share to a file (or a directory) outside: RQFL of it (or of a file
    below it) while the target exists, then again once the target is removed — the same
    EROR forbidden, code and message."""
    share = _share(target)
    tag = uuid.uuid4().hex[:10]
    link = share / f"sft-b18-link-{tag}"
    channel = app_channel()
    with _outside() as outside:
        if kind == "link-to-file":
            secret = outside / "secret.txt"
            secret.write_bytes(b"outside the share\n")
            os.symlink(secret, link)
            name = link.name
        else:
            secret = outside / "dir"
            secret.mkdir()
            (secret / "secret.txt").write_bytes(b"outside the share\n")
            os.symlink(secret, link)
            name = f"{link.name}/secret.txt"
        try:
            present = _answer(channel, name)
            if secret.is_dir():
                shutil.rmtree(secret)
            else:
                secret.unlink()
            absent = _answer(channel, name)
        finally:
            with contextlib.suppress(OSError):
                link.unlink()
    answers = f"target present: {present.describe()}\ntarget removed: {absent.describe()}"
    if present.error_name != "forbidden" or absent.error_name != "forbidden":
        failure = ConformanceFailure.evidence(
            f"{kind}: RQFL {name!r}, a symbolic link out of the share",
            "EROR forbidden both times [APP-NAME-4]",
            answers,
        )
        failure.violates = ("APP-NAME-4",) if present.error_name != "forbidden" else ()
        raise failure
    if _shape(present) != _shape(absent):
        failure = ConformanceFailure.evidence(
            f"{kind}: the same RQFL {name!r} through the same link, before and after the "
            "suite removed the link's target outside the share",
            "the same answer, code and message: it MUST NOT tell whether the file exists "
            "outside [APP-NAME-6]",
            answers,
        )
        failure.violates = ("APP-NAME-6",)
        raise failure
