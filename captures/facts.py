"""Protocol facts read by tshark's dissectors: tshark's field output, pyshark as fallback.

What the protocol *says* — TLS version and cipher suite negotiated, whether
certificates or names travel in clear, HTTP in clear, sft frames visible — comes
from tshark's dissectors (and captures/sft.lua for sft frames), not from our own
parsers. `FactsChild.collect` runs tshark itself with `-T fields` (the fields it
needs, control characters as separators) and reads its lines: one tshark start-up is
all the facts cost. Should that run fail (a tshark that lacks one of the fields), the
facts come from pyshark as before: pyshark 0.6 runs its own asyncio loop, fights a
running one and can ignore SIGINT, so it runs in a child process (`python -m
captures.facts`) that prints one JSON object; the parent enforces a timeout, and the
child spares pyshark its `tshark -v` (see `_prepare`). Both give the same schema:
one TLS entry per packet (fields of several records in one packet together) with
tshark's fields, per TLS layer with pyshark. Only the packets matching the display
filter are printed; tshark itself still dissects every packet (bounded by
`max_packets`, because the handshake facts are at the start of each connection).
"""

from __future__ import annotations

__all__ = ["FACTS_SCHEMA_VERSION", "LUA_SCRIPT", "FactsChild", "collect_facts", "main"]

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FACTS_SCHEMA_VERSION = 1
LUA_SCRIPT = Path(__file__).with_name("sft.lua")
_MAX_ITEMS = 500  # bound on the sft frames listed


class FactsChild:
    """The facts of one capture: tshark's own field output (`_fields_argv`, read by
    `_parse_fields` in this process); should that run fail (a tshark that lacks a
    field), the pyshark child process (`python -m captures.facts`), as before.

    tshark alone is what the facts cost: one start-up, ~0.3 s of CPU. The pyshark child
    added a Python start-up, pyshark's import, its asyncio loop and PDML parsing: on
    the digest of a 100 MB transfer, 2.0 s of wall time against 1.3 s for tshark alone
    on a loaded machine, and the child's CPU on top."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._cancelled = False
        self._started = False

    def start(
        self, capture: Path, tls_ports: list[int], sft_ports: list[int],
        max_packets: int = 50_000,
    ) -> None:
        """Start tshark on the capture now; `collect` (with the same job) waits for it.

        A process that forks (the checker's scanning workers) must fork from the thread
        that calls this (or before): a child forked while another thread is in `Popen`
        inherits the write end of tshark's output pipe, and the read never ends. The
        same holds for `collect` when it falls back to the pyshark child.
        """
        self._started = True
        try:
            self._proc = subprocess.Popen(_fields_argv(capture, tls_ports, sft_ports, max_packets),
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except (OSError, ValueError):
            self._proc = None

    def collect(
        self,
        capture: Path,
        tls_ports: list[int],
        sft_ports: list[int],
        timeout: float = 120.0,
        max_packets: int = 50_000,
    ) -> dict[str, Any]:
        """The capture's facts, or {"error": "..."} (never raises for tshark)."""
        deadline = time.monotonic() + timeout
        if not self._started:
            self.start(capture, tls_ports, sft_ports, max_packets)
        try:
            if self._proc is None:
                raise OSError("tshark did not start")
            out, _err = self._proc.communicate(timeout=timeout)
            if self._proc.returncode == 0:
                return _parse_fields(out, bool(sft_ports), max_packets)
        except subprocess.TimeoutExpired:
            self.cancel()
            return {"error": f"tshark did not finish within {timeout:.0f} s"}
        except (OSError, ValueError):
            pass
        if self._cancelled:
            return {"error": "cancelled"}
        return self._collect_with_pyshark(capture, tls_ports, sft_ports,
                                          max(deadline - time.monotonic(), 1.0), max_packets)

    def _collect_with_pyshark(
        self, capture: Path, tls_ports: list[int], sft_ports: list[int], timeout: float,
        max_packets: int,
    ) -> dict[str, Any]:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "captures.facts", "--job-from-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        job = {"capture": str(capture), "tls_ports": tls_ports, "sft_ports": sft_ports,
               "max_packets": max_packets}
        try:
            out, err = self._proc.communicate((json.dumps(job) + "\n").encode(), timeout)
        except subprocess.TimeoutExpired:
            self.cancel()
            return {"error": f"tshark/pyshark did not finish within {timeout:.0f} s"}
        try:
            facts: dict[str, Any] = json.loads(out.decode("utf-8", "replace") or "{}")
        except json.JSONDecodeError:
            facts = {}
        if self._proc.returncode != 0 or not facts:
            last = err.decode("utf-8", "replace").strip().splitlines()
            return {"error": "pyshark failed: "
                    + (last[-1] if last else f"exit {self._proc.returncode}")}
        return facts

    def cancel(self) -> None:
        """Stop tshark (or the child) if it is still running (a timeout, or no job)."""
        self._cancelled = True
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.communicate()


