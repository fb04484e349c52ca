/*
 * leg-c: a clean-room C implementation of the seed designs (sft-eke/0 and sft-pki/0),
 * written from the seed documents (/work/shared/seeds) and docs/SPEC.md section 7 alone.
 * POSIX sockets, OpenSSL 3 libcrypto (RSA-OAEP, AES-CBC, SHA, BIGNUM, X.509).
 *
 *   legc eke-serve -port P -user U -password-file F -file SERVED
 *   legc eke-get HOST PORT USER PASSWORD_FILE OUT
 *   legc pki-serve -port P -key K -cert C -root R -share DIR
 *   legc pki-get KEY CERT HOST PORT NAME OUT
 *   legc ca-serve -port P -root-key K -root-cert R -users ALIAS:PASSWORD-FILE
 *   legc enroll -ca URL -root R -alias A -password-file F -key-out K -cert-out C
 *
 * Choices (where the seeds leave room):
 * - servers print "listening on 127.0.0.1:PORT" once bound; loopback only.
 * - eke/0 server: one connection at a time, forever (the reference's shape); any user
 *   name is accepted (the seed's always-true test); after message 24 or a wrong
 *   password it waits for message 1 again; a 30 s idle timeout per read; a literal that
 *   does not match, a number that does not parse or a short key closes the connection.
 *   Messages 1, 3, 5, 7, 9 (and 11, 19 at the client) are "the rest of one read"; fixed
 *   and literal messages are buffered until complete.
 * - eke/0 client: exit 0 only when the SHA-1 of the received bytes equals message 24;
 *   the file is written to OUT.tmp, fsync'ed and renamed only then.
 * - pki/0 responder: one thread per connection; frames above 65 536 bytes or of an
 *   unknown type close the connection; the SECE certificate is checked by the root's
 *   signature only; share/NAME is opened as sent (the seed's os.path.join).
 * - pki/0 requester: the RSCV certificate is not checked (the seed); the file is the
 *   pieces in arrival order up to the close, written to OUT.tmp, then renamed.
 * - CA: HTTP/1.0, one thread per connection, POST /verify only; 401 for a wrong
 *   password or unknown alias, 400 for a malformed body, 404 for another path, 413
 *   for a body over 64 KiB; certificates: v3, no extensions, 365 days, SHA-256.
 *
 * Planted faults (SFT_INDEPENDENT_FAULTS=name[,name]): the table FAULTS below, mirrored
 * in ../test_leg_c.py; "FAIL ID" a format case fails, "PASS ID" a flaw is fixed,
 * "EVIDENCE ID" the flaw still fails and its evidence shows the change.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct fault_row {
    const char *name, *want, *what;
};

static const struct fault_row FAULTS[] = {
    /* eke/0 server */
    {"eke-ack-nul", "FAIL LEG-EKE-FMT-3", "acks sent with their C string's NUL (sizeof, not strlen)"},
    {"eke-length-htonl", "FAIL LEG-EKE-FMT-3", "message 19 sent as a 4-byte htonl length, not ASCII"},
    {"eke-length-padded", "FAIL LEG-EKE-FMT-3", "message 19 as printf(\"%016zu\"): leading zeros"},
    {"eke-pad-nul", "FAIL LEG-EKE-FMT-3", "password padded with NUL bytes, not ASCII 0"},
    {"eke-pw-fgets-newline", "FAIL LEG-EKE-FMT-3", "the password file read with fgets: its newline kept"},
    {"eke-hide-strlen", "FAIL LEG-EKE-FMT-3", "hide() stops at the first NUL byte of the XOR (strlen)"},
    {"eke-p-atoi", "FAIL LEG-EKE-FMT-3", "p and g read with strtoull: p wraps to 64 bits"},
    {"eke-key-bn2bin", "FAIL LEG-EKE-FMT-4", "K = the first 32 bytes of BN_bn2bin, zero-padded, not the digits"},
    {"eke-key-16", "FAIL LEG-EKE-FMT-4", "K = 16 digits, AES-128"},
    {"eke-m18-from-ns", "FAIL LEG-EKE-FMT-4", "message 18 encrypts the Ns half of message 15"},
    {"eke-sha1-of-first-read", "FAIL LEG-EKE-FMT-5", "digest of the first 1024 bytes only (the seed's sha1ofFile)"},
    {"eke-short-last-send", "FAIL LEG-EKE-FMT-5", "the last chunk sent as a full 1024-byte buffer"},
    {"eke-close-after-file", "FAIL LEG-EKE-FMT-3", "closes after message 24 instead of waiting for a new login"},
    {"eke-fork-per-conn", "PASS LEG-EKE-12", "fork() per connection: no longer one client at a time"},
    {"eke-hangup-on-wrong-password", "FAIL LEG-EKE-FMT-3", "closes the connection after Not Authenticated"},
    /* eke/0 client */
    {"eke-client-no-digest-check", "FAIL LEG-EKE-FMT-6", "the client keeps the file without comparing digests"},
    {"eke-client-keeps-partial", "FAIL LEG-EKE-FMT-6", "the client writes in place and exits 0 on an early close"},
    {"eke-client-newline", "FAIL LEG-EKE-FMT-1", "the client sends its messages with a trailing newline"},
    {"eke-client-digest-20", "FAIL LEG-EKE-FMT-6", "the client compares SHA_DIGEST_LENGTH (20) of the 40 hex digits"},
    /* pki/0 responder and requester */
    {"pki-length-host-order", "FAIL LEG-PKI-FMT-1", "frame length in host (little-endian) byte order"},
    {"pki-rsfl-oaep-sha1", "FAIL LEG-PKI-FMT-6", "RSFL under OAEP with SHA-1 (OpenSSL's default)"},
    {"pki-piece-strlen", "FAIL LEG-PKI-FMT-6", "each piece cut at its first NUL byte (strlen on binary data)"},
    {"pki-rscv-der", "FAIL LEG-PKI-FMT-4", "RSCV carries the DER certificate (i2d_X509)"},
    {"pki-rsci-no-close", "FAIL LEG-PKI-FMT-4", "after RSCI the connection is left open"},
    {"pki-single-read", "FAIL LEG-PKI-FMT-1", "a frame taken from one read() of the header and payload"},
    {"pki-name-buffer-64", "FAIL LEG-PKI-FMT-6", "the file name copied into a char[64]: a long name is cut"},
    {"pki-realpath-check", "PASS LEG-PKI-5", "realpath() confinement of the name to the share"},
    {"pki-sece-der", "FAIL LEG-PKI-FMT-3", "the requester sends its DER certificate in SECE"},
    {"pki-get-oaep-default", "FAIL LEG-PKI-FMT-5", "the requester leaves OpenSSL's OAEP defaults (SHA-1)"},
    {"pki-get-piece-strlen", "FAIL LEG-PKI-FMT-6", "the requester appends each piece with strlen"},
    /* CA */
    {"ca-base64-no-padding", "FAIL LEG-CA-FMT-1", "payload base64 expected without padding"},
    {"ca-oaep-sha1", "FAIL LEG-CA-FMT-1", "the CA decrypts the payload with OAEP SHA-1"},
    {"ca-json-answer", "FAIL LEG-CA-FMT-2", "the certificate answered in a JSON object"},
    {"ca-extensions", "PASS LEG-CA-6", "BasicConstraints, KeyUsage, EKU and 30 days"},
    {"ca-throttle", "PASS LEG-CA-5", "429 after three failed logins"},
    /* session 10, L7 (blind) */
    {"eke-ack-sizeof-ptr", "FAIL LEG-EKE-FMT-3", "acks sent with sizeof on a const char *: 8 bytes each"},
    {"eke-pw-strncmp-received", "FAIL LEG-EKE-FMT-3", "strncmp(received, password, n received): a prefix logs in"},
    {"eke-fixed-group", "PASS LEG-EKE-3", "the server ignores the client's p and g and uses the seed's"},
    {"eke-digest-binary", "FAIL LEG-EKE-FMT-5", "message 24 as the raw 20-byte SHA-1, not hex"},
    {"eke-second-session-skips-login", "FAIL LEG-EKE-FMT-3", "after message 24 the state machine goes back to p (5), not to the user name"},
    {"eke-key-bn2hex", "FAIL LEG-EKE-FMT-4", "K = the first 32 characters of BN_bn2hex, not the decimal digits"},
    {"eke-client-g-binary", "FAIL LEG-EKE-FMT-1", "the client sends g as one binary byte (send(&g, 1))"},
    {"eke-client-15-raw-13", "FAIL LEG-EKE-FMT-4", "the client's message 15 carries message 13 as received, not its decryption"},
    {"pki-last-piece-dropped", "FAIL LEG-PKI-FMT-6", "while (fread(buf, 1, 100, f) == 100): the short last piece is never sent"},
    {"pki-feof-loop", "FAIL LEG-PKI-FMT-6", "while (!feof(f)): an empty RSFL after a file of a multiple of 100 bytes (or empty)"},
    {"pki-check-issued-not-signature", "FAIL LEG-PKI-FMT-4", "X509_check_issued (names) instead of X509_verify (signature)"},
    {"pki-rscv-pem-nul", "FAIL LEG-PKI-FMT-4", "RSCV carries the PEM string with its terminating NUL"},
    {"pki-piece-sizeof-buf", "FAIL LEG-PKI-FMT-6", "pieces of sizeof buf (128 bytes), not 100"},
    {"pki-get-name-nul", "FAIL LEG-PKI-FMT-5", "the requester encrypts strlen(name) + 1 bytes (the NUL)"},
    {"ca-issuer-is-subject", "FAIL LEG-CA-FMT-2", "X509_set_issuer_name(x, name): the issuer is the new subject"},
    {"ca-pkcs1-public-key", "FAIL LEG-CA-FMT-1", "CA and enrolment: public_key as PEM RSA PUBLIC KEY (PKCS#1)"},
    {"ca-body-one-recv", "FAIL LEG-CA-FMT-2", "the body is what came with the headers: Content-Length not waited for"},
    /* session 11, L9 (blind) */
    {"eke-p-cached", "FAIL LEG-EKE-FMT-4", "a static BIGNUM: the first session's p is reused by every later one"},
    {"eke-client-strstr-auth", "FAIL LEG-EKE-FMT-1", "the client tests message 4 with strstr(m, \"Authenticated\")"},
    {"ca-password-strcasecmp", "FAIL LEG-CA-FMT-3", "the CA compares passwords with strcasecmp"},
    {"pki-sece-any-cert", "FAIL LEG-PKI-FMT-4", "every PEM block of SECE is tried; trusted if one verifies, the first one's key is used"},
    {"pki-get-rqfl-own-key", "FAIL LEG-PKI-FMT-5", "the requester encrypts RQFL under its own certificate's key"},
    /* session 12, L11 (blind) */
    {"eke-r12b-length-strlen", "FAIL LEG-EKE-FMT-5", "message 19 is strlen(file): the length up to the first NUL byte"},
    {"eke-r12b-m11-len-of-m9", "FAIL LEG-EKE-FMT-3", "message 11 hidden over n, the length of message 9 still in the variable"},
    {"eke-r12b-name-charset", "FAIL LEG-EKE-FMT-3", "a user name with a byte outside [A-Za-z0-9._-] gets Wrong Username"},
    {"eke-r12b-client-delivered-sizeof", "FAIL LEG-EKE-FMT-1", "the client sends message 23 with sizeof \"File delivered\" (its NUL)"},
    {"pki-r12b-rsfl-len-piece", "FAIL LEG-PKI-FMT-6", "RSFL sent with the piece's length (got), not the ciphertext's"},
    {"pki-r12b-rscv-root", "FAIL LEG-PKI-FMT-4", "RSCV carries r->root, not r->cert"},
    {"pki-r12b-dotdot-component", "EVIDENCE LEG-PKI-5", "a name with a .. component is refused; absolute names still open anything"},
    {"pki-r12b-global-socket", "FAIL LEG-PKI-FMT-6", "frames written to the last accepted socket (the seed's global conn)"},
    {"pki-r12b-rsci-payload", "FAIL LEG-PKI-FMT-4", "RSCI carries \"certificate refused\" as its payload"},
    {"ca-r12b-body-nul", "FAIL LEG-CA-FMT-2", "the PEM answered with its C string's NUL (Content-Length counts it)"},
    {"ca-r12b-root-pubkey", "FAIL LEG-CA-FMT-2", "X509_set_pubkey(x, the root's key): the posted key is not certified"},
    {"ca-r12b-serial-one", "FAIL LEG-CA-FMT-2", "ASN1_INTEGER_set(serial, 1) as in OpenSSL's examples: every certificate serial 1"},
    /* session 13, L12 (blind; lens in brackets: 1 fail open, 2 absent means permissive,
     * 3 leaks on the unhappy path, 4 units and number forms, 5 part of the value compared,
     * 6 half-rolled-back state) */
    {"eke-r5-dec2bn-prefix", "FAIL LEG-EKE-FMT-3", "[4] numbers parsed with BN_dec2bn alone (its return taken as a truth value): \"12abc\" is 12"},
    {"eke-r5-authed-before-check", "FAIL LEG-EKE-FMT-3", "[6] the session is marked authenticated before the password is compared; after Not Authenticated the next message 1 is read as p"},
    {"eke-r5-client-tmp-left", "FAIL LEG-EKE-FMT-6", "[3] the client streams into OUT.tmp and renames it on success; die() on a refused transfer leaves OUT.tmp"},
    {"pki-r5-verify-truthy", "FAIL LEG-PKI-FMT-4", "[1] if (X509_verify(peer, root_key)): -1 (a signature the root's key cannot check) counts as verified"},
    {"pki-r5-slot-leak", "FAIL LEG-PKI-FMT-4", "[3] 8 session slots, released only after a file was streamed: after 8 failed sessions every connection is closed at once"},
    {"ca-r5-any-key-type", "FAIL LEG-CA-FMT-3", "[1] the posted key's type is not checked: an EC public_key is certified"},
    {"ca-r5-password-strncmp", "FAIL LEG-CA-FMT-3", "[2] strncmp(stored, posted, strlen(posted)): an empty password, or any prefix of the right one, enrols"},
    {"ca-r5-no-length-reads-to-eof", "FAIL LEG-CA-FMT-3", "[2] a POST without Content-Length has its body read to the close (HTTP/1.0 style) and served"},
    {"ca-r5-alias-lock-leak", "FAIL LEG-CA-FMT-2", "[3] an alias is marked in progress while it enrols, unmarked only after a certificate is sent: after one refused request it gets 409"},
    {"ca-r5-content-length-int", "FAIL LEG-CA-FMT-3", "[4] Content-Length read with atoi into an int: 4294967396 wraps to 100, and a body over 64 KiB is not 413"},
    {"ca-r5-alias-prefix", "FAIL LEG-CA-FMT-3", "[5] strncmp(line, alias, strlen(line)): an alias that starts with a known one enrols with its password"},
    /* session 14, L14 (blind; lens in brackets: 1 checks that never run, 2 per item not in
     * aggregate, 3 shared mutable state, 4 the checked form is not the used form, 5 effects
     * before authority, 6 trust carried over) */
    {"eke-r14-client-digest-if-have", "FAIL LEG-EKE-FMT-6", "[1] client: if (have && memcmp(...)): a close before message 24 skips the comparison, the file is kept, exit 0"},
    {"eke-r14-pw-check-first-login", "FAIL LEG-EKE-FMT-3", "[1] server: the password compared only until a static 'verified' flag is set by the first success: later logins are Authenticated whatever they send"},
    {"pki-r14-verify-if-issuer-matches", "FAIL LEG-PKI-FMT-4", "[1] responder: trusted = 1, and the signature checked only when X509_check_issued says the root issued it: a certificate naming another issuer is never checked"},
    {"ca-r14-body-limit-per-recv", "FAIL LEG-CA-FMT-3", "[2] CA: the 64 KiB limit applied to each recv() chunk of the body, never to Content-Length or the total: no 413"},
    {"eke-r14-read-budget-per-conn", "FAIL LEG-EKE-FMT-3", "[2] server: the seed's recv(1024) kept as one 1024-byte budget per connection for messages 1, 3, 5, 7, 9, never restored: after about ten logins the connection closes"},
    {"eke-r14-m18-cached", "FAIL LEG-EKE-FMT-4", "[3] server: message 18 computed once into a static buffer: later sessions get the first session's, whatever their message 15"},
    {"eke-r14-conn-static", "FAIL LEG-EKE-FMT-3", "[3] server: one static connection buffer for every connection, not emptied: bytes left by a closed connection are the next connection's first message"},
    {"ca-r14-subject-static", "FAIL LEG-CA-FMT-2", "[3] CA: a static X509_NAME for the subject, CN appended per request: the second certificate is CN=bob, CN=alice"},
    {"pki-r14-name-nul-cut", "FAIL LEG-PKI-FMT-7", "[4] responder: no NUL check on the decrypted name: 'report.bin\\0x' (which Python's open refuses) opens report.bin"},
    {"ca-r14-duplicate-name", "FAIL LEG-CA-FMT-3", "[4] CA: credentials with two name members: the password checked for the first, the certificate issued for the last (the parser keeps the last)"},
    {"eke-r14-client-out-opened-early", "FAIL LEG-EKE-FMT-6", "[5] client: OUT opened (truncated) before connecting to fail early; a refused transfer leaves it empty"},
    {"ca-r14-status-before-check", "FAIL LEG-CA-FMT-3", "[5] CA: '200 OK' and the headers sent once the request parses, before the password check: a refusal is a 200 with the 401 text"},
    {"pki-r14-rscv-before-verify", "FAIL LEG-PKI-FMT-4", "[5] responder: RSCV sent while the SECE signature is checked ('ours first'): a refused certificate gets RSCV, then RSCI and the close"},
    {"pki-r14-sece-twice", "FAIL LEG-PKI-FMT-4", "[6] responder: a SECE after RSCV taken as a certificate update, unverified: RSFL pieces sealed to the new certificate's key"},
    /* session 15, L17 (blind; lens in brackets: 1 one blocks all, 2 reflection and
     * cross-context acceptance, 3 the default branch, 4 compound conditions, 5 asymmetric
     * cost, 6 check-then-act under concurrency) */
    {"pki-r15-session-mutex", "FAIL LEG-PKI-FMT-4", "[1] responder: one global mutex taken once SECE is in and held to the end of the session ('X509 objects are shared'): a requester silent after RSCV stalls every other one"},
    {"pki-r15-sece-on-accept-thread", "FAIL LEG-PKI-FMT-4", "[1] responder: SECE read and checked on the accept loop before a thread is spent on the peer: a connection that sends nothing stalls every later one"},
    {"eke-r15-client-19-exact16", "FAIL LEG-EKE-FMT-2", "[1] client: message 19 read as read_exact(16) ('at most 16 digits'): waits for bytes the server never sends (it waits for LnACK) until its timeout"},
    {"eke-r15-client-ns-constant", "FAIL LEG-EKE-FMT-4", "[2] client: message 15's second half is the seed's constant Ns, not the decryption of message 13 ('Ns is fixed')"},
    {"eke-r15-m18-constant-na", "FAIL LEG-EKE-FMT-4", "[2] server: message 18 encrypts the seed's constant Na, not the first 16 bytes of the decryption of message 15"},
    {"pki-r15-first-frame-default", "FAIL LEG-PKI-FMT-4", "[3] responder: the first frame's type not checked (any known type is 'the certificate'): an RSCV or RQFL carrying a root-signed certificate is answered RSCV"},
    {"pki-r15-get-type-default", "FAIL LEG-PKI-FMT-6", "[3] requester: after RQFL every frame but RSCI is a piece: a SECE or RSCV frame carrying an OAEP piece is written into the file"},
    {"eke-r15-p-default", "FAIL LEG-EKE-FMT-3", "[3] server: a message 5 that does not parse as decimal digits is taken as the seed's p (pAck), not a close"},
    {"eke-r15-pw-extra-tail", "FAIL LEG-EKE-FMT-3", "[4] server: n < strlen(pw) || memcmp(m, pw, strlen(pw)): a message 3 that is the password plus extra bytes is Authenticated"},
    {"ca-r15-path-method-and", "FAIL LEG-CA-FMT-3", "[4] CA: if (path != /verify && method != POST) 404: a POST to another path is served as /verify"},
    {"ca-r15-password-any-line", "FAIL LEG-CA-FMT-3", "[4] CA: the alias clause lost when the line test became two flags: any account's password enrols any alias, an unknown one too"},
    {"ca-r15-413-after-body", "FAIL LEG-CA-FMT-3", "[5] CA: the body read in full (a buffer grown as it arrives) before the 64 KiB check: a client that declares a large body and sends part of it gets no 413"},
    {"ca-r15-serial-counter-race", "FAIL LEG-CA-FMT-2", "[6] CA: serial = a static counter read when the request parses, stored + 1 after signing, unlocked: concurrent enrolments get the same serial"},
    {"pki-r15-static-peer-key", "FAIL LEG-PKI-FMT-6", "[6] responder: the verified peer key kept in a static for the RSFL loop: with two sessions overlapping, one is sealed to the other's key"},
    /* round 17, LG17 (blind; lens in brackets: 1 boundaries and exact multiples, 2 fatal vs
       recoverable, 3 duplicates and repetition, 4 cryptographic API misuse, 5 content that
       looks like structure, 6 lifecycle ends) */
    {"ca-b17-limit-ge", "FAIL LEG-CA-FMT-3", "[1] CA: `clen >= 65536` is too large: a body of exactly 64 KiB answered 413"},
    {"eke-b17-client-loop-le", "FAIL LEG-EKE-FMT-1", "[1] client: the file loop runs `got <= flen`: one read more after the last byte, which never comes (the server waits for message 23)"},
    {"pki-b17-rsci-then-serve", "FAIL LEG-PKI-FMT-4", "[2] responder: after RSCI the session goes on to RQFL (the refusal a status, not an end): a refused certificate is served"},
    {"ca-b17-wrong-password-400", "FAIL LEG-CA-FMT-3", "[2] CA: a failed password check jumps to the malformed-request label: 400, not 401"},
    {"pki-b17-serve-next-rqfl", "FAIL LEG-PKI-FMT-6", "[3] responder: after the last piece, back to wait for another RQFL on the same connection: no close at the end of the file"},
    {"pki-b17-verify-root-itself", "FAIL LEG-PKI-FMT-4", "[4] responder: X509_verify on the root (the wrong certificate) with the root key: every SECE certificate trusted"},
    {"eke-b17-client-m15-chained-iv", "FAIL LEG-EKE-FMT-4", "[4] client: message 15 encrypted with the CBC chain of message 13 (IV = its last block), not the zero IV"},
    {"eke-b17-pw-strcmp-nul", "FAIL LEG-EKE-FMT-3", "[5] server: the password compared with strcmp after m[n] = 0: a password followed by NUL and anything is accepted"},
    {"ca-b17-json-unicode-literal", "FAIL LEG-CA-FMT-2", "[5] CA: \\u escapes in JSON strings kept literally: an alias or password written with them is another string"},
    {"eke-b17-conn-logins-3", "FAIL LEG-EKE-FMT-3", "[6] server: a connection closed after its third completed session (\"a client does not need more\")"},
    /* round 27, b27 (blind; lens in brackets: 1 thin MUSTs, 2 the assistant's draft, 3
       cross-references, 4 interop is not conformance, 5 two faults at once, 6 beyond the
       toy sizes) */
    {"eke-b27-iv-ascii-zeros", "FAIL LEG-EKE-FMT-4", "[3,4] server and client: the IV is 16 ASCII '0' (read like pw39's \"0\" padding), not 16 zero bytes"},
    {"ca-b27-cred-alias-member", "FAIL LEG-CA-FMT-2", "[4] CA and enrolment: CRED's member is \"alias\" (the CLI's word), not \"name\""},
    {"pki-b27-file-64k", "FAIL LEG-PKI-FMT-6", "[6] responder: the file read into one 64 KiB buffer, then cut in pieces: a larger file is cut at 65536 bytes"},
    {"pki-b27-refuse-ca-true", "EVIDENCE LEG-PKI-3", "[1] responder: a SECE certificate with CA:TRUE refused (X509_check_ca); dates, EKU and revocation still unchecked"},
    {"eke-b27-client-file-8k", "FAIL LEG-EKE-FMT-1", "[6] client: the file read with read_exact through the 8 KiB connection buffer: a file over 8 KiB is never received"},
    {"ca-b27-cred-buffer-128", "FAIL LEG-CA-FMT-2", "[6] CA: the decrypted credentials in a char[128]: a CRED over 127 bytes (long alias or password) is 400"},
    {"eke-b27-client-file-64k", "FAIL LEG-EKE-FMT-1", "[6] (post-blind) client: the file kept in a static 64 KiB array: a longer announced file is refused (\"file too long\")"},
    {"eke-b27-g-one-byte", "FAIL LEG-EKE-FMT-3", "[2] server: message 7 read as one byte (\"ASCII(g)\", g = 2 in the SPEC): a g of two digits leaves one for message 9"},
    {"ca-b27-pem-trimmed", "FAIL LEG-CA-FMT-2", "[3] CA: the answered PEM trimmed of its final newline (\"body PEM(certificate)\" read without 7's PEM(x))"},
    {NULL, NULL, NULL},
};

