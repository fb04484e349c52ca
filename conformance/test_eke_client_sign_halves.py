"""An sft-eke/1 CLIENT's X' covers both halves of [1, p - 1] (SPEC §5.2 EKE-X-2).

test_eke_client_transfer.py checks that the client's X' is sometimes the residue X and
sometimes the non-residue p - X. A client can pass that and still not draw the sign: one
that sends the "canonical" X' = min(X, p - X) (the smaller of the two, as compressed
points are) shows either residuosity at random, since X is a random residue, but its X'
is never above p/2. EKE-X-2 makes X' close to uniform on [1, p - 1] so that nothing of it
tells a wrong-password decryption apart; an X' that is always below p/2 is a one-bit
partition test per handshake: a passive eavesdropper rules out every password under which
a captured A decrypts to a value above p/2, half of them per session (EKE-SEC-1).

The suite (holding pw) decrypts every EKE1 the client sent in this process (each run of
the client is a sample; eke_hostile notes X and its sign) and tops up with handshakes that
end after EKE1: with a fresh sign bit, X' lies in either half with probability 1/2 each
time, so twelve samples all in one half happen by chance with probability 2^-11.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    SIGN_SAMPLES,
    X_SAMPLES,
    ServerView,
    fresh_password,
    read_frame,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "sign-halves.bin"
_RUNS = 12  # all in one half by chance: 2^-11 for a client that draws the sign
_TIMEOUT = 5.0
_PASSWORD = fresh_password()


def _eke1_only(raw: RawConnection, view: ServerView) -> None:
    read_frame(raw, view, _TIMEOUT)  # EKE1 (X and its sign are noted by run_case), close


def _x_primes() -> list[int]:
    """X' of every EKE1 noted so far: X when it was sent as the residue, else p - X."""
    return [x if residue else eke.P - x for residue, x in zip(SIGN_SAMPLES, X_SAMPLES, strict=True)]


@pytest.mark.req("EKE-X-2", "EKE-SEC-1")
def test_client_hidden_element_falls_in_both_halves(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[EKE-X-2] Of the client's last `_RUNS` X' values, some are below p/2 and some
    above: X' = X or p - X by a fresh random bit, not a canonical choice between them."""
    topped_up = 0
    for _ in range(_RUNS):  # bounded: at most _RUNS extra client runs
        if len(_x_primes()) >= _RUNS:
            break
        run_case(eke_target, tmp_path, transcripts, _eke1_only, name=NAME, password=_PASSWORD)
        topped_up += 1
    samples = _x_primes()[-_RUNS:]
    if len(samples) < _RUNS:
        raise RuntimeError(f"the client under test sent {len(samples)} readable EKE1 only")
    low = sum(1 for value in samples if value <= eke.P // 2)
    if low in (0, len(samples)):
        half = "below" if low else "above"
        raise ConformanceFailure.evidence(
            f"EKE-X-2: X' of {len(samples)} handshakes of the client ({topped_up} of them run "
            "by this case), decrypted with pw",
            "X' = X or p - X by a fresh random bit: values on both sides of p/2",
            f"every X' was {half} p/2 (a canonical choice such as min(X, p - X))",
        )
