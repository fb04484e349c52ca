"""sft-pki/1 INITIATOR: a get announced with size 0 still ends only at `DONE`
(docs/SPEC.md §3.3, APP-GET-5, APP-GET-3).

"A connection that closes before `DONE` (truncation) MUST fail the transfer; nothing is
kept under the final name" (APP-GET-5), and the initiator verifies "at `DONE`" (APP-GET-3)
— whatever the size. An initiator that reads an `RSFL` of size 0 as "nothing to receive,
done" commits an empty file and reports success without waiting for `DONE`: the
responder's truncation, or its fatal `EROR` in place of `DONE`, then goes unseen (the
cases with a wrong `DONE` after an empty `RSFL` see it only when they cite APP-GET-3).

The suite's responder answers the `RQFL` with `RSFL {name, size: 0}` (with and without
`sha256`, the empty file's digest) and then, without any `DONE`:

- `close-notify`: a TLS close_notify and the close;
- `tcp-fin`: a bare TCP FIN (a truncation, PKI-TLS-6);
- `eror-internal`: `EROR internal` (fatal) in place of `DONE`, then the close.

Each time the initiator MUST fail the get: non-zero exit, nothing under the final name,
no temporary file left.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_EMPTY = lies._EMPTY_DIGEST


def _eror_internal(r: lies.LyingResponder) -> None:
    with contextlib.suppress(OSError):
        r.frame("EROR", control({"code": 11, "name": "internal", "message": "gave up"}))
    r.close_notify()


_ENDS: dict[str, Callable[[lies.LyingResponder], None]] = {
    "close-notify": lies.LyingResponder.close_notify,
    "tcp-fin": lies.LyingResponder.tcp_fin,
    "eror-internal": _eror_internal,
}


def _empty_then(end: str, *, digest: bool) -> lies.Lie:
    def lie(r: lies.LyingResponder) -> None:
        r.rsfl(0, _EMPTY if digest else None)
        _ENDS[end](r)

    return lie


# Every ending with one RSFL form each by default (each a client run, ~2 s); the other
# form of each ending in the slow tier.
_DEFAULT = {("close-notify", True), ("tcp-fin", False), ("eror-internal", True)}
_CASES = [
    pytest.param(
        end,
        digest,
        id=f"{end}-{'rsfl-sha256' if digest else 'no-sha256'}",
        marks=() if (end, digest) in _DEFAULT else (pytest.mark.slow,),
    )
    for end in _ENDS
    for digest in (False, True)
]


@pytest.mark.req("APP-GET-5", "APP-STORE-3")
@pytest.mark.parametrize(("end", "digest"), _CASES)
def test_pki_initiator_fails_an_empty_get_that_ends_before_done(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, end: str, digest: bool
) -> None:
    got = lies._run_lie(target, tmp_path, transcripts, _empty_then(end, digest=digest))
    lies._judge_failed_get(
        got,
        f"APP-GET-5: the responder answers the get RSFL {{size: 0"
        f"{', sha256 of the empty file' if digest else ''}}} and then, with no DONE, "
        f"ends the connection ({end})",
        None,
        ("APP-GET-5",),
    )
