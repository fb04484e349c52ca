"""Render a CheckReport as JSON (captures/REPORT-SCHEMA.md), Markdown, or one HTML page.

The HTML page is self-contained (inline CSS and SVG, no script, no external
resource): verdict first, then findings (offset, secret, hex/ASCII excerpt),
then per stream a ladder diagram of frames over time and an entropy plot per
direction.
"""

from __future__ import annotations

__all__ = ["REPORT_SCHEMA_VERSION", "to_json", "to_markdown", "to_html"]

import html
import json
from typing import Any

from captures.checker import CheckReport, DirectionReport, Finding, StreamReport

REPORT_SCHEMA_VERSION = 1
_COLOURS = {"clean": "#1b7f3b", "leak": "#b3261e", "incomplete": "#a86b00"}


def to_json(report: CheckReport) -> str:
    data: dict[str, Any] = {"schema": REPORT_SCHEMA_VERSION, **report.to_dict()}
    return json.dumps(data, indent=1, sort_keys=False)


def _where(f: Finding) -> str:
    parts = []
    if f.stream is not None:
        parts.append(f"stream {f.stream}")
    if f.direction:
        parts.append(f.direction)
    if f.offset is not None:
        parts.append(f"byte {f.offset}")
    if f.packet is not None:
        parts.append(f"packet {f.packet} +{f.packet_offset}")
    return ", ".join(parts)


def to_markdown(report: CheckReport) -> str:
    r = report
    lines = [
        f"# Capture check: **{r.verdict.upper()}** (exit {r.exit_code})",
        "",
        f"{r.summary}",
        "",
        f"- capture: `{r.capture}` ({r.format}, {r.packets} packets, {r.capture_bytes} bytes)",
        f"- profile: {r.profile}; interface statistics: {r.interface_stats or 'none'}",
        "- secrets searched: "
        + (", ".join(f"{s['name']} ({s['bytes']} B)" for s in r.secrets) or "none"),
        "",
        "## Findings",
        "",
    ]
    if not r.findings:
        lines.append("None.")
    for f in r.findings:
        lines.append(f"- **{f.severity}** [{f.kind}] {f.message}"
                     + (f" (violates {', '.join(f.requirements)})" if f.requirements else "")
                     + (f" — {_where(f)}" if _where(f) else ""))
        if f.excerpt_hex:
            lines.append(f"  - at byte {f.excerpt_offset}: `{f.excerpt_hex}`")
            lines.append(f"  - ASCII: `{(f.excerpt_ascii or '').replace('`', '.')}`")
    if r.attacks:
        lines += ["", "## Offline dictionary attack", ""]
        for a in r.attacks:
            lines.append(
                f"- stream {a['stream']} ({a['protocol']}): "
                + ("guesses testable offline" if a["testable"] else "no guess testable")
                + (f"; recovered {a['recovered']!r} ({a['source']})" if a["recovered"] else "")
                + f". {a['explanation']}"
            )
    lines += ["", "## Streams", ""]
    for s in r.streams:
        lines.append(f"### Stream {s.index}: {s.protocol}, {s.initiator} → {s.responder}"
                     + ("" if s.complete else " (incomplete)"))
        lines.append("")
        lines.append("| direction | bytes | packets | SYN | FIN | RST | holes | channel from | "
                     "frames/records |")
        lines.append("|---|---:|---:|:-:|:-:|:-:|---:|---:|---|")
        for d in (s.forward, s.backward):
            counts = ", ".join(f"{k}×{v}" for k, v in sorted(d.unit_counts.items()))
            lines.append(
                f"| {d.name} {d.src}→{d.dst} | {d.bytes} | {d.packets} | {_yn(d.syn)} | "
                f"{_yn(d.fin)} | {_yn(d.rst)} | {len(d.holes)} | "
                f"{'—' if d.channel_offset is None else d.channel_offset} | {counts or '—'} |"
            )
        lines.append("")
    lines += ["## Timings", "", ", ".join(f"{k} {v}" for k, v in r.timings.items()), ""]
    return "\n".join(lines)


