"""An INITIATOR as a SENDER, continued: what its put carries and what it takes back.

The responder is test_client_put.py's (its `_serve_put`, the client launched from
`client_put_cmd`; the embedded run: the reference's `sft put` / `sft eke put`), here
with a name of the case's choosing and answers test_client_put.py does not give:

* [APP-NAME-3] the name to put is a non-ASCII name in NFD (a decomposed accent): PUTF
  must carry it as given, not normalised (the get's request name is judged in
  test_eke_client_request_names.py; a client may fix one copy and not the other);
* [FRM-9] the responder's `DONE` answering the put without its `sha256` (a "receipt"):
  malformed, `EROR bad_frame`, and the put is not reported as stored (APP-PUT-10);
* [EKE-REC-1], [EKE-REC-2] (sft-eke/1) a put of 1 MiB + 1 byte: every record the client
  seals holds exactly one frame (no DONE riding in the last DATA's record) under the
  next sequence number (a zero-copy DATA path that does not advance it is caught by the
  suite's record opener, which names the deviation);
* [PKI-TLS-7] (sft-pki/1) the client ends its TLS stream with close_notify: a half-close
  after its DONE ("nothing more to send", which sft-eke/1 allows: APP-2) is a bare FIN
  on a TLS stream, which the responder sees before it answers.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import (
    Answer,
    Problems,
    PutRun,
    PutSeen,
    _content,
    _fail,
    _judge_common,
    _judge_sent_file,
    _run_put,
    _serve_put,
)
from conformance.wire import (
    MAX_DATA_PAYLOAD,
    Closed,
    control,
)

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

READ_TIMEOUT = 5.0


class _Watched:
    """A channel whose ends (Closed events) and outgoing DONE can be seen or changed by
    the case: `_serve_put` runs on it unchanged."""

    def __init__(self, channel: Channel, done_payload: Any = None) -> None:
        self.inner = channel
        self.closes: list[Closed] = []
        self.done_payload = done_payload  # callable(dict) -> bytes, for the final DONE

    def recv_frame(self, deadline: float | None = None) -> Any:
        event = self.inner.recv_frame(deadline)
        if isinstance(event, Closed):
            self.closes.append(event)
        return event

    def send_frame(self, frame_type: bytes | str, payload: Any = b"") -> bool:
        kind = frame_type.encode() if isinstance(frame_type, str) else frame_type
        if kind == b"DONE" and self.done_payload is not None:
            obj = payload if isinstance(payload, dict) else {}
            return self.inner.send_frame(frame_type, self.done_payload(obj))
        return self.inner.send_frame(frame_type, payload)

    def send_raw(self, data: bytes) -> bool:
        return self.inner.send_raw(data)


def _run(
    target: Target,
    workdir: Path,
    transcripts: TranscriptBook,
    content: bytes,
    *,
    name: str | None = None,
    answer: Answer | None = None,
    done_payload: Any = None,
) -> tuple[PutRun, list[_Watched]]:
    """test_client_put.py's run, with the name chosen here and the channel watched."""
    watched: list[_Watched] = []

    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        box = _Watched(channel, done_payload)
        watched.append(box)
        _serve_put(box, seen, answer, name)  # type: ignore[arg-type]

    put = _run_put(target, workdir, transcripts, answer or Answer(), content, serve, name)
    return put, watched


def _owed_bad_frame(put: PutRun, problems: Problems, requirement: str, what: str) -> None:
    """The client answered a malformed frame: EROR bad_frame (fatal), and failure."""
    errors = [f for f in put.seen.sending + put.seen.after if f.type == b"EROR"]
    if not errors or errors[0].error_name != "bad_frame":
        shown = errors[0].describe(80) if errors else "no EROR"
        problems.append((requirement, f"{what}: EROR bad_frame owed (FRM-9), got {shown}"))
    if put.run.succeeded or put.run.timed_out:
        problems.append((requirement, f"after {what} the client {put.run.success_evidence()}"))


# --- cases -------------------------------------------------------------------------------


