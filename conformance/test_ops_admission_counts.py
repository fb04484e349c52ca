"""The slot counts of a long-running responder stay true over time (LIM-4, LIM-8, LIM-9).

test_lockout.py checks each limit once, from a fresh state. A responder that runs for
days meets the same limits after other events changed its counters; three shortcuts
pass the fresh checks and fail there:

* a count that restarts: the per-address count of pending connections dropped whole
  ("the address has a live session now") when one handshake of that address completes,
  instead of lowered by one — an address interleaving one honest login holds any number
  of silent sockets [LIM-8]; the count of open connections rebuilt by a periodic job (a
  CRL refresh that re-creates the server's state) — after it the limit is exceeded
  [LIM-4];
* effects before the check: a full responder that makes room (forgets its oldest pending
  connection, LIM-9) before it looks at the newcomer's address, which the per-address
  cap then refuses: the oldest client loses its slot, and its handshake is closed once
  it completes, for a connection that was never admitted [LIM-9].

Both profiles; the cases need a target on loopback and its declared per-address cap
(`[limits] max_pending_per_address`).
"""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import pytest

from conformance import eke
from conformance._wire_fixtures import TranscriptBook, suite_identity
from conformance.channel import Channel
from conformance.eke_channel import EkeChannel, client_handshake, password_key_cached
from conformance.eke_support import sources_for
from conformance.pki_channel import PkiChannel, client_context
from conformance.target import Target
from conformance.test_lockout import (
    _attempts,
    _fresh,
    _honest_get,
    _limits,
    _refused_probe,
    _served,
    _silent,
    _small_file,
    _still_served,
    _wait_refused,
)
from conformance.wire import ConformanceFailure, RawConnection

__all__: list[str] = []

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")

_PROMPT = 1.0  # seconds within which a refusal over the per-address cap must come
_HOLD_DEFAULT = 2.5  # seconds the full responder is kept full before the probe
_MAX_HOLD = 8.0


def _per_address(target: Target) -> int:
    per_address, total = _limits(target)
    if per_address is None:
        pytest.skip("needs the target's declared [limits] max_pending_per_address")
    if per_address + 2 > total:
        pytest.skip(f"max_pending_per_address {per_address} + 2 exceeds max_connections {total}")
    return per_address