static char g_faults[1024];

static int fault(const char *name) {
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", g_faults);
    for (char *save = NULL, *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
        if (strcmp(tok, name) == 0) return 1;
    return 0;
}

static void load_faults(void) {
    const char *env = getenv("SFT_INDEPENDENT_FAULTS");
    snprintf(g_faults, sizeof g_faults, "%s", env ? env : "");
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", g_faults);
    for (char *save = NULL, *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        int known = 0;
        for (const struct fault_row *f = FAULTS; f->name; f++) known |= strcmp(f->name, tok) == 0;
        if (!known) {
            fprintf(stderr, "legc: unknown fault %s\n", tok);
            exit(2);
        }
    }
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "legc: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* ---------------------------------------------------------------- files */

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (n == cap) buf = realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0) break;
        n += got;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static char *read_password(const char *path) {
    size_t n;
    unsigned char *b = read_file(path, &n);
    if (!b) die("cannot read %s", path);
    if (!fault("eke-pw-fgets-newline"))
        while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r')) n--;
    char *s = malloc(n + 1);
    memcpy(s, b, n);
    s[n] = 0;
    free(b);
    return s;
}

/* Write atomically: OUT.tmp, fsync, rename. */
static int write_atomic(const char *path, const unsigned char *data, size_t len, mode_t mode) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- sockets */

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) die("bind: %s", strerror(errno));
    if (listen(fd, 16) != 0) die("listen: %s", strerror(errno));
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
    int fd = -1;
    for (struct addrinfo *r = res; r; r = r->ai_next) {
        fd = socket(r->ai_family, r->ai_socktype, r->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, r->ai_addr, r->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void set_timeout(int fd, int seconds) {
    struct timeval tv = {seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int send_all(int fd, const void *data, size_t len) {
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int send_str(int fd, const char *s) { return send_all(fd, s, strlen(s)); }

/* A buffered connection: fixed-length and literal messages are buffered until complete;
 * read-boundary messages take the rest of the buffer, or one recv(). */
typedef struct {
    int fd;
    unsigned char buf[8192];
    size_t len;
    int authed; /* eke-r5-authed-before-check */
    size_t budget; /* eke-r14-read-budget-per-conn */
    int budget_set;
} conn_t;

static ssize_t conn_fill(conn_t *c) {
    if (c->len == sizeof c->buf) return -1;
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n > 0) c->len += (size_t)n;
        return n;
    }
}

static void conn_take(conn_t *c, unsigned char *out, size_t n) {
    if (out) memcpy(out, c->buf, n);
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static int read_exact(conn_t *c, unsigned char *out, size_t n) {
    while (c->len < n)
        if (conn_fill(c) <= 0) return -1;
    conn_take(c, out, n);
    return 0;
}

/* "The rest of one read" (at most max bytes); returns the length, 0 at EOF. */
static ssize_t read_msg(conn_t *c, unsigned char *out, size_t max) {
    if (fault("eke-r14-read-budget-per-conn")) { /* "never more than recv(1024)" */
        if (!c->budget_set) {
            c->budget = 1024;
            c->budget_set = 1;
        }
        if (c->budget == 0) return 0;
        if (max > c->budget) max = c->budget;
    }
    if (c->len == 0) {
        for (;;) {
            ssize_t n = recv(c->fd, c->buf, max, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return 0;
            c->len = (size_t)n;
            break;
        }
    }
    size_t n = c->len < max ? c->len : max;
    conn_take(c, out, n);
    if (fault("eke-r14-read-budget-per-conn")) c->budget -= n;
    return (ssize_t)n;
}

static int read_literal(conn_t *c, const char *lit) {
    size_t n = strlen(lit);
    unsigned char tmp[64];
    if (read_exact(c, tmp, n) != 0) return -1;
    return memcmp(tmp, lit, n) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- crypto helpers */

static int aes_cbc(const unsigned char key[32], int keylen, const unsigned char *in, size_t len,
                   unsigned char *out, int enc) {
    unsigned char iv[16] = {0};
    if (fault("eke-b27-iv-ascii-zeros")) memset(iv, '0', sizeof iv); /* "16 zero bytes" */
    const EVP_CIPHER *cipher;
    cipher = keylen == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = EVP_CipherInit_ex(ctx, cipher, NULL, key, iv, enc) == 1;
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    int o1 = 0, o2 = 0;
    ok = ok && EVP_CipherUpdate(ctx, out, &o1, in, (int)len) == 1;
    ok = ok && EVP_CipherFinal_ex(ctx, out + o1, &o2) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok && (size_t)(o1 + o2) == len ? 0 : -1;
}

static void sha1_hex(const unsigned char *data, size_t len, char out[41]) {
    unsigned char d[SHA_DIGEST_LENGTH];
    SHA1(data, len, d);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
    out[40] = 0;
}

static int oaep(EVP_PKEY *key, const unsigned char *in, size_t inlen, unsigned char *out,
                size_t *outlen, int encrypt, int sha1) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    if (!ctx) return -1;
    int ok = (encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) == 1;
    ok = ok && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1;
    if (!sha1) {
        ok = ok && EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1;
        ok = ok && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1;
    }
    size_t cap = *outlen;
    ok = ok && (encrypt ? EVP_PKEY_encrypt(ctx, out, &cap, in, inlen)
                        : EVP_PKEY_decrypt(ctx, out, &cap, in, inlen)) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        ERR_clear_error();
        return -1;
    }
    *outlen = cap;
    return 0;
}

static int all_digits(const unsigned char *s, size_t n) {
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static BIGNUM *parse_dec(const unsigned char *s, size_t n) {
    if (fault("eke-r5-dec2bn-prefix") && n > 0 && n <= 4096) {
        char t[4100];
        memcpy(t, s, n);
        t[n] = 0;
        BIGNUM *b = NULL;
        if (!BN_dec2bn(&b, t)) { /* "returns 0 on error" */
            BN_free(b);
            return NULL;
        }
        return b;
    }
    if (!all_digits(s, n) || n > 4096) return NULL;
    char tmp[4100];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (fault("eke-p-atoi")) {
        BIGNUM *b = BN_new();
        BN_set_word(b, (BN_ULONG)strtoull(tmp, NULL, 10));
        return b;
    }
    BIGNUM *b = NULL;
    if (BN_dec2bn(&b, tmp) != (int)n) {
        BN_free(b);
        return NULL;
    }
    return b;
}

/* ---------------------------------------------------------------- sft-eke/0 */

static const char *P_DEC = "197221152031991558322935568090317202983";
static const char *NA = "11000110001100011000000000000000";
static const char *NS = "11100111011100111000000000000000";

/* pw39: the password padded on the right with "0" to 39 bytes (never cut). */
static size_t pad39(const char *pw, unsigned char *out) {
    size_t n = strlen(pw);
    memcpy(out, pw, n);
    while (n < 39) out[n++] = fault("eke-pad-nul") ? 0 : '0';
    return n;
}

/* xor over the first min(len(a), len(b)) bytes */
static size_t xor_msg(const unsigned char *a, size_t an, const unsigned char *b, size_t bn,
                      unsigned char *out) {
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) out[i] = a[i] ^ b[i];
    if (fault("eke-hide-strlen")) {
        size_t k = 0;
        while (k < n && out[k]) k++;
        n = k;
    }
    return n;
}

/* K = ASCII(v)[0:32] (keylen 32); -1 when fewer digits */
static int derive_key(const BIGNUM *v, unsigned char key[32], int *keylen) {
    *keylen = fault("eke-key-16") ? 16 : 32;
    if (fault("eke-key-bn2bin")) {
        unsigned char bin[64] = {0};
        int n = BN_num_bytes(v);
        if (n > 32) return -1;
        BN_bn2binpad(v, bin, 32);
        memcpy(key, bin, 32);
        return 0;
    }
    char *dec = fault("eke-key-bn2hex") ? BN_bn2hex(v) : BN_bn2dec(v);
    int ok = (int)strlen(dec) >= 32;
    if (ok) memcpy(key, dec, 32);
    OPENSSL_free(dec);
    return ok ? 0 : -1;
}

static int ack(int fd, const char *s) {
    if (fault("eke-ack-nul")) return send_all(fd, s, strlen(s) + 1);
    if (fault("eke-ack-sizeof-ptr")) {
        unsigned char tmp[sizeof s + 1];
        memset(tmp, 0, sizeof tmp);
        memcpy(tmp, s, strlen(s) < sizeof s ? strlen(s) : sizeof s);
        return send_all(fd, tmp, sizeof s);
    }
    return send_str(fd, s);
}

static int g_b17_served; /* eke-b17-conn-logins-3: completed sessions */

/* One session on a connection; returns 1 to wait for message 1 again, 0 to close. */
static int eke_session(conn_t *c, const char *user, const char *password, const char *served,
                       int logged_in) {
    unsigned char m[1100];
    ssize_t n;
    if (logged_in) goto state_p; /* the state machine's reset state */
    if (fault("eke-r5-authed-before-check") && c->authed) goto state_p;
    n = read_msg(c, m, 1024); /* 1: user name */
    if (n <= 0) return 0;
    (void)user; /* never checked: the seed's always-true test */
    if (fault("eke-r12b-name-charset")) {
        for (ssize_t i = 0; i < n; i++)
            if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", m[i]) || !m[i])
                return ack(c->fd, "Wrong Username") == 0;
    }
    if (ack(c->fd, "u_ack") != 0) return 0;
    n = read_msg(c, m, 1024); /* 3: password */
    if (n <= 0) return 0;
    if (fault("eke-r5-authed-before-check")) c->authed = 1; /* the state moves on, then the check */
    int wrong = fault("eke-pw-strncmp-received")
                    ? strncmp((char *)m, password, (size_t)n) != 0
                    : (size_t)n != strlen(password) || memcmp(m, password, (size_t)n) != 0;
    if (fault("eke-b17-pw-strcmp-nul")) { /* "the password is a string" */
        m[n] = 0;
        wrong = strcmp((char *)m, password) != 0;
    }
    if (fault("eke-r15-pw-extra-tail")) /* "too short, or not the password" */
        wrong = (size_t)n < strlen(password) || memcmp(m, password, strlen(password)) != 0;
    static int verified; /* eke-r14-pw-check-first-login: "checked once, good for the process" */
    if (fault("eke-r14-pw-check-first-login") && verified) wrong = 0;
    if (wrong) {
        if (ack(c->fd, "Not Authenticated") != 0) return 0;
        return fault("eke-hangup-on-wrong-password") ? 0 : 1;
    }
    if (ack(c->fd, "Authenticated") != 0) return 0;
    verified = 1;
state_p:
    n = read_msg(c, m, 1024); /* 5: p */
    if (n <= 0) return 0;
    BIGNUM *p = parse_dec(m, (size_t)n);
    if (!p && fault("eke-r15-p-default")) BN_dec2bn(&p, P_DEC); /* "the usual p" */
    if (!p) return 0;
    if (fault("eke-p-cached")) { /* "p never changes": parsed once */
        static BIGNUM *cached_p;
        if (cached_p) BN_copy(p, cached_p); else cached_p = BN_dup(p);
    }
    if (ack(c->fd, "pAck") != 0) goto fail_p;
    n = fault("eke-b27-g-one-byte") ? (read_exact(c, m, 1) == 0 ? 1 : 0) /* "g is a digit" */
                                     : read_msg(c, m, 1024); /* 7: g */
    BIGNUM *g = n > 0 ? parse_dec(m, (size_t)n) : NULL;
    if (!g) goto fail_p;
    if (ack(c->fd, "gAck") != 0) goto fail_g;
    n = read_msg(c, m, 1024); /* 9: hide(g^Xa) */
    if (n <= 0) goto fail_g;
    if (ack(c->fd, "xorAck") != 0) goto fail_g;
    unsigned char pw39[1100], plain[1100];
    size_t pwn = pad39(password, pw39);
    size_t an = xor_msg(m, (size_t)n, pw39, pwn, plain);
    BIGNUM *A = parse_dec(plain, an);
    if (!A || BN_cmp(p, BN_value_one()) <= 0) goto fail_g;
    BN_CTX *bctx = BN_CTX_new();
    BIGNUM *xs = BN_new(), *B = BN_new(), *Kas = BN_new();
    BN_set_word(xs, 5516);
    if (fault("eke-fixed-group")) { /* "p and g are always the seed's" */
        BN_dec2bn(&p, P_DEC);
        BN_set_word(g, 2);
    }
    unsigned char key[32];
    int keylen;
    int ok = BN_mod_exp(B, g, xs, p, bctx) == 1 && BN_mod_exp(Kas, A, xs, p, bctx) == 1 &&
             derive_key(Kas, key, &keylen) == 0;
    char *bdec = ok ? BN_bn2dec(B) : NULL;
    BN_free(xs);
    BN_free(B);
    BN_free(Kas);
    BN_free(A);
    BN_CTX_free(bctx);
    BN_free(g);
    BN_free(p);
    if (!ok) return 0;
    unsigned char hid[1100];
    size_t blen = strlen(bdec);
    if (fault("eke-r12b-m11-len-of-m9")) blen = (size_t)n < blen + 1 ? (size_t)n : blen + 1; /* n: message 9 */
    size_t hn = xor_msg((unsigned char *)bdec, blen, pw39, pwn, hid);
    OPENSSL_free(bdec);
    if (send_all(c->fd, hid, hn) != 0) return 0; /* 11 */
    if (read_literal(c, "xorServerAck") != 0) return 0;
    unsigned char e13[32], m15[64], d15[64], e18[16];
    if (aes_cbc(key, keylen, (const unsigned char *)NS, 32, e13, 1) != 0) return 0;
    if (send_all(c->fd, e13, 32) != 0) return 0; /* 13 */
    if (read_literal(c, "aesAck") != 0) return 0;
    if (read_exact(c, m15, 64) != 0) return 0; /* 15 */
    if (ack(c->fd, "clientAesAck") != 0) return 0;
    if (aes_cbc(key, keylen, m15, 64, d15, 0) != 0) return 0;
    if (read_literal(c, "send_aes_nonceNa") != 0) return 0;
    static unsigned char e18_cached[16]; /* eke-r14-m18-cached: "Na never changes" */
    static int have18;
    if (fault("eke-r14-m18-cached") && have18) {
        memcpy(e18, e18_cached, 16);
    } else {
        const unsigned char *na16 = fault("eke-m18-from-ns") ? d15 + 32 : d15;
        if (fault("eke-r15-m18-constant-na")) na16 = (const unsigned char *)NA; /* "Na is fixed" */
        if (aes_cbc(key, keylen, na16, 16, e18, 1) != 0) return 0;
        memcpy(e18_cached, e18, 16);
        have18 = 1;
    }
    if (send_all(c->fd, e18, 16) != 0) return 0; /* 18 */
    size_t flen = 0;
    unsigned char *file = read_file(served, &flen);
    if (!file) return 0;
    char lenbuf[32];
    int ok19;
    if (fault("eke-length-htonl")) {
        uint32_t be = htonl((uint32_t)flen);
        ok19 = send_all(c->fd, &be, 4);
    } else {
        size_t announced = fault("eke-r12b-length-strlen") ? strnlen((char *)file, flen) : flen;
        snprintf(lenbuf, sizeof lenbuf, fault("eke-length-padded") ? "%016zu" : "%zu", announced);
        ok19 = send_str(c->fd, lenbuf);
    }
    if (ok19 != 0 || read_literal(c, "LnACK") != 0) goto fail_file;
    if (ack(c->fd, "ok") != 0) goto fail_file; /* 21 */
    for (size_t off = 0; off < flen; off += 1024) { /* 22 */
        size_t chunk = flen - off < 1024 ? flen - off : 1024;
        if (fault("eke-short-last-send") && chunk < 1024) {
            unsigned char full[1024] = {0};
            memcpy(full, file + off, chunk);
            if (send_all(c->fd, full, 1024) != 0) goto fail_file;
        } else if (send_all(c->fd, file + off, chunk) != 0) {
            goto fail_file;
        }
    }
    if (read_literal(c, "File delivered") != 0) goto fail_file;
    char hex[41];
    sha1_hex(file, fault("eke-sha1-of-first-read") && flen > 1024 ? 1024 : flen, hex);
    if (fault("eke-digest-binary")) {
        unsigned char raw[SHA_DIGEST_LENGTH];
        SHA1(file, flen, raw);
        free(file);
        if (send_all(c->fd, raw, sizeof raw) != 0) return 0; /* 24 */
        return fault("eke-close-after-file") ? 0 : 1;
    }
    free(file);
    if (send_str(c->fd, hex) != 0) return 0; /* 24 */
    g_b17_served++; /* eke-b17-conn-logins-3 */
    c->authed = 0; /* back to the login state */
    return fault("eke-close-after-file") ? 0 : 1;
fail_file:
    free(file);
    return 0;
fail_g:
    BN_free(g);
fail_p:
    BN_free(p);
    return 0;
}

static const char *opt(int argc, char **argv, const char *name) {
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    die("missing %s", name);
    return NULL;
}

static void eke_conn(int fd, const char *user, const char *password, const char *served) {
    set_timeout(fd, 30);
    static conn_t shared; /* eke-r14-conn-static: "one client at a time: one buffer" */
    conn_t *c = fault("eke-r14-conn-static") ? &shared : calloc(1, sizeof *c);
    c->fd = fd;
    int done = 0, first = g_b17_served;
    while (eke_session(c, user, password, served, done && fault("eke-second-session-skips-login"))) {
        done = 1;
        if (fault("eke-b17-conn-logins-3") && g_b17_served - first >= 3) break;
    }
    if (c != &shared) free(c);
    close(fd);
}

static int eke_serve(int argc, char **argv) {
    const char *user = opt(argc, argv, "-user");
    char *password = read_password(opt(argc, argv, "-password-file"));
    const char *served = opt(argc, argv, "-file");
    int lfd = listen_on(atoi(opt(argc, argv, "-port")));
    if (fault("eke-fork-per-conn")) signal(SIGCHLD, SIG_IGN);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        if (fault("eke-fork-per-conn")) {
            pid_t pid = fork();
            if (pid == 0) {
                close(lfd);
                eke_conn(fd, user, password, served);
                _exit(0);
            }
            close(fd);
            continue;
        }
        eke_conn(fd, user, password, served);
    }
    return 0;
}

static int csend(int fd, const void *data, size_t len) {
    if (fault("eke-client-newline")) {
        unsigned char tmp[2048];
        memcpy(tmp, data, len);
        tmp[len] = '\n';
        return send_all(fd, tmp, len + 1);
    }
    return send_all(fd, data, len);
}

static int eke_get(int argc, char **argv) {
    if (argc != 7) die("usage: legc eke-get HOST PORT USER PASSWORD_FILE OUT");
    const char *user = argv[4], *out = argv[6];
    char *password = read_password(argv[5]);
    if (fault("eke-r14-client-out-opened-early")) { /* fail early when OUT is not writable */
        FILE *claim = fopen(out, "wb");
        if (!claim) die("cannot write %s", out);
        fclose(claim);
    }
    int fd = connect_to(argv[2], argv[3]);
    if (fd < 0) die("cannot connect");
    set_timeout(fd, 30);
    conn_t *c = calloc(1, sizeof *c);
    c->fd = fd;
    unsigned char m[1100];
    if (csend(fd, user, strlen(user)) != 0 || read_literal(c, "u_ack") != 0) die("no u_ack");
    if (csend(fd, password, strlen(password)) != 0) die("send");
    /* 4: "Authenticated" or "Not Authenticated" */
    if (fault("eke-client-strstr-auth")) {
        ssize_t an = read_msg(c, m, 1024);
        if (an <= 0) die("no answer to the password");
        m[an] = 0;
        if (!strstr((char *)m, "Authenticated")) die("not authenticated");
    } else {
        while (c->len < 13 && conn_fill(c) > 0) {
        }
        if (c->len < 13 || memcmp(c->buf, "Authenticated", 13) != 0) die("not authenticated");
        conn_take(c, NULL, 13);
    }
    if (csend(fd, P_DEC, strlen(P_DEC)) != 0 || read_literal(c, "pAck") != 0) die("no pAck");
    unsigned char gbin = 2;
    if (csend(fd, fault("eke-client-g-binary") ? (const char *)&gbin : "2", 1) != 0 ||
        read_literal(c, "gAck") != 0)
        die("no gAck");
    BN_CTX *bctx = BN_CTX_new();
    BIGNUM *p = NULL, *g = BN_new(), *xa = BN_new(), *A = BN_new(), *Kas = BN_new();
    BN_dec2bn(&p, P_DEC);
    BN_set_word(g, 2);
    BN_set_word(xa, 4597);
    BN_mod_exp(A, g, xa, p, bctx);
    char *adec = BN_bn2dec(A);
    unsigned char pw39[1100], hid[1100];
    size_t pwn = pad39(password, pw39);
    size_t hn = xor_msg((unsigned char *)adec, strlen(adec), pw39, pwn, hid);
    if (csend(fd, hid, hn) != 0 || read_literal(c, "xorAck") != 0) die("no xorAck");
    ssize_t n = read_msg(c, m, 1024); /* 11 */
    if (n <= 0) die("no message 11");
    unsigned char plain[1100];
    size_t bn = xor_msg(m, (size_t)n, pw39, pwn, plain);
    BIGNUM *B = parse_dec(plain, bn);
    if (!B) die("message 11 is not a number");
    BN_mod_exp(Kas, B, xa, p, bctx);
    unsigned char key[32];
    int keylen;
    if (derive_key(Kas, key, &keylen) != 0) die("short key");
    if (csend(fd, "xorServerAck", 12) != 0) die("send");
    unsigned char e13[32], d13[32], both[64], e15[64], e18[16];
    if (read_exact(c, e13, 32) != 0) die("no message 13");
    aes_cbc(key, keylen, e13, 32, d13, 0);
    memcpy(both, NA, 32);
    memcpy(both + 32, fault("eke-client-15-raw-13") ? e13 : d13, 32);
    if (fault("eke-r15-client-ns-constant")) memcpy(both + 32, NS, 32); /* "Ns is fixed" */
    aes_cbc(key, keylen, both, 64, e15, 1);
    if (fault("eke-b17-client-m15-chained-iv")) { /* one cipher context for the session */
        EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
        int o1 = 0, o2 = 0;
        EVP_CipherInit_ex(cc, keylen == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc(), NULL, key, e13 + 16, 1);
        EVP_CIPHER_CTX_set_padding(cc, 0);
        EVP_CipherUpdate(cc, e15, &o1, both, 64);
        EVP_CipherFinal_ex(cc, e15 + o1, &o2);
        EVP_CIPHER_CTX_free(cc);
    }
    if (csend(fd, "aesAck", 6) != 0 || csend(fd, e15, 64) != 0) die("send");
    if (read_literal(c, "clientAesAck") != 0) die("no clientAesAck");
    if (csend(fd, "send_aes_nonceNa", 16) != 0) die("send");
    if (read_exact(c, e18, 16) != 0) die("no message 18"); /* not checked: the seed */
    if (fault("eke-r15-client-19-exact16")) /* "at most 16 digits" */
        n = read_exact(c, m, 16) == 0 ? 16 : 0;
    else
        n = read_msg(c, m, 16); /* 19 */
    if (n <= 0 || !all_digits(m, (size_t)n)) die("bad file length");
    m[n] = 0;
    size_t flen = (size_t)strtoull((char *)m, NULL, 10);
    if (flen > (1u << 30)) die("file too long");
    if (fault("eke-b27-client-file-64k") && flen > 65536) die("file too long"); /* static buf[65536] */
    if (csend(fd, "LnACK", 5) != 0 || read_literal(c, "ok") != 0) die("no ok");
    unsigned char *file = malloc(flen + 1);
    size_t got = 0;
    int partial = 0;
    char tmpname[4096];
    FILE *tmpf = NULL;
    if (fault("eke-r5-client-tmp-left")) { /* stream to OUT.tmp, rename when the digest matches */
        snprintf(tmpname, sizeof tmpname, "%s.tmp", out);
        tmpf = fopen(tmpname, "wb");
        if (!tmpf) die("cannot write %s", tmpname);
    }
    if (fault("eke-b27-client-file-8k") && flen > 0) { /* "the file is a fixed-length message" */
        if (read_exact(c, file, flen) != 0) partial = 1; else got = flen;
    }
    while (!fault("eke-b27-client-file-8k") && (fault("eke-b17-client-loop-le") ? got <= flen : got < flen)) {
        if (c->len == 0 && conn_fill(c) <= 0) {
            partial = 1;
            break;
        }
        size_t take = c->len < flen - got ? c->len : flen - got;
        if (take == 0) break; /* eke-b17-client-loop-le: something came after the file */
        conn_take(c, file + got, take);
        if (tmpf) fwrite(file + got, 1, take, tmpf);
        got += take;
    }
    if (partial) {
        if (fault("eke-client-keeps-partial")) {
            FILE *f = fopen(out, "wb");
            if (f) {
                fwrite(file, 1, got, f);
                fclose(f);
            }
            return 0;
        }
        die("connection closed after %zu of %zu bytes", got, flen);
    }
    if (csend(fd, "File delivered", fault("eke-r12b-client-delivered-sizeof") ? sizeof "File delivered" : 14) != 0)
        die("send");
    char mine[41];
    sha1_hex(file, flen, mine);
    unsigned char theirs[41];
    int have = read_exact(c, theirs, 40) == 0;
    if (fault("eke-r14-client-digest-if-have")) { /* "compare what came" */
        if (have && memcmp(theirs, mine, 40) != 0) die("digest mismatch: the file is not kept");
    } else if (!fault("eke-client-no-digest-check")) {
        if (!have) die("no digest");
        size_t cmp = fault("eke-client-digest-20") ? SHA_DIGEST_LENGTH : 40;
        if (memcmp(theirs, mine, cmp) != 0) die("digest mismatch: the file is not kept");
    }
    if (tmpf) {
        if (fclose(tmpf) != 0 || rename(tmpname, out) != 0) die("cannot write %s", out);
        close(fd);
        return 0;
    }
    if (write_atomic(out, file, flen, 0644) != 0) die("cannot write %s", out);
    close(fd);
    return 0;
}

/* ---------------------------------------------------------------- sft-pki/0 frames */

#define MAX_FRAME 65536

static int send_frame(int fd, const char type[4], const unsigned char *payload, size_t len) {
    unsigned char *buf = malloc(8 + len);
    memcpy(buf, type, 4);
    uint32_t l = fault("pki-length-host-order") ? (uint32_t)len : htonl((uint32_t)len);
    memcpy(buf + 4, &l, 4);
    if (len) memcpy(buf + 8, payload, len);
    int r = send_all(fd, buf, 8 + len);
    free(buf);
    return r;
}

static int recv_exact_fd(int fd, unsigned char *out, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, out + got, n - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return got == 0 ? 1 : -1; /* 1: clean EOF before anything */
        got += (size_t)r;
        if (fault("pki-single-read")) return got == n ? 0 : -1;
    }
    return 0;
}

/* 0 ok, 1 clean EOF at a frame boundary, -1 error. *payload is malloc'ed. */
static int recv_frame(int fd, char type[5], unsigned char **payload, size_t *len) {
    unsigned char hdr[8];
    if (fault("pki-single-read")) {
        unsigned char buf[8 + MAX_FRAME];
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r == 0) return 1;
        if (r < 8) return -1;
        uint32_t l;
        memcpy(&l, buf + 4, 4);
        l = ntohl(l);
        if (l > MAX_FRAME || (size_t)r < 8 + l) return -1;
        memcpy(type, buf, 4);
        type[4] = 0;
        *payload = malloc(l + 1);
        memcpy(*payload, buf + 8, l);
        *len = l;
        return 0;
    }
    int r = recv_exact_fd(fd, hdr, 8);
    if (r != 0) return r;
    memcpy(type, hdr, 4);
    type[4] = 0;
    uint32_t l;
    memcpy(&l, hdr + 4, 4);
    if (!fault("pki-length-host-order")) l = ntohl(l);
    static const char *types[] = {"SECE", "RSCV", "RSCI", "RQFL", "RSFL"};
    int known = 0;
    for (int i = 0; i < 5; i++) known |= memcmp(type, types[i], 4) == 0;
    if (!known || l > MAX_FRAME) return -1;
    *payload = malloc(l + 1);
    if (l && recv_exact_fd(fd, *payload, l) != 0) {
        free(*payload);
        *payload = NULL; /* the caller frees what it holds: no double free */
        return -1;
    }
    *len = l;
    return 0;
}

static X509 *pem_cert(const unsigned char *data, size_t len) {
    BIO *b = BIO_new_mem_buf(data, (int)len);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    ERR_clear_error();
    return x;
}

static X509 *load_cert(const char *path) {
    size_t n;
    unsigned char *d = read_file(path, &n);
    if (!d) die("cannot read %s", path);
    X509 *x = pem_cert(d, n);
    free(d);
    if (!x) die("%s is not a PEM certificate", path);
    return x;
}

static EVP_PKEY *load_key(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) die("cannot read %s", path);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!k) die("%s is not a PEM private key", path);
    return k;
}

