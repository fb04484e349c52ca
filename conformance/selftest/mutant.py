"""The shape of a planted bug (conformance/selftest/mutants*.py) and the one way a mutant
reaches the reference: by module name, imported only inside the mutant's own subprocess."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Mutant", "_module", "revocation_not_rechecked"]


def _module(name: str) -> Any:
    return importlib.import_module(name)


@dataclass(frozen=True)
class Mutant:
    """A bug planted in the reference, and the requirement the suite must then FAIL."""

    name: str
    group: str
    profile: str  # the server the mutant runs: "eke" or "pki"
    requirement: str
    test_file: str  # where the suite checks it (relative to conformance/)
    description: str
    apply: Callable[[], None]
    default: bool = False  # planted with SFT_SELFTEST=1 (one per group); =all plants all
    client: bool = False  # the mutant is the reference's CLIENT (run via --client-cmd)
    ca: bool = False  # the mutant is the reference's CA server
    # With client=True: the mutant is the reference's ENROLMENT client (`sft enroll`, run
    # via the target's enroll_cmd against test_enroll_client.py's hostile CA).
    enroll: bool = False
    # "thorough": only the thorough timing tier can see it (SFT_TIMING_TIER=thorough, as
    # `tox -e timing` sets); the default self-test skips it and says so.
    tier: str = "default"
    # Limits (conformance/target.py `Limits` fields) the target file leaves undeclared, as
    # a target that declares only what it must: the case has to judge it on SPEC defaults.
    undeclared: tuple[str, ...] = ()
    # Run the suite with pytest's --strict: the mutant breaks a SHOULD (NON-STRICT otherwise).
    strict: bool = False
    # A server started with this max file size instead of the suite's 2 MiB (conformance/
    # embedded.py `max_file_size`): for mutants only files of many MiB show (LIM-6).
    max_file_size: int | None = None
    # Only a case marked `slow` sees it (e.g. a counter that wraps after 65,536 records):
    # its file is run with `-m "slow or not slow"`. The default self-test runs it too.
    slow: bool = False


def surrogate_hash_raises(apply: Callable[[], None]) -> Callable[[], None]:
    """`apply`, plus the CA's password hash as it was when these mutants were written:
    raising on a lone surrogate (`password.encode("utf-8")`).

    Mutants of the CA's internal-error path (a traceback in the 500, an attempt left
    pending after an exception) need an input that makes the handler raise; since
    session 16 the reference hashes a lone surrogate like any wrong password, so no input
    does. An implementation with such a bug has some raising path; this plants one.
    """

    def both() -> None:
        apply()
        from conformance.selftest.mutants_app import _patch_source  # (imports this module)

        _patch_source(
            _module("reference.pki.ca"),
            "_hash_password",
            (
                'secret = password.encode("utf-8", "surrogatepass")',
                'secret = password.encode("utf-8")',
            ),
        )

    both.__name__ = getattr(apply, "__name__", "apply")
    return both


def revocation_not_rechecked(apply: Callable[[], None]) -> Callable[[], None]:
    """`apply`, plus the removal of the reference's second revocation check.

    The reference consults an alias's revocation twice: at the password check and again
    in the transaction that records its certificate (CA-ENR-11: a revocation committed
    in between must not leave an unlisted certificate). A mutant that plants "revocation
    not consulted at enrolment" in the first place would be masked by the second, which
    an implementation with that bug does not have: it removes both.
    """

    def both() -> None:
        apply()
        from conformance.selftest.mutants_app import _patch_source  # (imports this module)

        _patch_source(
            _module("reference.pki.ca").CertificateAuthority,
            "enroll",
            ("if row is not None and row[0] is not None:", "if False:"),
        )

    both.__name__ = getattr(apply, "__name__", "apply")
    return both
