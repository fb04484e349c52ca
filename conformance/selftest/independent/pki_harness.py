"""One harness for the clean-room sft-pki/1 implementations (test_pki1.py, test_pki2.py).

The embedded reference provides only the organisation (its CA, root, CRL and identities:
`alice` for the responder, `suite` for the initiator, `revoked`, `revoked-2`); the
responder and the initiator under test are the implementation's own processes, described
with a target file exactly as a user describes theirs. Each test module names its
implementation (`PkiImplementation`) and its faults, and runs three checks through this
module: the whole suite judges it CONFORMANT; test_client_put.py passes against its put
initiator; each planted fault FAILs under its requirement with evidence.
"""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.embedded import EmbeddedReference
from conformance.selftest.independent.launching import fault_env, hup_restart_command
from conformance.selftest.suite_run import PACKAGE, read_report, run_suite, selftest_dir
from conformance.target import Target
from sftkit.launch import LaunchedProcess, launch_server

__all__ = [
    "PKI_FILES",
    "FaultCase",
    "Independent",
    "PkiImplementation",
    "check_client_put",
    "check_conformant",
    "check_fault",
    "failing_cases",
    "organisation",
    "start_independent",
    "workspace",
    "write_record",
]

_RUN_TIMEOUT = 2400.0  # the whole suite: ~7-15 min quiet, more on a loaded machine
_FAULT_RUN_TIMEOUT = 240.0
_READY_TIMEOUT = 20.0