static unsigned char *cert_bytes(X509 *x, int der, size_t *len) {
    if (der) {
        unsigned char *out = NULL;
        int n = i2d_X509(x, &out);
        *len = (size_t)n;
        return out;
    }
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    unsigned char *out = malloc((size_t)n);
    memcpy(out, p, (size_t)n);
    BIO_free(b);
    *len = (size_t)n;
    return out;
}

struct responder {
    EVP_PKEY *key;
    X509 *cert, *root;
    const char *share;
};

struct pki_job {
    struct responder *r;
    int fd;
    int pre_rc; /* pki-r15-sece-on-accept-thread: the first frame, read on the accept loop */
    int have_pre;
    char pre_type[5];
    unsigned char *pre_pl;
    size_t pre_len;
};

static pthread_mutex_t g_session_lock = PTHREAD_MUTEX_INITIALIZER; /* pki-r15-session-mutex */
static EVP_PKEY *g_peer_key; /* pki-r15-static-peer-key */

static volatile int g_last_fd = -1; /* the last accepted connection */
static int g_active;                 /* pki-r5-slot-leak: sessions holding a slot */
static pthread_mutex_t g_active_lock = PTHREAD_MUTEX_INITIALIZER;

static int name_allowed(const char *share, const char *path) {
    char rs[PATH_MAX], rp[PATH_MAX];
    if (!realpath(share, rs) || !realpath(path, rp)) return 0;
    size_t n = strlen(rs);
    return strncmp(rs, rp, n) == 0 && rp[n] == '/';
}

