"""An sft-eke/1 CLIENT's failed put ends with a non-zero exit status whatever the EROR's
code (SPEC APP-PUT-10, ERR-4).

A command-line initiator reports a put as succeeded only by exit status 0, and only once
the responder answered its DONE with DONE (APP-PUT-10); an EROR in place of the receipt is
a failure. A client that passes the wire code through to its exit status ("scripts can
tell what failed") turns that failure into success when the code is a multiple of 256: a
process's exit status is 8 bits, so `exit(256)` — or the 32-bit wrap of 2^32 — is 0. The
codes are outside ERR-2's table, hence `internal` (fatal) for the receiver (ERR-4), and
whatever the client makes of them, its put failed.

test_eke_client_put_unknown_codes.py covers codes 0 and 15; this file the codes whose low
byte is 0 (256 and, slow, 512 and 2^32), in place of the receipt and (slow) of the
acceptance. The suite plays the responder with test_client_put.py's machinery.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance import test_eke_client_put_unknown_codes as unknown
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SIZE = 2000
# label: (code, where the EROR comes)
_CASES: dict[str, tuple[int, str]] = {
    "code-256-for-done": (256, "done"),
    "code-512-for-done": (512, "done"),
    "code-2^32-for-done": (1 << 32, "done"),
    "code-256-for-putf": (256, "putf"),
}
_SLOW = frozenset({"code-512-for-done", "code-2^32-for-done", "code-256-for-putf"})


@pytest.mark.req("APP-PUT-10", "ERR-4")
@pytest.mark.parametrize(
    "label",
    [pytest.param(k, id=k, marks=[pytest.mark.slow] if k in _SLOW else []) for k in _CASES],
)
def test_initiator_put_failed_with_a_code_whose_low_byte_is_zero_exits_non_zero(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    label: str,
    request: pytest.FixtureRequest,
) -> None:
    """The responder answers the put's DONE (or PUTF) with an EROR of a code that is a
    multiple of 256: the put failed, and the client's exit status MUST NOT be 0."""
    skip_slow_variant(request)
    code, where = _CASES[label]
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        puts._content(_SIZE),
        serve=unknown._serve_unknown(code, where),
    )
    if "(unknown)" not in put.seen.answered:
        return  # the put never reached that point: judged by test_client_put.py
    problems: puts.Problems = []
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-10",
                f"the responder answered its {where.upper()} with EROR code {code} (outside "
                f"the table: internal, fatal; {code} mod 256 = {code % 256}), yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, f"a put answered by EROR code {code} ({label})")
