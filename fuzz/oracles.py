"""Oracles: what a secure implementation must never do, checked after every case.

The invariant (docs/ARCHITECTURE.md §5 rule 6): for any input the target either handles
it or answers with a protocol error and closes — it never hangs, never accepts tampered data, never
leaks the file or the password in clear, and keeps serving the next honest client.
Each check returns `Violation`s naming the requirement of docs/SPEC.md it breaks.

All checks here are pure functions of an `Outcome` (what the target sent back) and of
what the fuzzer knows (`Secrets`), except `ResourceProbe`, which reads /proc for an
embedded target's process.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from conformance.wire import FATAL_CODES, ReceivedFrame
from fuzz.cases import Case
from fuzz.runner import Outcome, answers_owed

__all__ = [
    "Violation",
    "Secrets",
    "check_outcome",
    "no_hang",
    "sender_frames",
    "fatal_then_close",
    "close_only_after_fatal",
    "records_authentic",
    "tampered_not_accepted",
    "gets_intact",
    "puts_acknowledged_honestly",
    "nothing_secret_in_clear",
    "ResourceSample",
    "ResourceProbe",
    "measurable_allocator",
]

_WINDOW: Final = 16


@dataclass(frozen=True)
class Violation:
    requirement: str
    message: str

    def __str__(self) -> str:
        return f"[{self.requirement}] {self.message}"


@dataclass(frozen=True)
class Secrets:
    """What must never cross the wire in clear, and what a get must return."""

    files: dict[str, bytes] = field(default_factory=dict)  # name -> content
    sha256: dict[str, str] = field(default_factory=dict)  # name -> digest (external targets)
    passwords: tuple[str, ...] = ()
    canary: bytes = b""  # a file outside the share: never served (APP-NAME-4)

    @functools.cached_property
    def _windows(self) -> tuple[frozenset[bytes], tuple[bytes, ...]]:
        """Aligned 16-byte windows of each secret (a set), and the short secrets."""
        aligned: set[bytes] = set()
        short: list[bytes] = []
        for content in self._long_and_short[0]:
            # Every 16th window: any leak of 31+ consecutive bytes contains one of them.
            aligned.update(
                content[i : i + _WINDOW] for i in range(0, len(content) - _WINDOW + 1, _WINDOW)
            )
        short.extend(self._long_and_short[1])
        return frozenset(aligned), tuple(short)

    @functools.cached_property
    def _long_and_short(self) -> tuple[list[bytes], list[bytes]]:
        """The secrets scanned by windows, and those (files under 32 bytes, passwords)
        searched whole."""
        long: list[bytes] = []
        short: list[bytes] = []
        for content in [*self.files.values(), self.canary]:
            if content:
                (short if len(content) < 2 * _WINDOW else long).append(content)
        short.extend(p.encode() for p in self.passwords if len(p) >= 4)
        return long, short

    @functools.cached_property
    def _aligned_hashes(self) -> np.ndarray[Any, np.dtype[np.uint64]]:
        """The rolling hashes of the aligned windows (sorted): a filter that rules out
        almost every offset of scanned data at numpy speed; the set `_windows` decides.
        Built without slicing millions of windows (0.75 s for the embedded share)."""
        parts = [np.zeros(0, dtype=np.uint64)]
        for content in self._long_and_short[0]:
            usable = len(content) // _WINDOW * _WINDOW
            rows = np.frombuffer(content, dtype=np.uint8, count=usable).reshape(-1, _WINDOW)
            parts.append(_row_hashes(rows))
        return np.unique(np.concatenate(parts))

    def find_in(self, data: bytes) -> tuple[int, bytes] | None:
        """(offset, secret bytes) of the first secret found in `data`; O(len(data))."""
        if not data:
            return None
        hashes = self._aligned_hashes
        if len(hashes) and len(data) >= _WINDOW:
            scanned = _sliding_hashes(data)
            # Sorted lookup (np.isin is ~15x slower on uint64 hashes of this spread).
            at = np.minimum(np.searchsorted(hashes, scanned), len(hashes) - 1)
            candidates = np.flatnonzero(hashes[at] == scanned)
            if len(candidates):
                aligned = self._windows[0]
                for offset in candidates.tolist():
                    window = data[offset : offset + _WINDOW]
                    if window in aligned:
                        return int(offset), window
        for secret in self._long_and_short[1]:
            found = data.find(secret)
            if found >= 0:
                return found, secret
        return None


# A polynomial hash of a 16-byte window (mod 2**64): the same for a row of a secret and
# for a window at any offset of scanned data.
_HASH_BASE: Final = np.uint64(0x100000001B3)


def _row_hashes(rows: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, np.dtype[np.uint64]]:
    acc = np.zeros(len(rows), dtype=np.uint64)
    for j in range(_WINDOW):
        acc *= _HASH_BASE
        acc += rows[:, j]
    return acc


def _sliding_hashes(data: bytes) -> np.ndarray[Any, np.dtype[np.uint64]]:
    values = np.frombuffer(data, dtype=np.uint8).astype(np.uint64)
    count = len(values) - _WINDOW + 1
    acc = np.zeros(count, dtype=np.uint64)
    for j in range(_WINDOW):
        acc *= _HASH_BASE
        acc += values[j : j + count]
    return acc


def no_hang(out: Outcome, deadline: float) -> list[Violation]:
    if out.hung:
        return [
            Violation(
                "LIM-5",
                f"no answer and no close within {deadline:.1f} s after the input ended "
                f"(FIN sent; FRM-7 asks a close); got {out.signature()}",
            )
        ]
    return []


def sender_frames(out: Outcome) -> list[Violation]:
    found = []
    for frame in out.frames:
        for problem in frame.violations():
            req = problem.split(":", 1)[0]
            found.append(Violation(req if "-" in req else "FRM-14", f"target sent {problem}"))
    return found


def fatal_then_close(out: Outcome) -> list[Violation]:
    for index, frame in enumerate(out.frames):
        code = frame.error_code
        if code is not None and code in FATAL_CODES and index + 1 < len(out.frames):
            after = out.frames[index + 1].describe(40)
            return [Violation("ERR-3", f"frames after a fatal EROR {frame.error_name}: {after}")]
    return []


def close_only_after_fatal(out: Outcome) -> list[Violation]:
    """In a session of several requests, the target may close before our EOF only after
    a fatal EROR (ERR-3), or for input that lets it close without one (a BYE_, an EROR,
    a record that does not authenticate, bytes that are not whole frames): a close after
    whole frames answered at most with non-fatal errors drops a connection that must
    serve further transfers (APP-2; ERR-3: after a non-fatal EROR it returns to IDLE)."""
    after = out.closed_early_after
    # A reset can discard the EROR that preceded it (our pipelined bytes were unread when
    # the target closed, so its kernel answered them with RST): only an orderly close is
    # conclusive.
    if after is None or out.bad_record or out.close_kind not in ("eof", "close_notify"):
        return []
    if any((f.error_code or 0) in FATAL_CODES for f in out.frames if f.type == b"EROR"):
        return []
    sent = out.case.first_requests(after)
    if answers_owed(sent.writes, out.case.profile == "pki") is None:
        return []
    return [
        Violation(
            "APP-2",
            f"the target closed the connection after request {after} of "
            f"{out.case.request_count} without a fatal EROR, although every frame sent was "
            f"whole and owed an answer; it answered {out.signature()}",
        )
    ]


def records_authentic(out: Outcome) -> list[Violation]:
    if out.bad_record:
        return [
            Violation("EKE-REC-4", f"target sent a record that does not open: {out.bad_record}")
        ]
    return []


def _request_kind(data: bytes) -> bytes:
    return data[:4] if len(data) >= 8 else b""


def tampered_not_accepted(out: Outcome) -> list[Violation]:
    """After a record that does not authenticate, the target must act on nothing more."""
    k = out.case.tampered_at
    if k is None:
        return []
    before = out.case.writes[:k]
    requests = sum(1 for w in before if _request_kind(w.data) in (b"RQFL", b"PUTF"))
    dones = sum(1 for w in before if _request_kind(w.data) == b"DONE")
    answers = sum(
        1
        for f in out.frames
        if f.type == b"RSFL" or (f.type == b"EROR" and (f.error_code or 0) not in FATAL_CODES)
    )
    acks = sum(1 for f in out.frames if f.type == b"DONE" and _is_put_ack_context(out.frames, f))
    seal = out.case.writes[k].seal
    if answers > requests or acks > dones:
        return [
            Violation(
                "EKE-REC-4",
                f"target answered {answers} requests / {acks} puts but only {requests} / "
                f"{dones} preceded the record sealed '{seal}' (write {k}): it acted on it",
            )
        ]
    return []


def _is_put_ack_context(frames: Sequence[ReceivedFrame], done: ReceivedFrame) -> bool:
    # A DONE that follows an RSFL{accept} (not a get's RSFL + DATA) acknowledges a put.
    last_rsfl = None
    for f in frames:
        if f is done:
            break
        if f.type == b"RSFL":
            last_rsfl = f
        elif f.type == b"DONE":
            last_rsfl = None
    obj = last_rsfl.json() if last_rsfl is not None else None
    return bool(obj and obj.get("accept") is True)


def gets_intact(out: Outcome, secrets: Secrets) -> list[Violation]:
    """Every completed get carries exactly the announced bytes, and the file's own."""
    found: list[Violation] = []
    current: dict[str, Any] | None = None
    body = bytearray()
    for frame in out.frames:
        if frame.type == b"RSFL":
            obj = frame.json() or {}
            current = None if obj.get("accept") is True else obj
            body = bytearray()
        elif frame.type == b"DATA" and current is not None:
            body += frame.payload
            size = current.get("size")
            if type(size) is int and len(body) > size:
                found.append(Violation("APP-GET-4", f"more DATA than the announced {size} bytes"))
                current = None
        elif frame.type == b"DONE" and current is not None:
            found += _check_get(current, frame.json() or {}, bytes(body), secrets)
            current = None
    if secrets.canary and any(
        secrets.canary[:64] in f.payload for f in out.frames if f.type == b"DATA"
    ):
        found.append(
            Violation("APP-NAME-4", "a get returned the content of a file outside the share")
        )
    return found


