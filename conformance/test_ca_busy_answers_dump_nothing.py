"""The CA's answers to a burst of logins dump none of its login bookkeeping (docs/SPEC.md §2
ERR-6, §4.4 CA-ENR-14, CA-ENR-7).

ERR-6: an endpoint MUST NOT answer any input "with a stack trace, a debug dump or a
message that differs by the internal cause of an authentication failure". The `503 busy`
(CA-ENR-14: attempts pending) and `429 throttled` answers come from the throttle, not from
the login handler, and only under a burst: a quick test that sends one login at a time
never sees a `503`. A helpful message there prints the throttle's table — the pending or
failure counts per key, repr'd or serialised (`pending={'alias:bob': 2, 'addr:10.0.0.7':
4}`, `map[alias:bob:2]`, `{alias:bob=2}`) — a debug dump that names the other accounts being
logged in at that moment and their addresses.

Here two fresh aliases are logged in at once with wrong passwords, 8 attempts each, every
attempt from its own address and its connection opened beforehand, the bodies sent
together. Whatever each answer is (401, 429, 503), its status line, header fields and body
(JSON escapes undone) hold no dump: no map or dictionary of counters, no object repr,
stack frame or exception type (test_ca_error_answers_no_debug_dump.py's marks), and none
names the OTHER alias of the burst or an address of the burst (an answer is about its own
request only). Then one more wrong password of each alias, from a fresh address, right
after the burst (its alias past the threshold: `429`, or `401`): judged the same way. A CA
that answers no `503` or `429` here is judged on what it answered.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time

import pytest

from conformance import ca_support as ca
from conformance import test_ca_error_answers_no_debug_dump as dump
from conformance import test_ca_stalled_clients as stalled
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-busy-answers-dump-nothing"),
]

_PER_ALIAS = 8
_WAIT = 10.0  # seconds for every answer of the burst

# A table of counters printed whole: a dictionary or map whose values are numbers.
_TABLE = re.compile(
    r"\{\s*['\"][^'\"]{1,120}['\"]\s*:\s*\d+"  # Python dict / JSON object of counts
    r"|\bmap\[[^\]\s]+:\d+"  # Go's fmt of a map
    r"|\{[\w.:@-]+=\d+(?:,\s*[\w.:@-]+=\d+)*\}"  # Java's Map.toString()
    r"|Map\(\d+\)\s*\{"  # Node's util.inspect of a Map
)


def _read(tls: object) -> bytes:
    received = b""
    deadline = time.monotonic() + _WAIT
    while time.monotonic() < deadline and not ca._complete_http(received):
        tls.settimeout(max(0.05, deadline - time.monotonic()))  # type: ignore[attr-defined]
        try:
            chunk = tls.recv(65536)  # type: ignore[attr-defined]
        except OSError:
            break
        if not chunk:
            break
        received += chunk
    return received


@pytest.mark.req("ERR-6", "CA-ENR-14")
def test_burst_answers_dump_no_bookkeeping(pki_target: Target) -> None:
    host, port = ca.ca_address(pki_target)
    aliases = [f"burst-{secrets.token_hex(4)}", f"burst-{secrets.token_hex(4)}"]
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, aliases[0])))
    pool = ca.sources(pki_target)
    attempts: list[tuple[str, str | None, bytes]] = []  # (alias, source, request)
    for index in range(2 * _PER_ALIAS):
        alias = aliases[index % 2]
        body = ca.enrol_body(alias, f"wrong-{secrets.token_hex(6)}", csr)
        request = (
            f"POST /v1/enroll HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        attempts.append((alias, pool.fresh(), request))
    # Every connection made first (its handshake done), then the requests all at once.
    connections = []
    sources: list[str] = []
    answers: list[bytes] = [b""] * len(attempts)
    try:
        for _alias, _source, _request in attempts:
            connections.append(stalled._tls(pki_target))
        sources = [conn.getsockname()[0] for conn in connections]
        start = threading.Barrier(len(attempts), timeout=_WAIT)

        def run(index: int) -> None:
            try:
                start.wait()
                connections[index].sendall(attempts[index][2])
                answers[index] = _read(connections[index])
            except (OSError, threading.BrokenBarrierError):
                return

        threads = [
            threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(attempts))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(_WAIT + 5.0)
    finally:
        for conn in connections:
            conn.close()
    # One more login of each alias, its failures past the threshold now (429 or 401).
    for alias in aliases:
        try:
            later = ca.enrol(pki_target, alias, f"wrong-{secrets.token_hex(6)}", csr)
        except OSError:
            continue
        head = f"HTTP/1.1 {later.status} \r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in later.headers.items()
        )
        attempts.append((alias, None, b""))
        sources.append("")
        answers.append(head.encode() + b"\r\n" + later.body)
    dumps: list[str] = []
    statuses: list[str] = []
    for index, received in enumerate(answers):
        if not received:
            continue
        own = attempts[index][0]
        other = aliases[1 - aliases.index(own)]
        statuses.append(received.split(b"\r\n", 1)[0].decode(errors="replace")[9:12])
        text = received.decode("utf-8", "replace")
        _head, _sep, body = received.partition(b"\r\n\r\n")
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):  # the message as a client reads it, escapes undone
            text += "\n" + " ".join(str(v) for v in decoded.values())
        found = _TABLE.search(text) or dump._DUMP.search(text)
        if found:
            dumps.append(f"{own}'s answer: {found.group(0)!r} in {received[-200:]!r}")
            continue
        own_source = sources[index] if index < len(sources) else ""
        foreign = [other, *(s for s in sources if s and s != own_source)]
        leaked = [name for name in foreign if name in text]
        if leaked:
            dumps.append(f"{own}'s answer names {leaked[:2]}: {received[-200:]!r}")
    if not statuses:
        pytest.skip("the CA answered none of the burst's logins")
    if dumps:
        raise ConformanceFailure.evidence(
            f"ERR-6: {len(attempts)} wrong-password logins of two fresh aliases sent at "
            f"once, each from its own address (answers: {' '.join(sorted(statuses))})",
            "every answer (401, 429 or 503) about its own request only, with no debug dump: "
            "no table of counters, object repr, stack frame or exception type, no other "
            "alias or address of the burst",
            "; ".join(dumps[:3]),
            note=f"{len(dumps)} answer(s) dump the CA's login bookkeeping",
        )
