"""Protocol facts read by tshark's dissectors through pyshark, in a subprocess.

What the protocol *says* — TLS version and cipher suite negotiated, whether
certificates or names travel in clear, HTTP in clear, sft frames visible — comes
from tshark's dissectors (and captures/sft.lua for sft frames), not from our own
parsers. pyshark 0.6 runs its own asyncio loop, fights a running one and can
ignore SIGINT, so it runs in a child process (`python -m captures.facts`) that
prints one JSON object; the parent enforces a timeout. The child can be started
ahead of its job (`FactsChild`): it imports pyshark while the checker reassembles,
then reads the job from stdin; and it spares pyshark its `tshark -v` (see
`_prepare`). On a 100 MB capture the facts took ~1.6 s after reassembly before.
Only the packets matching the display filter are parsed by pyshark, so its slow
per-packet parsing costs little; tshark itself still dissects every packet
(bounded by `max_packets`, because the handshake facts are at the start of each
connection).
"""

from __future__ import annotations

__all__ = ["FACTS_SCHEMA_VERSION", "LUA_SCRIPT", "FactsChild", "collect_facts", "main"]

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

FACTS_SCHEMA_VERSION = 1
LUA_SCRIPT = Path(__file__).with_name("sft.lua")
_MAX_ITEMS = 500  # bound on the sft frames listed


class FactsChild:
    """The facts child process, started before its job is known (see the module doc)."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "captures.facts", "--job-from-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )

    def collect(
        self,
        capture: Path,
        tls_ports: list[int],
        sft_ports: list[int],
        timeout: float = 120.0,
        max_packets: int = 50_000,
    ) -> dict[str, Any]:
        """Hand the child its capture; its facts, or {"error": "..."} (never raises for
        tshark)."""
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
        """Stop the child if it is still running (no job after all, or a timeout)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.communicate()


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
