"""A directory of the share replaced while the responder serves (docs/SPEC.md APP-GET-1,
APP-GET-2).

An administrator reorganises a share under a running responder: `reports/` is renamed
`reports.old/` and a new `reports/` made in its place. A get of `reports/q3.pdf` asks for
the file that name denotes NOW (APP-GET-1: "a file of the responder's share by name") —
as the inbox's state is read when a put comes, not remembered (APP-PUT-1). A responder
that keeps the directories it walked open between gets, to save a walk per request,
serves from the old directory: the renamed one's file, which no name of the request
denotes any more.

When the target declares its `share` on the suite's host (the embedded reference does),
the case makes `sft-conformance-<random>/file.bin` (content A), gets it, renames the
directory away and makes a new one of the same name holding `file.bin` with other content
(B, another size), then gets the name again — on the same connection, and on a new one.
Each later get must serve B (or refuse it as the SPEC lets a get be refused, never serve
A).

Fixtures (conformance/plugin.py): `target` (each profile under test), `app_channel()`.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, get_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError


def _share(target: Target) -> Path:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    return share


@pytest.mark.req("APP-GET-2")
def test_a_directory_replaced_meanwhile_is_read_as_it_is_now(
    target: Target, app_channel: AppChannel
) -> None:
    share = _share(target)
    directory = share / f"sft-conformance-{secrets.token_hex(6)}"
    old = directory.with_name(directory.name + ".old")
    name = f"{directory.name}/file.bin"
    first = b"A: the file before the directory was replaced\n" + secrets.token_bytes(16)
    second = b"B: the directory's new file\n" + secrets.token_bytes(40)
    try:
        directory.mkdir()
        (directory / "file.bin").write_bytes(first)
    except OSError as exc:
        pytest.skip(f"cannot write into the declared share: {exc}")
    try:
        channel = app_channel()
        before = get_file(channel, name)
        if before.data != first:
            pytest.skip(f"the first get of {name!r} did not serve the file as written")
        directory.rename(old)
        directory.mkdir()
        (directory / "file.bin").write_bytes(second)
        refusals = [ExpectError("not_found", "forbidden")]
        for where, used in (("the same connection", channel), ("a new connection", None)):
            conn = used if used is not None else app_channel()
            after = get_file(conn, name, also=refusals)
            if after.refused is None and after.data != second:
                served = "the renamed directory's file" if after.data == first else "other bytes"
                raise ConformanceFailure.evidence(
                    f"APP-GET-2: RQFL {name!r} on {where}, after the directory was renamed "
                    f"to {old.name!r} and a new one made in its place",
                    f"the new directory's file ({len(second)} bytes)",
                    f"{len(after.data)} bytes: {served} — the share as it was, not as it is",
                )
    finally:
        for path in (directory, old):
            with contextlib.suppress(OSError):
                shutil.rmtree(path)
