"""ERR-6 at an sft-pki/1 INITIATOR: a responder's protocol lie is reported in words.

ERR-6: an endpoint MUST NOT answer any input with a stack trace or a debug dump. What an
initiator answers its user with is its output (standard output and error). A responder
that breaks the protocol — a control frame that is not JSON, a member of the wrong type,
a frame type that is not one, more DATA than announced, a DONE whose digest is not 64
lower-case hex digits, a frame too large, a BYE_ in the middle of the data — is the
input most initiators turn into an exception; the error handler written for the
protocol's own failures (send the EROR, close) is the one that must also end the run in
words. An implementation that reports the error to the peer and then lets the exception
go on up (`throw e` after the EROR, a parse by the language's own JSON reader outside
the protocol's error types) prints its runtime's stack trace and exits non-zero: every
other check passes, only its output shows the crash.
test_client_lies.py judges the EROR the initiator sends for three of these lies;
test_pki_client_transport_faults.py judges the output for breaks below the protocol (a
forged TLS record, a TCP reset). Here: the output, for each lie (whether the get fails as
it should is the business of the lie's own cases: test_pki_initiator_transfer.py,
test_client_lies.py, test_framing.py).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_pki_client_transport_faults import _TRACES
from conformance.wire import ConformanceFailure, control, header_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_HALF = lies.SIZE // 2


def _rsfl_not_json(r: lies.LyingResponder) -> None:
    r.frame("RSFL", b"{this is not json")


def _rsfl_size_string(r: lies.LyingResponder) -> None:
    r.frame("RSFL", control({"name": lies.NAME, "size": str(lies.SIZE)}))


def _rsfl_not_object(r: lies.LyingResponder) -> None:
    r.frame("RSFL", b"[1, 2, 3]")


def _bad_type_bytes(r: lies.LyingResponder) -> None:
    r.frame(b"RSF\x00", control({"name": lies.NAME, "size": lies.SIZE}))


def _unknown_type(r: lies.LyingResponder) -> None:
    r.rsfl()
    r.frame("ZZZZ", control({}))


def _data_beyond_size(r: lies.LyingResponder) -> None:
    r.rsfl()
    r.data(lies.CONTENT)
    r.frame("DATA", b"!")


def _done_sha_upper(r: lies.LyingResponder) -> None:
    r.rsfl()
    r.data(lies.CONTENT)
    r.done(lies.SIZE, lies.DIGEST.upper())


def _done_size_float(r: lies.LyingResponder) -> None:
    r.rsfl()
    r.data(lies.CONTENT)
    r.frame("DONE", b'{"size": %d.0, "sha256": "%s"}' % (lies.SIZE, lies.DIGEST.encode()))


def _bye_mid_data(r: lies.LyingResponder) -> None:
    r.rsfl()
    r.data(lies.CONTENT[:_HALF])
    r.frame("BYE_", control({}))


def _header_too_large(r: lies.LyingResponder) -> None:
    r.rsfl()
    r.data(lies.CONTENT[:_HALF])
    r.channel.send_raw(header_bytes(b"DATA", 0x8000_0000))


def _rsfl_nested(r: lies.LyingResponder) -> None:
    # A valid JSON text nested deeper than any reader needs: a recursive parser overflows.
    depth = 20000
    r.frame("RSFL", b'{"name": "x", "size": 1, "deep": ' + b"[" * depth + b"]" * depth + b"}")


def _length_past_end(r: lies.LyingResponder) -> None:
    # DONE's header announces more bytes than follow; the stream then ends.
    r.rsfl()
    r.data(lies.CONTENT)
    body = control({"size": lies.SIZE, "sha256": lies.DIGEST})
    r.channel.send_raw(b"DONE" + struct.pack(">I", len(body) + 16) + body)
    r.close_notify()


_LIES: dict[str, Callable[[lies.LyingResponder], None]] = {
    "rsfl-not-json": _rsfl_not_json,
    "rsfl-size-string": _rsfl_size_string,
    "unknown-frame-type": _unknown_type,
    "data-beyond-size": _data_beyond_size,
    "done-sha256-upper-case": _done_sha_upper,
    "bye-mid-data": _bye_mid_data,
}
# The same class through other parsers and checks (each run starts the initiator: slow).
_SLOW_LIES: dict[str, Callable[[lies.LyingResponder], None]] = {
    "rsfl-not-object": _rsfl_not_object,
    "rsfl-deeply-nested": _rsfl_nested,
    "bad-type-bytes": _bad_type_bytes,
    "done-size-float": _done_size_float,
    "data-header-2^31": _header_too_large,
    "done-cut-short": _length_past_end,
}
_ALL_LIES = {**_LIES, **_SLOW_LIES}


@pytest.mark.req("ERR-6")
@pytest.mark.parametrize(
    "lie", [*_LIES, *(pytest.param(name, marks=pytest.mark.slow) for name in _SLOW_LIES)]
)
def test_initiator_reports_a_protocol_lie_without_a_stack_trace(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: str
) -> None:
    got = lies._run_lie(target, tmp_path, transcripts, _ALL_LIES[lie])
    what = f"the responder breaks the protocol during the get: {lie}"
    output = got.run.stdout + "\n" + got.run.stderr
    found = _TRACES.search(output)
    if found is not None:
        start = max(0, found.start() - 80)
        failure = ConformanceFailure.evidence(
            f"ERR-6: {what}",
            "the failed get reported in words (non-zero exit), never a stack trace",
            f"its output holds a stack trace: {output[start : found.end() + 200]!r}",
            note=got.describe(),
        )
        failure.violates = ("ERR-6",)
        raise failure