def _check_get(
    rsfl: dict[str, Any], done: dict[str, Any], body: bytes, secrets: Secrets
) -> list[Violation]:
    digest = hashlib.sha256(body).hexdigest()
    name = rsfl.get("name")
    problems = []
    if rsfl.get("size") != len(body) or done.get("size") != len(body):
        problems.append(f"sizes RSFL={rsfl.get('size')} DONE={done.get('size')}, sent {len(body)}")
    if done.get("sha256") != digest or rsfl.get("sha256", digest) != digest:
        problems.append("DONE/RSFL sha256 differs from the SHA-256 of the bytes sent")
    if isinstance(name, str):
        expected = secrets.files.get(name)
        if expected is not None and body != expected:
            problems.append(f"get of {name!r} returned bytes that differ from the file")
        elif expected is None and name in secrets.sha256 and secrets.sha256[name] != digest:
            problems.append(f"get of {name!r} returned bytes whose SHA-256 differs from the file")
    return [Violation("APP-GET-2", p) for p in problems]


@dataclass
class _SentRequest:
    kind: bytes
    obj: dict[str, Any]
    data: bytearray = field(default_factory=bytearray)
    done: dict[str, Any] | None = None


def _sent_requests(case: Case, tls_stream: bool) -> list[_SentRequest] | None:
    """What a conformant responder would parse from the case's honest bytes; None if unsure."""
    frames: list[tuple[bytes, bytes]] = []
    writes = [w for w in case.writes if w.seal == "honest"]
    if len(writes) != len(case.writes):
        return None
    chunks = [b"".join(w.data for w in writes)] if tls_stream else [w.data for w in writes]
    for chunk in chunks:
        offset = 0
        while offset < len(chunk):
            if len(chunk) - offset < 8:
                return None
            ftype = chunk[offset : offset + 4]
            (length,) = struct.unpack("!I", chunk[offset + 4 : offset + 8])
            end = offset + 8 + length
            if end > len(chunk):
                return None
            frames.append((ftype, chunk[offset + 8 : end]))
            offset = end
            if not tls_stream and offset != len(chunk):
                return None
    requests: list[_SentRequest] = []
    current: _SentRequest | None = None  # the put whose DATA/DONE may follow
    for ftype, payload in frames:
        # A conformant responder stops at the first frame it must refuse (fatal): the
        # model stops there too, so nothing after it is attributed to an earlier put.
        if ftype in (b"RQFL", b"PUTF"):
            try:
                obj = json.loads(payload)
            except RecursionError:
                # Valid JSON nested deeper than Python parses (the json_abuse mutator
                # nests 10,000 arrays): a responder MAY refuse it or read it (FRM-9), so
                # what follows is unknown; an unparsed put marks it (`kind` b"PUTF?").
                if ftype == b"PUTF":
                    requests.append(_SentRequest(b"PUTF?", {}))
                break
            except ValueError:
                break
            if not isinstance(obj, dict):
                break
            requests.append(_SentRequest(ftype, obj))
            current = requests[-1] if ftype == b"PUTF" else None
        elif ftype == b"DATA" and current is not None:
            current.data += payload
        elif ftype == b"DONE" and current is not None:
            try:
                done = json.loads(payload)
            except (ValueError, RecursionError):
                break
            current.done = done if isinstance(done, dict) else None
            current = None
        else:
            break
    return requests


