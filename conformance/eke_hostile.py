"""The suite as a (hostile) sft-eke/1 server, to test an implementation's client.

`HostileEkeServer` listens on 127.0.0.1 (ephemeral port), accepts one client and runs a
`behaviour` against it: an honest server, or one that does not know the password, lies
in EKE4, sends an invalid element, or tampers with a record. `run_client` launches the
client under test from a `--client-cmd` template with `{host} {port} {name} {out}
{user} {password_file}` filled in (and `--client-stdin` typed at an interactive one),
through the one client runner (sftkit.client_run), and reports what it did (exit code,
file kept, success by the declared `--client-success` rule).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.plugin import TranscriptBook, unsupported
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    Event,
    RawConnection,
    ReceivedFrame,
    Transcript,
    control,
    deadline_after,
    error_payload,
)
from sftkit.client_run import ClientRun as ClientRunDone
from sftkit.client_run import run_client as run_launch
from sftkit.target_options import ClientLaunch, client_launch

__all__ = ["Behaviour", "ClientResult", "HostileEkeServer", "ServerView", "run_client"]


@dataclass
class ServerView:
    """What the hostile server saw: every frame from the client, and how it ended."""

    frames: list[str] = field(default_factory=list)
    inner: list[str] = field(default_factory=list)  # application frames inside records
    ended: str = ""
    transcript: Transcript | None = None
    # The record channels `establish` opened: their `violations` (the client's records
    # that did not open, its frames in clear after EKE4) are judged by `run_case`.
    channels: list[EkeChannel] = field(default_factory=list)

    def saw(self, frame_type: str) -> bool:
        return any(f.startswith(frame_type) for f in self.frames + self.inner)


Behaviour = Callable[[RawConnection, ServerView], None]


class HostileEkeServer:
    """Accepts one connection (or up to `connections`, one after another: a client that
    retries) and runs `behaviour` on each in a thread, with one shared view."""

    def __init__(
        self,
        behaviour: Behaviour,
        *,
        timeout: float = 10.0,
        accept_timeout: float | None = None,
        connections: int = 1,
    ) -> None:
        self.behaviour = behaviour
        self.connections = connections
        # The transcripts of the connections after the first (view.transcript is the first's).
        self.later_transcripts: list[Transcript] = []
        self.timeout = timeout
        # A client may take long to start on a loaded machine; leaving the `with` block
        # (the client ended) wakes a pending accept() anyway.
        self.accept_timeout = timeout if accept_timeout is None else accept_timeout
        self.view = ServerView()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._listener.getsockname()[:2]
        self._thread = threading.Thread(target=self._serve, name="hostile-eke", daemon=True)
        self._error: BaseException | None = None

    def __enter__(self) -> HostileEkeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # A client that never connected (it refused before, e.g. its output file
        # exists) must not cost the accept timeout: shutdown() wakes accept() now.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(self.timeout + 5)

    def _serve(self) -> None:
        self._listener.settimeout(self.accept_timeout)
        for index in range(self.connections):  # bounded: a retrying client's connections
            try:
                sock, peer = self._listener.accept()
            except OSError:
                if index == 0:
                    self.view.ended = "no client connected"
                return
            raw = RawConnection(
                sock, name=f"hostile eke server <- {peer[0]}:{peer[1]}", timeout=self.timeout
            )
            if index == 0:
                self.view.transcript = raw.transcript
            else:
                self.later_transcripts.append(raw.transcript)
            try:
                self.behaviour(raw, self.view)
            except Exception as exc:  # a fault of the suite: surfaced by the test
                self._error = exc
                self.view.ended = f"suite error: {type(exc).__name__}: {exc}"
                return
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


def answer_busy(raw: RawConnection, view: ServerView, retry_after: int, timeout: float) -> bool:
    """The client's EKE1 answered `EROR busy` with `retry_after`, then its close read: a
    login the client must retry on a new connection. False when no EKE1 came."""
    event = read_frame(raw, view, timeout)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return False
    busy = json.loads(error_payload("busy", "suite: busy"))
    raw.send_frame(b"EROR", control({**busy, "retry_after": retry_after}))
    read_frame(raw, view, timeout)  # the client's close
    return True


def honest_eke2(
    raw: RawConnection,
    view: ServerView,
    pw: bytes,
    timeout: float,
    *,
    element_override: int | None = None,
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
    channel: EkeChannel,
    view: ServerView,
    files: dict[str, bytes],
    timeout: float,
    *,
    tamper_data: bool = False,
    extra: dict[str, object] | None = None,
) -> None:
    """Answer gets from `files` over records until the client leaves; `extra` adds
    members the schemas do not define to RSFL and DONE (FRM-10)."""
    more = extra or {}
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
        channel.send_frame(
            "RSFL", {"name": obj["name"], "size": len(data), "sha256": digest, **more}
        )
        record = channel.seal(b"DATA" + len(data).to_bytes(4, "big") + data)
        if tamper_data:
            record = record[:12] + bytes([record[12] ^ 1]) + record[13:]
        channel.raw.send_raw(record)
        channel.send_frame("DONE", {"size": len(data), "sha256": digest, **more})


@dataclass
class ClientResult:
    returncode: int | None
    stdout: str
    stderr: str
    out: Path
    success: str = "exit"  # the declared --client-success rule: "exit" | "file"

    @property
    def kept_file(self) -> bool:
        return self.out.exists()

    @property
    def succeeded(self) -> bool:
        """Whether the client reported success by its declared rule: exit code 0, or
        (rule `file`: an interactive client whose exit code says nothing) the file kept."""
        if self.success == "file":
            return self.kept_file
        return self.returncode == 0

    def describe(self) -> str:
        err = self.stderr.strip().splitlines()
        rule = "" if self.success == "exit" else f" (success rule: {self.success})"
        return (
            f"client exit code {self.returncode}{rule}; file kept: {self.kept_file}; "
            f"stderr: {err[-1] if err else ''}"
        )


def run_client(
    template: str,
    *,
    host: str,
    port: int,
    name: str,
    out: Path,
    user: str,
    password_file: Path,
    timeout: float = 30.0,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
    stdin_template: str | None = None,
    success: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ClientResult:
    """Run the client under test once; a template is split like a shell would, and an
    interactive client is typed `stdin_template` (with {password} from the file).

    `started` is called with the running process (a hostile server that kills its
    client mid-transfer needs it); the run is bounded by `timeout` seconds, after which
    the client's process group is killed and its result has `returncode` None.
    """
    values = {
        "host": host,
        "port": str(port),
        "name": name,
        "out": str(out),
        "user": user,
        "password_file": str(password_file),
    }
    launch = client_launch(template, values, stdin_template=stdin_template, success=success)
    run = run_launch(launch, timeout=timeout, env=env, started=started)
    return _result(launch, out, run, timeout)


def _result(launch: ClientLaunch, out: Path, done: ClientRunDone, timeout: float) -> ClientResult:
    if done.timed_out:
        stderr = f"timed out after {timeout} s\n{done.stderr}"
        return ClientResult(None, done.stdout, stderr, out, launch.success)
    return ClientResult(done.returncode, done.stdout, done.stderr, out, launch.success)


def eke_pw(user: str, password: str) -> bytes:
    return password_key_cached(password, user)


def is_closed(event: Event) -> bool:
    return isinstance(event, Closed)


def frames_until_close(
    recv: Callable[[float], Event], seconds: float, limit: int = 8
) -> list[ReceivedFrame]:
    """What the client sends until it closes (or anything but a frame comes), bounded by
    `seconds` and `limit` frames; `recv(left)` reads one event (`read_frame` on the raw
    connection before EKE4, `read_inner` after)."""
    frames: list[ReceivedFrame] = []
    deadline = time.monotonic() + seconds
    for _ in range(limit):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        event = recv(left)
        if not isinstance(event, ReceivedFrame):
            break
        frames.append(event)
    return frames


__all__ += ["frames_until_close"]


def establish(
    raw: RawConnection,
    view: ServerView,
    pw: bytes,
    timeout: float,
    *,
    eke2_extra: dict[str, object] | None = None,
    eke4_extra: dict[str, object] | None = None,
) -> EkeChannel | None:
    """An honest handshake up to EKE4; the record channel, or None if the client stopped.

    `eke2_extra` / `eke4_extra` add members the schema does not define (FRM-10: a
    receiver ignores them).
    """
    event = read_frame(raw, view, timeout)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
        return None
    server = eke.ServerHandshake(pw=pw)
    eke2 = server.on_eke1(event.json() or {})
    raw.send_frame(b"EKE2", {**eke2, **(eke2_extra or {})})
    event = read_frame(raw, view, timeout)
    if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
        return None
    try:
        eke4 = server.on_eke3(event.json() or {})
    except eke.EkeError:
        return None
    NA_SAMPLES.append(server.na)
    if server.na == server.ns:  # the client's Na is the server's Ns sent back
        NA_ECHOES.append(server.na)
    raw.send_frame(b"EKE4", {**eke4, **(eke4_extra or {})})
    assert server.keys is not None
    sender, receiver = server.record_layer()
    channel = EkeChannel(raw, server.keys, sender, receiver, role="server")
    view.channels.append(channel)
    return channel


def _record_faults(view: ServerView) -> None:
    """The client's own sealing faults after EKE4 FAIL, whatever the case checks.

    `EkeChannel` (the suite as the server) notes a client record that does not open, or
    a frame in clear after EKE4, in `violations` and reads it as a close; a case that
    looks only at the client's file and exit code would pass a client whose closing
    `BYE_` (or EROR, or request) is in clear. Judged only once a record of the client
    opened (it took EKE4: a client that refused our EKE4 may answer in clear).
    """
    for channel in view.channels:
        if channel.receiver.seq == 0 or not channel.violations:
            continue
        violates: list[str] = []
        for fault in channel.violations:
            if fault.startswith("EKE-REC-5"):  # a frame in clear after EKE4
                found = ["EKE-REC-1", "EKE-REC-4"]
            elif fault.startswith("EKE-REC-4"):  # a record that opens under no deviation
                found = ["EKE-REC-1", "EKE-REC-2", "EKE-REC-3"]
            else:  # "EKE-REC-1/FRM-1: …", or a diagnosis: "… <ID> violated: …"
                found = re.findall(r"\b(?:EKE-[A-Z]+-\d+|FRM-\d+)\b", fault)[:2]
            violates += [r for r in found or ["EKE-REC-1"] if r not in violates]
        raise ConformanceFailure(
            f"the client's records after EKE4 (it sent {channel.receiver.seq} that opened): "
            + "; ".join(channel.violations)
            + "\nExpected: every frame after EKE4 sealed as the next record of its direction, "
            "nothing in clear (EKE-REC-1, EKE-REC-2, EKE-REC-4)\n"
            f"Transcript (last entries):\n{channel.transcript.tail()}",
            violates=tuple(violates),
        )


def read_inner(channel: EkeChannel, view: ServerView, timeout: float) -> Event:
    """The client's next application frame (inside a record), noted in `view`."""
    event = channel.recv_frame(deadline_after(timeout))
    if isinstance(event, ReceivedFrame):
        view.inner.append(event.describe(80))
    else:
        view.ended = event.describe()
    return event


