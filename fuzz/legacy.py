"""Fuzzing the legacy profiles (sft-pki/0, sft-eke/0), which are insecure by design.

The same oracles as for v1 — nothing secret in clear, no file from outside the share,
no hang, the next honest client served — run over the seeds' wire formats, spoken
with the conformance toolkit's legacy vocabulary (`conformance.legacy`). Against the
legacy reference they must find real failures (LEG-GEN-2): that is what
`fuzz/test_legacy.py` asserts.

A legacy case is a `Case` with profile `pki-legacy` or `eke-legacy` and stage
`connect`; its `extra` holds the logical input (the requested name, the user), so
that a replay re-encrypts it for the responder's current key.

A session does not half-close (TCP FIN after its writes) unless the case asks for it
(`extra["half_close"]`): a real requester keeps its side open and waits, so a
responder that keeps reading after a complete request (a missing file, garbage, an
oversize header) and never answers nor closes leaves it waiting forever. That is a
finding (LIM-5, LEG-PKI-8 class), found by a bounded wait. Where the case itself left
a frame incomplete, the responder may wait for the rest: that wait is no finding and
is cut short (`_OWED_NOTHING_WAIT`).
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from Crypto.PublicKey import RSA

from fuzz.cases import Case, Write
from fuzz.oracles import Secrets, Violation, nothing_secret_in_clear

__all__ = [
    "LegacyOutcome",
    "HANG_PATIENCE",
    "LegacyPkiIdentity",
    "owed_after",
    "run_pki_legacy",
    "run_eke_legacy",
    "judge",
    "LegacyFuzzTarget",
    "LegacyTargetDown",
    "legacy_identity",
    "legacy_campaign",
]

_RECV = 65536
_MAX = 4 * 1024 * 1024
_OAEP_MAX = 190
_LEGACY_LIMIT = 65536  # the reference closes at a header announcing more (§7.4)
_OWED_NOTHING_WAIT = 2.0  # a responder still owed bytes of a frame may wait; no verdict
# A responder that owes an answer and sends nothing for this long is hung (as the
# conformance cases' PATIENCE): an honest one answers a request at once.
HANG_PATIENCE = 4.0


@dataclass
class LegacyOutcome:
    case: Case
    received: bytes = b""
    pieces: list[bytes] = field(default_factory=list)
    hung: bool = False
    closed: bool = False
    detail: str = ""
    # What the responder owed when the session went quiet: "" when the case left a frame
    # incomplete (it may wait for the rest), else what it was sent last.
    owed: str = "an answer to the request"

    def signature(self) -> str:
        end = "hang" if self.hung else ("close" if self.closed else "open")
        return f"{len(self.pieces)} pieces, {len(self.received)} bytes <{end}>"


@dataclass(frozen=True)
class LegacyPkiIdentity:
    certificate_pem: bytes
    key_pem: bytes

    @property
    def key(self) -> RSA.RsaKey:
        return RSA.import_key(self.key_pem)


def _recv_all(
    sock: socket.socket, deadline: float, out: LegacyOutcome, idle: float = HANG_PATIENCE
) -> None:
    """Until the close; hung when nothing arrives for `idle` s or the deadline passes."""
    buf = bytearray()
    while len(buf) < _MAX:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            out.hung = True
            break
        sock.settimeout(min(remaining, idle))
        try:
            data = sock.recv(_RECV)
        except TimeoutError:
            out.hung = True
            break
        except OSError:
            data = b""
        if not data:
            out.closed = True
            break
        buf += data
    out.received = bytes(buf)


def owed_after(sent: bytes) -> str:
    """What a responder owes after `sent` (the bytes after SECE): "" if the last frame
    is incomplete and announces at most the reference's limit (waiting for its rest is
    legitimate), else a description of what it was sent."""
    offset, last = 0, "a complete RQFL"
    while offset < len(sent):
        if len(sent) - offset < 8:
            return ""  # a partial header: the responder may wait for the rest
        ftype, length = struct.unpack("!4sL", sent[offset : offset + 8])
        if ftype not in (b"SECE", b"RSCV", b"RSCI", b"RQFL", b"RSFL"):
            return f"a frame of unknown type {ftype!r}"
        if length > _LEGACY_LIMIT:
            return f"a {ftype.decode()} header announcing {length} bytes (over 64 KiB)"
        if offset + 8 + length > len(sent):
            return ""
        last = f"a complete {ftype.decode()} frame"
        offset += 8 + length
    return last


def _frames(data: bytes) -> list[tuple[bytes, bytes]]:
    frames = []
    offset = 0
    while len(data) - offset >= 8:
        ftype, length = struct.unpack("!4sL", data[offset : offset + 8])
        if offset + 8 + length > len(data):
            break
        frames.append((ftype, data[offset + 8 : offset + 8 + length]))
        offset += 8 + length
    return frames


def run_pki_legacy(
    host: str, port: int, identity: LegacyPkiIdentity, case: Case, deadline: float
) -> LegacyOutcome:
    """SECE, wait for RSCV, then the case's writes (RQFL built for `extra["name"]` when
    the write is empty), half-close only if `extra["half_close"]`, and read every RSFL
    until the close or the deadline."""
    from conformance.legacy.pki0 import oaep_encrypt, read_certificate

    out = LegacyOutcome(case)
    with socket.create_connection((host, port), timeout=deadline) as sock:
        sock.sendall(struct.pack("!4sL", b"SECE", len(identity.certificate_pem)))
        sock.sendall(identity.certificate_pem)
        head = _read_frame(sock, time.monotonic() + deadline)
        if head is None or head[0] != b"RSCV":
            out.detail = "no RSCV"
            out.closed = True
            return out
        responder = read_certificate(head[1])
        sent = bytearray()
        for write in case.writes:
            data = write.data
            if not data:
                name = str(case.extra.get("name", ""))
                # RSA-2048 OAEP-SHA256 carries at most 190 bytes: the seed's own limit.
                plain = name.encode("utf-8", "replace")[:_OAEP_MAX]
                ciphertext = oaep_encrypt(responder.public_key, plain)
                data = struct.pack("!4sL", b"RQFL", len(ciphertext)) + ciphertext
            try:
                sock.sendall(data)
            except OSError:
                break
            sent += data
        out.owed = owed_after(bytes(sent))
        if case.extra.get("half_close"):
            out.owed = out.owed or "an answer or a close after our FIN"
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        idle = HANG_PATIENCE if out.owed else _OWED_NOTHING_WAIT
        _recv_all(sock, time.monotonic() + deadline, out, min(idle, deadline))
    key = identity.key
    from conformance.legacy.pki0 import oaep_decrypt

    for ftype, payload in _frames(out.received):
        if ftype == b"RSFL":
            try:
                out.pieces.append(oaep_decrypt(key, payload))
            except ValueError:
                out.detail = "an RSFL piece did not decrypt"
    return out


def _read_frame(sock: socket.socket, deadline: float) -> tuple[bytes, bytes] | None:
    buf = bytearray()
    while True:
        if len(buf) >= 8:
            ftype, length = struct.unpack("!4sL", buf[:8])
            if length > _MAX:
                return None
            if len(buf) >= 8 + length:
                return bytes(ftype), bytes(buf[8 : 8 + length])
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        sock.settimeout(remaining)
        try:
            data = sock.recv(_RECV)
        except OSError:
            return None
        if not data:
            return None
        buf += data


def run_eke_legacy(
    host: str, port: int, password: str, case: Case, deadline: float
) -> LegacyOutcome:
    """The seed's client exchange; `extra` may replace the user, the password sent, or
    skip steps; the case's writes are then sent raw (as extra messages), then EOF."""
    from conformance.legacy.eke0 import EkeClient
    from conformance.legacy.stream import Closed, LegacyStream, TimedOut

    out = LegacyOutcome(case)
    extra: dict[str, Any] = dict(case.extra)
    stream = LegacyStream(host, port, deadline)
    try:
        client = EkeClient(stream, password.encode())
        sent_password = extra.get("password")
        answer = client.login(
            str(extra.get("user", "yash101")).encode(),
            None if sent_password is None else str(sent_password).encode(),
        )
        steps = int(extra.get("steps", 4))
        if answer == b"Authenticated" and steps >= 2:
            client.group()
            if steps >= 3:
                client.exchange()
            if steps >= 4:
                client.confirm()
                client.transfer()
        for write in case.writes:
            stream.send(write.data)
        out.closed = True
    except Closed:
        out.closed = True
    except TimedOut:
        out.hung = True
    except (OSError, ValueError, KeyError) as exc:
        out.detail = f"{type(exc).__name__}: {exc}"
        out.closed = True
    finally:
        out.received = bytes(stream.received)
        stream.close()
    return out


