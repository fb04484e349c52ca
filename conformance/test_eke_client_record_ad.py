"""An sft-eke/1 CLIENT opens a record under its 8-byte header and nothing else (SPEC §5.5
EKE-REC-3, EKE-REC-4).

"The associated data MUST be the record's 8-byte header." A client whose opener, when a
record fails, tries it again under another associated data — none ("an early server
sealed without AD"), the type alone ("a draft of the SPEC"), the inner frame's length —
accepts records whose header nothing authenticates, and its own client/server pair never
shows it: each side seals right. The suite plays an honest server up to EKE4, then answers
the client's get with RSFL, DATA and DONE sealed with the right key and sequence numbers
but over another associated data than their header, one form per run. The client MUST NOT
keep the file nor report success: the first record does not authenticate, so it closes
(EKE-REC-4). (The server side: conformance/test_eke_record_ad_forms.py.)
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_hostile import (
    Behaviour,
    ServerView,
    client_user,
    eke_pw,
    establish,
    fresh_password,
    read_inner,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, control, frame_bytes

pytestmark = pytest.mark.side("initiator")

NAME = "ad-forms.txt"
CONTENT = b"a file served in records over the wrong associated data\n"
_TIMEOUT = 5.0

# name -> the associated data used instead of the header, from (header, inner)
_WRONG_AD: dict[str, Callable[[bytes, bytes], bytes]] = {
    "empty": lambda header, inner: b"",
    "type only": lambda header, inner: header[:4],
    "inner length": lambda header, inner: b"RECD" + struct.pack(">I", len(inner)),
    "inner header": lambda header, inner: inner[:8],
}


def _serve_over(pw: bytes, form: str, reached: list[str]) -> Behaviour:
    """An honest handshake; the get answered in records sealed over AD `form`."""
    wrong_ad = _WRONG_AD[form]

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _TIMEOUT)
        if channel is None:
            return
        event = read_inner(channel, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        reached.append("RQFL")
        digest = hashlib.sha256(CONTENT).hexdigest()
        sender = channel.sender
        for frame_type, payload in (
            (b"RSFL", control({"name": NAME, "size": len(CONTENT), "sha256": digest})),
            (b"DATA", CONTENT),
            (b"DONE", control({"size": len(CONTENT), "sha256": digest})),
        ):
            inner = frame_bytes(frame_type, payload)
            header = b"RECD" + struct.pack(">I", len(inner) + eke.RECORD_TAG_LEN)
            nonce = eke.record_nonce(sender.iv, sender.seq)
            sealed = eke.aead_seal(sender.key, nonce, inner, wrong_ad(header, inner))
            sender.seq += 1
            if not raw.send_raw(header + sealed):
                return  # the client closed: what it must do
        # What the client does next (BYE_, an EROR, a close) is noted in the view.
        read_inner(channel, view, _TIMEOUT)

    return behaviour


@pytest.mark.req("EKE-REC-3", "EKE-REC-4")
@pytest.mark.parametrize("form", list(_WRONG_AD))
def test_client_refuses_records_sealed_over_another_ad(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, form: str
) -> None:
    """The get's answer sealed right but over AD `form`: the client must not keep the
    file nor report success."""
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    reached: list[str] = []
    case = run_case(
        eke_target, tmp_path, transcripts, _serve_over(pw, form, reached),
        name=NAME, password=password, timeout=_TIMEOUT,
    )  # fmt: skip
    if not reached:
        pytest.skip(
            "the client never sent its request in a record (the handshake is judged by "
            "test_eke_client_keys.py): " + case.describe()
        )
    result = case.result
    kept = result.kept_file and result.out.read_bytes() == CONTENT
    if kept or result.succeeded:
        raise ConformanceFailure(
            f"Expected: the client closes at the first record (RSFL), sealed with the right "
            f"key and sequence number but over AD '{form}', not its 8-byte header\n"
            f"Actual:   file kept: {kept}; success reported: {result.succeeded}\n"
            "EKE-REC-3: the associated data is the record's header and nothing else (an "
            "opener that retries under another AD accepts records whose header nothing "
            "authenticates)\n" + case.describe(),
            violates=("EKE-REC-3",),
        )