def puts_acknowledged_honestly(out: Outcome, tls_stream: bool) -> list[Violation]:
    """A put is acknowledged (DONE) only if the bytes sent match every claim (APP-PUT-5)."""
    acks = [f for f in out.frames if f.type == b"DONE" and _is_put_ack_context(out.frames, f)]
    if not acks:
        return []
    requests = _sent_requests(out.case, tls_stream)
    if requests is None:
        return []
    puts = [r for r in requests if r.kind == b"PUTF"]
    found = []
    for ack in acks:
        obj = ack.json() or {}
        # Several puts may carry the same bytes: the ack is fine if any of them is honest.
        candidates = [p for p in puts if hashlib.sha256(p.data).hexdigest() == obj.get("sha256")]
        if not candidates:
            if any(r.kind == b"PUTF?" for r in requests):
                continue  # may be the ack of the put Python could not parse
            found.append(Violation("APP-PUT-5", "put acknowledged with a SHA-256 of no data sent"))
            continue
        if not any(_put_consistent(p, obj) for p in candidates):
            match = candidates[0]
            found.append(
                Violation(
                    "APP-PUT-5",
                    f"put of {match.obj.get('name')!r} acknowledged although size/SHA-256 "
                    "claims differ from the bytes sent",
                )
            )
    return found