static void *pki_conn(void *arg) {
    struct pki_job *job = arg;
    struct responder *r = job->r;
    int fd = job->fd;
    int have_pre = job->have_pre, pre_rc = job->pre_rc;
    char type[5];
    unsigned char *pl = NULL;
    size_t len = 0;
    if (have_pre) {
        memcpy(type, job->pre_type, 5);
        pl = job->pre_pl;
        len = job->pre_len;
    }
    free(job);
    set_timeout(fd, 30);
    X509 *peer = NULL;
    EVP_PKEY *peer_key = NULL;
    FILE *f = NULL;
    int locked = 0;
    if ((have_pre ? pre_rc : recv_frame(fd, type, &pl, &len)) != 0) goto out;
    if (strcmp(type, "SECE") != 0 && !fault("pki-r15-first-frame-default")) goto out; /* default: the certificate */
    if (fault("pki-r15-session-mutex")) { /* "the responder's X509 and EVP objects are shared" */
        pthread_mutex_lock(&g_session_lock);
        locked = 1;
    }
    peer = pem_cert(pl, len);
    EVP_PKEY *root_key = X509_get0_pubkey(r->root);
    int early_rscv = 0;
    if (fault("pki-r14-rscv-before-verify") && peer) { /* "ours first, while we check theirs" */
        size_t ol;
        unsigned char *ob = cert_bytes(r->cert, 0, &ol);
        early_rscv = send_frame(fd, "RSCV", ob, ol) == 0;
        free(ob);
        if (!early_rscv) goto out;
    }
    int trusted = peer && (fault("pki-check-issued-not-signature")
                               ? X509_check_issued(r->root, peer) == X509_V_OK
                               : fault("pki-r5-verify-truthy") ? X509_verify(peer, root_key) != 0
                               : X509_verify(fault("pki-b17-verify-root-itself") ? r->root : peer, root_key) == 1);
    if (fault("pki-r14-verify-if-issuer-matches") && peer) {
        trusted = 1; /* only a certificate the root issued needs the root's signature */
        if (X509_check_issued(r->root, peer) == X509_V_OK) trusted = X509_verify(peer, root_key) == 1;
    }
    if (!trusted && peer && fault("pki-sece-any-cert")) { /* "SECE may carry a chain" */
        BIO *b = BIO_new_mem_buf(pl, (int)len);
        X509 *x;
        while (!trusted && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
            trusted = X509_verify(x, root_key) == 1;
            X509_free(x);
        }
        BIO_free(b);
    }
    if (trusted && fault("pki-b27-refuse-ca-true") && X509_check_ca(peer) != 0) trusted = 0; /* a peer is no CA */
    free(pl);
    pl = NULL;
    if (!trusted) {
        ERR_clear_error();
        if (fault("pki-r12b-rsci-payload"))
            send_frame(fd, "RSCI", (const unsigned char *)"certificate refused", 19);
        else
            send_frame(fd, "RSCI", NULL, 0);
        if (fault("pki-rsci-no-close")) {
            unsigned char sink[256];
            while (recv(fd, sink, sizeof sink, 0) > 0) {
            }
        }
        if (fault("pki-b17-rsci-then-serve") && peer) { /* "RSCI tells the peer; the session goes on" */
            peer_key = X509_get_pubkey(peer);
            goto rqfl;
        }
        goto out;
    }
    peer_key = X509_get_pubkey(peer);
    if (fault("pki-r15-static-peer-key")) { /* "the key of the peer being served" */
        EVP_PKEY_up_ref(peer_key);
        g_peer_key = peer_key; /* never freed: a planted fault */
    }
    if (early_rscv) goto rqfl;
    size_t cl;
    unsigned char *cb = cert_bytes(fault("pki-r12b-rscv-root") ? r->root : r->cert, fault("pki-rscv-der"), &cl);
    if (fault("pki-rscv-pem-nul") && !fault("pki-rscv-der")) {
        cb = realloc(cb, cl + 1);
        cb[cl++] = 0;
    }
    int sent = send_frame(fault("pki-r12b-global-socket") ? g_last_fd : fd, "RSCV", cb, cl);
    if (fault("pki-rscv-der")) OPENSSL_free(cb); else free(cb);
    if (sent != 0) goto out;
rqfl:
    if (recv_frame(fd, type, &pl, &len) != 0) goto out;
    while (fault("pki-r14-sece-twice") && strcmp(type, "SECE") == 0) { /* a certificate update */
        X509 *update = pem_cert(pl, len);
        free(pl);
        pl = NULL;
        if (update) {
            X509_free(peer);
            EVP_PKEY_free(peer_key);
            peer = update;
            peer_key = X509_get_pubkey(peer);
        }
        if (recv_frame(fd, type, &pl, &len) != 0) goto out;
    }
    if (strcmp(type, "RQFL") != 0) goto out;
    unsigned char name[512];
    size_t nl = sizeof name - 1;
    if (oaep(r->key, pl, len, name, &nl, 0, 0) != 0) goto out;
    name[nl] = 0;
    if (!fault("pki-r14-name-nul-cut") && memchr(name, 0, nl)) goto out; /* Python's open() refuses a NUL */
    if (fault("pki-name-buffer-64") && nl > 63) name[63] = 0;
    char path[PATH_MAX + 600];
    if (name[0] == '/')
        snprintf(path, sizeof path, "%s", (char *)name); /* os.path.join keeps an absolute name */
    else
        snprintf(path, sizeof path, "%s/%s", r->share, (char *)name);
    if (fault("pki-realpath-check") && !name_allowed(r->share, path)) goto out;
    if (fault("pki-r12b-dotdot-component")) {
        char copy[600];
        snprintf(copy, sizeof copy, "%s", (char *)name);
        for (char *save = NULL, *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save))
            if (strcmp(part, "..") == 0) goto out;
    }
    f = fopen(path, "rb");
    if (!f) goto out;
    if (fault("pki-b27-file-64k")) { /* "read the file, then cut it in pieces" */
        static __thread unsigned char whole[65536];
        size_t total = fread(whole, 1, sizeof whole, f);
        for (size_t off = 0; off < total; off += 100) {
            size_t use = total - off < 100 ? total - off : 100;
            unsigned char enc64[512];
            size_t el = sizeof enc64;
            if (oaep(peer_key, whole + off, use, enc64, &el, 1, 0) != 0) break;
            if (send_frame(fd, "RSFL", enc64, el) != 0) break;
        }
        goto out;
    }
    unsigned char buf[128], enc[512];
    size_t piece = fault("pki-piece-sizeof-buf") ? sizeof buf : 100;
    for (;;) {
        size_t got;
        if (fault("pki-feof-loop")) {
            if (feof(f)) break;
            got = fread(buf, 1, piece, f);
        } else {
            got = fread(buf, 1, piece, f);
            if (got == 0) break;
            if (fault("pki-last-piece-dropped") && got < piece) break;
        }
        size_t use = got;
        if (fault("pki-piece-strlen")) {
            use = 0;
            while (use < got && buf[use]) use++;
        }
        size_t el = sizeof enc;
        EVP_PKEY *seal = fault("pki-r15-static-peer-key") ? g_peer_key : peer_key;
        if (oaep(seal, buf, use, enc, &el, 1, fault("pki-rsfl-oaep-sha1")) != 0) break;
        if (send_frame(fault("pki-r12b-global-socket") ? g_last_fd : fd, "RSFL", enc,
                       fault("pki-r12b-rsfl-len-piece") ? use : el) != 0)
            break;
        if (got < piece && !fault("pki-feof-loop")) break;
    }
    if (fault("pki-b17-serve-next-rqfl")) { /* "the requester may want another file" */
        fclose(f);
        f = NULL;
        free(pl);
        pl = NULL;
        goto rqfl;
    }
    if (fault("pki-r5-slot-leak")) { /* the file is out: free the slot */
        pthread_mutex_lock(&g_active_lock);
        g_active--;
        pthread_mutex_unlock(&g_active_lock);
    }