# The case files that judge a pki responder and initiator (the CA is the reference's,
# judged elsewhere; the eke files do not apply).
PKI_FILES = (
    "test_pki_tls.py",
    "test_pki_key_updates.py",
    "test_pki_certs.py",
    "test_pki_identity.py",
    "test_pki_handshake_deadline.py",
    "test_pki_identity_concurrent.py",
    "test_pki_hardening.py",
    "test_pki_initiator_transfer.py",
    "test_app_get.py",
    "test_app_put.py",
    "test_app_names.py",
    "test_app_names_controls.py",
    "test_app_integrity.py",
    "test_framing.py",
    "test_limits.py",
    "test_lockout.py",
    "test_app_reserved_names.py",
    "test_app_refusals.py",
    "test_limits_responder.py",
    "test_client_fatal_errors.py",
    "test_app_toctou.py",
    "test_app_json_encodings.py",
    "test_app_json_escape_forms.py",
    "test_app_escape_link_answers.py",
    "test_app_later_put_checks.py",
    "test_app_put_temporary_modes.py",
    "test_error_disclosure.py",
    "test_pki_keylog.py",
    "test_timing.py",
    "test_app_error_frames.py",
    "test_pki_isolation.py",
    "test_client_lies.py",
    "test_client_pki_certs.py",
    "test_limits_slots.py",
    "test_app_share_files.py",
    "test_app_share_renamed_dirs.py",
    "test_app_inbox_files.py",
    "test_limits_slot_release.py",
    "test_ops_slot_return.py",
    "test_ops_refusal_close.py",
    "test_ops_lim9_newcomer.py",
    "test_app_json_nulls.py",
    "test_client_json_nulls.py",
    "test_app_server_ops.py",
    "test_app_eror_from_initiator.py",
    "test_app_put_inbox_links.py",
    "test_app_put_race_loser.py",
    "test_app_schema_refusal_close.py",
    "test_interop_transfer_state.py",
    "test_ops_long_sessions.py",
    "test_client_encodings.py",
    "test_client_error_content.py",
    "test_app_put_names.py",
    "test_app_put_sequence.py",
    "test_app_share_and_inbox.py",
    "test_pki_refusal_unprompted.py",
    "test_pki_rsa_employees.py",
    "test_interop_client_sweep.py",
    "test_interop_client_ignored_eror.py",
    "test_client_pki_cert_variants.py",
    "test_client_put_renamed.py",
    "test_client_pki_close_timing.py",
    "test_client_pki_hello_retry.py",
    "test_interop_split_puts.py",
    "test_interop_empty_transfers.py",
    "test_app_get_frame_sizes.py",
    "test_app_control_bytes.py",
    "test_app_put_name_memory.py",
    "test_app_idle_tail.py",
    "test_client_put_wire.py",
    "test_client_lenient_frames.py",
    "test_client_sweep_prefix.py",
    "test_client_sweep_links.py",
    "test_client_pki_alias_memory.py",
    "test_interop_frame_length_bytes.py",
    "test_interop_pki_refusal_close.py",
    "test_interop_json_grammar.py",
    "test_ops_pki_revocation.py",
    "test_ops_pki_allow_alias.py",
    "test_ops_slow_reader_get.py",
    "test_client_sigint.py",
    "test_client_sweep_idle_age.py",
    "test_client_sweep_upper_age.py",
    "test_client_login_closed.py",
    "test_pki_handshake_burst.py",
    "test_pki_silent_peers.py",
    "test_app_failed_put_traces.py",
    "test_app_put_reset_endings.py",
    "test_app_put_beside_slow_get.py",
    "test_app_same_file_beside_stalled_get.py",
    "test_client_pki_give_up.py",
    "test_client_pki_cert_shapes.py",
    "test_client_pki_eror_fatality.py",
    "test_client_pki_put_trust.py",
    "test_client_pki_temp_names.py",
    "test_ops_stalled_neighbours.py",
    "test_ops_declared_sizes_timers.py",
    "test_ops_pki_resumption.py",
    "test_ops_pki_refusal_bytes.py",
    "test_ops_admission_refusal_order.py",
    "test_client_run_fatal_endings.py",
    "test_client_run_get_lies.py",
    "test_client_run_frame_forms.py",
    "test_client_run_put_answers.py",
    "test_interop_answer_frames.py",
    "test_interop_stalled_payloads.py",
    "test_interop_put_receipt_frames.py",
    "test_interop_get_stray_frames.py",
    "test_app_extension_members.py",
    "test_app_put_concurrent.py",
    "test_app_put_growing_sequence.py",
    "test_app_put_visibility.py",
    "test_app_get_concurrent.py",
    "test_ops_idle_shared.py",
    "test_client_pki_put_identity.py",
    "test_interop_client_closing_frames.py",
    "test_interop_get_excess_total.py",
    "test_interop_pki_server_purpose.py",
    "test_client_store_side_by_side.py",
    "test_client_store_server_names.py",
    "test_client_report_late_errors.py",
    "test_client_report_put_frames.py",
    "test_app_member_types.py",
    "test_app_putf_digest_forms.py",
    "test_app_requests_during_answers.py",
    "test_app_put_refusal_leftovers.py",
    "test_interop_failed_put_names.py",
    "test_interop_refused_put_state.py",
    "test_interop_done_members.py",
    "test_client_pki_cert_forms.py",
    "test_client_pki_unhappy_paths.py",
    "test_pki_cert_decoding.py",
    "test_interop_x_impostor_signers.py",
    "test_ops_pki_refreshed_context.py",
    "test_ops_put_after_failed_put.py",
    "test_ops_idle_floor.py",
    "test_ops_refusal_descriptors.py",
    "test_ops_admission_ledger.py",
    "test_client_run_control_limits.py",
    "test_client_run_output_dir.py",
    "test_client_run_temporaries.py",
    "test_client_pki_error_forms.py",
    "test_client_pki_get_endings.py",
    "test_pki_initiator_goodbye_unechoed.py",
    "test_pki_initiator_key_updates.py",  # lead (round 22)
    "test_client_pki_put_steps.py",
    "test_client_pki_member_sets.py",
    "test_client_pki_request_names.py",
    "test_client_pki_session_checks.py",
    "test_app_name_shapes.py",
    "test_app_request_volume.py",
    "test_app_put_interleaved.py",
    "test_pki_handshake_overlap.py",
    "test_pki_refusal_messages.py",
    "test_pki_subject_order.py",
    "test_pki_resumption.py",
    "test_client_pki_retry_checks.py",
    "test_client_pki_cert_layouts.py",
    "test_client_pki_alias_forms.py",
    "test_pki_alias_lengths.py",
    "test_client_pki_data_bounds.py",
    "test_ops_slow_put.py",
    "test_ops_admission_counts.py",
    "test_ops_trickle_deadlines.py",
    "test_ops_dead_connection_leftovers.py",
    "test_ops_concurrent_transfers.py",
    "test_ops_pki_trust_carried.py",
    "test_client_run_put_source.py",
    "test_client_put_source_unchanged.py",
    "test_client_run_before_data.py",
    "test_client_run_sweep_revived.py",
    "test_client_run_enrol_edges.py",
    "test_client_run_stopped_after_done.py",
    "test_interop_live_slow_senders.py",
    "test_interop_escaped_names.py",
    "test_interop_pki_chain_alias.py",
    "test_interop_pki_eviction_order.py",
    "test_interop_pki_allow_list_refusals.py",
    "test_interop_put_error_path_traces.py",
    "test_client_pki_json_tails.py",
    "test_client_pki_put_hello.py",
    "test_app_size_widths.py",
    "test_ops_connection_cap.py",
    "test_ops_login_pace_idle.py",
    "test_ops_established_before_request.py",
    "test_ops_failed_handshake_descriptors.py",
    "test_ops_stalled_readers_slots.py",
    "test_ops_idle_whole_seconds.py",
    "test_app_name_character_rules.py",
    "test_app_payload_encodings.py",
    "test_app_inbox_now.py",
    "test_pki_refreshed_service.py",
    "test_interop_pki_chain_tail.py",
    "test_client_pki_chain_extras.py",
    "test_client_pki_escaped_duplicates.py",
    "test_client_pki_eror_message_lengths.py",
    "test_client_pki_wrapped_payloads.py",
    "test_app_put_dot_runs.py",
    "test_app_reserved_prefix_lookalikes.py",  # I23 (round 17)
    "test_app_put_text_bytes.py",
    "test_app_refused_put_followers.py",
    "test_app_duplicate_key_spellings.py",
    # B86 (round 17): the pki responder and the application protocol
    "test_app_duplicate_key_escape_forms.py",
    "test_app_name_separators.py",
    "test_app_name_wildcards.py",
    "test_app_put_done_pause.py",
    "test_app_bye_pipelined.py",
    "test_pki_validity_seconds.py",
    "test_pki_subject_injection.py",
    "test_app_idle_after_answer.py",
    "test_app_put_digest_digits.py",  # I24 (round 18)
    "test_pki_revoked_refusal_close.py",  # I25 (round 18)
    "test_app_foreign_members.py",  # B92 (round 18)
    "test_app_late_repeats.py",  # B92 (round 18)
    "test_app_put_name_folds.py",  # B92 (round 18)
    "test_app_get_name_echo.py",  # B92 (round 18)
    "test_app_link_target_existence.py",  # B92 (round 18)
    "test_pki_initiator_feature_members.py",  # B94 (round 18)
    "test_pki_initiator_json_names.py",  # B94 (round 18)
    "test_pki_initiator_close_with_unread.py",  # B94 (round 18)
    "test_client_put_early_receipt.py",  # B94 (round 18)
    "test_client_sweep_time_zones.py",  # B94 (round 18)
    "test_app_name_boundary_characters.py",  # B102 (round 19)
    "test_app_put_existing_content.py",  # B102 (round 19)
    "test_app_put_beside_ended_connections.py",  # B102 (round 19)
    "test_app_put_beside_puts_in_progress.py",  # B110 (round 19c)
    "test_app_bye_behind_requests.py",  # B102 (round 19)
    "test_pki_allow_list_verdicts.py",  # B102 (round 19)
    "test_pki_restart_sweep.py",  # lead (round 19): SKIPs without [pki] restart_cmd
    "test_app_reserved_prefix_spellings.py",  # B101 (round 19)
    "test_app_get_done_of_bytes_sent.py",  # B101 (round 19)
    "test_pki_initiator_server_purpose_oids.py",  # B104 (round 19)
    "test_pki_initiator_alias_narrowed_chars.py",  # B104 (round 19)
    "test_pki_initiator_get_ended_without_done.py",  # B104 (round 19)
    "test_pki_initiator_payload_encodings.py",  # B104 (round 19)
    "test_pki_initiator_eror_messages.py",  # B104 (round 19)
    "test_pki_initiator_undecodable_names.py",  # B104 (round 19)
    "test_pki_initiator_parser_limits.py",  # B115 (round 20)
    "test_pki_initiator_alias_check_cost.py",  # B115 (round 20)
    "test_pki_initiator_eror_echo_bounds.py",  # B115 (round 20)
    "test_pki_initiator_put_refusal_codes.py",  # B115 (round 20)
    "test_pki_initiator_signature_hashes.py",  # B115 (round 20)
    "test_pki_client_key_kinds.py",  # B113 (round 20)
    "test_app_eror_echo_bounds.py",  # B113 (round 20)
    "test_app_name_structure_characters.py",  # B113 (round 20)
    "test_app_integer_digit_runs.py",  # B113 (round 20)
    "test_app_restart_sweep_links.py",  # B113 (round 20)
    "test_app_link_refusal_text.py",  # B112 (round 20)
    "test_app_get_deepest_name.py",  # B112 (round 20)
    "test_app_name_check_cost.py",  # B117 (round 20)
    "test_ops_refused_then_reset.py",  # B117 (round 20)
    "test_app_put_name_echo_bounds.py",  # B117 (round 20)
    "test_client_empty_string_members.py",  # B123 (round 21)
    "test_client_put_unknown_members.py",  # B123 (round 21)
    "test_pki_initiator_fatal_eror_batched.py",  # B124 (round 21)
    "test_pki_initiator_done_control_limit.py",  # B124 (round 21)
    "test_pki_initiator_empty_put_receipt.py",  # B128 (round 21b)
    "test_app_put_race_aftermath.py",  # B132 (round 22)
    "test_app_idle_after_put_refusals.py",  # B132 (round 22)
    "test_pki_client_chain_layouts.py",  # B132 (round 22)
    "test_pki_initiator_every_connection_checked.py",  # B134 (round 22)
    "test_app_put_reflected_answers.py",  # B134 (round 22)
    "test_app_initiator_bye_after_refusal.py",  # B134 (round 22)
    "test_pki_initiator_json_spellings.py",  # B134 (round 22)
    "test_pki_initiator_eror_names_for_people.py",  # B134 (round 22)
    "test_app_put_entry_before_done.py",  # B137 (round 22b)
    "test_app_put_folded_separators.py",  # B143 (round 23)
    "test_app_put_large_verification.py",  # B143 (round 23)
    "test_app_put_later_data_frame_bounds.py",  # B143 (round 23)
    "test_pki_allow_list_pipelined.py",  # B143 (round 23)
    "test_client_pki_retry_after_refusal.py",  # B145 (round 23)
    "test_ops_pki_restart_rules.py",  # B147 (round 23): SKIPs without [pki] restart_cmd
    "test_app_relative_link_escapes.py",  # B149 (round 23b)
    "test_app_put_oversize_control.py",  # B149 (round 23b)
    "test_client_pki_large_get_integrity.py",  # B151 (round 23b)
    "test_client_pki_put_split_answers.py",  # B151 (round 23b)
    "test_client_pki_control_bytes.py",  # B151 (round 23b)
    "test_app_digest_leading_zeros.py",  # B154 (round 24)
    "test_app_leftover_frame_types.py",  # B154 (round 24)
    "test_app_put_stored_bytes.py",  # B154 (round 24)
    "test_client_pki_alias_separators.py",  # B156 (round 24)
    "test_client_pki_extensionless_certs.py",  # B156 (round 24)
    "test_client_pki_put_receipt_retry.py",  # B156 (round 24)
    "test_ops_concurrent_puts.py",  # B158 (round 24)
    "test_ops_pki_busy_path_tls.py",  # B158 (round 24)
    "test_ops_pki_refreshed_allow.py",  # B158 (round 24)
    "test_client_output_secrets.py",  # lead (round 24): PWF-2, the enrolment client
    "test_app_put_temporary_per_put.py",  # B159 (round 24, foreign pass)
    "test_pki_allow_builtin_aliases.py",  # B159 (round 24, foreign pass)
    "test_app_fatal_answer_forms.py",  # B166 (round 25)
    "test_app_refusals_keep_connection.py",  # B166 (round 25)
    "test_pki_busy_refusal_certificate.py",  # B166 (round 25)
    "test_pki_client_frame_gaps.py",  # B168 (round 25)
    "test_pki_client_keys_nowhere.py",  # B168 (round 25)
    "test_pki_client_put_name_bytes.py",  # B168 (round 25)
    "test_ops_stalled_refusals.py",  # B170 (round 25)
    "test_ops_declared_address_cap.py",  # B170 (round 25)
    "test_ops_connection_churn.py",  # B170 draft, finished post-blind (round 25)
    "test_pki_get_memory_concurrent.py",  # B174 (round 25, foreign pass)
    "test_ops_lim7_declared_limits.py",  # B181 (round 25, second pass)
    "test_ops_put_commit_is_rename.py",  # B181 (round 25, second pass)
    "test_pki_initiator_crl_file.py",  # lead (round 25): client_crl_cmd, PKI-CERT-11/12
    "test_app_put_cut_by_eror.py",  # B177 (round 25, second pass)
    "test_app_put_excess_conditions.py",  # B177 (round 25, second pass)
    "test_app_put_done_digest_forms.py",  # B177 (round 25, second pass)
    "test_pki_allow_refusal_last_frame.py",  # B177 (round 25, second pass)
    "test_pki_client_keylog_existing.py",  # B179 (round 25, second pass)
    "test_pki_client_length_order.py",  # B179 (round 25, second pass)
    "test_pki_client_error_code_wrap.py",  # B179 (round 25, second pass)
    "test_pki_client_put_receipt_cut.py",  # B179 (round 25, second pass)
    "test_enroll_refused_ca_output.py",  # B179 (round 25, second pass): PWF-2, enrolment
    "test_app_state_machine.py",  # B188/B189 (round 26): the SPEC's machine (AALpy)
    "test_app_unknown_code_midput_and_long_echo.py",  # B183 (round 26)
    "test_pki_client_refusal_words.py",  # B185 (round 26)
    "test_pki_client_transport_faults.py",  # B185 (round 26)
    "test_pki_client_commit_inode.py",  # B185 (round 26)
    "test_pki_client_frame_types.py",  # B185 (round 26)
    "test_pki_client_put_slow_accept.py",  # B185 (round 26)
    "test_pki_client_stop_no_bye.py",  # B185 (round 26)
    "test_pki_client_oversize_close.py",  # B185 (round 26)
    "test_enroll_every_hello.py",  # B185 (round 26): PKI-TLS-9, every hello
    "test_app_get_crossed_by_eror.py",  # B190 (round 26, second pass)
    "test_app_put_bytes_as_sent.py",  # B190 (round 26, second pass)
    "test_app_name_url_characters.py",  # B190 (round 26, second pass)
    "test_app_cut_after_whole_json_frames.py",  # B196/B197 (round 26): FRM-7, cut after JSON
    "test_client_cut_after_whole_json_frames.py",  # B196/B197 (round 26): FRM-7, initiators
    "test_pki_client_control_limits_mid_get.py",  # B191 (round 26, second pass)
    "test_pki_client_put_early_ends.py",  # B191 (round 26, second pass)
    "test_pki_client_put_receipt_fatal.py",  # B191 (round 26, second pass)
    "test_enroll_answer_chain.py",  # B191 (round 26, second pass)
    "test_enroll_busy_retry_hellos.py",  # B191 (round 26, second pass)
    "test_enroll_proxy_env.py",  # B191 (round 26, second pass)
    "test_pki_client_overrun_big_frames.py",  # B208 (round 27)
    "test_pki_client_crl_same_cert_again.py",  # B208 (round 27)
    "test_pki_client_put_receipt_digest_forms.py",  # B208 (round 27)
    "test_enroll_alias_separator_runs.py",  # B208 (round 27)
    "test_enroll_proxy_each_variable.py",  # B208 (round 27)
    "test_enroll_answer_unknown_key.py",  # B208 (round 27): ERR-6, reference fixed
    "test_pki_client_bye_frames.py",  # B202 (round 27)
    "test_app_get_multi_frame_excess.py",  # B200 (round 27)
    "test_app_put_excess_after_earlier.py",  # B200 (round 27)
    "test_app_malformed_eror_then_request.py",  # B200 (round 27)
    "test_app_oversize_closing_frames.py",  # B213 (round 27, foreign pass in pki4)
    "test_pki_client_big_get_killed.py",  # B211 (round 27, second pass)
    "test_pki_client_crl_file_big.py",  # B211 (round 27, second pass)
    "test_pki_client_tolerated_with_fatal.py",  # B211 (round 27, second pass)
    "test_pki_client_put_wait_frames.py",  # B216 (round 27, third pass)
    "test_pki_client_retry_then_silent.py",  # B216 (round 27, third pass)
    "test_pki_client_after_bye.py",  # B219 (round 28)
    "test_pki_client_put_split_answer.py",  # B219 (round 28)
    "test_pki_client_crl_old_window.py",  # B219 (round 28)
    "test_pki_client_request_name_url_chars.py",  # B219 (round 28)
    "test_app_error_messages_no_dump.py",  # B221 (round 28)
    "test_pki_client_empty_get_ends.py",  # B230 (round 28, second pass)
    "test_pki_client_lie_output_no_trace.py",  # B232 (round 28, foreign pass in pki6)
    "test_pki_client_state_machine.py",  # B234 (round 28): the initiator's get as a model
)