def _put_consistent(put: _SentRequest, ack: dict[str, Any]) -> bool:
    digest = hashlib.sha256(put.data).hexdigest()
    done = put.done or {}
    claims = [put.obj.get("size"), done.get("size"), ack.get("size")]
    shas = [done.get("sha256"), put.obj.get("sha256", digest)]
    return all(c == len(put.data) for c in claims) and all(s == digest for s in shas)


def nothing_secret_in_clear(out: Outcome, secrets: Secrets) -> list[Violation]:
    """No window of the file or the password in clear bytes or EROR messages (ERR-5)."""
    found = []
    hit = secrets.find_in(out.clear_bytes)
    if hit is not None:
        found.append(
            Violation(
                "EKE-SEC-2",
                f"secret bytes in clear on the wire at offset {hit[0]}: {hit[1][:16]!r}",
            )
        )
    errors = b" ".join(f.payload for f in out.frames if f.type == b"EROR")
    hit = secrets.find_in(errors)
    if hit is not None:
        found.append(Violation("ERR-5", f"an EROR message carries secret bytes {hit[1][:16]!r}"))
    return found


def check_outcome(out: Outcome, secrets: Secrets, deadline: float) -> list[Violation]:
    """Every per-case oracle."""
    tls_stream = out.case.profile == "pki"
    return [
        *no_hang(out, deadline),
        *sender_frames(out),
        *fatal_then_close(out),
        *close_only_after_fatal(out),
        *records_authentic(out),
        *tampered_not_accepted(out),
        *gets_intact(out, secrets),
        *puts_acknowledged_honestly(out, tls_stream),
        *nothing_secret_in_clear(out, secrets),
    ]


# --- resources of an embedded target ------------------------------------------------------

# glibc gives the threads of a threaded server their own malloc arenas (up to 8 per core)
# and keeps freed memory in each, so RSS can climb to a plateau with nothing leaked (the
# reference's eke server: a thread and ~6 MiB of record buffers per connection). The
# embedded targets whose RSS the probe judges therefore run with one arena, which gives
# freed memory back: growth then means memory the target still holds.
_ONE_ARENA: Final = {"MALLOC_ARENA_MAX": "1"}


@contextlib.contextmanager
def measurable_allocator() -> Iterator[None]:
    """Around starting an embedded target: its processes inherit a single malloc arena."""
    saved = {name: os.environ.get(name) for name in _ONE_ARENA}
    os.environ.update(_ONE_ARENA)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class ResourceSample:
    rss_kib: int
    threads: int
    fds: int


class ResourceProbe:
    """RSS, threads and open descriptors of a local process, from /proc (Linux)."""

    def __init__(self, pid: int, proc_root: Path = Path("/proc")) -> None:
        self.pid = pid
        self.root = proc_root / str(pid)

    def available(self) -> bool:
        return (self.root / "status").exists()

    def sample(self) -> ResourceSample:
        status = (self.root / "status").read_text()
        values = dict(_status_fields(status.splitlines()))
        fds = len(os.listdir(self.root / "fd"))
        return ResourceSample(
            int(values.get("VmRSS", "0 kB").split()[0]),
            int(values.get("Threads", "0")),
            fds,
        )

    @staticmethod
    def growth(
        baseline: ResourceSample,
        now: ResourceSample,
        *,
        max_rss_kib: int = 64 * 1024,
        max_threads: int = 16,
        max_fds: int = 32,
    ) -> list[Violation]:
        found = []
        if now.rss_kib - baseline.rss_kib > max_rss_kib:
            found.append(
                Violation("LIM-6", f"RSS grew from {baseline.rss_kib} to {now.rss_kib} KiB")
            )
        if now.threads - baseline.threads > max_threads:
            found.append(
                Violation("LIM-5", f"threads grew from {baseline.threads} to {now.threads}")
            )
        if now.fds - baseline.fds > max_fds:
            found.append(
                Violation("LIM-5", f"open descriptors grew from {baseline.fds} to {now.fds}")
            )
        return found


def _status_fields(lines: Iterable[str]) -> Iterable[tuple[str, str]]:
    for line in lines:
        key, sep, value = line.partition(":")
        if sep:
            yield key.strip(), value.strip()
