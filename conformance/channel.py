"""The interface of a secure channel as the conformance tests use it.

Two implementations: `conformance.pki_channel` (TLS 1.3, sft-pki/1) and
`conformance.eke_channel` (EKE handshake + AES-GCM records, sft-eke/1). An application
test is written once against `Channel` and runs over both profiles.

Conventions every implementation follows:

* `send_frame(type, payload)` seals one application frame (§3) and sends it;
  `send_raw(data)` sends bytes *inside* the channel exactly as given — for TLS they are
  written to the TLS stream, for EKE they become the plaintext of one record — so a
  test can deliver a malformed or partial frame through a valid channel.
* `recv_frame(deadline)` returns the next application frame as a `ReceivedFrame`, a
  `Closed` (EOF, reset, TLS alert, or a record that failed to authenticate), or a
  `TimedOut` at `deadline` (absolute, on the `time.monotonic()` clock; None: the
  channel's default `timeout` from now). It never raises for what the target does.
* `expect(one_of, timeout)` reads the next event and judges it against acceptable
  reactions; implementations delegate to `conformance.wire.expect_on`, so every channel
  judges identically (a fatal `EROR` must be followed by a close [ERR-3]).
* `transcript` records every application frame sent and received with timestamps (and
  the key log where the suite holds the keys).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from conformance.wire import Event, Expectation, Outcome, Transcript

__all__ = ["Channel"]


@runtime_checkable
class Channel(Protocol):
    """An established secure channel to a target (or from a client under test)."""

    timeout: float
    transcript: Transcript

    def send_frame(self, frame_type: bytes | str, payload: bytes | Mapping[str, Any] = b"") -> bool:
        """Sends one frame (a mapping payload is JSON-encoded); False if the peer is gone."""
        ...

    def send_raw(self, data: bytes) -> bool:
        """Sends bytes inside the channel exactly as given; False if the peer is gone."""
        ...

    def recv_frame(self, deadline: float | None = None) -> Event:
        """The next frame, `Closed` or `TimedOut`; never raises for the target's behaviour."""
        ...

    def expect(
        self,
        one_of: Sequence[Expectation] | Expectation,
        timeout: float | None = None,
        *,
        skip: Sequence[bytes | str] = (),
    ) -> Outcome:
        """Reads the next event and judges it against the acceptable reactions."""
        ...

    def close(self) -> None:
        """Ends the channel (TLS close_notify / socket close); idempotent."""
        ...