def judge(out: LegacyOutcome, secrets: Secrets, deadline: float) -> list[Violation]:
    """The v1 oracles that apply to a legacy session."""
    found: list[Violation] = []
    if out.hung and out.owed:
        name = out.case.extra.get("name")
        about = f" (requested {name!r})" if name is not None else ""
        found.append(
            Violation(
                "LIM-5",
                f"after {out.owed}{about} the responder sent nothing and did not close for "
                f"{min(HANG_PATIENCE, deadline):.1f} s: a requester that waits is stuck forever",
            )
        )
    # Everything a legacy target sends is outside any secure channel.
    clear = Case(out.case.profile, "connect", (Write(b""),))
    from fuzz.runner import Outcome

    found += nothing_secret_in_clear(Outcome(clear, clear_bytes=out.received), secrets)
    content = b"".join(out.pieces)
    if secrets.canary and secrets.canary[:32] in content:
        name = out.case.extra.get("name")
        found.append(
            Violation("APP-NAME-4", f"requested {name!r} and received a file outside the share")
        )
    return found


# --- a bounded campaign with a JSON result (what `sft audit` runs) ----------------------


# A legacy server may serve one connection and exit (the eke/0 seed): when an audit's
# conformance part spent it, the fuzzer finds nothing listening.
_ONE_SHOT = " (a one-shot server, like the eke/0 seed, serves one connection and exits)"


