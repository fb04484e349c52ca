"""Record loopback traffic of given TCP ports with dumpcap, completely or say why not.

Facts measured on this kind of machine (tshark/dumpcap 4.0.17, Debian 12) that
shape this module:

* dumpcap is capturing only once it has printed its ``File:`` line; traffic
  started earlier was lost in 20 of 20 runs. So `start()` waits for that line.
* dumpcap 4.0 has no immediate mode: packets still in the last, unfinished
  buffer block are silently lost at SIGINT unless ~0.5 s pass after the last
  packet (0.3 s kept them in 30/30 runs, 0.1 s in 9/20). That wait is a property
  of dumpcap's buffering, not a way to synchronise with the traffic (the traffic
  has ended when the command or callable returns); see `settle`.
* With the default 2 MiB buffer half the packets of a 100 MB loopback transfer
  were dropped; 64–256 MiB dropped none: we ask for 256 MiB (``-B 256``) and
  parse dumpcap's final "Packets received/dropped" line; any drop, or a missing
  line, makes the recording incomplete.
"""

from __future__ import annotations

__all__ = [
    "RecorderError",
    "CaptureRightsError",
    "RecorderConfig",
    "RecordResult",
    "Recording",
    "record",
    "capture_unavailable_reason",
]

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

_STATS = re.compile(rb"Packets received/dropped on interface '[^']*': (\d+)/(\d+)")
_RIGHTS = re.compile(
    rb"(permission|Operation not permitted|don't have permission|not permitted|"
    rb"You don't have|Couldn't run /usr/bin/dumpcap in child process)",
    re.IGNORECASE,
)


class RecorderError(Exception):
    """The capture could not be made; the message is one line a person can act on."""


class CaptureRightsError(RecorderError):
    """dumpcap is present but may not capture on the interface."""


@dataclass(frozen=True)
class RecorderConfig:
    ports: tuple[int, ...]
    out: Path
    interface: str = "lo"
    buffer_mib: int = 256
    # See the module docstring: dumpcap loses its last unfinished block without this.
    settle: float = 0.5
    start_timeout: float = 10.0
    stop_timeout: float = 20.0
    dumpcap: str = "dumpcap"
    extra_filter: str = ""

    def __post_init__(self) -> None:
        if not self.ports:
            raise RecorderError("give at least one --port to capture")
        for p in self.ports:
            if not 0 < p < 65536:
                raise RecorderError(f"port {p} is not a TCP port number (1-65535)")
        if self.buffer_mib < 1:
            raise RecorderError("the capture buffer must be at least 1 MiB")

    def capture_filter(self) -> str:
        ports = " or ".join(f"tcp port {p}" for p in self.ports)
        return f"({ports})" + (f" and ({self.extra_filter})" if self.extra_filter else "")


@dataclass(frozen=True)
class RecordResult:
    path: Path
    received: int | None
    dropped: int | None
    complete: bool
    reason: str  # why the capture is incomplete; "" when complete
    command_exit: int | None = None
    stderr: str = field(default="", repr=False)


def capture_unavailable_reason(dumpcap: str = "dumpcap") -> str | None:
    """None when dumpcap exists and may capture on lo; else why not (for pytest skips)."""
    if shutil.which(dumpcap) is None:
        return "dumpcap (tshark) is not installed: apt-get install --no-install-recommends tshark"
    if os.geteuid() == 0:
        return None
    getcap = shutil.which("getcap")
    path = shutil.which(dumpcap) or dumpcap
    if getcap is not None:
        out = subprocess.run([getcap, path], capture_output=True, text=True, check=False).stdout
        if "cap_net_raw" in out and "cap_net_admin" in out:
            return None
    return (
        "no capture rights: run as root, or give dumpcap cap_net_raw,cap_net_admin "
        "(dpkg-reconfigure wireshark-common, then add the user to the wireshark group)"
    )


