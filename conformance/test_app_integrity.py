"""The initiator's checks on a get (docs/SPEC.md §3.3, §3.6, §4.1): against a hostile responder.

The suite plays the responder (conformance/pki_channel.py HostileResponder, with a
certificate for the right alias minted in lab mode) and launches the initiator under
test with `--client-cmd` (embedded run: the reference's `sft get`). A lying responder
must make the get fail, with nothing kept under the final name and no temporary file
left behind. sft-pki only: testing an sft-eke client needs its password in the template.

Fixtures (conformance/plugin.py): `target`, `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
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
)
from conformance.pki_channel import ClientRun, HostileResponder, PkiChannel
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    Event,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
    header_bytes,
)

pytestmark = pytest.mark.profile("pki")

CONTENT = bytes(range(256)) * 20  # 5120 bytes: several DATA frames of the hostile script
WRONG = hashlib.sha256(b"not the content").hexdigest()

_LIES: dict[str, tuple[tuple[str, ...], dict[str, object]]] = {
    "done-sha256": (("APP-GET-3",), {"done_sha256": WRONG}),
    "done-size": (("APP-GET-3",), {"done_size": len(CONTENT) + 1}),
    "rsfl-sha256": (("APP-GET-3",), {"rsfl_sha256": WRONG}),
    "rsfl-size-smaller": (("APP-GET-3", "APP-GET-4"), {"rsfl_size": len(CONTENT) - 100}),
    "more-data-than-announced": (
        ("APP-GET-4",),
        {"rsfl_size": len(CONTENT), "data": CONTENT + b"extra bytes"},
    ),
    "close-notify-before-done": (("APP-GET-5", "PKI-TLS-6"), {"stop_after": 3000}),
    "tcp-fin-before-done": (
        ("APP-GET-5", "PKI-TLS-6", "FRM-7"),
        {"stop_after": 3000, "fin_only": True},
    ),
    "fatal-error-mid-transfer": (("APP-GET-5", "ERR-3"), {"stop_after": 2000, "error_mid": True}),
}


def _judge_failed_get(run: ClientRun, hostile: HostileResponder, what: str) -> None:
    judge_refusal(run, hostile, what, frames_allowed=True)


@pytest.mark.req("APP-GET-3", "APP-GET-4", "APP-GET-5", "APP-GET-6", "APP-STORE-3")
@pytest.mark.parametrize("lie", sorted(_LIES))
def test_initiator_rejects_lying_responder(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, lie: str
) -> None:
    reqs, bend = _LIES[lie]
    lab = lab_pki(target)
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=honest_get_script(CONTENT, **bend),
    )
    if hostile.script_errors:
        raise RuntimeError(f"harness fault in the hostile responder: {hostile.script_errors}")
    require_reached(run, hostile, request=True)
    _judge_failed_get(run, hostile, f"{'/'.join(reqs)}: responder lie {lie!r}")


@pytest.mark.req("APP-GET-6")
def test_initiator_does_not_overwrite_existing_file(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    lab = lab_pki(target)
    before = b"the user's own file, not to be replaced\n"
    run, _hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab.employee(responder_alias(target)),
        script=honest_get_script(CONTENT),
        prepare_out=before,
    )
    # No require_reached here: refusing before connecting (the file exists) is a
    # conforming way to not overwrite it.
    if run.out.read_bytes() != before:
        raise ConformanceFailure(
            f"APP-GET-6: the existing output file was replaced\n{run.describe()}"
        )
    left = leftovers(run)
    if left:
        raise ConformanceFailure(f"APP-STORE-3: temporary files left behind: {left}")


_MALFORMED: dict[str, tuple[tuple[str, ...], bytes, str]] = {
    # case: (requirements, bytes the responder sends instead of RSFL, EROR the client owes)
    "duplicate-key": (
        ("FRM-9",),
        frame_bytes("RSFL", b'{"name":"a","size":1,"size":2}'),
        "bad_frame",
    ),
    "size-float": (("FRM-11",), frame_bytes("RSFL", b'{"name":"a","size":1.0}'), "bad_frame"),
    "not-utf8": (("FRM-9",), frame_bytes("RSFL", b'{"name":"\xff","size":1}'), "bad_frame"),
    "bad-type-bytes": (("FRM-2",), frame_bytes(b"rs\x00l", b"{}"), "bad_frame"),
    "unknown-type": (("FRM-5",), frame_bytes("ZZZZ", b"{}"), "unexpected_frame"),
    "done-before-rsfl": (
        ("FRM-6",),
        frame_bytes("DONE", control({"size": 0, "sha256": hashlib.sha256(b"").hexdigest()})),
        "unexpected_frame",
    ),
    "oversize-header": (("FRM-3",), header_bytes("DATA", 0xFFFFFFF0), "frame_too_large"),
}


@pytest.mark.req("FRM-2", "FRM-3", "FRM-5", "FRM-6", "FRM-9", "FRM-11", "ERR-3")
@pytest.mark.parametrize("case", sorted(_MALFORMED))
def test_initiator_answers_malformed_frame_with_an_error(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, case: str
) -> None:
    """The initiator is a receiver too: it answers a malformed frame with the EROR the
    spec names, fails the get and keeps nothing."""
    reqs, bad, code = _MALFORMED[case]
    answers: list[Event] = []

    def script(channel: PkiChannel) -> None:
        request = channel.recv_frame()
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return
        channel.send_raw(bad)
        deadline = deadline_after(3.0)
        answer = channel.recv_frame(deadline)
        # A BYE_ the initiator pipelined behind its RQFL (APP-1, APP-2: requests MAY be
        # pipelined) is not its answer to the bad frame: that is what follows it.
        for _ in range(4):
            if not (isinstance(answer, ReceivedFrame) and answer.type == b"BYE_"):
                break
            answer = channel.recv_frame(deadline)
        answers.append(answer)

    lab = lab_pki(target)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=lab.employee(responder_alias(target)), script=script
    )
    require_reached(run, hostile, request=True)
    judge_refusal(run, hostile, f"{'/'.join(reqs)}: responder sent {case}", frames_allowed=True)
    answer = answers[0] if answers else None
    if not (isinstance(answer, ReceivedFrame) and answer.error_name == code):
        raise ConformanceFailure.evidence(
            f"{'/'.join(reqs)}: the initiator's answer to {case}",
            f"EROR {code} then close",
            answer.describe() if answer is not None else "nothing recorded",
        )