class LegacyTargetDown(Exception):
    """The honest baseline session failed: nothing can be fuzzed (a harness verdict)."""


@dataclass
class LegacyFuzzTarget:
    """A legacy target to fuzz and what the campaign may know about it."""

    profile: str  # "pki-legacy" | "eke-legacy"
    host: str
    port: int
    secrets: Secrets
    identity: LegacyPkiIdentity | None = None
    user: str = "yash101"
    password: str = ""
    file_name: str = "report.bin"
    canary_name: str = "secret.txt"


def legacy_identity(
    root: bytes, ca_url: str | None, enroll: str | None, ca_key: bytes | None
) -> LegacyPkiIdentity:
    """An identity a pki/0 responder accepts, made with the tester's own pki/0 code:
    enrolled at the CA (`enroll` is ALIAS:PASSWORDFILE) or minted with the root's key."""
    import datetime

    from conformance.legacy import der, pki0
    from sftkit.password_file import read_password_file

    key = pki0.suite_key(0)
    key_pem = key.export_key("PEM")
    if ca_url and enroll:
        alias, _, pwfile = enroll.partition(":")
        public = key.public_key().export_key("PEM") + b"\n"
        body = pki0.verify_body(root, alias, read_password_file(pwfile), public)
        status, answer = pki0.post_verify(ca_url, body)
        if status != 200:
            raise LegacyTargetDown(f"enrolment of {alias!r} answered {status}: {answer[:200]!r}")
        return LegacyPkiIdentity(answer, key_pem)
    if ca_key is not None:
        now = datetime.datetime.now(datetime.UTC)
        pem = der.mint_under_root(
            root,
            RSA.import_key(ca_key),
            "fuzz",
            key,
            not_before=now - datetime.timedelta(minutes=5),
            not_after=now + datetime.timedelta(days=1),
            extensions=(
                der.basic_constraints(False),
                der.extended_key_usage(der.EKU_CLIENT_AUTH, der.EKU_SERVER_AUTH),
            ),
        )
        return LegacyPkiIdentity(pem, key_pem)
    raise ValueError(
        "pki-legacy fuzzing needs an identity: --root with --ca-url/--enroll or --ca-key"
    )