@dataclass(frozen=True)
class PkiImplementation:
    """How to run one implementation: its label, module and the put's name option."""

    label: str  # "pki1"
    module: str  # "conformance.selftest.independent.pki1"
    put_name_option: str  # its `put` takes the stored name as `--name` or `--as`
    # Case files of PKI_FILES the implementation was not written to (a requirement added
    # to the spec after it): its conformance run leaves them out.
    not_judged: tuple[str, ...] = ()
    # A program that is not a Python module (pki3, in Go): its command, used instead of
    # `python -m module`; it takes the same options.
    program: tuple[str, ...] = ()
    # Known non-conformities the implementation cannot avoid (its TLS stack offers no
    # setting for them): (case node id, reason). Its conformance run requires each of
    # them to FAIL — fixed, it is noticed — and judges every other case as usual.
    known_gaps: tuple[tuple[str, str], ...] = ()
    # It re-executes its responder on SIGHUP on the same listening socket: the target
    # declares that restart (`[pki] restart_cmd`, test_pki_restart_sweep.py).
    restartable: bool = False

    def command(self) -> list[str]:
        """The command that runs the implementation (before `serve`, `get` or `put`)."""
        return list(self.program) if self.program else [sys.executable, "-m", self.module]


@dataclass(frozen=True)
class FaultCase:
    """A planted fault and where the suite must see it."""

    name: str
    requirement: str
    files: tuple[str, ...]
    description: str
    client: bool = False