# tshark's fields, one line per packet, in this order; several values of one field
# (several records or certificates in a packet) joined by _AGGREGATOR. Control
# characters as separators: names in certificates may hold commas and tabs.
_FIELDS = (
    "frame.number", "tcp.stream", "tcp.srcport", "tcp.dstport",
    "tls.handshake.type", "tls.handshake.ciphersuite",
    "tls.handshake.extensions.supported_version", "tls.handshake.version",
    "tls.handshake.extensions_alpn_str", "tls.handshake.extensions_server_name",
    "tls.handshake.certificate_length", "x509sat.uTF8String", "x509sat.printableString",
    "x509ce.dNSName", "tls.alert_message.desc",
    "http.request.method", "http.request.uri", "http.request.version",
    "http.response.version", "http.response.code", "http.response.phrase",
)
_SFT_FIELDS = ("sft.type", "sft.length")  # only with captures/sft.lua loaded
_SEPARATOR = "\x1f"
_AGGREGATOR = "\x1e"


def _fields_argv(
    capture: Path, tls_ports: list[int], sft_ports: list[int], max_packets: int
) -> list[str]:
    argv = [shutil.which("tshark") or "tshark", "-n", "-r", str(capture),
            "-c", str(max_packets)]
    flt = "tls.handshake or http or tls.alert_message"
    fields = list(_FIELDS)
    if sft_ports:
        argv += ["-X", f"lua_script:{LUA_SCRIPT}",
                 "-X", "lua_script1:ports=" + ",".join(str(p) for p in sft_ports)]
        flt += " or sft"
        fields += _SFT_FIELDS
    for p in tls_ports:
        argv += ["-d", f"tcp.port=={p},tls"]
    argv += ["-Y", flt, "-T", "fields", "-E", f"separator={_SEPARATOR}",
             "-E", f"aggregator={_AGGREGATOR}", "-E", "occurrence=a"]
    for f in fields:
        argv += ["-e", f]
    return argv


