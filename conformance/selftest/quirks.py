"""A loopback TCP proxy that makes a right implementation look slow, fragmenting or bursty.

Implementations written from docs/SPEC.md alone differ from the reference where the wire
leaves them free: they answer later, write a frame in several TCP segments or several
frames in one, close a little while after BYE_ or a fatal EROR. `QuirkProxy` sits between
the suite and a target and adds exactly those differences, so that a case tuned to the
reference's speed or segmentation shows up as a false FAIL (conformance/selftest/
test_quirks.py runs the whole suite through it, per mode).

Modes (`QuirkModes`, composable; `QuirkModes.parse("fragment,latency=40")`):

- `fragment`: every chunk, both directions, is written in random segments (one send
  each, TCP_NODELAY): 1–7 bytes over its first 2 KiB and its last 256 bytes (frame
  headers, control frames, handshake messages), up to 4 KiB in a bulk middle;
  `fragment-all`: every byte in 1–7 byte segments (see FRAGMENT_HEAD for why that is
  not the default: its throughput, not its segmentation, FAILed the bulk cases);
- `coalesce`: server→client bytes are held up to 5 ms and forwarded in one write (two
  frames the target wrote apart arrive together);
- `latency=MS`: every server→client chunk (and the close) is forwarded MS ms after it
  arrived, order preserved: a slow implementation;
- `slow-close=MS`: the target's close, half-close or reset reaches the client MS ms later
  than its last byte would.

Otherwise it is faithful:

- a half-close (FIN) is propagated as a half-close (shutdown(SHUT_WR)), each direction on
  its own; a reset (RST) as a reset (SO_LINGER 0, then close), after the bytes that came
  before it have left the proxy;
- the client's source address is kept: the upstream socket is bound to the client's IP
  (the suite connects from 127.x.y.z to act as different clients; per-address limits and
  throttling still see distinct clients);
- flow control: at most `_MAX_BUFFERED` bytes wait in the proxy per direction, then it
  stops reading (a target that does not read makes the client's writes block, later);
- every socket has TCP_NODELAY: the proxy adds no Nagle delay of its own.

What it cannot preserve (documented, not hidden):

- exact timing: every byte takes an extra hop (tens of µs on loopback, more on a loaded
  machine), so the proxy is no place for timing side-channel measurements;
- connection set-up: the client's connect completes when the proxy accepts, before the
  target has accepted; a target that refuses the connection (or never accepts it) is seen
  as a connection that is reset (or that never answers);
- a reset the target sends in answer to bytes that arrived after its close reaches the
  client only when the proxy notices it: on its next write upstream, or when it polls
  the upstream socket's error 2 ms and 20 ms after such a write;
- the segments the client sees: loopback TCP may still merge segments the proxy wrote
  apart (when the receiver is slower than the sender), as any network may.

Also a command line (stdlib only):

    python -m conformance.selftest.quirks serve --upstream H:P --modes fragment [--listen H:P]
    python -m conformance.selftest.quirks client --upstream H:P --modes M -- CMD ARGS...

`client` puts the proxy between a client under test and the server it is told to reach:
it listens on an ephemeral port, replaces `H:P` in CMD's arguments with its own address,
and execs CMD in its own process (same pid: a case's signals reach the client itself);
a forked child runs the proxy until the client has gone and its connections are done.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import fcntl
import heapq
import os
import random
import selectors
import signal
import socket
import struct
import sys
import termios
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

__all__ = ["QuirkModes", "QuirkProxy", "main"]

# How long `coalesce` holds server→client bytes before writing them in one go.
COALESCE_WINDOW = 0.005
# Bytes waiting in the proxy per direction before it stops reading from the sender.
_MAX_BUFFERED = 256 * 1024
_RECV_SIZE = 65536
# `fragment` writes a chunk's first FRAGMENT_HEAD and last FRAGMENT_TAIL bytes in 1–7 byte
# segments, its middle in segments of 1 to FRAGMENT_BULK bytes. Every byte in 1–7 byte
# segments (`fragment-all`) moves ~150 KB/s from Python on a loaded machine: a 1 MiB DATA
# frame then takes seconds, a throughput limit no implementation has (measured: the bulk
# cases FAILed on it), not a segmentation quirk.
FRAGMENT_HEAD = 2048
FRAGMENT_TAIL = 256
FRAGMENT_BULK = 4096
# Fragment sends per direction per loop turn (fairness between connections).
_FRAGMENT_BURST = 2048
# A reset is propagated once the bytes before it have left the proxy's socket (the kernel
# would otherwise discard them with the reset): bounded, as the peer may not be reading.
_RESET_DRAIN_TIMEOUT = 1.0
# After the target's FIN, bytes the client still sends may be answered with a reset: the
# proxy polls the upstream socket's error this long after such a write.
_RESET_PROBES = (0.002, 0.02)
_LOOP_TICK = 0.05
_CONNECT_TIMEOUT = 10.0
_DRAIN_AT_EXIT = 5.0


@dataclass(frozen=True)
class QuirkModes:
    """What the proxy changes (all off: a plain, faithful relay). Times in seconds."""

    fragment: bool = False
    coalesce: bool = False
    latency: float = 0.0
    slow_close: float = 0.0
    fragment_all: bool = False  # every byte in 1–7 byte segments, bulk included (slow)

    @classmethod
    def parse(cls, spec: str) -> QuirkModes:
        """`fragment,coalesce,latency=40,slow-close=150` (milliseconds); "" or "plain"."""
        fragment = coalesce = fragment_all = False
        latency = slow_close = 0.0
        for raw in spec.split(","):
            part = raw.strip()
            if part in ("", "plain"):
                continue
            name, _, value = part.partition("=")
            if name == "fragment" and not value:
                fragment = True
            elif name == "fragment-all" and not value:
                fragment = fragment_all = True
            elif name == "coalesce" and not value:
                coalesce = True
            elif name in ("latency", "slow-close") and value:
                ms = float(value)
                if not 0 <= ms <= 10_000:
                    raise ValueError(f"{name}={value}: milliseconds between 0 and 10000")
                if name == "latency":
                    latency = ms / 1000
                else:
                    slow_close = ms / 1000
            else:
                raise ValueError(
                    f"unknown quirk mode {part!r} "
                    "(fragment, fragment-all, coalesce, latency=MS, slow-close=MS)"
                )
        return cls(fragment, coalesce, latency, slow_close, fragment_all)

    def __str__(self) -> str:
        fragment = "fragment-all" if self.fragment_all else "fragment"
        parts = [
            name for name, on in ((fragment, self.fragment), ("coalesce", self.coalesce)) if on
        ]
        if self.latency:
            parts.append(f"latency={self.latency * 1000:g}")
        if self.slow_close:
            parts.append(f"slow-close={self.slow_close * 1000:g}")
        return ",".join(parts) or "plain"


_DATA, _EOF, _RST = "data", "eof", "rst"


@dataclass
class _Item:
    """Something to deliver to one side: bytes, a half-close or a reset, not before `due`."""

    due: float
    kind: str
    data: bytearray = field(default_factory=bytearray)
    sent: int = 0  # bytes of this chunk already written (where `fragment` is in it)


@dataclass
class _Half:
    """One direction of a relayed connection: what `src` sent, on its way to `dst`."""

    src: socket.socket
    dst: socket.socket
    delay: float  # added to every chunk (latency)
    close_delay: float  # added to the close on top of `delay` (slow-close)
    coalesce: bool
    items: deque[_Item] = field(default_factory=deque)
    buffered: int = 0
    read_done: bool = False  # src gave EOF or a reset: nothing more is read from it
    delivered: bool = False  # the EOF was delivered to dst
    blocked: bool = False  # dst's send buffer is full: wait until it is writable
    discard: bool = False  # dst is gone: what src still sends goes nowhere
    window_end: float | None = None  # coalesce: when the open item stops growing


class _Connection:
    """One client connection and its upstream connection, relayed in both directions."""

    def __init__(self, client: socket.socket, upstream: socket.socket, modes: QuirkModes) -> None:
        self.client = client
        self.upstream = upstream
        self.connected = False
        self.connect_deadline = time.monotonic() + _CONNECT_TIMEOUT
        self.closed = False
        # Client → target: bytes as they come (fragmented or not), its closes at once.
        self.up = _Half(client, upstream, 0.0, 0.0, coalesce=False)
        # Target → client: the modes that make a right implementation look different.
        self.down = _Half(upstream, client, modes.latency, modes.slow_close, modes.coalesce)
        # When to look whether the target answered bytes sent after its close with a reset.
        self.reset_probes: list[float] = []
        # When to look again at a reset waiting for the bytes before it to leave.
        self.wakeup: float | None = None
        self.events: dict[int, int] = {}

    def halves(self) -> tuple[_Half, _Half]:
        return (self.up, self.down)


class QuirkProxy:
    """A selector loop in one thread relaying every connection to `upstream`."""

    def __init__(
        self,
        upstream: tuple[str, int],
        modes: QuirkModes,
        *,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        seed: int | None = None,
        listener: socket.socket | None = None,
    ) -> None:
        self.upstream = upstream
        self.modes = modes
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self._rng = random.Random(self.seed)
        if listener is None:
            listener = socket.create_server(listen, backlog=128)
        self._listener = listener
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._connections: list[_Connection] = []
        self._stop = threading.Event()
        self._draining = False
        self._thread: threading.Thread | None = None
        self.accepted = 0
        # Send calls that carried bytes, per direction ("up": to the target, "down").
        self.writes = {"up": 0, "down": 0}
        self.error: BaseException | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    # -- lifecycle --

    def start(self) -> QuirkProxy:
        self._thread = threading.Thread(target=self.serve, name=f"quirks-{self.modes}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> QuirkProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def drain(self) -> None:
        """Accept no more connections; `serve` returns once the open ones are done."""
        self._draining = True

    def serve(self, deadline: float | None = None) -> None:
        """The relay loop, until `stop()` (or drained, or `deadline`, monotonic clock)."""
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    break
                if self._draining:
                    with contextlib.suppress(KeyError, ValueError):
                        self._selector.unregister(self._listener)
                    if not self._connections:
                        break
                for key, mask in self._selector.select(self._timeout(now)):
                    if key.data is None:
                        self._accept()
                    else:
                        conn, sock = key.data
                        self._on_ready(conn, sock, mask)
                now = time.monotonic()
                for conn in list(self._connections):
                    self._pump(conn, now)
        except BaseException as exc:  # a proxy bug must show, not hang the run
            self.error = exc
            raise
        finally:
            for conn in list(self._connections):
                self._close(conn)
            self._selector.close()
            self._listener.close()

    # -- the loop --

    def _timeout(self, now: float) -> float:
        due = now + _LOOP_TICK
        for conn in self._connections:
            if conn.reset_probes:
                due = min(due, conn.reset_probes[0])
            if conn.wakeup is not None:
                due = min(due, conn.wakeup)
            for half in conn.halves():
                if half.items and not half.blocked:
                    due = min(due, half.items[0].due)
        return max(0.0, due - now)

    def _accept(self) -> None:
        try:
            client, peer = self._listener.accept()
        except OSError:  # nothing to accept after all, or the client gave up already
            return
        self.accepted += 1
        client.setblocking(False)
        upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream.setblocking(False)
        try:
            # The suite's clients come from 127.x.y.z to be different clients to the target.
            upstream.bind((peer[0], 0))
            err = upstream.connect_ex(self.upstream)
        except OSError as exc:
            err = exc.errno or errno.ECONNREFUSED
        if err not in (0, errno.EINPROGRESS):
            self._reset(client)
            upstream.close()
            return
        conn = _Connection(client, upstream, self.modes)
        self._connections.append(conn)
        self._interest(conn)

    def _on_ready(self, conn: _Connection, sock: socket.socket, mask: int) -> None:
        if conn.closed:
            return
        if sock is conn.upstream and not conn.connected:
            if mask & selectors.EVENT_WRITE:
                if conn.upstream.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    self._abort(conn, reset_client=True)  # refused: the client sees a reset
                    return
                conn.connected = True
            return
        if mask & selectors.EVENT_WRITE:
            (conn.down if sock is conn.client else conn.up).blocked = False
        if mask & selectors.EVENT_READ:
            self._read(conn.up if sock is conn.client else conn.down)

    def _read(self, half: _Half) -> None:
        if half.read_done:
            return
        now = time.monotonic()
        try:
            chunk = half.src.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            # A reset (or any error that ends the connection): propagate a reset.
            self._end_reading(half, _RST, now)
            return
        if not chunk:
            self._end_reading(half, _EOF, now)
            return
        if half.discard:
            return
        half.buffered += len(chunk)
        if not half.coalesce:
            half.items.append(_Item(now + half.delay, _DATA, bytearray(chunk)))
        elif half.window_end is not None and now < half.window_end and half.items:
            half.items[-1].data += chunk
        else:
            half.window_end = now + COALESCE_WINDOW
            half.items.append(_Item(half.window_end + half.delay, _DATA, bytearray(chunk)))

    @staticmethod
    def _end_reading(half: _Half, kind: str, now: float) -> None:
        half.read_done = True
        half.window_end = None
        # A close never overtakes the bytes before it (a coalesced item may be due later).
        last_due = half.items[-1].due if half.items else now
        half.items.append(_Item(max(now + half.delay, last_due) + half.close_delay, kind))

    def _interest(self, conn: _Connection) -> None:
        """Read a side while its bytes have room in the proxy; wait for writability only
        when the kernel said the other side's buffer is full (or for the connect)."""
        for sock, outgoing, incoming in (
            (conn.client, conn.up, conn.down),
            (conn.upstream, conn.down, conn.up),
        ):
            events = 0
            readable = not outgoing.read_done and outgoing.buffered < _MAX_BUFFERED
            if sock is conn.upstream and not conn.connected:
                events = selectors.EVENT_WRITE
            else:
                if readable:
                    events |= selectors.EVENT_READ
                if incoming.blocked:
                    events |= selectors.EVENT_WRITE
            fd = sock.fileno()
            if conn.events.get(fd, 0) == events:
                continue
            if not events:
                self._selector.unregister(sock)
            elif conn.events.get(fd):
                self._selector.modify(sock, events, (conn, sock))
            else:
                self._selector.register(sock, events, (conn, sock))
            conn.events[fd] = events

    def _pump(self, conn: _Connection, now: float) -> None:
        if conn.closed:
            return
        if not conn.connected:
            if now > conn.connect_deadline:
                self._abort(conn, reset_client=True)
            return
        conn.wakeup = None
        for half in conn.halves():
            if not half.blocked:
                self._deliver(conn, half, now)
            if conn.closed:
                return
        if conn.reset_probes and conn.reset_probes[0] <= now:
            while conn.reset_probes and conn.reset_probes[0] <= now:
                heapq.heappop(conn.reset_probes)
            if conn.upstream.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                self._peer_gone(conn, conn.up, now)
        if conn.up.delivered and conn.down.delivered:
            self._close(conn)
            return
        self._interest(conn)

    def _deliver(self, conn: _Connection, half: _Half, now: float) -> None:
        while half.items and half.items[0].due <= now:
            item = half.items[0]
            if item.kind == _DATA:
                try:
                    sent = self._send(half.dst, item, "up" if half is conn.up else "down")
                except OSError:
                    self._peer_gone(conn, half, now)
                    return
                del item.data[:sent]
                item.sent += sent
                half.buffered -= sent
                if half is conn.up and sent and conn.down.read_done:
                    # The target has closed: it may answer these bytes with a reset.
                    for delay in _RESET_PROBES:
                        heapq.heappush(conn.reset_probes, now + delay)
                if item.data:
                    half.blocked = True
                    return
                half.items.popleft()
            elif item.kind == _EOF:
                with contextlib.suppress(OSError):
                    half.dst.shutdown(socket.SHUT_WR)
                half.items.popleft()
                half.delivered = True
            else:  # a reset, once the bytes before it have left (or that took too long)
                if _unsent(half.dst) and now < item.due + _RESET_DRAIN_TIMEOUT:
                    conn.wakeup = now + 0.002
                    return
                self._abort(conn, reset_client=half is conn.down, reset_upstream=half is conn.up)
                return

    def _send(self, sock: socket.socket, item: _Item, direction: str) -> int:
        data = item.data
        if not self.modes.fragment:
            try:
                n = sock.send(data)
            except (BlockingIOError, InterruptedError):
                return 0
            self.writes[direction] += 1
            return n
        sent = 0
        with memoryview(data) as view:
            try:
                for _ in range(_FRAGMENT_BURST):
                    if sent >= len(data):
                        break
                    size = self._segment(item.sent + sent, len(data) - sent)
                    n = sock.send(view[sent : sent + size])
                    self.writes[direction] += 1
                    sent += n
                    if n < size:
                        break
            except (BlockingIOError, InterruptedError):
                pass
        return sent

    def _segment(self, offset: int, remaining: int) -> int:
        """The next segment's size: 1–7 bytes at a chunk's head and tail, where frame
        headers and whole control frames sit, and in every chunk of `fragment-all`."""
        if self.modes.fragment_all or offset < FRAGMENT_HEAD or remaining <= FRAGMENT_TAIL:
            return self._rng.randint(1, 7)
        return min(self._rng.randint(1, FRAGMENT_BULK), remaining - FRAGMENT_TAIL)

    def _peer_gone(self, conn: _Connection, half: _Half, now: float) -> None:
        """`half`'s receiver reset the connection (a send failed, or its socket error says
        so): what is still on its way to it goes nowhere. The other half reads what that
        peer sent before its reset, then the reset itself, and passes both on in that
        order; if it has read to the end already, the reset follows what it holds. Never
        an abort here: that would drop the peer's last bytes (e.g. the EROR it sent
        before closing on a frame it did not read to the end)."""
        half.items.clear()
        half.buffered = 0
        half.blocked = False
        half.discard = True
        other = conn.down if half is conn.up else conn.up
        if not other.read_done:
            return
        if any(item.kind == _RST for item in other.items):
            return
        other.items = deque(item for item in other.items if item.kind == _DATA)
        other.delivered = False
        last_due = other.items[-1].due if other.items else now
        other.items.append(_Item(max(now + other.delay, last_due) + other.close_delay, _RST))

    # -- ends --

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def _abort(
        self, conn: _Connection, *, reset_client: bool = False, reset_upstream: bool = False
    ) -> None:
        self._unregister(conn)
        if reset_client:
            self._reset(conn.client)
        if reset_upstream:
            self._reset(conn.upstream)
        self._close(conn)

    def _unregister(self, conn: _Connection) -> None:
        for sock in (conn.client, conn.upstream):
            if conn.events.get(sock.fileno(), 0):
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(sock)
        conn.events.clear()

    def _close(self, conn: _Connection) -> None:
        if conn.closed:
            return
        conn.closed = True
        self._unregister(conn)
        for sock in (conn.client, conn.upstream):
            sock.close()
        with contextlib.suppress(ValueError):
            self._connections.remove(conn)


