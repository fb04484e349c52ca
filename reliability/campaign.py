"""The reliability campaign: a real CA, PKI peer and EKE server under load, faults and
hostile clients (`python -m reliability`, `tox -e reliability`).

The servers are the reference's, started as a user starts them (`python -m reference
...`, each in its own process group, by sftkit.launch); the honest clients are the
reference's client classes in threads. Each scenario asserts what it must and is bounded
in count and time:

- **slowloris** (both profiles): 72 silent TCP connections from nine addresses, kept
  open (reopened when the server closes them) while honest gets run: every get must
  succeed;
- **burst** (EKE): 100 concurrent honest gets of one user from one address, 50 puts,
  and 20 users behind one address: every one must succeed, every byte must match;
- **burst** (PKI): 20 and 50 concurrent `sft get` commands from one address against a
  peer with default limits (8 handshakes per address, LIM-8): the initiator retries a
  refusal before the TLS handshake, so every one must succeed;
- **SIGTERM mid-put** (EKE 20 times, the peer 5): the server must end within its drain
  deadline, the client's report must match what was stored, no temporary may remain;
- **kill -9 mid-put, then restart** (both): no `.sft-partial-*` may survive the restart;
- **disk full** (both; RLIMIT_FSIZE on the server): the put fails with a plain reason,
  nothing partial remains, the server keeps serving, its log has no traceback;
- **bad inputs** (both): garbage, lies in length fields, half frames: the server must
  close them within its timeouts and keep serving.

It prints one table and a summary (load held, faults survived, bad inputs handled,
bytes lost); exit code 0 when every scenario held, 1 otherwise, 2 when the lab could
not be set up.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from sftkit.launch import LaunchedProcess, LaunchError, launch_server, run_command

__all__ = ["Row", "Campaign", "main", "render_table"]

PARTIAL_PREFIX = ".sft-partial-"  # the reference's temporaries (docs/SPEC.md APP-STORE-3)
STEP_TIMEOUT = 60.0  # any single transfer, start or stop
FLOOD_SOCKETS = 72
FLOOD_ADDRESSES = 9  # 8 silent sockets from each of 127.0.0.2 .. 127.0.0.10


@dataclass
class Row:
    """One scenario's outcome."""

    kind: str  # "load" | "fault" | "input"
    profile: str
    scenario: str
    attempted: int
    succeeded: int
    held: bool
    bytes_lost: int = 0
    seconds: float = 0.0
    detail: str = ""


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _write(path: Path, size: int, seed: int) -> str:
    block = hashlib.sha256(str(seed).encode()).digest() * 32768  # 1 MiB, distinct per seed
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
    return _sha(path)


def _partials(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(PARTIAL_PREFIX)]


def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while time.monotonic() < deadline:
        if predicate():
            return True
        tick.wait(0.01)
    return predicate()


def _in_parallel(jobs: list[Callable[[], object]], timeout: float) -> list[object]:
    """Run every job at once (a barrier starts them together); each result or exception."""
    results: list[object] = [TimeoutError("did not end")] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        try:
            barrier.wait(timeout)
            results[i] = jobs[i]()
        except BaseException as exc:  # reported in the table, never raised
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(jobs))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    return results


def _reasons(results: list[object]) -> str:
    seen: dict[str, int] = {}
    for r in results:
        if isinstance(r, BaseException):
            key = f"{type(r).__name__}: {str(r)[:80]}"
            seen[key] = seen.get(key, 0) + 1
    return "; ".join(f"{n}× {why}" for why, n in sorted(seen.items(), key=lambda kv: -kv[1]))


