"""Symbolic links of the share with a RELATIVE target that leads out (docs/SPEC.md §3.5
APP-NAME-4).

APP-NAME-4: the responder MUST refuse with `forbidden` a name "whose resolved path (after
following symbolic links) is outside the share, or that traverses a symbolic link leading
outside it"; a link that stays inside MAY be followed. The escapes the other cases use
are links with ABSOLUTE targets (the embedded share's `escape`, `escape-file`, `sibling`)
and `..` in names. A responder that follows relative links "because they stay in the
share" (refusing only absolute ones), or follows a link whose text has no `..` — and lets
the kernel follow the next link of the chain — serves files outside its share.

The class: in the declared share (on this host, writable) the case makes, under a fresh
directory, (1) a relative link `../../…/outside/secret.txt` to a file outside, (2) a
relative link to a directory outside (asked for `link/secret.txt`), (3) a chain: a
relative link without `..` to a sibling link whose absolute target is outside, and (4) a
relative link inside the directory whose `..` climbs out of the share. Each RQFL MUST be
answered `EROR forbidden`; serving any of them (RSFL) FAILs. One connection; both
profiles.
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

_SECRET = b"outside the share: never served\n"


@contextlib.contextmanager
def _outside() -> Iterator[Path]:
    place = Path(tempfile.mkdtemp(prefix="sft-b23b-outside-"))
    try:
        (place / "secret.txt").write_bytes(_SECRET)
        (place / "dir").mkdir()
        (place / "dir" / "secret.txt").write_bytes(_SECRET)
        yield place
    finally:
        shutil.rmtree(place, ignore_errors=True)


@pytest.mark.req("APP-NAME-4")
def test_relative_links_leading_out_of_the_share_are_forbidden(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    base = share / f"sft-b23b-links-{uuid.uuid4().hex[:10]}"
    with _outside() as outside:
        try:
            base.mkdir()
        except OSError as exc:
            pytest.skip(f"cannot write into the declared share: {exc}")
        try:
            up = os.path.relpath(outside, base)  # relative, with `..` components
            os.symlink(f"{up}/secret.txt", base / "rel-file")
            os.symlink(f"{up}/dir", base / "rel-dir")
            os.symlink(outside / "secret.txt", base / "abs-hop")
            os.symlink("abs-hop", base / "chain")  # relative, no `..`: the next hop leads out
            (base / "sub").mkdir()
            os.symlink(f"../{up}/secret.txt", base / "sub" / "climb")
            names = {
                "relative link to a file outside": f"{base.name}/rel-file",
                "relative link to a directory outside": f"{base.name}/rel-dir/secret.txt",
                "relative link (no '..') to a link leading outside": f"{base.name}/chain",
                "relative link in a subdirectory climbing out": f"{base.name}/sub/climb",
            }
            channel = app_channel()
            served = []
            for what, name in names.items():
                channel.send_frame("RQFL", {"name": name})
                outcome = channel.expect([ExpectError("forbidden"), ExpectFrame("RSFL")])
                if outcome.frame is not None and outcome.frame.type == b"RSFL":
                    served.append(f"{what}: RQFL {name!r} answered {outcome.describe()}")
                    break  # the DATA of the file outside follow: end here
                outcome.check(f"{what}: RQFL {name!r}")
            channel.close()
        finally:
            shutil.rmtree(base, ignore_errors=True)
    if served:
        raise ConformanceFailure.evidence(
            "APP-NAME-4: names through symbolic links of the share whose RELATIVE targets "
            "lead outside it",
            "EROR forbidden for each (the resolved path is outside the share)",
            "\n".join(served),
        )