def client_bytes(view: ServerView) -> bytes:
    """Everything the client sent, as the wire carried it and (records) in plaintext."""
    if view.transcript is None:
        return b""
    return b"".join(e.data for e in view.transcript.entries if e.direction == "recv")


__all__ += ["answer_busy", "client_bytes", "establish", "read_inner"]


# --- one run of the client under test against one behaviour of the hostile server ---------


def client_template(target: Target) -> str:
    """The client under test: `--client-cmd`, or the reference's `sft eke get` (embedded)."""
    if target.client_cmd:
        return target.client_cmd
    if target.embedded:
        return (
            f"{shlex.quote(sys.executable)} -m reference eke get {{host}}:{{port}} {{name}} "
            "--user {user} --password-file {password_file} -o {out} --quiet "
            "--connect-timeout 5 --handshake-timeout 5"
        )
    unsupported("testing an eke client needs --client-cmd 'TEMPLATE'")
    raise AssertionError("unreachable")


def client_user(target: Target) -> str:
    """The user name the client logs in as (the target's first account, if it has one)."""
    return target.accounts[0].user if target.accounts else "alice"


def fresh_password() -> str:
    """A password no run used before, beyond ASCII (EKE-PW-1: UTF-8, used as given), so
    that a client leaking it in any encoding is caught (EKE-PW-3)."""
    return f"p\u00e4ss-\u03a9\u03bc\u03ad\u03b3\u03b1-{secrets.token_urlsafe(9)}"


