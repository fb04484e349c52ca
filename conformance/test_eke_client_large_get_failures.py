"""An sft-eke/1 CLIENT whose get fails after LARGE DATA frames still ends, and reports the
failure (SPEC APP-GET-5, ERR-3, EKE-REC-4, APP-STORE-3).

The lying-server cases elsewhere fail gets of a few kilobytes. A client does more for a
large transfer than for a small one, and what it starts only then must also be ended on
the failure paths: a helper thread that hashes each 1 MiB chunk while the next one is
read (ended by the final digest on success — a non-daemon thread or worker pool that
nothing ends on failure keeps the process alive after its last line), a buffer pool, a
write-behind queue. The failure then never reaches the user: the command does not exit.

The suite completes an honest handshake, announces a file of 2 MiB + 5 bytes, sends one
full DATA frame of 1 MiB and then fails the transfer: it closes the connection (slow: it
sends `EROR internal`; it sends the next 1 MiB record with its tag broken). The client
must end on its own, within the run's deadline, with a non-zero exit, nothing under the
final name and no temporary file left.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import error_payload, frame_bytes

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

MIB = 1 << 20
SIZE = 2 * MIB + 5


@functools.cache
def _content() -> tuple[bytes, str]:
    """The announced file and its digest (made on first use, not at collection)."""
    content = bytes((i * 31 + i // 1021) % 256 for i in range(SIZE))
    return content, hashlib.sha256(content).hexdigest()


def _start(s: lies.LyingServer) -> None:
    content, digest = _content()
    s.rsfl(size=SIZE, sha256=digest)
    s.frame("DATA", content[:MIB])


def _close(s: lies.LyingServer) -> None:
    _start(s)
    s.close()


def _eror(s: lies.LyingServer) -> None:
    _start(s)
    s.frame("EROR", error_payload("internal", "suite: failing after 1 MiB"))
    s.await_reaction()


def _broken_tag(s: lies.LyingServer) -> None:
    _start(s)
    record = s.sealed(frame_bytes("DATA", _content()[0][MIB : 2 * MIB]))
    s.raw(record[:-1] + bytes([record[-1] ^ 0x01]))
    s.await_reaction()


_FAILURES = [
    pytest.param(_close, ("APP-GET-5",), id="close-after-1MiB"),
    pytest.param(
        _eror, ("APP-GET-5", "ERR-3"), id="eror-internal-after-1MiB", marks=pytest.mark.slow
    ),
    pytest.param(
        _broken_tag, ("APP-GET-5", "EKE-REC-4"), id="broken-tag-after-1MiB", marks=pytest.mark.slow
    ),
]


@pytest.mark.req("APP-GET-5", "ERR-3", "EKE-REC-4", "APP-STORE-3")
@pytest.mark.parametrize(("lie", "own"), _FAILURES)
def test_client_ends_a_large_get_that_fails(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: lies.Lie,
    own: tuple[str, ...],
    request: pytest.FixtureRequest,
) -> None:
    """A get that fails after a full 1 MiB DATA frame: the client ends by itself with a
    non-zero exit, nothing kept."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, lie)
    lies._judge_failed_get(
        case,
        f"{request.node.callspec.id}: a get of {SIZE} bytes that fails after 1 MiB",
        server=server,
        own=own,
    )