out:
    if (locked) pthread_mutex_unlock(&g_session_lock);
    if (f) fclose(f);
    free(pl);
    X509_free(peer);
    EVP_PKEY_free(peer_key);
    close(fd);
    return NULL;
}

static int pki_serve(int argc, char **argv) {
    struct responder *r = calloc(1, sizeof *r);
    r->key = load_key(opt(argc, argv, "-key"));
    r->cert = load_cert(opt(argc, argv, "-cert"));
    r->root = load_cert(opt(argc, argv, "-root"));
    r->share = opt(argc, argv, "-share");
    int lfd = listen_on(atoi(opt(argc, argv, "-port")));
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        g_last_fd = fd;
        if (fault("pki-r5-slot-leak")) { /* "at most 8 sessions at a time" */
            pthread_mutex_lock(&g_active_lock);
            int full = g_active >= 8;
            if (!full) g_active++;
            pthread_mutex_unlock(&g_active_lock);
            if (full) {
                close(fd);
                continue;
            }
        }
        struct pki_job *job = calloc(1, sizeof *job);
        job->r = r;
        job->fd = fd;
        if (fault("pki-r15-sece-on-accept-thread")) { /* "no thread for a peer that sends no certificate" */
            set_timeout(fd, 30);
            job->have_pre = 1;
            job->pre_rc = recv_frame(fd, job->pre_type, &job->pre_pl, &job->pre_len);
        }
        pthread_t t;
        if (pthread_create(&t, NULL, pki_conn, job) != 0) {
            close(fd);
            free(job);
            continue;
        }
        pthread_detach(t);
    }
    return 0;
}

