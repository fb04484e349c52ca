import java.util.HashSet;
import java.util.Set;

/** pki7's planted faults, switched on by SFT_INDEPENDENT_FAULTS (comma-separated names).
 *  Mirrored in test_pki7.py (FAULT_CASES); test_fault_tables_agree checks the two agree. */
final class Faults {
    private Faults() {}

    // name, requirement it breaks, the mistake
    static final String[][] TABLE = {
        {"trust_all_manager", "PKI-CERT-4", "responder: an X509TrustManager that trusts every chain 'for now' (CN still read)"},
        {"revocation_disabled", "PKI-CERT-7", "responder: the CRL is fetched but the revocation check is switched off"},
        {"crl_first_entry_only", "PKI-CERT-11", "responder: only getRevokedCertificates()'s first entry compared with the serial"},
        {"want_client_auth", "PKI-TLS-3", "responder: setWantClientAuth(true): a client without a certificate is served"},
        {"tls12_enabled", "PKI-TLS-1", "responder: TLSv1.2 left among the enabled protocols"},
        {"alpn_unchecked", "PKI-TLS-2", "responder: no ALPN selector and getApplicationProtocol() never read"},
        {"default_named_groups", "PKI-TLS-9", "responder: jdk.tls.namedGroups not set: JSSE's default groups (x448, secp521r1, ffdhe)"},
        {"raw_close_no_notify", "PKI-TLS-7", "responder: closes the underlying TCP socket, not the SSLSocket: no close_notify"},
        {"eku_unchecked", "PKI-CERT-5", "responder: getExtendedKeyUsage() never read"},
        {"ca_leaf_accepted", "PKI-CERT-6", "responder: getBasicConstraints() not compared with -1"},
        {"any_hash_accepted", "PKI-CERT-9", "responder: jdk.tls.server.SignatureSchemes left at JSSE's default, the certificate's hash unchecked"},
        {"cn_from_dn_string", "PKI-ID-4", "responder: CN cut out of getName() at the first 'CN=': several CNs pass"},
        {"allow_list_ignore_case", "PKI-ID-4", "responder: the allow list compared with equalsIgnoreCase"},
        {"forbidden_keeps_open", "PKI-ID-3", "responder: a peer not on the allow list gets forbidden, the connection stays open"},
        {"signed_read_int", "FRM-3", "DataInputStream.readInt length: 2^31 and above are negative and pass the limit"},
        {"single_read_payload", "FRM-4", "InputStream.read(buf) taken as the whole payload"},
        {"lenient_utf8", "FRM-9", "new String(payload, UTF_8): invalid UTF-8 becomes U+FFFD"},
        {"json_duplicate_last_wins", "FRM-9", "a duplicate JSON key: the last one wins (HashMap.put)"},
        {"size_as_double", "FRM-11", "size read with Double.parseDouble: 1.0 and 1e3 are integers"},
        {"sha_ignore_case", "FRM-12", "sha256 compared with equalsIgnoreCase"},
        {"normalize_confinement", "APP-NAME-2", "Paths.get(share, name).normalize() then startsWith(share)"},
        {"realpath_string_prefix", "APP-NAME-4", "toRealPath().toString().startsWith(share string): share-evil is inside"},
        {"put_replace_existing", "APP-PUT-3", "no exists check, Files.move(REPLACE_EXISTING) onto the final name"},
        {"overflow_at_done", "APP-PUT-6", "excess DATA noticed only at DONE"},
        {"partial_left_behind", "APP-STORE-3", "the temporary file is not removed on a failed put"},
        {"c1_bidi_allowed", "APP-NAME-8", "only the ASCII controls refused: C1 and bidi overrides pass"},
        {"size_int_cast", "APP-PUT-7", "PUTF size cast to int before the limit check"},
        {"no_idle_timeout", "LIM-2", "setSoTimeout(0) after the handshake: no idle deadline"},
        {"handshake_so_timeout", "LIM-1", "handshake deadline as setSoTimeout only: bytes trickling in extend it"},
        {"no_per_address_cap", "LIM-8", "no cap on pending handshakes per source address"},
        {"no_handshake_eviction", "LIM-9", "a full server closes the newcomer instead of evicting a pending handshake"},
        {"no_send_timeout", "LIM-10", "blocking writes without a watchdog"},
        {"fatal_error_keeps_reading", "ERR-3", "after a fatal bad_frame the loop reads the next frame"},
        {"client_trust_all", "PKI-CERT-4", "initiator: a trust-all X509TrustManager (the CN still compared)"},
        {"client_cn_unchecked", "PKI-ID-1", "initiator: no endpoint identification, the CN never compared with the alias"},
        {"client_cn_contains", "PKI-ID-4", "initiator: getName().contains(\"CN=\" + alias)"},
        {"client_no_crl", "PKI-CERT-7", "initiator: no CRL fetched, no revocation check"},
        {"client_sizes_only", "APP-GET-3", "initiator: sizes compared at DONE, SHA-256 not"},
        {"client_replace_existing", "APP-GET-6", "initiator: no check for an existing output, Files.move(REPLACE_EXISTING)"},
        {"client_stores_rsfl_name", "APP-GET-7", "initiator: stores under RSFL.name in the output's directory"},
        {"client_accept_truthy", "APP-PUT-9", "initiator: any RSFL with an 'accept' member taken as an acceptance"},
        {"client_put_eof_success", "APP-PUT-10", "initiator: the end of the stream after DONE taken as success"},
        {"client_tls12", "PKI-TLS-1", "initiator: TLSv1.2 offered too"},
        // Round 2, after the first fault run (41 of 43 detected).
        {"alpn_selector_only", "PKI-TLS-2", "responder: an ALPN selector, but getApplicationProtocol() never read (no ALPN offered passes)"},
        {"allow_list_get_only", "PKI-ID-3", "responder: the allow list checked on RQFL only, PUTF served to any authenticated peer"},
        {"size_limit_off_by_one", "APP-PUT-7", "responder: size >= max refused: a put of exactly the maximum size is too_large"},
        {"put_full_path", "APP-PUT-2", "responder: stored under inbox.resolve(name), not its basename"},
        {"temp_named_after_name", "APP-PUT-8", "responder: temporary .sft-partial-NAME opened with CREATE: concurrent puts of one name mix"},
        {"data_limit_off_by_one", "FRM-13", "responder: DATA of exactly 1 MiB refused (>= MAX_DATA)"},
        {"idle_close_without_eror", "LIM-2", "responder: at the idle timeout, close_notify without EROR timeout"},
        {"client_exists_follows_links", "APP-GET-6", "initiator: Files.exists(out) follows links: a dangling symlink is replaced"},
        {"client_put_no_wait", "APP-PUT-10", "initiator: PUTF, DATA and DONE sent at once, without waiting for RSFL"},
        // Round 3 (helper I8, session 11): blind, through the six lenses of lenses11.md
        // (1 caches/shortcuts, 2 time, 3 I/O granularity, 4 lenient parsing, 5 role copy-paste,
        // 6 fallbacks): trust_cache_by_subject 1; not_before_unchecked, client_expiry_grace_day 2;
        // client_put_whole_buffer, length_signed_bytes 3; split_drops_trailing_slash,
        // json_parselong_overflow, json_escape_unicode_hex, json_is_whitespace 4;
        // responder_eku_server_auth, put_rsfl_get_form 5; want_auth_bare_close, get_case_fallback 6.
        {"trust_cache_by_subject", "PKI-CERT-4", "responder: the trust verdict cached by subject DN: a foreign certificate with a known subject passes"},
        {"not_before_unchecked", "PKI-CERT-3", "responder: getNotAfter() compared, checkValidity() not called: not yet valid passes"},
        {"client_expiry_grace_day", "PKI-CERT-3", "initiator: a day of 'clock skew' grace after notAfter"},
        {"client_put_whole_buffer", "APP-PUT-4", "initiator: out.write(buf) for the last short read: the whole 64 KiB buffer is sent"},
        {"length_signed_bytes", "FRM-1", "responder: the length assembled from signed bytes without & 0xff"},
        {"split_drops_trailing_slash", "APP-NAME-2", "responder: name.split(\"/\") drops trailing empty components: x.txt/ is x.txt"},
        {"json_parselong_overflow", "FRM-11", "responder: Long.parseLong on integers: above 2^63-1 the NumberFormatException aborts the connection"},
        {"json_escape_unicode_hex", "FRM-9", "responder: \\u escapes decoded with Character.digit: non-ASCII digits pass"},
        {"json_is_whitespace", "FRM-9", "responder: JSON white space by Character.isWhitespace (VT, FF, U+2028, ...)"},
        {"responder_eku_server_auth", "PKI-CERT-5", "responder: the client's EKU checked for serverAuth (the initiator's constant)"},
        {"put_rsfl_get_form", "APP-PUT-1", "responder: a put answered with the get's RSFL writer {name, size}, no accept"},
        {"want_auth_bare_close", "PKI-TLS-3", "responder: setWantClientAuth; no certificate: SSLPeerUnverifiedException ends in a bare TCP close"},
        {"get_case_fallback", "APP-NAME-3", "responder: a get answered not_found retries the share's names case-insensitively"},
        // Round 4 (helper I12, session 13): blind, through the six lenses of lenses13.md
        // (1 fail open, 2 absent means permissive, 3 leaks on the unhappy path, 4 units and
        // number forms, 5 part of the value compared, 6 half-rolled-back state):
        // verify_other_exceptions_pass, size_overflow_zero, client_verify_in_try 1;
        // responder_ku_absent_passes, client_bc_absent_passes, client_eku_absent_passes 2;
        // pending_leak_on_failed_handshake, temp_before_checks_leaked, slot_leak_on_fatal 3;
        // control_limit_exclusive, component_length_chars 4; chain_last_verified,
        // client_cn_trimmed, backslash_index_gt_zero, client_rsfl_sha_preferred 5;
        // put_state_before_checks, put_sha_carried_over 6.
        {"verify_other_exceptions_pass", "PKI-CERT-10", "responder: leaf.verify(rootKey): only SignatureException refuses, InvalidKeyException (another key type) is logged and passes"},
        {"size_overflow_zero", "FRM-11", "responder: Long.parseLong's NumberFormatException above 2^63-1 caught, the integer taken as 0"},
        {"client_verify_in_try", "APP-GET-3", "initiator: the DONE check and force() in one try/catch(Exception) that warns and goes on"},
        {"responder_ku_absent_passes", "PKI-CERT-9", "responder: getKeyUsage() == null read as 'any use': no KeyUsage passes"},
        {"client_bc_absent_passes", "PKI-CERT-9", "initiator: getBasicConstraints() == -1 trusted: no BasicConstraints extension passes"},
        {"client_eku_absent_passes", "PKI-CERT-5", "initiator: getExtendedKeyUsage() == null read as RFC 5280's any purpose"},
        {"pending_leak_on_failed_handshake", "LIM-8", "responder: a connection whose TLS handshake fails keeps its pending slot"},
        {"temp_before_checks_leaked", "APP-STORE-3", "responder: the temporary file created before the PUTF checks; a refused put leaves it"},
        {"slot_leak_on_fatal", "LIM-4", "responder: a connection ended by a fatal EROR keeps its connection slot"},
        {"control_limit_exclusive", "FRM-8", "responder: control payloads of exactly 65536 bytes refused (>= MAX_CONTROL)"},
        {"component_length_chars", "APP-NAME-1", "name components measured with String.length(), not UTF-8 bytes"},
        {"chain_last_verified", "PKI-CERT-10", "responder: the chain's last certificate verified with the root's key, the leaf's issuer not"},
        {"client_cn_trimmed", "PKI-ID-4", "initiator: the responder's CN compared after String.trim()"},
        {"backslash_index_gt_zero", "APP-NAME-2", "name.indexOf('\\\\') > 0: a leading backslash passes"},
        {"client_rsfl_sha_preferred", "APP-GET-3", "initiator: the SHA-256 compared with RSFL.sha256 when present, else DONE.sha256"},
        {"put_state_before_checks", "ERR-3", "responder: receiving = true at PUTF, before the checks: after a refused put every request is unexpected"},
        {"put_sha_carried_over", "APP-2", "responder: putSha set only when the PUTF offers one: the previous put's hash checked"},
        // Round 5 (helper I17, session 15): blind, through the six lenses of lenses15.md
        // (1 one blocks all, 2 reflection and cross-context, 3 the default branch, 4 compound
        // conditions, 5 asymmetric cost, 6 check-then-act): handshake_synchronized,
        // data_read_under_server_lock, client_handshake_blocking 1; alpn_prefix_match,
        // own_frames_echo_ignored 2; unknown_type_skipped,
        // fatal_switch_missing_integrity, client_put_reply_not_error, sha_null_is_absent 3;
        // done_sizes_and, pending_count_or, bidi_range_end_exclusive 4; frame_limit_after_alloc,
        // json_depth_unbounded 5; commit_atomic_move, client_out_checked_at_start_only 6.
        {"handshake_synchronized", "LIM-5", "responder: startHandshake() inside synchronized(handshakeLock): a peer silent in its handshake stalls every other handshake"},
        {"data_read_under_server_lock", "LIM-5", "responder: a DATA payload read inside synchronized(srv.lock), the lock admit() takes: a stalled put stops the accept loop"},
        {"client_handshake_blocking", "LIM-9", "initiator: setSoTimeout(0) for the TLS handshake: a responder silent after accept hangs it"},
        {"alpn_prefix_match", "PKI-TLS-2", "responder: the ALPN selector takes the first offer starting with sft-pki/ (sft-pki/0, sft-pki/2)"},
        {"own_frames_echo_ignored", "APP-1", "responder: RSFL or DONE in IDLE read and skipped as an echo of its own answer"},
        {"unknown_type_skipped", "FRM-5", "responder: a well-formed frame of an unknown type skipped by the switch's default"},
        {"fatal_switch_missing_integrity", "ERR-3", "responder: fatal() a switch of the fatal codes without INTEGRITY: after integrity_failed the connection goes on"},
        {"client_put_reply_not_error", "APP-PUT-10", "initiator: any answer to its DONE that is not an EROR taken as success"},
        {"sha_null_is_absent", "FRM-9", "an optional sha256 set to null taken as absent"},
        {"done_sizes_and", "APP-PUT-5", "responder: DONE's size refused only when it differs from both the received and the PUTF size"},
        {"pending_count_or", "LIM-8", "responder: pending || same address counted: established connections of the address take its pending slots"},
        {"bidi_range_end_exclusive", "APP-NAME-8", "responder: the isolates refused as 0x2066 <= cp < 0x2069: U+2069 passes"},
        {"frame_limit_after_alloc", "FRM-3", "responder: the frame and control limits checked after new byte[length] and its read"},
        {"json_depth_unbounded", "FRM-9", "responder: no nesting limit in the recursive JSON parser: a deep payload overflows the stack"},
        {"commit_atomic_move", "APP-PUT-8", "responder: exists checked at PUTF only; DONE commits with Files.move(ATOMIC_MOVE), rename(2) replaces"},
        {"client_out_checked_at_start_only", "APP-GET-6", "initiator: the output checked before connecting; committed with Files.move(ATOMIC_MOVE), which replaces"},
        // Round 18 (helper I25, session 18): blind, the six lenses of round 18's common brief
        // (1 negotiation, 2 round trips, 3 out of order, 4 deployment, 5 distinguishers, 6 siblings).
        {"r18_client_default_groups", "PKI-TLS-9", "initiator: jdk.tls.namedGroups pinned for the responder only: the ClientHello offers JSSE's default groups [1]"},
        {"r18_client_tls12_fallback", "PKI-TLS-1", "initiator: an SSLHandshakeException retried once with TLSv1.2 enabled ('an older responder') [1]"},
        {"r18_sha_biginteger_hex", "FRM-14", "responder: digests written with new BigInteger(1, d).toString(16): leading zeros dropped [2]"},
        {"r18_rsfl_name_basename", "APP-GET-7", "responder: the get's RSFL names the file's own name (getFileName()), not the request's [2]"},
        {"r18_resync_skip_available", "APP-2", "responder: after each answer, skips in.available() bytes 'to resynchronise': pipelined requests lost [3]"},
        {"r18_bye_during_put", "APP-BYE-1", "responder: BYE_ in RECEIVING drops the put and is echoed, not unexpected_frame [3]"},
        {"r18_directory_forbidden", "APP-GET-2", "responder: a directory answered forbidden ('cannot be sent'), not not_found [5]"},
        {"r18_revoked_after_handshake_bare_close", "PKI-TLS-10", "responder: the CRL looked up after the handshake; a revoked peer dropped with a bare TCP close [5]"},
        {"r18_put_skips_codepoints", "APP-NAME-8", "responder: the put checks its basename with its own shorter test: C1 and bidi pass in a put [6]"},
        {"r18_client_put_no_crl", "PKI-CERT-7", "initiator: the CRL fetched for gets only: a put goes to a revoked responder [6]"},
        // Round 25 second pass (helper B174): blind, the lenses of round 25's common brief
        // (L1 thin MUSTs, L2 first draft, L3 compatibility shims, L4 aging, L5 platform, L6 wire).
        {"b25_eror_malformed_ignored", "ERR-8", "(L3) responder: an EROR whose payload or code cannot be read is ignored as line noise; the connection goes on"},
        {"b25_client_eror_malformed_skipped", "ERR-8", "(L3) initiator: in a get, an EROR without a readable code skipped, the next frame read"},
        {"b25_lone_surrogate_kept", "FRM-15", "(L2) a \\u escape of a lone surrogate kept in the Java String: the name is used"},
        {"b25_partial_prefix_whole_name", "APP-NAME-9", "(L2) responder: the reserved .sft-partial- prefix looked for at the start of the whole name, not its last component"},
        {"b25_idle_data_drained", "APP-3", "(L3) responder: DATA in IDLE read and dropped ('a pipelining peer's put that was refused')"},
        {"b25_get_whole_file_in_memory", "LIM-6", "(L5) responder: a get read whole into a ByteBuffer of the file's size, then cut into DATA"},
        {"b25_control_length_chars", "FRM-1", "(L2) a control frame's length is json.length() (UTF-16 units), not its UTF-8 bytes"},
        {"b25_get_frames_queued", "LIM-6", "(L5, post-blind) responder: a get's DATA frames built into a List<byte[]> first, then written"},
        {"b25_validity_at_request", "PKI-TLS-10", "(L4) responder: validity not checked in the handshake but at each request: an expired peer answered forbidden"},
        {"b25_link_target_in_message", "APP-NAME-6", "(L6) responder: a refused symbolic link's message names its target and whether it exists"},
        {"b25_alias_pattern_32", "PKI-CERT-2", "(L2) responder: the peer's CN matched against [a-z0-9][a-z0-9._-]{0,31}: aliases above 32 characters refused"},
        // Round 28 foreign pass (helper B223): blind, the lenses of round 28's common brief
        // (L1 thin MUSTs, L2 lost errors, L3 endings, L4 retries, L5 two copies of a rule, L6 concurrency).
        {"b28_client_overflow_clamped", "APP-GET-4", "(L1) initiator: DATA beyond RSFL.size cut to the announced size ('never write more than announced') and the get goes on"},
        {"b28_client_unknown_code_skipped", "ERR-4", "(L1) initiator: in a get, an EROR whose code is above the table's ('a newer responder's notice') logged and skipped"},
        {"b28_client_urldecode_name", "APP-NAME-3", "(L5) initiator: the command line's NAME passed through URLDecoder.decode like the target's parts: %xx and + decoded"},
        {"b28_client_stack_trace", "ERR-6", "(L3) initiator: a debugging e.printStackTrace() left in the failure path: every failed command prints a Java stack trace"},
        {"b28_client_put_retry_exists_success", "APP-PUT-10", "(L4) initiator: the connection ends in place of DONE; the put re-offered on a new connection and its 'exists' taken as 'the first attempt landed'"},
        {"b28_shared_current_alias", "PKI-ID-3", "(L6) responder: the allow list checked against the Server's last handshaken alias, a field shared by every connection"},
        {"b28_root_in_chain_refused", "PKI-CERT-10", "(L1) responder: a chain of more than one certificate refused: a peer sending the root after its leaf is refused"},
        {"b28_get_reads_to_eof", "APP-GET-4", "(L6) responder: RSFL announces the size at open; the DATA loop reads until EOF: a file growing meanwhile sends more than announced"},
        {"b28_client_readnbytes_short", "FRM-7", "(L3, post-blind) initiator: payloads read with InputStream.readNBytes(len), which returns short at EOF: a cut frame taken whole"},
        {"b28_client_sigterm_keeps_partial", "APP-STORE-5", "(L4, post-blind) initiator: the shutdown hook moves a get's temporary to its final name 'so it can be resumed'"},
        {"b28_eror_unknown_code_ignored", "ERR-4", "(L1, round 2) responder: an EROR whose code is above the table's taken as an informational notice and skipped"},
        {"b28_client_alpn_none_accepted", "PKI-TLS-2", "(L4, round 2) initiator: a responder that selected no ALPN accepted ('an older responder'), only another protocol refused"},
        {"b28_client_alias_dns_label", "PKI-CERT-2", "(L5, round 2) initiator: the target's alias checked as a DNS label like its host: '.', '_' and 64 characters refused"},
        {"b28_client_eror_echoes_content", "ERR-5", "(L3, round 3) initiator: its integrity_failed EROR names the first bytes received 'to help the operator'"},
        {"b28_client_put_continue_timer", "APP-PUT-1", "(L4, round 3) initiator: the PUTF's answer awaited 1.5 s, then the DATA sent anyway (HTTP's 100-continue habit)"},
        {"b28_client_eror_content_base64", "ERR-5", "(L3, post-blind) initiator: its integrity_failed EROR carries Base64 of the first 48 bytes received"},
        {"b28_client_eror_content_hexdump", "ERR-5", "(L3, post-blind) initiator: its integrity_failed EROR carries a spaced hex dump (%02x ) of the first 32 bytes received"},
    };

    private static final Set<String> ON = new HashSet<>();

    static {
        String env = System.getenv("SFT_INDEPENDENT_FAULTS");
        if (env != null) {
            for (String part : env.split(",")) {
                String name = part.trim();
                if (name.isEmpty()) continue;
                boolean known = false;
                for (String[] row : TABLE) known |= row[0].equals(name);
                if (!known) throw new IllegalArgumentException("unknown fault: " + name);
                ON.add(name);
            }
        }
    }

    static boolean on(String name) {
        return ON.contains(name);
    }
}
