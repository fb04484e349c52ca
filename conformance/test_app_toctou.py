"""APP-NAME-5: no TOCTOU window between resolving a name and opening the file.

Once "not observable" — but when the suite can write to the responder's share (the
target declares `share`: a responder on the suite's own host), it can race it. In the
share: `race-R/d/f.txt` (public bytes), beside the share: `race-R-outside/f.txt` (a
random secret), and `race-R/d.link`, a symbolic link to that outside directory. A racer
process exchanges `d` and `d.link` (renameat2 RENAME_EXCHANGE: each name always exists,
as a directory or as the link) as fast as it can, while one connection asks for
`race-R/d/f.txt` again and again. Every answer is acceptable — the public bytes,
`forbidden` (a symbolic link met), `not_found` — except the secret: a responder that
checks the resolved path (lstat per component, realpath) and then opens the name again
by path follows the link swapped in between and serves a file outside its share.

Bounded: at most `_ATTEMPTS` gets and `_BUDGET` seconds; the racer stops with the case.
The detection rate on the mutants (conformance/selftest/mutants_observable.py) is
measured in the report of brief B9; a conforming responder can never FAIL it.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from conformance._wire_fixtures import AppChannel, GetResult, get_file, require
from conformance.channel import Channel
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError

_ATTEMPTS = 320
_BATCH = 8  # requests in flight at once
# Below the swapped `d`: a responder that checks component by component and then opens
# by path has its window open for the whole walk of these (a deep path is the classic
# way to widen a TOCTOU window), not for one step.
_DEEP = "/".join(["x"] * 96)
_BUDGET = 1.5  # seconds of requests
_PUBLIC = b"inside the share\n"

# The racer: exchanges two names with renameat2(RENAME_EXCHANGE) until killed or for at
# most its budget (argv: directory, budget seconds). No shell; the names are fixed.
_RACER = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
directory, budget = sys.argv[1], float(sys.argv[2])
a, b = os.path.join(directory, "d").encode(), os.path.join(directory, "d.link").encode()
exchange = libc.renameat2
AT_FDCWD, RENAME_EXCHANGE = -100, 2
if exchange(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
    sys.exit(3)
exchange(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
print("racing", flush=True)
end = time.monotonic() + budget
pause = time.sleep
while time.monotonic() < end:
    for _ in range(100):
        exchange(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
        pause(0.00005)  # paced: the deep walk's window is longer than this, CPU is not free
"""


_CONNECTIONS = 5
_SERVED_OUTSIDE = "served the OUTSIDE file"


def _judge(
    result: GetResult, name: str, secret: bytes, attempt: int, answers: dict[str, int]
) -> None:
    """FAIL if the outside file came; else count the answer."""
    if result.refused is not None:
        key = str(result.refused.error_name)
    elif result.data == _PUBLIC:
        key = "served (the file inside)"
    elif result.data == secret:
        raise ConformanceFailure(
            f"Expected: {name!r} answered with the file inside the share, forbidden or "
            "not_found, while its directory component `d` is swapped with a symbolic link "
            "to a directory outside the share\n"
            f"Actual:   attempt {attempt} {_SERVED_OUTSIDE} ({len(secret)} bytes) after "
            f"{answers or 'no other answers'}\n"
            "APP-NAME-5: the responder resolved and checked the name, then opened it again "
            "by path, following the link swapped in between (open relative to the "
            "directory descriptors with O_NOFOLLOW, or re-check the opened descriptor)"
        )
    else:
        key = f"other bytes ({len(result.data)})"
    answers[key] = answers.get(key, 0) + 1


class _AlreadySent:
    """The channel, its requests already sent (pipelined): get_file only reads."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def send_frame(self, *_args: object, **_kwargs: object) -> None:
        return None

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._channel, attr)


@pytest.fixture
def race_dir(target: Target) -> Iterator[tuple[Path, bytes]]:
    share = target.share
    if share is None:
        pytest.skip(
            "the target declares no share the suite can write to (`share`): the race "
            "needs to swap a directory of the share for a symbolic link"
        )
    tag = f"race-{secrets.token_hex(6)}"
    inside, outside = share / tag, share.parent / f"{tag}-outside"
    secret = f"APP-NAME-5 secret {secrets.token_hex(16)}\n".encode()
    try:
        (inside / "d" / _DEEP).mkdir(parents=True)
        (inside / "d" / _DEEP / "f.txt").write_bytes(_PUBLIC)
        (outside / _DEEP).mkdir(parents=True)
        (outside / _DEEP / "f.txt").write_bytes(secret)
        (inside / "d.link").symlink_to(outside, target_is_directory=True)
    except OSError as exc:
        shutil.rmtree(inside, ignore_errors=True)
        shutil.rmtree(outside, ignore_errors=True)
        pytest.skip(f"cannot write the race's files beside the declared share: {exc}")
    try:
        yield inside, secret
    finally:
        shutil.rmtree(inside, ignore_errors=True)
        shutil.rmtree(outside, ignore_errors=True)


@pytest.mark.req("APP-NAME-5")
def test_no_symlink_swapped_in_between_check_and_open_is_followed(
    target: Target, app_channel: AppChannel, race_dir: tuple[Path, bytes]
) -> None:
    require(target, "get")
    directory, secret = race_dir
    name = f"{directory.name}/d/{_DEEP}/f.txt"
    racer = subprocess.Popen(
        [sys.executable, "-c", _RACER, str(directory), str(_BUDGET + 2)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert racer.stdout is not None
        if racer.stdout.readline().strip() != b"racing":
            pytest.skip("renameat2(RENAME_EXCHANGE) is not available here: no race")
        answers: dict[str, int] = {}
        end = time.monotonic() + _BUDGET
        attempt = connections = 0
        while attempt < _ATTEMPTS and time.monotonic() < end and connections < _CONNECTIONS:
            # A connection the responder ends (whatever it thinks of the race) is not
            # APP-NAME-5's business: the race goes on over a new one, a few times.
            connections += 1
            channel = app_channel()
            reader = cast(Channel, _AlreadySent(channel))
            try:
                while attempt < _ATTEMPTS and time.monotonic() < end:
                    # Pipelined: the responder goes from one open to the next with no
                    # round trip in between.
                    for _ in range(_BATCH):
                        channel.send_frame("RQFL", {"name": name})
                    for _ in range(_BATCH):
                        attempt += 1
                        result = get_file(
                            reader, name, also=[ExpectError("forbidden"), ExpectError("not_found")]
                        )
                        _judge(result, name, secret, attempt, answers)
            except ConformanceFailure as exc:
                if _SERVED_OUTSIDE in str(exc):
                    raise
                first = str(exc).splitlines()[1:3]
                key = f"connection ended: {' / '.join(first)[:120]}"
                answers[key] = answers.get(key, 0) + 1
        if attempt < _ATTEMPTS // 4 and time.monotonic() < end:
            inconclusive(
                f"only {attempt} requests were answered before the responder ended "
                f"{connections} connections: {answers}"
            )
    finally:
        racer.kill()
        racer.wait(timeout=10)
