"""sft-pki/1 benchmark figures, for `python -m reference.bench` (or run this module).

`run(size_bytes)` returns, measured in the same run on loopback:

* a get of `size_bytes` through the reference: `sft peer serve` (a subprocess) to a
  client process running `PkiSession.get` — MB/s, and the peak RSS (VmHWM) of both;
* the same bytes over TLS 1.3 AES-256-GCM with `openssl s_server -WWW` and
  `openssl s_client` (what a user would reach for);
* raw loopback TCP with 1 MiB buffers (the machine's ceiling), and Python's own
  `ssl` with 1 MiB writes (the ceiling for any Python TLS peer);
* the ratios, and the median latency of "connect + TLS handshake + 1-byte get".

Files live in /dev/shm when it exists, so the disk is not what is measured (the
receiver still fsyncs, as the spec asks). Certificates are made for the run; nothing
secret is printed. Kernel TLS: `ssl.OP_ENABLE_KTLS` exists from Python 3.12 only;
the figures say whether it was available.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from reference.pki.ca import CertificateAuthority, generate_key, issue_employee, private_key_pem
from reference.pki.tls import Identity

__all__ = ["main", "run"]

_MiB = 1024 * 1024
_TIMEOUT = 600.0

# The client side runs in its own process so that its RSS is its own.
_CLIENT = r"""
import json, sys, time, statistics
from pathlib import Path
from reference.pki.client import ClientConfig, PkiSession
from reference.pki.tls import Identity, client_context
ident, target, name, out, crl_path, rounds = sys.argv[1:7]
identity, crl = Identity(Path(ident)), Path(crl_path).read_bytes()
ctx = client_context(identity, crl)  # once per process, as a long-lived client would
result = {}
if int(rounds):
    lat = []
    for _ in range(int(rounds)):
        t0 = time.perf_counter()
        with PkiSession(identity, target, ClientConfig(), context=ctx) as s:
            s.get("one-byte", Path(out + ".1"), overwrite=True)
        lat.append(time.perf_counter() - t0)
    result["latency_ms"] = [round(x * 1000, 3) for x in lat]
with PkiSession(identity, target, ClientConfig(), context=ctx) as s:
    t0 = time.perf_counter()
    size = s.get(name, Path(out), overwrite=True)
    result["seconds"] = time.perf_counter() - t0
    result["bytes"] = size
