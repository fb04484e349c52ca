"""A fuzz case: what to send to a target, at which stage, split and timed how.

A `Case` is data, not code, so that a failure can be saved as JSON (hex bytes, timing,
the requirement it breaks) in `fuzz/corpus/` and replayed later against any target of
the same profile (`python -m fuzz replay CASE --target HOST:PORT`).

Stages say what the runner establishes honestly before the case's writes:

* ``connect`` — nothing: the writes are the first bytes on the TCP connection (the
  sft-eke/1 handshake in clear, or a legacy protocol);
* ``eke2`` — sft-eke/1 only: an honest EKE1 (for a user the server does not know) was
  sent and EKE2 read; the writes replace EKE3;
* ``channel`` — the secure channel is up (TLS for sft-pki/1, the EKE handshake for
  sft-eke/1); each write is one *message* inside it: written to the TLS stream, or
  sealed as one EKE record — honestly, or as the write's `seal` says.

A ``channel`` case may hold several *requests* on the one connection (`Case.requests`:
how many writes each request has). The handshake is the expensive part of a session,
so a campaign spends each one on many requests; the runner paces them (it waits for
the answers a conformant responder owes before sending more, §3.2) and stops at the
target's close. A case without `requests` is one request: every write, then EOF.

Record payloads are not stored sealed: session keys are fresh for every handshake, so
a replay seals the same plaintext again under the new keys, with the same fault.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

__all__ = [
    "PROFILES",
    "STAGES",
    "SEALS",
    "Profile",
    "Stage",
    "Seal",
    "Write",
    "Case",
    "load_case",
    "save_case",
]

Profile = Literal["pki", "eke", "pki-legacy", "eke-legacy"]
Stage = Literal["connect", "eke2", "channel"]
# How an EKE record carrying a write is sealed: honestly, or with one precise fault
# (EKE-REC-2/3/4): another key, a skipped or repeated sequence number, a flipped tag
# bit, or no record at all (the plaintext frame sent in clear after the handshake).
Seal = Literal["honest", "wrong_key", "seq_skip", "seq_repeat", "flip_tag", "clear"]

PROFILES: Final[tuple[Profile, ...]] = ("pki", "eke", "pki-legacy", "eke-legacy")
STAGES: Final[tuple[Stage, ...]] = ("connect", "eke2", "channel")
SEALS: Final[tuple[Seal, ...]] = (
    "honest",
    "wrong_key",
    "seq_skip",
    "seq_repeat",
    "flip_tag",
    "clear",
)
# A case's pauses are bounded so that a campaign stays bounded in time.
MAX_DELAY: Final = 0.25


@dataclass(frozen=True, slots=True)
class Write:
    """One message: `data`, sent after `delay` seconds, in wire pieces of `chunks` sizes."""

    data: bytes
    chunks: tuple[int, ...] = ()
    seal: Seal = "honest"
    delay: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.delay <= MAX_DELAY:
            raise ValueError(f"delay {self.delay} outside 0..{MAX_DELAY}")
        if any(size <= 0 for size in self.chunks):
            raise ValueError("chunk sizes must be positive")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"hex": self.data.hex()}
        if self.chunks:
            out["chunks"] = list(self.chunks)
        if self.seal != "honest":
            out["seal"] = self.seal
        if self.delay:
            out["delay"] = self.delay
        return out

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Write:
        seal = obj.get("seal", "honest")
        if seal not in SEALS:
            raise ValueError(f"unknown seal {seal!r}")
        return cls(
            data=bytes.fromhex(obj["hex"]),
            chunks=tuple(int(c) for c in obj.get("chunks", ())),
            seal=seal,
            delay=float(obj.get("delay", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Case:
    """A complete fuzz input. `mutations` names what was done to the honest script."""

    profile: Profile
    stage: Stage
    writes: tuple[Write, ...]
    mutations: tuple[str, ...] = ()
    # Filled in when the case is saved as a finding: the requirement IDs it breaks.
    requirements: tuple[str, ...] = ()
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Writes per request, in order (their sum is len(writes)); () means one request.
    requests: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}")
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage {self.stage!r}")
        if self.stage == "eke2" and self.profile != "eke":
            raise ValueError("stage eke2 exists only in profile eke")
        if self.requests and (
            sum(self.requests) != len(self.writes) or any(n < 0 for n in self.requests)
        ):
            raise ValueError(
                f"requests {list(self.requests)} do not divide the {len(self.writes)} writes"
            )
        if self.requests and self.stage != "channel":
            raise ValueError("only a channel case holds several requests")

    @property
    def request_count(self) -> int:
        return len(self.requests) if self.requests else 1

    def request_writes(self) -> list[tuple[Write, ...]]:
        """The writes of each request, in order (one request when `requests` is empty)."""
        if not self.requests:
            return [self.writes]
        out = []
        start = 0
        for count in self.requests:
            out.append(self.writes[start : start + count])
            start += count
        return out

    def first_requests(self, count: int) -> Case:
        """The same case cut after `count` requests (what reached the target)."""
        if not self.requests or count >= len(self.requests):
            return self
        kept = self.requests[:count]
        return replace(self, writes=self.writes[: sum(kept)], requests=kept)

    @property
    def tampered_at(self) -> int | None:
        """Index of the first write sealed dishonestly (EKE records), if any."""
        for index, write in enumerate(self.writes):
            if write.seal != "honest":
                return index
        return None

    def with_findings(self, requirements: Sequence[str], note: str) -> Case:
        return replace(self, requirements=tuple(requirements), note=note)

    def describe(self) -> str:
        muts = ", ".join(self.mutations) or "none"
        shape = f"{len(self.writes)} writes"
        if self.requests:
            shape += f" in {len(self.requests)} requests"
        return f"{self.profile}/{self.stage}: {shape}; mutations: {muts}"

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "sft-fuzz-case/1",
            "profile": self.profile,
            "stage": self.stage,
            "requirements": list(self.requirements),
            "note": self.note,
            "mutations": list(self.mutations),
            "writes": [w.to_json() for w in self.writes],
            "extra": dict(self.extra),
            # Optional (older cases have none): one request per case.
            **({"requests": list(self.requests)} if self.requests else {}),
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Case:
        if obj.get("format") != "sft-fuzz-case/1":
            raise ValueError("not an sft fuzz case (format sft-fuzz-case/1)")
        return cls(
            profile=obj["profile"],
            stage=obj["stage"],
            writes=tuple(Write.from_json(w) for w in obj["writes"]),
            mutations=tuple(obj.get("mutations", ())),
            requirements=tuple(obj.get("requirements", ())),
            note=str(obj.get("note", "")),
            extra=dict(obj.get("extra", {})),
            requests=tuple(int(n) for n in obj.get("requests", ())),
        )


def save_case(case: Case, directory: Path, name: str | None = None) -> Path:
    """Writes the case as indented JSON; the name defaults to profile, requirement, hash."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(case.to_json(), indent=1, sort_keys=False) + "\n"
    if name is None:
        import hashlib

        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        req = (case.requirements[0] if case.requirements else "unknown").lower()
        name = f"{case.profile}-{req}-{digest}.json"
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def load_case(path: Path) -> Case:
    return Case.from_json(json.loads(path.read_text(encoding="utf-8")))