static int pki_get(int argc, char **argv) {
    if (argc != 8) die("usage: legc pki-get KEY CERT HOST PORT NAME OUT");
    EVP_PKEY *key = load_key(argv[2]);
    X509 *cert = load_cert(argv[3]);
    const char *name = argv[6], *out = argv[7];
    int fd = connect_to(argv[4], argv[5]);
    if (fd < 0) die("cannot connect");
    set_timeout(fd, 30);
    size_t cl;
    unsigned char *cb = cert_bytes(cert, fault("pki-sece-der"), &cl);
    if (send_frame(fd, "SECE", cb, cl) != 0) die("send");
    char type[5];
    unsigned char *pl;
    size_t len;
    if (recv_frame(fd, type, &pl, &len) != 0) die("no answer to SECE");
    if (strcmp(type, "RSCV") != 0) die("certificate refused (%s)", type);
    X509 *peer = pem_cert(pl, len);
    free(pl);
    if (!peer) die("RSCV is not a PEM certificate");
    EVP_PKEY *peer_key = X509_get_pubkey(fault("pki-get-rqfl-own-key") ? cert : peer); /* not verified: the seed */
    unsigned char enc[512];
    size_t el = sizeof enc;
    int sha1 = fault("pki-get-oaep-default");
    size_t name_len = strlen(name) + (fault("pki-get-name-nul") ? 1 : 0);
    if (oaep(peer_key, (const unsigned char *)name, name_len, enc, &el, 1, sha1) != 0)
        die("cannot encrypt the name");
    if (send_frame(fd, "RQFL", enc, el) != 0) die("send");
    size_t cap = 4096, total = 0;
    unsigned char *file = malloc(cap);
    for (;;) {
        int r = recv_frame(fd, type, &pl, &len);
        if (r == 1) break; /* the close is the end of the file */
        if (fault("pki-r15-get-type-default")) { /* "RSCI is the only other answer" */
            if (r != 0 || strcmp(type, "RSCI") == 0) die("bad frame");
        } else if (r != 0 || strcmp(type, "RSFL") != 0) {
            die("bad frame");
        }
        unsigned char piece[512];
        size_t pn = sizeof piece;
        if (oaep(key, pl, len, piece, &pn, 0, sha1) != 0) die("a piece does not decrypt");
        free(pl);
        if (fault("pki-get-piece-strlen")) pn = strnlen((char *)piece, pn);
        while (total + pn > cap) file = realloc(file, cap *= 2);
        memcpy(file + total, piece, pn);
        total += pn;
    }
    if (write_atomic(out, file, total, 0644) != 0) die("cannot write %s", out);
    return 0;
}

/* ---------------------------------------------------------------- JSON, base64 */

static const char *ws(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return s;
}

static void put_utf8(char **o, unsigned cp) {
    char *p = *o;
    if (cp < 0x80) {
        *p++ = (char)cp;
    } else if (cp < 0x800) {
        *p++ = (char)(0xC0 | (cp >> 6));
        *p++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *p++ = (char)(0xE0 | (cp >> 12));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *p++ = (char)(0xF0 | (cp >> 18));
        *p++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *p++ = (char)(0x80 | (cp & 0x3F));
    }
    *o = p;
}

static const char *json_string(const char *s, char **out) {
    if (*s != '"') return NULL;
    s++;
    char *buf = malloc(strlen(s) * 4 + 1), *o = buf;
    while (*s && *s != '"') {
        if ((unsigned char)*s < 0x20) goto bad;
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            if (fault("ca-b17-json-unicode-literal")) { /* "escapes are for quotes and controls" */
                *o++ = '\\';
                *o++ = 'u';
                break;
            }
            unsigned cp = 0;
            for (int i = 1; i <= 4; i++) {
                char ch = s[i];
                int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
                if (v < 0) goto bad;
                cp = cp * 16 + (unsigned)v;
            }
            s += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && s[1] == '\\' && s[2] == 'u') {
                unsigned lo = (unsigned)strtoul((char[5]){s[3], s[4], s[5], s[6], 0}, NULL, 16);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                }
            }
            put_utf8(&o, cp);
            break;
        }
        default: goto bad;
        }
        s++;
    }
    if (*s != '"') goto bad;
    *o = 0;
    *out = buf;
    return s + 1;
bad:
    free(buf);
    return NULL;
}

/* Skip any JSON value (for members we do not use). */
static const char *json_skip(const char *s, int depth) {
    s = ws(s);
    if (depth > 32) return NULL;
    if (*s == '"') {
        char *tmp;
        const char *e = json_string(s, &tmp);
        if (e) free(tmp);
        return e;
    }
    if (*s == '{' || *s == '[') {
        char close = *s == '{' ? '}' : ']';
        s = ws(s + 1);
        if (*s == close) return s + 1;
        for (;;) {
            if (close == '}') {
                char *k;
                s = json_string(ws(s), &k);
                if (!s) return NULL;
                free(k);
                s = ws(s);
                if (*s++ != ':') return NULL;
            }
            s = json_skip(s, depth + 1);
            if (!s) return NULL;
            s = ws(s);
            if (*s == ',') {
                s++;
                continue;
            }
            if (*s == close) return s + 1;
            return NULL;
        }
    }
    const char *start = s;
    while (*s && strchr("+-0123456789.eEtruefalsn", *s)) s++;
    return s > start ? s : NULL;
}

