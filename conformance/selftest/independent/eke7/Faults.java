import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The planted faults (selftest only), switched on by SFT_INDEPENDENT_FAULTS=name[,name].
 * Mirrored by FAULTS in ../test_eke7.py (test_fault_tables_agree). */
final class Faults {
    private Faults() {}

    static final Map<String, String> TABLE = new TreeMap<>();

    private static void fault(String name, String requirement) { TABLE.put(name, requirement); }

    static {
        // server
        fault("type_check_letter_or_digit", "FRM-2");
        fault("frame_length_readint", "FRM-3");
        fault("read_once_as_frame", "FRM-4");
        fault("json_duplicate_last_wins", "FRM-9");
        fault("json_number_as_double", "FRM-11");
        fault("size_as_int", "APP-PUT-7");
        fault("hex_uppercase_accepted", "FRM-12");
        fault("ns_not_compared", "EKE-HS-6");
        fault("random_fixed_seed", "EKE-HS-10");
        fault("sign_drawn_once", "EKE-X-2");
        fault("unknown_user_fast_fail", "EKE-HS-3");
        fault("bad_record_skipped", "EKE-REC-4");
        fault("plaintext_after_eke4_accepted", "EKE-REC-5");
        fault("record_limit_after_body", "EKE-REC-6");
        fault("empty_data_accepted", "FRM-13");
        fault("excess_data_at_done", "APP-PUT-6");
        fault("files_move_replace", "APP-PUT-8");
        fault("exists_follows_links", "APP-PUT-3");
        fault("temp_default_perms", "APP-STORE-1");
        fault("url_decoded_name", "APP-NAME-3");
        fault("c1_not_refused", "APP-NAME-8");
        fault("symlink_followed", "APP-NAME-4");
        fault("directory_internal", "APP-GET-2");
        fault("count_at_eke1", "EKE-THR-5");
        fault("abandon_not_counted", "EKE-THR-5");
        fault("backoff_linear", "EKE-THR-6");
        fault("throttle_in_memory", "EKE-THR-8");
        fault("user_lookup_casefold", "EKE-PW-4");
        fault("handshake_timeout_per_read", "LIM-1");
        fault("max_conn_never_frees", "LIM-4");
        // client
        fault("client_password_stripped", "EKE-PW-1");
        fault("client_busy_immediate_retry", "EKE-THR-7");
        fault("client_busy_wait_overflow", "ERR-6");
        fault("client_c4_unchecked", "EKE-HS-7");
        fault("client_unknown_code_nonfatal", "ERR-4");
        fault("client_overwrites_output", "APP-GET-6");
        fault("client_no_shutdown_cleanup", "APP-STORE-3");
        fault("client_stores_rsfl_name", "APP-GET-7");
        fault("client_excess_written", "APP-GET-4");
        fault("client_rsfl_sha_ignored", "APP-GET-3");
        fault("client_accept_truthy", "APP-PUT-9");
        // second set (written with the first 40, measured after them)
        fault("record_trailing_ignored", "EKE-REC-1");
        fault("xprime_bounds_only", "EKE-X-3");
        fault("address_lock_ignored", "EKE-THR-1");
        fault("busy_retry_after_zero", "EKE-THR-7");
        fault("pending_not_released_on_abort", "EKE-THR-7");
        fault("success_keeps_consecutive", "EKE-THR-11");
        fault("success_resets_address", "EKE-THR-6");
        fault("shared_failure_table", "EKE-THR-9");
        fault("hard_lock_expires", "EKE-THR-11");
        fault("retry_after_floor", "EKE-THR-6");
        fault("no_startup_sweep", "APP-STORE-3");
        fault("backslash_allowed", "APP-NAME-2");
        fault("bidi_not_refused", "APP-NAME-8");
        fault("string_prefix_confinement", "APP-NAME-4");
        fault("get_size_unchecked", "APP-GET-2");
        fault("putf_sha_ignored", "APP-PUT-5");
        fault("handshake_timeout_silent", "EKE-HS-11");
        fault("idle_timeout_silent", "LIM-2");
        fault("no_send_timeout", "LIM-10");
        fault("addr_cap_off_by_one", "LIM-8");
        fault("evicts_established", "LIM-9");
        fault("bye_no_close", "APP-BYE-1");
        fault("fatal_error_no_close", "ERR-3");
        fault("nonfatal_closes", "ERR-3");
        fault("eke1_type_unchecked", "EKE-HS-9");
        fault("client_temp_default_perms", "APP-STORE-1");
        fault("client_put_exists_ok", "APP-PUT-10");
        // session 10, I6 (blind: lenses of briefs/s10/lenses10.md)
        fault("name_nfc_normalised", "APP-NAME-3");
        fault("put_name_whitelist", "APP-PUT-2");
        fault("put_dirs_refused", "APP-PUT-2");
        fault("component_limit_exclusive", "APP-NAME-7");
        fault("one_transfer_per_connection", "APP-2");
        fault("rsfl_name_basename", "APP-GET-7");
        fault("throttle_address_with_port", "EKE-THR-1");
        fault("throttle_address_per_user", "EKE-THR-1");
        fault("put_no_idle_timeout", "LIM-2");
        fault("json_error_internal", "FRM-9");
        fault("inner_control_limit_bad_frame", "FRM-8");
        fault("eror_received_ignored", "ERR-3");
        fault("bye_during_put_quiet", "APP-BYE-1");
        fault("empty_get_empty_data", "FRM-14");
        fault("client_put_eof_success", "APP-PUT-10");
        fault("client_rsfl_size_ignored", "APP-GET-3");
        fault("get_directory_forbidden", "APP-GET-2");
        fault("retry_after_full_lock", "EKE-THR-6");
        // session 14, I15 (blind: lenses of briefs/s14/lenses14.md)
        fault("drive_letter_assert", "APP-NAME-2");
        fault("done_size_swallowed", "FRM-9");
        fault("components_first_only", "APP-NAME-2");
        fault("name_limit_in_chars", "APP-NAME-1");
        fault("reserved_prefix_whole_name", "APP-NAME-9");
        fault("put_digest_shared", "APP-PUT-8");
        fault("ns_static_buffer", "EKE-HS-6");
        fault("exists_from_startup_listing", "APP-PUT-3");
        fault("temp_before_checks", "APP-STORE-3");
        fault("max_conn_counts_pending_only", "LIM-4");
        fault("client_done_sha_unused", "APP-GET-3");
        fault("client_reserves_output", "APP-GET-5");
        fault("client_busy_retry_same_eke1", "EKE-X-1");
        fault("client_password_nfc", "EKE-PW-1");
        fault("client_zcheck_unused", "EKE-X-3");
        fault("throttle_key_lowercased", "EKE-THR-2");
        fault("client_c2_fail_silent", "EKE-HS-4");
        fault("b14_hard_locks_fill_table", "EKE-THR-9");
        // round 18, I24 (blind: the six lenses of briefs/s18/common.md)
        fault("r18_eke1_extra_member_bad_frame", "FRM-10");
        fault("r18_bye_payload_unparsed", "FRM-9");
        fault("r18_done_sha_biginteger_hex", "FRM-14");
        fault("r18_control_limit_inclusive", "FRM-8");
        fault("r18_idle_stray_done_skipped", "APP-1");
        fault("r18_put_interrupted_by_request", "FRM-6");
        fault("r18_temp_in_java_tmpdir", "APP-STORE-1");
        fault("r18_unknown_user_message", "EKE-HS-8");
        fault("r18_exists_probe_before_link_check", "APP-NAME-6");
        fault("r18_error_names_swapped", "ERR-1");
        fault("r18_put_checks_basename_only", "APP-NAME-2");
        fault("r18_retry_after_double", "ERR-7");
        fault("r18_busy_counted_as_failure", "EKE-THR-7");
        fault("r18_bye_drains_pipelined", "APP-BYE-1");
        fault("client_r18_eke2_extra_member_refused", "FRM-10");
        fault("client_r18_sweep_units_mixed", "APP-STORE-3");
        fault("client_r18_user_nfc", "EKE-PW-1");
        fault("client_r18_put_pipelined_data", "APP-PUT-10");
        // round 18, I24, second set (written after the first 18 were measured: 17 caught)
        fault("r18_unknown_user_not_counted", "EKE-THR-1");
        fault("r18_accept_names_offer", "APP-PUT-1");
        fault("client_r18_sha_lowercased", "FRM-12");
        fault("r18_idle_deadline_per_frame", "LIM-2");
        fault("client_r18_temp_in_java_tmpdir", "APP-STORE-1");
        fault("r18_throttle_tarpit", "EKE-THR-1");
        fault("r18_get_reads_to_eof", "APP-GET-4");
        fault("client_r18_put_sha_biginteger", "FRM-14");
        fault("r18_get_done_sha_biginteger", "APP-GET-2");
        // round 25, B172 (blind, second pass: the lenses of briefs/s25/common.md)
        fault("b25_seq_low16", "EKE-REC-2");
        fault("b25_hs_timeout_after_eke2_silent", "EKE-HS-11");
        fault("b25_garbled_eror_skipped", "ERR-8");
        fault("b25_lone_surrogate_as_question_mark", "FRM-15");
        fault("b25_put_timeout_eror_in_clear", "EKE-REC-4");
        fault("b25_timeout_eror_in_clear", "EKE-REC-4");
        fault("client_b25_done_with_last_data", "EKE-REC-1");
        fault("client_b25_password_hint", "PWF-2");
        // round 28, B233 (foreign pass: the lenses of briefs/s28/common.md; thin MUSTs first)
        fault("client_b28_short_read_payload", "FRM-7");
        fault("client_b28_garbled_eror_skipped", "ERR-8");
        fault("client_b28_atomic_move_replaces", "APP-STORE-2");
        fault("client_b28_continue_timer", "APP-PUT-1");
        fault("client_b28_seeded_sha1prng", "EKE-X-1");
        fault("client_b28_trace_in_eror", "ERR-6");
        fault("client_b28_commit_exists_follows", "APP-STORE-2");
        fault("client_b28_trace_in_eror_only", "ERR-6");
        fault("b28_open_by_path_after_check", "APP-NAME-5");
        fault("b28_short_read_payload", "FRM-7");
    }

    private static final Set<String> ON = new HashSet<>();

    static {
        String env = System.getenv("SFT_INDEPENDENT_FAULTS");
        if (env != null) {
            for (String f : env.split(",")) {
                f = f.trim();
                if (f.isEmpty()) continue;
                if (!TABLE.containsKey(f)) {
                    System.err.println("eke7: unknown fault " + f);
                    System.exit(2);
                }
                ON.add(f);
            }
        }
    }

    static boolean on(String name) { return ON.contains(name); }
}