@dataclass
class ClientCase:
    """One run of the client under test: what it did and what the hostile server saw."""

    result: ClientResult
    view: ServerView
    user: str
    password: str
    outdir: Path

    @property
    def leftovers(self) -> list[str]:
        """Files in the output directory other than the output itself (APP-STORE-3)."""
        return sorted(p.name for p in self.outdir.iterdir() if p != self.result.out)

    def describe(self) -> str:
        return (
            f"{self.result.describe()}\nhostile server saw: {self.view.frames} / "
            f"records {self.view.inner} then {self.view.ended or 'its own close'}"
        )


def run_case(
    target: Target,
    workdir: Path,
    transcripts: TranscriptBook,
    behaviour: Behaviour,
    *,
    name: str,
    password: str | None = None,
    prepare_out: bytes | None = None,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
    timeout: float = 5.0,
    outdir: Path | None = None,
    connections: int = 1,
    user: str | None = None,
    env: Mapping[str, str] | None = None,
    out_name: str = "received.bin",
) -> ClientCase:
    """Runs the client once against `behaviour`; its output goes to a directory of its own
    (`out_name` in it: a name of 255 bytes checks APP-STORE-1's temporary).

    The credentials are the suite's own (the hostile server derives pw from them), so
    every run gets a fresh password unless `password` is given, and logs in as the
    target's account unless `user` is given.
    """
    user = client_user(target) if user is None else user
    password = fresh_password() if password is None else password
    secrets_dir = workdir / f"secret-{secrets.token_hex(4)}"
    secrets_dir.mkdir(mode=0o700)
    password_file = secrets_dir / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_text(password, encoding="utf-8")
    if outdir is None:
        outdir = workdir / f"out-{secrets.token_hex(4)}"
        outdir.mkdir()
    out = outdir / out_name
    if prepare_out is not None:
        out.write_bytes(prepare_out)
    with HostileEkeServer(
        behaviour, timeout=timeout, accept_timeout=6 * timeout, connections=connections
    ) as server:
        result = run_client(
            client_template(target),
            host=server.host,
            port=server.port,
            name=name,
            out=out,
            user=user,
            password_file=password_file,
            timeout=6 * timeout,
            started=started,
            # The typed answers and the success rule belong to --client-cmd's client.
            stdin_template=target.client_stdin if target.client_cmd else None,
            success=target.client_success if target.client_cmd else None,
            env=env,
        )
    server.check()
    for transcript in [server.view.transcript, *server.later_transcripts]:
        if transcript is not None:
            transcripts.add(transcript)
            _note_sign(transcript, eke_pw(user, password))
    _record_faults(server.view)
    return ClientCase(result, server.view, user, password, outdir)