def _yn(v: bool) -> str:
    return "yes" if v else "no"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _ladder(s: StreamReport) -> str:
    """SVG: initiator and responder as two lifelines, one arrow per frame/record in time."""
    events: list[tuple[float, int, dict[str, Any]]] = []
    for k, d in enumerate((s.forward, s.backward)):
        for u in d.units:
            t = u["time"] if u["time"] is not None else 0.0
            events.append((t, k, u))
    events.sort(key=lambda e: (e[0], e[2]["offset"]))
    hidden = sum(d.unit_count - len(d.units) for d in (s.forward, s.backward))
    width, left, right, row = 640, 120, 520, 22
    height = 70 + row * max(len(events), 1)
    t0 = events[0][0] if events else 0.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="ladder diagram of stream {s.index}">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{left}" y="16" text-anchor="middle" font-size="12">initiator</text>',
        f'<text x="{left}" y="30" text-anchor="middle" font-size="10">{_e(s.initiator)}</text>',
        f'<text x="{right}" y="16" text-anchor="middle" font-size="12">responder</text>',
        f'<text x="{right}" y="30" text-anchor="middle" font-size="10">{_e(s.responder)}</text>',
        f'<line x1="{left}" y1="36" x2="{left}" y2="{height - 4}" stroke="#333" stroke-width="2"/>',
        f'<line x1="{right}" y1="36" x2="{right}" y2="{height - 4}" stroke="#333" '
        'stroke-width="2"/>',
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#1f4e9c"/></marker></defs>',
    ]
    if not events:
        out.append(f'<text x="{(left + right) // 2}" y="56" text-anchor="middle" '
                   'font-size="11">no payload</text>')
    for i, (t, k, u) in enumerate(events):
        y = 50 + i * row
        x1, x2 = (left, right) if k == 0 else (right, left)
        colour = "#1f4e9c" if k == 0 else "#6a3d9a"
        out.append(f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y + 8}" stroke="{colour}" '
                   'stroke-width="1.5" marker-end="url(#arrow)"/>')
        label = f"{u['kind']} ({u['length']} B) @{u['offset']}"
        if u.get("entropy") is not None:
            label += f", {u['entropy']:.1f} bits/B"
        if u.get("preview"):
            label += f' "{u["preview"][:24]}"'

        out.append(f'<text x="{(left + right) // 2}" y="{y + 2}" text-anchor="middle" '
                   f'font-size="10">{_e(label)}</text>')
        out.append(f'<text x="4" y="{y + 6}" font-size="9" fill="#555">'
                   f'+{(t - t0) * 1000:.1f} ms</text>')
    if hidden:
        out.append(f'<text x="{(left + right) // 2}" y="{height - 6}" text-anchor="middle" '
                   f'font-size="10" fill="#555">… {hidden} more frames/records not drawn '
                   "(first 45 and last 15 of each direction shown)</text>")
    out.append("</svg>")
    return "".join(out)


def _entropy_plot(d: DirectionReport) -> str:
    width, height, pad = 640, 160, 36
    pts = d.entropy
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="entropy of {_e(d.name)} direction">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - 8}" y2="{height - pad}" '
        'stroke="#333"/>',
        f'<line x1="{pad}" y1="8" x2="{pad}" y2="{height - pad}" stroke="#333"/>',
        '<text x="4" y="14" font-size="10">8 bits</text>',
        f'<text x="4" y="{height - pad}" font-size="10">0</text>',
        f'<text x="{pad}" y="{height - 8}" font-size="10">byte 0</text>',
        f'<text x="{width - 8}" y="{height - 8}" text-anchor="end" font-size="10">'
        f'byte {d.bytes}</text>',
    ]
    span = max(d.bytes, 1)

    def xy(off: int, h: float) -> tuple[float, float]:
        x = pad + (width - 8 - pad) * off / span
        y = (height - pad) - (height - pad - 8) * h / 8.0
        return x, y

    thr = xy(0, 6.0)[1]
    out.append(f'<line x1="{pad}" y1="{thr:.1f}" x2="{width - 8}" y2="{thr:.1f}" '
               'stroke="#b3261e" stroke-dasharray="4 3"/>')
    if d.channel_offset is not None:
        cx = xy(d.channel_offset, 0)[0]
        out.append(f'<line x1="{cx:.1f}" y1="8" x2="{cx:.1f}" y2="{height - pad}" '
                   'stroke="#1b7f3b" stroke-dasharray="2 2"/>')
    for a, b in d.low_entropy_runs:
        xa, xb = xy(a, 0)[0], xy(b, 0)[0]
        out.append(f'<rect x="{xa:.1f}" y="8" width="{max(xb - xa, 2):.1f}" '
                   f'height="{height - pad - 8}" fill="#b3261e" fill-opacity="0.15"/>')
    if pts:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(o, h) for o, h in pts))
        out.append(f'<polyline points="{path}" fill="none" stroke="#1f4e9c" '
                   'stroke-width="1.5"/>')
        for o, h in pts[:1] if len(pts) == 1 else []:
            x, y = xy(o, h)
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f4e9c"/>')
    else:
        out.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" '
                   'font-size="11">no payload</text>')
    out.append("</svg>")
    return "".join(out)