status = Path("/proc/self/status").read_text()
result["hwm_kib"] = int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM")))
print(json.dumps(result))
"""


def _work_dir() -> Path:
    shm = Path("/dev/shm")  # noqa: S108 - a private mkdtemp inside it, for RAM-backed files
    return Path(tempfile.mkdtemp(prefix="sft-bench-pki-", dir=shm if shm.is_dir() else None))


def _write_file(path: Path, size: int) -> None:
    block = os.urandom(_MiB)
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n


def _identity(ca: CertificateAuthority, alias: str, directory: Path) -> Identity:
    directory.mkdir()
    key = generate_key()
    cert = issue_employee(ca.root_key, ca.root, alias, key.public_key())
    (directory / "key.pem").write_bytes(private_key_pem(key))
    os.chmod(directory / "key.pem", 0o600)
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "root.pem").write_bytes(ca.root_pem())
    return Identity(directory)


def _hwm_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    kib = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    return round(kib / 1024, 1)


def _mbps(size: int, seconds: float) -> float:
    return round(size / seconds / 1e6, 1)


def _reference(work: Path, size: int, rounds: int) -> dict[str, Any]:
    ca = CertificateAuthority.init(work / "ca", org="Bench Org")
    alice = _identity(ca, "alice", work / "id-alice")
    bob = _identity(ca, "bob", work / "id-bob")
    crl = work / "crl.der"
    crl.write_bytes(ca.crl().public_bytes(serialization.Encoding.DER))
    ca.close()
    share, inbox = work / "share", work / "inbox"
    share.mkdir()
    inbox.mkdir()
    _write_file(share / "big.bin", size)
    (share / "one-byte").write_bytes(b"x")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reference",
            "peer",
            "serve",
            "--id",
            str(bob.directory),
            "--listen",
            "127.0.0.1:0",
            "--share",
            str(share),
            "--inbox",
            str(inbox),
            "--crl",
            str(crl),
            "--max-file-size",
            str(max(size, 1) * 2),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the peer did not start: {line!r}")
        target = "bob@" + line.removeprefix("listening on ").strip()
        out = work / "got.bin"
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                _CLIENT,
                str(alice.directory),
                target,
                "big.bin",
                str(out),
                str(crl),
                str(rounds),
            ],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=True,
        )
        result = json.loads(child.stdout)
        server_hwm = _hwm_mib(server.pid)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    if out.stat().st_size != size:
        raise RuntimeError("the reference get did not deliver every byte")
    out.unlink()
    (share / "big.bin").unlink()
    lat = result.get("latency_ms", [])
    return {
        "mbps": _mbps(size, result["seconds"]),
        "seconds": round(result["seconds"], 3),
        "responder_peak_rss_mib": server_hwm,
        "initiator_peak_rss_mib": round(result["hwm_kib"] / 1024, 1),
        "handshake_1byte_get_median_ms": round(statistics.median(lat), 2) if lat else None,
        "handshake_1byte_get_rounds": len(lat),
    }


def _openssl(work: Path, size: int) -> dict[str, Any]:
    if shutil.which("openssl") is None:
        return {"skipped": "openssl is not installed"}
    ca = CertificateAuthority(work / "ca")
    ident = Identity(work / "id-bob")
    www = work / "www"
    www.mkdir()
    _write_file(www / "big.bin", size)
    ca.close()
    server = subprocess.Popen(
        [
            "openssl",
            "s_server",
            "-accept",
            "0",
            "-WWW",
            "-tls1_3",
            "-ciphersuites",
            "TLS_AES_256_GCM_SHA384",
            "-cert",
            str(ident.cert),
            "-key",
            str(ident.key),
        ],
        cwd=www,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = None
        for _ in range(20):
            match = re.search(r"ACCEPT .*:(\d+)", server.stdout.readline())
            if match:
                port = int(match[1])
                break
        if port is None:
            return {"skipped": "openssl s_server did not report its port"}
        t0 = time.perf_counter()
        client = subprocess.run(
            [
                "openssl",
                "s_client",
                "-connect",
                f"127.0.0.1:{port}",
                "-quiet",
                "-tls1_3",
                "-ciphersuites",
                "TLS_AES_256_GCM_SHA384",
            ],
            input=b"GET /big.bin HTTP/1.0\r\n\r\n",
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=_TIMEOUT,
            check=False,
        )
        seconds = time.perf_counter() - t0
        received = len(client.stdout)
    finally:
        server.terminate()
        server.communicate(timeout=30)
        (www / "big.bin").unlink()
    if received < size:
        return {"skipped": f"openssl delivered {received} of {size} bytes"}
    return {"mbps": _mbps(size, seconds), "seconds": round(seconds, 3)}


def _pump(size: int, wrap_server: Any = None, wrap_client: Any = None) -> float:
    """Sends `size` bytes over loopback TCP (optionally TLS) with 1 MiB buffers."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    block = memoryview(bytearray(_MiB))

    def serve() -> None:
        conn, _ = listener.accept()
        sock = wrap_server(conn) if wrap_server else conn
        left = size
        while left:
            n = min(left, _MiB)
            sock.sendall(block[:n])
            left -= n
        sock.close()

    thread = threading.Thread(target=serve)
    thread.start()
    raw = socket.create_connection(("127.0.0.1", port))
    sock = wrap_client(raw) if wrap_client else raw
    buf = memoryview(bytearray(_MiB))
    t0 = time.perf_counter()
    got = 0
    while got < size:
        n = sock.recv_into(buf)
        if not n:
            break
        got += n
    seconds = time.perf_counter() - t0
    sock.close()
    thread.join(_TIMEOUT)
    listener.close()
    if got != size:
        raise RuntimeError(f"loopback pump delivered {got} of {size} bytes")
    return seconds