def _legacy_session(fuzzed: LegacyFuzzTarget, case: Case, deadline: float) -> LegacyOutcome:
    if fuzzed.profile == "pki-legacy":
        assert fuzzed.identity is not None
        return run_pki_legacy(fuzzed.host, fuzzed.port, fuzzed.identity, case, deadline)
    return run_eke_legacy(fuzzed.host, fuzzed.port, fuzzed.password, case, deadline)


def _baseline(fuzzed: LegacyFuzzTarget, deadline: float) -> None:
    """One honest session first: a target that cannot serve one is down (exit 2), and
    for eke/0 the file it serves becomes a secret every later session is judged by."""
    if fuzzed.profile == "pki-legacy":
        case = Case("pki-legacy", "connect", (Write(b""),), extra={"name": fuzzed.file_name})
        try:
            out = _legacy_session(fuzzed, case, deadline)
        except OSError as exc:
            raise LegacyTargetDown(
                f"the honest session could not connect: {exc}{_ONE_SHOT}"
            ) from exc
        if out.detail == "no RSCV":
            raise LegacyTargetDown("the honest session got no RSCV")
        return
    from conformance.legacy.eke0 import EkeClient
    from conformance.legacy.stream import Closed, LegacyStream, TargetDown, TargetGone, TimedOut

    try:
        stream = LegacyStream(fuzzed.host, fuzzed.port, deadline)
    except (OSError, TargetDown, TargetGone) as exc:
        raise LegacyTargetDown(f"the honest session could not connect: {exc}{_ONE_SHOT}") from exc
    try:
        content = EkeClient(stream, fuzzed.password.encode()).run(fuzzed.user.encode())
    except (Closed, TimedOut, TargetGone, OSError, ValueError, KeyError, AssertionError) as exc:
        raise LegacyTargetDown(f"the honest session failed: {type(exc).__name__}: {exc}") from exc
    finally:
        stream.close()
    if content:
        fuzzed.secrets.files.setdefault("the served file", content)