def _unsent(sock: socket.socket) -> int:
    """Bytes still in the socket's send queue (Linux TIOCOUTQ); 0 where unknown."""
    try:
        buf = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except OSError:
        return 0
    return int(struct.unpack("i", buf)[0])


# -- command line --


def _hostport(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def _parent_death_signal(sig: int) -> None:
    """Ask Linux to send `sig` to this process when its parent (the client) exits."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, sig)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def _devnull_output() -> Iterator[None]:
    """The proxy child must not hold the client's stdout/stderr pipes open (the suite
    reads them to their end)."""
    fd = os.open(os.devnull, os.O_RDWR)
    try:
        for target in (0, 1, 2):
            os.dup2(fd, target)
        yield
    finally:
        os.close(fd)


def _run_client(
    upstream: tuple[str, int], modes: QuirkModes, seed: int | None, cmd: Sequence[str]
) -> int:
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    host, port = listener.getsockname()[:2]
    needle = f"{upstream[0]}:{upstream[1]}"
    argv = [part.replace(needle, f"{host}:{port}") for part in cmd]
    client_pid = os.getpid()
    child = os.fork()
    if child == 0:  # the proxy: lives until the client is gone and its connections end
        try:
            with _devnull_output():
                proxy = QuirkProxy(upstream, modes, seed=seed, listener=listener)

                def on_parent_exit(_sig: int, _frame: object) -> None:
                    proxy.drain()

                signal.signal(signal.SIGTERM, on_parent_exit)
                _parent_death_signal(signal.SIGTERM)
                if os.getppid() != client_pid:
                    proxy.drain()
                # Bounded: the client's own run is bounded by the suite; this is a backstop.
                proxy.serve(deadline=time.monotonic() + 600.0)
        finally:
            os._exit(0)
    listener.close()
    # The client keeps this pid: a case's signals (SIGTERM, SIGKILL) reach it directly.
    os.execvp(argv[0], argv)  # noqa: S606 - the client template's own argv, as the suite runs it
    return 127  # not reached


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.selftest.quirks")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="relay HOST:PORT with the quirks until interrupted")
    client = sub.add_parser("client", help="run CMD with its server address behind the proxy")
    for p in (serve, client):
        p.add_argument("--upstream", type=_hostport, required=True)
        p.add_argument("--modes", type=QuirkModes.parse, default=QuirkModes())
        p.add_argument("--seed", type=int, default=None)
    serve.add_argument("--listen", type=_hostport, default=("127.0.0.1", 0))
    client.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "client":
        cmd = list(args.cmd)
        if cmd[:1] == ["--"]:
            cmd = cmd[1:]
        if not cmd:
            parser.error("client: a command to run is required (after --)")
        return _run_client(args.upstream, args.modes, args.seed, cmd)
    proxy = QuirkProxy(args.upstream, args.modes, listen=args.listen, seed=args.seed)
    host, port = proxy.address
    print(f"listening on {host}:{port} ({args.modes}, seed {proxy.seed})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        proxy.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