def get_with_password(
    target: Target,
    workdir: Path,
    transcripts: TranscriptBook,
    password: str,
    *,
    name: str,
    content: bytes,
    timeout: float,
    user: str | None = None,
) -> tuple[ClientCase, str | None]:
    """The client gets `content` from an honest server that holds pw of (`user`,
    `password`) (EKE-PW-1): None when it got it, else where the run went wrong."""
    pw = eke_pw(client_user(target) if user is None else user, password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, timeout)
        if channel is not None:
            serve_records(channel, view, {name: content}, timeout)

    case = run_case(
        target, workdir, transcripts, behaviour,
        name=name, password=password, timeout=timeout, user=user,
    )  # fmt: skip
    result = case.result
    if result.succeeded and result.kept_file and result.out.read_bytes() == content:
        return case, None
    if not case.view.saw("EKE3"):
        return case, "the client sent no EKE3 (its C2 check failed: another pw)"
    if not case.view.inner:
        return case, "the client's C3 did not verify under pw of the UTF-8 bytes (another pw)"
    return case, "the login completed, the get did not"


__all__ += ["get_with_password"]


# Whether X' was the residue (s = 0) in each EKE1 the client sent in this process: the
# sign must be random (EKE-X-2); every run adds its sample, so the check is nearly free.
SIGN_SAMPLES: list[bool] = []
# The same samples by password key: with one password the sign must still vary (a sign
# derived from pw, the same in every handshake, looks random across passwords only).
SIGN_SAMPLES_BY_PW: dict[bytes, list[bool]] = {}
# X = g^x of every EKE1 and Na of every EKE3 the client sent in this process: a value
# seen twice means a fixed or reseeded generator (EKE-HS-10).
X_SAMPLES: list[int] = []
NA_SAMPLES: list[bytes] = []
# Na of every EKE3 that was the server's own Ns: a client that echoes Ns instead of
# drawing Na (a reflection; the server's nonce then proves nothing to the client).
NA_ECHOES: list[bytes] = []


def _note_sign(transcript: Transcript, pw: bytes) -> None:
    for entry in transcript.entries:
        if entry.direction != "recv" or entry.data[:4] != b"EKE1":
            continue
        obj = ReceivedFrame(b"EKE1", entry.data[8:]).json() or {}
        try:
            hidden = bytes.fromhex(str(obj.get("a", "")))
            x_prime = int.from_bytes(eke.feistel_decrypt(pw, hidden), "big")
        except ValueError:
            return
        if 1 < x_prime < eke.P - 1:
            residue = eke.jacobi(x_prime, eke.P) == 1
            SIGN_SAMPLES.append(residue)
            SIGN_SAMPLES_BY_PW.setdefault(pw, []).append(residue)
            X_SAMPLES.append(x_prime if residue else eke.P - x_prime)
        return


__all__ += [
    "ClientCase",
    "NA_ECHOES",
    "NA_SAMPLES",
    "SIGN_SAMPLES",
    "SIGN_SAMPLES_BY_PW",
    "X_SAMPLES",
    "client_template",
    "client_user",
    "fresh_password",
    "run_case",
]


def skip_slow_variant(request: pytest.FixtureRequest) -> None:
    """Variants marked `slow` run only when asked for (`-m slow`): each client run costs a
    process start, and the default run keeps the variants that tell bugs apart."""
    if request.node.get_closest_marker("slow") and "slow" not in (
        request.config.getoption("markexpr") or ""
    ):
        pytest.skip("slow variant: run with -m slow")


__all__ += ["skip_slow_variant"]
