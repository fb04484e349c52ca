"""What an sft-eke/1 CLIENT does with the connection `busy` refused, and with a retry_after
that only fits a narrow integer.

* [ERR-3] `busy` is fatal: the client closes the refused connection at once (within 2 s),
  also while it waits to retry on a new one — a client that keeps the old socket until
  it exits holds a connection the server counts against its caps.
* [EKE-KS-1] the handshake retried after `busy` runs on its own values: th is computed
  over the retry's own A. A client that caches the first attempt's A (or EKE1) for the
  transcript cannot verify an honest server's C2 on the retry.
* [EKE-THR-7] a retry_after of 2^31 + 1 or 2^32 + 1 seconds is a valid integer (FRM-11):
  the client gives up or waits; it never retries within seconds. A client that reads the
  member into a 32-bit integer sees a negative number or 1 and retries at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    error_payload,
)

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "offered.txt"
_TIMEOUT = 5.0
_PASSWORD = fresh_password()
_CLOSE_WITHIN = 2.0  # ERR-3's allowance for a close "at once"
_RETRY_AFTER = 3  # long enough that a socket kept until the retry (or the wait) is seen open


def _busy(retry_after: int) -> bytes:
    return control(
        {**json.loads(error_payload("busy", "suite: busy, retry")), "retry_after": retry_after}
    )


@pytest.mark.req("ERR-3", "EKE-KS-1")
def test_client_closes_the_busy_connection_and_retries_on_fresh_values(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The first EKE1 is answered `EROR busy` (retry_after 3 s). [ERR-3] The client closes
    that connection within 2 s (the suite keeps its side open and watches). If it
    retries (it MAY), the suite answers the retry honestly: [EKE-KS-1] an honest EKE2 on
    the new connection verifies for a client whose th covers the retry's own A; a client
    that answers it `auth_failed` computed its keys over something else (the first
    attempt's A)."""
    user = client_user(eke_target)
    pw = eke_pw(user, _PASSWORD)
    seen: dict[str, object] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        if "busy" not in seen:
            raw.send_frame(b"EROR", _busy(_RETRY_AFTER))
            seen["busy"] = time.monotonic()
            got = raw.recv_frame(deadline_after(_CLOSE_WITHIN + 0.5))
            after = time.monotonic() - float(str(seen["busy"]))
            if isinstance(got, Closed) and after <= _CLOSE_WITHIN:
                seen["closed_after"] = after
            elif isinstance(got, Closed):
                seen["not_closed"] = f"closed only {after:.2f} s after the busy answer"
            else:
                seen["not_closed"] = got.describe()
            return
        seen["retried"] = True
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        answer = read_frame(raw, view, _TIMEOUT)
        seen["retry_answer"] = answer.describe(80) if isinstance(answer, ReceivedFrame) else ""
        if isinstance(answer, ReceivedFrame) and answer.type == b"EKE3":
            try:
                raw.send_frame(b"EKE4", server.on_eke3(answer.json() or {}))
            except eke.EkeError:
                seen["c3_failed"] = True
                return
            read_frame(raw, view, _TIMEOUT)  # its request (or close): not judged

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT + _RETRY_AFTER,
        connections=2,
    )
    if "busy" not in seen:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    if "not_closed" in seen:
        failure = ConformanceFailure.evidence(
            "ERR-3: the client's first EKE1 answered EROR busy (fatal), "
            f"retry_after {_RETRY_AFTER} s",
            f"the client closes that connection within {_CLOSE_WITHIN:g} s",
            f"{_CLOSE_WITHIN + 0.5:g} s after the busy answer: {seen['not_closed']}",
            note=case.describe(),
        )
        failure.violates = ("ERR-3",)
        raise failure
    if seen.get("retried") and (
        "EROR" in str(seen.get("retry_answer", "")) or seen.get("c3_failed")
    ):
        failure = ConformanceFailure.evidence(
            "EKE-KS-1: the handshake the client retried after `busy`, answered honestly",
            "EKE3 verifying under th over the retry's own user, A and B",
            f"the client answered the honest EKE2 with {seen.get('retry_answer')}"
            + (" and a C3 that does not verify" if seen.get("c3_failed") else ""),
            note=case.describe(),
        )
        failure.violates = ("EKE-KS-1",)
        raise failure


_WRAPS = {"int32-sign": (1 << 31) + 1, "uint32-wrap": (1 << 32) + 1}
_WINDOW = 4.0  # a retry within this many seconds of the answer did not wait retry_after


@pytest.mark.req("EKE-THR-7")
@pytest.mark.parametrize("kind", list(_WRAPS))
def test_client_does_not_retry_at_once_after_a_retry_after_beyond_32_bits(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """[EKE-THR-7] `EROR busy` with retry_after 2^31 + 1 (or 2^32 + 1) seconds, a valid
    integer [FRM-11]: the client MUST NOT retry before that many seconds have passed; it
    may give up. The suite watches for 4 s and then stops a client still waiting (not
    judged further). A client that wraps the value into 32 bits retries within seconds."""
    retry_after = _WRAPS[kind]
    busy_sent: list[float] = []
    arrivals: list[float] = []
    process: list[subprocess.Popen[bytes]] = []

    def stop_waiting_client() -> None:
        if len(arrivals) < 2 and process and process[0].poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process[0].pid, signal.SIGKILL)

    timer = threading.Timer(_WINDOW + 0.5, stop_waiting_client)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        arrivals.append(time.monotonic())
        if busy_sent:
            return  # the retry: noted, the suite closes
        raw.send_frame(b"EROR", _busy(retry_after))
        busy_sent.append(time.monotonic())
        timer.start()
        read_frame(raw, view, _TIMEOUT)  # the client's close

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=_PASSWORD,
        timeout=_TIMEOUT,
        connections=2,
        started=process.append,
    )
    timer.cancel()
    if not busy_sent:
        raise RuntimeError(
            f"the client never sent EKE1 (is --client-cmd right?)\n{case.describe()}"
        )
    if len(arrivals) >= 2 and arrivals[1] - busy_sent[0] < _WINDOW:
        raise ConformanceFailure.evidence(
            f"EKE-THR-7: `EROR busy` with retry_after {retry_after} s ({kind})",
            f"no retry before {retry_after} s; giving up is conforming",
            f"the retry came {arrivals[1] - busy_sent[0]:.3f} s after the busy answer",
            note=case.describe(),
        )
