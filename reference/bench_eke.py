"""sft-eke/1 benchmark figures, for `python -m reference.bench` (or run this module).

`run(size_bytes)` returns a dict of figures:

* handshake CPU per side, measured in memory on the sans-IO cores (no sockets), with
  the client's scrypt reported apart (the server never runs scrypt: it stores pw);
* handshake wall latency over loopback against a real `sft eke serve` process;
* handshakes per second that server sustains on this machine's cores, driven by two
  client processes (which share the same cores), and the server's CPU per handshake
  read from /proc;
* a get of `size_bytes` through `sft eke serve` into a client process: MB/s and the
  peak RSS (VmHWM) of both sides. Files live in /dev/shm when it exists, so the disk
  is not what is measured (the receiver still fsyncs, as the spec asks).

The servers are subprocesses on 127.0.0.1, ephemeral ports; nothing here needs a
network. Nothing secret is printed: the benchmark's password is random per run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reference.eke import crypto
from reference.eke.client import ClientConfig, EkeClient
from reference.eke.handshake import ClientHandshake, Established, LoginAttempt, ServerHandshake
from reference.eke.store import PasswordStore

__all__ = ["run", "main"]

_USER = "bench"
_MiB = 1024 * 1024


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def handshake_cpu(rounds: int = 40) -> dict[str, float]:
    """Per-side CPU of the sans-IO handshake (thread CPU time), medians over `rounds`."""
    pw = secrets.token_bytes(32)
    client_t: list[float] = []
    server_t: list[float] = []
    clock = time.thread_time
    for _ in range(rounds):
        t0 = clock()
        client = ClientHandshake(_USER, pw)
        eke1 = client.data_to_send()
        t1 = clock()
        server = ServerHandshake()
        server.receive_data(eke1)
        event = server.next_event()
        assert isinstance(event, LoginAttempt)
        server.accept(pw)
        eke2 = server.data_to_send()
        t2 = clock()
        client.receive_data(eke2)
        client.next_event()
        eke3 = client.data_to_send()
        t3 = clock()
        server.receive_data(eke3)
        assert isinstance(server.next_event(), Established)
        eke4 = server.data_to_send()
        t4 = clock()
        client.receive_data(eke4)
        assert isinstance(client.next_event(), Established)
        t5 = clock()
        client_t.append((t1 - t0) + (t3 - t2) + (t5 - t4))
        server_t.append((t2 - t1) + (t4 - t3))
    t0 = time.process_time()
    for _ in range(3):
        crypto.password_key(_USER, "a benchmark password")
    scrypt = (time.process_time() - t0) / 3
    return {
        "handshake_client_cpu_ms": _ms(statistics.median(client_t)),
        "handshake_server_cpu_ms": _ms(statistics.median(server_t)),
        "scrypt_client_cpu_ms": _ms(scrypt),
    }


@contextmanager
def _server(root: Path, password: str, share: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    store_path = root / "users.db"
    with PasswordStore(store_path, create=True) as store:
        store.add_user(_USER, crypto.password_key(_USER, password))
    inbox = root / "inbox"
    inbox.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reference",
            "eke",
            "serve",
            "--store",
            str(store_path),
            "--listen",
            "127.0.0.1:0",
            "--share",
            str(share),
            "--inbox",
            str(inbox),
            "--max-file-size",
            str(1 << 40),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    # The reference stands alone (it imports nothing of the kit, whose sftkit.launch
    # starts servers everywhere else), so it keeps this minimal launcher: the same rules,
    # readiness by the `listening on HOST:PORT` line within a bound, SIGTERM then SIGKILL.
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while not line.startswith("listening on "):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    raise RuntimeError("the EKE server did not start")
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"the EKE server exited (code {proc.wait()})")
        yield proc, int(line.strip().rsplit(":", 1)[1])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _child(args: list[str], secret: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "reference.bench_eke", *args],
        input=secret + "\n",
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def _work_dir() -> Path:
    # tmpfs: the figure is the protocol's, not the disk's. mkdtemp makes it private.
    shm = Path("/dev/shm")  # noqa: S108
    return Path(tempfile.mkdtemp(prefix="sft-bench-eke-", dir=shm if shm.is_dir() else None))


def _write_file(path: Path, size: int) -> None:
    block = os.urandom(_MiB)
    with path.open("wb") as f:
        left = size
        while left:
            n = f.write(block[: min(left, _MiB)])
            left -= n


def run(size_bytes: int = 1 << 30) -> dict[str, Any]:
    """All EKE figures; `size_bytes` is the size of the benchmarked get."""
    figures: dict[str, Any] = dict(handshake_cpu())
    root = _work_dir()
    try:
        share = root / "share"
        share.mkdir()
        _write_file(share / "bench.bin", size_bytes)
        password = secrets.token_urlsafe(16)
        pw_hex = crypto.password_key(_USER, password).hex()
        # Handshakes: latency from one client, then load from two processes.
        hs_root = root / "hs"
        hs_root.mkdir()
        with _server(hs_root, password, share) as (proc, port):
            lat = _child(["--latency", str(port)], pw_hex)
            figures["handshake_wall_ms_median"] = lat["median_ms"]
            cpu0 = _proc_cpu(proc.pid)
            start = time.monotonic()
            children = [
                subprocess.Popen(
                    [sys.executable, "-m", "reference.bench_eke", "--load", str(port), "3.0"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for _ in range(2)
            ]
            for c in children:  # the secret goes through a pipe, never argv
                assert c.stdin is not None
                c.stdin.write(pw_hex + "\n")
                c.stdin.close()
            counts = []
            for c in children:
                assert c.stdout is not None
                counts.append(json.loads(c.stdout.read())["count"])
                c.wait(timeout=60)
            elapsed = time.monotonic() - start
            cpu = _proc_cpu(proc.pid) - cpu0
            total = sum(counts)
            figures["handshakes_per_s"] = round(total / elapsed, 1)
            figures["server_cpu_per_handshake_ms"] = _ms(cpu / max(total, 1))
        get_root = root / "get"
        get_root.mkdir()
        with _server(get_root, password, share) as (proc, port):
            result = _child(["--get", str(port), str(get_root / "out.bin")], password)
            figures["get_bytes"] = size_bytes
            figures["get_MBps"] = round(size_bytes / result["seconds"] / 1e6, 1)
            figures["client_peak_rss_mib"] = result["peak_rss_mib"]
            figures["client_transfer_peak_rss_mib"] = result["transfer_peak_rss_mib"]
            figures["server_peak_rss_mib"] = _proc_hwm_mib(proc.pid)
    finally:
        subprocess.run(["rm", "-rf", str(root)], check=False)
    return figures


# --- child roles (separate processes, so each side has its own CPU and RSS) ------------


def _connect(port: int, pw: bytes) -> EkeClient:
    return EkeClient(ClientConfig("127.0.0.1", port, _USER), pw).connect()


def _latency(port: int, pw: bytes) -> dict[str, Any]:
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        _connect(port, pw).close()
        times.append(time.perf_counter() - t0)
    return {"median_ms": _ms(statistics.median(times))}


def _load(port: int, pw: bytes, seconds: float) -> dict[str, Any]:
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _connect(port, pw).close()
        count += 1
    return {"count": count}


def _get(port: int, password: str, out: Path) -> dict[str, Any]:
    pw = crypto.password_key(_USER, password)  # as a real client would: 32 MiB, by design
    overall = _hwm_mib()
    _reset_hwm()  # what follows is the transfer alone
    with _connect(port, pw) as client:
        t0 = time.perf_counter()
        client.get("bench.bin", out)
        seconds = time.perf_counter() - t0
    transfer = _hwm_mib()
    return {
        "seconds": seconds,
        "peak_rss_mib": max(overall, transfer),
        "transfer_peak_rss_mib": transfer,
    }


def _hwm_mib() -> float:
    return _proc_hwm_mib(os.getpid())


def _reset_hwm() -> None:
    # Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.bench_eke")
    parser.add_argument("--size", type=int, default=1 << 30, help="bytes of the get")
    # Child roles read their secret (pw in hex, or the password) from stdin's first line.
    parser.add_argument("--latency", nargs=1, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--load", nargs=2, metavar=("PORT", "SECONDS"), help=argparse.SUPPRESS)
    parser.add_argument("--get", nargs=2, metavar=("PORT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.latency or args.load or args.get:
        secret = sys.stdin.readline().rstrip("\n")
    if args.latency:
        result = _latency(int(args.latency[0]), bytes.fromhex(secret))
    elif args.load:
        result = _load(int(args.load[0]), bytes.fromhex(secret), float(args.load[1]))
    elif args.get:
        result = _get(int(args.get[0]), secret, Path(args.get[1]))
    else:
        result = run(args.size)
    print(json.dumps(result, indent=None if (args.latency or args.load or args.get) else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
