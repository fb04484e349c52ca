"""Helpers shared by the wire-level conformance tests (framing, app, pki, limits).

Not a public API: conversation building blocks that several test files repeat (a whole
get, a whole put, "was this refused", the client command for testing an initiator). The
targets and channels themselves come from conformance/plugin.py's fixtures.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.channel import Channel
from conformance.pki_channel import (
    ALPN,
    ClientRun,
    HandshakeRefused,
    HostileResponder,
    PkiChannel,
    Script,
    client_context,
    connect_pki,
    server_context,
)
from conformance.plugin import TranscriptBook, unsupported
from conformance.target import KnownFile, Target
from conformance.wire import (
    ERROR_CODES,
    MAX_DATA_PAYLOAD,
    ConformanceFailure,
    Event,
    Expectation,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    Outcome,
    ReceivedFrame,
    TimedOut,
    deadline_after,
    error_payload,
)
from conformance.x509 import Certificate, CertificateAuthority, LabPKI
from sftkit.client_run import run_client
from sftkit.target_options import client_launch

__all__ = [
    "AppChannel",
    "TranscriptBook",
    "GetResult",
    "check_well_formed",
    "client_template",
    "fresh_name",
    "first_answer_as",
    "get_file",
    "judge_put_stored_under_basename",
    "known_file",
    "put_file",
    "require",
]

# The type of plugin.py's `app_channel` fixture: `app_channel(timeout=None) -> Channel`.
AppChannel = Callable[..., Channel]


def require(target: Target, feature: str) -> None:
    """UNSUPPORTED (not FAIL) when the target does not declare an optional feature."""
    if not target.has(feature):
        unsupported(f"the target does not declare feature {feature!r}")


def known_file(target: Target, name: str | None = None, *, nonempty: bool = True) -> KnownFile:
    """A file the target's share is known to hold (from the target file / embedded share)."""
    require(target, "get")
    if name is not None:
        found = target.file(name)
        if found is None:
            pytest.skip(f"the target file does not list {name!r} in [files]")
        return found
    for candidate in target.files:
        if not nonempty or candidate.size > 0:
            return candidate
    pytest.skip("the target file lists no known file in [files]")
    raise AssertionError("unreachable")


def fresh_name(prefix: str = "sft-conformance") -> str:
    """A name no earlier run used (so put tests never collide with each other)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}.bin"


def check_well_formed(frames: Sequence[ReceivedFrame], context: str) -> None:
    """Every frame the target sent obeys §1/§2 as a sender's frame [FRM-14, ERR-1, ERR-2]."""
    problems = [f"{f.describe(60)}: {v}" for f in frames for v in f.violations()]
    if problems:
        raise ConformanceFailure(
            f"{context}: the target sent malformed frames:\n" + "\n".join(problems)
        )


@dataclass
class GetResult:
    """A get as the suite observed it."""

    first: Outcome
    data: bytes
    frames: list[ReceivedFrame]
    done: ReceivedFrame | None

    @property
    def refused(self) -> ReceivedFrame | None:
        frame = self.first.frame
        return frame if frame is not None and frame.type == b"EROR" else None