class Recording:
    """`with Recording(config) as rec: ...traffic...` then `rec.result`.

    Entering starts dumpcap and returns only once it captures; leaving waits
    `settle` seconds, stops it with SIGINT and checks its counters.
    """

    def __init__(self, config: RecorderConfig) -> None:
        self.config = config
        self.result: RecordResult | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr = bytearray()
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None
        self._tmp = config.out.with_name(f".{config.out.name}.partial-{os.getpid()}.pcapng")

    def start(self) -> None:
        cfg = self.config
        exe = shutil.which(cfg.dumpcap)
        if exe is None:
            raise RecorderError(
                f"{cfg.dumpcap} not found: install tshark "
                "(apt-get install --no-install-recommends tshark)"
            )
        cfg.out.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            exe, "-i", cfg.interface, "-f", cfg.capture_filter(), "-B", str(cfg.buffer_mib),
            "-q", "-w", str(self._tmp),
        ]
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + cfg.start_timeout
        # Wait for the "File:" line (or for dumpcap to die), bounded by start_timeout.
        while not self._ready.wait(0.05):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                break
        if not self._ready.is_set():
            self._kill()
            if self._reader is not None:
                self._reader.join(2)
            text = bytes(self._stderr)
            self._tmp.unlink(missing_ok=True)
            msg = _last_line(text)
            if _RIGHTS.search(text):
                raise CaptureRightsError(
                    f"dumpcap may not capture on {cfg.interface} ({msg}): run as root, or "
                    "grant capture rights (setcap cap_net_raw,cap_net_admin+eip on dumpcap, "
                    "or the wireshark group)"
                )
            raise RecorderError(f"dumpcap did not start capturing on {cfg.interface}: {msg}")

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr += line
            if line.startswith(b"File:"):
                self._ready.set()

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(5)

    def stop(self, command_exit: int | None = None) -> RecordResult:
        cfg = self.config
        proc = self._proc
        if proc is None:
            raise RecorderError("the recording was not started")
        time.sleep(cfg.settle)  # dumpcap's last buffer block: see the module docstring
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(cfg.stop_timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        if self._reader is not None:
            self._reader.join(5)
        text = bytes(self._stderr)
        m = _STATS.search(text)
        received = int(m.group(1)) if m else None
        dropped = int(m.group(2)) if m else None
        reasons = []
        if m is None:
            reasons.append("dumpcap did not report its received/dropped counters")
        elif dropped:
            reasons.append(f"dumpcap dropped {dropped} of {received} packets")
        if proc.returncode not in (0, None):
            reasons.append(f"dumpcap exited with status {proc.returncode}: {_last_line(text)}")
        if self._tmp.exists():
            os.replace(self._tmp, cfg.out)
        else:
            reasons.append("dumpcap wrote no file")
        self.result = RecordResult(
            cfg.out, received, dropped, not reasons, "; ".join(reasons), command_exit,
            text.decode("utf-8", "replace"),
        )
        return self.result

    def __enter__(self) -> Recording:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._kill()
            self._tmp.unlink(missing_ok=True)
            return
        self.stop()


def record(
    config: RecorderConfig,
    action: Sequence[str] | Callable[[], object],
    timeout: float | None = None,
) -> RecordResult:
    """Record while `action` runs: an argv list (a command) or a callable (tests)."""
    rec = Recording(config)
    rec.start()
    exit_code: int | None = None
    try:
        if callable(action):
            action()
        else:
            try:
                exit_code = subprocess.run(list(action), check=False, timeout=timeout).returncode
            except FileNotFoundError as exc:
                raise RecorderError(f"cannot run {action[0]!r}: {exc.strerror}") from exc
    except BaseException:
        rec._kill()
        rec._tmp.unlink(missing_ok=True)
        raise
    return rec.stop(exit_code)


def _last_line(text: bytes) -> str:
    lines = [ln.strip() for ln in text.decode("utf-8", "replace").splitlines() if ln.strip()]
    lines = [ln for ln in lines if "could be dangerous" not in ln]
    return lines[-1] if lines else "no message"
