"""An sft-eke/1 CLIENT reads the records that arrive in the same segment as EKE4 (SPEC FRM-4,
ERR-3).

The login and the record phase are one byte stream: a server may write EKE4 and, behind it,
its first record in one segment (a server that fails right after the login sends
`EROR internal` at once; one whose idle timeout ends the connection sends `EROR timeout`).
FRM-4 asks a receiver to process frames that share a segment exactly as if they had come
apart, so the bytes a client read together with EKE4 are the start of its record stream: a
client whose handshake reader reads ahead (recv of 64 KiB) and whose record layer then
starts with an empty buffer loses them.

The suite plays an honest server up to EKE4, sends EKE4 and a record holding a fatal `EROR`
(sequence number 0) in one write, and then — a hostile server now — answers the client's
request, if one comes, with a complete file whose records are sealed from sequence number 0
again, as if the `EROR` record had never been sent. Whatever the client did before reading
the `EROR`, the `EROR` comes first in the stream: the get MUST fail (ERR-3: nothing after a
fatal `EROR` is processed; the command-line client exits non-zero; a client that went on
anyway would find the next record failing its authentication, EKE-REC-4) and nothing is
kept under the final name. Only a client that lost the record — its stream starting, for
it, at the answer — takes the file and reports success.

Default run: `EROR internal` glued to EKE4 before a get. Slow: `EROR timeout` glued to
EKE4, the `EROR` record's header split across the glued write and the next, the control
(EKE4 and the record in two writes), which must end the same way; and the mirror on a put
(needs the target's client_put_cmd): the suite accepts the put offered after the `EROR`
and answers its DONE with the receipt, and the put MUST still be reported failed.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import sys
import time
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel
from conformance.eke_hostile import (
    HostileEkeServer,
    ServerView,
    client_user,
    eke_pw,
    fresh_password,
    read_frame,
    read_inner,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    control,
    deadline_after,
    error_payload,
    frame_bytes,
)
from sftkit.client_run import run_client
from sftkit.target_options import client_launch

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

NAME = "offered.bin"
CONTENT = bytes(range(256)) * 8  # 2048 bytes, sent after the EROR (never to be kept)
_TIMEOUT = 5.0
_PAUSE = 0.05  # between the two writes of the split and control shapes


# shape: (EROR code, bytes of the EROR record glued to EKE4: None = all, 0 = none)
_SHAPES: dict[str, tuple[str, int | None]] = {
    "internal-glued-to-eke4": ("internal", None),
    "timeout-glued-to-eke4": ("timeout", None),
    "record-header-split-behind-eke4": ("internal", 4),
    "control-eke4-and-record-apart": ("internal", 0),
}
_DEFAULT = {"internal-glued-to-eke4"}


@pytest.mark.req("FRM-4", "ERR-3")
@pytest.mark.parametrize(
    "shape",
    [s if s in _DEFAULT else pytest.param(s, marks=pytest.mark.slow) for s in _SHAPES],
)
def test_client_acts_on_the_record_that_came_with_eke4(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, shape: str
) -> None:
    """EKE4 and a record holding a fatal EROR in one write (see the module docstring); the
    suite then answers the client's request with a whole file. The get must fail: non-zero
    exit (or no file, by the target's success rule) and nothing kept."""
    code, glued = _SHAPES[shape]
    password = fresh_password()
    pw = eke_pw(client_user(eke_target), password)
    digest = hashlib.sha256(CONTENT).hexdigest()
    seen: dict[str, str] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            return
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        # The EROR is sealed at sequence number 0 by a sender of its own; the answer below
        # starts again at 0, as if that record had not been sent (see the module docstring).
        first, unused = server.record_layer()
        eror_channel = EkeChannel(raw, server.keys, first, unused, role="server")
        eror = eror_channel.seal(frame_bytes("EROR", error_payload(code, "suite: ending now")))
        head = frame_bytes("EKE4", control(eke4))
        cut = len(eror) if glued is None else glued
        raw.send_raw(head + eror[:cut])
        if cut < len(eror):
            time.sleep(_PAUSE)  # pacing only: the outcome must not depend on it
            raw.send_raw(eror[cut:])
        seen["sent"] = "EKE4 + EROR record"
        request = read_inner(channel, view, _TIMEOUT)
        if not isinstance(request, ReceivedFrame) or request.type != b"RQFL":
            return  # the client closed (or sent no request): nothing to answer
        seen["request"] = request.describe(80)
        inner = [
            frame_bytes("RSFL", control({"name": NAME, "size": len(CONTENT)})),
            frame_bytes("DATA", CONTENT),
            frame_bytes("DONE", control({"size": len(CONTENT), "sha256": digest})),
        ]
        with contextlib.suppress(OSError):  # a conforming client may be gone already
            raw.send_raw(b"".join(channel.seal(frame) for frame in inner))
            seen["answered"] = "RSFL + DATA + DONE after the EROR"
            read_inner(channel, view, _TIMEOUT)  # its BYE_ or its close: not judged

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=NAME,
        password=password,
        timeout=_TIMEOUT,
    )
    if "sent" not in seen:
        raise RuntimeError(
            f"the client never completed the login (is --client-cmd right?)\n{case.describe()}"
        )
    result = case.result
    if result.succeeded or result.kept_file:
        failure = ConformanceFailure.evidence(
            f"FRM-4/ERR-3: EKE4 and a record holding EROR {code} (fatal) as {shape}; the "
            "suite then answered the client's request with a whole file",
            "the get fails (non-zero exit), nothing kept: the EROR comes first in the "
            "stream, however the bytes were split",
            f"{result.describe()}; the client's request: {seen.get('request', 'none')}; "
            f"{seen.get('answered', '')}",
            note=case.describe(),
        )
        failure.violates = ("FRM-4", "ERR-3") if glued != 0 else ("ERR-3",)
        raise failure