def get_file(
    channel: Channel,
    name: object,
    *,
    also: Sequence[Expectation] = (),
    served: bool = True,
    max_bytes: int = 64 * 1024 * 1024,
) -> GetResult:
    """Sends RQFL and reads RSFL + DATA* + DONE (or the refusal), checking APP-GET-2.

    `also` adds acceptable refusals (e.g. ExpectError("not_found")); `served=False` makes
    the refusals the only acceptable answers (a served file is then the failure, with
    its evidence). Anything else fails with the evidence. The received bytes are
    checked against both announced sizes and the DONE hash; a target that sends more
    than announced fails [APP-GET-4].
    """
    channel.send_frame("RQFL", {"name": name})
    answers = [ExpectFrame("RSFL"), *also] if served else list(also)
    first = channel.expect(answers).check(f"RQFL {name!r}")
    rsfl = first.frame
    frames: list[ReceivedFrame] = [rsfl] if rsfl is not None else []
    if rsfl is None or rsfl.type != b"RSFL":
        return GetResult(first, b"", frames, None)
    meta = rsfl.json() or {}
    size = meta.get("size")
    if type(size) is not int:
        raise ConformanceFailure(f"APP-GET-2: RSFL without an integer size: {rsfl.describe()}")
    data = bytearray()
    deadline = deadline_after(channel.timeout + size / (5 * 1024 * 1024))
    # Bounded by size (the loop ends once more than announced arrived) and by the deadline.
    while True:
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure(
                f"APP-GET-2: after RSFL size={size} and {len(data)} bytes: {event.describe()}"
            )
        frames.append(event)
        if event.type == b"DATA":
            data += event.payload
            if len(data) > size or len(data) > max_bytes:
                raise ConformanceFailure(
                    f"APP-GET-4: the responder sent {len(data)} bytes, RSFL announced {size}"
                )
            continue
        if event.type != b"DONE":
            raise ConformanceFailure(f"APP-GET-2: expected DATA or DONE, got {event.describe()}")
        break
    done = frames[-1]
    done_meta = done.json() or {}
    digest = hashlib.sha256(bytes(data)).hexdigest()
    mismatches = []
    if len(data) != size:
        mismatches.append(f"received {len(data)} bytes, RSFL.size={size}")
    if done_meta.get("size") != len(data):
        mismatches.append(f"DONE.size={done_meta.get('size')!r}, received {len(data)}")
    if done_meta.get("sha256") != digest:
        mismatches.append(f"DONE.sha256={done_meta.get('sha256')!r}, received data {digest}")
    if "sha256" in meta and meta["sha256"] != digest:
        mismatches.append(f"RSFL.sha256={meta['sha256']!r}, received data {digest}")
    if any(len(f.payload) > MAX_DATA_PAYLOAD for f in frames if f.type == b"DATA"):
        mismatches.append("a DATA frame above 1 MiB (FRM-13)")
    if mismatches:
        raise ConformanceFailure("APP-GET-2: " + "; ".join(mismatches))
    return GetResult(first, bytes(data), frames, done)


def judge_put_stored_under_basename(
    target: Target, channel: Channel, offered: str, why_legal: str
) -> None:
    """APP-PUT-2's accepting half: the put of `offered` (a name no rule refuses, for the
    reason `why_legal`) is accepted and acknowledged with DONE; a new PUTF of its basename
    is then `exists` (it was stored under that name), and a declared inbox holds exactly
    the bytes sent under it."""
    base = offered.rsplit("/", 1)[-1]
    data = f"put of {offered!r}\n".encode()
    answer, final = put_file(channel, offered, data)

    def fail(context: str, expected: str, got: str) -> ConformanceFailure:
        failure = ConformanceFailure.evidence(f"APP-PUT-2: {context}", expected, got)
        failure.violates = ("APP-PUT-2",)
        return failure

    if answer.frame is None or answer.frame.type != b"RSFL":
        raise fail(
            f"PUTF of {offered!r} ({why_legal})",
            "RSFL {accept: true}: the put is stored under its basename",
            answer.describe(),
        )
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    done = final.frame.json() if final is not None and final.frame is not None else None
    # Only DONE's defined members: a receiver ignores the others (FRM-10).
    got = {k: done.get(k) for k in want} if isinstance(done, dict) else done
    if final is None or final.frame is None or final.frame.type != b"DONE" or got != want:
        raise fail(
            f"the put of {offered!r}, accepted, then its bytes and DONE",
            f"DONE {want}",
            final.describe() if final is not None else "nothing",
        )
    channel.send_frame("PUTF", {"name": base, "size": 1})
    again = channel.expect([ExpectError("exists"), ExpectFrame("RSFL", {"accept": True})])
    if again.frame is None or again.frame.error_name != "exists":
        raise fail(
            f"PUTF {offered!r} acknowledged with DONE, then PUTF {base!r}",
            "EROR exists: the put was stored under its basename",
            again.describe(),
        )
    if target.inbox is not None:
        stored = target.inbox / base
        if not stored.is_file() or stored.read_bytes() != data:
            raise fail(
                f"the put of {offered!r} in the declared inbox {target.inbox}",
                f"{base!r} holding the {len(data)} bytes sent",
                "missing" if not stored.is_file() else f"{stored.stat().st_size} other bytes",
            )


