"""An sft-eke/1 CLIENT's get reaches its final name only by renaming the temporary file that
holds the verified bytes (SPEC APP-STORE-5, APP-STORE-2).

The suite plays a server that knows the password and serves a get of N bytes (one DATA
frame of 64 KiB; 1 MiB + 4 KiB in two): it sends every DATA frame, then waits — before
its DONE — until a file of N bytes other than the output appears in the client's output
directory (the temporary of APP-STORE-1) and notes its inode; then it sends the DONE.
Once the client reports success, the output must be that same file: a rename (or a
`link` + `unlink`) keeps the inode. A client that COPIES the verified temporary into a
new file under the final name (a "no hard links on this filesystem" fallback, a
`copyfile` + `unlink`) makes the final name exist half-written while the copy runs — a
SIGKILL then leaves a partial file under it (APP-STORE-5) — and shows a new inode here.
A client that shows no such temporary before DONE (it buffers in memory) is not judged.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    eke_pw,
    establish,
    fresh_password,
    read_inner,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_WATCH = 5.0  # how long the server waits for the temporary to hold every byte
_POLL = 0.005
_NAME = "commit-rename.bin"
_OUT = "received.bin"
_CHUNK = 1 << 20


def _content(size: int) -> bytes:
    seed = secrets.token_bytes(32)
    blocks = [hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(size // 32 + 1)]
    return b"".join(blocks)[:size]


def _temporaries(outdir: Path, size: int) -> dict[str, tuple[int, int]]:
    """Regular files of `size` bytes in `outdir` other than the output: (dev, inode)."""
    found: dict[str, tuple[int, int]] = {}
    try:
        names = os.listdir(outdir)
    except OSError:
        return found
    for name in names:
        if name == _OUT:
            continue
        try:
            st = os.lstat(outdir / name)
        except OSError:
            continue
        if st.st_size == size and (st.st_mode & 0o170000) == 0o100000:
            found[name] = (st.st_dev, st.st_ino)
    return found


def _serve(pw: bytes, content: bytes, outdir: Path, seen: dict[str, Any]) -> Any:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        request = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        name = (request.json() or {}).get("name")
        digest = hashlib.sha256(content).hexdigest()
        channel.send_frame("RSFL", {"name": name, "size": len(content)})
        for offset in range(0, len(content), _CHUNK):  # bounded: two frames at most
            channel.send_frame("DATA", content[offset : offset + _CHUNK])
        deadline = time.monotonic() + _WATCH
        temps: dict[str, tuple[int, int]] = {}
        while time.monotonic() < deadline:  # bounded by _WATCH
            temps = _temporaries(outdir, len(content))
            if temps:
                break
            time.sleep(_POLL)  # polling the client's directory, not synchronising on it
        seen["temporaries"] = temps
        channel.send_frame("DONE", {"size": len(content), "sha256": digest})
        read_inner(channel, view, _TIMEOUT)  # its BYE_ or its close

    return behaviour


def _fail(what: str, expected: str, got: str, case: ClientCase) -> None:
    failure = ConformanceFailure.evidence(what, expected, got, note=case.describe())
    failure.violates = ("APP-STORE-5",)
    raise failure


@pytest.mark.req("APP-STORE-5")
@pytest.mark.parametrize("size", [65536, _CHUNK + 4096], ids=["one-frame", "two-frames"])
def test_client_get_final_name_is_the_renamed_temporary(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, size: int
) -> None:
    """The output of a verified get is the temporary that held its bytes (same inode)."""
    user = "alice"
    password = fresh_password()
    content = _content(size)
    outdir = tmp_path / f"out-{secrets.token_hex(4)}"
    outdir.mkdir()
    seen: dict[str, Any] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _serve(eke_pw(user, password), content, outdir, seen),
        name=_NAME,
        password=password,
        user=user,
        outdir=outdir,
        out_name=_OUT,
    )
    temps: dict[str, tuple[int, int]] = seen.get("temporaries", {})
    out = outdir / _OUT
    if not case.result.succeeded or not out.exists():
        pytest.skip(f"the honest get did not succeed (judged elsewhere): {case.describe()}")
    if not temps:
        pytest.skip("no temporary file holding every byte appeared before DONE: not judged")
    st = os.lstat(out)
    if (st.st_dev, st.st_ino) not in temps.values():
        _fail(
            f"a verified get of {size} bytes: the output's inode against the temporary's",
            "the output is the temporary renamed (same inode): the final name appears only "
            "through that rename",
            f"output inode {st.st_ino}, temporaries before DONE {temps}: the final name was "
            "written as a new file (a copy)",
            case,
        )