def _put_template(target: Target) -> str:
    if target.client_put_cmd:
        return target.client_put_cmd
    if not target.embedded:
        pytest.skip("testing an initiator's put needs client_put_cmd (--client-put-cmd)")
    return (
        f"{sys.executable} -m reference eke put {{host}}:{{port}} {{file}} --as {{name}} "
        "--user {user} --password-file {password_file} --quiet "
        "--connect-timeout 5 --handshake-timeout 5"
    )


@pytest.mark.slow
@pytest.mark.req("FRM-4", "ERR-3")
def test_client_put_acts_on_the_record_that_came_with_eke4(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The mirror on a put: EKE4 and a record holding EROR internal in one write; the suite
    then accepts the put offered after it (records sealed from sequence number 0 again) and
    answers its DONE with the receipt. The put must be reported failed (non-zero exit)."""
    template = _put_template(eke_target)
    user, password = client_user(eke_target), fresh_password()
    secret = tmp_path / f"secret-{secrets.token_hex(3)}"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_text(password, encoding="utf-8")
    source = tmp_path / "outgoing.bin"
    source.write_bytes(CONTENT)
    name = f"put-{secrets.token_hex(4)}.bin"
    pw = eke_pw(user, password)
    seen: dict[str, str] = {}

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        raw.send_frame(b"EKE2", server.on_eke1(event.json() or {}))
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        try:
            eke4 = server.on_eke3(event.json() or {})
        except eke.EkeError:
            return
        assert server.keys is not None
        sender, receiver = server.record_layer()
        channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
        first, unused = server.record_layer()
        eror_channel = EkeChannel(raw, server.keys, first, unused, role="server")
        eror = eror_channel.seal(frame_bytes("EROR", error_payload("internal", "suite: ending")))
        raw.send_raw(frame_bytes("EKE4", control(eke4)) + eror)
        seen["sent"] = "EKE4 + EROR record"
        offer = read_inner(channel, view, _TIMEOUT)
        if not isinstance(offer, ReceivedFrame) or offer.type != b"PUTF":
            return
        seen["request"] = offer.describe(80)
        received = hashlib.sha256()
        count = 0
        with contextlib.suppress(OSError):  # a conforming client may be gone already
            channel.send_frame("RSFL", {"accept": True, "name": name})
            for _ in range(64):  # bounded: the 2 KiB file comes in a frame or a few
                event = channel.recv_frame(deadline_after(_TIMEOUT))
                if not isinstance(event, ReceivedFrame):
                    return
                if event.type == b"DATA":
                    received.update(event.payload)
                    count += len(event.payload)
                    continue
                if event.type == b"DONE":
                    channel.send_frame("DONE", {"size": count, "sha256": received.hexdigest()})
                    seen["answered"] = "RSFL{accept} and the receipt DONE after the EROR"
                    read_inner(channel, view, _TIMEOUT)  # its BYE_ or its close
                return

    with HostileEkeServer(behaviour, timeout=_TIMEOUT, accept_timeout=6 * _TIMEOUT) as server:
        launch = client_launch(
            template,
            {
                "host": server.host,
                "port": str(server.port),
                "file": str(source),
                "name": name,
                "user": user,
                "password_file": str(password_file),
            },
            stdin_template=eke_target.client_stdin if eke_target.client_put_cmd else None,
            success="exit",
        )
        run = run_client(launch, timeout=6 * _TIMEOUT)
    if server.view.transcript is not None:
        transcripts.add(server.view.transcript)
    if "sent" not in seen:
        raise RuntimeError(f"the client never completed the login: {run.describe()}")
    if run.succeeded:
        failure = ConformanceFailure.evidence(
            "FRM-4/ERR-3: EKE4 and a record holding EROR internal (fatal) in one write; the "
            "suite then accepted the client's put and answered its DONE with the receipt",
            "the put is reported failed (non-zero exit): the EROR comes first in the stream",
            f"client {run.describe()}; its offer: {seen.get('request', 'none')}; "
            f"{seen.get('answered', '')}",
        )
        failure.violates = ("FRM-4", "ERR-3")
        raise failure
