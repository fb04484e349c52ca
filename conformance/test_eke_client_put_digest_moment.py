"""An sft-eke/1 CLIENT's put DONE carries the digest of the bytes it sent, or of its source
before sending — not of the source read again afterwards (SPEC APP-PUT-4, APP-PUT-10).

APP-PUT-4: the DONE's `sha256` "is the SHA-256 of the bytes sent, or a digest of the
source taken before sending: the two agree unless the source changed during the put, and
then either outcome is allowed". A third digest is not: a sender that streams the file by
a path that never shows it the bytes (sendfile, a zero-copy writer) and hashes the file in
a second pass after the last DATA describes whatever the file holds by then. When another
program changed a part already sent, that DONE names bytes nobody sent; an honest
responder refuses the put (integrity_failed), but only by luck: a responder that stored
the digest as the file's checksum keeps a wrong one.

The suite plays the responder of a put of 6 MiB, with a receive buffer of 64 KiB (so the
client, whose send buffer holds at most a few MiB, is still sending when the suite has
read the first DATA): once the
first DATA frame is in, it rewrites the first byte of the source (already sent), then
reads the rest. The client's DONE, if it sends one, carries PUTF's size and the digest of
the bytes the suite received (equal here to the source before the change); the suite
answers DONE only to such a DONE. Failing the put is allowed; reporting it stored without
the responder's DONE is not (APP-PUT-10).
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_run_put_source import source_of
from conformance.wire import control

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SIZE = 6 << 20
_WINDOW = 64 << 10  # the suite's receive buffer: the client cannot run far ahead


def _serve_changing_sent_part(workdir: Path, box: dict[str, Any]) -> puts.Serve:
    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        first = puts._next(channel, seen, puts.READ_TIMEOUT)
        if first is None or first.type != b"PUTF":
            seen.ended = seen.ended or "no PUTF"
            return
        seen.putf_raw = first.payload[:200].decode("utf-8", "replace")
        seen.putf = first.json()
        # A small receive buffer (no autotuning): what the client has sent but the suite not
        # read is at most its own send buffer and this, well below the file's size.
        channel.raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _WINDOW)
        channel.send_frame("RSFL", puts._accept(str((seen.putf or {}).get("name", name))))
        seen.answered = "RSFL accept"
        received = hashlib.sha256()
        count = 0
        for _ in range(puts.MAX_FRAMES):
            frame = puts._next(channel, seen, puts.READ_TIMEOUT)
            if frame is None:
                break
            if frame.type == b"DATA":
                received.update(frame.payload)
                count += len(frame.payload)
                if "changed" not in box:
                    # The first DATA is in: its bytes were read. Change one of them.
                    source = source_of(workdir)
                    with source.open("r+b") as f:
                        original = f.read(1)
                        f.seek(0)
                        f.write(bytes([original[0] ^ 0xFF]))
                    box["changed"] = len(frame.payload)
            elif frame.type == b"DONE":
                seen.sending.append(frame)
                box["done"] = frame.json()
                break
            else:
                seen.sending.append(frame)
                break
        box["count"] = count
        box["sha256"] = received.hexdigest()
        if "done" not in box:
            return
        done = box["done"] or {}
        if done.get("size") == count == _SIZE and done.get("sha256") == box["sha256"]:
            channel.send_frame("DONE", {"size": count, "sha256": box["sha256"]})
            seen.answered += "; DONE (stored)"
        else:
            channel.send_frame(
                "EROR",
                control({"code": 8, "name": "integrity_failed", "message": "suite: mismatch"}),
            )
            seen.answered += "; EROR integrity_failed"
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


@pytest.mark.req("APP-PUT-4", "APP-PUT-10")
def test_initiator_put_done_digest_is_not_taken_after_sending(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Once the first DATA frame arrived the suite changes the source's first byte (sent
    already): the client's DONE names the bytes sent (= the source before the change),
    never the changed file; success only with the responder's DONE."""
    content = puts._content(_SIZE)
    before = hashlib.sha256(content).hexdigest()
    changed = hashlib.sha256(bytes([content[0] ^ 0xFF]) + content[1:]).hexdigest()
    box: dict[str, Any] = {}
    put = puts._run_put(
        eke_target,
        tmp_path,
        transcripts,
        puts.Answer(),
        content,
        serve=_serve_changing_sent_part(tmp_path, box),
    )
    problems: puts.Problems = []
    done = box.get("done")
    if "changed" in box and isinstance(done, dict):
        digest = done.get("sha256")
        if digest not in (box["sha256"], before):
            which = "the source as changed after its first DATA" if digest == changed else "?"
            problems.append(
                (
                    "APP-PUT-4",
                    f"its DONE carries sha256 {str(digest)[:16]}… ({which}); the bytes sent "
                    f"hash to {box['sha256'][:16]}…, the source before sending to "
                    f"{before[:16]}…",
                )
            )
    if put.run.succeeded and "DONE (stored)" not in put.seen.answered:
        problems.append(
            (
                "APP-PUT-10",
                f"the responder refused the put, yet the client {put.run.success_evidence()}",
            )
        )
    puts._fail(
        put,
        problems,
        f"a put of {_SIZE} bytes whose first byte (already sent) changed after the first DATA",
    )