@dataclass
class Independent:
    """The implementation serving the embedded organisation's share, and its target file."""

    proc: LaunchedProcess
    target: Target
    target_file: Path

    def stop(self) -> None:
        self.proc.stop()


def start_independent(
    impl: PkiImplementation,
    base: Target,
    workdir: Path,
    *,
    faults: str = "",
    client_faults: str = "",
) -> Independent:
    """`impl` as responder (with `faults`) and as the initiator template (`client_faults`)."""
    assert base.root is not None and base.share is not None
    alice_cert, alice_key = base.identities["alice"]
    suite_cert, suite_key = base.identities["suite"]
    inbox = workdir / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    limits = base.limits
    cmd = [
        *impl.command(), "serve",
        "--cert", str(alice_cert), "--key", str(alice_key), "--root", str(base.root),
        "--ca-url", str(base.ca_url), "--listen", "127.0.0.1:0",
        "--share", str(base.share), "--inbox", str(inbox),
        "--handshake-timeout", str(limits.handshake_timeout),
        "--idle-timeout", str(limits.idle_timeout),
        "--max-file-size", str(limits.max_file_size),
        "--max-connections", str(limits.max_connections),
        "--max-pending-per-address", str(limits.max_pending_per_address or 8),
        "--crl-refresh", str(limits.crl_refresh),
    ]  # fmt: skip
    for alias in ("suite", "carol", "revoked"):
        cmd += ["--allow", alias]
    log = workdir / f"{impl.label}-serve.log"
    proc = launch_server(
        cmd, name=impl.label, log=log, env=fault_env(faults), ready_timeout=_READY_TIMEOUT,
    )  # fmt: skip
    host, port = proc.host, proc.port
    faults_env = ["env", f"SFT_INDEPENDENT_FAULTS={client_faults}"] if client_faults else []
    identity = [
        "--cert", shlex.quote(str(suite_cert)), "--key", shlex.quote(str(suite_key)),
        "--root", shlex.quote(str(base.root)), "--ca-url", shlex.quote(str(base.ca_url)),
    ]  # fmt: skip
    client = " ".join(
        [
            *faults_env,
            *map(shlex.quote, impl.command()), "get", "{alias}@{host}:{port}",
            "{name}", "-o", "{out}", *identity,
            "--idle-timeout", str(limits.idle_timeout), "--timeout", "5",
        ]
    )  # fmt: skip
    # The same initiator as a sender (test_client_put.py).
    client_put = " ".join(
        [
            *faults_env,
            *map(shlex.quote, impl.command()), "put", "{alias}@{host}:{port}",
            "{file}", impl.put_name_option, "{name}", *identity, "--timeout", "5",
        ]
    )  # fmt: skip
    target = base.with_changes(
        host=host, port=port, pid=proc.pid, client_cmd=client, embedded=False, inbox=inbox
    ).with_changes(
        client_put_cmd=client_put,
        # Never the embedded peer's restart (base's): this responder's, or none.
        restart_cmd=hup_restart_command(proc.pid, log) if impl.restartable else None,
    )
    return Independent(proc, target, target.write_target_file(workdir / "target"))