def _python_tls(work: Path, size: int) -> float:
    ident = Identity(work / "id-bob")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    server_ctx.load_cert_chain(ident.cert, ident.key)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    client_ctx.check_hostname = False
    client_ctx.load_verify_locations(cafile=str(ident.root))
    return _pump(
        size,
        lambda s: server_ctx.wrap_socket(s, server_side=True),
        lambda s: client_ctx.wrap_socket(s),
    )


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    return round(float(statistics.median(r[key] for r in runs)), 2)


def run(size_bytes: int = 1 << 30, latency_rounds: int = 30, repeats: int = 3) -> dict[str, Any]:
    """The figures, as medians over `repeats` interleaved rounds (load noise spreads evenly)."""
    work = _work_dir()
    refs: list[dict[str, Any]] = []
    ossl: list[dict[str, Any]] = []
    raws: list[float] = []
    pys: list[float] = []
    try:
        for i in range(repeats):
            round_dir = work / f"round-{i}"
            round_dir.mkdir()
            refs.append(_reference(round_dir, size_bytes, latency_rounds if i == 0 else 0))
            ossl.append(_openssl(round_dir, size_bytes))
            raws.append(_mbps(size_bytes, _pump(size_bytes)))
            pys.append(_mbps(size_bytes, _python_tls(round_dir, size_bytes)))
            shutil.rmtree(round_dir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    reference = {
        "mbps": _median_of(refs, "mbps"),
        "mbps_runs": [r["mbps"] for r in refs],
        "responder_peak_rss_mib": max(r["responder_peak_rss_mib"] for r in refs),
        "initiator_peak_rss_mib": max(r["initiator_peak_rss_mib"] for r in refs),
        "handshake_1byte_get_median_ms": refs[0]["handshake_1byte_get_median_ms"],
        "handshake_1byte_get_rounds": refs[0]["handshake_1byte_get_rounds"],
    }
    ok_ossl = [o for o in ossl if "mbps" in o]
    openssl: dict[str, Any] = (
        {"mbps": _median_of(ok_ossl, "mbps"), "mbps_runs": [o["mbps"] for o in ok_ossl]}
        if ok_ossl
        else ossl[0]
    )
    raw = round(statistics.median(raws), 1)
    python_tls = round(statistics.median(pys), 1)
    figures: dict[str, Any] = {
        "profile": "sft-pki/1",
        "size_bytes": size_bytes,
        "repeats": repeats,
        "reference_get": reference,
        "openssl_s_server_www": openssl,
        "raw_tcp_1mib_mbps": raw,
        "raw_tcp_1mib_runs": raws,
        "python_ssl_1mib_mbps": python_tls,
        "python_ssl_1mib_runs": pys,
        "ratio_vs_raw_tcp": round(reference["mbps"] / raw, 3),
        "ratio_vs_python_ssl": round(reference["mbps"] / python_tls, 3),
        "ktls_available": hasattr(ssl, "OP_ENABLE_KTLS") and _kernel_tls_ulp(),
        "openssl_version": ssl.OPENSSL_VERSION,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }
    if "mbps" in openssl:
        figures["ratio_vs_openssl"] = round(reference["mbps"] / openssl["mbps"], 2)
    figures["goals"] = {
        "ratio_vs_openssl>=2.5": figures.get("ratio_vs_openssl", 0) >= 2.5,
        "ratio_vs_raw>=0.35": figures["ratio_vs_raw_tcp"] >= 0.35,
        "peak_rss<=64MiB": max(
            reference["responder_peak_rss_mib"], reference["initiator_peak_rss_mib"]
        )
        <= 64,
        "latency<=10ms": (reference["handshake_1byte_get_median_ms"] or 1e9) <= 10,
    }
    return figures


def _kernel_tls_ulp() -> bool:
    """Whether the kernel offers the TLS upper-layer protocol (needed for kTLS)."""
    try:
        return "tls" in Path("/proc/sys/net/ipv4/tcp_available_ulp").read_text().split()
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--size", type=int, default=1 << 30, help="bytes to transfer (default 1 GiB)"
    )
    parser.add_argument("--rounds", type=int, default=30, help="handshake + 1-byte get rounds")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (medians)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.size, args.rounds, args.repeats), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
