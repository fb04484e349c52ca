"""Whole-command transfers beside anchors that do the same work, in the same run.

`run(size_bytes, repeats)` moves one file of `size_bytes` (in /dev/shm when it exists)
over loopback with each of these, `repeats` times, interleaved so that load from
other work spreads evenly over them:

* ``raw_tcp_file`` / ``raw_tcp_null`` — a Python process sending the file over plain
  TCP (1 MiB reads and `sendall`), a Python process receiving it into a file (1 MiB
  gathered per write, then fsync) or into /dev/null;
* ``python_ssl_file`` / ``python_ssl_null`` — the same pair over Python's `ssl`, TLS 1.3
  TLS_AES_256_GCM_SHA384 (what the reference's PKI profile negotiates);
* ``openssl_www_file`` / ``openssl_www_null`` — `openssl s_server -WWW` and
  `openssl s_client -quiet` with its output redirected into a file or /dev/null;
* ``sft_get`` — the whole `python -m reference get` command (`sft get`) against
  `python -m reference peer serve`: TLS handshake, CRL check, SHA-256, temporary file,
  fsync, rename;
* ``sft_eke_get`` — the whole `python -m reference eke get` command against
  `python -m reference eke serve` (scrypt of the password included: once per command).

For each: MiB/s of the client command's wall time (start to exit: a user's view),
the user and kernel CPU seconds of each side (the client from `wait4`, the long-lived
server from /proc deltas around the command), and the peak RSS of each side (the
client's `ru_maxrss`, the server's VmHWM reset before the command). Figures are
reported, never asserted; the ratios that count are those taken inside one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["COMMANDS", "main", "run"]

_MiB = 1024 * 1024
_TIMEOUT = 900.0
_USER = "bench"

COMMANDS = (
    "raw_tcp_file",
    "raw_tcp_null",
    "python_ssl_file",
    "python_ssl_null",
    "openssl_www_file",
    "openssl_www_null",
    "sft_get",
    "sft_eke_get",
)

# The Python anchors: one server process that sends the file to every connection, one
# client process per transfer. They do what a careful small program would: 1 MiB
# buffers, no per-chunk allocation, gathered writes, fsync before exit.
_ANCHOR_SERVER = r"""
import socket, ssl, sys
mode, src, cert, key = sys.argv[1:5]
listener = socket.create_server(("127.0.0.1", 0))
ctx = None
if mode == "tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert, key)
print("listening on 127.0.0.1:%d" % listener.getsockname()[1], flush=True)
buf = memoryview(bytearray(1 << 20))
while True:
    conn, _ = listener.accept()
    try:
        sock = ctx.wrap_socket(conn, server_side=True) if ctx else conn
        with open(src, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                sock.sendall(buf[:n])
        sock.close()
    except OSError:
        conn.close()
"""

_ANCHOR_CLIENT = r"""
import os, socket, ssl, sys
mode, port, out, root = sys.argv[1:5]
sock = socket.create_connection(("127.0.0.1", int(port)))
if mode == "tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.load_verify_locations(cafile=root)
    sock = ctx.wrap_socket(sock)
buf = memoryview(bytearray(1 << 20))
total = 0
with open(out, "wb", buffering=0) as f:
    while True:
        got = 0
        while got < len(buf):  # one TLS read is one 16 KiB record: gather 1 MiB
            n = sock.recv_into(buf[got:])
            if not n:
                break
            got += n
        if not got:
            break
        done = 0
        while done < got:
            done += f.write(buf[done:got])
        total += got
    if out != os.devnull:
        os.fsync(f.fileno())
print(total)
"""


@dataclass
class _Server:
    pid: int
    address: str  # host:port


def _installed_env(work: Path) -> dict[str, str]:
    """The environment of every measured process: with a bytecode cache, as an installed
    package has (`pip install` compiles it). Without one (PYTHONDONTWRITEBYTECODE, which
    tox sets), each command would compile the reference's sources at every start. The
    cache lives in the work directory, so the checkout is left as it was."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def _work_dir() -> Path:
    shm = Path("/dev/shm")  # noqa: S108 - a private mkdtemp inside it, for RAM-backed files
    return Path(tempfile.mkdtemp(prefix="sft-bench-xfer-", dir=shm if shm.is_dir() else None))


def _write_file(path: Path, size: int) -> None:
    block = os.urandom(_MiB)
    with path.open("wb") as f:
        for offset in range(0, size, _MiB):
            f.write(block[: min(_MiB, size - offset)])


def _proc_cpu(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def _hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _sample_client_hwm(pid: int, argv: list[str], peak: list[float]) -> None:
    """Keeps `peak[0]` at the client's VmHWM, read every 20 ms while it runs.

    `wait4`'s ru_maxrss cannot serve: Linux carries the parent's high-water mark over
    `exec`. The status is read only once /proc shows the new command line (before the
    exec, a vfork'ed child still shows the parent's memory)."""
    expected = "\0".join(argv).encode() + b"\0"
    proc_dir = Path(f"/proc/{pid}")
    while True:
        try:
            if (proc_dir / "cmdline").read_bytes() == expected:
                peak[0] = max(peak[0], _hwm_mib(pid))
        except (OSError, ValueError, IndexError):
            return  # it exited (or became a zombie)
        time.sleep(0.02)


def _reset_hwm(pid: int) -> None:
    with contextlib.suppress(OSError):  # Linux: "5" resets VmHWM to the current RSS
        Path(f"/proc/{pid}/clear_refs").write_text("5")


@contextmanager
def _server(
    argv: list[str], cwd: Path | None, pattern: str, env: dict[str, str] | None = None
) -> Iterator[_Server]:
    """A long-lived server; `pattern` finds "host:port" in the first lines it prints."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        found: list[str] = []

        def read() -> None:
            assert proc.stdout is not None
            for _ in range(20):
                match = re.search(pattern, proc.stdout.readline())
                if match:
                    found.append(match[1])
                    break
            # keep draining, so a chatty server never blocks on a full pipe
            for _line in proc.stdout:
                pass

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + 30
        while not found and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        if not found:
            raise RuntimeError(f"{argv[0]} {argv[1:3]} did not report its address")
        address = found[0]
        if ":" not in address:
            address = f"127.0.0.1:{address}"
        yield _Server(proc.pid, address)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def _measure(
    server: _Server,
    argv: list[str],
    *,
    stdin: bytes = b"",
    stdout: Path | None = None,
    out: Path,
    size: int,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> dict[str, float]:
    """Runs one client command to its end; the figures of both sides around it."""
    _reset_hwm(server.pid)
    s_user0, s_sys0 = _proc_cpu(server.pid)
    with (
        tempfile.TemporaryFile() as err,
        open(stdout if stdout is not None else os.devnull, "wb") as sink,
    ):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=sink, stderr=err, env=env, cwd=cwd
        )
        client_peak = [0.0]
        sampler = threading.Thread(
            target=_sample_client_hwm, args=(proc.pid, argv, client_peak), daemon=True
        )
        sampler.start()
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(stdin)
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        sampler.join(5)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"{argv[:4]} exited {proc.returncode}: {' '.join(tail)}")
    s_user1, s_sys1 = _proc_cpu(server.pid)
    if out != Path(os.devnull):
        got = out.stat().st_size
        # `s_server -WWW` puts a short HTTP header before the file
        if not size <= got <= size + 256:
            raise RuntimeError(f"{argv[:4]} delivered {got} bytes of {size}")
        out.unlink()
    return {
        "seconds": seconds,
        "mib_s": size / _MiB / seconds,
        "client_user_s": usage.ru_utime,
        "client_sys_s": usage.ru_stime,
        "client_peak_rss_mib": client_peak[0],
        "server_user_s": s_user1 - s_user0,
        "server_sys_s": s_sys1 - s_sys0,
        "server_peak_rss_mib": _hwm_mib(server.pid),
    }


def _pki_setup(work: Path) -> tuple[Path, Path, Path]:
    """Identities for alice (client) and bob (server), and a CRL: (alice, bob, crl)."""
    from cryptography.hazmat.primitives import serialization

    from reference.bench_pki import _identity
    from reference.pki.ca import CertificateAuthority

    ca = CertificateAuthority.init(work / "ca", org="Bench Org")
    alice = _identity(ca, "alice", work / "id-alice")
    bob = _identity(ca, "bob", work / "id-bob")
    crl = work / "crl.der"
    crl.write_bytes(ca.crl().public_bytes(serialization.Encoding.DER))
    ca.close()
    return alice.directory, bob.directory, crl


def _eke_store(work: Path) -> tuple[Path, str]:
    from reference.eke import crypto
    from reference.eke.store import PasswordStore

    password = secrets.token_urlsafe(16)
    store = work / "users.db"
    with PasswordStore(store, create=True) as users:
        users.add_user(_USER, crypto.password_key(_USER, password))
    return store, password


def run(
    size_bytes: int = 512 * _MiB, repeats: int = 3, baseline: Path | None = None
) -> dict[str, Any]:
    """Every command's figures: per-run lists and medians (see the module doc).

    `baseline`: another checkout (e.g. `git worktree add /tmp/base HEAD`) whose
    `sft get` and `sft eke get` run interleaved with this one's, as
    ``sft_get_baseline`` and ``sft_eke_get_baseline``: before/after in one run."""
    py = sys.executable
    work = _work_dir()
    variants: list[tuple[str, Path | None]] = [("", None)]
    names = list(COMMANDS)
    if baseline is not None:  # the same commands from another tree, interleaved
        variants.append(("_baseline", baseline.resolve()))
        names += ["sft_get_baseline", "sft_eke_get_baseline"]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    skipped: dict[str, str] = {}
    load_start = os.getloadavg()[0]
    env = _installed_env(work)
    try:
        for command in (["get", "--help"], ["eke", "get", "--help"]):  # fills the cache
            for _, tree in variants:
                tree_env = env if tree is None else {**env, "PYTHONPATH": str(tree)}
                subprocess.run(
                    [py, "-m", "reference", *command],
                    env=tree_env,
                    cwd=tree,
                    capture_output=True,
                    check=True,
                )
        share = work / "share"
        share.mkdir()
        src = share / "big.bin"
        _write_file(src, size_bytes)
        inbox = work / "inbox"
        inbox.mkdir()
        out_dir = work / "out"
        out_dir.mkdir()
        out = out_dir / "got.bin"
        alice, bob, crl = _pki_setup(work)
        store, password = _eke_store(work)
        www = work / "www"
        www.mkdir()
        os.link(src, www / "big.bin")
        cert, key, root = bob / "cert.pem", bob / "key.pem", bob / "root.pem"
        listening = r"listening on (\S+)"
        with contextlib.ExitStack() as stack:
            servers: dict[str, _Server] = {}
            clients: dict[str, Callable[[_Server], dict[str, float]]] = {}
            for mode, label in (("raw", "raw_tcp"), ("tls", "python_ssl")):
                anchor = [py, "-c", _ANCHOR_SERVER, mode, str(src), str(cert), str(key)]
                servers[label] = stack.enter_context(_server(anchor, None, listening, env))
                for sink, target in (("file", out), ("null", Path(os.devnull))):

                    def anchor_client(s: _Server, mode: str = mode, target: Path = target) -> Any:
                        port = s.address.rsplit(":", 1)[1]
                        argv = [py, "-c", _ANCHOR_CLIENT, mode, port, str(target), str(root)]
                        return _measure(s, argv, out=target, size=size_bytes, env=env)

                    clients[f"{label}_{sink}"] = anchor_client
            if shutil.which("openssl"):
                tls13 = ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"]
                openssl = ["openssl", "s_server", "-accept", "0", "-WWW", *tls13]
                openssl += ["-cert", str(cert), "-key", str(key)]
                servers["openssl_www"] = stack.enter_context(
                    _server(openssl, www, r"ACCEPT .*:(\d+)", env)
                )
                request = b"GET /big.bin HTTP/1.0\r\n\r\n"
                for sink, target in (("file", out), ("null", Path(os.devnull))):

                    def openssl_client(s: _Server, target: Path = target) -> Any:
                        argv = ["openssl", "s_client", "-connect", s.address, "-quiet", *tls13]
                        return _measure(
                            s,
                            argv,
                            stdin=request,
                            stdout=target,
                            out=target,
                            size=size_bytes,
                            env=env,
                        )

                    clients[f"openssl_www_{sink}"] = openssl_client
            else:
                skipped["openssl_www_file"] = skipped["openssl_www_null"] = "no openssl"
            limit = str(max(size_bytes, 1) * 2)
            for suffix, tree in variants:
                # a baseline tree runs from its own directory (first on sys.path)
                tree_env = env if tree is None else {**env, "PYTHONPATH": str(tree)}
                peer = [py, "-m", "reference", "peer", "serve", "--id", str(bob)]
                peer += ["--listen", "127.0.0.1:0", "--share", str(share), "--inbox", str(inbox)]
                peer += ["--crl", str(crl), "--max-file-size", limit]
                servers["sft_get" + suffix] = stack.enter_context(
                    _server(peer, tree, listening, tree_env)
                )

                def sft_get(s: _Server, tree: Path | None = tree, tree_env: Any = tree_env) -> Any:
                    argv = [py, "-m", "reference", "get", "--id", str(alice), "--crl", str(crl)]
                    argv += ["-o", str(out), "--force", "-q", "--max-file-size", limit]
                    argv += [f"bob@{s.address}", "big.bin"]
                    return _measure(s, argv, out=out, size=size_bytes, env=tree_env, cwd=tree)

                clients["sft_get" + suffix] = sft_get
                eke = [py, "-m", "reference", "eke", "serve", "--store", str(store)]
                eke += ["--listen", "127.0.0.1:0", "--share", str(share), "--inbox", str(inbox)]
                eke += ["--max-file-size", limit]
                servers["sft_eke_get" + suffix] = stack.enter_context(
                    _server(eke, tree, listening, tree_env)
                )

                def sft_eke_get(
                    s: _Server, tree: Path | None = tree, tree_env: Any = tree_env
                ) -> Any:
                    argv = [py, "-m", "reference", "eke", "get", s.address, "big.bin"]
                    argv += ["-o", str(out), "--force", "--user", _USER, "--password-stdin"]
                    argv += ["--quiet"]
                    secret = password.encode() + b"\n"  # on stdin, never in argv
                    return _measure(
                        s, argv, stdin=secret, out=out, size=size_bytes, env=tree_env, cwd=tree
                    )

                clients["sft_eke_get" + suffix] = sft_eke_get
            for i in range(repeats):
                for name in names:
                    if name not in clients:
                        continue
                    server = servers[name if name.startswith("sft") else name.rsplit("_", 1)[0]]
                    print(f"transfer: {name} run {i + 1}/{repeats}", file=sys.stderr, flush=True)
                    try:
                        runs[name].append(clients[name](server))
                    except (RuntimeError, OSError) as exc:
                        skipped[name] = str(exc)[:200]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    commands: dict[str, Any] = {}
    for name, figures in runs.items():
        if not figures:
            commands[name] = {"skipped": skipped.get(name, "not run")}
            continue
        commands[name] = {
            key: round(statistics.median(f[key] for f in figures), 3) for key in figures[0]
        }
        commands[name]["mib_s_runs"] = [round(f["mib_s"], 1) for f in figures]
    return {
        "size_bytes": size_bytes,
        "repeats": repeats,
        "commands": commands,
        "cpus": os.cpu_count(),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.bench_transfer")
    parser.add_argument("--mb", type=int, default=512, help="MiB to transfer (default 512)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="TREE",
        help="also run sft get / sft eke get from this checkout, interleaved (before/after)",
    )
    args = parser.parse_args(argv)
    print(json.dumps(run(args.mb * _MiB, args.repeats, args.baseline), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
