"""One harness for the clean-room organisation CAs (test_ca1.py, test_ca2.py).

Each test module says how to start its CA (`start` below: the embedded organisation's
root in, an `IndependentCa` with its target file out) and which faults it has; this module
runs the CA case files against it and judges the report: the unmodified CA CONFORMANT (no
FAIL, sanity ok), each planted fault FAILing under its requirement with evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.selftest.independent.pki_harness import (
    FaultCase,
    Independent,
    failing_cases,
    organisation,
    workspace,
    write_record,
)
from conformance.selftest.suite_run import PACKAGE, read_report, run_suite
from conformance.target import Target

__all__ = [
    "CA_FILES",
    "FaultCase",
    "IndependentCa",
    "Start",
    "check_ca_conformant",
    "check_ca_fault",
    "organisation",
    "workspace",
]

_RUN_TIMEOUT = 2400.0  # the whole suite: minutes, more on a loaded machine
_FAULT_RUN_TIMEOUT = 240.0

# The case files (and, in shared files, the cases) that judge a CA: every clean-room CA
# is run against all of them (a file its set-up cannot use skips, e.g. the restart cases
# of a CA declared without ca_restart_cmd).
CA_FILES = (
    "test_ca.py",
    "test_ca_csr.py",
    "test_ca_accounts.py",
    "test_ca_bad_csr_guesses.py",
    "test_ca_restart_revocation.py",
    "test_interop_ca_throttle_state.py",
    "test_interop_ca_error_bodies.py",
    "test_interop_ca_unframed_routes.py",
    "test_ca_throttle.py",
    "test_ca_hard_lock_bound.py",
    "test_ca_throttled_cost.py",
    "test_ca_lock_whole_seconds.py",
    "test_ca_stalled_clients.py",
    "test_interop_ca_retry_after_both_backoffs.py",
    "test_interop_ca_concurrent_failures_counted.py",
    "test_ca_restart.py",
    "test_ca_serial_restart.py",
    "test_ca_own_certificate.py",
    "test_ca_restart_spent_backoffs.py",
    "test_pki_hardening.py::test_forbidden_tls13_parameter_is_refused",
    "test_pki_hardening.py::test_ca_crl_lives_at_most_seven_days",
    "test_pki_hardening.py::test_ca_refuses_alias_equal_to_its_host_name",
    "test_timing.py::test_ca_unknown_alias_costs_a_wrong_password",
    "test_ca_request_pieces.py",
    "test_ca_password_bytes.py",
    "test_ca_csr_forms.py",
    "test_ca_paced_failures.py",
    "test_ca_unknown_alias_forms.py",
    "test_ca_own_clock.py",
    "test_ca_error_framing.py",
    "test_ca_admin_while_serving.py",
    "test_interop_ca_pipelined_gets.py",
    "test_interop_ca_lock_threshold.py",
    "test_interop_ca_csr_line_ends.py",
    "test_ca_incomplete_bodies.py",
    "test_ca_answer_forms.py",
    "test_ca_concurrent_enrolments.py",
    "test_ca_revocation_records.py",
    "test_ca_key_forms.py",
    "test_ca_unhappy_paths.py",
    "test_ca_length_forms.py",
    "test_ca_login_state.py",
    "test_ca_restart_resets.py",
    "test_interop_ca_refused_login_slots.py",
    "test_interop_ca_busy_leftovers.py",
    "test_interop_ca_alias_near_own_names.py",
    "test_interop_ca_readmitted_revocations.py",
    "test_interop_ca_pss_csr_hashes.py",
    "test_interop_ca_zero_like_lengths.py",
    "test_interop_ca_after_a_throttle.py",
    "test_ca_zero_length_bodies.py",
    "test_ca_keep_alive_logins.py",
    "test_ca_vanished_logins.py",
    "test_ca_throttle_keys.py",
    "test_ca_admin_after_refusals.py",
    "test_ca_account_oracles.py",
    "test_ca_restart_backoff_ends.py",
    "test_ca_hostile_values_spill.py",
    "test_ca_member_names_exact.py",  # I25 round 18
    "test_ca_alias_forms.py", "test_ca_bodies_never_requests.py", "test_ca_repeated_guesses.py",
    "test_ca_revoked_logins_counted.py", "test_ca_crl_fresh_per_request.py", "test_ca_same_request_spellings.py", "test_ca_account_hints.py", "test_ca_validity_per_key_type.py",  # noqa: E501 - B95 round 18
    "test_ca_csr_whole_string.py",  # B105 (round 19)
    "test_ca_password_lengths.py",  # B105 (round 19)
    "test_ca_read_routes_while_throttled.py",  # B105 (round 19)
    "test_ca_body_limit_per_request.py",  # B105 (round 19)
    "test_ca_restart_keeps_every_rule.py",  # B105 (round 19)
    "test_ca_alias_keys_whole_length.py",  # B105 (round 19)
    "test_ca_csr_unencodable_text.py",  # B111 (round 19c)
    "test_ca_unverified_refusals_uncounted.py",  # B111 (round 19c)
    "test_ca_bounded_work.py",  # B116 (round 20)
    "test_ca_error_messages_quoting.py",  # B116 (round 20)
    "test_ca_csr_parse_failures.py",  # B116 (round 20)
    "test_ca_serial_varying_bits.py",  # B116 (round 20)
    "test_ca_unlock_while_serving.py",  # B116 (round 20)
    "test_ca_malformed_deep_json.py",  # B116 (round 20); ca1, ca3 fixed to pass it
    "test_ca_csr_non_ascii_text.py",  # B119 (round 20b)
    "test_ca_answer_head_untouched.py",  # B119 (round 20b)
    "test_ca_pipelined_after_a_body.py",
    "test_ca_closing_answers_free_slots.py",
    "test_ca_credentials_in_body_only.py",
    "test_ca_unknown_alias_alike.py",
    "test_ca_refused_issuance_holds_nothing.py",
    "test_ca_client_hello_in_pieces.py",
    "test_ca_empty_framing_fields.py",
    "test_ca_silent_flood.py",
    "test_ca_flood_after_an_answer.py",  # B129 (round 21b); ca2 fixed to pass it
    "test_ca_vanished_enrolee.py",  # lead (round 21)
    "test_ca_refused_body_remainder.py",  # B135 (round 22)
    "test_ca_throttle_at_the_body.py",  # B135 (round 22)
    "test_ca_head_field_freedom.py",  # B135 (round 22)
    "test_ca_certificate_as_csr.py",  # B135 (round 22)
    "test_ca_client_certificate_no_login.py",  # B135 (round 22)
    "test_ca_case_insensitive_head_tokens.py",  # B140 (round 22b)
    "test_ca_rsa_public_exponents.py",  # B140 (round 22b)
    "test_ca_csr_attributes_ignored.py",  # B140 (round 22b)
    "test_ca_throttle_request_spellings.py",  # B146 (round 23)
    "test_ca_possession_own_key.py",  # B146 (round 23)
    "test_ca_duplicate_members.py",  # B146 (round 23)
    "test_ca_rsa_exponent_range.py",  # B146 (round 23)
    "test_ca_login_not_inherited.py",  # B146 (round 23)
    "test_ca_log_no_password.py",  # lead (round 23): its declared ca_log
    "test_ca_no_second_secret.py",  # B152 (round 23b)
    "test_ca_enrolled_alias_throttled.py",  # B152 (round 23b)
    "test_ca_paths_beyond_the_spec.py",  # B157 (round 24)
    "test_ca_bare_key_requests.py",  # B157 (round 24)
    "test_ca_request_date_ignored.py",  # B157 (round 24)
    "test_ca_crl_every_revocation.py",  # B161 (round 24, foreign pass)
    "test_ca_answers_never_quote_password.py",  # B157 (round 24)
    "test_no_sample_accounts.py",  # lead (round 24): CA-ENR-6, no account nobody added
    "test_ca_refusal_kinds_keep_password.py",  # B162 (round 24, foreign pass)
    "test_ca_password_near_misses.py",  # B162 (round 24, foreign pass)
    "test_ca_query_in_every_target_form.py",  # B169 (round 25)
    "test_ca_refusals_quote_no_fragment.py",  # B169 (round 25)
    "test_ca_bad_csr_guesses_per_address.py",  # B169 (round 25)
    "test_ca_flood_keeps_the_newcomer.py",  # B169 (round 25)
    "test_ca_issued_cn_is_the_alias.py",  # B180 (round 25, second pass)
    "test_ca_revoked_login_costs_alike.py",  # B180 (round 25, second pass)
    "test_ca_misframed_body_not_quoted.py",  # lead (round 25): B180's reference bug
    "test_ca_served_root_profile.py",  # B186 (round 26)
    "test_ca_failure_answers_dump_nothing.py",  # B186 (round 26)
    "test_ca_batched_logins.py",  # B186 (round 26)
    "test_ca_request_members_ignored.py",  # B186 (round 26)
    "test_ca_parser_errors_no_dump.py",  # B203 (round 27): ERR-6, a bad CSR's answer
    "test_ca_log_refusals_no_password.py",  # B203 (round 27): CA-ENR-5, refusals' log lines
    "test_ca_revoked_login_any_csr.py",  # B203 (round 27): CA-ENR-11, whatever the CSR
    "test_ca_crl_many_revocations.py",  # B203 (round 27): CA-ENR-8, 130 revocations (slow)
    "test_ca_login_traces.py",  # B209 (round 27, second pass): CA-ENR-5, ERR-6, CA-ENR-15
    "test_ca_bad_csr_guesses_lock.py",  # B217 (round 27, third pass): CA-ENR-21
    "test_ca_log_redaction_spellings.py",  # B217 (round 27, third pass): CA-ENR-5
    "test_ca_rsa_beyond_4096.py",  # B217 (round 27, third pass): CA-ENR-2/13
    "test_ca_error_answers_no_debug_dump.py",  # B220 (round 28): ERR-6
    "test_ca_log_unrouted_throttled_no_password.py",  # B220 (round 28): CA-ENR-5
    "test_ca_userinfo_any_scheme_case.py",  # B220 (round 28): CA-ENR-15
    "test_ca_revoked_login_words.py",  # B235 (round 28, foreign pass in ca3): ERR-6
    "test_ca_failed_handshakes_forgotten.py",  # B235 (round 28, foreign pass in ca3): LIM-5
    "test_ca_unread_length_forms.py",  # B231 (round 28, second pass): CA-ENR-9
    "test_ca_busy_answers_dump_nothing.py",  # B231 (round 28, second pass): ERR-6
    "test_ca_held_bodies_any_target_form.py",  # B231 (round 28, second pass): LIM-5
)

# The CA under test, like a peer under test: its process and its target file.
IndependentCa = Independent

# start(organisation, workdir, faults=...) -> the CA running, described by its target file.
Start = Callable[..., IndependentCa]


def _args(files: tuple[str, ...], target_file: Path) -> list[str]:
    return [*(str(PACKAGE / f) for f in files), "--target-config", str(target_file)]


def check_ca_conformant(
    label: str,
    start: Start,
    files: tuple[str, ...],
    organisation: Target,
    workspace: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Every CA case of `files` against the unmodified CA: no FAIL, sanity ok."""
    tmp_path = workspace / f"{label}-conformant"
    independent = start(organisation, tmp_path)
    try:
        run = run_suite(
            _args(files, independent.target_file), tmp_path / "report", timeout=_RUN_TIMEOUT
        )
    finally:
        independent.stop()
    report = read_report(run, tmp_path / "report", f"the independent {label}")
    failing = failing_cases(report)
    write_record(
        request,
        f"independent-{label}.json",
        {
            "summary": report["summary"],
            "failing": [{"nodeid": c["nodeid"], "message": c["message"][:400]} for c in failing],
        },
    )
    assert report["summary"]["sanity_ok"], report["sanity"]
    assert not failing, f"false FAILs against the independent {label}:\n" + "\n".join(
        f"  {c['nodeid']}: {c['message'][:300]}" for c in failing
    )


