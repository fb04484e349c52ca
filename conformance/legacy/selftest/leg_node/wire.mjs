// Shared plumbing of the leg-node programs: reading a TCP stream the way the seeds read
// theirs, planted faults, one-line logging.
//
// Written from docs/SPEC.md §7 and the seed documents only (clean room, Node.js 20).

import { once } from 'node:events';

/** A session ended for a reason the peer caused (bad input, close, timeout). */
export class SessionError extends Error {}

/**
 * Planted faults: SFT_INDEPENDENT_FAULTS=name[,name], read once at start. Every program
 * checks `fault('name')` where the mistake would be made; FAULTS lists them (name -> the
 * requirement ID the audit must report it under, and what the mistake is).
 */
// [name, program, what the audit must report ("FAIL ID": that case fails; "PASS ID": the
// flaw's case passes, an unexpected pass; "EVIDENCE ID": the flaw still FAILs, its
// evidence shows the change), the mistake]. Mirrored in test_leg_node.py.
export const FAULTS = [
  // eke0 server
  ['eke-pad-nul', 'eke0', 'FAIL LEG-EKE-FMT-3', 'pw39 padded with Buffer.alloc(n): NUL bytes, not ASCII 0'],
  ['eke-readline-user', 'eke0', 'FAIL LEG-EKE-FMT-3', 'the user name read as a line (waits for a newline)'],
  ['eke-password-trim', 'eke0', 'FAIL LEG-EKE-FMT-3', 'the received password trim()med before comparing'],
  ['eke-close-after-wrong-password', 'eke0', 'FAIL LEG-EKE-FMT-3', 'closes after Not Authenticated'],
  ['eke-fixed-group', 'eke0', 'PASS LEG-EKE-3', "refuses any p but the seed's (a flaw fixed)"],
  ['eke-random-exponent', 'eke0', 'PASS LEG-EKE-4', 'a fresh 64-bit Xs per session (a flaw fixed)'],
  ['eke-ciphertext-utf8', 'eke0', 'FAIL LEG-EKE-FMT-4', "E(Ns) kept as a 'latin1' string, written as UTF-8"],
  ['eke-server-checks-ns', 'eke0', 'PASS LEG-EKE-7', "checks message 15's Ns half (a flaw fixed)"],
  ['eke-one-login-per-connection', 'eke0', 'FAIL LEG-EKE-FMT-3', 'closes after message 24'],
  ['eke-length-padded', 'eke0', 'FAIL LEG-EKE-FMT-3', 'message 19 zero-padded to 16 digits'],
  ['eke-file-off-by-one', 'eke0', 'FAIL LEG-EKE-FMT-5', 'the last byte of the file is not sent'],
  ['eke-digest-base64', 'eke0', 'FAIL LEG-EKE-FMT-5', "message 24 as digest('base64')"],
  ['eke-concurrent', 'eke0', 'PASS LEG-EKE-12', 'serves connections concurrently (a flaw fixed)'],
  // eke0 client
  ['eke-client-writes-out', 'eke0', 'FAIL LEG-EKE-FMT-6', 'writes OUT directly, leaves it on failure'],
  ['eke-client-checks-na', 'eke0', 'PASS LEG-EKE-7', 'checks message 18 (a flaw fixed)'],
  ['eke-client-keeps-short', 'eke0', 'FAIL LEG-EKE-FMT-6', 'keeps the file when the server closes early'],
  ['eke-client-no-digest-ok', 'eke0', 'FAIL LEG-EKE-FMT-6', 'keeps the file when message 24 never comes'],
  ['eke-client-ignores-digest', 'eke0', 'FAIL LEG-EKE-FMT-6', 'never compares message 24'],
  // pki0 responder and requester
  ['pki-length-le', 'pki0', 'FAIL LEG-PKI-FMT-1', 'responder frame lengths written with writeUInt32LE'],
  ['pki-rsfl-oaep-sha1', 'pki0', 'FAIL LEG-PKI-FMT-6', 'RSFL pieces with oaepHash left out (SHA-1)'],
  ['pki-rqfl-oaep-sha1', 'pki0', 'FAIL LEG-PKI-FMT-5', 'RQFL with oaepHash left out (SHA-1)'],
  ['pki-checkissued', 'pki0', 'FAIL LEG-PKI-FMT-4', 'X509Certificate.checkIssued (names only) for verify'],
  ['pki-check-validity', 'pki0', 'EVIDENCE LEG-PKI-3', 'refuses expired certificates (a flaw partly fixed)'],
  ['pki-confined', 'pki0', 'PASS LEG-PKI-5', 'names confined to the share (a flaw fixed)'],
  ['pki-error-frame', 'pki0', 'FAIL LEG-PKI-FMT-7', 'an unreadable file answered with RSCI, then close'],
  ['pki-frame-per-chunk', 'pki0', 'FAIL LEG-PKI-FMT-6', 'the requester takes one data chunk as one frame'],
  ['pki-missing-file-hangs', 'pki0', 'FAIL LEG-PKI-FMT-7', 'a missing file: waits for the peer to close'],
  ['pki-piece-190', 'pki0', 'FAIL LEG-PKI-FMT-6', 'pieces of 190 bytes (the OAEP maximum)'],
  ['pki-rsci-reason', 'pki0', 'FAIL LEG-PKI-FMT-4', 'RSCI carries a reason text'],
  ['pki-rscv-der', 'pki0', 'FAIL LEG-PKI-FMT-4', 'RSCV carries X509Certificate.raw (DER)'],
  ['pki-sece-der', 'pki0', 'FAIL LEG-PKI-FMT-3', 'SECE carries X509Certificate.raw (DER)'],
  ['pki-drops-short-last-piece', 'pki0', 'FAIL LEG-PKI-FMT-6', 'the last, short piece is not sent'],
  ['pki-wait-for-close', 'pki0', 'FAIL LEG-PKI-FMT-6', 'after the last piece, waits for the peer to close'],
  // pki0 CA
  ['ca-json-answer', 'pki0', 'FAIL LEG-CA-FMT-2', 'answers application/json {"certificate": PEM}'],
  ['ca-no-size-limit', 'pki0', 'FAIL LEG-CA-FMT-3', 'no 413 for a body over 64 KiB'],
  ['ca-oaep-sha1', 'pki0', 'FAIL LEG-CA-FMT-1', 'payload decrypted with oaepHash left out (SHA-1)'],
  ['ca-password-prefix', 'pki0', 'FAIL LEG-CA-FMT-3', 'password checked with startsWith'],
  ['ca-unknown-alias-404', 'pki0', 'FAIL LEG-CA-FMT-3', 'an unknown alias answered 404'],
  // round 2 (r2)
  ['r2-eke-wrong-pw-rereads-password', 'eke0', 'FAIL LEG-EKE-FMT-3', 'after Not Authenticated waits for the password, not message 1'],
  ['r2-eke-na-second-block', 'eke0', 'FAIL LEG-EKE-FMT-4', 'message 18 encrypts bytes 16-31 of the decryption of 15'],
  ['r2-eke-digest-upper', 'eke0', 'FAIL LEG-EKE-FMT-5', 'message 24 in upper-case hex'],
  ['r2-eke-digest-first-block', 'eke0', 'FAIL LEG-EKE-FMT-5', 'message 24 is the SHA-1 of the first 1024 bytes only'],
  ['r2-eke-second-login-no-ack', 'eke0', 'FAIL LEG-EKE-FMT-3', 'a second login on one connection gets no u_ack'],
  ['r2-eke-length-newline', 'eke0', 'FAIL LEG-EKE-FMT-3', 'message 19 ends with a newline'],
  ['r2-eke-client-keeps-on-mismatch', 'eke0', 'FAIL LEG-EKE-FMT-6', 'renames OUT before comparing message 24'],
  ['r2-eke-client-exit0-on-mismatch', 'eke0', 'FAIL LEG-EKE-FMT-6', 'a digest mismatch removes the file but exits 0'],
  ['r2-pki-piece-99', 'pki0', 'FAIL LEG-PKI-FMT-6', 'pieces of 99 bytes'],
  ['r2-pki-rqfl-le', 'pki0', 'FAIL LEG-PKI-FMT-5', 'the requester writes the RQFL length little-endian'],
  ['r2-pki-rsci-no-close', 'pki0', 'FAIL LEG-PKI-FMT-4', 'after RSCI waits for the peer to close'],
  ['r2-pki-empty-file-frame', 'pki0', 'FAIL LEG-PKI-FMT-6', 'an empty file sent as one RSFL of an empty piece'],
  ['r2-ca-malformed-500', 'pki0', 'FAIL LEG-CA-FMT-3', 'a malformed request answered 500'],
  ['r2-ca-wrong-password-403', 'pki0', 'FAIL LEG-CA-FMT-3', 'a wrong password answered 403'],
  ['r2-ca-content-type-pem', 'pki0', 'FAIL LEG-CA-FMT-2', 'the certificate answered as application/x-pem-file'],
  ['r2-ca-any-path', 'pki0', 'FAIL LEG-CA-FMT-3', 'any path is taken as /verify'],
  // round 3 (r3, session 11 L8: caches, clocks, I/O granularity, lenient parsing, roles, fallbacks)
  ['r3-eke-key-per-connection', 'eke0', 'FAIL LEG-EKE-FMT-4', 'key ??= on the first login of a connection, reused by later logins'],
  ['r3-eke-length-locale', 'eke0', 'FAIL LEG-EKE-FMT-3', "message 19 as size.toLocaleString('en-US'): thousands separators"],
  ['r3-eke-m18-ciphertext', 'eke0', 'FAIL LEG-EKE-FMT-4', 'message 18 encrypts the first block of message 15 as received, not its decryption'],
  ['r3-eke-client-m11-exact38', 'eke0', 'FAIL LEG-EKE-FMT-2', "the client reads message 11 as readExact(38) (the seed server's g^Xs has 38 digits)"],
  ['r3-eke-client-key-xs', 'eke0', 'FAIL LEG-EKE-FMT-4', "the client's key computed with XS, the server's exponent constant"],
  ['r3-eke-client-empty-fast-path', 'eke0', 'FAIL LEG-EKE-FMT-6', 'an empty file is kept without comparing message 24'],
  ['r3-pki-any-block-verifies', 'pki0', 'FAIL LEG-PKI-FMT-4', 'a SECE of several PEM blocks gets RSCV when any block verifies; the first is the peer'],
  ['r3-pki-no-half-open', 'pki0', 'FAIL LEG-PKI-FMT-6', "net.createServer's default allowHalfOpen: a requester's half-close after RQFL ends the session"],
  ['r3-pki-twin-cache', 'pki0', 'FAIL LEG-PKI-FMT-4', 'verified certificates cached by subject and serial: a forged twin gets RSCV'],
  ['r3-pki-rqfl-own-key', 'pki0', 'FAIL LEG-PKI-FMT-5', "the requester seals RQFL under its own public key"],
  ['r3-eke-client-digest-timeout', 'eke0', 'FAIL LEG-EKE-FMT-6', 'message 24 waited for 1000 (ms, meant as s): a late digest is taken as none and the file kept'],
  ['r3-ca-cert-cache', 'pki0', 'FAIL LEG-CA-FMT-2', 'issued certificates cached per alias: a new enrolment gets the old key certified'],
  ['r3-ca-validity-swapped', 'pki0', 'FAIL LEG-CA-FMT-2', 'notBefore and notAfter swapped in the TBSCertificate'],
  ['r3-ca-alias-trim', 'pki0', 'FAIL LEG-CA-FMT-3', "the alias trim()med before the lookup: ' alice' is alice"],
  ['r3-ca-oaep-sha1-fallback', 'pki0', 'FAIL LEG-CA-FMT-1', 'a payload that is not OAEP-SHA-256 is tried with OAEP-SHA-1 and accepted'],
  // round 4 (r4, session 12 L10, blind; lens in brackets: 1 values mixed up, 2 acknowledged
  // before done, 3 peer-claimed values trusted, 4 sloppy output, 5 two principals, 6 deny-lists)
  ['r4-eke-client-m15-ciphertext', 'eke0', 'FAIL LEG-EKE-FMT-4', "[1] the client's message 15 is E(Na || message 13 as received), not its decryption"],
  ['r4-eke-m18-decrypt-flag', 'eke0', 'FAIL LEG-EKE-FMT-4', '[1] message 18 made with aes(key, na16, true): the decrypt flag, not encrypt'],
  ['r4-eke-digest-before-delivered', 'eke0', 'FAIL LEG-EKE-FMT-3', '[2] message 24 sent right after the file, before message 23 is read'],
  ['r4-pki-rscv-optimistic', 'pki0', 'FAIL LEG-PKI-FMT-4', '[2] RSCV written as soon as SECE parses; a certificate that fails the check then gets RSCI'],
  ['r4-pki-sece-trimmed', 'pki0', 'FAIL LEG-PKI-FMT-3', "[4] the requester's SECE is the certificate file read as text and trim()med: no final newline"],
  ['r4-pki-shared-peer-key', 'pki0', 'FAIL LEG-PKI-FMT-6', '[5] the requester key in a module-level variable: RSFL sealed for the latest SECE of any connection'],
  ['r4-ca-issuer-cn-only', 'pki0', 'FAIL LEG-CA-FMT-2', "[1] the issuer Name encoded from the root's CN alone, not the root's subject"],
  ['r4-ca-limit-header-only', 'pki0', 'FAIL LEG-CA-FMT-3', '[3] the 64 KiB limit checked on Content-Length only: a chunked body of any size is read'],
  ['r4-ca-outer-alias', 'pki0', 'FAIL LEG-CA-FMT-2', '[3] an "alias" member of the request body, when present, is the certificate\'s CN'],
  ['r4-ca-pem-76', 'pki0', 'FAIL LEG-CA-FMT-2', '[4] the certificate PEM wrapped at 76 columns (MIME), not 64'],
  // round 5 (r5, session 13 L13, blind; lens in brackets: 1 fail open, 2 absent means
  // permissive, 3 leaks on the unhappy path, 4 units and number forms, 5 part of the value
  // compared, 6 half-rolled-back state)
  ['r5-pki-check-error-open', 'pki0', 'FAIL LEG-PKI-FMT-4', '[1] an exception while checking SECE is logged and the session goes on: RSCV to a payload that is no certificate'],
  ['r5-eke-client-digest-nonhex-open', 'eke0', 'FAIL LEG-EKE-FMT-6', "[1] message 24 decoded with Buffer.from(text, 'hex'): not 20 bytes (not hex) skips the comparison"],
  ['r5-ca-unknown-alias-passes', 'pki0', 'FAIL LEG-CA-FMT-3', '[2] refused only when the alias is known and its password differs: an unknown alias is issued'],
  ['r5-ca-empty-password-skips', 'pki0', 'FAIL LEG-CA-FMT-3', "[2] `if (cred.password && known !== cred.password)`: an empty password is not compared"],
  ['r5-pki-slot-leak-on-rsci', 'pki0', 'FAIL LEG-PKI-FMT-4', '[3] 8 connection slots, released at the end of a served session only: after 8 RSCI sessions every connection is closed at once'],
  ['r5-ca-alias-inflight-leak', 'pki0', 'FAIL LEG-CA-FMT-2', '[3] an alias marked in progress after its credentials parse, unmarked on 200/401 only: after a 400 for a bad public_key its enrolments get 409'],
  ['r5-eke-inflight-leak', 'eke0', 'FAIL LEG-EKE-FMT-3', '[3] transfers in flight per user counted at Authenticated, released after message 24 only: after 2 broken sessions the password is Not Authenticated'],
  ['r5-ca-limit-chars', 'pki0', 'FAIL LEG-CA-FMT-3', "[4] the body read with setEncoding('utf8') and its limit on body.length (UTF-16 units), Content-Length not checked"],
  ['r5-eke-digest-of-text', 'eke0', 'FAIL LEG-EKE-FMT-5', '[4] message 24 hashed over chunk.toString() (UTF-8 text), not the bytes'],
  ['r5-ca-limit-inclusive', 'pki0', 'FAIL LEG-CA-FMT-3', '[4] the 64 KiB limit as >= : a body of exactly 65 536 bytes gets 413'],
  ['r5-eke-client-auth-includes', 'eke0', 'FAIL LEG-EKE-FMT-1', "[5] the client reads message 4 as one read and goes on when it includes('Authenticated'): Not Authenticated does"],
  ['r5-pki-name-trimmed', 'pki0', 'FAIL LEG-PKI-FMT-7', "[5] the RQFL name trim()med: 'report.bin ' is served"],
  ['r5-ca-password-base-compare', 'pki0', 'FAIL LEG-CA-FMT-3', "[5] the password compared with localeCompare(..., {sensitivity: 'base'}): case and accents ignored"],
  ['r5-ca-key-from-refused', 'pki0', 'FAIL LEG-CA-FMT-2', "[6] a pending enrolment (the posted key) made before the password check, dropped on success only: a refused request's key is certified at the next one"],
  // round 6 (r6, session 14 L15, blind; lens in brackets: 1 checks that never run, 2 per item
  // not in aggregate, 3 shared mutable state, 4 the checked form is not the used form,
  // 5 effects before authority, 6 trust carried over)
  ['r6-pki-verify-promise', 'pki0', 'FAIL LEG-PKI-FMT-4', '[1] the signature check made an async function and called without await: a Promise is truthy, every parsable certificate gets RSCV'],
  ['r6-eke-client-digest-promise', 'eke0', 'FAIL LEG-EKE-FMT-6', '[1] `!digestMatches(...)` on an async function: a Promise is never falsy, a wrong message 24 is never a mismatch'],
  ['r6-pki-every-empty', 'pki0', 'FAIL LEG-PKI-FMT-4', '[1] "every PEM block of SECE must verify" with Array.every: a SECE with no PEM block (DER) is never checked'],
  ['r6-ca-limit-per-chunk', 'pki0', 'FAIL LEG-CA-FMT-3', "[2] the 64 KiB limit checked on each 'data' chunk, not on their sum (nor on Content-Length)"],
  ['r6-ca-size-counted-twice', 'pki0', 'FAIL LEG-CA-FMT-3', '[2] the body size starts at Content-Length and adds the chunks: a body over 32 KiB gets 413'],
  ['r6-eke-shared-hash', 'eke0', 'FAIL LEG-EKE-FMT-5', '[3] one module-level SHA-1 object, digested through copy(): message 24 of a later login covers every file sent before'],
  ['r6-pki-peer-module', 'pki0', 'FAIL LEG-PKI-FMT-4', '[3] `peer` kept at module level and set only on success: a certificate that fails the check inherits the last verified one'],
  ['r6-ca-parts-leftover', 'pki0', 'FAIL LEG-CA-FMT-3', '[3] the body chunks collected in one server-wide array, emptied after a certificate only: a request after a refusal is read glued to it'],
  ['r6-eke-client-writes-text', 'eke0', 'FAIL LEG-EKE-FMT-6', '[4] the SHA-1 taken over the bytes received, the file written from piece.toString(): a binary file is kept mangled'],
  ['r6-pki-key-from-last-block', 'pki0', 'FAIL LEG-PKI-FMT-6', '[4] the first PEM block of SECE is verified, the last one\'s key seals the pieces ("the leaf comes last")'],
  ['r6-eke-client-password-eager', 'eke0', 'FAIL LEG-EKE-FMT-1', '[5] the client sends the password right after the user name, before u_ack ("u_ack is always sent")'],
  ['r6-eke-client-out-opened-early', 'eke0', 'FAIL LEG-EKE-FMT-6', "[5] OUT opened with 'w' before connecting, to fail early: a refused transfer leaves an empty OUT"],
  ['r6-eke-auth-per-connection', 'eke0', 'FAIL LEG-EKE-FMT-3', '[6] after one good login a connection is trusted: its later logins are Authenticated whatever the password'],
  ['r6-ca-socket-auth', 'pki0', 'FAIL LEG-CA-FMT-3', '[6] an alias enrolled on a keep-alive socket is trusted on that socket: a later request for it is not password-checked'],
  // round 7 (r7, session 15 L17, blind; lens in brackets: 1 one blocks all, 2 reflection and
  // cross-context acceptance, 3 the default branch, 4 compound conditions, 5 asymmetric cost,
  // 6 check-then-act under concurrency)
  ['r7-pki-sessions-chained', 'pki0', 'FAIL LEG-PKI-FMT-4', '[1] responder sessions chained on one module-level promise ("one file open at a time"): a requester silent after RSCV stalls every other one until its idle timeout'],
  ['r7-pki-max-connections', 'pki0', 'FAIL LEG-PKI-FMT-4', '[1] server.maxConnections = 1 ("one transfer at a time spares the disk"): a second requester, while one is connected, is closed on at once'],
  ['r7-eke-client-waits-for-close', 'eke0', 'FAIL LEG-EKE-FMT-6', "[1] the client keeps the file only once the server has closed (\"nothing may follow the digest\"): the server waits for message 1, the client for the close, until its timeout"],
  ['r7-pki-rqfl-clear-fallback', 'pki0', 'FAIL LEG-PKI-FMT-5', '[2] an RQFL payload that does not decrypt is taken as the name in clear ("a requester without our key")'],
  ['r7-pki-get-sece-as-rscv', 'pki0', 'FAIL LEG-PKI-FMT-5', "[2] the requester refuses RSCI only: any other answer (its own SECE reflected, an RQFL) carrying a certificate is taken as RSCV and RQFL is sent"],
  ['r7-ca-cred-plain-json', 'pki0', 'FAIL LEG-CA-FMT-3', '[2] a payload that does not decrypt is tried as the credentials JSON in clear ("clients that cannot do OAEP")'],
  ['r7-pki-get-any-type-piece', 'pki0', 'FAIL LEG-PKI-FMT-6', '[3] the requester takes every frame after RQFL as a piece, whatever its type (RSCI, SECE, RQFL carrying an OAEP piece)'],
  ['r7-eke-g-default', 'eke0', 'FAIL LEG-EKE-FMT-3', '[3] a message 7 that is not decimal digits is taken as g = 2 ("g is always 2"), gAck, not a close'],
  ['r7-pki-second-frame-any-type', 'pki0', 'FAIL LEG-PKI-FMT-5', '[3] the responder takes the frame after RSCV as the request whatever its type: an RSFL or SECE carrying OAEP(name) is served'],
  ['r7-eke-pw-length-and', 'eke0', 'FAIL LEG-EKE-FMT-3', '[4] `if (a.length !== b.length && !a.equals(b))` refuse: a wrong password of the right length is Authenticated'],
  ['r7-ca-base64-and', 'pki0', 'FAIL LEG-CA-FMT-3', '[4] `if (!B64.test(payload) && payload.length % 4)`: URL-safe or unpadded base64 (Buffer.from is lenient) is decoded and enrols'],
  ['r7-ca-413-after-body', 'pki0', 'FAIL LEG-CA-FMT-3', '[5] the 64 KiB limit checked once the whole body is in ("the total, not a claim"): a client that declares a large body and sends part of it gets no 413'],
  ['r7-ca-serial-race', 'pki0', 'FAIL LEG-CA-FMT-2', '[6] serials from a counter read when the request starts and stored + 1 after the certificate: concurrent enrolments get the same serial'],
  ['r7-pki-shared-target', 'pki0', 'FAIL LEG-PKI-FMT-6', "[6] the path to serve kept in a module-level variable across `await access(target)`: two requests at once, one gets the other's file"],
  // round 17 (b17, LG17 blind; lens in brackets: 1 boundaries and exact multiples, 2 fatal vs
  // recoverable, 3 duplicates and repetition, 4 cryptographic API misuse, 5 content that looks
  // like structure, 6 lifecycle ends)
  ['b17-ca-cred-max-refused', 'pki0', 'FAIL LEG-CA-FMT-2', '[1] credentials of 190 bytes or more (the OAEP maximum, `>=`) refused 400'],
  ['b17-eke-client-zero-length-skips-digest', 'eke0', 'FAIL LEG-EKE-FMT-6', '[1] an announced length of 0: "nothing to check": the empty file kept without message 23/24'],
  ['b17-ca-bad-key-401', 'pki0', 'FAIL LEG-CA-FMT-3', '[2] a public_key that does not parse folded into the credential check: 401, not 400'],
  ['b17-pki-get-skips-bad-piece', 'pki0', 'FAIL LEG-PKI-FMT-6', '[2] the requester skips an RSFL piece that does not decrypt and keeps the rest'],
  ['b17-ca-cred-first-name', 'pki0', 'FAIL LEG-CA-FMT-3', '[3] the CN from the first "name" member of the credentials (a scan), the password checked for the last (JSON.parse)'],
  ['b17-pki-second-sece-replaces', 'pki0', 'FAIL LEG-PKI-FMT-4', '[3] a second SECE after RSCV taken as a certificate update (unverified): the pieces sealed to its key'],
  ['b17-eke-client-digest-startswith', 'eke0', 'FAIL LEG-EKE-FMT-6', '[4] message 24 read as one read and compared with mine.startsWith(theirs): a short digest passes'],
  ['b17-eke-cipher-reused', 'eke0', 'FAIL LEG-EKE-FMT-4', '[4] message 18 continues the CBC chain of message 13 (IV = its last block), not the zero IV'],
  ['b17-eke-user-newline-password', 'eke0', 'FAIL LEG-EKE-FMT-3', '[5] a user name with a newline: the text after it taken as the password (a line habit)'],
  ['b17-ca-alias-case', 'pki0', 'FAIL LEG-CA-FMT-3', '[5] the account looked up by the lower-cased alias, the CN as sent: ALICE enrols with alice\'s password'],
  ['b17-eke-logins-cap-4', 'eke0', 'FAIL LEG-EKE-FMT-3', '[6] a connection closed after its 4th login ("a connection is one client, not a pool")'],
  // round 25 (b25, blind; lens in brackets: 1 thin IDs, 2 first draft, 3 compatibility
  // shims, 4 aging and expiry, 5 the platform underneath, 6 what the wire shows)
  ['b25-pki-length-le-fallback', 'pki0', 'FAIL LEG-PKI-FMT-1', '[3] a frame length over the limit re-read little-endian ("peers that wrote LE"): a lying header is not closed on'],
  ['b25-pki-name-casefold', 'pki0', 'FAIL LEG-PKI-FMT-7', '[5] a name not found is matched case-insensitively in its directory ("files copied from Windows"): REPORT.BIN is served'],
  ['b25-ca-key-bare-base64', 'pki0', 'FAIL LEG-CA-FMT-3', '[3] a public_key without PEM armour taken as base64 DER SPKI ("Java clients send getEncoded()"), not 400'],
  ['b25-ca-cred-alias-member', 'pki0', 'FAIL LEG-CA-FMT-3', '[3] credentials with "alias" instead of "name" accepted ("the old client"), not 400'],
  ['b25-eke-m9-digits-of-p', 'eke0', 'FAIL LEG-EKE-FMT-2', '[2] message 9 read as readExact(digits of p) ("a value mod p has as many digits as p"): a shorter one stalls'],
  ['b25-eke-lockout-never-expires', 'eke0', 'PASS LEG-EKE-10', '[4] 5 wrong passwords in a row lock logins for 30 s, each attempt during the lock restarting it: a guesser that keeps trying is refused forever'],
  // post-blind siblings (the class the new cases catch)
  ['b25-pki-name-lowercased', 'pki0', 'FAIL LEG-PKI-FMT-7', '[5] (post-blind) every RQFL name lower-cased before it is opened ("case does not matter on the file server")'],
  ['b25-pki-length-16bit', 'pki0', 'FAIL LEG-PKI-FMT-1', '[2] (post-blind) the frame length read as readUInt16BE(6) ("no frame is over 64 KiB")'],
  ['b25-eke-ns-random-bytes', 'eke0', 'FAIL LEG-EKE-FMT-4', "[2] Ns drawn fresh as crypto.randomBytes(32) (the seed's generate_nonce), not 32 ASCII characters"],
  // round 28 (b28, blind; lens in brackets: 1 thin IDs, 2 lost errors, 3 every ending of a
  // one-shot program, 4 retries and resumes, 5 two implementations of one rule, 6 concurrency
  // in the idiom)
  ['b28-pki-dir-read-error-lost', 'pki0', 'FAIL LEG-PKI-FMT-7', "[2] a read error after the open (a directory: EISDIR) goes to a stream 'error' listener that logs it: the session neither closes nor sends"],
  ['b28-ca-payload-raw-regex', 'pki0', 'FAIL LEG-CA-FMT-1', '[1,5] payload taken from the raw body by a regex (for the log line), JSON.parse for the rest: a valid JSON escape (\\/) in payload is 400'],
  ['b28-eke-client-resume-appends', 'eke0', 'FAIL LEG-EKE-FMT-6', '[4] a connection cut inside the file: the client reconnects once and appends the new session to the partial file; the digest covers the second session only'],
  ['b28-eke-client-null-length-empty', 'eke0', 'FAIL LEG-EKE-FMT-6', '[3] the server closes before message 19: Number(null) is 0, "an empty file": OUT written empty, exit 0'],
  ['b28-ca-replay-cache', 'pki0', 'PASS LEG-CA-3', '[4] the CA remembers accepted payloads: the same payload with another public_key is 401 (a flaw fixed)'],
];
const ACTIVE = new Set(
  (process.env.SFT_INDEPENDENT_FAULTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

export function fault(name) {
  return ACTIVE.has(name);
}

export function log(prog, message) {
  process.stderr.write(`${prog}: ${message}\n`);
}

/**
 * Reads a socket two ways, as §7 needs:
 * - `readRest(max)`: what one recv(max) of the seed would return — everything that has
 *   arrived and not been consumed, at most `max` bytes, waiting only for the first byte.
 *   The eke/0 messages without a length (1, 3, 5, 7, 9, 11, 19) are read this way.
 * - `readExact(n)`: buffers until n bytes are in (fixed-length and literal messages,
 *   pki/0 frames).
 * Data stays in the order it arrived; end of stream, error and idle timeout reject the
 * pending read with a SessionError.
 */
export class StreamReader {
  #chunks = [];
  #buffered = 0;
  #ended = false;
  #failure = null;
  #wake = null;

  constructor(socket) {
    socket.on('data', (chunk) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      this.#notify();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on('error', (err) => {
      this.#failure = new SessionError(`socket error: ${err.code ?? err.message}`);
      this.#notify();
    });
  }

  /** Marks the reader failed (idle timeout); the pending read rejects. */
  abort(reason) {
    this.#failure = new SessionError(reason);
    this.#notify();
  }

  get buffered() {
    return this.#buffered;
  }

  get ended() {
    return this.#ended && this.#buffered === 0;
  }

  #notify() {
    const wake = this.#wake;
    this.#wake = null;
    if (wake) wake();
  }

  async #waitUntil(enough) {
    while (!enough()) {
      if (this.#failure) throw this.#failure;
      if (this.#ended) return false;
      await new Promise((resolve) => {
        this.#wake = resolve;
      });
    }
    return true;
  }

  #take(n) {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#chunks[0];
      const want = n - filled;
      if (head.length <= want) {
        head.copy(out, filled);
        filled += head.length;
        this.#chunks.shift();
      } else {
        head.copy(out, filled, 0, want);
        this.#chunks[0] = head.subarray(want);
        filled += want;
      }
    }
    this.#buffered -= n;
    return out;
  }

  /** The rest of one read (at most `max` bytes); null at a clean end of stream. */
  async readRest(max) {
    const ok = await this.#waitUntil(() => this.#buffered > 0);
    if (!ok) return null;
    return this.#take(Math.min(max, this.#buffered));
  }

  /** True when the stream ended with nothing left to read (waits for data or the end). */
  async atEnd() {
    return !(await this.#waitUntil(() => this.#buffered > 0));
  }

  /** Exactly n bytes; throws SessionError when the stream ends first. */
  async readExact(n, what) {
    const ok = await this.#waitUntil(() => this.#buffered >= n);
    if (!ok) {
      throw new SessionError(`connection closed during ${what} (${this.#buffered} of ${n} bytes)`);
    }
    return this.#take(n);
  }

  /** Waits for the end of the stream (the peer's FIN) or a failure. */
  async untilEnd() {
    await this.#waitUntil(() => false);
  }
}

/** Writes one message as one write and resolves when it is handed to the kernel. */
export async function writeMessage(socket, bytes) {
  if (!socket.write(bytes)) await once(socket, 'drain');
}
