"""Capture-analysis benchmark: `python -m captures.bench [--mb 100] [--mb 1000]`.

For each size: records a TLS 1.3 loopback transfer of that many MB (Python `ssl`,
throwaway certificate) with dumpcap, then measures side by side

* `tshark -r F -q -Y tcp.len>0` — tshark's own dissection floor;
* the whole check (`check_capture` with the transferred file as a secret file and
  tshark facts), in a child process, with its peak RSS (VmHWM) and an upper bound
  for its children (the tshark/pyshark facts process);
* the check without tshark facts (the fast path alone).

Prints one JSON object per size. Not part of the default test run (needs capture
rights, ~1 min per 100 MB, and several GB of disk for 1 GB).

`--against OLD_TREE --workdir DIR [--rounds N]`: old code against this tree, alternating,
on recordings kept in DIR (made on the first run), each check beside its own floor.
"""

from __future__ import annotations

__all__ = ["main", "bench_size", "compare"]

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from captures.checker import CheckConfig, check_capture
from captures.secrets import Secret
cap, secret, facts = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1"
t = time.perf_counter()
# the transferred file is the secret, read through pread as `sft capture check` does
r = check_capture(CheckConfig(cap, (Secret.from_file(secret, "file"),), facts=facts))
# VmHWM is this process's own peak RSS; ru_maxrss would include the RSS of the parent
# at the time of the (v)fork that started us (Linux keeps it across exec)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM:"))
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"verdict": r.verdict, "seconds": time.perf_counter() - t,
                  "cpu_s": round(own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime, 2),
                  "timings": r.timings, "peak_rss_mib": round(hwm / 1024, 1),
                  "children_maxrss_mib_upper_bound":
                      round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}))
"""


_BLOCK = 4 * 1024 * 1024  # the payload is made, written and sent this much at a time


def _write_random_file(path: Path, size: int) -> None:
    with path.open("wb") as f:
        for done in range(0, size, _BLOCK):
            f.write(os.urandom(min(_BLOCK, size - done)))


def _record_transfer(workdir: Path, megabytes: int) -> tuple[Path, Path]:
    from captures.recorder import RecorderConfig, record
    from captures.tests.traffic import TlsSender, make_cert

    class FileSender(TlsSender):
        """TlsSender that streams a file block by block: the benchmark holds one
        block of the payload, not the whole transfer (1 GiB for --mb 1000)."""

        def __init__(self, path: Path, cert: Any) -> None:
            # a generous socket timeout: 1 GB through Python ssl on a busy 2-core machine
            super().__init__(b"", cert, timeout=600, keep=False)
            self.path = path

        def client(self, sock: socket.socket) -> None:
            with self.cctx.wrap_socket(sock, server_hostname="localhost") as tls, \
                    self.path.open("rb") as f:
                while block := f.read(_BLOCK):
                    tls.sendall(block)
                plain = tls.unwrap()  # close_notify both ways
                plain.shutdown(socket.SHUT_WR)
                plain.recv(1)

    cert = make_cert(workdir)
    size = megabytes * 1024 * 1024
    secret = workdir / "file.bin"
    _write_random_file(secret, size)
    sender = FileSender(secret, cert)
    result = record(RecorderConfig((sender.port,), workdir / "bench.pcapng"), sender.run)
    if not result.complete or sender.received_count != size:
        raise SystemExit(f"the benchmark capture is incomplete: {result.reason}")
    return result.path, secret


def _timed(argv: list[str]) -> tuple[float, dict[str, Any]]:
    """Wall time and the child's JSON (if any), with `process_cpu_s`: its CPU time and
    that of its children (on a shared machine the wall time depends on the load; CPU
    time much less)."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - t
    info: dict[str, Any] = {"process_cpu_s": round(usage.ru_utime + usage.ru_stime, 2)}
    if out.strip().startswith(b"{"):
        info.update(json.loads(out))
    return elapsed, info