@pytest.fixture(scope="module")
def workspace() -> Iterator[Path]:
    """A directory of our own, not pytest's basetemp: every other pytest session of the
    same user rotates those, and on a shared machine one deleted ours under a long run."""
    with tempfile.TemporaryDirectory(prefix="sft-independent-pki-") as directory:
        yield Path(directory)


@pytest.fixture(scope="module")
def organisation(workspace: Path) -> Iterator[Target]:
    """The embedded reference's CA, root, CRL, identities and share: the organisation an
    independent peer or CA is installed into (the reference's own peer or CA unused)."""
    ref = EmbeddedReference(workspace / "organisation")
    try:
        # The reference's own responder keeps running, idle: it is not under test.
        yield ref.pki()
    finally:
        ref.stop()


def failing_cases(
    report: dict[str, object], requirement: str | None = None
) -> list[dict[str, str]]:
    cases = report["cases"]
    assert isinstance(cases, list)
    return [
        c
        for c in cases
        if c["verdict"] == "FAIL"
        and (requirement is None or requirement in (c.get("violates") or c["requirements"]))
    ]


def write_record(request: pytest.FixtureRequest, name: str, data: object) -> None:
    out = selftest_dir(request.config)
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(data, indent=1) + "\n")


def check_conformant(
    impl: PkiImplementation,
    organisation: Target,
    workspace: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Every PKI case file, responder and initiator: CONFORMANT, no FAIL."""
    tmp_path = workspace / "conformant"
    independent = start_independent(impl, organisation, tmp_path)
    try:
        args = [str(PACKAGE / f) for f in PKI_FILES if f not in impl.not_judged]
        args += ["--target-config", str(independent.target_file)]
        run = run_suite(args, tmp_path / "report", timeout=_RUN_TIMEOUT)
    finally:
        independent.stop()
    report = read_report(run, tmp_path / "report", f"the independent {impl.label}")
    gaps = {nodeid for nodeid, _ in impl.known_gaps}  # "file.py::test[param]"
    gap_failures = {g for c in failing_cases(report) for g in gaps if c["nodeid"].endswith(g)}
    failing = [c for c in failing_cases(report) if not any(c["nodeid"].endswith(g) for g in gaps)]
    write_record(
        request,
        f"independent-{impl.label}.json",
        {
            "summary": report["summary"],
            "failing": [{"nodeid": c["nodeid"], "message": c["message"][:400]} for c in failing],
            "known_gaps": [{"nodeid": n, "reason": r} for n, r in impl.known_gaps],
        },
    )
    assert gap_failures == gaps, f"known gaps that no longer FAIL: {sorted(gaps - gap_failures)}"
    assert report["summary"]["sanity_ok"], report["sanity"]
    assert not failing, f"false FAILs against the independent {impl.label}:\n" + "\n".join(
        f"  {c['nodeid']}: {c['message'][:300]}" for c in failing
    )


def check_client_put(impl: PkiImplementation, organisation: Target, workspace: Path) -> None:
    """Every case of test_client_put.py, slow variants too, against the implementation's
    own put initiator (its `client_put_cmd`): a FAIL is a bug in it or a case that assumed
    the reference client's reading where SPEC allows another."""
    tmp_path = workspace / "client-put"
    independent = start_independent(impl, organisation, tmp_path)
    try:
        args = [str(PACKAGE / "test_client_put.py"), "-m", "slow or not slow"]
        args += ["--target-config", str(independent.target_file), "--no-rerun"]
        run = run_suite(args, tmp_path / "report", timeout=_FAULT_RUN_TIMEOUT)
    finally:
        independent.stop()
    report = read_report(run, tmp_path / "report", f"{impl.label}'s put initiator")
    verdicts = {c["nodeid"]: c["verdict"] for c in report["cases"]}
    # NON-STRICT is a SHOULD not met (APP-PUT-11: a receipt for other bytes taken as
    # success): reported, not a failure of conformance.
    assert verdicts and set(verdicts.values()) <= {"PASS", "NON-STRICT"}, (
        f"{impl.label}'s put initiator: {verdicts}\n{run.stdout[-3000:]}"
    )
    assert "PASS" in verdicts.values(), verdicts


def check_fault(
    impl: PkiImplementation,
    case: FaultCase,
    organisation: Target,
    workspace: Path,
    request: pytest.FixtureRequest,
) -> None:
    """The fault FAILs its requirement, with evidence, in the case files that concern it,
    and the sanity check passes."""
    tmp_path = workspace / case.name
    independent = start_independent(
        impl,
        organisation,
        tmp_path,
        faults="" if case.client else case.name,
        client_faults=case.name if case.client else "",
    )
    try:
        args = [str(PACKAGE / f) for f in case.files]
        args += ["--target-config", str(independent.target_file)]
        args += ["--only-req", case.requirement, "--no-rerun"]
        run = run_suite(args, tmp_path / "report", timeout=_FAULT_RUN_TIMEOUT)
    finally:
        independent.stop()
    report = read_report(run, tmp_path / "report", f"{impl.label} with fault {case.name}")
    failing = failing_cases(report, case.requirement)
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    write_record(
        request,
        f"independent-{impl.label}-{case.name}.json",
        {
            "fault": case.name,
            "requirement": case.requirement,
            "description": case.description,
            "detected": bool(failing) and verdicts.get(case.requirement) == "FAIL",
            "failing_cases": [c["nodeid"] for c in failing],
            "evidence": failing[0]["evidence"][:4000] if failing else "",
            "duration_s": report.get("duration_s"),
        },
    )
    assert failing and verdicts.get(case.requirement) == "FAIL", (
        f"fault {case.name} ({case.description}) was not detected: {case.requirement} is "
        f"{verdicts.get(case.requirement, 'UNTESTED')}\n{run.stdout[-3000:]}"
    )
    assert failing[0]["evidence"].strip(), "a FAIL must carry evidence"
    assert report["summary"]["sanity_ok"], report["sanity"]
