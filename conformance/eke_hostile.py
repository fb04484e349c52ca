"""The suite as a (hostile) sft-eke/1 server, to test an implementation's client.

`HostileEkeServer` listens on 127.0.0.1 (ephemeral port), accepts one client and runs a
`behaviour` against it: an honest server, or one that does not know the password, lies
in EKE4, sends an invalid element, or tampers with a record. `run_client` launches the
client under test from a `--client-cmd` template with `{host} {port} {name} {out}
{user} {password_file}` filled in, and reports what it did (exit code, file kept).
"""

from __future__ import annotations

import hashlib
import shlex
import socket
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from conformance import eke
from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.wire import (
    Closed,
    Event,
    RawConnection,
    ReceivedFrame,
    Transcript,
    deadline_after,
)

__all__ = ["Behaviour", "ClientResult", "HostileEkeServer", "ServerView", "run_client"]


@dataclass
class ServerView:
    """What the hostile server saw: every frame from the client, and how it ended."""

    frames: list[str] = field(default_factory=list)
    inner: list[str] = field(default_factory=list)  # application frames inside records
    ended: str = ""
    transcript: Transcript | None = None

    def saw(self, frame_type: str) -> bool:
        return any(f.startswith(frame_type) for f in self.frames + self.inner)


Behaviour = Callable[[RawConnection, ServerView], None]


class HostileEkeServer:
    """Accepts one connection and runs `behaviour` on it in a thread."""

    def __init__(self, behaviour: Behaviour, *, timeout: float = 10.0) -> None:
        self.behaviour = behaviour
        self.timeout = timeout
        self.view = ServerView()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._listener.getsockname()[:2]
        self._thread = threading.Thread(target=self._serve, name="hostile-eke", daemon=True)
        self._error: BaseException | None = None

    def __enter__(self) -> HostileEkeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        self._thread.join(self.timeout + 5)

    def _serve(self) -> None:
        self._listener.settimeout(self.timeout)
        try:
            sock, peer = self._listener.accept()
        except OSError:
            self.view.ended = "no client connected"
            return
        raw = RawConnection(sock, name=f"hostile eke server <- {peer[0]}:{peer[1]}",
                            timeout=self.timeout)
        self.view.transcript = raw.transcript
        try:
            self.behaviour(raw, self.view)
        except Exception as exc:  # a fault of the suite: surfaced by the test
            self._error = exc
            self.view.ended = f"suite error: {type(exc).__name__}: {exc}"
        finally:
            raw.close()

    def check(self) -> None:
        if self._error is not None:
            raise self._error


def read_frame(raw: RawConnection, view: ServerView, timeout: float) -> Event:
    event = raw.recv_frame(deadline_after(timeout))
    if isinstance(event, ReceivedFrame):
        view.frames.append(event.describe(80))
    else:
        view.ended = event.describe()
    return event


def honest_eke2(
    raw: RawConnection, view: ServerView, pw: bytes, timeout: float,
    *, element_override: int | None = None,
) -> eke.ServerHandshake | None:
    """Reads EKE1 and answers EKE2 with `pw` (optionally hiding an invalid element)."""
    event = read_frame(raw, view, timeout)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return None
    obj = event.json() or {}
    server = eke.ServerHandshake(pw=pw)
    eke2 = server.on_eke1(obj)
    if element_override is not None:
        # Hide an invalid Y' and derive the keys a careless client would: Z from it.
        b = eke.feistel_encrypt(pw, eke.element_to_bytes(element_override))
        a = bytes.fromhex(obj["a"])
        th = eke.transcript_hash(str(obj["user"]), a, b)
        z = eke.element_to_bytes(1 if element_override in (1, eke.P - 1) else 0)
        server.keys = eke.derive_keys(z, th)
        server.b = b
        c2 = eke.aead_seal(server.keys.kcs, eke.N2, server.ns, b"EKE2" + th)
        eke2 = {"b": b.hex(), "c": c2.hex()}
    raw.send_frame(b"EKE2", eke2)
    return server


def serve_records(
    channel: EkeChannel, view: ServerView, files: dict[str, bytes], timeout: float,
    *, tamper_data: bool = False,
) -> None:
    """Answer gets from `files` over records until the client leaves."""
    for _ in range(16):  # bounded: a client makes a handful of requests at most
        event = channel.recv_frame(deadline_after(timeout))
        if not isinstance(event, ReceivedFrame):
            view.ended = event.describe()
            return
        view.inner.append(event.describe(80))
        if event.type != b"RQFL":
            continue
        obj = event.json() or {}
        data = files.get(str(obj.get("name")))
        if data is None:
            channel.send_frame("EROR", {"code": 6, "name": "not_found", "message": "no"})
            continue
        digest = hashlib.sha256(data).hexdigest()
        channel.send_frame("RSFL", {"name": obj["name"], "size": len(data), "sha256": digest})
        record = channel.seal(b"DATA" + len(data).to_bytes(4, "big") + data)
        if tamper_data:
            record = record[:12] + bytes([record[12] ^ 1]) + record[13:]
        channel.raw.send_raw(record)
        channel.send_frame("DONE", {"size": len(data), "sha256": digest})


@dataclass
class ClientResult:
    returncode: int | None
    stdout: str
    stderr: str
    out: Path

    @property
    def kept_file(self) -> bool:
        return self.out.exists()

    def describe(self) -> str:
        err = self.stderr.strip().splitlines()
        return (f"client exit code {self.returncode}; file kept: {self.kept_file}; "
                f"stderr: {err[-1] if err else ''}")


def run_client(
    template: str, *, host: str, port: int, name: str, out: Path, user: str,
    password_file: Path, timeout: float = 30.0,
) -> ClientResult:
    """Run the client under test once; a template is split like a shell would."""
    values = {
        "host": host, "port": str(port), "name": name, "out": str(out), "user": user,
        "password_file": str(password_file),
    }
    argv = [part.format(**values) for part in shlex.split(template)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired as exc:
        return ClientResult(None, str(exc.stdout or ""), "timed out", out)
    return ClientResult(done.returncode, done.stdout, done.stderr, out)


def eke_pw(user: str, password: str) -> bytes:
    return password_key_cached(password, user)


def is_closed(event: Event) -> bool:
    return isinstance(event, Closed)