class _Flood:
    """FLOOD_SOCKETS silent connections, reopened whenever the server closes one."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._stop = threading.Event()
        self.opened = 0
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def __enter__(self) -> _Flood:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(STEP_TIMEOUT)

    def _open(self, i: int) -> socket.socket | None:
        source = f"127.0.0.{2 + i % FLOOD_ADDRESSES}"
        try:
            s = socket.create_connection((self.host, self.port), 2.0, (source, 0))
        except OSError:
            return None
        s.setblocking(False)
        self.opened += 1
        return s

    def _hold(self) -> None:
        held: list[socket.socket | None] = [self._open(i) for i in range(FLOOD_SOCKETS)]
        try:
            while not self._stop.wait(0.2):
                for i, s in enumerate(held):
                    if s is not None:
                        try:
                            if s.recv(4096) != b"":
                                continue  # it talked (an error frame): keep it
                        except BlockingIOError:
                            continue  # still open and silent
                        except OSError:
                            pass
                        s.close()
                    held[i] = self._open(i)  # the server closed it: reopen at once
        finally:
            for s in held:
                if s is not None:
                    s.close()


_BAD_INPUTS: tuple[tuple[str, bytes], ...] = (
    ("nothing, then close", b""),
    ("one byte", b"\x00"),
    ("seven bytes (half a header)", b"SFT\x00\x00\x00\x00"),
    ("a header announcing 4 GiB", b"EKE1\xff\xff\xff\xff"),
    ("a header announcing 0 bytes", b"EKE1\x00\x00\x00\x00"),
    ("an unknown frame type", b"ZZZZ\x00\x00\x00\x04abcd"),
    ("HTTP", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("TLS ClientHello header, then nothing", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
    ("64 KiB of zeros", b"\x00" * 65536),
    ("64 KiB of 0xff", b"\xff" * 65536),
    ("random 1 KiB", hashlib.sha256(b"r").digest() * 32),
    ("a NUL-laden name", b"EKE1\x00\x00\x00\x10\x00../../etc/passwd\x00"),
)


class Campaign:
    """The lab (CA, peer, EKE server in a temporary directory) and the scenarios."""

    def __init__(self, work: Path, *, sigterm_rounds: int = 20, burst: int = 100,
                 puts: int = 50, pki_bursts: tuple[int, ...] = (20, 50)) -> None:
        self.work = work
        self.pki_bursts = pki_bursts
        self.sigterm_rounds = sigterm_rounds
        self.burst = burst
        self.puts = puts
        self.rows: list[Row] = []
        self._processes: list[LaunchedProcess] = []
        # A fresh password per run for the lab's accounts, only ever in a 0600 file.
        self.password = secrets.token_urlsafe(18)
        pw_file = work / "pw"
        pw_file.touch(mode=0o600)
        pw_file.write_text(self.password + "\n", encoding="utf-8")

    # -- the lab --------------------------------------------------------------------------
    def _reference(self, *argv: str) -> None:
        done = run_command(
            [sys.executable, "-m", "reference", *argv], timeout=STEP_TIMEOUT, cwd=self.work
        )
        if done.returncode != 0:
            why = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise LaunchError(f"reference {' '.join(argv[:3])}: {why[-1] if why else '?'}")

    def _serve(self, name: str, *argv: str, fsize: int | None = None) -> LaunchedProcess:
        command = [sys.executable, "-m", "reference", *argv]
        if fsize is not None:
            # RLIMIT_FSIZE on the server only: a disk that fills at `fsize` bytes per file,
            # without root or a tmpfs. Python ignores SIGXFSZ: writes fail with EFBIG.
            command = [
                sys.executable, "-c",
                "import os, resource, sys; "
                f"resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize})); "
                "os.execv(sys.executable, sys.argv[1:])",
                *command,
            ]
        process = launch_server(command, name=name, cwd=self.work,
                                log=self.work / "logs" / f"{name}-{len(self._processes)}.log")
        self._processes.append(process)
        return process

    def setup(self) -> None:
        for d in ("share", "eke-inbox", "pki-inbox", "out", "outbox"):
            (self.work / d).mkdir(exist_ok=True)
        self.small = self.work / "share" / "small.bin"
        self.small_sha = _write(self.small, 64 * 1024, 1)
        self._reference("eke", "user", "add", "alice", "--store", "users.db",
                        "--password-file", "pw")
        from reference.eke import crypto
        from reference.eke.store import PasswordStore

        self.pw = crypto.password_key("alice", self.password)
        self.nat_users = [f"user{i:02d}" for i in range(20)]
        with PasswordStore(self.work / "users.db") as store:
            for user in self.nat_users:
                store.add_user(user, crypto.password_key(user, self.password))
        self._reference("ca", "init", "--dir", "ca", "--unencrypted-key")
        for alias in ("alice", "bob"):
            self._reference("ca", "user", "add", alias, "--dir", "ca", "--password-file", "pw")
        ca = self._serve("ca", "ca", "serve", "--dir", "ca", "--listen", "127.0.0.1:0")
        self.ca_url = f"https://{ca.host}:{ca.port}"
        for alias in ("alice", "bob"):
            self._reference("enroll", "--ca", self.ca_url, "--root", "ca/root.pem", "--alias",
                            alias, "--password-file", "pw", "--out", f"id-{alias}")

    def eke_server(self, *extra: str, fsize: int | None = None) -> LaunchedProcess:
        return self._serve("eke", "eke", "serve", "--store", "users.db", "--listen",
                           "127.0.0.1:0", "--share", "share", "--inbox", "eke-inbox", *extra,
                           fsize=fsize)

    def peer(self, *extra: str, fsize: int | None = None) -> LaunchedProcess:
        return self._serve("peer", "peer", "serve", "--id", "id-bob", "--ca", self.ca_url,
                           "--listen", "127.0.0.1:0", "--share", "share", "--inbox",
                           "pki-inbox", *extra, fsize=fsize)

    def close(self) -> None:
        for process in self._processes:
            with contextlib.suppress(Exception):
                process.stop()

    # -- clients --------------------------------------------------------------------------
    def eke_get(self, server: LaunchedProcess, out: Path, user: str = "alice") -> int:
        from reference.eke import crypto
        from reference.eke.client import ClientConfig, EkeClient

        pw = self.pw if user == "alice" else crypto.password_key(user, self.password)
        client = EkeClient(ClientConfig(server.host, server.port, user), pw)
        with client.connect():
            done = client.get("small.bin", out)
        if _sha(out) != self.small_sha:
            raise AssertionError(f"{out.name}: content differs")
        return done.size

    def eke_put(self, server: LaunchedProcess, source: Path) -> str:
        from reference.eke.client import ClientConfig, EkeClient

        client = EkeClient(ClientConfig(server.host, server.port, "alice"), self.pw)
        with client.connect():
            return client.put(source)

    def pki_get(self, peer: LaunchedProcess, out: Path) -> int:
        from reference.pki.client import ClientConfig, PkiSession
        from reference.pki.tls import Identity

        target = f"bob@{peer.host}:{peer.port}"
        with PkiSession(Identity(self.work / "id-alice"), target, ClientConfig()) as s:
            size = s.get("small.bin", out)
        if _sha(out) != self.small_sha:
            raise AssertionError(f"{out.name}: content differs")
        return size

    def pki_put(self, peer: LaunchedProcess, source: Path) -> str:
        from reference.pki.client import ClientConfig, PkiSession
        from reference.pki.tls import Identity

        target = f"bob@{peer.host}:{peer.port}"
        with PkiSession(Identity(self.work / "id-alice"), target, ClientConfig()) as s:
            return s.put(source)

    def _client(self, profile: str) -> tuple[
        Callable[[LaunchedProcess, Path], object], Callable[[LaunchedProcess, Path], object]
    ]:
        if profile == "eke":
            return self.eke_get, self.eke_put
        return self.pki_get, self.pki_put

    def _start(self, profile: str, *extra: str, fsize: int | None = None) -> LaunchedProcess:
        return self.eke_server(*extra, fsize=fsize) if profile == "eke" else self.peer(
            *extra, fsize=fsize
        )

    def _inbox(self, profile: str) -> Path:
        return self.work / f"{profile}-inbox"

    # -- scenarios ------------------------------------------------------------------------
    def _record(self, row: Row) -> None:
        self.rows.append(row)
        mark = "held" if row.held else "FAILED"
        print(f"  {row.profile:<4} {row.scenario:<44} {row.succeeded}/{row.attempted} {mark} "
              f"({row.seconds:.1f} s) {row.detail}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def _timed(self) -> Iterator[Callable[[], float]]:
        start = time.monotonic()
        yield lambda: time.monotonic() - start

    def slowloris(self, profile: str, gets: int = 15) -> None:
        server = self._start(profile)
        get, _ = self._client(profile)
        ok, errors = 0, []
        with self._timed() as elapsed, _Flood(server.host, server.port) as flood:
            _wait_for(lambda: flood.opened >= FLOOD_SOCKETS, 10.0)
            for i in range(gets):
                try:
                    get(server, self.work / "out" / f"slow-{profile}-{i}")
                    ok += 1
                except Exception as exc:
                    errors.append(exc)
            seconds = elapsed()
        server.stop()
        self._record(Row("load", profile, f"slowloris: {FLOOD_SOCKETS} silent sockets, "
                         f"{gets} gets", gets, ok, ok == gets, seconds=seconds,
                         detail=f"{flood.opened} flood connections opened; "
                         + _reasons(list(errors))))

    def burst_gets(self, users: list[str] | None = None) -> None:
        server = self.eke_server()
        names = users or ["alice"] * self.burst
        prefix = "nat" if users else "burst"
        jobs: list[Callable[[], object]] = [
            functools.partial(self.eke_get, server, self.work / "out" / f"{prefix}-{i}", u)
            for i, u in enumerate(names)
        ]
        with self._timed() as elapsed:
            results = _in_parallel(jobs, 240.0)
            seconds = elapsed()
        ok = sum(1 for r in results if not isinstance(r, BaseException))
        peak = _peak_rss_mib(server.pid)
        server.stop()
        what = (f"burst: {len(names)} gets, {len(set(names))} users behind one address"
                if users else f"burst: {len(names)} concurrent gets, one user")
        self._record(Row("load", "eke", what, len(names), ok, ok == len(names),
                         seconds=seconds, detail=f"server peak RSS {peak:.0f} MiB; "
                         + _reasons(results)))

    def pki_burst_gets(self, count: int) -> None:
        """`count` honest `sft get` processes at once, one address, default limits."""
        peer = self.peer()
        target = f"bob@{peer.host}:{peer.port}"
        outs = [self.work / "out" / f"pki-burst-{count}-{i}" for i in range(count)]

        def get(out: Path) -> int:
            done = run_command(
                [sys.executable, "-m", "reference", "get", target, "small.bin", "--id",
                 "id-alice", "-o", str(out), "--quiet"],
                timeout=STEP_TIMEOUT * 2, cwd=self.work,
            )
            if done.returncode != 0:
                lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
                raise RuntimeError(f"rc {done.returncode}: {lines[-1] if lines else '?'}")
            if _sha(out) != self.small_sha:
                raise AssertionError(f"{out.name}: content differs")
            return done.returncode

        jobs: list[Callable[[], object]] = [functools.partial(get, out) for out in outs]
        with self._timed() as elapsed:
            results = _in_parallel(jobs, 240.0)
            seconds = elapsed()
        peer.stop()
        ok = sum(1 for r in results if not isinstance(r, BaseException))
        self._record(Row("load", "pki", f"burst: {count} concurrent `sft get`, one address",
                         count, ok, ok == count, seconds=seconds, detail=_reasons(results)))

    def burst_puts(self) -> None:
        server = self.eke_server()
        sources, shas = [], {}
        for i in range(self.puts):
            source = self.work / "outbox" / f"burst-put-{i}.bin"
            shas[source.name] = _write(source, 256 * 1024, 100 + i)
            sources.append(source)
        jobs: list[Callable[[], object]] = [
            functools.partial(self.eke_put, server, s) for s in sources
        ]
        with self._timed() as elapsed:
            results = _in_parallel(jobs, 240.0)
            seconds = elapsed()
        server.stop()
        ok, lost = 0, 0
        for source, result in zip(sources, results, strict=True):
            if isinstance(result, BaseException):
                continue
            stored = self._inbox("eke") / str(result)
            if stored.is_file() and _sha(stored) == shas[source.name]:
                ok += 1
            else:
                lost += source.stat().st_size
        self._record(Row("load", "eke", f"burst: {self.puts} concurrent puts, one user",
                         self.puts, ok, ok == self.puts and lost == 0, bytes_lost=lost,
                         seconds=seconds, detail=_reasons(results)))

    def sigterm_mid_put(self, profile: str, rounds: int) -> None:
        big = self.work / "outbox" / f"sigterm-{profile}.bin"
        big_sha = _write(big, 64 * 1024 * 1024, 7)
        inbox = self._inbox(profile)
        _, put = self._client(profile)
        ok, lost, told_stored, told_not, slowest, notes = 0, 0, 0, 0, 0.0, []
        # ServerConfig.shutdown_grace / PeerServer.close: the drain deadline, plus the
        # interpreter's own exit.
        deadline = 5.0 + 2.0
        with self._timed() as elapsed:
            for i in range(rounds):
                source = self.work / "outbox" / f"sigterm-{profile}-{i}.bin"
                if not source.exists():
                    os.link(big, source)  # the same 64 MiB under a name of its own
                server = self._start(profile)
                outcome: list[object] = []
                sender = _started(functools.partial(put, server, source), outcome)
                began = _wait_for(functools.partial(_put_began, inbox, sender), 20.0)
                signalled = time.monotonic()
                server.signal_stop()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.proc.wait(timeout=deadline + 10.0)
                took = time.monotonic() - signalled
                slowest = max(slowest, took)
                server.stop()
                sender.join(STEP_TIMEOUT)
                result = outcome[0] if outcome else TimeoutError("client hung")
                stored = inbox / source.name
                is_stored = stored.is_file() and _sha(stored) == big_sha
                told_ok = not isinstance(result, BaseException)
                told_stored += told_ok
                told_not += not told_ok
                if told_ok and not is_stored:
                    lost += big.stat().st_size
                problems = []
                if not began:
                    problems.append("the put never started")
                if told_ok != is_stored:
                    problems.append(f"client {'ok' if told_ok else str(result)[:60]} but "
                                    f"{'stored' if is_stored else 'not stored'}")
                if took > deadline:
                    problems.append(f"exited {took:.1f} s after SIGTERM")
                if _partials(inbox):
                    problems.append(f"partial left {_partials(inbox)}")
                if problems:
                    notes.append(f"round {i}: " + ", ".join(problems))
                else:
                    ok += 1
                stored.unlink(missing_ok=True)
            seconds = elapsed()
        detail = (f"{told_stored} told stored (and stored), {told_not} told not saved (and "
                  f"not stored); slowest exit {slowest:.1f} s (deadline {deadline:g} s)")
        self._record(Row("fault", profile, f"SIGTERM mid-put ×{rounds} (64 MiB)", rounds, ok,
                         ok == rounds, bytes_lost=lost, seconds=seconds,
                         detail="; ".join([detail, *notes[:4]])))

    def kill9_mid_put(self, profile: str) -> None:
        big = self.work / "outbox" / f"kill9-{profile}.bin"
        _write(big, 256 * 1024 * 1024, 9)
        inbox = self._inbox(profile)
        _, put = self._client(profile)
        with self._timed() as elapsed:
            server = self._start(profile)
            sender = threading.Thread(target=lambda: _catch(lambda: put(server, big)),
                                      daemon=True)
            sender.start()
            began = _wait_for(lambda: bool(_partials(inbox)) or not sender.is_alive(), 20.0)
            os.killpg(server.pid, signal.SIGKILL)
            server.stop()
            sender.join(STEP_TIMEOUT)
            left_by_kill = len(_partials(inbox))
            restarted = self._start(profile)
            survivors = _partials(inbox)
            works = _catch(lambda: self._client(profile)[0](
                restarted, self.work / "out" / f"after-kill-{profile}"))
            restarted.stop()
            seconds = elapsed()
        held = began and not survivors and not isinstance(works, BaseException)
        self._record(Row("fault", profile, "kill -9 mid-put (256 MiB), then restart", 1,
                         int(held), held, seconds=seconds,
                         detail=f"{left_by_kill} partial(s) after the kill, {len(survivors)} "
                         f"after the restart" + (f"; then: {works}" if isinstance(
                             works, BaseException) else "")))
        (inbox / big.name).unlink(missing_ok=True)

    def disk_full(self, profile: str) -> None:
        source = self.work / "outbox" / f"full-{profile}.bin"
        _write(source, 16 * 1024 * 1024, 11)
        inbox = self._inbox(profile)
        get, put = self._client(profile)
        with self._timed() as elapsed:
            server = self._start(profile, fsize=4 * 1024 * 1024)
            result = _catch(lambda: put(server, source))
            then = _catch(lambda: get(server, self.work / "out" / f"after-full-{profile}"))
            log = server.stop()
            seconds = elapsed()
        # The client must say the receiver could not store it, not blame the connection
        # ("EOF occurred in violation of protocol").
        said = str(result).replace(source.name, "").lower()
        plain = isinstance(result, BaseException) and "eof" not in said and any(
            w in said for w in ("cannot store", "nothing was saved", "no space", "too large")
        )
        traceback = "Traceback" in log
        held = (plain and not _partials(inbox) and not isinstance(then, BaseException)
                and not traceback and not (inbox / source.name).exists())
        self._record(Row("fault", profile, "disk full mid-put (RLIMIT_FSIZE 4 MiB)", 1,
                         int(held), held, seconds=seconds,
                         detail=f"client: {str(result)[:90]}; partials "
                         f"{len(_partials(inbox))}; traceback in log: {traceback}; next get "
                         f"{'ok' if not isinstance(then, BaseException) else then}"))

    def bad_inputs(self, profile: str) -> None:
        server = self._start(profile)
        handled, notes = 0, []
        with self._timed() as elapsed:
            for what, data in _BAD_INPUTS:
                if _closes_promptly(server.host, server.port, data):
                    handled += 1
                else:
                    notes.append(f"not closed within 15 s: {what}")
            works = _catch(lambda: self._client(profile)[0](
                server, self.work / "out" / f"after-bad-{profile}"))
            seconds = elapsed()
        log = server.stop()
        if isinstance(works, BaseException):
            notes.append(f"then an honest get failed: {works}")
        if "Traceback" in log:
            notes.append("a traceback in the server's log")
        total = len(_BAD_INPUTS)
        held = handled == total and not isinstance(works, BaseException) and "Traceback" not in log
        self._record(Row("input", profile, f"bad inputs: {total} hostile openings", total,
                         handled, held, seconds=seconds, detail="; ".join(notes)))

    def run(self) -> list[Row]:
        for profile in ("pki", "eke"):
            self.slowloris(profile)
        self.burst_gets()
        self.burst_gets(self.nat_users)
        for count in self.pki_bursts:
            self.pki_burst_gets(count)
        self.burst_puts()
        self.sigterm_mid_put("eke", self.sigterm_rounds)
        self.sigterm_mid_put("pki", max(1, self.sigterm_rounds // 4))
        for profile in ("pki", "eke"):
            self.kill9_mid_put(profile)
            self.disk_full(profile)
            self.bad_inputs(profile)
        return self.rows


def _started(job: Callable[[], object], outcome: list[object]) -> threading.Thread:
    """`job` running in a thread; its result or exception lands in `outcome`."""
    thread = threading.Thread(target=lambda: outcome.append(_catch(job)), daemon=True)
    thread.start()
    return thread


def _put_began(inbox: Path, sender: threading.Thread) -> bool:
    return bool(_partials(inbox)) or not sender.is_alive()


def _catch(job: Callable[[], object]) -> object:
    try:
        return job()
    except Exception as exc:  # the outcome is the scenario's to judge
        return exc


def _closes_promptly(host: str, port: int, data: bytes, timeout: float = 15.0) -> bool:
    """Send `data`, then end our side: the server must close within `timeout`."""
    try:
        with socket.create_connection((host, port), timeout) as s:
            with contextlib.suppress(OSError):
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                if not s.recv(65536):
                    return True
    except (ConnectionResetError, BrokenPipeError):
        return True  # closed (with a reset): handled
    except OSError:
        return False
    return False


def _peak_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def render_table(rows: list[Row]) -> str:
    """The campaign's one table (Markdown), and its summary line."""
    out = ["| kind | profile | scenario | result | bytes lost | time |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        mark = "held" if r.held else "**FAILED**"
        out.append(f"| {r.kind} | {r.profile} | {r.scenario} | {r.succeeded}/{r.attempted} "
                   f"{mark} | {r.bytes_lost} | {r.seconds:.0f} s |")

    def held(kind: str) -> str:
        rows_of = [r for r in rows if r.kind == kind]
        return f"{sum(r.held for r in rows_of)}/{len(rows_of)}"

    inputs = [r for r in rows if r.kind == "input"]
    out.append("")
    out.append(
        f"load held {held('load')}, faults survived {held('fault')}, bad inputs handled "
        f"{sum(r.succeeded for r in inputs)}/{sum(r.attempted for r in inputs)}, "
        f"bytes lost = {sum(r.bytes_lost for r in rows)}"
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reliability",
        description="The reliability campaign against a real CA, PKI peer and EKE server "
        "(bounded: a few minutes on 2 cores). Exit 0 every scenario held, 1 one did not, "
        "2 the lab could not be set up.",
    )
    parser.add_argument("--work", type=Path, help="lab directory (default: a temporary one)")
    parser.add_argument("--json", type=Path, dest="json_out", help="also write the rows here")
    parser.add_argument("--rounds", type=int, default=20, help="SIGTERM rounds (default 20)")
    parser.add_argument("--burst", type=int, default=100, help="concurrent gets (default 100)")
    parser.add_argument(
        "--pki-bursts", default="20,50", metavar="N,N",
        help="concurrent `sft get` commands against the peer, per row (default 20,50)",
    )
    parser.add_argument("--puts", type=int, default=50, help="concurrent puts (default 50)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="sft-reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        pki_bursts = tuple(int(n) for n in args.pki_bursts.split(",") if n.strip())
    except ValueError:
        parser.error(f"--pki-bursts: counts separated by commas, not {args.pki_bursts!r}")
    campaign = Campaign(work, sigterm_rounds=args.rounds, burst=args.burst, puts=args.puts,
                        pki_bursts=pki_bursts)
    started = time.monotonic()
    try:
        try:
            campaign.setup()
        except (LaunchError, OSError) as exc:
            print(f"sft reliability: cannot set up the lab: {exc}", file=sys.stderr)
            return 2
        rows = campaign.run()
    finally:
        campaign.close()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(render_table(rows))
    print(f"\n({time.monotonic() - started:.0f} s)")
    if args.json_out:
        args.json_out.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n",
                                 encoding="utf-8")
    return 0 if all(r.held for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
