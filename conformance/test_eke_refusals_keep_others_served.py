"""EKE-THR-2: refusing a login (throttled, busy) leaves every other login as it was.

docs/SPEC.md EKE-THR-2: "Throttling MUST NOT stop other addresses' honest clients of
other users from completing handshakes." The cases that judge it elsewhere make failures
and then log in honestly; they never send the refused `EKE1` itself. But the refusal is a
path of its own through the server, and what it holds it must give back on that path too:
a lock taken with `acquire()` and an early `return` once the user name is found locked
("no need to read the address"), a pending reservation taken before the throttle says no,
a per-connection mutex held while the `EROR` is written. Such a server answers every
honest login until the first refused `EKE1` — then none (or none after the refused client
goes quiet).

So, for each way a login is refused — a user name locked by its failures, an address
locked by its failures (EKE-THR-1), a user name and an address at their pending caps
(EKE-THR-7, when declared) — the case makes the refusal happen (the refused `EKE1` is
sent and its answer read, whatever it is: that answer is judged elsewhere), and then an
honest client of another user from another address must complete its handshake (and the
target close after its `BYE_`), with the refused connection and the held handshakes still
open. Failures are made with fresh loopback addresses and unknown user names only.
"""

from __future__ import annotations

import contextlib

import pytest

from conformance.eke_channel import EkeChannel
from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    fail_handshake,
    ghost_user,
    start_handshake,
)
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

_KINDS = ("user-locked", "address-locked", "user-busy", "address-busy")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


def _held(target: Target, user: str, source: str | None, timeout: float) -> PartialHandshake:
    """A handshake left pending after its EKE2 (no EKE3)."""
    hs = start_handshake(target, user, bytes(32), source=source, timeout=timeout)
    event = hs.receive_eke2(timeout)
    if hs.eke2 is None:
        hs.close()
        pytest.skip(f"could not hold a pending handshake to set up the refusal: {event.describe()}")
    return hs


def _set_up(
    target: Target, sources: SourceAddresses, kind: str, timeout: float
) -> tuple[str, str | None, list[PartialHandshake], str]:
    """Makes the refusal due; returns the refused EKE1's user and address, the handshakes
    held open, and what was done (for the report)."""
    held: list[PartialHandshake] = []
    if kind in ("user-locked", "address-locked"):
        n = target.limits.throttle_failures
        user, address = ghost_user(), sources.fresh()
        for _ in range(n):
            refused = fail_handshake(
                target,
                user if kind == "user-locked" else ghost_user(),
                sources.fresh() if kind == "user-locked" else address,
                timeout=timeout,
            )
            if refused is not None:
                pytest.skip(f"a failure to be made was refused: {refused.describe()}")
        probe_user = user if kind == "user-locked" else ghost_user()
        probe_address = sources.fresh() if kind == "user-locked" else address
        what = (
            f"{n} failed handshakes of the unknown user name {user!r} from {n} addresses"
            if kind == "user-locked"
            else f"{n} failed handshakes of {n} unknown user names from {address}"
        )
        return probe_user, probe_address, held, what
    cap = (
        target.limits.pending_logins_per_user
        if kind == "user-busy"
        else target.limits.pending_logins_per_address
    )
    if cap is None:
        pytest.skip("the target declares no pending-login caps (EKE-THR-7)")
    if cap + 2 > target.limits.max_connections:
        pytest.skip("the pending cap leaves no connection slot for the probes (LIM-4)")
    user, address = ghost_user(), sources.fresh()
    try:
        for _ in range(cap):
            held.append(
                _held(
                    target,
                    user if kind == "user-busy" else ghost_user(),
                    sources.fresh() if kind == "user-busy" else address,
                    timeout,
                )
            )
    except BaseException:
        for hs in held:
            hs.close()
        raise
    probe_user = user if kind == "user-busy" else ghost_user()
    probe_address = sources.fresh() if kind == "user-busy" else address
    what = (
        f"{cap} handshakes of the unknown user name {user!r} held after EKE2, from {cap} "
        "addresses"
        if kind == "user-busy"
        else f"{cap} handshakes of {cap} unknown user names held after EKE2, from {address}"
    )
    return probe_user, probe_address, held, what


@pytest.mark.req("EKE-THR-2")
@pytest.mark.parametrize("kind", _KINDS)
def test_a_refused_login_leaves_other_logins_served(
    eke_target: Target, eke_sources: SourceAddresses, kind: str
) -> None:
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    if not eke_target.accounts:
        pytest.skip("needs an eke account")
    timeout = _timeout(eke_target)
    probe_user, probe_address, held, what = _set_up(eke_target, eke_sources, kind, timeout)
    probe: PartialHandshake | None = None
    try:
        probe = start_handshake(
            eke_target, probe_user, bytes(32), source=probe_address, timeout=timeout
        )
        answer = probe.receive_eke2(timeout)
        if isinstance(answer, ReceivedFrame) and answer.type == b"EKE2":
            # Not refused (a lock already over, a target that refuses later): nothing of
            # the refusal path ran; the honest login below is still judged.
            probe.close()
            probe = None
        honest = eke_target.accounts[0]
        source = eke_sources.fresh()
        try:
            channel = EkeChannel.connect(
                eke_target.host,
                eke_target.port,
                honest.user,
                honest.password,
                timeout=timeout,
                source=source,
            )
        except ConformanceFailure as exc:
            raise ConformanceFailure.evidence(
                f"{what}; then an EKE1 of {probe_user!r} from {probe_address} (answered: "
                f"{answer.describe()}), its connection left open"
                + (f", with the {len(held)} handshakes still held" if held else ""),
                f"the honest login of {honest.user!r} from {source}, another user name and "
                "another address, completes (EKE-THR-2: throttling MUST NOT stop other "
                "addresses' honest clients of other users)",
                f"{str(exc).splitlines()[0] if str(exc) else exc!r}",
                "The refusal is a path of its own: what it takes (a lock, a reservation) "
                "must be given back on it too.",
            ) from None
        try:
            channel.settle()
        finally:
            channel.close()
    finally:
        if probe is not None:
            probe.close()
        for hs in held:
            with contextlib.suppress(OSError):
                hs.close()
