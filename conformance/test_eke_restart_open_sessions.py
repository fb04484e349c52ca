"""sft-eke/1: what a restart says to the sessions it ends is a record too (docs/SPEC.md
EKE-REC-4, EKE-REC-5).

EKE-REC-4: "nothing is sent in clear after the handshake: the EROR of a timeout ... or of
any fatal error after EKE4, a closing BYE_, whatever ends the connection, is a record
too." A server that stops or restarts while sessions are open may close them, or tell
them why first; the record layer belongs to each connection's own thread, so a first
draft writes its "server restarting" notice from the stopping thread straight onto the
sockets — an `EROR` (or `BYE_`) in clear after EKE4, which tells every eavesdropper which
sessions were open and when the server restarted, and which no client can authenticate.

Two honest sessions are open when the declared restart (`[eke] restart_cmd`) runs: one
idle since its login, one idle after a get it was answered. Afterwards everything each
receives until its close (or a bounded wait: a server that keeps its sessions across a
restart is not judged here) must be records that authenticate; a clear frame fails. The
server is then probed until it serves again. Without a restart command the case SKIPs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name
from conformance.eke_channel import EkeChannel
from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.test_eke_restart import restart_until_serving
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    deadline_after,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

_AFTER_RESTART = 10.0  # seconds each session is read after the restart command returned


@pytest.mark.req("EKE-REC-4", "EKE-REC-5")
def test_restart_ends_open_sessions_without_clear_frames(
    eke_target: Target,
    eke_channel_factory: Callable[..., EkeChannel],
    eke_sources: SourceAddresses,
) -> None:
    if eke_target.restart_cmd is None:
        pytest.skip("the target declares no restart command (`[eke] restart_cmd`)")
    idle = eke_channel_factory()
    served = eke_channel_factory()
    served.send_frame("RQFL", {"name": fresh_name()})
    served.expect([ExpectError(), ExpectFrame("RSFL")]).check("a get before the restart")
    restart_until_serving(eke_target, eke_sources)
    for label, channel in (("idle since its login", idle), ("after a get", served)):
        deadline = deadline_after(_AFTER_RESTART)
        frames = 0
        while frames < 64:  # bounded: a get's DATA at most, then the end
            event = channel.recv_frame(deadline)
            if not isinstance(event, ReceivedFrame):
                break
            frames += 1
        if channel.violations:
            raise ConformanceFailure.evidence(
                f"EKE-REC-4: an honest session ({label}) was open when the server restarted",
                "records only (an EROR or BYE_ sealed like any other), then the close",
                "; ".join(channel.violations)
                + f"\nTranscript:\n{channel.transcript.tail()}",
            )