def first_answer_as(
    target: Target,
    cert: Path,
    key: Path,
    what: str,
    transcripts: TranscriptBook,
    name: str,
) -> Event | None:
    """The responder's first answer to `RQFL name` from a client presenting `cert`/`key`
    (described by `what`), or None when it refused that client at the handshake; the
    connection's transcript goes to `transcripts` either way."""
    if target.root is None:
        unsupported("the target declares no organisation root (--root)")
        return None
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name=what
    )
    if not isinstance(result, PkiChannel):
        transcripts.add(result.transcript)
        return None
    transcripts.add(result)
    try:
        result.send_frame("RQFL", {"name": name})
        return result.recv_frame(deadline_after(result.timeout))
    finally:
        result.close()


def put_file(
    channel: Channel,
    name: str,
    data: bytes,
    *,
    announce: int | None = None,
    done_sha: str | None = None,
    done_size: int | None = None,
    putf_sha: str | None = None,
    chunk: int = 64 * 1024,
) -> tuple[Outcome, Outcome | None]:
    """PUTF, and if accepted DATA* + DONE; returns (answer to PUTF, answer to DONE)."""
    size = len(data) if announce is None else announce
    offer: dict[str, object] = {"name": name, "size": size}
    if putf_sha is not None:
        offer["sha256"] = putf_sha
    channel.send_frame("PUTF", offer)
    answer = channel.expect(
        [
            ExpectFrame("RSFL", {"accept": True}),
            ExpectError("forbidden", "too_large", "exists", "unsupported"),
        ]
    )
    if not answer.ok or answer.frame is None or answer.frame.type != b"RSFL":
        return answer, None
    for offset in range(0, len(data), chunk):
        if not channel.send_frame("DATA", data[offset : offset + chunk]):
            break
    channel.send_frame(
        "DONE",
        {
            "size": len(data) if done_size is None else done_size,
            "sha256": done_sha or hashlib.sha256(data).hexdigest(),
        },
    )
    final = channel.expect([ExpectFrame("DONE"), ExpectError("integrity_failed")])
    return answer, final


def nothing_more(channel: Channel, timeout: float = 0.3) -> None:
    """The target sends nothing further on its own (e.g. no second answer)."""
    event = channel.recv_frame(deadline_after(timeout))
    if not isinstance(event, TimedOut):
        raise ConformanceFailure(f"unexpected extra event: {event.describe()}")


def client_template(target: Target, workdir: Path) -> str:
    """The initiator under test: `--client-cmd`, or the reference's own for the embedded run.

    Placeholders: {host} {port} {name} {out}, and {alias} (the responder alias the
    client asks for; a template without it has the alias written in). For the embedded
    run the reference's `sft get` gets an identity directory in its documented layout
    (cert.pem, key.pem, root.pem, ca-url) holding the suite's own minted identity.
    """
    if target.client_cmd:
        return target.client_cmd
    if target.embedded and "suite" in target.identities and target.root is not None:
        # One directory per embedded target (not per test): the client caches the CRL
        # there, so only its first run fetches it from the CA.
        home = target.share.parent if target.share is not None else workdir
        iddir = home / "client-id"
        if not iddir.is_dir():
            iddir.mkdir(mode=0o700)
            cert, key = target.identities["suite"]
            (iddir / "cert.pem").write_bytes(cert.read_bytes())
            (iddir / "key.pem").touch(mode=0o600)
            (iddir / "key.pem").write_bytes(key.read_bytes())
            (iddir / "root.pem").write_bytes(target.root.read_bytes())
            if target.ca_url:
                (iddir / "ca-url").write_text(target.ca_url + "\n")
        return (
            f"{shlex.quote(sys.executable)} -m reference get {{alias}}@{{host}}:{{port}} "
            f"{{name}} --id {shlex.quote(str(iddir))} -o {{out}}"
        )
    unsupported("testing an initiator needs --client-cmd 'TEMPLATE'")
    raise AssertionError("unreachable")