_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#111;background:#fff;max-width:1000px}
.verdict{font-size:28px;font-weight:700;color:#fff;padding:14px 18px;border-radius:6px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bbb;padding:3px 6px;
font-size:13px}pre{background:#f4f4f4;padding:6px;overflow-x:auto;font-size:12px}
.leak{color:#b3261e;font-weight:600}.incomplete{color:#a86b00;font-weight:600}
.info{color:#555}h2{border-bottom:1px solid #ddd}
"""


def to_html(report: CheckReport) -> str:
    r = report
    colour = _COLOURS.get(r.verdict, "#444")
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>sft capture check: {_e(r.verdict)}</title><style>{_CSS}</style></head><body>",
        f'<div class="verdict" style="background:{colour}">{_e(r.verdict.upper())} '
        f"(exit {r.exit_code})</div>",
        f"<p>{_e(r.summary)}</p>",
        f"<p>Capture <code>{_e(r.capture)}</code>: {_e(r.format)}, {r.packets} packets, "
        f"{r.capture_bytes} bytes; profile {_e(r.profile)}; interface statistics "
        f"{_e(r.interface_stats or 'none')}.</p>",
        "<h2>Findings</h2>",
    ]
    if not r.findings:
        parts.append("<p>None.</p>")
    else:
        parts.append("<ol>")
        for f in r.findings:
            parts.append(f'<li><span class="{_e(f.severity)}">{_e(f.severity)}</span> '
                         f"[{_e(f.kind)}] {_e(f.message)}"
                         + (f" <b>violates {_e(', '.join(f.requirements))}</b>"
                            if f.requirements else ""))
            where = _where(f)
            if where:
                parts.append(f"<br><small>{_e(where)}"
                             + (f"; secret {_e(f.secret)} from its byte {f.secret_offset}"
                                if f.secret_offset is not None else "")
                             + "</small>")
            if f.excerpt_hex:
                parts.append(f"<pre>at byte {f.excerpt_offset}\n{_e(f.excerpt_hex)}\n"
                             f"{_e(f.excerpt_ascii)}</pre>")
            parts.append("</li>")
        parts.append("</ol>")
    if r.attacks:
        parts.append("<h2>Offline dictionary attack</h2><ul>")
        for a in r.attacks:
            parts.append(
                f"<li>stream {a['stream']} ({_e(a['protocol'])}): "
                + ("guesses <b>testable</b> offline" if a["testable"] else "no guess testable")
                + (f"; recovered <code>{_e(a['recovered'])}</code> ({_e(a['source'])})"
                   if a["recovered"] else "")
                + f". {_e(a['explanation'])}</li>"
            )
        parts.append("</ul>")
    parts.append("<h2>Streams</h2>")
    for s in r.streams:
        parts.append(f"<h3>Stream {s.index}: {_e(s.protocol)}, {_e(s.initiator)} → "
                     f"{_e(s.responder)}{'' if s.complete else ' (incomplete)'}</h3>")
        parts.append("<table><tr><th>direction</th><th>bytes</th><th>packets</th><th>SYN</th>"
                     "<th>FIN</th><th>RST</th><th>holes</th><th>channel from</th>"
                     "<th>frames/records</th></tr>")
        for d in (s.forward, s.backward):
            counts = ", ".join(f"{k}×{v}" for k, v in sorted(d.unit_counts.items()))
            parts.append(
                f"<tr><td>{_e(d.name)} {_e(d.src)}→{_e(d.dst)}</td><td>{d.bytes}</td>"
                f"<td>{d.packets}</td><td>{_yn(d.syn)}</td><td>{_yn(d.fin)}</td>"
                f"<td>{_yn(d.rst)}</td><td>{len(d.holes)}</td>"
                f"<td>{'—' if d.channel_offset is None else d.channel_offset}</td>"
                f"<td>{_e(counts or '—')}</td></tr>"
            )
        parts.append("</table>")
        parts.append("<h4>Ladder</h4>")
        parts.append(_ladder(s))
        for d in (s.forward, s.backward):
            parts.append(f"<h4>Entropy, {_e(d.name)} ({_e(d.src)} → {_e(d.dst)})</h4>")
            parts.append(_entropy_plot(d))
            parts.append("<p><small>bits per byte of 256-byte samples; dashed red: the "
                         "low-entropy threshold; dashed green: where the secure channel "
                         "starts; shaded: flagged runs.</small></p>")
    parts.append(f"<h2>Timings</h2><p>{_e(r.timings)}</p></body></html>")
    return "".join(parts)