def _parse_fields(out: bytes, with_sft: bool, max_packets: int) -> dict[str, Any]:
    """The facts (the schema `_read` gives through pyshark) from tshark's field lines:
    one TLS entry per packet that carries TLS handshake or alert fields."""
    names = list(_FIELDS) + (list(_SFT_FIELDS) if with_sft else [])
    tls: list[dict[str, Any]] = []
    http: list[dict[str, Any]] = []
    frames: list[dict[str, Any]] = []
    frame_counts: dict[str, int] = {}
    # split on newlines only: str.splitlines() would also split on the aggregator
    for line in out.decode("utf-8", "replace").split("\n"):
        if not line.strip("\r"):
            continue
        cells = line.rstrip("\r").split(_SEPARATOR)
        if len(cells) != len(names):
            raise ValueError(f"tshark printed {len(cells)} fields, not {len(names)}")
        v = {n: [x for x in c.split(_AGGREGATOR) if x] for n, c in zip(names, cells,
                                                                      strict=True)}
        where = {
            "packet": int(v["frame.number"][0]),
            "tcp_stream": int(v["tcp.stream"][0]) if v["tcp.stream"] else -1,
            "src_port": int(v["tcp.srcport"][0]) if v["tcp.srcport"] else 0,
            "dst_port": int(v["tcp.dstport"][0]) if v["tcp.dstport"] else 0,
        }
        if v["tls.handshake.type"] or v["tls.alert_message.desc"]:
            tls.append({
                **where,
                "handshake_types": v["tls.handshake.type"],
                "cipher_suites": v["tls.handshake.ciphersuite"],
                "supported_versions": v["tls.handshake.extensions.supported_version"],
                "handshake_version": v["tls.handshake.version"],
                "alpn": v["tls.handshake.extensions_alpn_str"],
                "server_name": v["tls.handshake.extensions_server_name"],
                "certificates_in_clear": len(v["tls.handshake.certificate_length"]),
                "names_in_clear": sorted(set(v["x509sat.uTF8String"]
                                             + v["x509sat.printableString"]
                                             + v["x509ce.dNSName"])),
                "alert": v["tls.alert_message.desc"],
            })
        request = v["http.request.method"] + v["http.request.uri"] + v["http.request.version"]
        response = (v["http.response.version"] + v["http.response.code"]
                    + v["http.response.phrase"])
        if request or response:
            http.append({**where, "line": " ".join(request or response)})
        for t, n in zip(v.get("sft.type", []), v.get("sft.length", []), strict=False):
            frame_counts[t] = frame_counts.get(t, 0) + 1
            if len(frames) < _MAX_ITEMS:
                frames.append({**where, "type": t, "length": int(n)})
    return {
        "schema": FACTS_SCHEMA_VERSION,
        "max_packets": max_packets,
        "tls": tls,
        "http": http,
        "sft_frames": frames,
        "sft_frame_counts": frame_counts,
    }


def collect_facts(
    capture: Path,
    tls_ports: list[int],
    sft_ports: list[int],
    timeout: float = 120.0,
    max_packets: int = 50_000,
) -> dict[str, Any]:
    """Run the child and return its facts, or {"error": "..."} (never raises for tshark)."""
    return FactsChild().collect(capture, tls_ports, sft_ports, timeout, max_packets)


# pyshark runs `tshark -v` (a whole tshark start-up: 0.28 s of CPU, as much as the
# dissection of 100 MB of bulk) before every capture, and with PDML output, which is
# what we ask for, it uses the answer for one thing only: -Y (tshark >= 1.10, 2013)
# rather than -R for the display filter. So we answer "1.10" ourselves; should the
# run fail (a tshark older than that), it is retried once with tshark's real answer.
_DISPLAY_FILTER_Y_SINCE = "1.10.0"


def _prepare() -> Callable[[], None]:
    """Import pyshark before the job arrives and spare it the version question; return
    what puts the question back."""
    import pyshark.capture.capture as capture_module
    from packaging import version

    asked = capture_module.get_tshark_version
    known = version.parse(_DISPLAY_FILTER_Y_SINCE)
    capture_module.get_tshark_version = lambda tshark_path=None: known

    def restore() -> None:
        capture_module.get_tshark_version = asked

    return restore


def _values(layer: Any, name: str) -> list[str]:
    field = layer.get_field(name)
    if field is None:
        return []
    fields = getattr(field, "all_fields", None) or [field]
    return [str(getattr(f, "show", f)) for f in fields]


