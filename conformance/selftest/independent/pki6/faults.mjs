// pki6 — planted faults, switched on by SFT_INDEPENDENT_FAULTS (comma-separated names).
// FAULTS mirrors FAULT_CASES of test_pki6.py: name -> [requirement, description].
export const FAULTS = {
  missing_eku_any_purpose: ['PKI-CERT-5', "a client certificate without EKU taken as any purpose (OpenSSL's reading)"],
  ca_true_leaf_accepted: ['PKI-CERT-6', 'BasicConstraints read but CA:TRUE not refused (OpenSSL lets a CA leaf through)'],
  missing_basic_constraints_ok: ['PKI-CERT-9', 'a certificate without BasicConstraints accepted (x509.ca is false either way)'],
  issuer_dn_only: ['PKI-CERT-10', "rejectUnauthorized false, then only x509.issuer compared to the root's subject"],
  crl_not_loaded: ['PKI-CERT-7', 'the CRL fetched but never put in the secure context nor checked'],
  crl_first_entry_only: ['PKI-CERT-11', 'CRL checked by hand (no `crl` option) against its first entry only'],
  first_cn_picked: ['PKI-ID-4', 'a subject with several CNs: the first taken'],
  alias_cached_per_server: ['PKI-ID-3', "the peer's alias read once per server (the first connection's), not per socket"],
  request_cert_off: ['PKI-TLS-3', 'requestCert left false: no client certificate asked, none required'],
  alpn_unchecked: ['PKI-TLS-2', 'socket.alpnProtocol never read: a client offering no ALPN is served'],
  tls12_allowed: ['PKI-TLS-1', "minVersion TLSv1.2 (Node's default) on the responder"],
  default_groups: ['PKI-TLS-9', "ecdhCurve left at Node's 'auto': x448, P-521, ffdhe accepted"],
  destroy_without_close_notify: ['PKI-TLS-7', 'socket.destroy() instead of end(): no close_notify'],
  fatal_error_keeps_reading: ['ERR-3', 'after a fatal EROR on a whole frame the loop goes on'],
  data_chunk_is_frame: ['FRM-4', "bytes after a frame in the same 'data' chunk dropped"],
  signed_frame_length: ['FRM-3', 'length read with readInt32BE: 2^31 and above pass the limit'],
  json_duplicates_last_wins: ['FRM-9', 'JSON.parse: a duplicate key, the last one wins'],
  json_float_integral_size: ['FRM-11', 'Number.isInteger: 1.0 and 1e3 taken as integers'],
  sha_case_insensitive: ['FRM-12', 'sha256 compared after toLowerCase(): upper-case hex accepted'],
  dotdot_normalised: ['APP-NAME-2', 'path.normalize then a prefix check: a/../b served'],
  realpath_prefix_confinement: ['APP-NAME-4', 'fs.realpath then startsWith(share): share-evil is inside'],
  no_descriptor_recheck: ['APP-NAME-5', 'lstat per component, then open by path, no re-check of the descriptor'],
  put_exists_then_rename: ['APP-PUT-8', 'exists checked at PUTF, then fs.renameSync over whatever is there'],
  overflow_checked_at_done: ['APP-PUT-6', 'excess data noticed only at DONE'],
  partial_not_unlinked: ['APP-STORE-3', 'the temporary file left behind on a failed put'],
  no_idle_deadline: ['LIM-2', 'no idle timer while waiting for a frame'],
  handshake_timeout_unset: ['LIM-1', "--handshake-timeout never reaches Node: its default 120 s handshakeTimeout"],
  handshake_timer_never_disarmed: ['LIM-1', 'the handshake timer armed at accept is not cleared by the handshake'],
  no_per_address_cap: ['LIM-8', 'no cap on handshakes per source address'],
  per_address_counts_established: ['LIM-8', 'a per-address count raised at accept, lowered only at close'],
  no_handshake_eviction: ['LIM-9', 'a full server refuses instead of evicting a pending handshake'],
  no_send_deadline: ['LIM-10', "waits for 'drain' without a deadline"],
  client_cn_unchecked: ['PKI-ID-1', 'checkServerIdentity returns undefined and the CN is never compared'],
  client_reject_unauthorized_false: ['PKI-CERT-4', 'initiator: rejectUnauthorized false, issuer name compared by hand'],
  client_ignores_crl: ['PKI-CERT-7', 'initiator: no CRL in the context, none checked'],
  client_alpn_unchecked: ['PKI-TLS-2', 'initiator: alpnProtocol never read'],
  client_default_groups: ['PKI-TLS-9', "initiator: ecdhCurve left at 'auto"],
  client_sizes_only: ['APP-GET-3', 'initiator: sizes checked, SHA-256 not'],
  client_eof_after_size_commits: ['APP-GET-5', "initiator: 'end' after size bytes taken as DONE"],
  client_rename_replaces: ['APP-GET-6', 'initiator: no check for an existing output, fs.renameSync onto it'],
  client_stores_rsfl_name: ['APP-GET-7', 'initiator: stores under RSFL.name'],
  client_temp_0644: ['APP-STORE-1', 'initiator: temporary created 0644'],
  client_no_sigterm_cleanup: ['APP-STORE-3', 'initiator: no SIGTERM handler, the temporary stays'],
  client_accept_truthy: ['APP-PUT-9', 'initiator: if (rsfl.accept): 1 and "yes" accepted'],
  client_put_close_is_success: ['APP-PUT-10', "initiator: the stream's end in place of DONE counted as success"],
  // Session 10, helper I5 (blind). Lenses: L1 misreading, L2 lazy feature, L3 state across
  // connections, L4 over-eager hardening, L5 layer seams.
  drive_letter_upper_only: ['APP-NAME-2', 'L1: the drive-letter test is /^[A-Z]:/, c:x passes'],
  bidi_get_only: ['APP-NAME-8', 'L1: bidi/C1 rule applied to gets only; a put name keeps U+202E'],
  allow_list_prefix: ['PKI-ID-4', 'L1: the allow list matched with alias.startsWith(entry)'],
  client_cn_case_insensitive: ['PKI-ID-4', 'L1: initiator compares the CN with toLowerCase()'],
  client_unknown_code_skipped: ['ERR-4', 'L1: initiator skips an EROR whose code it does not know'],
  not_allowed_stays_open: ['PKI-ID-3', 'L1: a not-allowed initiator gets forbidden per request, no close'],
  allow_list_get_only: ['PKI-ID-3', 'L2: the allow list checked for gets, not puts'],
  putf_sha_unchecked: ['APP-PUT-5', 'L2: PUTF.sha256 never compared'],
  put_no_idle_deadline: ['LIM-2', 'L2: no idle deadline while a put is being received'],
  get_open_then_fstat: ['APP-GET-2', 'L2: the last component opened without O_NONBLOCK, type checked after: a FIFO blocks'],
  put_hash_per_connection: ['APP-2', 'L3: the put hash object kept on the connection: a second put fails'],
  allow_cached_per_address: ['PKI-ID-3', "L3: the allow verdict cached per client address (first connection's alias)"],
  put_non_ascii_refused: ['APP-PUT-2', 'L4: put names outside printable ASCII refused forbidden'],
  close_after_forbidden: ['ERR-3', 'L4: the connection closed after any forbidden'],
  long_name_refused: ['APP-NAME-7', 'L4: names over 1024 bytes refused forbidden'],
  rqfl_extra_member_bad_frame: ['FRM-10', 'L4: an RQFL member beside name is bad_frame'],
  put_truncated_kept: ['APP-STORE-3', "L5: a put cut by the peer's close is linked under its final name"],
  integrity_as_internal: ['APP-PUT-5', 'L5: a size/SHA-256 mismatch thrown as a plain Error: EROR internal'],
  client_integrity_no_eror: ['APP-GET-3', 'L5: initiator integrity failure thrown as ClientFailure: no EROR sent'],
  // Session 13, helper I11 (blind). Lenses L1-L6 of lenses13.md: fail open, absent means
  // permissive, leaks on the unhappy path, units and number forms, part of the value
  // compared, half-rolled-back state.
  crl_serial_parse_open: ['PKI-CERT-7', 'L1: CRL checked by hand only; BigInt(serialNumber) without 0x throws on hex, caught: not revoked'],
  client_done_sha_parse_open: ['FRM-9', 'L1: initiator: a DONE whose sha256 does not parse is taken as matching'],
  client_validity_api_missing: ['PKI-CERT-3', 'L1: initiator verifies by hand with x509.validToDate (undefined on Node 20): no date refused'],
  keyusage_absent_ok: ['PKI-CERT-9', 'L2: a certificate without KeyUsage passes (only an explicit false refused)'],
  putf_sha_null_absent: ['FRM-9', 'L2: PUTF sha256 null taken as absent (== null)'],
  client_rsfl_sha_null_absent: ['FRM-9', 'L2: initiator: RSFL sha256 null taken as absent (== null)'],
  failed_handshake_pending_leak: ['LIM-8', 'L3: a connection whose handshake failed is never removed from the admission table'],
  peer_eror_temp_kept: ['APP-STORE-3', 'L3: a put ended by the initiator\'s EROR leaves its temporary file'],
  client_temp_kept_on_peer_eror: ['APP-STORE-3', 'L3: initiator: a get ended by the responder\'s EROR leaves its temporary file'],
  validity_skew_tolerance: ['PKI-CERT-3', 'L4: verified by hand with SKEW_MS = 300 * 1000 (meant 300 ms): 5 min of tolerance'],
  name_length_in_chars: ['APP-NAME-1', 'L4: name and component lengths counted in UTF-16 units, not UTF-8 bytes'],
  control_limit_in_chars: ['FRM-8', 'L4: the 64 KiB control limit judged on the decoded text\'s length'],
  put_sha_claims_compared: ['APP-PUT-5', 'L5: DONE.sha256 compared with PUTF.sha256 when present, not with the bytes'],
  client_cn_substring: ['PKI-ID-4', 'L5: initiator: x509.subject.includes(`CN=${alias}`)'],
  partial_prefix_on_full_name: ['APP-NAME-9', 'L5: the .sft-partial- prefix checked on the whole name, not its basename'],
  refused_put_leaves_receiving: ['ERR-3', 'L6: the state moves to receiving before the PUTF checks: after a refusal every frame is unexpected'],
  put_inflight_name_leak: ['APP-PUT-8', 'L6: an in-progress-names set never cleared by a failed put: its name is then exists'],
  b14_client_short_write_ignored: ['APP-STORE-3', "initiator: fs.writeSync's count ignored: a write cut short (file-size limit) leaves a truncated file under the final name, exit 0"],
};

const active = new Set(
  (process.env.SFT_INDEPENDENT_FAULTS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
);
for (const name of active) {
  if (!(name in FAULTS)) {
    process.stderr.write(`pki6: unknown fault ${name}\n`);
    process.exit(2);
  }
}

export const fault = (name) => active.has(name);
