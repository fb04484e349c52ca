"""sft-pki/1 INITIATOR on the paths a transfer takes when it does not end well, and on
numbers and strings a lying responder bends (docs/SPEC.md §3.3, §3.6, §1, PKI-TLS-7).

The suite plays the responder (a root-issued certificate for the alias asked for, so the
client reaches its request) and judges the client under test by its exit status, its
output directory and what it sent:

- the output name appears while the get runs (another program made it between the
  client's start and its DONE): the client MUST NOT replace it [APP-GET-6], and MUST NOT
  leave its temporary file behind either [APP-STORE-3] ("the data is good, keep it for
  the user" leaks a `.sft-partial-*` that nothing ever commits);
- an RSFL announcing more than any client stores (1 TiB, 2^63 - 1 bytes), a little DATA,
  then close_notify: whether the client refuses at once by its own limit or starts and
  sees the end, it fails and leaves no temporary file — one made before the limit is
  checked is left by the refusal [APP-STORE-3];
- RSFL and DONE announcing 2^32 + n (2^33 + n) bytes while n are sent: a size held in 32
  bits reads n, counts n and keeps the file; the sizes disagree with the bytes, so the
  get MUST fail [APP-GET-3];
- RSFL with `"sha256": ""`: not 64 lowercase hex digits, so the RSFL is malformed and the
  get fails [FRM-12] ("an empty string is absent" — Go's zero value — takes it);
- a non-fatal refusal (`not_found`, `forbidden` of a get; `exists`, `too_large`,
  `forbidden` of a put): the client ends the connection, and over TLS the only clean end
  is close_notify [PKI-TLS-7]: a client that exits at once on a refusal ("nothing to
  clean up") leaves the kernel to send a bare FIN. The put runs need the target's
  `client_put_cmd` (test_client_put.py).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
import re
import ssl
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    honest_get_script,
    judge_refusal,
    lab_pki,
    leftovers,
    require_reached,
    responder_alias,
    run_initiator,
    run_initiator_watched,
)
from conformance.channel import Channel
from conformance.pki_channel import PkiChannel, ended_cleanly
from conformance.target import Target
from conformance.test_client_put import Answer, PutSeen, _run_put
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    deadline_after,
    error_payload,
)
from conformance.x509 import Certificate

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = bytes(range(256)) * 40  # 10 240 bytes
_TEMPORARY = re.compile(r"part|tmp|temp", re.IGNORECASE)  # a temporary file's name
_END_WAIT = 4.0  # how long the suite waits for the client to end after a refusal


def _cert(target: Target) -> Certificate:
    return lab_pki(target).employee(responder_alias(target))


# --- the output name appears during the get ------------------------------------------------


@pytest.mark.req("APP-STORE-3", "APP-GET-6")
def test_initiator_output_made_meanwhile_is_kept_and_temporary_removed(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    outdir = tmp_path / f"out-{uuid.uuid4().hex[:6]}"
    outdir.mkdir()
    out = outdir / "received.bin"
    theirs = b"written by another program while the get ran\n"
    made: list[str] = []

    def script(channel: PkiChannel) -> None:
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        name = (event.json() or {}).get("name", "")
        channel.send_frame("RSFL", {"name": name, "size": len(CONTENT)})
        half = len(CONTENT) // 2
        channel.send_frame("DATA", CONTENT[:half])
        # After the RQFL (the client looked for an existing output before it) and before
        # the DONE (it cannot commit before): no timing involved.
        out.write_bytes(theirs)
        made.append("made")
        channel.send_frame("DATA", CONTENT[half:])
        channel.send_frame(
            "DONE", {"size": len(CONTENT), "sha256": hashlib.sha256(CONTENT).hexdigest()}
        )
        channel.recv_frame(deadline_after(2.0))

    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=_cert(target),
        script=script,
        out=out,
    )
    require_reached(run, hostile, request=True)
    if not made:
        raise RuntimeError(f"harness: the output was never made ({run.describe()})")
    problems = []
    if not out.is_file() or out.read_bytes() != theirs:
        problems.append(("APP-GET-6", "the file that appeared at the output was replaced"))
    # Temporaries only: a client MAY keep the data under another name the user can find
    # (not the output's), which is no temporary file.
    left = [n for n in leftovers(run) if n.startswith(".") or _TEMPORARY.search(n)]
    if left:
        problems.append(("APP-STORE-3", f"temporary files left in the output directory: {left}"))
    if problems:
        failure = ConformanceFailure.evidence(
            "a get whose output name was made by someone else between its RSFL and its DONE",
            "the existing file kept as it was, the client's temporary file removed",
            "; ".join(f"{req}: {text}" for req, text in problems),
            note=run.describe(),
        )
        failure.violates = tuple(req for req, _ in problems)
        raise failure


# --- an announced size beyond any limit ----------------------------------------------------


@pytest.mark.req("APP-STORE-3")
@pytest.mark.parametrize("size", [1 << 40, (1 << 63) - 1], ids=["1TiB", "max"])
def test_initiator_oversize_announcement_leaves_no_temporary(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, size: int
) -> None:
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=_cert(target),
        script=honest_get_script(CONTENT, rsfl_size=size, stop_after=2000),
    )
    require_reached(run, hostile, request=True)
    judge_refusal(
        run,
        hostile,
        f"APP-STORE-3: RSFL announcing {size} bytes, 2000 bytes of DATA, then close_notify",
        frames_allowed=True,
    )


# --- sizes past 32 bits, and an empty digest -----------------------------------------------


@pytest.mark.req("APP-GET-3")
@pytest.mark.parametrize("high", [1 << 32, 1 << 33], ids=["2^32", "2^33"])
def test_initiator_sizes_beyond_32_bits_are_not_wrapped(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, high: int
) -> None:
    announced = high + len(CONTENT)
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=_cert(target),
        script=honest_get_script(CONTENT, rsfl_size=announced, done_size=announced),
    )
    require_reached(run, hostile, request=True)
    judge_refusal(
        run,
        hostile,
        f"APP-GET-3: RSFL and DONE announce {announced} bytes (2^{high.bit_length() - 1} + "
        f"{len(CONTENT)}), {len(CONTENT)} bytes sent with their right SHA-256",
        frames_allowed=True,
    )


@pytest.mark.req("FRM-12")
def test_initiator_refuses_an_empty_rsfl_digest(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=_cert(target),
        script=honest_get_script(CONTENT, rsfl_sha256=""),
    )
    require_reached(run, hostile, request=True)
    judge_refusal(
        run,
        hostile,
        'FRM-12: RSFL {"name", "size", "sha256": ""} (not 64 lowercase hex digits), then '
        "the right DATA and DONE",
        frames_allowed=True,
    )


# --- the end of a connection after a refusal -----------------------------------------------


def _watch_end(channel: Channel, ends: list[str]) -> None:
    """After the refusal, how the client ends: its close_notify and close, or — after its
    BYE_, which the suite does not echo — its close_notify in answer to the suite's own
    (the initiator may wait for the responder to end the stream, APP-BYE-1)."""
    end = deadline_after(_END_WAIT)
    for _ in range(8):
        event = channel.recv_frame(end)
        if isinstance(event, ReceivedFrame):
            if event.type != b"BYE_":
                continue
            sock = getattr(channel, "sock", None)
            if not isinstance(sock, ssl.SSLSocket):
                return
            sock.settimeout(3.0)
            try:
                sock.unwrap()  # our close_notify, then read theirs
            except (ssl.SSLError, OSError, ValueError) as exc:
                ends.append(f"no close_notify in answer to ours after BYE_: {exc}")
            else:
                ends.append("close_notify")
            return
        if isinstance(event, Closed):
            ends.append("close_notify" if ended_cleanly(event) else event.describe())
        return


def _judge_end(ends: list[str], what: str, note: str) -> None:
    if ends and ends[0] != "close_notify":
        failure = ConformanceFailure.evidence(
            f"PKI-TLS-7: {what}: how the client ends its connection",
            "a TLS close_notify before the TCP close (never a bare FIN or reset)",
            ends[0],
            note=note,
        )
        failure.violates = ("PKI-TLS-7",)
        raise failure


@pytest.mark.req("PKI-TLS-7")
@pytest.mark.parametrize("code", ["not_found", "forbidden"])
def test_initiator_ends_a_refused_get_with_close_notify(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, code: str
) -> None:
    ends: list[str] = []

    def script(channel: PkiChannel) -> None:
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        channel.send_frame("EROR", error_payload(code, "suite: refused"))
        _watch_end(channel, ends)

    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=_cert(target),
        script=script,
    )
    require_reached(run, hostile, request=True)
    _judge_end(ends, f"a get answered EROR {code} (non-fatal)", run.describe())


def _serve_refusal(ends: list[str]) -> Callable[[Channel, PutSeen, Answer, str], None]:
    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        event = channel.recv_frame(deadline_after(10.0))
        if not isinstance(event, ReceivedFrame) or event.type != b"PUTF":
            seen.ended = f"the client's first frame was {event.describe()}"
            return
        seen.putf_raw = event.payload[:200].decode("utf-8", "replace")
        seen.putf = event.json()
        assert answer.refuse is not None
        channel.send_frame("EROR", error_payload(answer.refuse, "suite: refused"))
        seen.answered = f"EROR {answer.refuse}"
        _watch_end(channel, ends)

    return serve


@pytest.mark.req("PKI-TLS-7")
@pytest.mark.parametrize("code", ["exists", "too_large", "forbidden"])
def test_initiator_ends_a_refused_put_with_close_notify(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, code: str
) -> None:
    ends: list[str] = []
    put = _run_put(
        target,
        tmp_path,
        transcripts,
        Answer(refuse=code),
        CONTENT[:3000],
        serve=_serve_refusal(ends),
    )
    _judge_end(ends, f"a put answered EROR {code} (non-fatal)", put.describe())
