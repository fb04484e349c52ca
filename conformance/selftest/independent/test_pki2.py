"""The PKI cases proven on a third implementation (conformance/selftest/independent/pki2.py).

pki2 is the second clean-room sft-pki/1 responder and initiator (round 2, other hands,
another style: TLS driven through `ssl.SSLObject` over memory BIOs, its own choices where
SPEC allows two answers: see its docstring). As for pki1 (test_pki1.py), the embedded
reference provides only the organisation (its CA, root, CRL and identities: `alice` for
the responder, `suite` for the initiator, `revoked`, `revoked-2`); the responder and the
initiator under test are pki2.py, described with a target file as a user describes theirs.

- `test_independent_pki2_is_conformant` (`slow`): every PKI case file, responder and
  initiator, against the unmodified pki2: CONFORMANT, no FAIL.
- `test_independent_pki2_client_put_cases_pass` (`slow`): test_client_put.py against
  pki2's put initiator.
- `test_independent_fault_is_detected` (`SFT_SELFTEST=all`): each fault of `pki2.FAULTS`
  (SFT_INDEPENDENT_FAULTS) FAILs under its requirement with evidence, with only the case
  file that concerns it, and the sanity check passes.

The default run pays nothing: all are opt-in.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.selftest.independent.pki2 import FAULTS
from conformance.selftest.independent.pki_harness import (
    FaultCase,
    PkiImplementation,
    check_client_put,
    check_conformant,
    check_fault,
    organisation,  # noqa: F401 - a fixture, used by name
    workspace,  # noqa: F401 - a fixture, used by name
)
from conformance.target import Target

_LEVEL = os.environ.get("SFT_SELFTEST", "").strip().lower()
IMPL = PkiImplementation(
    "pki2", "conformance.selftest.independent.pki2", "--as", restartable=True
)
pytestmark = pytest.mark.xdist_group("independent-pki2")

FAULT_CASES = tuple(
    FaultCase(
        name, fault.requirement, tuple(fault.test_file.split()), fault.description, fault.client
    )
    for name, fault in FAULTS.items()
)


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all (whole suite run)")
def test_independent_pki2_is_conformant(
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
    request: pytest.FixtureRequest,
) -> None:
    check_conformant(IMPL, organisation, workspace, request)


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all")
def test_independent_pki2_client_put_cases_pass(
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
) -> None:
    check_client_put(IMPL, organisation, workspace)


@pytest.mark.skipif(_LEVEL != "all", reason="self-test of pki2's faults: set SFT_SELFTEST=all")
@pytest.mark.parametrize("case", FAULT_CASES, ids=[c.name for c in FAULT_CASES])
def test_independent_fault_is_detected(
    case: FaultCase,
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
    request: pytest.FixtureRequest,
) -> None:
    check_fault(IMPL, case, organisation, workspace, request)