def _read(
    capture: str, tls_ports: list[int], sft_ports: list[int], max_packets: int
) -> dict[str, Any]:
    import pyshark  # imported here: only the child process needs it

    params = ["-c", str(max_packets)]
    if sft_ports:
        params += [
            "-X", f"lua_script:{LUA_SCRIPT}",
            "-X", "lua_script1:ports=" + ",".join(str(p) for p in sft_ports),
        ]
    decode_as = {f"tcp.port=={p}": "tls" for p in tls_ports}
    flt = "tls.handshake or http or tls.alert_message"
    if sft_ports:
        flt += " or sft"
    cap = pyshark.FileCapture(
        capture,
        display_filter=flt,
        decode_as=decode_as or None,
        custom_parameters=params,
        keep_packets=False,
    )
    tls: list[dict[str, Any]] = []
    http: list[dict[str, Any]] = []
    frames: list[dict[str, Any]] = []
    frame_counts: dict[str, int] = {}
    try:
        for pkt in cap:
            number = int(pkt.number)
            tcp = pkt.tcp
            where = {
                "packet": number,
                "tcp_stream": int(tcp.stream),
                "src_port": int(tcp.srcport),
                "dst_port": int(tcp.dstport),
            }
            for layer in pkt.get_multiple_layers("tls"):
                types = _values(layer, "handshake_type")
                certs = _values(layer, "handshake_certificate")
                names = (
                    _values(layer, "x509sat_uTF8String")
                    + _values(layer, "x509sat_printableString")
                    + _values(layer, "x509ce_dNSName")
                )
                entry = {
                    **where,
                    "handshake_types": types,
                    "cipher_suites": _values(layer, "handshake_ciphersuite"),
                    "supported_versions": _values(
                        layer, "handshake_extensions_supported_version"
                    ),
                    "handshake_version": _values(layer, "handshake_version"),
                    "alpn": _values(layer, "handshake_extensions_alpn_str"),
                    "server_name": _values(layer, "handshake_extensions_server_name"),
                    "certificates_in_clear": len(certs),
                    "names_in_clear": sorted(set(names)),
                    "alert": _values(layer, "alert_message_desc"),
                }
                tls.append(entry)
            if "HTTP" in pkt:
                h = pkt.http
                http.append({**where, "line": str(getattr(h, "_ws_expert_message", "")
                                                   or h.get_field_value("request_line")
                                                   or h.get_field_value("response_line")
                                                   or "HTTP")})
            for layer in pkt.get_multiple_layers("sft"):
                types = _values(layer, "type")
                lengths = _values(layer, "length")
                for t, n in zip(types, lengths, strict=False):
                    frame_counts[t] = frame_counts.get(t, 0) + 1
                    if len(frames) < _MAX_ITEMS:
                        frames.append({**where, "type": t, "length": int(n)})
    finally:
        cap.close()
    return {
        "schema": FACTS_SCHEMA_VERSION,
        "max_packets": max_packets,
        "tls": tls,
        "http": http,
        "sft_frames": frames,
        "sft_frame_counts": frame_counts,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m captures.facts")
    ap.add_argument("capture", nargs="?")
    ap.add_argument("--tls-port", type=int, action="append", default=[])
    ap.add_argument("--sft-port", type=int, action="append", default=[])
    ap.add_argument("--max-packets", type=int, default=50_000)
    ap.add_argument("--job-from-stdin", action="store_true",
                    help="get ready, then read the job as one JSON line on stdin")
    args = ap.parse_args(argv)
    if args.capture is None and not args.job_from_stdin:
        ap.error("a capture, or --job-from-stdin")
    try:
        restore = _prepare()
        if args.job_from_stdin:
            line = sys.stdin.readline()
            if not line:
                return 0  # the parent had no job for us after all
            job = json.loads(line)
            args.capture, args.tls_port = job["capture"], job["tls_ports"]
            args.sft_port, args.max_packets = job["sft_ports"], job["max_packets"]
        try:
            facts = _read(args.capture, args.tls_port, args.sft_port, args.max_packets)
        except Exception:  # any failure: once more, as pyshark alone would have run it
            restore()
            facts = _read(args.capture, args.tls_port, args.sft_port, args.max_packets)
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    json.dump(facts, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
