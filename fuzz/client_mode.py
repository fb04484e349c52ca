"""The fuzzers as a malicious server: fuzz an implementation's initiator (--client-cmd).

The fuzzer plays an sft-eke/1 server with an honest handshake (it knows the account's
password), reads the client's get, and answers with a *mutated* honest response —
`RSFL` + `DATA`* + `DONE` under the same composable mutators (bit flips in the data,
lying sizes and digests, extra or missing `DATA`, truncation, records sealed with the
wrong key or number). The client under test is launched for every case from the
template (`{host} {port} {name} {out} {user} {password_file}`, as in the conformance
suite). Oracles: a file the client keeps must be exactly the served file (APP-GET-3,
APP-GET-6, EKE-REC-4), and the client must end within the deadline (APP-GET-5).
Hypothesis shrinks a failure to the smallest hostile response.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from conformance.eke_hostile import (
    HostileEkeServer,
    ServerView,
    eke_pw,
    honest_eke2,
    read_frame,
    run_client,
)
from conformance.wire import RawConnection, ReceivedFrame, control, deadline_after, frame_bytes
from fuzz.cases import Case, Write
from fuzz.mutators import Mutation, apply_all
from fuzz.oracles import Violation
from fuzz.runner import _EkeRecords, _pieces

__all__ = ["ClientFuzzConfig", "honest_get_response", "fuzz_client_once"]


@dataclass(frozen=True)
class ClientFuzzConfig:
    template: str
    user: str
    password: str
    password_file: Path
    name: str = "served.bin"
    content: bytes = b"the file the hostile server serves, " * 8
    timeout: float = 20.0


def honest_get_response(name: str, content: bytes, pieces: int = 2) -> tuple[bytes, ...]:
    digest = hashlib.sha256(content).hexdigest()
    step = max(1, -(-len(content) // pieces))
    frames = [frame_bytes("RSFL", control({"name": name, "size": len(content), "sha256": digest}))]
    frames += [frame_bytes("DATA", content[i : i + step]) for i in range(0, len(content), step)]
    frames.append(frame_bytes("DONE", control({"size": len(content), "sha256": digest})))
    return tuple(frames)


def _behaviour(config: ClientFuzzConfig, muts: tuple[Mutation, ...], log: list[Case]):  # type: ignore[no-untyped-def]
    pw = eke_pw(config.user, config.password)
    timeout = config.timeout / 2

    def behave(raw: RawConnection, view: ServerView) -> None:
        server = honest_eke2(raw, view, pw, timeout)
        if server is None:
            return
        event = read_frame(raw, view, timeout)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE3":
            return
        obj = event.json() or {}
        raw.send_frame(b"EKE4", server.on_eke3(obj))
        sender, receiver = server.record_layer()
        records = _EkeRecords(sender, receiver)
        request = raw.recv_frame(deadline_after(timeout))
        if not isinstance(request, ReceivedFrame):
            return
        inner = receiver.open(request.raw)
        view.inner.append(inner[:4].decode("latin-1"))
        writes = apply_all(
            tuple(Write(f) for f in honest_get_response(config.name, config.content)), muts
        )
        # role=server: these writes are the fuzzer's answers to a client, not requests.
        log.append(
            Case(
                "eke",
                "channel",
                writes,
                tuple(m.describe() for m in muts),
                extra={"role": "server"},
            )
        )
        for write in writes:
            wire = records.seal(write)
            for piece in _pieces(wire, write.chunks):
                if not raw.send_raw(piece):
                    return
        # Then wait (bounded) for the client to leave: its BYE_ or close.
        raw.recv_frame(deadline_after(timeout))

    return behave


def fuzz_client_once(
    config: ClientFuzzConfig, muts: tuple[Mutation, ...], workdir: Path
) -> tuple[Case | None, list[Violation], str]:
    """One client run against one hostile response; (case, violations, description)."""
    out = workdir / f"got-{abs(hash(muts)) % 10**9}.bin"
    out.unlink(missing_ok=True)
    log: list[Case] = []
    with HostileEkeServer(_behaviour(config, muts, log), timeout=config.timeout) as server:
        result = run_client(
            config.template,
            host=server.host,
            port=server.port,
            name=config.name,
            out=out,
            user=config.user,
            password_file=config.password_file,
            timeout=config.timeout,
        )
    server.check()
    case = log[0] if log else None
    violations = []
    if result.returncode is None:
        violations.append(
            Violation("APP-GET-5", f"the client did not end within {config.timeout:.0f} s")
        )
    if out.exists():
        kept = out.read_bytes()
        if kept != config.content:
            violations.append(
                Violation(
                    "APP-GET-3",
                    f"the client kept {len(kept)} bytes that differ from the served file "
                    f"(exit code {result.returncode})",
                )
            )
        out.unlink()
    return case, violations, result.describe()