__all__ += ["nothing_more"]


# --- testing an initiator: a hostile responder and the client under test ------------------


def lab_pki(target: Target) -> LabPKI:
    """The organisation root with its key (lab mode), to mint any certificate."""
    if target.root is None or target.ca_key is None:
        pytest.skip("needs lab mode (--root and --ca-key): the suite mints the certificates")
    root = CertificateAuthority.load(target.root.read_bytes(), target.ca_key.read_bytes())
    return LabPKI(root)


def suite_identity(target: Target, workdir: Path) -> tuple[Path, Path]:
    """A certificate + key the responder accepts: the embedded run's, or minted (lab mode)."""
    if "suite" in target.identities:
        return target.identities["suite"]
    path = workdir / "suite.pem"
    if path.exists():
        return path, workdir / "suite.key"
    return lab_pki(target).employee("suite").write(workdir, "suite")


def assert_refused(
    target: Target,
    result: PkiChannel | HandshakeRefused,
    what: str,
    transcripts: TranscriptBook,
) -> None:
    """The responder refused the connection: during the handshake, or by closing at once.

    In TLS 1.3 the responder judges a client certificate after the client has finished
    its side, so the refusal may only show on the first read: the suite then sends a get
    and requires the connection to end without an answer. An `EROR auth_failed` followed
    by the close is accepted too: a responder built on a TLS library that cannot send the
    `no_application_protocol` alert refuses that way (see SPEC-QUESTIONS, PKI-TLS-2).
    """
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return
    transcripts.add(result)
    name = target.files[0].name if target.files else "hello.txt"
    result.send_frame("RQFL", {"name": name})
    result.expect([ExpectClose(), ExpectError("auth_failed")]).check(
        f"{what}: the responder accepted the connection"
    )


def responder_alias(target: Target) -> str:
    return target.responder_alias or "alice"


def honest_get_script(content: bytes, **lies: object) -> Script:
    """A responder that answers one RQFL; `lies` bends the answer for integrity tests.

    Keys: rsfl_size, rsfl_sha256, done_size, done_sha256, data (bytes actually sent),
    stop_after (bytes sent before ending the connection without DONE), fin_only (end
    with a bare TCP FIN instead of close_notify), error_mid (EROR internal mid-transfer).
    """

    def script(channel: PkiChannel) -> None:
        event = channel.recv_frame()
        if not isinstance(event, ReceivedFrame) or event.type != b"RQFL":
            return
        name = (event.json() or {}).get("name", "")
        rsfl: dict[str, object] = {"name": name, "size": lies.get("rsfl_size", len(content))}
        if "rsfl_sha256" in lies:
            rsfl["sha256"] = lies["rsfl_sha256"]
        channel.send_frame("RSFL", rsfl)
        body = lies.get("data", content)
        assert isinstance(body, bytes)
        stop_after = lies.get("stop_after")
        sent = 0
        for offset in range(0, len(body), 1000):
            piece = body[offset : offset + 1000]
            if isinstance(stop_after, int) and sent + len(piece) > stop_after:
                piece = piece[: stop_after - sent]
                if piece:
                    channel.send_frame("DATA", piece)
                if lies.get("error_mid"):
                    channel.send_frame("EROR", error_payload("internal", "suite: mid-transfer"))
                if lies.get("fin_only"):
                    socket.socket.shutdown(channel.sock, socket.SHUT_RDWR)
                return
            channel.send_frame("DATA", piece)
            sent += len(piece)
        channel.send_frame(
            "DONE",
            {
                "size": lies.get("done_size", len(body)),
                "sha256": lies.get("done_sha256", hashlib.sha256(body).hexdigest()),
            },
        )
        # Wait (bounded) for the client's BYE_ or close, so that the client finishes.
        channel.recv_frame(deadline_after(2.0))

    return script


