// Planted faults: SFT_INDEPENDENT_FAULTS=name[,name] is read once at start. Each entry
// is one realistic mistake a Node team makes, breaking one requirement; the Python
// harness (test_eke3.py) mirrors this table and checks that the suite FAILs each one.
export const FAULTS = {
  // -- the server's handshake, group and throttling
  'hs-ns-unchecked': ['EKE-HS-6', 'server: EKE3 opens under Kcc, its Ns half never compared'],
  'x-upper-bound-unchecked': ['EKE-X-3', "server: X' of 0, 1, p-1 refused but X' >= p taken mod p"],
  'x-no-sign': ['EKE-X-2', "server: Y' = Y always, the random sign bit forgotten"],
  'user-nfc-normalised': ['EKE-PW-4', "server: user.normalize('NFC') before the store lookup"],
  'thr-no-throttle': ['EKE-THR-1', 'server: failures counted but EKE1 never refused'],
  'thr-success-not-reset': ['EKE-THR-4', "server: a success leaves the user's failure count"],
  'thr-abandoned-not-counted': ['EKE-THR-5', 'server: only a bad EKE3 counts; a closed pending handshake is forgiven'],
  'busy-no-retry-after': ['EKE-THR-7', 'server: EROR busy for the pending caps without retry_after'],
  'hs-timeout-silent': ['EKE-HS-11', 'server: handshake timeout closes without EROR timeout'],
  'hs-refusal-echoes-frame': ['ERR-5', 'server: a frame refused in the handshake quoted in the clear EROR'],
  'lim-no-eviction': ['LIM-9', 'server: a full server refuses instead of evicting a handshake'],
  'half-close-ends': ['APP-2', "server: Node's allowHalfOpen default: the peer's FIN ends our side, answers cut"],
  // -- the server's framing and JSON (Node defaults)
  'json-parse-duplicates': ['FRM-9', 'server: JSON.parse on control payloads (the last duplicate key wins)'],
  'json-number-float': ['FRM-11', 'server: integers checked with Number.isInteger (1.0 and 1e3 pass)'],
  'frame-limit-after-payload': ['FRM-3', 'server: the frame limit checked once the payload has arrived'],
  'json-lone-surrogate': ['FRM-15', 'server: a lone surrogate escape taken (Buffer.from makes it U+FFFD)'],
  'sha-case-insensitive': ['FRM-12', 'server: sha256 matched by /^[0-9a-f]{64}$/i'],
  // -- the server's application layer
  'put-end-commits': ['APP-STORE-3', "server: the stream's end during a put commits what arrived"],
  'name-dotdot-allowed': ['APP-NAME-2', "server: '..' components allowed (path.join resolves them)"],
  'name-percent-decoded': ['APP-NAME-3', 'server: decodeURIComponent(name) before use'],
  'name-no-bidi-check': ['APP-NAME-8', 'server: C1 controls and bidi overrides not refused'],
  'name-follow-symlinks': ['APP-NAME-4', 'server: symbolic links followed, no confinement check'],
  'put-no-basename': ['APP-PUT-2', 'server: a put stored under its whole name below the inbox'],
  'put-size-late': ['APP-PUT-7', 'server: too_large only once the data exceeds the limit'],
  'put-size-u32': ['APP-PUT-7', 'server: the put size checked as a u32 (2^32 + 1 is 1 byte)'],
  'store-temp-world-readable': ['APP-STORE-1', "server: the put's temporary file created 0644"],
  // -- the client
  'cli-trusts-rsfl-name': ['APP-GET-7', "client: stores the get under RSFL's name", true],
  'cli-writes-beyond-size': ['APP-GET-4', 'client: writes DATA beyond the announced size', true],
  'cli-end-commits': ['APP-GET-5', "client: the stream's end handler commits a partial file", true],
  'cli-overwrites-output': ['APP-GET-6', 'client: renames over an existing output file', true],
  'cli-put-truthy-accept': ['APP-PUT-9', 'client: `if (!rsfl.accept)` takes any truthy accept', true],
  'cli-put-success-at-send': ['APP-PUT-10', 'client: reports a put done once DONE is sent', true],
  'cli-unknown-code-nonfatal': ['ERR-4', 'client: an EROR code outside the table taken as non-fatal', true],
  'cli-temp-in-os-tmpdir': ['APP-STORE-1', "client: the get's temporary file in os.tmpdir(), renamed at DONE", true],
  'cli-c4-unchecked': ['EKE-HS-7', 'client: C4 opened but its Na never compared', true],
  // -- round 2 (blind)
  'r2-addr-cap-off-by-one': ['LIM-8', "server: the per-address cap checked with > (one more handshake admitted)"],
  'r2-max-conn-off-by-one': ['LIM-4', "server: max_connections checked with > (one connection too many)"],
  'r2-evicts-established': ['LIM-9', "server: a full server evicts its oldest connection, established or not"],
  'r2-hs-timeout-not-counted': ['EKE-THR-5', "server: a pending handshake ended by the handshake timeout is forgiven"],
  'r2-idle-timeout-silent': ['LIM-2', "server: the idle timeout closes without EROR timeout"],
  'r2-idle-eror-ignored': ['ERR-3', "server: an EROR received between transfers ends the connection only when internal"],
  'r2-stray-answer-ignored': ['APP-1', "server: RSFL or DONE received in IDLE silently skipped"],
  'r2-unknown-type-bad-frame': ['FRM-5', "server: an undefined type inside a record answered bad_frame"],
  'r2-put-empty-data-ignored': ['FRM-13', "server: an empty DATA during a put skipped"],
  'r2-put-done-size-ignored': ['APP-PUT-5', "server: DONE.size never compared with the announced size"],
  'r2-put-offered-sha-ignored': ['APP-PUT-5', "server: PUTF.sha256 parsed but never compared"],
  'r2-record-control-limit-unchecked': ['FRM-8', "server: control payloads inside records held to the frame limit only"],
  'r2-put-dangling-link-unchecked': ['APP-PUT-3', "server: existsSync() alone: a dangling link in the inbox is found only at DONE"],
  'r2-admit-ignores-address': ['EKE-THR-1', "server: failures counted per address but EKE1 admitted on the user's count only"],
  'r2-backoff-not-doubled': ['EKE-THR-6', "server: every lock lasts base seconds (2^(n-N) forgotten)"],
  'r2-retry-after-floor': ['EKE-THR-6', "server: retry_after rounded down (Math.floor)"],
  'r2-no-pending-user-cap': ['EKE-THR-7', "server: pending handshakes capped per address only"],
  'r2-drive-letter-allowed': ['APP-NAME-2', "server: names starting with a drive letter accepted"],
  'r2-name-limit-4095': ['APP-NAME-7', "server: a name bound written bytes > 4095: a 4096-byte name refused"],
  'r2-cli-done-size-ignored': ['APP-GET-3', "client: DONE.size never compared", true],
  'r2-cli-rsfl-sha-ignored': ['APP-GET-3', "client: RSFL.sha256 parsed but never compared", true],
  'r2-cli-put-refusal-exit0': ['APP-PUT-10', "client: a non-fatal refusal of PUTF reported with exit status 0", true],
  'r2-cli-empty-data-ok': ['FRM-13', "client: an empty DATA during a get taken", true],
  // -- found by a case (a leading U+FEFF): TextDecoder's default drops the BOM
  'cli-pwf-bom-dropped': ['PWF-1', "client: the password file decoded with TextDecoder's default (a leading BOM dropped)", true],
  // -- round 3 (blind, session 10, helper I4: foreign code through the round-10 lenses)
  'r3-eror-message-unbounded': ['ERR-1', "server: not_found message quotes the whole name, the 200-char slice skipped"],
  'r3-nonce-seq-le': ['EKE-REC-2', "server: the record nonce's seq written with writeBigUInt64LE"],
  'r3-record-ad-type-only': ['EKE-REC-3', "server: records sealed and opened with AD = 'RECD' alone"],
  'r3-throttle-one-late': ['EKE-THR-1', "server: 'after N failures' read as n > N (one guess too many)"],
  'r3-fifo-blocks': ['APP-GET-2', "server: share files opened without O_NONBLOCK (a FIFO blocks the event loop)"],
  'r3-exists-checked-full-name': ['APP-PUT-3', "server: exists looked up under the whole name, the basename stored"],
  'r3-size-zero-falsy': ['APP-PUT-1', "server: `if (!size)` on a BigInt: a 0-byte put refused bad_frame"],
  'r3-put-no-idle-timeout': ['LIM-2', "server: the put loop reads records without the idle timer"],
  'r3-hash-per-connection': ['APP-2', "server: the put's hash kept on the connection (`??=`), finalised by the first put"],
  'r3-pending-leak-on-success': ['EKE-THR-7', "server: a successful handshake's pending slot never released"],
  'r3-success-resets-address': ['EKE-THR-6', "server: a success deletes the address's failure entry too"],
  'r3-seq-static': ['EKE-REC-2', "server: `static seq` on RecordDirection: one counter for both directions and all connections"],
  'r3-name-ascii-only': ['APP-NAME-8', "server: names refused unless printable ASCII"],
  'r3-close-after-refusal': ['ERR-3', "server: not_found / forbidden of a get followed by a close"],
  'r3-unknown-member-refused': ['FRM-10', "server: RQFL/PUTF with a member outside the schema answered bad_frame"],
  'r3-bad-record-skipped': ['EKE-REC-4', "server: a record that does not authenticate skipped, the next one read"],
  'r3-cli-c2-fail-silent': ['EKE-HS-4', "client: a C2 that does not verify closes without EROR auth_failed", true],
  'r3-cli-temp-kept': ['APP-STORE-3', "client: the get's temporary file closed but not removed on failure", true],
  'r3-cli-no-eror-on-integrity': ['APP-GET-3', "client: DONE mismatch thrown as a local failure: no EROR integrity_failed", true],
  'r3-cli-sweeps-live-partials': ['APP-STORE-3', "client: every .sft-partial-* in the output directory swept at start, live ones too", true],
  // -- round 4 (blind, session 13, helper I12): the six lenses of lenses13.md, Node idioms.
  // Lenses: 1 fail open: r4-cli-c4-null-passes, r4-cli-rsfl-sha-try-ignored, r4-bad-inner-skipped;
  // 2 absent means permissive: r4-cli-done-sha-optional, r4-put-size-absent-unbounded,
  // r4-rqfl-name-absent-empty; 3 leaks: r4-pending-leak-bad-eke3, r4-conn-slot-leak-on-fatal,
  // r4-put-temp-kept-on-mismatch; 4 units and number forms: r4-lock-seconds-as-ms,
  // r4-name-length-utf16, r4-hex-by-buffer-length; 5 part of the value: r4-put-checks-basename-only,
  // r4-overflow-first-data-only, r4-user-lowercased; 6 half-rolled-back state:
  // r4-consecutive-not-reset, r4-evicted-pending-forgiven, r4-reservation-kept-on-failure.
  'r4-cli-c4-null-passes': ['EKE-HS-7', "client: `if (na && !equalBytes(na, Na))`: a C4 that does not authenticate (null) passes", true],
  'r4-cli-rsfl-sha-try-ignored': ['FRM-12', "client: RSFL.sha256 parsed in try/catch, a malformed one taken as absent", true],
  'r4-bad-inner-skipped': ['EKE-REC-1', "server: a record whose plaintext is not exactly one frame: parseInner's error caught, the record skipped"],
  'r4-cli-done-sha-optional': ['FRM-9', "client: DONE.sha256 read as optional and compared only when present", true],
  'r4-put-size-absent-unbounded': ['FRM-9', "server: a PUTF without size accepted, the size taken from DONE"],
  'r4-rqfl-name-absent-empty': ['FRM-9', "server: `req.name ?? ''`: an RQFL without name answered forbidden"],
  'r4-pending-leak-bad-eke3': ['EKE-THR-7', "server: a malformed EKE3 counted as a failure directly, its pending slot never released"],
  'r4-conn-slot-leak-on-fatal': ['LIM-4', "server: an established connection ended by a fatal error keeps its connection slot"],
  'r4-put-temp-kept-on-mismatch': ['APP-STORE-3', "server: `this.partial = null` before the DONE check: a failed put's temporary file stays"],
  'r4-lock-seconds-as-ms': ['EKE-THR-1', "server: lock end = Date.now() + seconds (milliseconds meant): every lock over at once"],
  'r4-name-length-utf16': ['APP-NAME-1', "server: name and component lengths by String.length (UTF-16 units), not UTF-8 bytes"],
  'r4-hex-by-buffer-length': ['FRM-12', "server: hex members checked by Buffer.from(v, 'hex').length: upper case and a trailing odd digit pass"],
  'r4-put-checks-basename-only': ['APP-NAME-2', "server: a put's name checked on its basename only (the part stored)"],
  'r4-overflow-first-data-only': ['APP-PUT-6', "server: more DATA than announced checked on the first DATA frame only"],
  'r4-user-lowercased': ['EKE-PW-4', "server: the store looked up with user.toLowerCase()"],
  'r4-consecutive-not-reset': ['EKE-THR-11', "server: a success resets n and the lock but not the consecutive count of the hard cap"],
  'r4-evicted-pending-forgiven': ['EKE-THR-5', "server: a pending handshake evicted for a newcomer (LIM-9) frees its slot uncounted"],
  'r4-reservation-kept-on-failure': ['APP-PUT-8', "server: a put's name reserved at accept, released only when stored: a failed put's name is 'exists'"],
  'r5-hard-locks-fill-table': ['EKE-THR-9', "server: hard-locked names count towards the table's bound: each new partial count evicted at the next failure"],
  // -- round 6 (blind, session 15, helper I19): the six lenses of lenses15.md, Node idioms.
  // Lenses: 1 one blocks all: r6-serial-handshakes, r6-drain-no-deadline;
  // 2 cross-context: r6-cli-c2-tag-unchecked; 3 default branch: r6-rqfl-fallthrough,
  // r6-put-unknown-type-as-data, r6-int-bigint-coerce, r6-cli-put-accept-default,
  // r6-cli-unknown-type-skipped; 4 compound conditions: r6-admit-user-and-address,
  // r6-done-checks-and, r6-put-prefix-on-whole-name; 5 asymmetric cost:
  // r6-busy-counted-as-failure, r6-refused-put-temp-left; 6 check-then-act:
  // r6-commit-exists-then-rename, r6-pending-cap-async-gap, r6-fail-lost-update.
  'r6-serial-handshakes': ['LIM-5', "server: handshakes chained on one promise (a lock for the throttle): a silent peer holds every login behind it"],
  'r6-drain-no-deadline': ['LIM-10', "server: write() awaits 'drain' with no timer: a peer that stops reading holds its connection forever"],
  'r6-cli-c2-tag-unchecked': ['EKE-HS-4', "client: C2 opened with decipher.update() alone (no setAuthTag/final): any C2 is taken", true],
  'r6-rqfl-fallthrough': ['APP-2', "server: the RQFL case of the frame switch lost its break: it falls into PUTF after the get"],
  'r6-put-unknown-type-as-data': ['FRM-5', "server: during a put, an undefined inner type falls into the DATA branch"],
  'r6-int-bigint-coerce': ['FRM-11', "server: integer members read with BigInt(v): true, \"12\" and 1.0 pass as integers"],
  'r6-cli-put-accept-default': ['APP-PUT-9', "client: `const { accept = true } = rsfl`: an RSFL without accept is an acceptance", true],
  'r6-cli-unknown-type-skipped': ['FRM-5', "client: an undefined frame type during a get skipped (forward compatible)", true],
  'r6-admit-user-and-address': ['EKE-THR-1', "server: admit() locks only when the user AND the address are both over N"],
  'r6-done-checks-and': ['APP-PUT-5', "server: the put's DONE refused only when the size AND the SHA-256 both differ"],
  'r6-put-prefix-on-whole-name': ['APP-NAME-9', "server: the reserved prefix tested on the whole put name, not its basename"],
  'r6-busy-counted-as-failure': ['EKE-THR-7', "server: a login refused busy is counted as a failed login"],
  'r6-refused-put-temp-left': ['APP-STORE-3', "server: the put's temporary file created before the exists/too_large checks and left on refusal"],
  'r6-commit-exists-then-rename': ['APP-PUT-3', "server: commit by existsSync(final) then renameSync: a dangling link made meanwhile is replaced"],
  'r6-pending-cap-async-gap': ['EKE-THR-7', "server: the store re-read (await) between the pending-cap check and the pending count"],
  'r6-fail-lost-update': ['EKE-THR-5', "server: a failure counted on a copy of the entry stored after an await: concurrent failures lost"],
  // session 15 (lead, a whole-suite run): both fixed, the old behaviour kept
  'b15-idle-per-record': ['LIM-2', "server: the idle timer armed once per record, not renewed by its bytes: a trickled record cut early"],
  'b15-cli-short-write-ignored': ['APP-STORE-3', "client: fs.writeSync's count ignored: a short write under a file-size limit kept a truncated file"],
  // -- round 25 (second pass, helper B171): the round-25 lenses (thin MUSTs, first draft,
  // compatibility shims, aging, platform, the wire), Node idioms.
  'b25_eror-malformed-skipped': ['ERR-8', "(L2) server: an EROR whose payload does not parse is logged and skipped (try/catch), the connection goes on"],
  'b25_rec-ad-legacy-fallback': ['EKE-REC-3', "(L3) server: a record that fails under AD = header retried under AD = 'RECD' (a draft client's AD)"],
  'b25_cli-rec-ad-legacy-fallback': ['EKE-REC-3', "(L3) client: a record that fails under AD = header retried under AD = 'RECD' (a draft server's AD)", true],
  'b25_cli-rec-ad-empty-fallback': ['EKE-REC-3', "(L3, post-blind) client: a record that fails under AD = header retried with no AD (an early server's)", true],
  'b25_ipv4-per-24': ['EKE-THR-10', "(L1) server: IPv4 failures counted per /24 'like IPv6 per /64'"],
  'b25_hs-socket-settimeout': ['LIM-1', "(L4) server: the handshake timeout is socket.setTimeout (inactivity): a trickling peer is never timed out"],
  'b25_y-per-process': ['EKE-X-1', "(L1) server: y and g^y drawn once per process (BigInt modpow is slow), only the sign bit fresh"],
  'b25_jacobi-unblinded': ['EKE-SEC-4', "(L6) server: the residuosity of D_pw(A) by a plain binary Jacobi on the value (no r^2 blinding)"],
  'b25_share-fd-not-rechecked': ['APP-NAME-5', "(L5) server: the lstat walk trusted, the opened descriptor's real path never re-checked (a component swapped for a link meanwhile)"],
  // -- round 28 (foreign pass, helper B227): the round-28 lenses (thin MUSTs, lost errors,
  // every ending, retries, two implementations of one rule, concurrency), Node idioms.
  'b28_cli-eror-malformed-skipped': ['ERR-8', "(L2) client: an EROR inside a record that does not parse caught and skipped, the next record read", true],
  'b28_cli-hs-eror-malformed-skipped': ['ERR-8', "(L2, post-blind) client: a clear EROR in the login that does not parse caught and skipped, the next clear frame read", true],
  'b28_cli-frame-limit-after-body': ['FRM-3', "(L1) client: a record's length judged against the frame limit once its body has arrived", true],
  'b28_cli-console-error': ['ERR-6', "(L2) client: every failure reported by console.error(err): Node prints the stack trace", true],
  'b28_cli-bye-mid-get-quiet': ['APP-BYE-1', "(L3) client: a BYE_ during a get taken as the server's goodbye: closed without EROR unexpected_frame", true],
  'b28_cli-put-pipelined-data': ['APP-PUT-1', "(L6) client: the put's first DATA sent before the RSFL is read (a round trip saved)", true],
  'b28_cli-busy-retry-same-eke1': ['EKE-X-1', "(L4) client: a login refused busy retried (twice, after retry_after) re-sending the first attempt's EKE1: the same x", true],
  'b28_hs-eof-short-payload': ['FRM-7', "(L3) server: a handshake frame cut by EOF taken with the bytes that came (they parse)"],
  'b28_get-reads-to-eof': ['APP-GET-4', "(L6) server: a get's file read to its end, not to the size announced: a file growing meanwhile sends more DATA than RSFL said"],
  'b25_cli-pwf-error-quotes': ['PWF-1', "(L2) client: a password file of several lines refused with its text quoted in the message", true],
};

const active = new Set(
  (process.env.SFT_INDEPENDENT_FAULTS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
);
for (const name of active) {
  if (!(name in FAULTS)) {
    process.stderr.write(`eke3: unknown fault ${JSON.stringify(name)}\n`);
    process.exit(2);
  }
}

/** True when the planted fault `name` is switched on. */
export function fault(name) {
  return active.has(name);
}
