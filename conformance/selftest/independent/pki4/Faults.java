import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Planted faults: SFT_INDEPENDENT_FAULTS=name[,name] is read once at start. Each entry is
 * one mistake a Java team writing sft-pki/1 really makes, violating one requirement.
 * The table is mirrored in test_pki4.py (a default-run test checks they agree).
 */
final class Faults {
    /** name, requirement ID, one line. */
    static final String[][] TABLE = {
        {"tls12_allowed", "PKI-TLS-1", "enabled protocols TLSv1.3 and TLSv1.2 (copied from a JSSE tutorial)"},
        {"alpn_not_required", "PKI-TLS-2", "the negotiated ALPN is not checked: a client offering none is served"},
        {"want_client_auth", "PKI-TLS-3", "setWantClientAuth(true) instead of setNeedClientAuth(true)"},
        {"eku_missing_is_any", "PKI-CERT-5", "a certificate without ExtendedKeyUsage passes (getExtendedKeyUsage() == null read as 'any')"},
        {"eku_any_purpose", "PKI-CERT-5", "anyExtendedKeyUsage stands for clientAuth and serverAuth"},
        {"ca_true_accepted", "PKI-CERT-6", "BasicConstraints cA not looked at (getBasicConstraints() == -1 never checked)"},
        {"signature_only", "PKI-CERT-3", "cert.verify(root key) instead of PKIX path validation: the dates are never checked"},
        {"crl_first_entry", "PKI-CERT-11", "only the first CRL entry is compared with the peer's serial"},
        {"initiator_no_crl", "PKI-CERT-7", "the initiator validates the chain but never consults the CRL"},
        {"cn_ignore_case", "PKI-ID-4", "the initiator compares the CN with equalsIgnoreCase"},
        {"cn_first_of_many", "PKI-ID-4", "the first CN of the subject is taken when there are several"},
        {"initiator_no_alias_check", "PKI-ID-1", "the initiator never compares the responder's CN with the alias"},
        {"allow_list_substring", "PKI-ID-4", "allow list held as one comma-joined String and matched with contains()"},
        {"json_last_wins", "FRM-9", "JSON objects built in a HashMap: a duplicate key silently replaces the first"},
        {"json_double_numbers", "FRM-11", "integer members parsed with Double.parseDouble and cast to long"},
        {"json_lone_surrogates", "FRM-15", "\\u escapes decoded into Java chars without a surrogate check: the name reaches the disk"},
        {"sha_case_insensitive", "FRM-12", "sha256 members compared after toLowerCase()"},
        {"names_normalized", "APP-NAME-2", "Path.normalize() before the checks: a/../b is served as b"},
        {"c1_controls_allowed", "APP-NAME-8", "Character.isISOControl-style check limited to < 0x20 and 0x7f"},
        {"symlinks_followed", "APP-NAME-4", "the share path is resolved with Path.resolve and opened with Files.newInputStream (links followed)"},
        {"put_replaces", "APP-PUT-3", "Files.move(tmp, final, REPLACE_EXISTING) and no exists check at PUTF"},
        {"put_sha_unchecked", "APP-PUT-5", "the DONE digest of a put is not compared with the data"},
        {"put_excess_at_done", "APP-PUT-6", "data beyond the announced size is noticed only at DONE"},
        {"put_temp_0644", "APP-STORE-1", "temporary file opened with new FileOutputStream (mode 0644 under umask 022)"},
        {"eof_keeps_partial", "APP-STORE-3", "a put ended by the peer's close_notify leaves its temporary file (only the exception path discards it)"},
        {"empty_data_accepted", "FRM-13", "a DATA frame of length 0 is taken as a no-op"},
        {"payload_before_limit", "FRM-3", "the payload is read before the length is compared with the frame limit"},
        {"no_close_after_fatal", "ERR-3", "after a fatal EROR the loop keeps reading frames"},
        {"bare_tcp_close", "PKI-TLS-7", "the raw socket is closed instead of the SSLSocket: no close_notify"},
        {"no_idle_timeout", "LIM-2", "setSoTimeout(0) after the handshake: an idle peer is kept forever"},
        {"client_uses_rsfl_name", "APP-GET-7", "the initiator stores the get under RSFL.name"},
        {"client_size_unchecked", "APP-GET-3", "the initiator checks the digest only, not that the byte count matches the sizes"},
        {"client_temp_in_java_tmpdir", "APP-STORE-1", "the initiator downloads to Files.createTempFile() in java.io.tmpdir and moves it"},
        {"client_put_accept_any_rsfl", "APP-PUT-9", "the initiator takes any RSFL after its PUTF as acceptance"},
        {"utf8_replaced", "FRM-9", "control payloads decoded with new String(bytes, UTF_8): invalid UTF-8 becomes U+FFFD"},
        {"short_read_header", "FRM-4", "the header read with one in.read(buf) instead of readNBytes: a split header is garbage"},
        {"handshake_so_timeout_only", "LIM-1", "the handshake bounded by setSoTimeout alone: each trickled byte restarts it"},
        {"no_pending_cap", "LIM-8", "no per-address cap on connections still in their handshake"},
        {"no_handshake_eviction", "LIM-9", "at max_connections new connections are refused even when slots only hold handshakes"},
        {"no_send_watchdog", "LIM-10", "blocking writes without a watchdog: a peer that stops reading holds the thread forever"},
        {"reserved_prefix_put", "APP-NAME-9", "a put of a .sft-partial- name is accepted"},
        {"client_replaces_output", "APP-GET-6", "the initiator moves its download over an existing output file (REPLACE_EXISTING)"},
        {"client_put_eof_ok", "APP-PUT-10", "the initiator takes the end of the stream after its DONE as success"},
        {"cn_by_regex", "PKI-ID-4", "the CN taken with Pattern \"CN=([^,]+)\" from getName(): the first match, wherever it is"},
        {"size_as_int", "APP-PUT-7", "the PUTF size stored in an int: 2^32 + 5 becomes 5"},
        {"jsse_default_groups", "PKI-TLS-9", "jdk.tls.namedGroups not set: JSSE's defaults (ffdhe*, x448, secp521r1)"},
        {"realpath_then_open", "APP-NAME-5", "toRealPath().startsWith(share) and then Files.newByteChannel(path): a TOCTOU window"},
        {"client_sweeps_live", "APP-STORE-3", "the initiator deletes every .sft-partial- file of its output directory"},
        {"client_unknown_code_nonfatal", "ERR-4", "the initiator skips an EROR whose code it does not know (the switch's default) and reads on"},
        {"close_after_not_found", "ERR-3", "one try/catch around the session: a non-fatal EROR also ends the connection"},
        {"unknown_members_rejected", "FRM-10", "a strict schema (Jackson's FAIL_ON_UNKNOWN_PROPERTIES default): unknown members are bad_frame"},
        {"lenient_number_scan", "FRM-9", "numbers scanned as [-+0-9.eE]+ and handed to Long.parseLong / BigDecimal: +5 and 007 pass"},
        {"trailing_bytes_ignored", "FRM-9", "the parser stops after the object: bytes after it are ignored"},
        {"type_is_upper_case", "FRM-2", "type bytes checked with Character.isUpperCase((char) b): Latin-1 capitals pass"},
        {"rsa_size_unchecked", "PKI-CERT-9", "RSA key size left to jdk.certpath.disabledAlgorithms (RSA keySize < 1024)"},
        {"path_from_peer_chain", "PKI-CERT-10", "the CertPath built from the chain the peer sent: PKIX ignores the anchor's pathLen"},
        {"no_connection_cap", "LIM-4", "no max_connections: every connection gets a thread"},
        {"put_keeps_directories", "APP-PUT-2", "a put of a/b.txt stored at inbox.resolve(name) after Files.createDirectories"},
        {"no_timeout_during_put", "LIM-2", "setSoTimeout(0) while receiving a put (\"uploads may be slow\")"},
        {"client_failure_exit_zero", "APP-GET-3", "the initiator's catch logs the failure and falls through to System.exit(0)"},
        {"allow_list_no_close", "PKI-ID-3", "an initiator off the allow list gets forbidden and the connection stays open"},
        {"client_rsfl_sha_ignored", "APP-GET-3", "the initiator compares the data with DONE.sha256 only, never with RSFL.sha256"},
        {"putf_sha_ignored", "APP-PUT-5", "the responder compares the put with DONE.sha256 only, never with PUTF.sha256"},
        {"error_echoes_name", "ERR-1", "EROR messages quote the whole refused name: longer than 512 characters"},
        // Round 2 (r2_): read from this code's own structure.
        {"r2_bc_not_critical", "PKI-CERT-9", "BasicConstraints looked up, its criticality not checked; a missing one passes"},
        {"r2_integrity_nonfatal", "ERR-3", "INTEGRITY_FAILED in NON_FATAL: the connection stays open after it"},
        {"r2_get_size_unchecked", "APP-GET-2", "a share file above max_file_size is sent"},
        {"r2_put_size_ge", "APP-PUT-7", "size >= maxFileSize is too_large: a put of exactly the limit is refused"},
        {"r2_data_max_off", "FRM-13", "a DATA frame of exactly 1 MiB is refused (length >= MAX_DATA)"},
        {"r2_control_max_off", "FRM-8", "a control payload of exactly 65536 bytes is refused (length >= MAX_CONTROL)"},
        {"r2_timeout_no_eror", "LIM-2", "the SocketTimeoutException branch returns without EROR timeout"},
        {"r2_timeout_keeps_partial", "APP-STORE-3", "the timeout branch drops the upload reference: its temporary file stays"},
        {"r2_bye_stays_open", "APP-BYE-1", "after answering BYE_ the loop goes on reading"},
        {"r2_unknown_type_bad_frame", "FRM-5", "an unknown type is answered bad_frame (the type-bytes check's code)"},
        {"r2_pending_cap_gt", "LIM-8", "pendingHere > max: one handshake more than the cap per address"},
        {"r2_client_ca_true", "PKI-CERT-6", "the initiator's profile check skips BasicConstraints cA"},
        {"r2_client_done_size", "APP-GET-3", "the initiator compares DONE.sha256 and its byte count but not DONE.size"},
        {"r2_client_alpn", "PKI-TLS-2", "the initiator never looks at getApplicationProtocol()"},
        {"r2_client_put_done_any", "APP-PUT-10", "the put initiator takes any frame after its DONE as success"},
        {"r2_client_empty_data", "FRM-13", "the initiator accepts a DATA frame of length 0"},
        {"r2_done_size_unchecked", "APP-PUT-5", "Upload.done compares received with the PUTF size only, never DONE.size"},
        // Blind round 12 (I9, session 12): the round-12 lenses, read from this code.
        // Lens 1: two values of one type mixed up.
        {"r12_exists_full_name", "APP-PUT-3", "the exists check resolves the whole name in the inbox; the file is stored under its basename"},
        {"r12_crl_checks_own", "PKI-CERT-7", "the responder looks its own certificate up in the CRL (mine for leaf)"},
        {"r12_client_purpose_client", "PKI-CERT-5", "the initiator checks the responder's certificate with Purpose.CLIENT (clientAuth)"},
        // Lens 2: acknowledged before done.
        {"r12_done_before_commit", "APP-PUT-5", "a put's DONE written before Storage.commit (\"the fsyncs are slow\")"},
        {"r12_client_writes_final", "APP-STORE-5", "the initiator writes the get under its final name and deletes it on failure"},
        // Lens 3: peer-claimed values trusted.
        {"r12_alias_from_sni", "PKI-ID-2", "the initiator's alias taken from its SNI host name when it sends one"},
        {"r12_offer_hash_trusted", "APP-PUT-5", "PUTF.sha256, when present, taken as the data's digest"},
        {"r12_client_trusts_done_size", "APP-GET-3", "the initiator compares its byte count with DONE.size, not RSFL.size"},
        // Lens 4: sloppy output.
        {"r12_eror_name_shift", "ERR-1", "EROR names from a zero-based copy of the table: every name one code off"},
        {"r12_done_hex_upper", "FRM-12", "a get's DONE.sha256 formatted with HexFormat.of().withUpperCase()"},
        {"r12_bye_empty_payload", "FRM-14", "the BYE_ echo sent with an empty payload, not {}"},
        // Lens 5: two principals at once.
        {"r12_pending_local_address", "LIM-8", "the per-address handshake cap compares getLocalAddress(): every peer shares it"},
        {"r12_static_digest", "APP-PUT-8", "one static MessageDigest for every session: concurrent puts corrupt each other's digest"},
        {"r12_alias_static", "PKI-ID-3", "the authenticated alias kept in a static field: the last connection's alias is checked"},
        // Lens 6: deny-lists.
        {"r12_dot_component", "APP-NAME-2", "components refused: empty and ..; a . component passes"},
        {"r12_bidi_isolates", "APP-NAME-8", "bidirectional characters refused: U+202A-U+202E only, not the isolates U+2066-U+2069"},
        {"r12_put_frame_denylist", "FRM-6", "during a put RQFL and PUTF are unexpected_frame; the switch's default skips the frame"},
        // Blind round 16 (I16, session 14): the round-14 lenses, read from this code.
        {"r16_drive_letter_assert", "APP-NAME-2", "the drive-letter check written as an assert: gone without -ea (lens 1)"},
        {"r16_revocation_peek_lazy", "PKI-CERT-7", "the CRL looked up with stream().filter().peek() and no terminal operation: never runs (lens 1)"},
        {"r16_client_finally_return", "APP-GET-3", "the initiator's integrity throw overridden by a return in finally that commits when the byte count is right (lens 1)"},
        {"r16_excess_per_frame", "APP-PUT-6", "each DATA length compared with the announced size, not received plus length (lens 2)"},
        {"r16_client_excess_per_frame", "APP-GET-4", "the initiator compares each DATA length with the size, not the running total (lens 2)"},
        {"r16_upload_received_static", "APP-2", "the put's byte count a static field never reset: a second put is integrity_failed (lens 3)"},
        {"r16_name_length_in_chars", "APP-NAME-1", "the 4096 bound counted with String.length() (UTF-16 chars), not UTF-8 bytes (lens 4)"},
        {"r16_alias_from_chain_end", "PKI-ID-2", "the leaf is checked but the alias read from the last certificate of the peer's chain (lens 4)"},
        {"r16_temp_before_checks", "APP-STORE-3", "the put's temporary file created before the name, size and exists checks, left when they refuse (lens 5)"},
        {"r16_get_rsfl_before_allow", "PKI-ID-3", "a get is authorised after its RSFL is sent (and a refused name answered before the allow list) (lens 5)"},
        {"r16_client_output_claimed", "APP-GET-5", "the initiator claims the output name with an empty file before connecting, left when the get fails (lens 5)"},
        {"r16_commit_replaces_after_check", "APP-PUT-8", "exists checked at PUTF only: the commit moves with REPLACE_EXISTING over a file stored meanwhile (lens 6)"},
        {"r16_client_alias_from_chain_end", "PKI-ID-1", "NOT BLIND (written after the case): the initiator compares the alias with the last certificate of the responder's chain"},
        {"r16_client_replace_checked_early", "APP-GET-6", "the initiator checks the output name at start and commits with REPLACE_EXISTING (lens 6)"},
        {"b14_client_short_write_ignored", "APP-STORE-3", "the initiator ignores FileChannel.write's count: a write cut short (file-size limit, full disk) leaves a truncated file under the final name, exit 0"},
        // Blind round 16 (I21, session 16): the round-16 lenses, read from this code.
        {"b16_idle_cast_precedence", "LIM-2", "idle timeout in ms written (int) cfg.idleTimeout * 1000: the cast binds first, 1.5 s becomes 1000 ms (lens 1)"},
        {"b16_length_low_byte_signed", "FRM-1", "the frame length assembled with | h[7] unmasked: a signed low byte >= 0x80 makes the length negative (lens 1)"},
        {"b16_client_sweep_seconds_as_ms", "APP-STORE-3", "the initiator's sweep age is (long) --idle-timeout without * 1000: seconds read as milliseconds, live temporaries swept (lens 1)"},
        // (b16_revoked_serials_cached, lens 2: revoked serials copied into a HashSet on first use and
        // kept, so a refetched CRL is never consulted, was planted and dropped: on the wire it is a
        // responder that does not refetch, an unmet SHOULD of PKI-CERT-7, never a FAIL.)
        {"b16_handshaking_never_cleared", "LIM-9", "Conn.handshaking is never set to false: an established connection is evicted for a new handshake (lens 2)"},
        {"b16_allow_list_get_only", "PKI-ID-3", "the allow list is checked in get() only: put() of an initiator off the list is served (lens 3)"},
        {"b16_handshake_timeout_default", "LIM-1", "the handshake deadline taken from a fresh Config(): the default 10 s, not --handshake-timeout (lens 3)"},
        {"b16_exists_at_done_no_discard", "APP-STORE-3", "an exists found when the commit's link fails: the catch answers exists without discarding the temporary (lens 4)"},
        {"b16_client_keeps_partial_on_eror", "APP-STORE-3", "the initiator keeps (and unregisters) its temporary file when the responder ends a get with EROR, for a resume (lens 4)"},
        {"b16_allow_list_lowercased", "PKI-ID-4", "allow list and alias compared after toLowerCase(Locale.ROOT) (lens 5)"},
        {"b16_excess_after_payload", "APP-PUT-6", "a DATA frame's payload read before its length is compared with what is left: a sender that never sends it gets no answer (lens 5)"},
        {"b16_clock_skew_tolerance", "PKI-CERT-3", "validity checked with 5 minutes of clock-skew tolerance (PKIX run at the nearest instant inside the window) (lens 6)"},
        {"b16_json_depth_unbounded", "FRM-9", "second batch: the nesting limit dropped (RFC 8259 sets none): a deep payload overflows the thread's stack, a StackOverflowError no catch sees (lens 4)"},
        {"b16_bye_during_put_closes", "APP-BYE-1", "second batch: BYE_ during a put handled like the initiator's EROR: temporary discarded, connection closed without unexpected_frame (lens 4)"},
        {"b16_watchdog_closes_tls", "LIM-10", "NOT BLIND (pki4's own bug, found by test_ops_stalled_readers_slots.py and fixed): the send watchdog closes the SSLSocket, whose close_notify blocks on the full send buffer and holds the timer thread (lens 4)"},
        {"b16_put_checks_before_allow", "PKI-ID-3", "fourth batch: a put's name, size (and put-disabled) checks run before the allow list: an initiator off it gets forbidden for a bad name, or too_large, and keeps its connection (lens 5)"},
        {"b16_evict_newest_handshake", "LIM-9", "third batch: at max_connections the newest connection still in its handshake is evicted (\"the least invested\"), not the oldest (lens 2)"},
        {"b16_validity_at_start", "PKI-CERT-3", "the validity instant is a Date taken when Trust was built: a certificate that expires while the responder runs is still accepted (lens 6)"},
        // Foreign round 27 (B213): the round-27 lenses, read from this code.
        {"b27_type_three_bytes", "FRM-2", "the type-bytes loop runs k < 3: a bad fourth byte (RSF and a NUL) reaches the type lookup and is unexpected_frame (L1)"},
        {"b27_lone_low_surrogate", "FRM-15", "the surrogate check refuses a high surrogate without its pair but forgets a lone low one: \\udc00 in a name passes and is stored as '?' (L2)"},
        {"b27_rsfl_basename", "APP-GET-7", "a get's RSFL.name written with the put's Names.basename(name): a get of dir/f.txt is answered f.txt (L2)"},
        {"b27_partial_prefix_whole_name", "APP-NAME-9", "the reserved .sft-partial- prefix looked for at the start of the whole name, not of its last component: dir/.sft-partial-x is stored (L3)"},
        {"b27_malformed_eror_skipped", "ERR-8", "an EROR received in IDLE is parsed, and one without a readable integer code is skipped as noise: the connection goes on (L5)"},
        {"b27_get_reads_to_eof", "APP-GET-4", "a get's DATA copied until the channel's EOF (the transferTo habit), not for the size announced: a file that grows while sent overruns its RSFL (L6)"},
        {"b27_client_code_int_cast", "ERR-4", "the initiator casts an EROR code to int before the table lookup: 2^32+5 reads as forbidden (non-fatal) and it answers BYE_ (L6)"},
        {"b27_client_eror_by_name", "ERR-1", "the initiator takes the code from an EROR's name when the name is a known one: code 8 named not_found is non-fatal to it (L2)"},
        {"b27_sent_root_trusted", "PKI-CERT-4", "second batch: a self-signed certificate at the end of the peer's chain added as a second TrustAnchor (\"a peer MAY send the root\"): a foreign CA sent with its leaf, or a self-signed leaf, passes (L3)"},
        {"b27_alias_pattern_63", "PKI-CERT-2", "second batch: the CN checked against [a-z0-9][a-z0-9._-]{0,62} (\"1-64\" miscounted): a peer with a 64-character alias is refused (L6)"},
        {"b27_eror_length_unjudged", "FRM-8", "second batch: the 65 536 control limit skipped for a received EROR (\"read and dropped, we close anyway\"): no frame_too_large, a silent close (L3)"},
        {"b27_client_put_continue_timer", "APP-PUT-1", "second batch: the put initiator waits one second for the RSFL (Expect: 100-continue), then sends its DATA and DONE and reads the answer after (L2)"},
        {"b27_client_bye_no_payload", "APP-BYE-1", "second batch: the initiator's BYE_ sent with an empty payload (\"it has no members\"), not {} (L4)"},
        {"b27_bye_length_unjudged", "FRM-8", "(post-blind) the 65 536 control limit skipped for a BYE_ (\"its payload is {}\"): a 70 000-byte BYE_ in IDLE is echoed (L3)"},
    };

    private static final Set<String> ACTIVE = load();

    private static Set<String> load() {
        String env = System.getenv("SFT_INDEPENDENT_FAULTS");
        Set<String> active = new HashSet<>();
        if (env == null || env.isBlank()) return active;
        Set<String> known = new HashSet<>();
        for (String[] row : TABLE) known.add(row[0]);
        for (String n : Arrays.asList(env.split(","))) {
            String name = n.trim();
            if (name.isEmpty()) continue;
            if (!known.contains(name)) throw new IllegalArgumentException("unknown fault " + name);
            active.add(name);
        }
        return active;
    }

    static boolean on(String name) {
        return ACTIVE.contains(name);
    }

    private Faults() {}
}
