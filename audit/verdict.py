"""The audit's overall verdict from its parts (docs/SPEC.md IDs decide what is security).

Verdicts, worst first:
- ``insecure``: a security requirement failed, the fuzzer found a violation, or the
  capture shows a leak — exit 1. Proven insecure stays insecure even when another
  part could not run: nothing that part might have said would change it;
- ``error``: a part could not run (harness fault, target unreachable), so nothing
  weaker than "insecure" can be claimed — exit 2;
- ``non-conformant``: a MUST failed that is not a security requirement — exit 1;
- ``conformant``: every part ran (or was skipped with a reason) and passed — exit 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sftkit.outcomes import AUDIT_EXIT_CODES, AuditVerdict, PartStatus

__all__ = [
    "EXIT_CODES",
    "PartResult",
    "id_order",
    "is_security_requirement",
    "overall_verdict",
]

# Requirement groups whose failure makes an implementation insecure, not merely
# non-conformant: authentication, confidentiality, integrity, confinement, robustness.
_SECURITY_PREFIXES: Final = (
    "PKI-TLS-",
    "PKI-CERT-",
    "PKI-ID-",
    "CA-ENR-",
    "EKE-",
    "APP-NAME-",
    "APP-STORE-",
    "LEG-",
    "LIM-5",
    "LIM-6",
)
_SECURITY_IDS: Final = frozenset(
    {"APP-GET-3", "APP-GET-4", "APP-GET-5", "APP-PUT-2", "APP-PUT-3", "APP-PUT-5",
     "APP-PUT-6", "FRM-3", "ERR-5", "ERR-6"}
)
EXIT_CODES: Final = AUDIT_EXIT_CODES


def id_order(rid: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key for requirement IDs: APP-1, APP-GET-3, LEG-EKE-2, LEG-EKE-10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in rid.split("-"))


def is_security_requirement(rid: str) -> bool:
    return rid in _SECURITY_IDS or rid.startswith(_SECURITY_PREFIXES)


@dataclass
class PartResult:
    """One part of the audit (conformance, fuzz or capture) for one target."""

    part: str
    profile: str
    status: str  # "pass" | "findings" | "error" | "skipped"
    summary: str
    report_links: dict[str, str] = field(default_factory=dict)
    failed_requirements: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    # The part could not reach the target, or the target could not complete an honest
    # handshake (sftkit.outcomes.TargetDown): the other parts are not run.
    target_down: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "profile": self.profile,
            "status": self.status,
            "summary": self.summary,
            "report_links": self.report_links,
            "failed_requirements": self.failed_requirements,
            "findings": self.findings,
            "duration_s": round(self.duration_s, 2),
            "target_down": self.target_down,
            "data": self.data,
        }


def overall_verdict(parts: Iterable[PartResult], levels: Mapping[str, str]) -> AuditVerdict:
    """`levels` maps requirement ID -> MUST/SHOULD (from the conformance report)."""
    parts = list(parts)
    insecure = False
    nonconformant = False
    for p in parts:
        if p.status != PartStatus.FINDINGS:
            continue
        if p.part in ("fuzz", "capture"):
            insecure = True
            continue
        for rid in p.failed_requirements:
            if is_security_requirement(rid):
                insecure = True
            elif levels.get(rid, "MUST") == "MUST":
                nonconformant = True
        if not p.failed_requirements:
            nonconformant = True
    if insecure:
        return AuditVerdict.INSECURE
    if any(p.status == PartStatus.ERROR for p in parts):
        return AuditVerdict.ERROR
    if nonconformant:
        return AuditVerdict.NON_CONFORMANT
    return AuditVerdict.CONFORMANT