/* The string members `a` and `b` of a JSON object; 0 when both are strings. */
static int json_two(const char *text, const char *a, char **va, const char *b, char **vb) {
    *va = *vb = NULL;
    const char *s = ws(text);
    if (*s++ != '{') return -1;
    s = ws(s);
    if (*s == '}') {
        s++;
    } else {
        for (;;) {
            char *k;
            s = json_string(ws(s), &k);
            if (!s) return -1;
            s = ws(s);
            if (*s++ != ':') {
                free(k);
                return -1;
            }
            s = ws(s);
            char **slot = strcmp(k, a) == 0 ? va : strcmp(k, b) == 0 ? vb : NULL;
            free(k);
            if (slot && *s == '"') {
                free(*slot);
                s = json_string(s, slot);
            } else {
                if (slot) return -1;
                s = json_skip(s, 0);
            }
            if (!s) return -1;
            s = ws(s);
            if (*s == ',') {
                s++;
                continue;
            }
            if (*s == '}') {
                s++;
                break;
            }
            return -1;
        }
    }
    if (*ws(s)) return -1;
    return *va && *vb ? 0 : -1;
}

/* ca-r14-duplicate-name: the first string member `key` of a JSON object (a quick scan). */
static char *json_first(const char *text, const char *key) {
    const char *s = ws(text);
    if (*s++ != '{') return NULL;
    for (;;) {
        char *k, *v = NULL;
        s = json_string(ws(s), &k);
        if (!s) return NULL;
        s = ws(s);
        if (*s++ != ':') {
            free(k);
            return NULL;
        }
        s = ws(s);
        int want = strcmp(k, key) == 0;
        free(k);
        if (want && *s == '"') {
            json_string(s, &v);
            return v;
        }
        s = json_skip(s, 0);
        if (!s) return NULL;
        s = ws(s);
        if (*s++ != ',') return NULL;
    }
}

static char *json_escape(const char *s) {
    char *out = malloc(strlen(s) * 6 + 3), *o = out;
    *o++ = '"';
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            *o++ = '\\';
            *o++ = (char)ch;
        } else if (ch == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (ch < 0x20) {
            o += sprintf(o, "\\u%04x", ch);
        } else {
            *o++ = (char)ch;
        }
    }
    *o++ = '"';
    *o = 0;
    return out;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *d, size_t n) {
    char *out = malloc(n / 3 * 4 + 8), *o = out;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = B64[(v >> 6) & 63];
        *o++ = B64[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0);
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = 0;
    return out;
}

/* Strict standard base64 with padding; -1 on anything else. */
static int b64_decode(const char *s, unsigned char *out, size_t cap, size_t *outlen) {
    size_t n = strlen(s), o = 0;
    if (fault("ca-base64-no-padding")) {
        if (n % 4 == 0 && n && s[n - 1] == '=') return -1;
    } else if (n % 4 != 0) {
        return -1;
    }
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=') {
            if (fault("ca-base64-no-padding")) return -1;
            if (i < n - 2) return -1;
            for (size_t j = i; j < n; j++)
                if (s[j] != '=') return -1;
            break;
        }
        const char *p = strchr(B64, s[i]);
        if (!p || !s[i]) return -1;
        v = v << 6 | (unsigned)(p - B64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap) return -1;
            out[o++] = (unsigned char)(v >> bits);
            v &= (1u << bits) - 1;
        }
    }
    *outlen = o;
    return 0;
}

/* ---------------------------------------------------------------- CA */

struct ca {
    EVP_PKEY *key;
    X509 *root;
    const char *users;
    pthread_mutex_t lock;
    int failures;
};

struct ca_job {
    struct ca *ca;
    int fd;
};

static void http_answer(int fd, int status, const char *ctype, const char *body, size_t len) {
    const char *reason = status == 200 ? "OK" : status == 400 ? "Bad Request" : status == 401 ? "Unauthorized"
                       : status == 403 ? "Forbidden" : status == 404 ? "Not Found" : status == 409 ? "Conflict"
                       : status == 413 ? "Payload Too Large" : status == 429 ? "Too Many Requests"
                       : "Error";
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.0 %d %s\r\nServer: legc\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason, ctype, len);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, len);
}

static void http_text(int fd, int status, const char *body) {
    http_answer(fd, status, "text/plain", body, strlen(body));
}

static int check_password(const char *users, const char *alias, const char *password) {
    size_t n;
    unsigned char *d = read_file(users, &n);
    if (!d) return 0;
    char *text = malloc(n + 1);
    memcpy(text, d, n);
    text[n] = 0;
    free(d);
    int ok = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = 0;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = 0;
        int same_alias = fault("ca-r5-alias-prefix") ? strncmp(line, alias, strlen(line)) == 0
                                                     : strcmp(line, alias) == 0;
        if (fault("ca-r15-password-any-line")) { /* two flags; the alias one is never used */
            int same_password = strcmp(colon + 1, password) == 0;
            (void)same_alias;
            if (same_password) ok = 1;
            continue;
        }
        if (same_alias &&
            (fault("ca-password-strcasecmp")   ? strcasecmp(colon + 1, password)
             : fault("ca-r5-password-strncmp") ? strncmp(colon + 1, password, strlen(password))
                                               : strcmp(colon + 1, password)) == 0)
            ok = 1;
    }

    free(text);
    return ok;
}

static long g_next_serial = 1; /* ca-r15-serial-counter-race */

