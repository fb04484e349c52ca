/* Planted faults of pki5 (SFT_INDEPENDENT_FAULTS=name[,name], read once at start).
 *
 * Each line: FAULT(enum, "name", "REQUIREMENT-ID", "one line: the mistake").
 * The Python harness (test_pki5.py) mirrors this table and checks that the two agree.
 * Every fault is a mistake a C team on OpenSSL's libssl really makes.
 */
#ifndef PKI5_FAULTS_H
#define PKI5_FAULTS_H

#define PKI5_FAULT_TABLE(FAULT) \
    FAULT(F_VERIFY_CB_ACCEPTS, "verify_cb_returns_1", "PKI-CERT-4", "the responder's verify callback logs the error and returns 1 instead of preverify_ok") \
    FAULT(F_NO_FAIL_IF_NO_PEER_CERT, "verify_peer_without_fail_if_no_cert", "PKI-TLS-3", "SSL_VERIFY_PEER without SSL_VERIFY_FAIL_IF_NO_PEER_CERT, and no peer-certificate check after the handshake") \
    FAULT(F_CRL_FLAG_UNSET, "crl_loaded_flag_unset", "PKI-CERT-7", "the CRL is added to the X509_STORE but X509_V_FLAG_CRL_CHECK is never set") \
    FAULT(F_EKU_ABSENT_ANY, "missing_eku_is_any_purpose", "PKI-CERT-5", "the EKU check only runs when the extension is present (OpenSSL's any-purpose default)") \
    FAULT(F_CA_TRUE_ACCEPTED, "basic_constraints_unchecked", "PKI-CERT-6", "the leaf's BasicConstraints are never looked at: a CA:TRUE peer certificate is accepted") \
    FAULT(F_ALPN_NOACK, "alpn_select_noack", "PKI-TLS-2", "the ALPN select callback returns SSL_TLSEXT_ERR_NOACK on no match and the connection is served") \
    FAULT(F_TLS12_ALLOWED, "min_proto_tls12", "PKI-TLS-1", "the responder's SSL_CTX_set_min_proto_version is TLS1_2_VERSION") \
    FAULT(F_NO_CLOSE_NOTIFY_BYE, "bye_close_without_shutdown", "PKI-TLS-7", "after BYE_ the responder close()s the socket without SSL_shutdown") \
    FAULT(F_FATAL_KEEPS_READING, "fatal_error_keeps_reading", "ERR-3", "after sending a fatal bad_frame the responder keeps reading until the peer closes") \
    FAULT(F_NAME_DOTDOT_PREFIX, "dotdot_only_leading", "APP-NAME-2", "the name check refuses a leading \"../\" only, not a \"..\" component further in") \
    FAULT(F_SYMLINK_FOLLOWED, "open_without_nofollow", "APP-NAME-4", "openat() of each component without O_NOFOLLOW: symbolic links out of the share are followed") \
    FAULT(F_C1_ALLOWED, "c1_controls_allowed", "APP-NAME-8", "the control-character check covers bytes < 0x20 and 0x7f only") \
    FAULT(F_OVERFLOW_AT_DONE, "overflow_checked_at_done", "APP-PUT-6", "more DATA than announced is only noticed at DONE (the bytes are written first)") \
    FAULT(F_EMPTY_DATA_OK, "empty_data_accepted", "FRM-13", "a DATA frame of length 0 is taken as an empty write") \
    FAULT(F_DUP_KEYS_OK, "json_duplicates_accepted", "FRM-9", "json_loadb without JSON_REJECT_DUPLICATES: the last duplicate wins") \
    FAULT(F_REAL_AS_INT, "json_number_value_for_size", "FRM-11", "integer members read with json_number_value(): 1.0 and 1e3 pass as sizes") \
    FAULT(F_PARTIAL_KEPT, "partial_not_unlinked", "APP-STORE-3", "a failed put closes its temporary file but never unlinks it") \
    FAULT(F_PUT_OVERWRITES, "put_rename_replaces", "APP-PUT-3", "no exists check at PUTF and rename() at commit: an existing inbox file is replaced") \
    FAULT(F_WANT_READ_EOF, "want_read_mid_frame_is_eof", "FRM-4", "SSL_ERROR_WANT_READ in the middle of a frame is taken as the end of the connection") \
    FAULT(F_NO_IDLE_TIMEOUT, "no_idle_deadline", "LIM-2", "reads between requests wait forever (no idle deadline)") \
    FAULT(F_CLIENT_NO_CN_CHECK, "client_cn_unchecked", "PKI-ID-1", "the initiator never compares the responder's CN with the alias it was given") \
    FAULT(F_CN_CASEFOLD, "client_cn_strcasecmp", "PKI-ID-4", "the initiator compares the CN with strcasecmp()") \
    FAULT(F_CLIENT_SYSTEM_TRUST, "client_default_verify_paths", "PKI-TLS-4", "the initiator calls SSL_CTX_set_default_verify_paths() besides loading the root") \
    FAULT(F_CLIENT_VERIFY_NONE, "client_verify_result_ignored", "PKI-CERT-4", "the initiator sets SSL_VERIFY_NONE and never calls SSL_get_verify_result()") \
    FAULT(F_CLIENT_EOF_COMMITS, "client_eof_after_size_commits", "APP-GET-5", "the initiator takes SSL_read() <= 0 after all announced bytes as the end of the get and keeps the file") \
    FAULT(F_CLIENT_NO_SHA_CHECK, "client_sizes_only", "APP-GET-3", "the initiator compares sizes at DONE but not the SHA-256") \
    FAULT(F_CLIENT_EKU_ANY, "client_missing_eku_any", "PKI-CERT-5", "the initiator's EKU check only runs when the extension is present") \
    FAULT(F_SHUTDOWN_WAITS_PEER, "shutdown_waits_for_peer", "PKI-TLS-7", "the bidirectional SSL_shutdown dance: after its close_notify it waits for the peer's close_notify before closing") \
    FAULT(F_SIGNED_LENGTH, "signed_frame_length", "FRM-3", "the frame length is held in an int32_t: lengths of 2^31 and above pass the limit check") \
    FAULT(F_NAME_STRLEN, "name_strlen_truncates", "APP-NAME-2", "the name's length taken with strlen(json_string_value()): an embedded NUL cuts the name") \
    FAULT(F_SHA_CASEFOLD, "sha_strcasecmp", "FRM-12", "sha256 members checked with isxdigit() and compared with strcasecmp()") \
    FAULT(F_HS_DEADLINE_PER_READ, "handshake_deadline_per_read", "LIM-1", "the handshake deadline restarts at every read (SO_RCVTIMEO style): a trickle keeps it open") \
    FAULT(F_NO_PENDING_CAP, "no_per_address_cap", "LIM-8", "no cap on the handshakes one source address holds") \
    FAULT(F_NO_EVICTION, "no_handshake_eviction", "LIM-9", "when every slot is taken the new connection is closed, never the oldest handshake") \
    FAULT(F_WRITE_NO_DEADLINE, "blocking_write_no_deadline", "LIM-10", "writes wait for the socket without a deadline: a peer that stops reading holds the thread forever") \
    FAULT(F_ALLOW_PREFIX, "allow_list_strncmp", "PKI-ID-4", "the allow list is matched with strncmp(alias, allowed, strlen(allowed))") \
    FAULT(F_REALPATH_PREFIX, "realpath_prefix_confinement", "APP-NAME-4", "realpath() of share/name, confinement by strncmp() on the share's path, then open()") \
    FAULT(F_CLIENT_KEYLOG, "client_keylog_env", "PKI-TLS-8", "a debugging key-log callback honouring SSLKEYLOGFILE left on in the initiator") \
    FAULT(F_CLIENT_DEFAULT_GROUPS, "client_default_groups", "PKI-TLS-9", "the initiator never calls SSL_CTX_set1_groups_list: OpenSSL's default groups are offered") \
    FAULT(F_CLIENT_TEMP_0644, "client_temp_0644", "APP-STORE-1", "the initiator creates its temporary file with mode 0644") \
    FAULT(F_CLIENT_RENAME_REPLACES, "client_rename_replaces", "APP-GET-6", "the initiator commits with renameat() and never checks the output first: an existing file is replaced") \
    FAULT(F_CLIENT_NO_CRL, "client_ignores_crl", "PKI-CERT-7", "the initiator's store gets the root but not the CRL") \
    FAULT(F_CLIENT_SET1_HOST, "client_alias_by_set1_host", "PKI-ID-4", "the initiator checks the alias with SSL_set1_host() (OpenSSL's host-name rules: SAN first, case-insensitive)") \
    FAULT(F_GET_TEXT_BY_NID, "cn_by_get_text_by_nid", "PKI-ID-4", "the responder reads the CN with X509_NAME_get_text_by_NID(): the first of several CNs") \
    FAULT(F_ALPN_IGNORE_RESULT, "alpn_select_result_ignored", "PKI-TLS-2", "the ALPN callback ignores SSL_select_next_proto()'s result: no overlap selects the client's first protocol") \
    FAULT(F_CLIENT_ALPN_UNCHECKED, "client_alpn_unchecked", "PKI-TLS-2", "the initiator offers ALPN but never reads SSL_get0_alpn_selected()") \
    FAULT(F_CLIENT_ACCEPT_BOOLEAN, "client_accept_is_boolean", "APP-PUT-9", "the put initiator checks json_is_boolean(accept): \"accept\": false is an acceptance") \
    FAULT(F_CLIENT_NO_SIGNAL_CLEANUP, "client_no_sigterm_cleanup", "APP-STORE-3", "the initiator installs no SIGTERM/SIGINT handling: its temporary file stays behind") \
    FAULT(F_CLIENT_SWEEPS_ALL, "client_sweeps_live_temporaries", "APP-STORE-3", "the initiator's start-up sweep removes every .sft-partial- file, live ones too") \
    FAULT(F_SLOT_LEAK, "slot_leaked_on_failed_handshake", "LIM-4", "the connection count is not decremented when a handshake fails") \
    FAULT(F_CLIENT_TMPDIR, "client_mkstemp_in_tmpdir", "APP-STORE-1", "the initiator downloads into mkstemp(\"$TMPDIR/sft-get-XXXXXX\") and copies into the output at the end") \
    FAULT(F_CLIENT_CN_AFTER_REQUEST, "client_cn_checked_after_request", "PKI-ID-1", "the initiator sends its request first and compares the CN while it waits for the answer") \
    FAULT(F_ALLOW_PUT_ONLY, "allow_list_for_puts_only", "PKI-ID-3", "the allow list is consulted for PUTF only: anyone authenticated may get") \
    FAULT(F_SIZE_LIMIT_OFF_BY_ONE, "size_limit_off_by_one", "APP-PUT-7", "size >= max_file_size is too_large: a file of exactly the limit is refused") \
    FAULT(F_DATA_MAX_OFF_BY_ONE, "data_max_off_by_one", "FRM-13", "a DATA frame of exactly 1 MiB is refused (len >= 1048576)") \
    FAULT(F_CONTROL_MAX_OFF_BY_ONE, "control_max_off_by_one", "FRM-8", "a control payload of exactly 65536 bytes is refused (len >= 65536)") \
    FAULT(F_LSTAT_THEN_OPEN, "lstat_components_then_open", "APP-NAME-5", "each component checked with fstatat(AT_SYMLINK_NOFOLLOW), then the whole name opened with openat() following links") \
    FAULT(F_MESSAGE_ECHOES_NAME, "message_echoes_whole_name", "ERR-1", "not_found's message is snprintf(\"no such file: %s\", name) into a 8 KiB buffer") \
    FAULT(F_ERROR_JSON_SNPRINTF, "eror_json_by_snprintf", "FRM-14", "EROR payloads are built with snprintf(): a quote or control character in the echoed name breaks the JSON") \
    FAULT(F_RENAME_AFTER_CHECK, "put_exists_check_then_rename", "APP-PUT-8", "exists is checked at PUTF, the commit is rename(): of two concurrent puts the later replaces the first") \
    FAULT(F_R2_BIDI_ALLOWED, "r2_bidi_allowed", "APP-NAME-8", "the code-point loop refuses C1 controls only: bidi embeddings, overrides and isolates pass") \
    FAULT(F_R2_BACKSLASH_ALLOWED, "r2_backslash_allowed", "APP-NAME-2", "the byte loop refuses controls but not a backslash") \
    FAULT(F_R2_DRIVE_ALLOWED, "r2_drive_letter_allowed", "APP-NAME-2", "no drive-letter test: C:x is a relative name") \
    FAULT(F_R2_DOT_ALLOWED, "r2_dot_component_allowed", "APP-NAME-2", "the component loop tests \"..\" but not \".\"") \
    FAULT(F_R2_EMPTY_COMPONENT, "r2_empty_component_allowed", "APP-NAME-2", "a component of 0 bytes passes (a//b, a/)") \
    FAULT(F_R2_DONE_MISMATCH_NONFATAL, "r2_done_mismatch_nonfatal", "ERR-3", "integrity_failed at DONE is sent with send_error() and the connection kept") \
    FAULT(F_R2_DONE_MISMATCH_KEEPS_TEMP, "r2_done_mismatch_keeps_temp", "APP-STORE-3", "at a DONE mismatch the temporary fd is closed and receiving cleared first: put_abort() leaves the file") \
    FAULT(F_R2_FORBIDDEN_PUT_OPEN, "r2_forbidden_put_open", "PKI-ID-3", "a PUTF off the allow list is answered forbidden and the connection kept") \
    FAULT(F_R2_TIMEOUT_NO_EROR, "r2_timeout_no_eror", "LIM-2", "on the idle timeout the responder closes without EROR timeout") \
    FAULT(F_R2_UNKNOWN_TYPE_BAD_FRAME, "r2_unknown_type_bad_frame", "FRM-5", "an unknown frame type is answered bad_frame") \
    FAULT(F_R2_STATE_IDLE_ONLY, "r2_state_checked_in_idle_only", "FRM-6", "the allowed-type test runs in IDLE only: RQFL or PUTF during a put is served") \
    FAULT(F_R2_KU_ABSENT_OK, "r2_ku_absent_ok", "PKI-CERT-9", "KeyUsage tested only when the extension is present") \
    FAULT(F_R2_PENDING_CAP_GT, "r2_pending_cap_gt", "LIM-8", "pending_same <= max_pending: one handshake more than the cap") \
    FAULT(F_R2_CLIENT_DONE_SIZE, "r2_client_done_size", "APP-GET-3", "the initiator compares its byte count with RSFL.size but not DONE.size") \
    FAULT(F_R2_CLIENT_EMPTY_DATA, "r2_client_empty_data", "FRM-13", "the initiator accepts a DATA frame of length 0") \
    FAULT(F_R2_CLIENT_CA_TRUE, "r2_client_ca_true", "PKI-CERT-6", "the initiator's leaf check skips BasicConstraints") \
    FAULT(F_R2_DONE_SIZE_UNCHECKED, "r2_done_size_unchecked", "APP-PUT-5", "do_done compares the bytes received with PUTF.size but never reads DONE.size against it") \
    FAULT(F_R2_CLIENT_EXCESS_AT_DONE, "r2_client_excess_at_done", "APP-GET-4", "the initiator's DATA branch writes first; more bytes than announced are noticed only at DONE") \
    FAULT(F_R3_RECEIVED_NOT_RESET, "r3_received_not_reset", "APP-2", "lens 3: s->received is zeroed by the session's initialiser only, not at each PUTF: a second put overflows") \
    FAULT(F_R3_ALLOWED_CACHED, "r3_allow_verdict_cached", "PKI-ID-3", "lens 3: the allow-list verdict is kept in a static int computed for the first connection") \
    FAULT(F_R3_EXISTS_CLOSES, "r3_exists_closes", "ERR-3", "lens 4: exists is answered through fatal(): close_notify and the close") \
    FAULT(F_R3_ELOOP_NOT_FOUND, "r3_eloop_not_found", "APP-NAME-4", "lens 5: openat()'s ELOOP falls into the default branch of the errno switch: a link out of the share is not_found") \
    FAULT(F_R3_DIR_FORBIDDEN, "r3_dir_forbidden", "APP-GET-2", "lens 1: a directory is answered forbidden (S_ISDIR tested apart), not not_found") \
    FAULT(F_R3_PUT_FINAL_WHOLE_NAME, "r3_put_final_whole_name", "APP-PUT-2", "lens 1: final_name is snprintf'd from name, not its basename: a put of dir/x goes to inbox/dir/x") \
    FAULT(F_R3_SHA_SIZEOF_POINTER, "r3_sha_cmp_sizeof_pointer", "APP-PUT-5", "lens 5: DONE.sha256 compared with memcmp(hex, sha, sizeof sha): only 8 characters") \
    FAULT(F_R3_TOO_LARGE_SILENT, "r3_frame_too_large_silent", "FRM-3", "lens 1: an oversize header is rejected by dropping the connection, no EROR frame_too_large") \
    FAULT(F_R3_BYE_DURING_PUT, "r3_bye_during_put", "APP-BYE-1", "lens 2: BYE_ is handled before the state test: during a put it ends the connection quietly") \
    FAULT(F_R3_SERVER_DEFAULT_GROUPS, "r3_server_default_groups", "PKI-TLS-9", "lens 2: SSL_CTX_set1_groups_list is called for the initiator only: the responder takes OpenSSL's default groups") \
    FAULT(F_R3_NO_CHECK_TIME, "r3_no_check_time", "PKI-CERT-3", "lens 4: X509_V_FLAG_NO_CHECK_TIME set against clock skew: expired certificates pass") \
    FAULT(F_R3_JSON_TRAILING, "r3_json_trailing_accepted", "FRM-9", "lens 1: json_loadb with JSON_DISABLE_EOF_CHECK: bytes after the object are ignored") \
    FAULT(F_R3_NEGATIVE_SIZE_WRAPS, "r3_negative_size_wraps", "FRM-11", "lens 1: json_integer_value() cast to unsigned long long without a sign test: size -1 is too_large") \
    FAULT(F_R3_SHA_NULL_ABSENT, "r3_sha_null_is_absent", "FRM-12", "lens 1: PUTF.sha256 tested with json_is_null(): null taken as absent") \
    FAULT(F_R3_CLIENT_CN_PREFIX, "r3_client_cn_prefix", "PKI-ID-4", "lens 1: the initiator compares strncmp(cn, alias, strlen(alias)): a CN that extends the alias passes") \
    FAULT(F_R3_CLIENT_NO_CLOSE_NOTIFY, "r3_client_no_close_notify", "PKI-TLS-7", "lens 2: the initiator close()s after BYE_ without SSL_shutdown") \
    FAULT(F_R3_CLIENT_PUT_REFUSAL_OK, "r3_client_put_refusal_ok", "APP-PUT-10", "lens 5: the put initiator returns report_eror()'s status as 0 for a non-fatal code") \
    FAULT(F_R3_SHARED_PUT_MD, "r3_shared_put_md", "APP-PUT-5", "phase 2 (NOT blind): the put's EVP_MD_CTX is one static context for the whole process, not the session's") \
    FAULT(F_R3_CLIENT_INTEGRITY_SILENT, "r3_client_integrity_silent", "APP-GET-3", "lens 1: at a DONE mismatch the initiator deletes its temporary file and closes without EROR integrity_failed") \
    FAULT(F_R4_HS_ON_ACCEPT_LOOP, "r4_handshake_on_accept_loop", "LIM-5", "lens 1: the accept loop waits for each new connection's TLS handshake before accepting the next") \
    FAULT(F_R4_CLIENT_HS_NO_DEADLINE, "r4_client_handshake_no_deadline", "LIM-9", "lens 1: the initiator's connect and TLS handshake wait without a deadline (1e9 s)") \
    FAULT(F_R4_SERVER_EKU_EITHER, "r4_server_eku_either_purpose", "PKI-CERT-5", "lens 2: X509_PURPOSE_ANY on the store (the callback checks EKU) and the callback's test is & (XKU_SSL_CLIENT | XKU_SSL_SERVER): a serverAuth-only client passes") \
    FAULT(F_R4_CLIENT_EKU_EITHER, "r4_client_eku_either_purpose", "PKI-CERT-5", "lens 2: X509_PURPOSE_ANY on the store (the callback checks EKU) and the callback's test is & (XKU_SSL_CLIENT | XKU_SSL_SERVER): a clientAuth-only responder passes") \
    FAULT(F_R4_ALPN_PEER_LENGTH, "r4_alpn_memcmp_peer_length", "PKI-TLS-2", "lens 2: ALPN matched by memcmp(entry, \"sft-pki/1\", entry_len): an offered prefix (\"sft-pki\") is selected and served") \
    FAULT(F_R4_IDLE_ELSE_IS_BYE, "r4_idle_else_is_bye", "APP-1", "lens 3: in IDLE only DATA is refused; the dispatch's last else is BYE_: RSFL in IDLE closes quietly, DONE goes to do_done") \
    FAULT(F_R4_CLIENT_RSFL_SHA_TYPE, "r4_client_rsfl_sha_wrong_type_ignored", "FRM-9", "lens 3: the initiator reads RSFL.sha256 only if json_is_string(): null or 5 is taken as absent") \
    FAULT(F_R4_DRIVE_PRECEDENCE, "r4_drive_letter_precedence", "APP-PUT-2", "lens 4: the drive-letter test parenthesised as (A-Z) || (a-z && ':'): every name starting with a capital is forbidden") \
    FAULT(F_R4_C1_ON_BYTES, "r4_c1_checked_on_bytes", "APP-NAME-8", "lens 4: the C1 range tested on UTF-8 bytes 0x80-0x9f in the byte loop: any name with a continuation byte there (\"\\u20ac\") is forbidden") \
    FAULT(F_R4_CLIENT_CN_GET_ONLY, "r4_client_cn_check_get_only", "PKI-ID-1", "lens 4: the alias check sits on the get path only; the put initiator talks to any valid responder") \
    FAULT(F_R4_TEMP_BEFORE_EXISTS, "r4_temp_before_exists_check", "APP-STORE-3", "lens 5: the put's temporary file is created before the too_large/exists checks and left behind on refusal") \
    FAULT(F_R4_EXISTS_ACCESS, "r4_exists_by_faccessat", "APP-PUT-3", "lens 6: exists tested with faccessat(F_OK), which follows links: a dangling link in the inbox is accepted at PUTF") \
    FAULT(F_R4_ACTIVE_IN_THREAD, "r4_active_counted_in_thread", "LIM-4", "lens 6: g_active++ done by the connection thread when it starts, not by the accept loop under the lock") \
    FAULT(F_R4_STATIC_FINAL_NAME, "r4_static_final_name", "APP-PUT-2", "lens 6: the put's final name kept in one static buffer: concurrent puts store under the last PUTF's name") \
    FAULT(F_B27_TYPE_ISALNUM, "b27_type_isalnum", "FRM-2", "(L1) the type bytes checked with isalnum() || '_': a lower-case byte passes and the frame is an unknown type (unexpected_frame)") \
    FAULT(F_B27_MALFORMED_EROR_IGNORED, "b27_malformed_eror_ignored", "ERR-8", "(L2) the responder parses a received EROR and ignores it when it has no integer code (\"noise\"): the connection goes on") \
    FAULT(F_B27_OPEN_BEFORE_ALLOW, "b27_open_before_allow_check", "PKI-ID-3", "(L5) do_get opens the file before the allow-list test: a missing file is answered not_found (non-fatal, connection kept) to an initiator not on the list") \
    FAULT(F_B27_PARTIAL_PREFIX_WHOLE, "b27_partial_prefix_on_whole_name", "APP-NAME-9", "(L3) the reserved .sft-partial- prefix tested on the whole name, not its last component: dir/.sft-partial-x is stored") \
    FAULT(F_B27_COMPONENT_CHARS, "b27_component_len_in_chars", "APP-NAME-1", "(L6) the 255 limit of a component counted in characters, not UTF-8 bytes: a 600-byte component of 200 euro signs is accepted at PUTF") \
    FAULT(F_B27_CLIENT_BYE_AFTER_SOFT, "b27_client_bye_after_soft_eror", "ERR-4", "(L2) the initiator sends BYE_ after an EROR whose code is not in its list of fatal codes: an unknown code is taken as non-fatal") \
    FAULT(F_B27_CLIENT_CONTROL_LIMIT_ANSWER, "b27_client_control_limit_first_answer", "FRM-8", "(L3) the initiator applies the 65536-byte control limit to the answer to its request only: a DONE or EROR of up to 1 MiB during the get is read and acted on") \
    FAULT(F_B27_CLIENT_BYE_BY_NAME, "b27_client_bye_by_eror_name", "ERR-4", "(post-blind, L2) the initiator reads the EROR's name, not its code: a name of a non-fatal code (exists, not_found) is a refusal, answered BYE_ before the close")

#define PKI5_FAULT_ENUM(e, name, req, line) e,
enum pki5_fault { PKI5_FAULT_TABLE(PKI5_FAULT_ENUM) F_COUNT };
#undef PKI5_FAULT_ENUM

#endif