@dataclass(frozen=True)
class InitiatorRun(ClientRun):
    """A run of the initiator under test, with its declared success rule."""

    success: str = "exit"  # --client-success: "exit" (code 0) | "file" (the {out} file)

    @property
    def succeeded(self) -> bool:
        """Success by the declared rule (an interactive client's exit code may say
        nothing: then the output file is its report)."""
        if self.success == "file":
            return self.kept_file
        return self.returncode == 0

    def describe(self) -> str:
        rule = "" if self.success == "exit" else f" (success rule: {self.success})"
        return super().describe() + rule


def _run_initiator_once(
    target: Target,
    template: str,
    *,
    host: str,
    port: int,
    name: str,
    out: Path,
    alias: str,
    timeout: float = 20.0,
    env: dict[str, str] | None = None,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> InitiatorRun:
    """One run of the initiator under test through the one client runner
    (sftkit.client_run): its template filled in (no shell), `--client-stdin` typed at an
    interactive client, its process group killed at `timeout`."""
    values = {"host": host, "port": str(port), "name": name, "out": str(out), "alias": alias}
    own = target.client_cmd is not None  # the typed answers and the rule go with it
    launch = client_launch(
        template,
        values,
        stdin_template=target.client_stdin if own else None,
        success=target.client_success if own else None,
    )
    done = run_client(launch, timeout=timeout, env=env, started=started)
    return InitiatorRun(
        list(launch.argv),
        done.returncode,
        done.stdout,
        done.stderr,
        out,
        done.timed_out,
        launch.success,
    )


def run_initiator(
    target: Target,
    workdir: Path,
    transcripts: TranscriptBook,
    *,
    cert: Certificate,
    script: Script,
    name: str = "file.bin",
    alpn: Sequence[str] | None = (ALPN,),
    max_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3,
    prepare_out: bytes | None = None,
    alias: str | None = None,
    client_env: dict[str, str] | None = None,
) -> tuple[InitiatorRun, HostileResponder]:
    """Runs the client under test against a hostile responder presenting `cert`; the
    responder's transcripts go to the case's `transcripts`. The client asks for `alias`
    (default: the target's responder alias)."""
    outdir = workdir / f"out-{uuid.uuid4().hex[:6]}"
    outdir.mkdir()
    out = outdir / "received.bin"
    if prepare_out is not None:
        out.write_bytes(prepare_out)
    return run_initiator_watched(
        target,
        workdir,
        transcripts,
        cert=cert,
        script=script,
        out=out,
        name=name,
        alpn=alpn,
        max_version=max_version,
        alias=alias,
        client_env=client_env,
    )


class ClientNotExercised(RuntimeError):
    """The client under test never reached the point the case judges (a harness ERROR)."""


def require_reached(run: ClientRun, hostile: HostileResponder, *, request: bool) -> None:
    """Guards initiator cases against passing vacuously: a client that fails before it
    connects (bad template, missing identity) would otherwise look like one that refused.
    `request`: the client must have sent its RQFL (integrity cases); otherwise it must
    at least have connected to the hostile responder (certificate cases)."""
    if request and "RQFL" not in hostile.frames_received():
        raise ClientNotExercised(
            "the client under test never sent its request, so its checks were not "
            f"exercised (is --client-cmd right?): {run.describe()}"
        )
    if not request and not hostile.transcripts:
        raise ClientNotExercised(
            f"the client under test never connected (is --client-cmd right?): {run.describe()}"
        )


def _only_auth_failed_erors(hostile: HostileResponder) -> bool:
    """Every frame the initiator sent is an `EROR` whose code is auth_failed (PKI-TLS-7
    lets an initiator that refuses a certificate after its handshake say so)."""
    frames = [e.data for t in hostile.transcripts for e in t.entries if e.direction == "recv"]
    for data in frames:
        if data[:4] != b"EROR":
            return False
        try:
            obj = json.loads(data[8:].decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return False
        if not isinstance(obj, dict) or obj.get("code") != ERROR_CODES["auth_failed"]:
            return False
    return True


def judge_refusal(
    run: ClientRun,
    hostile: HostileResponder,
    what: str,
    *,
    frames_allowed: bool = False,
    auth_eror_allowed: bool = True,
) -> None:
    """The initiator under test gave up: non-zero exit, nothing kept under the final name,
    no temporary file left, and (unless `frames_allowed`) no application frame sent to a
    responder it had not verified [PKI-ID-1]. `auth_eror_allowed`: an `EROR
    auth_failed` is not such a frame (PKI-TLS-7: a certificate refused after the
    handshake MAY be answered so); False for a PKI-ID-1 mismatch, which sends none."""
    problems = []
    by_file = isinstance(run, InitiatorRun) and run.success == "file"
    if run.returncode == 0 and not by_file:
        # (By the `file` rule success is the kept file, reported just below.)
        problems.append("exit code 0 (reported success)")
    if run.kept_file:
        problems.append(f"kept {run.out.name} ({run.out.stat().st_size} bytes)")
    left = leftovers(run)
    if left:
        problems.append(f"APP-STORE-3: left temporary files {left}")
    sent = hostile.frames_received()
    if sent and auth_eror_allowed and _only_auth_failed_erors(hostile):
        sent = []
    if sent and not frames_allowed:
        problems.append(f"PKI-ID-1: sent application frames {sent} to an unverified responder")
    if problems:
        raise ConformanceFailure.evidence(
            what,
            "the client fails: non-zero exit, no output file, no temporary file"
            + ("" if frames_allowed else ", no application frame sent"),
            "; ".join(problems),
            note=f"{run.describe()}; hostile responder TLS errors: {hostile.handshake_errors}",
        )


def leftovers(run: ClientRun) -> list[str]:
    """Files in the client's output directory other than the output itself."""
    return sorted(p.name for p in run.out.parent.iterdir() if p != run.out)


__all__ += [
    "ClientNotExercised",
    "InitiatorRun",
    "require_reached",
    "honest_get_script",
    "lab_pki",
    "leftovers",
    "responder_alias",
    "run_initiator",
]


# --- an initiator run the suite can watch and stop (storage cases) -------------------------


def run_initiator_watched(
    target: Target,
    workdir: Path,
    transcripts: TranscriptBook,
    *,
    cert: Certificate,
    script: Script,
    out: Path,
    name: str = "file.bin",
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
    timeout: float = 20.0,
    alpn: Sequence[str] | None = (ALPN,),
    max_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3,
    alias: str | None = None,
    client_env: dict[str, str] | None = None,
    refuse_first: int = 0,
) -> tuple[InitiatorRun, HostileResponder]:
    """`run_initiator` with the output path chosen by the caller (so the script can look
    into its directory while the client runs) and the client's process handed to
    `started` before the responder's script can run (so the script can signal it).
    `refuse_first`: that many connections are closed before TLS (HostileResponder)."""
    template = client_template(target, workdir)
    assert target.root is not None
    cert_path, key_path = cert.write(workdir, f"responder-{uuid.uuid4().hex[:6]}")
    ctx = server_context(cert_path, key_path, target.root, alpn=alpn, max_version=max_version)
    with HostileResponder(ctx, script, timeout=5.0, refuse_first=refuse_first) as hostile:
        run = _run_initiator_once(
            target,
            template,
            host=hostile.host,
            port=hostile.port,
            name=name,
            out=out,
            alias=alias or responder_alias(target),
            timeout=timeout,
            env=client_env,
            started=started,
        )
    for t in hostile.transcripts:
        transcripts.add(t)
    return run, hostile


__all__ += ["run_initiator_watched"]
