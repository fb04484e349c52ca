"""One bug, one requirement: a mutant run against whole case files (no --only-req) FAILs
the requirements it breaks and no others.

The mutant self-test (test_mutants.py) runs one file with `--only-req`, which hides what
a user's full run reports: a case whose oracle blames the wrong requirement, or whose
failure leaves state behind (a locked account) that FAILs the cases after it. These pin
the attribution of full runs over the files where multi-step cases meet one planted bug.

Opt-in like the mutant self-test (each pin costs a server start and a pytest run):
SFT_SELFTEST=all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from conformance.embedded import EmbeddedReference
from conformance.selftest.mutants import MUTANTS
from conformance.selftest.suite_run import PACKAGE, REFERENCE_CLI, read_report, run_suite

_RUN_TIMEOUT = 300.0
pytestmark = [
    pytest.mark.xdist_group("selftest"),
    pytest.mark.skipif(
        os.environ.get("SFT_SELFTEST", "").strip().lower() != "all",
        reason="full-run attribution against mutants: set SFT_SELFTEST=all",
    ),
]

# (mutant, case files, the requirements the run must FAIL: exactly these). A second ID
# is listed only where the mutant really breaks it too (the reason is given).
_PINS = [
    # busy without retry_after: only EKE-THR-7. Before, the honest burst left its account
    # locked (abandoned pending logins) and the busy/throttled oracles blamed every ID
    # their case cited (EKE-THR-1, -2, -5, EKE-SEC-3).
    (
        "throttle-busy-without-retry-after",
        ("test_eke_throttling.py", "test_lockout.py"),
        {"EKE-THR-7"},
    ),
    # No user counter: EKE-THR-1 only; the cases about abandoned or pending handshakes
    # run a control of plain failures and blame the missing count, and the hard-cap
    # case is INCONCLUSIVE when the name is not even throttled.
    (
        "eke-srv-no-user-counter",
        ("test_eke_throttling.py", "test_lockout.py"),
        {"EKE-THR-1"},
    ),
    # Established connections evicted for new ones: LIM-9, not LIM-4 (the bound held).
    ("rel-eke-evict-established", ("test_lockout.py",), {"LIM-9"}),
]


@pytest.fixture(scope="module")
def references() -> Iterator[dict[str, EmbeddedReference]]:
    refs: dict[str, EmbeddedReference] = {}
    yield refs
    for ref in refs.values():
        ref.stop()


@pytest.mark.parametrize(("name", "files", "expected"), _PINS, ids=[p[0] for p in _PINS])
def test_full_run_fails_only_what_the_mutant_breaks(
    name: str,
    files: tuple[str, ...],
    expected: set[str],
    references: dict[str, EmbeddedReference],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    mutant = next(m for m in MUTANTS if m.name == name)
    assert not (mutant.client or mutant.ca), "pins are server mutants"
    tmp = tmp_path_factory.mktemp(name)
    if mutant.profile not in references:
        ref = EmbeddedReference(tmp_path_factory.getbasetemp() / "refs" / mutant.profile)
        ref.start([mutant.profile])
        references[mutant.profile] = ref
    ref = references[mutant.profile]
    launcher = [sys.executable, "-m", "conformance.selftest.mutants", mutant.name, "--"]
    try:
        target = ref.restart(mutant.profile, launcher)
        target_file = target.write_target_file(tmp / "target")
        args = [str(PACKAGE / f) for f in files]
        args += ["--target-config", str(target_file), "--no-rerun"]
        run = run_suite(args, tmp / "report", timeout=_RUN_TIMEOUT)
    finally:
        ref.restart(mutant.profile, list(REFERENCE_CLI))
    report = read_report(run, tmp / "report", f"mutant {name}")
    failed = {r["id"] for r in report["requirements"] if r["verdict"] == "FAIL"}
    blamed = {
        c["nodeid"]: c.get("violates") or c["requirements"]
        for c in report["cases"]
        if c["verdict"] == "FAIL"
    }
    assert failed == expected, (
        f"mutant {name} ({mutant.description}) over {', '.join(files)}: FAILed {sorted(failed)}"
        f", expected exactly {sorted(expected)}; failing cases: {blamed}"
    )


def test_pins_name_known_mutants() -> None:
    known = {m.name for m in MUTANTS}
    assert {p[0] for p in _PINS} <= known
    assert all((PACKAGE / f).is_file() for p in _PINS for f in p[1])
