"""An sft-eke/1 CLIENT's Na is 32 random bytes, every one of them drawn (SPEC §5.3,
EKE-HS-10).

§5.3: "`Ns`, `Na` are 32 fresh random bytes"; EKE-HS-10: "Every handshake MUST use fresh
x/y, Ns, Na". A client can draw a fresh Na in every handshake and still fill only part of
it: C's `RAND_bytes(na, sizeof na)` with `na` a pointer fills 8 bytes and leaves 24 as they
were (zeros, or the same stack bytes every time); a 64-bit random number written into a
32-byte buffer, or repeated four times, fills it with 8 random bytes. Such a Na differs
from one handshake to the next (so "Na never repeats" holds) while three quarters of it
are a constant: the server's proof in EKE4 then binds far fewer than 256 fresh bits.

The suite (holding pw, it plays the server and opens C3) runs the client's get twice at
once and looks at each Na the client sent:

* no byte repeated 8 times in a row within one Na (a random Na has such a run with
  probability below 2^-51);
* no 4-byte aligned block twice within one Na, nor at the same offset in both (below
  2^-26 together).
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conformance import eke_hostile
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    run_case,
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_NAME = "nonce.bin"
_CONTENT = b"fresh nonces " * 40
_RUNS = 2
_RUN_LENGTH = 8  # a byte repeated this many times in a row
_BLOCK = 4  # aligned blocks compared within and across the samples


def _longest_run(data: bytes) -> int:
    longest = current = 1
    for before, now in itertools.pairwise(data):
        current = current + 1 if now == before else 1
        longest = max(longest, current)
    return longest


def _blocks(data: bytes) -> list[bytes]:
    return [data[i : i + _BLOCK] for i in range(0, len(data), _BLOCK)]


def _problems(samples: list[bytes]) -> list[str]:
    problems: list[str] = []
    for index, na in enumerate(samples):
        if len(na) != 32:
            problems.append(f"Na #{index + 1} has {len(na)} bytes, not 32")
            continue
        run = _longest_run(na)
        if run >= _RUN_LENGTH:
            problems.append(f"Na #{index + 1} ({na.hex()}) repeats one byte {run} times in a row")
        blocks = _blocks(na)
        if len(set(blocks)) < len(blocks):
            problems.append(f"Na #{index + 1} ({na.hex()}) holds a 4-byte block twice")
    for first in range(len(samples)):
        for second in range(first + 1, len(samples)):
            shared = [
                offset * _BLOCK
                for offset, (a, b) in enumerate(
                    zip(_blocks(samples[first]), _blocks(samples[second]), strict=False)
                )
                if a == b
            ]
            if shared:
                problems.append(
                    f"Na #{first + 1} and #{second + 1} share the 4-byte blocks at offsets "
                    f"{shared} ({samples[first].hex()} / {samples[second].hex()})"
                )
    return problems


@pytest.mark.req("EKE-HS-10")
def test_client_fills_every_byte_of_na_with_fresh_randomness(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Two gets at once; the Na of each EKE3 (opened with Kcc) is checked byte by byte."""
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {_NAME: _CONTENT}, _TIMEOUT)

    before = len(eke_hostile.NA_SAMPLES)
    with ThreadPoolExecutor(max_workers=_RUNS) as pool:
        started = [
            pool.submit(
                run_case,
                eke_target,
                tmp_path,
                transcripts,
                behaviour,
                name=_NAME,
                password=password,
                timeout=_TIMEOUT,
            )
            for _ in range(_RUNS)
        ]
        cases: list[ClientCase] = [future.result() for future in started]
    # (establish notes the Na of every EKE3 that opened; other cases' runs may add theirs
    # concurrently only under xdist, where each worker has its own process and list)
    samples = list(eke_hostile.NA_SAMPLES[before:])
    if len(samples) < _RUNS:
        raise RuntimeError(
            f"the client under test completed {len(samples)} of {_RUNS} handshakes: "
            + " | ".join(c.describe() for c in cases)
        )
    problems = _problems(samples)
    if problems:
        raise ConformanceFailure.evidence(
            f"EKE-HS-10: the Na of {len(samples)} handshakes of the client",
            "32 fresh random bytes in every Na (no constant part, no repeated block)",
            "; ".join(problems),
        )
