"""Memory per connection of the reference's servers, for `python -m reference.bench`.

`run()` returns, per profile (the EKE server `sft eke serve`, the PKI peer
`sft peer serve`, each a subprocess with its default limits):

* ``rss_idle_mib`` — the server's RSS with no connection (after one warm-up get);
* ``rss_established_mib`` — its RSS with `connections` connections established,
  each having done one get of `file_mib` MiB and now idle (steady state);
* ``per_connection_mib`` — the difference divided by `connections`;
* ``burst_peak_mib`` — the server's peak RSS (VmHWM, reset first) while `burst`
  clients connect at once and each gets the file. Clients the server turns away
  (``busy``: the connection cap) retry after a short pause, as a user would, within
  a deadline; the counts of gets done, refusals met and gets given up are reported.

The clients are threads of this process (its own RSS is not measured). Files live in
/dev/shm when it exists; each received file is deleted as soon as it is complete.
Figures are reported, never asserted: the machine may be loaded by other work.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

__all__ = ["main", "run"]

_MiB = 1024 * 1024
_USER = "bench"
_START_TIMEOUT = 30.0
_TRIES = 40  # per burst client


class _Session(Protocol):
    def get(self, name: str, destination: Path) -> None: ...

    def close(self) -> None: ...


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


def _rss_mib(pid: int) -> float:
    return _status_kib(pid, "VmRSS") / 1024


def _settled_rss_mib(pid: int) -> float:
    """The server's RSS once its connection threads are done with their last work:
    read until two reads 0.1 s apart agree within 0.25 MiB (at most 3 s)."""
    last = _rss_mib(pid)
    for _ in range(30):
        time.sleep(0.1)
        now = _rss_mib(pid)
        if abs(now - last) < 0.25:
            return now
        last = now
    return last


def _reset_hwm(pid: int) -> bool:
    try:  # Linux: "5" resets VmHWM to the current RSS (the process is ours)
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _work_dir() -> Path:
    shm = Path("/dev/shm")  # noqa: S108 - a private mkdtemp inside it, for RAM-backed files
    return Path(tempfile.mkdtemp(prefix="sft-bench-mem-", dir=shm if shm.is_dir() else None))


def _write_file(path: Path, size: int) -> None:
    block = os.urandom(_MiB)
    with path.open("wb") as f:
        for offset in range(0, size, _MiB):
            f.write(block[: min(_MiB, size - offset)])


def _started(proc: subprocess.Popen[str]) -> str:
    """The "listening on HOST:PORT" address the server prints first."""
    assert proc.stdout is not None
    deadline = time.monotonic() + _START_TIMEOUT
    reader_result: list[str] = []
    reader = threading.Thread(
        target=lambda: reader_result.append(proc.stdout.readline() if proc.stdout else ""),
        daemon=True,
    )
    reader.start()
    reader.join(max(0.0, deadline - time.monotonic()))
    line = reader_result[0] if reader_result else ""
    if "listening on " not in line:
        raise RuntimeError(f"the server did not start: {line.strip()!r}")
    return line.split("listening on ", 1)[1].strip()


@contextmanager
def _eke_server(work: Path, share: Path) -> Iterator[tuple[int, Callable[[], _Session]]]:
    from reference.eke import crypto
    from reference.eke.client import ClientConfig, EkeClient
    from reference.eke.store import PasswordStore

    password = secrets.token_urlsafe(16)
    pw = crypto.password_key(_USER, password)
    store = work / "users.db"
    with PasswordStore(store, create=True) as users:
        users.add_user(_USER, pw)
    inbox = work / "inbox"
    inbox.mkdir()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "reference", "eke", "serve", "--store", str(store)),
            *("--listen", "127.0.0.1:0", "--share", str(share), "--inbox", str(inbox)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = int(_started(proc).rsplit(":", 1)[1])

        class Session:
            def __init__(self) -> None:
                self.client = EkeClient(ClientConfig("127.0.0.1", port, _USER), pw).connect()

            def get(self, name: str, destination: Path) -> None:
                self.client.get(name, destination, overwrite=True)

            def close(self) -> None:
                self.client.close()

        yield proc.pid, Session
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def _pki_peer(work: Path, share: Path) -> Iterator[tuple[int, Callable[[], _Session]]]:
    from cryptography.hazmat.primitives import serialization

    from reference.bench_pki import _identity
    from reference.pki.ca import CertificateAuthority
    from reference.pki.client import ClientConfig, PkiSession
    from reference.pki.tls import client_context

    ca = CertificateAuthority.init(work / "ca", org="Bench Org")
    alice = _identity(ca, "alice", work / "id-alice")
    bob = _identity(ca, "bob", work / "id-bob")
    crl = work / "crl.der"
    crl.write_bytes(ca.crl().public_bytes(serialization.Encoding.DER))
    ca.close()
    inbox = work / "inbox"
    inbox.mkdir()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "reference", "peer", "serve", "--id", str(bob.directory)),
            *("--listen", "127.0.0.1:0", "--share", str(share), "--inbox", str(inbox)),
            *("--crl", str(crl)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        target = "bob@" + _started(proc)
        context = client_context(alice, crl.read_bytes())

        class Session:
            def __init__(self) -> None:
                self.session = PkiSession(alice, target, ClientConfig(), context=context)

            def get(self, name: str, destination: Path) -> None:
                self.session.get(name, destination, overwrite=True)

            def close(self) -> None:
                self.session.close()

        yield proc.pid, Session
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _get_once(session: _Session, out: Path) -> None:
    session.get("bench.bin", out)
    out.unlink()


def _burst(
    connect: Callable[[], _Session], clients: int, out_dir: Path, deadline_s: float
) -> dict[str, Any]:
    """`clients` threads at once, each: connect, get, close; a refusal or a failed get is
    retried after a short pause (at most `_TRIES` tries per client, within the deadline).
    Returns the counts, and the reasons of failed tries (exception: message) by count."""
    counts: dict[str, Any] = {"done": 0, "refusals": 0, "given_up": 0, "reasons": {}}
    lock = threading.Lock()

    def failed(exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {str(exc)[:80]}"
        with lock:
            counts["refusals"] += 1
            counts["reasons"][reason] = counts["reasons"].get(reason, 0) + 1
        time.sleep(0.05 + 0.05 * secrets.randbelow(4))

    start = threading.Event()
    deadline = time.monotonic() + deadline_s

    def one(i: int) -> None:
        start.wait()
        out = out_dir / f"burst-{i}.bin"
        for _ in range(_TRIES):
            if time.monotonic() >= deadline:
                break
            try:
                session = connect()
            except Exception as exc:  # busy, or refused at the cap: wait and try again
                failed(exc)
                continue
            try:
                _get_once(session, out)
            except Exception as exc:  # e.g. refused once the channel was up
                failed(exc)
                continue
            finally:
                with contextlib.suppress(Exception):
                    session.close()
            with lock:
                counts["done"] += 1
            return
        with lock:
            counts["given_up"] += 1

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    start.set()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + 30)
    return counts


def _profile(
    server: Callable[[Path, Path], contextlib.AbstractContextManager[tuple[int, Any]]],
    connections: int,
    burst: int,
    file_mib: int,
) -> dict[str, Any]:
    work = _work_dir()
    try:
        share = work / "share"
        share.mkdir()
        _write_file(share / "bench.bin", file_mib * _MiB)
        out_dir = work / "out"
        out_dir.mkdir()
        with server(work, share) as (pid, connect):
            warm = connect()
            _get_once(warm, out_dir / "warm.bin")
            warm.close()
            idle = _settled_rss_mib(pid)
            sessions = []
            try:
                for i in range(connections):
                    session = connect()
                    sessions.append(session)
                    _get_once(session, out_dir / f"steady-{i}.bin")
                established = _settled_rss_mib(pid)
            finally:
                for session in sessions:
                    with contextlib.suppress(Exception):
                        session.close()
            before_burst = _settled_rss_mib(pid)
            hwm_reset = _reset_hwm(pid)
            counts = _burst(connect, burst, out_dir, deadline_s=120.0)
            peak = _status_kib(pid, "VmHWM") / 1024
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "connections": connections,
        "file_mib": file_mib,
        "rss_idle_mib": round(idle, 1),
        "rss_established_mib": round(established, 1),
        "per_connection_mib": round((established - idle) / connections, 3),
        "burst_clients": burst,
        "rss_before_burst_mib": round(before_burst, 1),
        "burst_peak_mib": round(peak, 1),
        "burst_peak_is_since_start": not hwm_reset,
        "burst_gets_done": counts["done"],
        "burst_refusals": counts["refusals"],
        "burst_given_up": counts["given_up"],
        "burst_failure_reasons": counts["reasons"],
    }


def run(connections: int = 50, burst: int = 100, file_mib: int = 8) -> dict[str, Any]:
    """The figures of both profiles (see the module doc)."""
    return {
        "eke": _profile(_eke_server, connections, burst, file_mib),
        "pki": _profile(_pki_peer, connections, burst, file_mib),
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.bench_memory")
    parser.add_argument("--connections", type=int, default=50, help="idle connections held")
    parser.add_argument("--burst", type=int, default=100, help="clients in the burst")
    parser.add_argument("--file-mib", type=int, default=8, help="size of each get, MiB")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.connections, args.burst, args.file_mib), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