@pytest.mark.req("LIM-8")
def test_a_completed_handshake_lowers_its_address_count_by_one(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """From one address: cap−1 silent connections, one honest handshake (completed), then
    two silent connections more: the first is the cap-th pending one (accepted), the
    second is over the cap and must be refused promptly."""
    per_address = _per_address(target)
    source = _fresh(sources_for(target), 1)[0]
    with _silent(target, [source] * (per_address - 1), transcripts) as held:
        honest = _honest_get(target, source, tmp_path, transcripts, "the honest login")
        try:
            with _silent(target, [source] * 2, transcripts) as more:
                refused = _wait_refused(more[1:], time.monotonic() + _PROMPT)
                if not refused and _wait_refused(held + more[:1], 0.0):
                    pytest.skip(
                        "INCONCLUSIVE: some of the address's silent connections ended "
                        "(the handshake timeout?) before the probe could be judged"
                    )
                if not refused:
                    raise ConformanceFailure(
                        f"LIM-8: from one address {source}: {per_address - 1} silent "
                        f"connections, then an honest login (completed, served), then two "
                        "silent connections more\n"
                        f"Expected: the last one refused within {_PROMPT:g} s (close or "
                        f"EROR busy): {per_address} connections of that address are in "
                        f"their handshake, the cap {per_address}\n"
                        "Actual:   still open: the completed login dropped the address's "
                        "whole count of pending connections instead of lowering it by one",
                        violates=("LIM-8",),
                    )
        finally:
            honest.close()


def _victim_handshake(target: Target, victim: RawConnection, workdir: Path) -> Channel:
    """Completes an honest handshake on the already open (silent) connection `victim`."""
    timeout = max(3.0, target.limits.handshake_timeout * 2)
    if target.profile == "eke":
        if not target.accounts:
            pytest.skip("needs an eke account (give --user and --password-file)")
        account = target.accounts[0]
        client = eke.ClientHandshake(
            user=account.user, pw=password_key_cached(account.password, account.user)
        )
        result = client_handshake(victim, client, timeout, eke1=client.eke1())
        if not result.ok or client.keys is None:
            raise ConformanceFailure(result.describe())
        sender, receiver = client.record_layer()
        return EkeChannel(victim, client.keys, sender, receiver, role="client")
    if target.root is None:
        pytest.skip("pki needs --root")
    cert, key = suite_identity(target, workdir)
    victim.sock.settimeout(timeout)
    try:
        tls = client_context(target.root, cert, key).wrap_socket(
            victim.sock, server_side=False, suppress_ragged_eofs=False
        )
    except (ssl.SSLError, OSError) as exc:
        raise ConformanceFailure(f"TLS handshake failed: {exc}") from None
    return PkiChannel(tls, name="the oldest pending client", timeout=timeout,
                      transcript=victim.transcript)  # fmt: skip


@pytest.mark.req("LIM-9", "LIM-8")
def test_a_newcomer_refused_for_its_address_closes_nobody(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """Every slot pending: the oldest from address V, the cap from address A, the rest
    from others. One more from A is refused (its address's cap); V's connection, which
    nobody was admitted for, then completes its handshake and is served."""
    per_address = _per_address(target)
    _, total = _limits(target)
    file = _small_file(target)
    addresses = _fresh(sources_for(target), 2 + total)
    victim_source, flooder = addresses[0], addresses[1]
    others = addresses[2 : 2 + total - 1 - per_address]
    with (
        _silent(target, [victim_source], transcripts) as victim,
        _silent(target, [flooder] * per_address, transcripts) as flood,
        _silent(target, others, transcripts) as rest,
        _silent(target, [flooder], transcripts) as newcomer,
    ):
        refused = _wait_refused(newcomer, time.monotonic() + _PROMPT)
        ended = _wait_refused(victim + flood + rest, 0.0)
        if not refused or ended:
            # Not the situation under test (another cap, or an eviction LIM-9 allows):
            # test_lockout.py judges those.
            pytest.skip(
                "the newcomer over its address's cap was not refused, or another "
                f"connection ended meanwhile ({refused or ended}): not the situation judged"
            )
        started = time.monotonic()
        try:
            channel = _victim_handshake(target, victim[0], tmp_path)
            _served(channel, file, "the oldest pending client")
        except (ConformanceFailure, OSError) as exc:
            if time.monotonic() - started > target.limits.handshake_timeout:
                pytest.skip(
                    "INCONCLUSIVE: the oldest client's own handshake outlasted the "
                    f"handshake timeout ({exc})"
                )
            raise ConformanceFailure(
                f"LIM-9: all {total} slots held by connections in their handshake (the "
                f"oldest from {victim_source}, {per_address} from {flooder} — its cap — "
                f"and {len(others)} from other addresses); one more from {flooder} was "
                f"refused ({refused[0]}); then the oldest, untouched, ran its handshake\n"
                "Expected: its handshake completes and it is served: the refused newcomer "
                "was admitted nowhere, so no slot had to be made for it\n"
                f"Actual:   {type(exc).__name__}: {exc}\n"
                "A responder that frees the oldest slot before it judges the newcomer's "
                "address closes a client for a connection it then refuses",
                violates=("LIM-9",),
            ) from None


def _hold(target: Target) -> float:
    if target.profile == "pki" and target.has("crl"):
        hold = max(_HOLD_DEFAULT, 1.5 * target.limits.crl_refresh + 0.5)
    else:
        hold = _HOLD_DEFAULT
    if hold > _MAX_HOLD:
        pytest.skip(f"the CRL refresh interval makes the hold {hold:g} s (at most {_MAX_HOLD:g})")
    return hold


@pytest.mark.req("LIM-4")
def test_the_connection_limit_holds_after_the_responder_ran_a_while(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """`max_connections` established connections, kept served (not idle) for a while —
    past the responder's CRL refresh where it declares one —; then one more is refused."""
    _, total = _limits(target)
    sources = sources_for(target)
    file = _small_file(target)
    hold = _hold(target)
    idle = target.limits.idle_timeout

    def case() -> None:
        addresses = _fresh(sources, total + 1)
        held: list[Channel] = []
        served_at: list[float] = []
        try:
            for index, source in enumerate(addresses[:total]):
                for number, channel in enumerate(held):
                    if time.monotonic() - served_at[number] > idle / 3:
                        _still_served(channel, file, served_at[number], target, f"#{number + 1}")
                        served_at[number] = time.monotonic()
                held.append(_honest_get(target, source, tmp_path, transcripts, f"#{index + 1}"))
                served_at.append(time.monotonic())
            until = time.monotonic() + hold
            # Kept busy for `hold` seconds: each held connection is served again every
            # third of the idle timeout, so none ends for idleness (LIM-2).
            while time.monotonic() < until:
                for number, channel in enumerate(held):
                    if time.monotonic() - served_at[number] > idle / 3:
                        _still_served(channel, file, served_at[number], target, f"#{number + 1}")
                        served_at[number] = time.monotonic()
                time.sleep(min(0.1, idle / 10))  # a pace for the loop above, bounded by hold
            for number, channel in enumerate(held):
                _still_served(channel, file, served_at[number], target, f"#{number + 1}")
            refusal = _refused_probe(target, addresses[total], tmp_path, transcripts)
            if refusal is None:
                raise ConformanceFailure(
                    f"LIM-4: {total} established connections (max_connections {total}), all "
                    f"served throughout {hold:g} s"
                    + (
                        f" (past the declared CRL refresh of {target.limits.crl_refresh:g} s)"
                        if target.profile == "pki" and target.has("crl")
                        else ""
                    )
                    + f"; then connection {total + 1} completed its handshake and a get\n"
                    "Expected: refused (busy or a close): the limit holds whatever ran in "
                    "between; a count of open connections that restarts lets it be exceeded",
                    violates=("LIM-4",),
                )
        finally:
            for channel in held:
                channel.close()

    _attempts(case, "LIM-4 after a while")