def check_ca_fault(
    label: str,
    start: Start,
    case: FaultCase,
    organisation: Target,
    workspace: Path,
    request: pytest.FixtureRequest,
) -> None:
    """The planted fault `case` FAILs under its requirement, with evidence."""
    tmp_path = workspace / f"{label}-{case.name}"
    independent = start(organisation, tmp_path, faults=case.name)
    try:
        args = [*_args(case.files, independent.target_file)]
        args += ["--only-req", case.requirement, "--no-rerun"]
        run = run_suite(args, tmp_path / "report", timeout=_FAULT_RUN_TIMEOUT)
    finally:
        independent.stop()
    report = read_report(run, tmp_path / "report", f"{label} with fault {case.name}")
    failing = failing_cases(report, case.requirement)
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    detected = bool(failing) and verdicts.get(case.requirement) == "FAIL"
    write_record(
        request,
        f"independent-{label}-{case.name}.json",
        {
            "fault": case.name,
            "requirement": case.requirement,
            "description": case.description,
            "detected": detected,
            "failing_cases": [c["nodeid"] for c in failing],
            "evidence": failing[0]["evidence"][:4000] if failing else "",
            "duration_s": report.get("duration_s"),
        },
    )
    assert detected, (
        f"fault {case.name} ({case.description}) was not detected: {case.requirement} is "
        f"{verdicts.get(case.requirement, 'UNTESTED')}\n{run.stdout[-3000:]}"
    )
    assert failing[0]["evidence"].strip(), "a FAIL must carry evidence"
    assert report["summary"]["sanity_ok"], report["sanity"]