def bench_size(megabytes: int, workdir: Path) -> dict[str, Any]:
    cap, secret = _record_transfer(workdir, megabytes)
    size_mb = cap.stat().st_size / 1e6
    tshark = shutil.which("tshark") or "tshark"
    floor, floor_info = _timed([tshark, "-r", str(cap), "-q", "-Y", "tcp.len>0"])
    full, full_info = _timed([sys.executable, "-c", _CHILD, str(cap), str(secret), "1"])
    fast, fast_info = _timed([sys.executable, "-c", _CHILD, str(cap), str(secret), "0"])
    return {
        "transfer_mb": megabytes,
        "capture_mb": round(size_mb, 1),
        "tshark_floor_s": round(floor, 2),
        "tshark_floor_mb_s": round(size_mb / floor, 1),
        "tshark_floor_cpu_s": floor_info["process_cpu_s"],
        "check_s": round(full, 2),
        "check_mb_s": round(size_mb / full, 1),
        "check_vs_floor": round(full / floor, 2),
        "check_cpu_s": full_info["process_cpu_s"],
        "check_cpu_vs_floor_cpu": round(full_info["process_cpu_s"]
                                        / max(floor_info["process_cpu_s"], 0.01), 2),
        "check": full_info,
        "fast_path_s": round(fast, 2),
        "fast_path_mb_s": round(size_mb / fast, 1),
        "fast_path_vs_floor": round(fast / floor, 2),
        "fast_path": fast_info,
    }


def compare(sizes: list[int], workdir: Path, old_tree: Path, rounds: int) -> None:
    """Old code against this tree on the same recordings (`workdir`/r<MB>/, recorded
    once, kept): per round and size, each tree's whole check (the child, with
    PYTHONPATH at that tree) beside its own `tshark -q -Y tcp.len>0`, the order of the
    trees alternating. One JSON line per check: its wall and CPU time against the
    floor's, measured the moment before (a shared machine's load moves within minutes)."""
    trees = {"old": str(old_tree), "new": str(Path(__file__).resolve().parent.parent)}
    tshark = shutil.which("tshark") or "tshark"
    recordings = {}
    for mb in sizes:
        here = workdir / f"r{mb}"
        cap, secret = here / "bench.pcapng", here / "file.bin"
        if not (cap.exists() and secret.exists()):
            here.mkdir(parents=True, exist_ok=True)
            cap, secret = _record_transfer(here, mb)
        recordings[mb] = (cap, secret)
    for r in range(rounds):
        for mb, (cap, secret) in recordings.items():
            for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
                floor, floor_info = _timed([tshark, "-r", str(cap), "-q", "-Y", "tcp.len>0"])
                env = dict(os.environ, PYTHONPATH=trees[name])
                t = time.perf_counter()
                out = subprocess.run([sys.executable, "-c", _CHILD, str(cap), str(secret), "1"],
                                     capture_output=True, env=env, cwd=workdir, check=True)
                wall = time.perf_counter() - t
                info = json.loads(out.stdout)
                print(json.dumps({
                    "round": r, "transfer_mb": mb, "tree": name, "load": os.getloadavg()[0],
                    "tshark_floor_s": round(floor, 2), "tshark_floor_cpu_s":
                    floor_info["process_cpu_s"], "check_s": round(wall, 2),
                    "check_cpu_s": info["cpu_s"], "check_vs_floor": round(wall / floor, 2),
                    "check_cpu_vs_floor_cpu": round(
                        info["cpu_s"] / max(floor_info["process_cpu_s"], 0.01), 2),
                    "verdict": info["verdict"], "peak_rss_mib": info["peak_rss_mib"],
                }), flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m captures.bench", description=__doc__)
    ap.add_argument("--mb", type=int, action="append", help="transfer size (default 100)")
    ap.add_argument("--workdir", type=Path, help="where captures go (default a temp dir)")
    ap.add_argument("--against", type=Path, metavar="TREE",
                    help="compare with the code in TREE (a copy of the source tree, the "
                    "directory that holds its captures/), alternating, on recordings kept "
                    "in --workdir (made once)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of --against (default 3)")
    args = ap.parse_args(argv)
    from captures.recorder import capture_unavailable_reason

    if args.against is not None:
        if args.workdir is None:
            ap.error("--against needs --workdir (where the recordings are kept)")
        if not (args.against / "captures" / "checker.py").exists():
            ap.error(f"{args.against} holds no captures/checker.py")
    reason = capture_unavailable_reason()
    if reason is not None:
        print(f"captures.bench: {reason}", file=sys.stderr)
        return 2
    if args.against is not None:
        compare(args.mb or [100], args.workdir, args.against, args.rounds)
        return 0
    for mb in args.mb or [100]:
        with tempfile.TemporaryDirectory(prefix="sft-bench-", dir=args.workdir) as tmp:
            print(json.dumps(bench_size(mb, Path(tmp))), flush=True)
    print(json.dumps({"bench_process_maxrss_mib":
                      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
