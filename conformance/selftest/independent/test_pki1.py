"""The PKI cases proven on a second implementation (conformance/selftest/independent/pki1.py).

The reference's mutants are plantings in the reference: a case tuned to its quirks passes
them, yet may FAIL a right implementation written from docs/SPEC.md alone, or pass a wrong
one. Here the embedded reference provides only the organisation (its CA, root, CRL and
identities: `alice` for the responder, `suite` for the initiator, `revoked`, `revoked-2`);
the responder and the initiator under test are pki1.py, described with a target file
exactly as a user describes theirs.

- `test_independent_pki1_is_conformant` (`slow`): every PKI case file, responder and
  initiator, against the unmodified pki1: CONFORMANT, no FAIL.
- `test_independent_fault_is_detected` (`SFT_SELFTEST=all`, like test_mutants.py): each
  fault of `pki1.FAULTS` (SFT_INDEPENDENT_FAULTS) FAILs under its requirement with
  evidence, with only the case files that concern it, and the sanity check passes.

The default run pays nothing: both are opt-in.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.selftest.independent.pki1 import FAULTS
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
# pki1 predated APP-NAME-9 (the reserved `.sft-partial-` prefix); it refuses such puts now
# (fault b14-reserved-prefix-stored keeps the old behaviour).
IMPL = PkiImplementation(
    "pki1",
    "conformance.selftest.independent.pki1",
    "--name",
    restartable=True,
)
pytestmark = pytest.mark.xdist_group("independent-pki1")

# Per fault: the case files that concern its requirement (the run adds --only-req).
_FILES: dict[str, tuple[str, ...]] = {
    "bare-close": ("test_pki_tls.py",),
    "initiator-no-crl": ("test_pki_certs.py",),
    "crl-first-entry": ("test_pki_certs.py",),
    "initiator-no-alias": ("test_pki_identity.py", "test_pki_tls.py"),
    "no-eku": ("test_pki_certs.py",),
    "initiator-no-eku": ("test_pki_certs.py",),
    "ca-leaf": ("test_pki_certs.py",),
    "expired": ("test_pki_certs.py",),
    "no-close-after-fatal": ("test_framing.py", "test_pki_tls.py"),
    "dotdot-normalised": ("test_app_names.py",),
    "symlink-followed": ("test_app_names.py",),
    "put-overwrites": ("test_app_put.py",),
    "partial-final-name": ("test_app_put.py",),
    "client-skips-done": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "extra-data-at-done": ("test_app_put.py", "test_app_integrity.py"),
    "oversize-read": ("test_framing.py", "test_limits.py"),
    "no-idle-timeout": ("test_limits.py",),
    "alpn-not-enforced": ("test_pki_tls.py",),
    "allow-case-folded": ("test_pki_identity.py",),
    "names-nfc": ("test_app_names.py", "test_app_put.py"),
    "prefix-confinement": ("test_app_names.py",),
    "too-large-off-by-one": ("test_app_get.py", "test_app_put.py"),
    "no-handshake-timeout": ("test_limits.py",),
    "put-sha-unchecked": ("test_app_put.py",),
    "initiator-eof-is-end": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "data-frame-oversize": ("test_app_get.py",),
    "bidi-isolates-allowed": ("test_app_names_controls.py",),
    "empty-data-frame": ("test_app_get.py",),
    "duplicate-keys": ("test_framing.py",),
    "bool-is-int": ("test_framing.py", "test_app_put.py"),
    "existence-revealed": ("test_app_names.py",),
    "tls12-allowed": ("test_pki_tls.py",),
    "initiator-extra-dropped": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "initiator-temp-0644": ("test_pki_initiator_transfer.py",),
    "responder-temp-0644": ("test_app_put.py",),
    "first-cn": ("test_pki_identity.py",),
    "no-connection-limit": ("test_limits.py", "test_lockout.py"),
    "pending-cap-off-by-one": ("test_lockout.py",),
    "no-eviction": ("test_lockout.py",),
    "directory-forbidden": ("test_app_get.py",),
    "bye-ends-put": ("test_app_put.py",),
    "stray-answer-ignored": ("test_framing.py", "test_app_get.py"),
    "recv-once": ("test_framing.py",),
    "initiator-overwrites": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "initiator-no-sweep": ("test_pki_initiator_transfer.py",),
    "initiator-sweeps-live": ("test_pki_initiator_transfer.py",),
    "initiator-no-signal-cleanup": ("test_pki_initiator_transfer.py",),
    "initiator-alias-casefold": ("test_pki_identity.py",),
    "initiator-no-alpn": ("test_pki_tls.py",),
    "initiator-request-first": ("test_pki_identity.py", "test_pki_tls.py"),
    "initiator-rsfl-sha-ignored": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "long-error-message": ("test_app_names.py", "test_framing.py"),
    "error-name-dashes": ("test_app_get.py", "test_framing.py"),
    "bye-no-close": ("test_app_get.py", "test_app_put.py", "test_pki_tls.py"),
    "timeout-bare-close": ("test_pki_tls.py", "test_limits.py"),
    "initiator-silent-integrity": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "control-limit-off-by-one": ("test_framing.py",),
    "put-path-kept": ("test_app_put.py", "test_app_names.py"),
    "initiator-expired": ("test_pki_certs.py",),
    "rsfl-basename": ("test_app_get.py",),
    "initiator-rsfl-name": ("test_pki_initiator_transfer.py",),
    "send-blocking": ("test_limits.py",),
    "initiator-put-any-rsfl": ("test_client_put.py",),
    "initiator-put-unconfirmed": ("test_client_put.py",),
    "b2-initiator-tls12-offered": ("test_pki_hardening.py",),
    "b2-initiator-put-close-is-success": ("test_client_put.py",),
    "b2-initiator-recv-once": ("test_pki_initiator_transfer.py",),
    "refused-per-request": ("test_pki_certs.py", "test_pki_tls.py"),
    "client-any-sha2": ("test_pki_certs.py",),
    "allow-prefix": ("test_pki_identity.py",),
    "peer-global": ("test_pki_identity_concurrent.py",),
    "close-after-refusal": ("test_app_refusals.py",),
    "share-lock": ("test_limits_responder.py",),
    "max-connections-off-by-one": ("test_lockout.py",),
    "exists-code-13": ("test_app_refusals.py",),
    "b3-length-in-chars": ("test_framing.py",),
    "b3-handshake-lock": ("test_limits_responder.py",),
    "b3-put-eof-in-done": ("test_app_put.py",),
    "b3-initiator-eof-in-done": ("test_pki_initiator_transfer.py",),
    "b3-initiator-length-in-chars": ("test_pki_initiator_transfer.py",),
    "b4-int-integral-float": ("test_framing.py",),
    "b4-sha256-prefix-match": ("test_framing.py",),
    "b4-inbox-absent-cache": ("test_app_put.py",),
    "b4-truncated-put-committed": ("test_app_put.py",),
    "b4-initiator-accept-one": ("test_client_put.py",),
    "b4-initiator-keep-truncated-get": ("test_pki_initiator_transfer.py",),
    "b4-initiator-whole-frame": ("test_pki_initiator_transfer.py",),
    "b4-malformed-eror-ignored": ("test_framing.py",),
    "b4-no-timeout-inside-a-frame": ("test_limits.py",),
    "b5-put-sha-prefix": ("test_app_put.py",),
    "b5-pending-slot-leaked": ("test_limits.py",),
    "b5-json-decode-replace": ("test_framing.py",),
    "b5-del-accepted": ("test_app_names.py",),
    "b5-data-in-idle-drained": ("test_framing.py",),
    "r2-get-size-unchecked": ("test_app_get.py", "test_app_put.py"),
    "r2-put-budget-not-decremented": ("test_app_put.py", "test_app_integrity.py"),
    "r2-no-idle-timeout-in-put": ("test_limits.py",),
    "r2-timeout-leaves-partial": (
        "test_app_put.py",
        "test_limits.py",
    ),
    "r2-auth-failed-bare-close": ("test_pki_tls.py", "test_pki_certs.py"),
    "r2-too-large-fatal": ("test_app_get.py", "test_app_put.py", "test_app_refusals.py"),
    "r2-allow-put-unchecked": ("test_pki_identity.py",),
    "r2-put-checks-basename-only": ("test_app_put.py", "test_app_names.py"),
    "r2-put-c1-allowed": ("test_app_names_controls.py", "test_app_put.py"),
    "r2-pending-cap-counts-all": ("test_lockout.py",),
    "r2-initiator-first-cn": ("test_pki_identity.py",),
    "r2-initiator-ca-leaf": ("test_pki_certs.py",),
    "r2-initiator-crl-first-entry": ("test_pki_certs.py",),
    "r2-initiator-any-sha2": ("test_pki_certs.py",),
    "r2-initiator-rsfl-size-unchecked": ("test_pki_initiator_transfer.py", "test_app_integrity.py"),
    "r2-initiator-put-exists-is-success": ("test_client_put.py",),
    "r2-initiator-bare-close-after-bye": ("test_pki_tls.py", "test_pki_initiator_transfer.py"),
    "r2-initiator-temp-kept-on-mismatch": (
        "test_pki_initiator_transfer.py",
        "test_app_integrity.py",
    ),
    "r2-timeout-no-eror": ("test_limits.py",),
    # Round 13 (I14), planted blind.
    "i14-eku-lookup-suppressed": (
        "test_pki_certs.py",
        "test_pki_cert_decoding.py",
        "test_pki_refusal_unprompted.py",
        "test_pki_rsa_employees.py",
    ),
    "i14-initiator-rsfl-sha-not-str": (
        "test_client_json_nulls.py",
        "test_client_lies.py",
        "test_pki_initiator_transfer.py",
    ),
    "i14-bc-absent-is-leaf": (
        "test_pki_certs.py",
        "test_pki_refusal_unprompted.py",
        "test_pki_rsa_employees.py",
    ),
    "i14-putf-size-default-zero": (
        "test_framing.py",
        "test_app_member_types.py",
        "test_app_integrity.py",
        "test_app_json_nulls.py",
        "test_app_schema_refusal_close.py",
        "test_interop_done_members.py",
    ),
    "i14-initiator-done-size-default": (
        "test_client_json_nulls.py",
        "test_client_lies.py",
        "test_pki_initiator_transfer.py",
        "test_interop_done_members.py",
    ),
    "i14-refused-cert-slot-kept": (
        "test_limits.py",
        "test_limits_slot_release.py",
        "test_limits_slots.py",
        "test_lockout.py",
        "test_pki_handshake_deadline.py",
        "test_app_server_ops.py",
    ),
    "i14-initiator-truncation-temp-left": (
        "test_pki_initiator_transfer.py",
        "test_client_lies.py",
        "test_client_pki_unhappy_paths.py",
        "test_client_report_late_errors.py",
        "test_client_run_temporaries.py",
    ),
    "i14-name-length-in-chars": ("test_app_names.py",),
    "i14-length-signed": ("test_framing.py", "test_app_integrity.py"),
    "i14-int-range-u64": (
        "test_framing.py",
        "test_app_put.py",
        "test_app_integrity.py",
        "test_app_json_nulls.py",
        "test_interop_done_members.py",
    ),
    "i14-initiator-alias-prefix": ("test_pki_identity.py", "test_client_pki_cert_variants.py"),
    "i14-controls-match-not-search": (
        "test_app_names.py",
        "test_app_put_name_memory.py",
        "test_framing.py",
    ),
    "i14-stale-put-sha": (
        "test_app_put.py",
        "test_app_put_sequence.py",
        "test_app_json_encodings.py",
        "test_interop_transfer_state.py",
        "test_app_put_visibility.py",
    ),
    "i14-loser-stays-receiving": (
        "test_app_put_race_loser.py",
        "test_app_put.py",
        "test_app_refusals.py",
    ),
    "i14-ku-absent-is-signing": (
        "test_pki_certs.py",
        "test_client_pki_certs.py",
        "test_pki_refusal_unprompted.py",
        "test_pki_rsa_employees.py",
    ),
    "i14-refused-put-temp-left": (
        "test_app_put.py",
        "test_app_put_refusal_leftovers.py",
        "test_app_put_visibility.py",
    ),
    "i14-initiator-eror-temp-left": (
        "test_pki_initiator_transfer.py",
        "test_client_lies.py",
        "test_client_pki_unhappy_paths.py",
        "test_client_report_late_errors.py",
        "test_client_run_temporaries.py",
    ),
    "i14-initiator-alpn-none-ok": ("test_pki_tls.py", "test_client_pki_session_checks.py"),
    "r13-initiator-put-stray-frame-closed": ("test_client_pki_put_steps.py",),
    "b14-reserved-prefix-stored": ("test_app_reserved_names.py", "test_interop_escaped_names.py"),
    "l19-startup-sweep-aged": ("test_pki_restart_sweep.py",),
    # Round 24 (B159), planted blind; each points at the file that catches it.
    "b24_auth-failed-detail": ("test_pki_refusal_messages.py",),
    "b24_legacy-types-skipped": ("test_app_leftover_frame_types.py",),
    "b24_get-case-fallback": ("test_app_names.py",),
    "b24_partial-named-after-final": ("test_app_put_temporary_per_put.py",),
    "b24_partial-named-by-name-digest": ("test_app_put_temporary_per_put.py",),
    "b24_alias-pattern": ("test_pki_alias_lengths.py",),
    "b24_allow-admin-bypass": ("test_pki_allow_builtin_aliases.py",),
    "b24_allow-test-prefix": ("test_pki_allow_builtin_aliases.py",),
    "b24_initiator-alias-from-san": ("test_pki_identity.py",),
}
_CLIENT_FAULTS = frozenset(
    {
        "initiator-no-crl",
        "initiator-no-alias",
        "initiator-no-eku",
        "client-skips-done",
        "initiator-eof-is-end",
        "initiator-extra-dropped",
        "initiator-temp-0644",
        "initiator-overwrites",
        "initiator-no-sweep",
        "initiator-sweeps-live",
        "initiator-no-signal-cleanup",
        "initiator-alias-casefold",
        "initiator-no-alpn",
        "initiator-request-first",
        "initiator-rsfl-sha-ignored",
        "initiator-silent-integrity",
        "initiator-expired",
        "initiator-rsfl-name",
        "initiator-put-any-rsfl",
        "initiator-put-unconfirmed",
        "b2-initiator-tls12-offered",
        "b2-initiator-put-close-is-success",
        "b2-initiator-recv-once",
        "b3-initiator-eof-in-done",
        "b3-initiator-length-in-chars",
        "b4-initiator-accept-one",
        "b4-initiator-keep-truncated-get",
        "b4-initiator-whole-frame",
        "r2-initiator-first-cn",
        "r2-initiator-ca-leaf",
        "r2-initiator-crl-first-entry",
        "r2-initiator-any-sha2",
        "r2-initiator-rsfl-size-unchecked",
        "r2-initiator-put-exists-is-success",
        "r2-initiator-bare-close-after-bye",
        "r2-initiator-temp-kept-on-mismatch",
        "i14-initiator-rsfl-sha-not-str",
        "i14-initiator-done-size-default",
        "i14-initiator-truncation-temp-left",
        "i14-initiator-alias-prefix",
        "i14-initiator-eror-temp-left",
        "i14-initiator-alpn-none-ok",
        "r13-initiator-put-stray-frame-closed",
        "b24_initiator-alias-from-san",
    }
)
FAULT_CASES = tuple(
    FaultCase(name, requirement, _FILES[name], description, client=name in _CLIENT_FAULTS)
    for name, (requirement, description) in FAULTS.items()
)


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all (whole suite run)")
def test_independent_pki1_is_conformant(
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
    request: pytest.FixtureRequest,
) -> None:
    check_conformant(IMPL, organisation, workspace, request)


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all")
def test_independent_pki1_client_put_cases_pass(
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
) -> None:
    check_client_put(IMPL, organisation, workspace)


@pytest.mark.skipif(_LEVEL != "all", reason="self-test of pki1's faults: set SFT_SELFTEST=all")
@pytest.mark.parametrize("case", FAULT_CASES, ids=[c.name for c in FAULT_CASES])
def test_independent_fault_is_detected(
    case: FaultCase,
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
    request: pytest.FixtureRequest,
) -> None:
    check_fault(IMPL, case, organisation, workspace, request)