def legacy_campaign(
    fuzzed: LegacyFuzzTarget,
    *,
    seconds: float,
    seed_value: int,
    findings: Path | None,
    deadline: float = 12.0,
    max_examples: int = 200,
) -> dict[str, Any]:
    """A bounded hypothesis campaign (`seconds`, `max_examples`) over one legacy target;
    returns the `sft-fuzz-campaign/1` document the v1 campaign writes."""
    from collections import Counter

    from hypothesis import HealthCheck, Phase, example, given, seed, settings
    from hypothesis import strategies as st

    from fuzz.campaign import BudgetSpent, FindingRecorder
    from fuzz.mutators import Mutation, apply_all
    from fuzz.strategies import Knowledge, hostile_names, mutations

    started = time.monotonic()
    responses: Counter[str] = Counter()
    violations_seen: Counter[str] = Counter()
    sessions = 0
    failure = ""
    down = False
    saved: Path | None = None
    recorder = FindingRecorder()
    budget_end = started + seconds

    def one(case: Case) -> None:
        nonlocal sessions
        if time.monotonic() > budget_end:
            raise BudgetSpent
        from conformance.legacy.stream import TargetDown, TargetGone

        try:
            out = _legacy_session(fuzzed, case, deadline)
        except (TargetDown, TargetGone) as exc:
            raise LegacyTargetDown(f"the target stopped answering: {exc}") from exc
        except OSError as exc:
            out = LegacyOutcome(case, detail=f"{type(exc).__name__}: {exc}", closed=True)
        sessions += 1
        responses[out.signature()] += 1
        found = judge(out, fuzzed.secrets, deadline)
        if found:
            for v in found:
                violations_seen[v.requirement] += 1
            recorder.record(case, found)
            raise AssertionError("; ".join(map(str, found)) + f"\ncase: {case.describe()}")

    # No shrinking: a case is one name (or login) and at most one mutation, already small.
    phases = (Phase.explicit, Phase.generate)
    run_settings = settings(
        max_examples=max_examples, deadline=None, database=None, phases=phases,
        suppress_health_check=list(HealthCheck),
    )
    if fuzzed.profile == "pki-legacy":
        knowledge = Knowledge(file_name=fuzzed.file_name, canary_name=fuzzed.canary_name)
        names = st.one_of(
            st.just(fuzzed.file_name), st.just("no-such-file.bin"), st.just("/etc/passwd"),
            hostile_names(knowledge),
        )

        # The known attacks first (explicit examples), then the generated ones.
        @seed(seed_value)
        @run_settings
        @given(name=names, muts=st.lists(mutations("pki-legacy", "connect", knowledge),
                                         max_size=1), half_close=st.booleans())
        @example(name=fuzzed.file_name, muts=[], half_close=False)
        @example(name="../" + fuzzed.canary_name, muts=[], half_close=False)
        @example(name="../../../../../../../../etc/passwd", muts=[], half_close=False)
        @example(name="/etc/passwd", muts=[], half_close=False)
        def pki_campaign(name: str, muts: list[Mutation], half_close: bool) -> None:
            writes = apply_all((Write(b""),), muts)
            one(Case("pki-legacy", "connect", writes, tuple(m.describe() for m in muts),
                     extra={"name": name, "half_close": half_close}))

        campaign = pki_campaign
    else:

        @seed(seed_value)
        @run_settings
        @given(
            user=st.sampled_from([fuzzed.user, "", "nobody", fuzzed.user + "\x00"]),
            steps=st.integers(1, 4),
            tail=st.lists(st.binary(max_size=64), max_size=2),
        )
        @example(user=fuzzed.user, steps=4, tail=[])  # the honest session first
        def eke_campaign(user: str, steps: int, tail: list[bytes]) -> None:
            one(Case("eke-legacy", "connect", tuple(Write(t) for t in tail if t),
                     extra={"user": user, "steps": steps}))

        campaign = eke_campaign
    try:
        _baseline(fuzzed, deadline)
        campaign()
    except LegacyTargetDown as exc:
        failure, down = f"target down or misconfigured: {exc}; nothing fuzzed", True
    except BudgetSpent:
        pass
    except AssertionError as exc:
        saved = recorder.save(findings, f"{fuzzed.profile}-finding.json") if findings else None
        failure = str(exc)
    elapsed = max(time.monotonic() - started, 1e-9)
    return {
        "schema": "sft-fuzz-campaign/1",
        "profile": fuzzed.profile,
        "seed": seed_value,
        "examples": sessions,
        "sessions": sessions,
        "sessions_per_s": round(sessions / elapsed, 1),
        "mutated_sessions": sessions,
        "requests": sessions,
        "requests_per_s": round(sessions / elapsed, 1),
        "elapsed_s": round(elapsed, 2),
        "distinct_responses": len(responses),
        "top_responses": [[sig, n] for sig, n in responses.most_common(12)],
        "violations": dict(sorted(violations_seen.items())),
        "setup_failures": 0,
        "failure": failure,
        "target_down": down,
        "saved_case": str(saved) if saved else None,
        "resource_findings": [],
        "ok": not failure,
    }
