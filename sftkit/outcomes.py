"""The kit's outcome vocabulary: verdicts of cases, requirements, parts and audits, and
the two ways a run can end without a verdict (`HarnessError`, `TargetDown`).

Verdicts are `StrEnum`s: they compare equal to, and serialise as, the strings the JSON
reports have always carried (conformance/REPORT-SCHEMA.md, audit's schema), so a reader
of a report needs no import. Code compares members, never prefixes of strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = [
    "CaseVerdict",
    "INCONCLUSIVE_PREFIX",
    "RequirementVerdict",
    "FAILING_VERDICTS",
    "worst_verdict",
    "PartStatus",
    "AuditVerdict",
    "AUDIT_EXIT_CODES",
    "HarnessError",
    "TargetConfigError",
    "TargetDown",
    "TARGET_DOWN",
]


class CaseVerdict(StrEnum):
    """One conformance case's verdict. Declared worst first: that order ranks them."""

    ERROR = "ERROR"  # the harness could not judge (a bug of the case, a target down)
    FAIL = "FAIL"  # the target broke the requirement; evidence attached
    TIMEOUT = "TIMEOUT"  # the target did not answer within the case's budget
    NON_STRICT = "NON-STRICT"  # an unmet SHOULD (FAIL under --strict)
    # A measurement (timing) that reached neither a difference nor the resolution asked
    # in its budget: the target was exercised, the requirement is neither PASS nor FAIL.
    INCONCLUSIVE = "INCONCLUSIVE"
    PASS = "PASS"  # noqa: S105 (a verdict, not a password)
    UNSUPPORTED = "UNSUPPORTED"  # the target does not declare the feature
    SKIP = "SKIP"  # a fact the case needs was not given

    @property
    def rank(self) -> int:
        return _CASE_ORDER.index(self)

    @property
    def judged(self) -> bool:
        """The case ran against the target and said something about the requirement."""
        return self in (CaseVerdict.FAIL, CaseVerdict.TIMEOUT, CaseVerdict.NON_STRICT,
                        CaseVerdict.INCONCLUSIVE, CaseVerdict.PASS)


_CASE_ORDER: tuple[CaseVerdict, ...] = tuple(CaseVerdict)
# The verdicts that mean "the target broke a requirement" (NON-STRICT only under --strict).
FAILING_VERDICTS = frozenset({CaseVerdict.FAIL, CaseVerdict.TIMEOUT})


class RequirementVerdict(StrEnum):
    """A requirement's verdict for one profile and side: the worst of its cases', or one
    of the two verdicts a requirement without a judged case gets."""

    ERROR = "ERROR"
    FAIL = "FAIL"
    TIMEOUT = "TIMEOUT"
    NON_STRICT = "NON-STRICT"
    INCONCLUSIVE = "INCONCLUSIVE"
    PASS = "PASS"  # noqa: S105 (a verdict, not a password)
    UNSUPPORTED = "UNSUPPORTED"
    SKIP = "SKIP"
    UNTESTED = "UNTESTED"  # no case of this run cites it
    NOT_OBSERVABLE = "NOT-OBSERVABLE"  # no case can: the wire does not show it

    @property
    def tested(self) -> bool:
        """Some case ran and judged it (coverage counts only these). ERROR is not: the
        harness could not judge."""
        return self in (RequirementVerdict.FAIL, RequirementVerdict.TIMEOUT,
                        RequirementVerdict.NON_STRICT, RequirementVerdict.INCONCLUSIVE,
                        RequirementVerdict.PASS)


def worst_verdict(verdicts: Iterable[str]) -> RequirementVerdict:
    """A requirement's verdict from its cases' (UNTESTED when there are none)."""
    ranked = sorted((CaseVerdict(v) for v in verdicts), key=lambda v: v.rank)
    return RequirementVerdict(ranked[0].value) if ranked else RequirementVerdict.UNTESTED


class PartStatus(StrEnum):
    """One part of an audit (conformance, fuzz or capture) for one profile."""

    PASS = "pass"  # noqa: S105 (a status, not a password)
    FINDINGS = "findings"
    ERROR = "error"
    SKIPPED = "skipped"


class AuditVerdict(StrEnum):
    CONFORMANT = "conformant"
    NON_CONFORMANT = "non-conformant"
    INSECURE = "insecure"
    ERROR = "error"


AUDIT_EXIT_CODES = {
    AuditVerdict.CONFORMANT: 0,
    AuditVerdict.NON_CONFORMANT: 1,
    AuditVerdict.INSECURE: 1,
    AuditVerdict.ERROR: 2,
}

# A skip whose reason starts with this is a measurement's INCONCLUSIVE (conformance/timing.py
# raises it through `conformance.plugin.inconclusive`).
INCONCLUSIVE_PREFIX = "INCONCLUSIVE: "

# The one phrase every tool prints for a target it could not judge.
TARGET_DOWN = "target down or misconfigured"


class HarnessError(Exception):
    """The kit could not judge the target (exit 2): nothing is said about conformance."""


class TargetDown(HarnessError):
    """The target cannot be reached, or cannot complete an honest handshake at all.

    A target that completes TCP and the handshake and then misbehaves is not down: it is
    non-conformant, and the case it breaks FAILs.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(f"{TARGET_DOWN}: {detail}")
        self.detail = detail


class TargetConfigError(HarnessError, ValueError):
    """The options or the target file do not describe a usable target (a usage error,
    exit 2; one line for the user, never a password)."""
