"""Lock-out by silent clients (docs/SPEC.md §6: LIM-8, LIM-9), both profiles.

A TCP connection that never starts (or never finishes) its handshake costs its sender
nothing — no certificate, no password — yet takes a connection slot for the whole
handshake timeout. A responder whose only defence is `max_connections` plus that
timeout can be locked by anyone holding a few dozen silent sockets. The cases hold such
sockets and show that an honest client still gets in and is served:

* from ONE source address, beyond the per-address cap the target declares
  (`[limits] max_pending_per_address`): exactly that many are held, the next ones are
  refused promptly (close, or `EROR busy`), others still get in, and once the held ones
  close that address gets in again [LIM-8]. A target that declares no cap is judged on
  the SPEC's default (8, kept below `max_connections`) as an upper bound only: any
  smaller cap passes, no cap at all FAILs;
* from as many source addresses as `max_connections` (one silent socket each): a new
  honest client still completes its handshake and is served, and a connection that was
  established before the flood keeps being served [LIM-9].

Source addresses are 127.x.y.z (any of them reaches a server on 127.0.0.1), so the cases
need a target on loopback.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, known_file, suite_identity
from conformance.channel import Channel
from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import SourceAddresses, sources_for, start_handshake
from conformance.pki_channel import PkiChannel, client_context
from conformance.plugin import inconclusive
from conformance.target import KnownFile, Target
from conformance.wire import (
    ConformanceFailure,
    ExpectFrame,
    RawConnection,
    ReceivedFrame,
    Transcript,
    deadline_after,
)

_MAX_HELD = 72  # the most sockets a case holds (the probe that found the lock-out used 72)
_SPEC_PER_ADDRESS = 8  # LIM-8's default per-address cap


def _limits(target: Target) -> tuple[int | None, int]:
    """(the declared per-address cap or None, max_connections); SKIP where unusable."""
    per_address = target.limits.max_pending_per_address
    total = target.limits.max_connections
    if total + 2 > _MAX_HELD or (per_address or 0) + 2 > _MAX_HELD:
        pytest.skip(f"max_connections {total} is too many sockets to hold here")
    if not target.host.startswith("127."):
        pytest.skip("needs a target on loopback (the cases connect from several 127.x.y.z)")
    return per_address, total


def _small_file(target: Target) -> KnownFile:
    known_file(target)  # skips without one
    candidates = [f for f in target.files if f.size > 0]
    return min(candidates, key=lambda f: f.size)


@contextlib.contextmanager
def _silent(
    target: Target, sources: list[str], transcripts: TranscriptBook
) -> Iterator[list[RawConnection]]:
    """One silent TCP connection from each of `sources`, closed at the end."""
    held: list[RawConnection] = []
    try:
        for index, source in enumerate(sources):
            sock = socket.create_connection(target.address, timeout=3.0, source_address=(source, 0))
            conn = RawConnection(sock, name=f"silent #{index + 1} from {source}", timeout=3.0)
            conn.transcript.add("event", note=f"connected from {source}; sends nothing")
            transcripts.add(conn)
            held.append(conn)
        yield held
    finally:
        for conn in held:
            conn.close()


def _ended(conn: RawConnection) -> str | None:
    """What the target did on `conn` so far without blocking: None (nothing), else how it
    ended or answered (bytes, a close, a reset)."""
    try:
        readable, _, _ = select.select([conn.sock], [], [], 0)
        if not readable:
            return None
        data = conn.sock.recv(4096, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return None
    except OSError as exc:
        conn.transcript.add("event", note=f"reset: {exc}")
        return f"reset ({type(exc).__name__})"
    if not data:
        conn.transcript.add("event", note="closed by the target")
        return "closed"
    conn.transcript.add("recv", data, "answered (a busy refusal is an EROR busy)")
    return f"answered {len(data)} bytes ({data[:24]!r})"


def _wait_refused(conns: list[RawConnection], deadline: float) -> dict[int, str]:
    """Waits (select, bounded by `deadline`) until every connection has been refused."""
    seen: dict[int, str] = {}
    while True:
        for index, conn in enumerate(conns):
            if index not in seen and (what := _ended(conn)) is not None:
                seen[index] = what
        remaining = deadline - time.monotonic()
        if len(seen) == len(conns) or remaining <= 0:
            return seen
        waiting = [c.sock for i, c in enumerate(conns) if i not in seen]
        select.select(waiting, [], [], remaining)


def _honest_channel(target: Target, source: str, workdir: Path) -> Channel:
    """An honest, authenticated channel from `source`; ConformanceFailure if refused."""
    timeout = max(3.0, target.limits.handshake_timeout * 2)
    if target.profile == "eke":
        if not target.accounts:
            pytest.skip("needs an eke account (give --user and --password-file)")
        account = target.accounts[0]
        return EkeChannel.connect(
            target.host, target.port, account.user, account.password,
            timeout=timeout, source=source,
        )  # fmt: skip
    if target.root is None:
        pytest.skip("pki needs --root")
    cert, key = suite_identity(target, workdir)
    transcript = Transcript(name=f"honest pki client from {source}")
    raw = socket.create_connection(target.address, timeout=timeout, source_address=(source, 0))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transcript.add("event", note=f"connected to {target.host}:{target.port} from {source}")
    try:
        tls = client_context(target.root, cert, key).wrap_socket(
            raw, server_side=False, suppress_ragged_eofs=False
        )
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        raise ConformanceFailure(f"TLS handshake from {source} failed: {exc}") from None
    return PkiChannel(tls, name=transcript.name, timeout=timeout, transcript=transcript)


def _served(channel: Channel, file: KnownFile, what: str) -> None:
    """One get of `file` over `channel`: the channel is really served, not just accepted."""
    channel.send_frame("RQFL", {"name": file.name})
    channel.expect([ExpectFrame("RSFL", {"name": file.name})]).check(f"{what}: RQFL {file.name!r}")
    channel.expect([ExpectFrame("DONE", {"sha256": file.sha256})], skip=["DATA"]).check(
        f"{what}: the get of {file.name!r} did not complete"
    )


def _honest_get(
    target: Target,
    source: str,
    workdir: Path,
    transcripts: TranscriptBook,
    what: str,
    *,
    settle: float = 0.0,
) -> Channel:
    """`settle`: for so many seconds a refused honest client tries again (0: once) — a
    responder may free a slot just after the close that told us it ended."""
    file = _small_file(target)
    until = time.monotonic() + settle
    while True:
        try:
            channel = _honest_channel(target, source, workdir)
            break
        except ConformanceFailure as exc:
            if time.monotonic() < until:
                continue
            raise ConformanceFailure(
                f"{what}: an honest client from {source} was kept out"
                + (f" (tried for {settle:g} s)" if settle else "")
                + f"\n{exc}"
            ) from None
    transcripts.add(channel)
    _served(channel, file, what)
    return channel


def _fresh(sources: SourceAddresses, count: int) -> list[str]:
    addresses = [sources.fresh() for _ in range(count)]
    return [a for a in addresses if a is not None]


class _Inconclusive(Exception):
    """The run was too slow to tell (an idle timeout may rightly have ended a connection)."""


_ATTEMPTS = 3  # a slow run is repeated (bounded), never judged


def _attempts(case: Callable[[], None], what: str) -> None:
    for _ in range(_ATTEMPTS):
        try:
            case()
            return
        except _Inconclusive:
            continue
    pytest.skip(f"INCONCLUSIVE: {what}: each of {_ATTEMPTS} runs was slower than the idle timeout")


def _still_served(
    channel: Channel, file: KnownFile, since: float, target: Target, what: str
) -> None:
    """`channel` is still served; a failure after more than most of the idle timeout is
    inconclusive (the target may rightly have closed an idle connection)."""
    idle = time.monotonic() - since
    try:
        _served(channel, file, what)
    except ConformanceFailure:
        if idle > target.limits.idle_timeout * 0.7:
            raise _Inconclusive() from None
        raise


@pytest.mark.req("LIM-8")
def test_one_address_holds_its_share_of_slots_only(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """`max_connections + 2` silent sockets from one address: exactly the per-address cap
    of them are held, every one beyond it is refused promptly, another address is served
    meanwhile, and the flooding address gets in again once its sockets close.

    Undeclared cap: the SPEC default (8, or `max_connections - 1` if smaller) is the most
    one address may hold; `bound + 2` silent sockets, every one beyond the bound must be
    refused promptly, and the ones within it may be refused too (a smaller cap is not
    declared, so not judged)."""
    declared, total = _limits(target)
    sources = sources_for(target)
    if declared is None:
        per_address = min(_SPEC_PER_ADDRESS, total - 1)
        if per_address < 1:
            pytest.skip(f"max_connections {total} leaves no room for a per-address cap")
        count = per_address + 2
        cap = (
            f"no declared per-address cap: the SPEC default {_SPEC_PER_ADDRESS}, below "
            f"max_connections {total}, bounds it at {per_address}; a target configured "
            "otherwise declares [limits] max_pending_per_address"
        )
    else:
        per_address = declared
        count = max(total, per_address) + 2
        cap = f"declared per-address cap {per_address}"
    # Prompt: well before the handshake timeout would end them anyway (counted from the
    # first connect, as the target counts from its accept).
    window = max(0.2, min(0.8 * target.limits.handshake_timeout, 2.0))

    def case() -> None:
        flooder, other = _fresh(sources, 2)
        opened = time.monotonic()
        with _silent(target, [flooder] * count, transcripts) as held:
            refused = _wait_refused(held[per_address:], opened + window)
            early = {i: _ended(c) for i, c in enumerate(held[:per_address])}
            slow = time.monotonic() - opened > window
            kept_out = [i + per_address for i in range(count - per_address) if i not in refused]
            dropped = {i: what for i, what in early.items() if what is not None}
            started = time.monotonic()
            channel = _honest_get(
                target, other, tmp_path, transcripts,
                f"LIM-8: while {per_address} silent connections from {flooder} were held",
            )  # fmt: skip
            channel.close()
            if kept_out:
                if time.monotonic() - started > window / 2:
                    raise _Inconclusive()  # the target answers slowly: too slow to tell
                raise ConformanceFailure(
                    f"LIM-8: {count} silent connections from {flooder} ({cap}): connection(s) "
                    f"#{', #'.join(str(i + 1) for i in kept_out)} beyond the cap were neither "
                    f"closed nor answered `busy` within {window:.2f} s — held open, they take "
                    "the slots every other client needs"
                )
            if declared is None:
                dropped = {}  # a smaller cap than the SPEC default: not declared, not judged
            if dropped and slow:
                raise _Inconclusive()  # their handshake timeout may rightly have ended them
            if dropped:
                raise ConformanceFailure(
                    f"LIM-8: the first {per_address} silent connections from {flooder} are "
                    "within the declared cap, yet the target ended "
                    + ", ".join(f"#{i + 1} ({what})" for i, what in dropped.items())
                    + f" within {window:.2f} s (the handshake timeout is "
                    f"{target.limits.handshake_timeout:g} s)"
                )
        # The flood's sockets are closed: the address's count must come down again (the
        # target notices the closes asynchronously: a few tries, bounded in time).
        deadline = deadline_after(max(2.0, target.limits.handshake_timeout * 2))
        last = ""
        for _ in range(20):
            try:
                channel = _honest_get(target, flooder, tmp_path, transcripts, "LIM-8")
            except ConformanceFailure as exc:
                last = str(exc)
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.1)  # a retry pace, not synchronisation: the loop is bounded
                continue
            channel.close()
            return
        raise ConformanceFailure(
            f"LIM-8: after its {count} silent connections were closed, {flooder} was still "
            "refused (a per-address count that never comes down locks the address out):\n" + last
        )

    _attempts(case, "LIM-8")


@pytest.mark.req("LIM-9")
def test_silent_sockets_from_many_addresses_do_not_lock_out(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """A connection established (and served once) first; then `max_connections` silent
    sockets from as many addresses; a new honest client must still complete its
    handshake and be served, and the established connection must still be served."""
    _, total = _limits(target)
    sources = sources_for(target)
    file = _small_file(target)

    def case() -> None:
        addresses = _fresh(sources, total + 2)
        established_from, honest_from, flood = addresses[0], addresses[1], addresses[2:]
        established = _honest_get(
            target, established_from, tmp_path, transcripts, "LIM-9: before the flood"
        )
        since = time.monotonic()
        try:
            with _silent(target, flood, transcripts):
                newcomer = _honest_get(
                    target, honest_from, tmp_path, transcripts,
                    f"LIM-9: while {len(flood)} silent connections from {len(flood)} "
                    f"addresses were held (max_connections {total})",
                )  # fmt: skip
                newcomer.close()
                # The newcomer was admitted after every silent socket (one accept queue):
                # whatever the flood evicted, it has evicted by now.
                _still_served(
                    established,
                    file,
                    since,
                    target,
                    f"LIM-9: a connection from {established_from}, established and served "
                    f"before {len(flood)} silent connections arrived, was no longer served "
                    "(established connections must never make room for pending ones)",
                )
        finally:
            established.close()

    _attempts(case, "LIM-9")


def _refused_probe(
    target: Target, source: str, workdir: Path, transcripts: TranscriptBook
) -> str | None:
    """One more honest client from `source`: how it was refused, or None if it was served
    (a handshake and a get that complete: a positive signal, no time window to judge)."""
    try:
        _honest_get(target, source, workdir, transcripts, "one connection more").close()
    except ConformanceFailure as exc:
        return str(exc)
    return None


@pytest.mark.req("LIM-4")
def test_established_connections_fill_the_limit_then_busy(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """`max_connections` established (and served) connections: one more is refused
    (busy or a close), and once one of them ends a new one is served. Pending
    connections may make room for new ones (LIM-9); established ones never do."""
    _, total = _limits(target)
    sources = sources_for(target)
    file = _small_file(target)

    def case() -> None:
        addresses = _fresh(sources, total + 2)
        held: list[Channel] = []
        served_at: list[float] = []  # when each held connection was last served
        try:
            for index, source in enumerate(addresses[:total]):
                # A get on a held connection is what LIM-2 allows to keep it alive: on a
                # slow machine opening `total` connections outlasts a short idle timeout.
                for number, channel in enumerate(held):
                    if time.monotonic() - served_at[number] > target.limits.idle_timeout / 3:
                        what = f"connection {number + 1}"
                        _still_served(channel, file, served_at[number], target, what)
                        served_at[number] = time.monotonic()
                held.append(
                    _honest_get(target, source, tmp_path, transcripts, f"connection {index + 1}")
                )
                served_at.append(time.monotonic())
            # Each one served again just now: none is near its idle timeout at the probe.
            since = time.monotonic()
            for index, channel in enumerate(held):
                _still_served(channel, file, served_at[index], target, f"connection {index + 1}")
            refusal = _refused_probe(target, addresses[total], tmp_path, transcripts)
            if refusal is None:
                # Accepted: a violation only if all `total` others are still open. One of
                # them closed to make room keeps LIM-4's bound, but closes an established
                # connection for a new one, which LIM-9 forbids.
                for index, channel in enumerate(held):
                    try:
                        _still_served(channel, file, since, target, f"connection {index + 1}")
                    except ConformanceFailure as exc:
                        raise ConformanceFailure(
                            f"LIM-9: connection {total + 1} was admitted with {total} "
                            f"established connections open (max_connections {total}), and "
                            f"connection {index + 1}, served just before, was closed to make "
                            f"room for it (established connections are never closed for "
                            f"this):\n{exc}",
                            violates=("LIM-9",),
                        ) from None
                raise ConformanceFailure(
                    f"LIM-4: {total} established connections were open (max_connections "
                    f"{total}), yet connection {total + 1} completed its handshake and a get "
                    f"(and all {total} were still served after it)"
                )
            held.pop().close()
            deadline = deadline_after(max(2.0, target.limits.handshake_timeout * 2))
            last = ""
            for _ in range(20):
                try:
                    _honest_get(
                        target, addresses[total + 1], tmp_path, transcripts, "LIM-4"
                    ).close()
                    return
                except ConformanceFailure as exc:
                    last = str(exc)
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(0.1)  # a retry pace, not synchronisation: the loop is bounded
            raise ConformanceFailure(
                f"LIM-4: after one of {total} connections ended, no new one was served:\n{last}"
            )
        finally:
            for channel in held:
                channel.close()

    _attempts(case, "LIM-4")


@pytest.mark.req("LIM-1", "LIM-8")
def test_handshakes_that_timed_out_give_their_slots_back(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """LIM-1: a handshake that times out is closed *and its resources freed*. From one
    address, as many silent sockets as it may hold (LIM-8: the declared cap, else the
    SPEC default) are left to the handshake timeout; then an honest client from that
    same address must be served. A responder that frees a slot when the peer closes but
    not on its own timeout (an error path that skips the bookkeeping) locks the address
    out for good; the cases above close their silent sockets themselves and cannot tell."""
    declared, total = _limits(target)
    limit = target.limits.handshake_timeout
    if limit > 10.0:
        pytest.skip(f"waits out the handshake timeout ({limit} s): only with one of 10 s or less")
    count = declared if declared is not None else min(_SPEC_PER_ADDRESS, total - 1)
    if count < 1:
        pytest.skip(f"max_connections {total} leaves no room for a per-address cap")
    sources = _fresh(sources_for(target), 1)
    if not sources:
        pytest.skip("no fresh 127.x.y.z source address left")
    source = sources[0]
    with _silent(target, [source] * count, transcripts) as held:
        ended = _wait_refused(held, deadline_after(limit * 1.5 + 1.0))
    if len(ended) < len(held):
        raise ConformanceFailure(
            f"LIM-1: {len(held) - len(ended)} of {len(held)} silent connections from "
            f"{source} still open {limit * 1.5 + 1.0:.1f} s after connecting (handshake "
            f"timeout {limit} s)"
        )
    channel = _honest_get(
        target,
        source,
        tmp_path,
        transcripts,
        f"LIM-1/LIM-8: after {count} handshakes from {source} timed out (or were refused)",
        settle=1.0,
    )
    channel.close()


# --------------------------------------------------------------------------------------
# Lock-out by silent clients, continued (SPEC §6 LIM-9), sft-eke/1.
#
# The cases above show that an honest client gets in while `max_connections` silent
# sockets hold every slot. That passes for a responder that makes room by closing the
# NEWEST unfinished handshake too, yet such a responder keeps honest clients out of a
# flood that goes on: the honest client, admitted, is itself the newest unfinished
# handshake the moment the next silent socket arrives, and is closed before it can send
# EKE3. LIM-9 names the policy that keeps room for handshakes that complete: close the
# OLDEST unfinished one.
#
# Here: `max_connections` silent sockets (one per source address), then an honest client
# sends EKE1 and reads EKE2, then ONE more silent socket arrives, then the honest client
# sends EKE3: it must get EKE4. Of the unfinished connections, every silent one is older
# than the honest client, so closing the oldest never touches it. (Source addresses are
# 127.x.y.z: a target on loopback.)
# --------------------------------------------------------------------------------------


@pytest.mark.req("LIM-9", "LIM-4")
def test_a_flood_that_goes_on_does_not_close_an_honest_handshake(
    eke_target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _, total = _limits(eke_target)
    if not eke_target.accounts:
        pytest.skip("needs an eke account (give --user and --password-file)")
    account = eke_target.accounts[0]
    pw = password_key_cached(account.password, account.user)
    sources = sources_for(eke_target)
    addresses = _fresh(sources, total + 2)
    honest_from, later, flood = addresses[0], addresses[1], addresses[2:]
    timeout = max(3.0, eke_target.limits.handshake_timeout * 2)
    with _silent(eke_target, flood, transcripts):
        hs = start_handshake(eke_target, account.user, pw, source=honest_from, timeout=timeout)
        transcripts.add(hs.raw)
        started = time.monotonic()
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure.evidence(
                    f"LIM-9: an honest EKE1 from {honest_from} while {len(flood)} silent "
                    f"connections held every slot (max_connections {total})",
                    "EKE2 (the oldest unfinished connection closed to make room)",
                    event.describe(),
                )
            eke3 = hs.client.on_eke2(hs.eke2)
            with _silent(eke_target, [later], transcripts):
                hs.send_eke3(eke3)
                answer = hs.raw.recv_frame(deadline_after(timeout))
            age = time.monotonic() - started
            if not (isinstance(answer, ReceivedFrame) and answer.type == b"EKE4"):
                if age >= eke_target.limits.handshake_timeout:
                    inconclusive(
                        f"the honest handshake took {age:.2f} s, beyond the handshake "
                        f"timeout ({eke_target.limits.handshake_timeout} s): too slow a "
                        f"run to judge ({answer.describe()})"
                    )
                raise ConformanceFailure.evidence(
                    f"LIM-9: an honest client from {honest_from}, admitted into a full "
                    f"server and past EKE2, then one more silent connection from {later} "
                    f"({len(flood)} older silent ones still unfinished)",
                    "EKE4: the honest handshake is not the oldest unfinished connection, "
                    "so it is not the one closed to admit the newcomer",
                    answer.describe(),
                )
            hs.client.on_eke4(answer.json() or {})
        finally:
            hs.raw.close()


# --------------------------------------------------------------------------------------
# The per-address cap counts handshakes only (docs/SPEC.md §6: LIM-8), both profiles.
#
# LIM-8 caps the connections from one source address *that have not completed their
# handshake*. A responder that keeps one counter per address, raised at accept and lowered
# only when the connection closes (a map `connections[address]++` on 'connection', `--` on
# 'close'), caps every connection from that address instead: the (cap + 1)-th established
# session of one user behind one address is refused, though nothing from that address is in
# its handshake and `max_connections` is far away. The cases above hold *silent* sockets
# (pending ones), so it cannot tell the two counts apart; this case opens, from one fresh
# source address, one more *established and served* connection than the per-address cap,
# each completing its handshake and a get before the next is opened, and requires every one
# of them to be admitted (fewer than `max_connections` are open, so LIM-4 allows no refusal).
# --------------------------------------------------------------------------------------


@pytest.mark.req("LIM-8")
def test_established_connections_do_not_fill_the_per_address_cap(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """From one address, cap + 1 established connections (each served a get) are all
    admitted: the cap counts connections still in their handshake, not finished ones."""
    if not target.host.startswith("127."):
        pytest.skip("needs a target on loopback (the case connects from a fresh 127.x.y.z)")
    cap = target.limits.max_pending_per_address or _SPEC_PER_ADDRESS
    total = target.limits.max_connections
    count = cap + 1
    if count >= total or count > _MAX_HELD:
        pytest.skip(
            f"per-address cap {cap} + 1 does not fit below max_connections {total}: "
            "LIM-4 could rightly refuse"
        )
    file = _small_file(target)
    sources = sources_for(target)
    idle = target.limits.idle_timeout

    def case() -> None:
        source = sources.fresh()
        if source is None:
            pytest.skip("no fresh loopback source address left")
        held: list[Channel] = []
        served_at: list[float] = []
        try:
            for index in range(count):
                # Keep the held ones from idling out: each is served again well before
                # its idle timeout (LIM-2 allows closing a quiet one, which would hide a
                # count that includes them, never make a correct target fail).
                for number, channel in enumerate(held):
                    if time.monotonic() - served_at[number] > idle / 3:
                        if time.monotonic() - served_at[number] > 0.7 * idle:
                            raise _Inconclusive()
                        _served(channel, file, f"held connection {number + 1}")
                        served_at[number] = time.monotonic()
                what = f"established connection {index + 1} of {count} from {source}"
                try:
                    channel = _honest_channel(target, source, tmp_path)
                except ConformanceFailure as exc:
                    raise ConformanceFailure.evidence(
                        f"LIM-8: {what} (per-address cap {cap}, max_connections {total})",
                        f"admitted: the {len(held)} other connections from {source} have all "
                        "completed their handshake, none is pending, and fewer than "
                        "max_connections are open",
                        f"refused: {exc}",
                        note="the per-address cap counts connections that have not completed "
                        "their handshake (LIM-8), not established ones",
                    ) from None
                transcripts.add(channel)
                held.append(channel)
                _served(channel, file, what)
                served_at.append(time.monotonic())
        finally:
            for channel in held:
                channel.close()

    for _ in range(_ATTEMPTS):
        try:
            case()
            return
        except _Inconclusive:
            continue
    pytest.skip(f"INCONCLUSIVE: each of {_ATTEMPTS} runs was slower than the idle timeout")