static X509 *issue(struct ca *ca, const char *alias, EVP_PKEY *pub, long counted) {
    X509 *x = X509_new();
    X509_set_version(x, 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7F;
    BIGNUM *sb = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(sb, X509_get_serialNumber(x));
    BN_free(sb);
    if (fault("ca-r15-serial-counter-race")) ASN1_INTEGER_set(X509_get_serialNumber(x), counted);
    if (fault("ca-r12b-serial-one")) ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_set_issuer_name(x, X509_get_subject_name(ca->root));
    static X509_NAME *subject; /* ca-r14-subject-static: "built once, reused" */
    static pthread_mutex_t subject_lock = PTHREAD_MUTEX_INITIALIZER;
    int shared_name = fault("ca-r14-subject-static");
    if (shared_name) pthread_mutex_lock(&subject_lock);
    X509_NAME *name = shared_name ? (subject ? subject : (subject = X509_NAME_new())) : X509_NAME_new();
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)alias, -1, -1, 0);
    X509_set_subject_name(x, name);
    if (fault("ca-issuer-is-subject")) X509_set_issuer_name(x, name);
    if (shared_name) pthread_mutex_unlock(&subject_lock);
    else X509_NAME_free(name);
    int days = fault("ca-extensions") ? 30 : 365;
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400);
    X509_set_pubkey(x, fault("ca-r12b-root-pubkey") ? X509_get0_pubkey(ca->root) : pub);
    if (fault("ca-extensions")) {
        X509V3_CTX v3;
        X509V3_set_ctx(&v3, ca->root, x, NULL, NULL, 0);
        const char *exts[][2] = {{"basicConstraints", "critical,CA:FALSE"},
                                 {"keyUsage", "critical,digitalSignature,keyEncipherment"},
                                 {"extendedKeyUsage", "clientAuth,serverAuth"}};
        for (int i = 0; i < 3; i++) {
            X509_EXTENSION *e = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
            X509_add_ext(x, e, -1);
            X509_EXTENSION_free(e);
        }
    }
    if (X509_sign(x, ca->key, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* ca-r5-alias-lock-leak: aliases with an enrolment in progress */
static char g_enrolling[64][256];
static pthread_mutex_t g_enrolling_lock = PTHREAD_MUTEX_INITIALIZER;

static int enrolling_mark(const char *alias) { /* 0: marked now, -1: already in progress */
    int free_slot = -1, r = 0;
    pthread_mutex_lock(&g_enrolling_lock);
    for (int i = 0; i < 64; i++) {
        if (g_enrolling[i][0] && strcmp(g_enrolling[i], alias) == 0) r = -1;
        if (!g_enrolling[i][0] && free_slot < 0) free_slot = i;
    }
    if (r == 0 && free_slot >= 0) snprintf(g_enrolling[free_slot], sizeof g_enrolling[0], "%s", alias);
    pthread_mutex_unlock(&g_enrolling_lock);
    return r;
}

static void enrolling_clear(const char *alias) {
    pthread_mutex_lock(&g_enrolling_lock);
    for (int i = 0; i < 64; i++)
        if (strcmp(g_enrolling[i], alias) == 0) g_enrolling[i][0] = 0;
    pthread_mutex_unlock(&g_enrolling_lock);
}

static void ca_verify(struct ca *ca, int fd, const char *body) {
    char *payload = NULL, *public_key = NULL, *name = NULL, *password = NULL;
    EVP_PKEY *pub = NULL;
    if (json_two(body, "payload", &payload, "public_key", &public_key) != 0) goto bad;
    unsigned char sealed[1024], cred[1024];
    size_t sl, crl = (fault("ca-b27-cred-buffer-128") ? 128 : sizeof cred) - 1; /* char cred[128] */
    if (b64_decode(payload, sealed, sizeof sealed, &sl) != 0) goto bad;
    if (oaep(ca->key, sealed, sl, cred, &crl, 0, fault("ca-oaep-sha1")) != 0) goto bad;
    cred[crl] = 0;
    if (memchr(cred, 0, crl) || json_two((char *)cred, fault("ca-b27-cred-alias-member") ? "alias" : "name", &name, "password", &password) != 0) goto bad;
    BIO *b = BIO_new_mem_buf(public_key, -1);
    if (fault("ca-pkcs1-public-key")) {
        unsigned char *der = NULL;
        long dl = 0;
        if (PEM_bytes_read_bio(&der, &dl, NULL, "RSA PUBLIC KEY", b, NULL, NULL) == 1) {
            const unsigned char *q = der;
            pub = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, dl);
        }
        OPENSSL_free(der);
    } else {
        pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
    }
    BIO_free(b);
    ERR_clear_error();
    if (!pub || (!fault("ca-r5-any-key-type") && EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA)) goto bad;
    long counted = g_next_serial; /* ca-r15-serial-counter-race: "the serial of this request" */
    int early = fault("ca-r14-status-before-check"); /* the request is good: answer while we look */
    if (early)
        send_str(fd, "HTTP/1.0 200 OK\r\nServer: legc\r\nContent-Type: text/plain\r\n"
                     "Connection: close\r\n\r\n");
    if (fault("ca-r5-alias-lock-leak") && enrolling_mark(name) != 0) {
        http_text(fd, 409, "an enrolment for this alias is in progress\n");
        goto done;
    }
    if (fault("ca-throttle")) {
        pthread_mutex_lock(&ca->lock);
        int throttled = ca->failures >= 3;
        pthread_mutex_unlock(&ca->lock);
        if (throttled) {
            http_text(fd, 429, "too many failed logins\n");
            goto done;
        }
    }
    char *checked = fault("ca-r14-duplicate-name") ? json_first((char *)cred, "name") : NULL;
    int good = check_password(ca->users, checked ? checked : name, password);
    free(checked);
    if (early) {
        if (!good) {
            send_str(fd, "invalid alias or password\n");
            goto done;
        }
    } else if (!good) {
        if (fault("ca-b17-wrong-password-400")) goto bad;
        pthread_mutex_lock(&ca->lock);
        ca->failures++;
        pthread_mutex_unlock(&ca->lock);
        http_text(fd, 401, "invalid alias or password\n");
        goto done;
    }
    X509 *x = issue(ca, name, pub, counted);
    if (!x) {
        http_text(fd, 500, "signing failed\n");
        goto done;
    }
    if (fault("ca-r15-serial-counter-race")) g_next_serial = counted + 1; /* the serial is used */
    size_t cl;
    unsigned char *pem = cert_bytes(x, 0, &cl);
    X509_free(x);
    if (fault("ca-json-answer")) {
        char *tmp = malloc(cl + 1);
        memcpy(tmp, pem, cl);
        tmp[cl] = 0;
        char *esc = json_escape(tmp);
        char *j = malloc(strlen(esc) + 32);
        sprintf(j, "{\"certificate\": %s}", esc);
        http_answer(fd, 200, "application/json", j, strlen(j));
        free(tmp);
        free(esc);
        free(j);
    } else if (early) {
        send_all(fd, pem, cl);
    } else {
        if (fault("ca-b27-pem-trimmed")) /* "the PEM text" */
            while (cl > 0 && (pem[cl - 1] == '\n' || pem[cl - 1] == '\r')) cl--;
        if (fault("ca-r12b-body-nul")) {
            pem = realloc(pem, cl + 1);
            pem[cl++] = 0;
        }
        http_answer(fd, 200, "text/plain", (char *)pem, cl);
    }
    if (fault("ca-r5-alias-lock-leak")) enrolling_clear(name); /* the certificate is out */
    free(pem);
    goto done;
bad:
    http_text(fd, 400, "malformed request\n");
done:
    EVP_PKEY_free(pub);
    free(payload);
    free(public_key);
    free(name);
    free(password);
}

static void *ca_conn(void *arg) {
    struct ca_job *job = arg;
    struct ca *ca = job->ca;
    int fd = job->fd;
    free(job);
    set_timeout(fd, 30);
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap + 1);
    char *end = NULL;
    while (!end) {
        if (len == cap) {
            http_text(fd, 400, "header too long\n");
            goto out;
        }
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n <= 0) goto out;
        len += (size_t)n;
        buf[len] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    *end = 0;
    char *body_start = end + 4;
    size_t have = len - (size_t)(body_start - buf);
    char method[16] = "", path[1024] = "";
    if (sscanf(buf, "%15s %1023s", method, path) != 2) {
        http_text(fd, 400, "bad request line\n");
        goto out;
    }
    long clen = -1;
    for (char *line = strstr(buf, "\r\n"); line; line = strstr(line + 2, "\r\n"))
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
            clen = fault("ca-r5-content-length-int") ? atoi(line + 17) : strtol(line + 17, NULL, 10);
    if (fault("ca-r15-path-method-and")) { /* the two tests merged into one */
        if (strcmp(path, "/verify") != 0 && strcmp(method, "POST") != 0) {
            http_text(fd, 404, "not found\n");
            goto out;
        }
    } else if (strcmp(path, "/verify") != 0) {
        http_text(fd, 404, "not found\n");
        goto out;
    } else if (strcmp(method, "POST") != 0) {
        http_text(fd, 404, "not found\n");
        goto out;
    }
    if (clen < 0 && fault("ca-r5-no-length-reads-to-eof")) { /* HTTP/1.0: the body runs to the close */
        char *body = malloc(65536 + 1);
        size_t got = have < 65536 ? have : 65536;
        memcpy(body, body_start, got);
        while (got < 65536) {
            ssize_t n = recv(fd, body + got, 65536 - got, 0);
            if (n <= 0) break;
            got += (size_t)n;
        }
        body[got] = 0;
        if (memchr(body, 0, got))
            http_text(fd, 400, "malformed request\n");
        else
            ca_verify(ca, fd, body);
        free(body);
        goto out;
    }
    if (clen < 0) {
        http_text(fd, 400, "no Content-Length\n");
        goto out;
    }
    if (fault("ca-r14-body-limit-per-recv")) { /* each read at most 64 KiB: "the body is bounded" */
        size_t got = have < (size_t)clen ? have : (size_t)clen, bcap = got + 16384;
        char *body = malloc(bcap + 1);
        memcpy(body, body_start, got);
        while (got < (size_t)clen) {
            char chunk[16384];
            size_t want = (size_t)clen - got < sizeof chunk ? (size_t)clen - got : sizeof chunk;
            ssize_t n = recv(fd, chunk, want, 0);
            if (n <= 0) break;
            if (n > 65536) {
                http_text(fd, 413, "body too large\n");
                free(body);
                goto out;
            }
            if (got + (size_t)n > bcap) body = realloc(body, (bcap = got + (size_t)n + 16384) + 1);
            memcpy(body + got, chunk, (size_t)n);
            got += (size_t)n;
        }
        body[got] = 0;
        if (memchr(body, 0, got))
            http_text(fd, 400, "malformed request\n");
        else
            ca_verify(ca, fd, body);
        free(body);
        goto out;
    }
    if (fault("ca-r15-413-after-body")) { /* "the whole request first, then judge it" */
        size_t got = have < (size_t)clen ? have : (size_t)clen, bcap = got + 16384;
        char *body = malloc(bcap + 1);
        memcpy(body, body_start, got);
        while (got < (size_t)clen) {
            if (got == bcap) body = realloc(body, (bcap *= 2) + 1);
            size_t want = (size_t)clen - got < bcap - got ? (size_t)clen - got : bcap - got;
            ssize_t n = recv(fd, body + got, want, 0);
            if (n <= 0) {
                free(body);
                goto out;
            }
            got += (size_t)n;
        }
        body[got] = 0;
        if (got > 65536)
            http_text(fd, 413, "body too large\n");
        else if (memchr(body, 0, got))
            http_text(fd, 400, "malformed request\n");
        else
            ca_verify(ca, fd, body);
        free(body);
        goto out;
    }
    if (fault("ca-b17-limit-ge") ? clen >= 65536 : clen > 65536) {
        http_text(fd, 413, "body too large\n");
        goto out;
    }
    char *body = malloc((size_t)clen + 1);
    size_t got = have < (size_t)clen ? have : (size_t)clen;
    memcpy(body, body_start, got);
    if (fault("ca-body-one-recv")) clen = (long)got; /* what came with the headers */
    while (got < (size_t)clen) {
        ssize_t n = recv(fd, body + got, (size_t)clen - got, 0);
        if (n <= 0) {
            free(body);
            goto out;
        }
        got += (size_t)n;
    }
    body[clen] = 0;
    if (memchr(body, 0, (size_t)clen))
        http_text(fd, 400, "malformed request\n");
    else
        ca_verify(ca, fd, body);
    free(body);
out:
    free(buf);
    shutdown(fd, SHUT_WR);
    close(fd);
    return NULL;
}

static int ca_serve(int argc, char **argv) {
    struct ca *ca = calloc(1, sizeof *ca);
    ca->key = load_key(opt(argc, argv, "-root-key"));
    ca->root = load_cert(opt(argc, argv, "-root-cert"));
    ca->users = opt(argc, argv, "-users");
    pthread_mutex_init(&ca->lock, NULL);
    int lfd = listen_on(atoi(opt(argc, argv, "-port")));
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        struct ca_job *job = malloc(sizeof *job);
        job->ca = ca;
        job->fd = fd;
        pthread_t t;
        if (pthread_create(&t, NULL, ca_conn, job) != 0) {
            close(fd);
            free(job);
            continue;
        }
        pthread_detach(t);
    }
    return 0;
}

static int enroll(int argc, char **argv) {
    const char *url = opt(argc, argv, "-ca");
    X509 *root = load_cert(opt(argc, argv, "-root"));
    const char *alias = opt(argc, argv, "-alias");
    char *password = read_password(opt(argc, argv, "-password-file"));
    const char *key_out = opt(argc, argv, "-key-out"), *cert_out = opt(argc, argv, "-cert-out");
    if (strncmp(url, "http://", 7) != 0) die("the CA URL must be http://HOST:PORT");
    char host[256], port[16] = "80";
    const char *hp = url + 7;
    size_t hl = strcspn(hp, ":/");
    snprintf(host, sizeof host, "%.*s", (int)hl, hp);
    if (hp[hl] == ':') snprintf(port, sizeof port, "%.*s", (int)strcspn(hp + hl + 1, "/"), hp + hl + 1);
    EVP_PKEY *key = EVP_RSA_gen(2048);
    if (!key) die("key generation failed");
    char *ename = json_escape(alias), *epw = json_escape(password);
    char *cred = malloc(strlen(ename) + strlen(epw) + 40);
    sprintf(cred, fault("ca-b27-cred-alias-member") ? "{\"alias\": %s, \"password\": %s}"
                                                    : "{\"name\": %s, \"password\": %s}", ename, epw);
    unsigned char sealed[512];
    size_t sl = sizeof sealed;
    if (oaep(X509_get0_pubkey(root), (unsigned char *)cred, strlen(cred), sealed, &sl, 1, 0) != 0)
        die("credentials too long for OAEP");
    BIO *b = BIO_new(BIO_s_mem());
    if (fault("ca-pkcs1-public-key")) {
        unsigned char *der = NULL;
        int dl = i2d_PublicKey(key, &der);
        PEM_write_bio(b, "RSA PUBLIC KEY", "", der, dl);
        OPENSSL_free(der);
    } else {
        PEM_write_bio_PUBKEY(b, key);
    }
    char *pp;
    long pl = BIO_get_mem_data(b, &pp);
    char *pub = malloc((size_t)pl + 1);
    memcpy(pub, pp, (size_t)pl);
    pub[pl] = 0;
    BIO_free(b);
    char *b64 = b64_encode(sealed, sl), *epub = json_escape(pub);
    char *body = malloc(strlen(b64) + strlen(epub) + 64);
    sprintf(body, "{\"payload\": \"%s\", \"public_key\": %s}", b64, epub);
    int fd = connect_to(host, port);
    if (fd < 0) die("cannot connect to the CA");
    set_timeout(fd, 30);
    char head[512];
    int hn = snprintf(head, sizeof head,
                      "POST /verify HTTP/1.0\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n", host, port, strlen(body));
    if (send_all(fd, head, (size_t)hn) != 0 || send_str(fd, body) != 0) die("send");
    size_t cap = 65536, len = 0;
    char *resp = malloc(cap + 1);
    for (;;) {
        if (len == cap) resp = realloc(resp, (cap *= 2) + 1);
        ssize_t n = recv(fd, resp + len, cap - len, 0);
        if (n <= 0) break;
        len += (size_t)n;
    }
    resp[len] = 0;
    int status = 0;
    if (sscanf(resp, "HTTP/%*s %d", &status) != 1 || status != 200) die("the CA answered %d", status);
    char *bstart = strstr(resp, "\r\n\r\n");
    if (!bstart) die("no body");
    bstart += 4;
    X509 *cert = pem_cert((unsigned char *)bstart, len - (size_t)(bstart - resp));
    if (!cert) die("the answer is not a PEM certificate");
    size_t cl;
    unsigned char *cpem = cert_bytes(cert, 0, &cl);
    BIO *kb = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL);
    char *kp;
    long kl = BIO_get_mem_data(kb, &kp);
    if (write_atomic(key_out, (unsigned char *)kp, (size_t)kl, 0600) != 0) die("cannot write key");
    if (write_atomic(cert_out, cpem, cl, 0644) != 0) die("cannot write certificate");
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    load_faults();
    if (argc < 2) die("usage: legc eke-serve|eke-get|pki-serve|pki-get|ca-serve|enroll ...");
    const char *cmd = argv[1];
    if (strcmp(cmd, "eke-serve") == 0) return eke_serve(argc, argv);
    if (strcmp(cmd, "eke-get") == 0) return eke_get(argc, argv);
    if (strcmp(cmd, "pki-serve") == 0) return pki_serve(argc, argv);
    if (strcmp(cmd, "pki-get") == 0) return pki_get(argc, argv);
    if (strcmp(cmd, "ca-serve") == 0) return ca_serve(argc, argv);
    if (strcmp(cmd, "enroll") == 0) return enroll(argc, argv);
    die("unknown command %s", cmd);
    return 2;
}