@pytest.mark.req("APP-NAME-3", "APP-PUT-1")
def test_initiator_put_offers_its_name_as_given(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[APP-NAME-3] The name to put is in NFD (`e` + U+0301), with a space and a `%2e`:
    PUTF's `name` must be exactly it (no NFC, no percent-decoding), and the honest put
    then succeeds."""
    name = f"re\u0301sume\u0301 %2e {secrets.token_hex(3)}.txt"
    put, _ = _run(target, tmp_path, transcripts, _content(1000), name=name)
    problems: Problems = []
    offered = (put.seen.putf or {}).get("name")
    if offered != name:
        problems.append(
            (
                "APP-NAME-3",
                f"PUTF name {offered!r} ({str(offered).encode('utf-8', 'replace').hex()}), "
                f"asked to put {name!r} ({name.encode().hex()}): not used literally",
            )
        )
    _judge_common(put, problems)
    _fail(put, problems, f"a put as {name!r} (NFD)")


@pytest.mark.req("FRM-9", "APP-PUT-10")
def test_initiator_put_refuses_an_acknowledgement_without_sha256(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[FRM-9] The responder accepts, reads the file, and answers the client's DONE with
    `DONE {"size": N}` (no `sha256`): malformed; `EROR bad_frame`, and the put must not be
    reported as stored [APP-PUT-10]."""

    def receipt(obj: dict[str, Any]) -> bytes:
        return control({"size": obj.get("size")})

    put, _ = _run(target, tmp_path, transcripts, _content(1000), done_payload=receipt)
    problems: Problems = []
    _judge_common(put, problems)
    if not put.seen.answered.endswith("; DONE"):
        raise RuntimeError(f"the suite's responder did not get to its DONE: {put.describe()}")
    errors = [f for f in put.seen.after if f.type == b"EROR"]
    if not errors or errors[0].error_name != "bad_frame":
        shown = errors[0].describe(80) if errors else "no EROR"
        problems.append(("FRM-9", f"DONE without sha256: EROR bad_frame owed, got {shown}"))
    if put.run.succeeded or put.run.timed_out:
        problems.append(
            (
                "APP-PUT-10",
                f"the responder's DONE lacked its sha256, yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    _fail(put, problems, "a put acknowledged with DONE {size} only")


@pytest.mark.req("EKE-REC-1", "EKE-REC-2", "APP-PUT-4")
@pytest.mark.profile("eke")
def test_initiator_put_seals_one_frame_per_record_in_sequence(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[EKE-REC-1], [EKE-REC-2] A put of 1 MiB + 1 byte (two DATA records, then DONE) to
    an honest responder: every record opens under the next sequence number and holds
    exactly one frame; the suite's opener names any deviation."""
    put, watched = _run(eke_target, tmp_path, transcripts, _content(MAX_DATA_PAYLOAD + 1))
    problems: Problems = []
    violations = [v for box in watched for v in getattr(box.inner, "violations", [])]
    for violation in violations:
        rid = "EKE-REC-1" if violation.startswith("EKE-REC-1") else "EKE-REC-2"
        if "EKE-REC-4" in violation or "did not open" in violation:
            rid = "EKE-REC-2"
        problems.append((rid, violation[:400]))
    if not problems:
        _judge_common(put, problems)
        _judge_sent_file(put, problems)
    _fail(put, problems, "a put of 1 MiB + 1 byte: the client's records")


@pytest.mark.req("PKI-TLS-7", "APP-PUT-10")
@pytest.mark.profile("pki")
def test_initiator_put_never_half_closes_its_tls_stream(
    pki_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """[PKI-TLS-7] An honest put: between the client's DONE and its end (BYE_, then
    close_notify) the stream must not end with a bare TCP FIN (a half-close is a
    truncation over TLS, PKI-TLS-6)."""
    put, watched = _run(pki_target, tmp_path, transcripts, _content(1000))
    problems: Problems = []
    bare = [c for box in watched for c in box.closes if c.kind == "eof" and c.detail]
    if bare:
        problems.append(
            (
                "PKI-TLS-7",
                f"the client's stream ended with {bare[0].describe()} (answered: "
                f"{put.seen.answered})",
            )
        )
    _judge_common(put, problems)
    _fail(put, problems, "an honest put over sft-pki/1: how the client ends its stream")
