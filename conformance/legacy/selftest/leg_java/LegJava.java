/*
 * leg-java: a clean-room implementation of the seeds' designs (sft-eke/0 and sft-pki/0,
 * docs/SPEC.md §7), Java 17, JDK only, written from the seed documents and §7 alone.
 *
 *   java LegJava eke-serve -port P -user U -password-file F -file F
 *   java LegJava eke-get HOST PORT USER PASSWORD_FILE OUT
 *   java LegJava pki-serve -port P -key K -cert C -root R -share DIR
 *   java LegJava pki-get KEY CERT HOST PORT NAME OUT
 *   java LegJava ca-serve -port P -root-key K -root-cert C -users FILE
 *   java LegJava enroll -ca URL -root R -alias A -password-file F -key-out K -cert-out C
 *
 * Choices (where the seeds leave room):
 * - eke/0 server: one connection at a time (the seed's shape), served one after another;
 *   after message 24 or `Not Authenticated` it waits for message 1 again. Messages 1, 3,
 *   5, 7, 9 are "the rest of one read" (at most 1024 bytes); literal and fixed-length
 *   messages are read whole. A 30 s idle timeout per connection (the reference's).
 * - eke/0 client: reads 11 and 19 as the rest of one read, fixed/literal messages whole;
 *   keeps the file (temporary file, renamed) only when message 24 matches its SHA-1,
 *   else exit status 1.
 * - pki/0 responder: a thread per connection; closes on a length above 65 536 or an
 *   unknown type (§7.1.1 allows it); the SECE certificate is checked with the root's
 *   signature only; the name is joined to the share as Python's os.path.join does.
 * - pki/0 requester: no check of the RSCV certificate (the seed); the file is written at
 *   the close.
 * - CA: HTTP/1.1 (com.sun.net.httpserver), 401 for an unknown alias or a wrong password,
 *   400 malformed, 404 another path, 413 a body over 64 KiB; certificates v1, no
 *   extensions, 365 days, issuer = the root's subject DN byte for byte.
 *
 * Planted faults (SFT_INDEPENDENT_FAULTS, comma-separated): FAULTS below, each with what
 * the audit must report; conformance/legacy/selftest/test_leg_java.py mirrors the table.
 */

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

public final class LegJava {

    // name, what the audit must report, the drift it stands for
    static final String[][] FAULTS = {
        {"eke-length-prefix", "FAIL LEG-EKE-FMT-3", "server: every message behind a 4-byte length (the seed's unused send_msg)"},
        {"eke-hide-bytes", "FAIL LEG-EKE-FMT-3", "server: hide() over BigInteger.toByteArray(), not the decimal digits"},
        {"eke-length-zero-padded", "FAIL LEG-EKE-FMT-3", "server: message 19 as %016d ('has to be 4 bytes' / recv(16))"},
        {"eke-key-16", "FAIL LEG-EKE-FMT-4", "server: K cut to 16 digits (the seed's comment: AES-128)"},
        {"eke-aes-default", "FAIL LEG-EKE-FMT-4", "server: Cipher.getInstance(\"AES\"), i.e. ECB with PKCS#5 padding"},
        {"eke-random-iv", "FAIL LEG-EKE-FMT-4", "server: a random IV for message 13 (never sent)"},
        {"eke-digest-first-1024", "FAIL LEG-EKE-FMT-5", "server: the seed's sha1ofFile read literally (first 1024 bytes)"},
        {"eke-last-chunk-full", "FAIL LEG-EKE-FMT-5", "server: the last chunk sent as the whole 1024-byte buffer"},
        {"eke-password-newline", "FAIL LEG-EKE-FMT-3", "server and client: the password file read with its newline"},
        {"eke-close-on-wrong-password", "FAIL LEG-EKE-FMT-3", "server: `Not Authenticated`, then a close"},
        {"eke-one-login-per-conn", "FAIL LEG-EKE-FMT-3", "server: closes after message 24"},
        {"eke-readfully-user", "FAIL LEG-EKE-FMT-3", "server: recv(1024) for message 1 as readNBytes(1024)"},
        {"eke-rand-exponent", "PASS LEG-EKE-4", "server: Xs drawn with SecureRandom (320 bits)"},
        {"eke-random-ns", "EVIDENCE LEG-EKE-13", "server: Ns drawn fresh (32 random ASCII digits); the IV stays zero"},
        {"eke-user-checked", "PASS LEG-EKE-2", "server: an unknown user name is refused (Wrong Username)"},
        {"eke-thread-per-conn", "PASS LEG-EKE-12", "server: a thread per connection"},
        {"eke-checks-ns", "PASS LEG-EKE-7", "server: checks the Ns half of message 15, closes otherwise"},
        {"eke-lockout", "PASS LEG-EKE-10", "server: after 3 wrong passwords the account is locked"},
        {"eke-client-checks-18", "PASS LEG-EKE-7", "client: checks message 18 against E(Na)"},
        {"eke-client-no-digest-check", "FAIL LEG-EKE-FMT-6", "client: keeps the file whatever message 24 says"},
        {"eke-client-keeps-partial", "FAIL LEG-EKE-FMT-6", "client: a close before the announced length keeps what came"},
        {"eke-client-println", "FAIL LEG-EKE-FMT-1", "client: messages written with PrintWriter.println"},
        {"eke-client-cbc-pkcs5", "FAIL LEG-EKE-FMT-4", "client: message 15 with AES/CBC/PKCS5Padding (80 bytes)"},
        {"pki-oaep-mgf1-sha1", "FAIL LEG-PKI-FMT-6", "responder: OAEPWithSHA-256AndMGF1Padding, whose MGF1 is SHA-1 in the JDK"},
        {"pki-last-piece-padded", "FAIL LEG-PKI-FMT-6", "responder: the last piece sent as the whole 100-byte buffer"},
        {"pki-empty-file-frame", "FAIL LEG-PKI-FMT-6", "responder: do/while, an empty file is one empty RSFL"},
        {"pki-no-close", "FAIL LEG-PKI-FMT-6", "responder: the socket not closed after the last piece"},
        {"pki-length-short", "FAIL LEG-PKI-FMT-1", "responder: lengths written with writeShort (2 bytes)"},
        {"pki-rscv-der", "FAIL LEG-PKI-FMT-4", "responder: RSCV carries cert.getEncoded() (DER), not PEM"},
        {"pki-missing-rsci", "FAIL LEG-PKI-FMT-7", "responder: a missing file answered RSCI before the close"},
        {"pki-canonical-check", "PASS LEG-PKI-5", "responder: getCanonicalPath() must stay under the share"},
        {"pki-rqfl-pkcs1", "FAIL LEG-PKI-FMT-5", "requester: RQFL with RSA/ECB/PKCS1Padding"},
        {"pki-sece-der", "FAIL LEG-PKI-FMT-3", "requester: SECE carries the certificate in DER"},
        {"ca-wrong-password-403", "FAIL LEG-CA-FMT-3", "CA: a wrong password answered 403"},
        {"ca-unknown-alias-404", "FAIL LEG-CA-FMT-3", "CA: an unknown alias answered 404"},
        {"ca-json-answer", "FAIL LEG-CA-FMT-2", "CA: answers {\"certificate\": PEM} as application/json"},
        {"ca-issuer-cn-only", "FAIL LEG-CA-FMT-2", "CA: issuer written as CN=<root CN>, not the root's DN"},
        {"ca-oaep-mgf1-sha1", "FAIL LEG-CA-FMT-1", "CA and enrolment: OAEP with the JDK's default MGF1-SHA-1"},
        {"ca-extensions", "PASS LEG-CA-6", "CA: BasicConstraints, KeyUsage, EKU and 30 days"},
        {"ca-throttle", "PASS LEG-CA-5", "CA: 429 after 5 failed logins of an alias"},
        // session 10, L7 (blind)
        {"eke-m11-before-10", "FAIL LEG-EKE-FMT-3", "server: message 11 sent before the xorAck (10)"},
        {"eke-key-hex", "FAIL LEG-EKE-FMT-4", "server: K from Kas.toString(16), hex digits, not decimal"},
        {"eke-digest-upper", "FAIL LEG-EKE-FMT-5", "server: message 24 with %02X, upper-case hex"},
        {"eke-retry-password-only", "FAIL LEG-EKE-FMT-3", "server: after Not Authenticated it reads a password again, not a user name"},
        {"eke-auth-sticky", "FAIL LEG-EKE-FMT-3", "server: a connection once authenticated skips the password check on the next login"},
        {"eke-timeout-millis", "FAIL LEG-EKE-FMT-3", "server: setSoTimeout(30), milliseconds taken for seconds"},
        {"eke-client-mismatch-exit-0", "FAIL LEG-EKE-FMT-6", "client: a digest mismatch prints CAUTION, drops the file and exits 0"},
        {"eke-client-out-before-digest", "FAIL LEG-EKE-FMT-6", "client: writes OUT before comparing message 24; a mismatch exits 1 leaving it"},
        {"eke-client-na-ns-swapped", "FAIL LEG-EKE-FMT-4", "client: message 15 as E(Ns' || Na)"},
        {"pki-piece-190", "FAIL LEG-PKI-FMT-6", "responder: pieces of 190 bytes, the OAEP maximum"},
        {"pki-rsci-then-serve", "FAIL LEG-PKI-FMT-4", "responder: a missing return after RSCI: RSCV follows and the file is served"},
        {"pki-length-with-header", "FAIL LEG-PKI-FMT-1", "responder: the length field counts the 8-byte header"},
        {"pki-verify-swallowed", "FAIL LEG-PKI-FMT-4", "responder: a SignatureException from verify() is logged and ignored"},
        {"pki-rscv-mime-pem", "FAIL LEG-PKI-FMT-4", "responder: RSCV re-encoded with Base64.getMimeEncoder (76 columns, CRLF)"},
        {"pki-get-pem-trimmed", "FAIL LEG-PKI-FMT-3", "requester: SECE is the certificate file strip()ped, no final newline"},
        {"ca-base64-url", "FAIL LEG-CA-FMT-1", "CA and enrolment: Base64.getUrlDecoder/getUrlEncoder for payload"},
        {"ca-content-type-pem", "FAIL LEG-CA-FMT-2", "CA: the certificate answered as application/x-pem-file"},
        {"ca-any-path", "FAIL LEG-CA-FMT-3", "CA: every path is /verify (no 404)"},
        // session 11, L9 (blind)
        {"eke-key-cached", "FAIL LEG-EKE-FMT-4", "server: K computed once per process and reused (p, g, password never change)"},
        {"eke-g-default", "PASS LEG-EKE-3", "server: message 7 acknowledged but g taken as the seed's 2"},
        {"eke-pw-trimmed", "FAIL LEG-EKE-FMT-3", "server: the received password compared after String.trim()"},
        {"pki-get-single-read", "FAIL LEG-PKI-FMT-6", "requester: each frame taken from one InputStream.read() (header and payload)"},
        {"pki-verified-cn-cache", "FAIL LEG-PKI-FMT-4", "responder: a subject DN once verified is trusted again without its signature"},
        {"ca-alias-ignorecase", "FAIL LEG-CA-FMT-3", "CA: the alias looked up with equalsIgnoreCase"},
        {"ca-password-trim", "FAIL LEG-CA-FMT-3", "CA: the password compared after trim()"},
        // session 12, L11 (blind)
        {"eke-r12b-m11-client-exponent", "FAIL LEG-EKE-FMT-4", "server: message 11 computed with XA (the client's constant), K with Xs"},
        {"eke-r12b-length-utf8-chars", "FAIL LEG-EKE-FMT-5", "server: message 19 is new String(content, UTF_8).length(), not the byte count"},
        {"eke-r12b-name-denylist", "FAIL LEG-EKE-FMT-3", "server: a user name that is not printable ASCII or over 32 bytes gets Wrong Username"},
        {"eke-r12b-client-digest-prefix", "FAIL LEG-EKE-FMT-6", "client: message 24 as the rest of one read, accepted when the SHA-1 hex startsWith it"},
        {"eke-r12b-client-key-own-public", "FAIL LEG-EKE-FMT-4", "client: K from its own public value (A^Xa), not from message 11"},
        {"pki-r12b-rsfl-own-key", "FAIL LEG-PKI-FMT-6", "responder: RSFL pieces encrypted under its own certificate's key"},
        {"pki-r12b-rscv-echo", "FAIL LEG-PKI-FMT-4", "responder: RSCV carries the SECE certificate back (peer's, not own)"},
        {"pki-r12b-dotdot-denylist", "EVIDENCE LEG-PKI-5", "responder: names starting with ../ or / refused, ./../ and the like still escape"},
        {"pki-r12b-peer-static", "FAIL LEG-PKI-FMT-6", "responder: the requester's key kept in a static field: two requesters at once swap keys"},
        {"ca-r12b-negative-serial", "FAIL LEG-CA-FMT-2", "CA: serial[0] |= 0x80 to keep 16 bytes: a negative DER serial"},
        {"ca-r12b-alias-cache", "FAIL LEG-CA-FMT-2", "CA: one certificate per alias, cached: a second enrolment gets the first key's certificate"},
        {"ca-r12b-generalized-time", "FAIL LEG-CA-FMT-2", "CA: validity written as GeneralizedTime (yyyyMMddHHmmssZ) before 2050"},
        // session 13, L13 (blind; lens: 1 fail open, 2 absent means permissive, 3 leaks on the
        // unhappy path, 4 units and number forms, 5 part of the value, 6 half-rolled-back state)
        {"pki-r13-verify-nsae-open", "FAIL LEG-PKI-FMT-4", "[1] responder: NoSuchAlgorithm/InvalidKey from verify() logged as 'cannot check', SECE accepted"},
        {"eke-r13-client-digest-unparsed-open", "FAIL LEG-EKE-FMT-6", "[1] client: message 24 compared as new BigInteger(hex, 16); a NumberFormatException skips the check"},
        {"ca-r13-getordefault-empty", "FAIL LEG-CA-FMT-3", "[2] CA: users.getOrDefault(alias, \"\"): an unknown alias with an empty password is issued"},
        {"pki-r13-empty-name-lists-share", "FAIL LEG-PKI-FMT-7", "[2] responder: an empty name is answered with the share's listing in RSFL pieces"},
        {"eke-r13-busy-flag-leak", "FAIL LEG-EKE-FMT-3", "[3] server: a 'transfer running' flag set at Authenticated, cleared after message 24 only"},
        {"ca-r13-key-reserved-on-refusal", "FAIL LEG-CA-FMT-2", "[3] CA: the posted key reserved before the password check, released on issue only: a retry with it gets 409"},
        {"pki-r13-slot-leak-not-found", "FAIL LEG-PKI-FMT-4", "[3] responder: 8 session slots; a missing file (or an error) never gives its slot back"},
        {"ca-r13-limit-64000", "FAIL LEG-CA-FMT-3", "[4] CA: the body limit as 64 KB = 64 000 bytes"},
        {"pki-r13-pieces-as-chars", "FAIL LEG-PKI-FMT-6", "[4] responder: the file read through an InputStreamReader, 100 chars a piece, re-encoded"},
        {"ca-r13-alias-nfkc", "FAIL LEG-CA-FMT-3", "[5] CA: the alias looked up after Normalizer NFKC (fullwidth letters are alice)"},
        {"eke-r13-password-extra-tail", "FAIL LEG-EKE-FMT-3", "[5] server: Arrays.copyOf(received, password.length) compared: extra bytes after the password ignored"},
        {"eke-r13-state-advanced-on-refusal", "FAIL LEG-EKE-FMT-3", "[6] server: the state set to 'expect p' before the password check; after Not Authenticated the next message is read as p"},
        {"ca-r13-cert-prepared-before-check", "FAIL LEG-CA-FMT-2", "[6] CA: the certificate prepared before the password check, kept when refused, served at the next success"},
        // session 14, L14 (blind; lens: 1 checks that never run, 2 per item not in aggregate,
        // 3 shared mutable state, 4 the checked form is not the used form, 5 effects before
        // authority, 6 trust carried over)
        {"pki-r14-verify-assert", "FAIL LEG-PKI-FMT-4", "[1] responder: the root's signature checked in an assert (the JVM runs without -ea): every SECE is accepted"},
        {"eke-r14-client-check-lazy-stream", "FAIL LEG-EKE-FMT-6", "[1] client: message 24 compared inside Stream.filter().peek() with no terminal operation: the check never runs"},
        {"ca-r14-password-check-async", "FAIL LEG-CA-FMT-3", "[1] CA: the password check moved into a CompletableFuture that only counts failures; nobody waits for it: a wrong password is issued"},
        {"eke-r14-digest-per-chunk", "FAIL LEG-EKE-FMT-5", "[2] server: message 24 from a running MessageDigest whose digest() is taken per 1024-byte chunk (it resets): the last chunk's SHA-1"},
        {"ca-r14-limit-per-member", "FAIL LEG-CA-FMT-3", "[2] CA: the 64 KiB limit checked on payload and public_key each, after parsing, not on the body: a large body is 400, not 413"},
        {"eke-r14-buf-static", "FAIL LEG-EKE-FMT-3", "[3] server: Conn's read buffer a static field: bytes a closed connection left unread are the next connection's first message"},
        {"pki-r14-key-by-cn-cache", "FAIL LEG-PKI-FMT-6", "[3] responder: requester keys cached by subject DN ('keys do not change'): a second certificate of the same alias gets pieces sealed to the first key"},
        {"pki-r14-name-stripped", "FAIL LEG-PKI-FMT-7", "[4] responder: the share file opened as name.strip(): 'report.bin ' or 'report.bin\\n' (which the seed cannot open) is served"},
        {"ca-r14-alias-strip", "FAIL LEG-CA-FMT-3", "[4] CA: the alias looked up after strip(), the certificate issued for the alias as posted: 'alice ' enrols with alice's password"},
        {"eke-r14-authenticated-before-compare", "FAIL LEG-EKE-FMT-3", "[5] server: Authenticated sent as soon as message 3 arrives, the comparison after it: a wrong password gets Authenticated, then Not Authenticated"},
        {"ca-r14-verified-alias-cache", "FAIL LEG-CA-FMT-3", "[6] CA: an alias that once gave its password is remembered: its later requests are issued whatever password they carry"},
        {"ca-r14-outer-name-cn", "FAIL LEG-CA-FMT-2", "[6] CA: the password checked for the credentials' name, the certificate issued for a \"name\" of the outer request when one is there"},
        // session 15, L16 (blind; lens: 1 one blocks all, 2 reflection and cross-context
        // acceptance, 3 the default branch, 4 compound conditions, 5 asymmetric cost,
        // 6 check-then-act under concurrency)
        {"pki-r15-synchronized-session", "FAIL LEG-PKI-FMT-4", "[1] responder: pkiSession synchronized (\"Cipher is not thread-safe\"): a silent requester blocks every other session until its 30 s timeout"},
        {"pki-r15-pool-of-2", "FAIL LEG-PKI-FMT-4", "[1] responder: sessions on Executors.newFixedThreadPool(2): two silent connections hold every other one"},
        {"eke-r15-key-own-public", "FAIL LEG-EKE-FMT-4", "[2] server: K from its own public value (serverPublic.modPow(xs, p)), not the client's"},
        {"pki-r15-own-cert-rsci", "FAIL LEG-PKI-FMT-4", "[2] responder: a SECE carrying its own certificate gets RSCI (\"a peer connecting to itself\")"},
        {"ca-r15-decrypt-error-401", "FAIL LEG-CA-FMT-3", "[3] CA: a payload that does not decrypt answered 401 (the catch-all \"not authorised\"), not 400"},
        {"pki-r15-missing-empty-rsfl", "FAIL LEG-PKI-FMT-7", "[3] responder: a file that cannot be opened is answered as an empty file: one RSFL of nothing, then the close"},
        {"pki-r15-self-signed-or", "FAIL LEG-PKI-FMT-4", "[4] responder: accepted when signed by the root OR self-signed (\"the root itself is self-signed\"): any self-signed SECE gets RSCV"},
        {"eke-r15-client-short-and-differs", "FAIL LEG-EKE-FMT-6", "[4] client: the two failure tests merged as `short && differs`: a complete file whose digest differs is kept"},
        {"eke-r15-pw-or-user", "FAIL LEG-EKE-FMT-3", "[4] server: `who.equals(user) || same` for `&&`: the configured user name logs in with any password"},
        {"ca-r15-refusal-log-cap", "FAIL LEG-CA-FMT-2", "[5] CA: every refused request kept in a list for the log; over 24 entries \"under attack\": 503 for everyone"},
        {"ca-r15-key-static", "FAIL LEG-CA-FMT-2", "[6] CA: public_key parsed first into a static field, read back at issue: two enrolments at once swap keys"},
        {"pki-r15-shared-cipher", "FAIL LEG-PKI-FMT-6", "[6] responder: one static OAEP Cipher, init per session with the requester's key: two sessions at once seal to each other's key"},
        // session 18, LG18 (blind; lens: 1 negotiation, 2 round trips and encodings, 3 order,
        // 4 deployment, 5 distinguishers, 6 sibling paths)
        {"eke-r18-digest-base64", "FAIL LEG-EKE-FMT-5", "[2] server: message 24 is Base64.getEncoder() of the SHA-1 (the JDK's usual text form of a digest), 28 bytes, not 40 hex digits (blind: caught by test_legacy_eke0.py)"},
        {"eke-r18-xor-zero-extended", "FAIL LEG-EKE-FMT-3", "[2] hide(): xor over the longer input, the shorter extended with zero bytes: message 11 is always 39 bytes (its last byte the password padding in clear when the value has 38 digits) (blind: caught by test_legacy_eke0.py)"},
        {"eke-r18-client-digest-whole-buffer", "FAIL LEG-EKE-FMT-6", "[2] client: the running SHA-1 updated with the whole 1024-byte read buffer (update(chunk), not update(chunk, 0, n)): a file whose length is not a multiple of 1024 never matches (blind: caught by test_legacy_eke0.py and test_legacy_eke0_client_open_server.py)"},
        {"eke-r18-client-17-before-16", "FAIL LEG-EKE-FMT-1", "[3] client: send_aes_nonceNa (17) written right after message 15, before clientAesAck (16) is read (\"save a round trip\") (blind: caught by test_legacy_eke0_client_turns.py)"},
        {"pki-r18-checkvalidity", "EVIDENCE LEG-PKI-3", "[6] responder: peer.checkValidity() before verify (the JDK idiom): expired and not-yet-valid certificates get RSCI; CA:TRUE and codeSigning-only ones still pass, so the flaw stands and its evidence no longer lists the validity cases (blind: shown by test_legacy_pki0.py's LEG-PKI-3 evidence)"},
        {"pki-r18-rsci-reason", "FAIL LEG-PKI-FMT-4", "[5] responder: RSCI carries the exception's message as its payload instead of nothing (blind: caught by test_legacy_pki0.py)"},
        {"pki-r18-get-skip-bad-piece", "FAIL LEG-PKI-FMT-6", "[2] requester: an RSFL that does not decrypt (BadPaddingException) is logged and skipped; the rest is saved, exit 0 (blind: caught by test_legacy_pki0_requester.py)"},
        {"pki-r18-linger-zero", "FAIL LEG-PKI-FMT-6", "[5] responder: setSoLinger(true, 0) (\"free the port at once\"): every close is a reset, not a FIN (blind: caught by test_legacy_pki0.py and test_legacy_pki0_refused_sessions.py)"},
        {"ca-r18-base64-mime", "FAIL LEG-CA-FMT-3", "[2] CA: payload decoded with Base64.getMimeDecoder() (\"tolerate line breaks\"): characters outside the alphabet are skipped, a malformed payload is not 400 (blind: missed; caught by test_legacy_ca0_payload_forms.py since it inserts '*' and '.')"},
        {"ca-r18-pem-stripped", "FAIL LEG-CA-FMT-2", "[2] CA: the certificate PEM strip()ped before it is sent (\"no trailing whitespace\"): no final newline (blind: caught by test_legacy_pem.py)"},
        // session 26 (blind; lens: 1 thin IDs, 2 second half of the sentence, 3 passing the
        // vectors, 4 neighbouring-protocol habits, 5 insecure defaults, 6 crossing frames)
        {"pki-b26-dir-listing", "FAIL LEG-PKI-FMT-7", "[4] responder: a name that is a directory (\".\", \"sub\") answered with its listing in RSFL pieces (an HTTP server's autoindex) (blind: caught by test_legacy_pki0_near_names.py's '.')"},
        {"pki-b26-rscv-chain", "FAIL LEG-PKI-FMT-4", "[4] responder: RSCV carries its certificate followed by the root's (a TLS server sends its chain) (blind: caught)"},
        {"pki-b26-keepalive", "FAIL LEG-PKI-FMT-7", "[4,2] responder: after the last piece it waits 1.5 s for another RQFL on the same connection and serves it (HTTP/1.1 keep-alive); the close comes late (blind: missed; caught by test_legacy_pki0_one_file_per_connection.py)"},
        {"eke-b26-user-255", "FAIL LEG-EKE-FMT-2", "[3] server: message 1 read as recv(255) (LOGIN_NAME_MAX): a longer user name's tail is taken as the password (blind: missed; caught by test_legacy_eke0_name_lengths.py)"},
        {"eke-b26-user-512", "FAIL LEG-EKE-FMT-2", "[3] (post-blind) server: message 1 read into a 512-byte buffer (read(fd, buf, 512)): a 513-1024-byte name is misread (caught by test_legacy_eke0_name_lengths.py)"},
        {"eke-b26-kas-fixed-width", "FAIL LEG-EKE-FMT-4", "[3] server: Kas written as %039d (the seed's Kas has 39 digits): a 38-digit Kas gets a leading 0 in K (blind: caught by chance, in 1 of 2 runs: only sessions with random exponents have such a Kas; caught every time by test_legacy_eke0_key_digits.py)"},
        {"ca-b26-limit-content-length", "FAIL LEG-CA-FMT-3", "[4,3] CA: the 64 KiB limit taken from the Content-Length header: a chunked body of any size is read whole, never 413 (blind: caught)"},
        // round 28 (blind; lens: 1 thin IDs, 2 lost errors, 3 every ending, 4 retries,
        // 5 two implementations of one rule, 6 concurrency in the idiom)
        {"b28-pki-get-name-latin1", "FAIL LEG-PKI-FMT-5", "[1] requester: the RQFL name encoded with ISO-8859-1 (String.getBytes() under a Latin-1 platform charset), not UTF-8"},
        {"b28-pki-sece-mime", "FAIL LEG-PKI-FMT-3", "[1,5] requester: the SECE certificate re-encoded from DER with Base64.getMimeEncoder (76-column CRLF lines), not the PEM file"},
        {"b28-eke-m9-p-digits", "FAIL LEG-EKE-FMT-2", "[1] server: message 9 read as exactly as many bytes as ASCII(p) has digits ('a value mod p has p's digits'): a shorter value stalls the session"},
        {"b28-pki-rsci-type-only", "FAIL LEG-PKI-FMT-4", "[5] responder: RSCI written by hand as its 4-byte type ('empty payload: nothing to send'), no length field"},
        {"b28-ca-shared-oaep", "FAIL LEG-CA-FMT-2", "[6] CA: one static OAEP Cipher for the payloads, shared by the 4 handler threads: concurrent enrolments corrupt each other"},
        {"b28-eke-client-24-timeout-keeps", "FAIL LEG-EKE-FMT-6", "[3,2] client: message 24 awaited 2 s; on the timeout the file is kept ('complete by length'), exit 0"},
        {"b28-pki-get-decrypt-async", "FAIL LEG-PKI-FMT-6", "[2,6] requester: pieces decrypted by futures; a failed future is logged and its piece left out, exit 0"},
    };

    static final Set<String> ON = new HashSet<>();

    static boolean f(String name) {
        return ON.contains(name);
    }

    public static void main(String[] args) throws Exception {
        String env = System.getenv("SFT_INDEPENDENT_FAULTS");
        if (env != null) {
            for (String s : env.split(",")) {
                if (!s.isBlank()) {
                    ON.add(s.trim());
                }
            }
        }
        if (args.length == 0) {
            usage();
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "eke-serve" -> ekeServe(flags(rest));
            case "eke-get" -> System.exit(ekeGet(rest));
            case "pki-serve" -> pkiServe(flags(rest));
            case "pki-get" -> System.exit(pkiGet(rest));
            case "ca-serve" -> caServe(flags(rest));
            case "enroll" -> System.exit(enroll(flags(rest)));
            default -> usage();
        }
    }

    static void usage() {
        System.err.println("usage: LegJava eke-serve|eke-get|pki-serve|pki-get|ca-serve|enroll ...");
        System.exit(2);
    }

    static Map<String, String> flags(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            out.put(args[i].replaceFirst("^-+", ""), args[i + 1]);
        }
        return out;
    }

    static String need(Map<String, String> flags, String name) {
        String v = flags.get(name);
        if (v == null) {
            System.err.println("missing -" + name);
            System.exit(2);
        }
        return v;
    }

    static String readSecret(String path) throws IOException {
        String s = Files.readString(Path.of(path), StandardCharsets.UTF_8);
        if (f("eke-password-newline")) {
            return s;
        }
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }

    static void log(String msg) {
        System.err.println("[leg-java] " + msg);
        System.err.flush();
    }

    static void ready(int port) {
        System.out.println("listening on 127.0.0.1:" + port);
        System.out.flush();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    // --- a socket read the way the seed reads -------------------------------------

    static final class Conn {
        final Socket sock;
        final InputStream in;
        final OutputStream out;
        byte[] buf = new byte[0];
        static byte[] sharedBuf = new byte[0]; // eke-r14-buf-static: "one client at a time"
        final boolean shared;

        Conn(Socket sock) throws IOException {
            this(sock, false);
        }

        Conn(Socket sock, boolean shared) throws IOException {
            this.sock = sock;
            this.in = sock.getInputStream();
            this.out = sock.getOutputStream();
            this.shared = shared;
            if (shared) {
                buf = sharedBuf;
            }
        }

        private void keep(byte[] b) {
            buf = b;
            if (shared) {
                sharedBuf = b;
            }
        }

        private boolean more() throws IOException {
            byte[] chunk = new byte[65536];
            int n = in.read(chunk);
            if (n < 0) {
                return false;
            }
            byte[] joined = Arrays.copyOf(buf, buf.length + n);
            System.arraycopy(chunk, 0, joined, buf.length, n);
            keep(joined);
            return true;
        }

        /** The rest of one read (at most max bytes), as the seed's recv(max); null at EOF. */
        byte[] readSome(int max) throws IOException {
            if (buf.length == 0 && !more()) {
                return null;
            }
            int n = Math.min(max, buf.length);
            byte[] out = Arrays.copyOf(buf, n);
            keep(Arrays.copyOfRange(buf, n, buf.length));
            return out;
        }

        /** readNBytes(max): up to max bytes, until EOF; null at EOF with nothing read. */
        byte[] readFully(int max) throws IOException {
            while (buf.length < max && more()) {
                continue;
            }
            return buf.length == 0 ? null : readSome(max);
        }

        byte[] readExact(int n) throws IOException {
            while (buf.length < n) {
                if (!more()) {
                    throw new EOFException("closed after " + buf.length + " of " + n + " bytes");
                }
            }
            byte[] out = Arrays.copyOf(buf, n);
            keep(Arrays.copyOfRange(buf, n, buf.length));
            return out;
        }

        void send(byte[] data) throws IOException {
            out.write(data);
            out.flush();
        }
    }

    // --- sft-eke/0 ------------------------------------------------------------------

    static final BigInteger P = new BigInteger("197221152031991558322935568090317202983");
    static final BigInteger G = BigInteger.TWO;
    static final BigInteger XA = BigInteger.valueOf(4597);
    static final BigInteger XS = BigInteger.valueOf(5516);
    static final byte[] NA = ascii("11000110001100011000000000000000");
    static final byte[] NS = ascii("11100111011100111000000000000000");

    static byte[] pad39(byte[] password) {
        if (password.length >= 39) {
            return password;
        }
        byte[] out = Arrays.copyOf(password, 39);
        Arrays.fill(out, password.length, 39, (byte) '0');
        return out;
    }

    static byte[] xor(byte[] a, byte[] b) {
        int n = Math.min(a.length, b.length);
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) (a[i] ^ b[i]);
        }
        return out;
    }

    static byte[] hide(BigInteger v, byte[] pw39) {
        if (f("eke-r18-xor-zero-extended")) {
            // "xor over the longer input; the missing bytes are 0"
            byte[] digits = Arrays.copyOf(ascii(v.toString()), Math.max(v.toString().length(), pw39.length));
            return xor(digits, Arrays.copyOf(pw39, digits.length));
        }
        if (f("eke-hide-bytes")) {
            return xor(v.toByteArray(), pw39);
        }
        return xor(ascii(v.toString()), pw39);
    }

    static BigInteger reveal(byte[] hidden, byte[] pw39) {
        String digits = new String(xor(hidden, pw39), StandardCharsets.ISO_8859_1).trim();
        return new BigInteger(digits);
    }

    static byte[] keyOf(BigInteger kas, boolean server) throws IOException {
        String s = server && f("eke-key-hex") ? kas.toString(16) : kas.toString();
        if (server && f("eke-b26-kas-fixed-width")) {
            s = String.format("%039d", kas); // "Kas is 39 digits, like p"
        }
        int len = f("eke-key-16") ? 16 : 32;
        if (s.length() < len) {
            throw new IOException("K has " + s.length() + " digits: no AES key");
        }
        return ascii(s.substring(0, len));
    }

    static byte[] aes(int mode, byte[] key, byte[] data, boolean server) throws Exception {
        Cipher c;
        SecretKeySpec k = new SecretKeySpec(key, "AES");
        if (server && f("eke-aes-default")) {
            c = Cipher.getInstance("AES");
            c.init(mode, k);
            return c.doFinal(data);
        }
        boolean pad = !server && f("eke-client-cbc-pkcs5");
        c = Cipher.getInstance(pad ? "AES/CBC/PKCS5Padding" : "AES/CBC/NoPadding");
        byte[] iv = new byte[16];
        if (server && f("eke-random-iv") && mode == Cipher.ENCRYPT_MODE) {
            new SecureRandom().nextBytes(iv);
        }
        c.init(mode, k, new IvParameterSpec(iv));
        return c.doFinal(data);
    }

    static byte[] sha1Hex(byte[] data) throws Exception {
        return ascii(hex(MessageDigest.getInstance("SHA-1").digest(data)));
    }

    static void ekeServe(Map<String, String> flags) throws Exception {
        int port = Integer.parseInt(flags.getOrDefault("port", "0"));
        String user = flags.getOrDefault("user", "yash101");
        byte[] password = readSecret(need(flags, "password-file")).getBytes(StandardCharsets.UTF_8);
        Path file = Path.of(need(flags, "file"));
        ServerSocket ss = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"));
        System.err.println("WARNING: sft-eke/0 is insecure; for auditing only");
        ready(ss.getLocalPort());
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        while (true) {
            Socket s = ss.accept();
            Runnable session = () -> {
                try (s) {
                    s.setSoTimeout(f("eke-timeout-millis") ? 30 : 30_000);
                    ekeSession(new Conn(s, f("eke-r14-buf-static")), user, password, file, failures);
                } catch (Exception e) {
                    log("eke session ended: " + e);
                }
            };
            if (f("eke-thread-per-conn")) {
                new Thread(session).start();
            } else {
                session.run();
            }
        }
    }

    static void ekeSend(Conn c, byte[] data) throws IOException {
        if (f("eke-length-prefix")) {
            DataOutputStream d = new DataOutputStream(c.out);
            d.writeInt(data.length);
            d.write(data);
            d.flush();
            return;
        }
        c.send(data);
    }

    static void ekeAck(Conn c, String ack) throws IOException {
        ekeSend(c, ascii(ack));
    }

    static byte[] cachedKey;
    static volatile boolean busy; // eke-r13-busy-flag-leak

    static void ekeSession(Conn c, String user, byte[] password, Path file,
                           Map<String, Integer> failures) throws Exception {
        byte[] pw39 = pad39(password);
        SecureRandom rnd = new SecureRandom();
        boolean authed = false;
        boolean retry = false;
        byte[] name = null;
        boolean expectP = false; // eke-r13-state-advanced-on-refusal
        while (true) {
          if (!expectP) {
            if (!retry) {
                name = f("eke-readfully-user") ? c.readFully(1024)
                    : f("eke-b26-user-255") ? c.readSome(255)
                    : f("eke-b26-user-512") ? c.readSome(512) : c.readSome(1024); // 1
            }
            boolean again = retry;
            retry = false;
            if (name == null) {
                return;
            }
            String who = new String(name, StandardCharsets.UTF_8);
            boolean odd = name.length > 32;
            for (byte b : name) {
                odd |= b < 0x21 || b > 0x7e;
            }
            if (f("eke-r12b-name-denylist") && odd) {
                ekeAck(c, "Wrong Username");
                continue;
            }
            if (f("eke-user-checked") && !who.equals(user)) {
                ekeAck(c, "Wrong Username");
                continue;
            }
            if (!again) {
                ekeAck(c, "u_ack"); // 2
            }
            byte[] pw = c.readSome(1024); // 3
            if (pw == null) {
                return;
            }
            if (f("eke-r14-authenticated-before-compare")) {
                ekeAck(c, "Authenticated"); // "answer at once, check while the client sends p"
            }
            boolean locked = f("eke-lockout") && failures.getOrDefault(who, 0) >= 3;
            boolean sticky = f("eke-auth-sticky") && authed;
            boolean same = f("eke-pw-trimmed")
                ? new String(pw, StandardCharsets.UTF_8).trim().equals(new String(password, StandardCharsets.UTF_8))
                : Arrays.equals(pw, password);
            if (f("eke-r15-pw-or-user")) {
                same = who.equals(user) || same; // meant: the user AND its password
            }
            if (f("eke-r13-password-extra-tail")) {
                // "cut what came to the password's length (a client may add a newline)"
                same = Arrays.equals(Arrays.copyOf(pw, password.length), password);
            }
            if (f("eke-r13-busy-flag-leak") && busy) {
                log("a transfer is running: refusing the login");
                same = false;
            }
            // eke-r13-state-advanced-on-refusal: the next state set before the check
            expectP = f("eke-r13-state-advanced-on-refusal");
            if (!sticky && (locked || !same)) {
                failures.merge(who, 1, Integer::sum);
                ekeAck(c, "Not Authenticated"); // 4
                if (f("eke-close-on-wrong-password")) {
                    return;
                }
                retry = f("eke-retry-password-only");
                continue;
            }
            expectP = false;
            authed = true;
            if (f("eke-r13-busy-flag-leak")) {
                busy = true;
            }
            if (!f("eke-r14-authenticated-before-compare")) {
                ekeAck(c, "Authenticated");
            }
          }
            expectP = false;
            byte[] m5 = c.readSome(1024);
            if (m5 == null) {
                return;
            }
            BigInteger p = new BigInteger(new String(m5, StandardCharsets.US_ASCII).trim());
            ekeAck(c, "pAck");
            byte[] m7 = c.readSome(1024);
            if (m7 == null) {
                return;
            }
            BigInteger g = new BigInteger(new String(m7, StandardCharsets.US_ASCII).trim());
            if (f("eke-g-default")) {
                g = G;
            }
            ekeAck(c, "gAck");
            byte[] m9 = f("b28-eke-m9-p-digits") ? c.readExact(p.toString().length()) : c.readSome(1024);
            if (m9 == null) {
                return;
            }
            BigInteger clientPublic = reveal(m9, pw39);
            BigInteger xs = f("eke-rand-exponent") ? new BigInteger(320, rnd).setBit(319) : XS;
            BigInteger serverPublic = g.modPow(f("eke-r12b-m11-client-exponent") ? XA : xs, p);
            if (f("eke-m11-before-10")) {
                ekeSend(c, hide(serverPublic, pw39)); // 11
                ekeAck(c, "xorAck"); // 10
            } else {
                ekeAck(c, "xorAck"); // 10
                ekeSend(c, hide(serverPublic, pw39)); // 11
            }
            c.readExact(12); // 12 xorServerAck
            byte[] key;
            if (f("eke-key-cached") && cachedKey != null) {
                key = cachedKey;
            } else {
                BigInteger peerValue = f("eke-r15-key-own-public") ? serverPublic : clientPublic;
                key = keyOf(peerValue.modPow(xs, p), true);
                cachedKey = key;
            }
            byte[] ns = NS;
            if (f("eke-random-ns")) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < 32; i++) {
                    sb.append((char) ('0' + rnd.nextInt(10)));
                }
                ns = ascii(sb.toString());
            }
            ekeSend(c, aes(Cipher.ENCRYPT_MODE, key, ns, true)); // 13
            c.readExact(6); // 14 aesAck
            byte[] m15 = c.readExact(64);
            byte[] plain15 = aes(Cipher.DECRYPT_MODE, key, m15, true);
            if (f("eke-checks-ns") && !Arrays.equals(Arrays.copyOfRange(plain15, 32, 64), ns)) {
                log("message 15 does not carry Ns: closing");
                return;
            }
            ekeAck(c, "clientAesAck"); // 16
            c.readExact(16); // 17 send_aes_nonceNa
            ekeSend(c, aes(Cipher.ENCRYPT_MODE, key, Arrays.copyOf(plain15, 16), true)); // 18
            byte[] content = Files.readAllBytes(file);
            int announced = f("eke-r12b-length-utf8-chars")
                ? new String(content, StandardCharsets.UTF_8).length() : content.length;
            String len = f("eke-length-zero-padded")
                ? String.format("%016d", announced) : Integer.toString(announced);
            ekeSend(c, ascii(len)); // 19
            c.readExact(5); // 20 LnACK
            ekeAck(c, "ok"); // 21
            MessageDigest running = MessageDigest.getInstance("SHA-1"); // eke-r14-digest-per-chunk
            byte[] sofar = running.digest();
            try (InputStream in = new FileInputStream(file.toFile())) { // 22
                byte[] chunk = new byte[1024];
                int n;
                while ((n = in.readNBytes(chunk, 0, 1024)) > 0) {
                    c.send(f("eke-last-chunk-full") ? chunk : Arrays.copyOf(chunk, n));
                    running.update(chunk, 0, n);
                    sofar = running.digest(); // "the digest so far" (digest() resets it)
                }
            }
            byte[] m23 = c.readExact(14);
            if (!Arrays.equals(m23, ascii("File delivered"))) {
                return;
            }
            byte[] digest;
            if (f("eke-digest-first-1024")) {
                digest = sha1Hex(Arrays.copyOf(content, Math.min(1024, content.length)));
            } else {
                digest = sha1Hex(content);
            }
            if (f("eke-r14-digest-per-chunk")) {
                digest = ascii(hex(sofar));
            }
            if (f("eke-r18-digest-base64")) {
                digest = ascii(Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(content)));
            }
            if (f("eke-digest-upper")) {
                digest = ascii(new String(digest, StandardCharsets.US_ASCII).toUpperCase(java.util.Locale.ROOT));
            }
            ekeSend(c, digest); // 24
            busy = false;
            if (f("eke-one-login-per-conn")) {
                return;
            }
        }
    }

    static int ekeGet(String[] a) throws Exception {
        if (a.length < 5) {
            System.err.println("usage: eke-get HOST PORT USER PASSWORD_FILE OUT");
            return 2;
        }
        byte[] password = readSecret(a[3]).getBytes(StandardCharsets.UTF_8);
        Path out = Path.of(a[4]);
        byte[] pw39 = pad39(password);
        try (Socket s = new Socket(a[0], Integer.parseInt(a[1]))) {
            s.setSoTimeout(30_000);
            Conn c = new Conn(s);
            boolean ln = f("eke-client-println");
            clientSend(c, ascii(a[2]), ln); // 1
            c.readExact(5); // 2 u_ack
            clientSend(c, password, ln); // 3
            byte[] m4 = c.readExact(13);
            if (!Arrays.equals(m4, ascii("Authenticated"))) {
                System.err.println("User NOT Authenticated");
                return 1;
            }
            clientSend(c, ascii(P.toString()), ln); // 5
            c.readExact(4);
            clientSend(c, ascii(G.toString()), ln); // 7
            c.readExact(4);
            clientSend(c, hide(G.modPow(XA, P), pw39), ln); // 9
            c.readExact(6); // 10 xorAck
            byte[] m11 = c.readSome(1024);
            if (m11 == null) {
                throw new EOFException("closed before message 11");
            }
            BigInteger serverPublic = f("eke-r12b-client-key-own-public") ? G.modPow(XA, P) : reveal(m11, pw39);
            byte[] key = keyOf(serverPublic.modPow(XA, P), false);
            clientSend(c, ascii("xorServerAck"), ln); // 12
            byte[] m13 = c.readExact(32);
            byte[] ns = aes(Cipher.DECRYPT_MODE, key, m13, false);
            clientSend(c, ascii("aesAck"), ln); // 14
            byte[] both = new byte[64];
            if (f("eke-client-na-ns-swapped")) {
                System.arraycopy(ns, 0, both, 0, 32);
                System.arraycopy(NA, 0, both, 32, 32);
            } else {
                System.arraycopy(NA, 0, both, 0, 32);
                System.arraycopy(ns, 0, both, 32, 32);
            }
            clientSend(c, aes(Cipher.ENCRYPT_MODE, key, both, false), ln); // 15
            if (f("eke-r18-client-17-before-16")) {
                clientSend(c, ascii("send_aes_nonceNa"), ln); // 17, "save a round trip"
                c.readExact(12); // 16 clientAesAck
            } else {
                c.readExact(12); // 16 clientAesAck
                clientSend(c, ascii("send_aes_nonceNa"), ln); // 17
            }
            byte[] m18 = c.readExact(16);
            if (f("eke-client-checks-18")
                && !Arrays.equals(m18, aes(Cipher.ENCRYPT_MODE, key, Arrays.copyOf(NA, 16), false))) {
                System.err.println("message 18 is not E(Na): the server is not authenticated");
                return 1;
            }
            byte[] m19 = c.readSome(16);
            if (m19 == null) {
                throw new EOFException("closed before message 19");
            }
            int size = Integer.parseInt(new String(m19, StandardCharsets.US_ASCII).trim());
            clientSend(c, ascii("LnACK"), ln); // 20
            c.readExact(2); // 21 ok
            ByteArrayOutputStream file = new ByteArrayOutputStream();
            while (file.size() < size) {
                byte[] piece = c.readSome(Math.min(1024, size - file.size()));
                if (piece == null) {
                    break;
                }
                file.write(piece);
            }
            byte[] content = file.toByteArray();
            if (content.length < size && !f("eke-client-keeps-partial")) {
                System.err.println("closed after " + content.length + " of " + size + " bytes");
                return 1;
            }
            if (content.length < size) {
                save(out, content);
                return 0;
            }
            if (f("eke-client-out-before-digest")) {
                Files.write(out, content);
            }
            clientSend(c, ascii("File delivered"), ln); // 23
            byte[] m24;
            if (f("eke-r12b-client-digest-prefix")) {
                m24 = c.readSome(40);
                String got = m24 == null ? null : new String(m24, StandardCharsets.US_ASCII).trim();
                if (got == null || !new String(sha1Hex(content), StandardCharsets.US_ASCII).startsWith(got)) {
                    System.err.println("Hey! CAUTION!: File is corrupt and may be altered.");
                    return 1;
                }
                save(out, content);
                return 0;
            }
            try {
                if (f("b28-eke-client-24-timeout-keeps")) {
                    s.setSoTimeout(2_000); // "the digest comes right after the file"
                    try {
                        m24 = c.readExact(40);
                    } catch (java.net.SocketTimeoutException e) {
                        System.err.println("no digest in time; the file is complete by its length");
                        save(out, content);
                        return 0;
                    }
                } else {
                m24 = c.readExact(40);
                }
            } catch (EOFException e) {
                if (f("eke-client-no-digest-check")) {
                    save(out, content);
                    return 0;
                }
                System.err.println("no message 24: " + e.getMessage());
                return 1;
            }
            boolean differs = !Arrays.equals(m24, sha1Hex(content));
            if (f("eke-r18-client-digest-whole-buffer")) {
                // the running digest, fed the read buffer (update(chunk), not update(chunk, 0, n))
                MessageDigest md = MessageDigest.getInstance("SHA-1");
                byte[] chunk = new byte[1024];
                for (int off = 0; off < content.length; off += 1024) {
                    int n = Math.min(1024, content.length - off);
                    System.arraycopy(content, off, chunk, 0, n);
                    md.update(chunk);
                }
                differs = !Arrays.equals(m24, ascii(hex(md.digest())));
            }
            if (f("eke-r14-client-check-lazy-stream")) {
                byte[] mine = sha1Hex(content);
                boolean[] bad = {false};
                java.util.stream.Stream.of(m24).filter(d -> !Arrays.equals(d, mine)).peek(d -> bad[0] = true);
                differs = bad[0];
            }
            if (f("eke-r13-client-digest-unparsed-open")) {
                // compare the numbers, whatever the case or leading zeros
                try {
                    differs = !new BigInteger(new String(m24, StandardCharsets.US_ASCII), 16)
                        .equals(new BigInteger(1, MessageDigest.getInstance("SHA-1").digest(content)));
                } catch (NumberFormatException e) {
                    System.err.println("message 24 is not a hex digest: not checked");
                    differs = false;
                }
            }
            if (f("eke-r15-client-short-and-differs")) {
                differs = content.length < size && differs; // "short and corrupt"
            }
            if (differs && !f("eke-client-no-digest-check")) {
                System.err.println("Hey! CAUTION!: File is corrupt and may be altered.");
                return f("eke-client-mismatch-exit-0") ? 0 : 1;
            }
            save(out, content);
            return 0;
        } catch (IOException e) {
            System.err.println("eke-get: " + e);
            return 1;
        }
    }

    static void clientSend(Conn c, byte[] data, boolean println) throws IOException {
        if (println) {
            byte[] d = Arrays.copyOf(data, data.length + 1);
            d[data.length] = '\n';
            c.send(d);
        } else {
            c.send(data);
        }
    }

    static void save(Path out, byte[] content) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, ".leg-java-", ".part");
        Files.write(tmp, content);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // --- keys and certificates -------------------------------------------------------

    static byte[] pemBody(String text, String label) {
        String begin = "-----BEGIN " + label + "-----";
        int i = text.indexOf(begin);
        if (i < 0) {
            return null;
        }
        int j = text.indexOf("-----END " + label + "-----", i);
        if (j < 0) {
            return null;
        }
        return Base64.getMimeDecoder().decode(text.substring(i + begin.length(), j));
    }

    static byte[] der(int tag, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            body.writeBytes(p);
        }
        int n = body.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n & 0xff);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write((n >> 8) & 0xff);
            out.write(n & 0xff);
        }
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    static final byte[] RSA_ALG = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
        (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    static final byte[] SHA256_RSA_ALG = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48,
        (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};

    static PrivateKey readPrivateKey(String path) throws Exception {
        String text = Files.readString(Path.of(path), StandardCharsets.US_ASCII);
        byte[] pkcs8 = pemBody(text, "PRIVATE KEY");
        if (pkcs8 == null) {
            byte[] pkcs1 = pemBody(text, "RSA PRIVATE KEY");
            if (pkcs1 == null) {
                throw new IOException(path + ": no PEM private key");
            }
            pkcs8 = der(0x30, new byte[] {0x02, 0x01, 0x00}, RSA_ALG, der(0x04, pkcs1));
        }
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    }

    static X509Certificate readCertificate(byte[] data) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        return (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(data));
    }

    static String pem(String label, byte[] der) {
        String b64 = Base64.getEncoder().encodeToString(der);
        StringBuilder sb = new StringBuilder("-----BEGIN " + label + "-----\n");
        for (int i = 0; i < b64.length(); i += 64) {
            sb.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
        }
        return sb.append("-----END ").append(label).append("-----\n").toString();
    }

    static final OAEPParameterSpec OAEP_SHA256 = new OAEPParameterSpec(
        "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

    /** OAEP (SHA-256, MGF1-SHA-256, empty label), or the drift a fault names. */
    static Cipher rsa(int mode, java.security.Key key, String drift) throws Exception {
        Cipher c;
        switch (drift) {
            case "mgf1-sha1" -> {
                c = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
                c.init(mode, key);
            }
            case "pkcs1" -> {
                c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
                c.init(mode, key);
            }
            default -> {
                c = Cipher.getInstance("RSA/ECB/OAEPPadding");
                c.init(mode, key, OAEP_SHA256);
            }
        }
        return c;
    }

    // --- sft-pki/0 frames ---------------------------------------------------------------

    static final Set<String> TYPES = Set.of("SECE", "RSCV", "RSCI", "RQFL", "RSFL");

    static void frame(OutputStream out, String type, byte[] payload) throws IOException {
        frame(out, type, payload, false);
    }

    static void frame(OutputStream out, String type, byte[] payload, boolean responder)
        throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.write(ascii(type));
        if (f("pki-length-short")) {
            d.writeShort(payload.length);
        } else if (responder && f("pki-length-with-header")) {
            d.writeInt(8 + payload.length);
        } else {
            d.writeInt(payload.length);
        }
        d.write(payload);
        out.write(b.toByteArray());
        out.flush();
    }

    /** (type, payload), or null at a clean EOF before a header. */
    static Object[] readFrame(InputStream in, boolean limit) throws IOException {
        byte[] header = in.readNBytes(8);
        if (header.length == 0) {
            return null;
        }
        if (header.length < 8) {
            throw new EOFException("closed inside a frame header");
        }
        String type = new String(header, 0, 4, StandardCharsets.ISO_8859_1);
        long length = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16)
            | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
        if (limit && (length > 65536 || !TYPES.contains(type))) {
            throw new IOException("frame " + type + " of " + length + " bytes: closing");
        }
        byte[] payload = in.readNBytes((int) Math.min(length, Integer.MAX_VALUE - 8));
        if (payload.length < length) {
            throw new EOFException("closed inside a " + type + " frame");
        }
        return new Object[] {type, payload};
    }

    /** One read() per frame, as a Python recv(1024) port would: what came is the frame. */
    static Object[] readFrameOnce(InputStream in) throws IOException {
        byte[] got = new byte[8 + 65536];
        int n = in.read(got);
        if (n <= 0) {
            return null;
        }
        if (n < 8) {
            throw new EOFException("closed inside a frame header");
        }
        String type = new String(got, 0, 4, StandardCharsets.ISO_8859_1);
        long length = ((got[4] & 0xffL) << 24) | ((got[5] & 0xff) << 16)
            | ((got[6] & 0xff) << 8) | (got[7] & 0xff);
        int have = (int) Math.min(length, n - 8);
        return new Object[] {type, Arrays.copyOfRange(got, 8, 8 + have)};
    }

    static final Set<String> VERIFIED = ConcurrentHashMap.newKeySet();
    static Cipher SEAL; // pki-r15-shared-cipher
    static final Map<String, PublicKey> KEYS = new ConcurrentHashMap<>(); // pki-r14-key-by-cn-cache
    static volatile PublicKey peerKey;
    static byte[] rootFile = new byte[0]; // pki-b26-rscv-chain

    static void pkiServe(Map<String, String> flags) throws Exception {
        int port = Integer.parseInt(flags.getOrDefault("port", "0"));
        PrivateKey key = readPrivateKey(need(flags, "key"));
        byte[] certFile = Files.readAllBytes(Path.of(need(flags, "cert")));
        X509Certificate own = readCertificate(certFile);
        rootFile = Files.readAllBytes(Path.of(need(flags, "root")));
        PublicKey root = readCertificate(rootFile).getPublicKey();
        String share = need(flags, "share");
        ServerSocket ss = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"));
        System.err.println("WARNING: sft-pki/0 is insecure; for auditing only");
        ready(ss.getLocalPort());
        // pki-r15-pool-of-2: "bound the threads"
        java.util.concurrent.ExecutorService pool = f("pki-r15-pool-of-2")
            ? java.util.concurrent.Executors.newFixedThreadPool(2) : null;
        while (true) {
            Socket s = ss.accept();
            if (f("pki-r13-slot-leak-not-found")) {
                if (SLOTS.get() >= 8) {
                    log("busy: closing a connection");
                    s.close();
                    continue;
                }
                SLOTS.incrementAndGet();
            }
            Runnable task = () -> {
                boolean close = true;
                try {
                    s.setSoTimeout(30_000);
                    if (f("pki-r18-linger-zero")) {
                        s.setSoLinger(true, 0); // "free the port at once"
                    }
                    if (f("pki-r15-synchronized-session")) {
                        synchronized (LegJava.class) { // "Cipher is not thread-safe"
                            close = pkiSession(s, key, certFile, own, root, share);
                        }
                    } else {
                        close = pkiSession(s, key, certFile, own, root, share);
                    }
                } catch (Exception e) {
                    log("pki session ended: " + e);
                } finally {
                    if (close) {
                        try {
                            s.close();
                        } catch (IOException e) {
                            log("close: " + e);
                        }
                    }
                }
            };
            if (pool != null) {
                pool.execute(task);
            } else {
                new Thread(task).start();
            }
        }
    }

    static boolean signedBy(X509Certificate c, PublicKey k) {
        try {
            c.verify(k);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Python's os.path.join(share, name): an absolute name replaces the share. */
    static File join(String share, String name) {
        if (name.startsWith("/")) {
            return new File(name);
        }
        return new File(share.endsWith("/") ? share + name : share + "/" + name);
    }

    /** True when the caller closes the socket. */
    static boolean pkiSession(Socket s, PrivateKey key, byte[] certFile, X509Certificate own,
                              PublicKey root, String share) throws Exception {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        Object[] first = readFrame(in, true);
        if (first == null || !"SECE".equals(first[0])) {
            release();
            return true;
        }
        X509Certificate peer = null;
        try {
            peer = readCertificate((byte[]) first[1]);
            String dn = peer.getSubjectX500Principal().getName();
            if (f("pki-verified-cn-cache") && VERIFIED.contains(dn)) {
                log("SECE subject already verified: " + dn);
            } else if (f("pki-verify-swallowed")) {
                try {
                    peer.verify(root);
                } catch (java.security.SignatureException e) {
                    log("SECE signature: " + e);
                }
            } else if (f("pki-r14-verify-assert")) {
                assert signedBy(peer, root) : "SECE not signed by the root";
                VERIFIED.add(dn);
            } else if (f("pki-r13-verify-nsae-open")) {
                try {
                    peer.verify(root);
                } catch (java.security.NoSuchAlgorithmException | java.security.InvalidKeyException
                         | java.security.NoSuchProviderException e) {
                    // "an algorithm we cannot check is not a bad signature"
                    log("SECE signature cannot be checked here: " + e);
                }
                VERIFIED.add(dn);
            } else if (f("pki-r15-self-signed-or")) {
                // meant: signed by the root; "the root itself is self-signed" added with ||
                if (!(signedBy(peer, root) || (peer.getSubjectX500Principal().equals(peer.getIssuerX500Principal())
                        && signedBy(peer, peer.getPublicKey())))) {
                    throw new java.security.SignatureException("not signed by the root");
                }
            } else {
                if (f("pki-r18-checkvalidity")) {
                    peer.checkValidity(); // the JDK idiom before verify
                }
                peer.verify(root);
                VERIFIED.add(dn);
            }
            if (f("pki-r15-own-cert-rsci") && Arrays.equals(peer.getEncoded(), own.getEncoded())) {
                throw new IOException("our own certificate: a connection to ourselves");
            }
        } catch (Exception e) {
            log("SECE refused: " + e);
            if (f("b28-pki-rsci-type-only")) {
                out.write(ascii("RSCI")); // "an empty payload: nothing to send"
                out.flush();
            } else {
                frame(out, "RSCI", f("pki-r18-rsci-reason") ? ascii(String.valueOf(e)) : new byte[0], true);
            }
            if (!f("pki-rsci-then-serve") || peer == null) {
                release();
                return true;
            }
        }
        peerKey = peer.getPublicKey();
        byte[] rscv = f("pki-rscv-der") ? own.getEncoded() : certFile;
        if (f("pki-r12b-rscv-echo")) {
            rscv = (byte[]) first[1];
        }
        if (f("pki-rscv-mime-pem")) {
            rscv = ascii("-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder().encodeToString(own.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        }
        if (f("pki-b26-rscv-chain")) { // "send the chain, as TLS does"
            byte[] chain = Arrays.copyOf(rscv, rscv.length + rootFile.length);
            System.arraycopy(rootFile, 0, chain, rscv.length, rootFile.length);
            rscv = chain;
        }
        frame(out, "RSCV", rscv, true);
        Object[] rq = readFrame(in, true);
        if (rq == null || !"RQFL".equals(rq[0])) {
            release();
            return true;
        }
        for (int served = 0; ; served++) { // pki-b26-keepalive: more than one pass
        if (served > 0) {
            s.setSoTimeout(1500); // "keep-alive timeout"
            try {
                rq = readFrame(in, true);
            } catch (java.net.SocketTimeoutException e) {
                rq = null;
            }
            if (rq == null || !"RQFL".equals(rq[0])) {
                release();
                return true;
            }
        }
        String name = new String(rsa(Cipher.DECRYPT_MODE, key, "").doFinal((byte[]) rq[1]),
            StandardCharsets.UTF_8);
        log("File request for: " + name);
        File file = join(share, f("pki-r14-name-stripped") ? name.strip() : name);
        if (f("pki-r12b-dotdot-denylist") && (name.startsWith("../") || name.startsWith("/"))) {
            log("refused: " + name);
            release();
            return true;
        }
        if (f("pki-canonical-check")) {
            String base = new File(share).getCanonicalPath() + File.separator;
            if (!file.getCanonicalPath().startsWith(base)) {
                log("outside the share: " + name);
                release();
                return true;
            }
        }
        InputStream fin;
        try {
            if (f("pki-b26-dir-listing") && file.isDirectory()) {
                // "a directory: show what is in it" (autoindex)
                String[] names = file.list();
                Arrays.sort(names);
                fin = new ByteArrayInputStream(String.join("\n", names).concat("\n")
                    .getBytes(StandardCharsets.UTF_8));
            } else if (f("pki-r13-empty-name-lists-share") && name.isEmpty()) {
                // "no name: tell the requester what there is"
                String[] names = new File(share).list();
                Arrays.sort(names);
                fin = new ByteArrayInputStream(String.join("\n", names).concat("\n")
                    .getBytes(StandardCharsets.UTF_8));
            } else {
                fin = new FileInputStream(file);
            }
        } catch (IOException e) {
            if (f("pki-missing-rsci")) {
                frame(out, "RSCI", new byte[0], true);
            }
            if (f("pki-r15-missing-empty-rsfl")) { // "nothing to send: an empty file"
                frame(out, "RSFL", rsa(Cipher.ENCRYPT_MODE, peer.getPublicKey(), "").doFinal(new byte[0]), true);
            }
            return true;
        }
        String drift = f("pki-oaep-mgf1-sha1") ? "mgf1-sha1" : "";
        PublicKey requesterKey = peer.getPublicKey();
        if (f("pki-r12b-peer-static")) {
            requesterKey = peerKey;
        }
        if (f("pki-r14-key-by-cn-cache")) { // "an alias's key does not change"
            final PublicKey presented = peer.getPublicKey();
            requesterKey = KEYS.computeIfAbsent(peer.getSubjectX500Principal().getName(), k -> presented);
        }
        if (f("pki-r12b-rsfl-own-key")) {
            requesterKey = own.getPublicKey();
        }
        Cipher enc;
        if (f("pki-r15-shared-cipher")) {
            // "Cipher.getInstance is slow: one for the responder, re-initialised per session"
            if (SEAL == null) {
                SEAL = rsa(Cipher.ENCRYPT_MODE, requesterKey, drift);
            } else {
                SEAL.init(Cipher.ENCRYPT_MODE, requesterKey, OAEP_SHA256);
            }
            enc = SEAL;
        } else {
            enc = rsa(Cipher.ENCRYPT_MODE, requesterKey, drift);
        }
        int size = f("pki-piece-190") ? 190 : 100;
        try (fin) {
            byte[] piece = new byte[size];
            if (f("pki-r13-pieces-as-chars")) {
                java.io.Reader text = new java.io.InputStreamReader(fin, StandardCharsets.UTF_8);
                char[] chars = new char[size];
                int n;
                while ((n = text.read(chars, 0, size)) > 0) {
                    frame(out, "RSFL", enc.doFinal(new String(chars, 0, n).getBytes(StandardCharsets.UTF_8)), true);
                }
            } else if (f("pki-empty-file-frame")) {
                int n;
                do {
                    n = fin.readNBytes(piece, 0, size);
                    frame(out, "RSFL", enc.doFinal(Arrays.copyOf(piece, n)), true);
                } while (n == size);
            } else {
                int n;
                while ((n = fin.readNBytes(piece, 0, size)) > 0) {
                    byte[] plain = f("pki-last-piece-padded") ? piece : Arrays.copyOf(piece, n);
                    frame(out, "RSFL", enc.doFinal(plain), true);
                }
            }
        }
        if (f("pki-b26-keepalive")) {
            continue;
        }
        break;
        }
        release();
        if (f("pki-no-close")) {
            out.flush();
            return false; // the thread ends, the socket stays open until the peer leaves
        }
        return true;
    }

    // pki-r13-slot-leak-not-found: session slots, given back where a session returns
    static final java.util.concurrent.atomic.AtomicInteger SLOTS = new java.util.concurrent.atomic.AtomicInteger();

    static void release() {
        if (f("pki-r13-slot-leak-not-found")) {
            SLOTS.decrementAndGet();
        }
    }

    static int pkiGet(String[] a) throws Exception {
        if (a.length < 6) {
            System.err.println("usage: pki-get KEY CERT HOST PORT NAME OUT");
            return 2;
        }
        PrivateKey key = readPrivateKey(a[0]);
        byte[] certFile = Files.readAllBytes(Path.of(a[1]));
        try (Socket s = new Socket(a[2], Integer.parseInt(a[3]))) {
            s.setSoTimeout(60_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] sece = f("pki-sece-der") ? readCertificate(certFile).getEncoded() : certFile;
            if (f("pki-get-pem-trimmed")) {
                sece = ascii(new String(certFile, StandardCharsets.US_ASCII).strip());
            }
            if (f("b28-pki-sece-mime")) { // "normalise the file: DER or PEM, text before BEGIN"
                sece = ascii("-----BEGIN CERTIFICATE-----\r\n"
                    + Base64.getMimeEncoder().encodeToString(readCertificate(certFile).getEncoded())
                    + "\r\n-----END CERTIFICATE-----\r\n");
            }
            frame(out, "SECE", sece);
            Object[] answer = readFrame(in, false);
            if (answer == null || !"RSCV".equals(answer[0])) {
                System.err.println("certificate refused by the peer");
                return 1;
            }
            X509Certificate peer = readCertificate((byte[]) answer[1]);
            String drift = f("pki-rqfl-pkcs1") ? "pkcs1" : f("pki-oaep-mgf1-sha1") ? "mgf1-sha1" : "";
            frame(out, "RQFL", rsa(Cipher.ENCRYPT_MODE, peer.getPublicKey(), drift)
                .doFinal(a[4].getBytes(f("b28-pki-get-name-latin1") ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8)));
            Cipher dec = rsa(Cipher.DECRYPT_MODE, key, f("pki-oaep-mgf1-sha1") ? "mgf1-sha1" : "");
            ByteArrayOutputStream file = new ByteArrayOutputStream();
            List<java.util.concurrent.CompletableFuture<byte[]>> pending = new ArrayList<>();
            while (true) {
                Object[] fr = f("pki-get-single-read") ? readFrameOnce(in) : readFrame(in, false);
                if (fr == null) {
                    break;
                }
                if (!"RSFL".equals(fr[0])) {
                    System.err.println("unexpected frame " + fr[0]);
                    return 1;
                }
                if (f("pki-r18-get-skip-bad-piece")) {
                    try {
                        file.writeBytes(dec.doFinal((byte[]) fr[1]));
                    } catch (java.security.GeneralSecurityException e) {
                        System.err.println("pki-get: skipping a piece that does not decrypt: " + e);
                    }
                    continue;
                }
                if (f("b28-pki-get-decrypt-async")) { // "decrypt while the next piece arrives"
                    final byte[] sealed = (byte[]) fr[1];
                    pending.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return rsa(Cipher.DECRYPT_MODE, key, "").doFinal(sealed);
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }).exceptionally(e -> {
                        System.err.println("pki-get: piece: " + e);
                        return new byte[0];
                    }));
                    continue;
                }
                file.writeBytes(dec.doFinal((byte[]) fr[1]));
            }
            for (java.util.concurrent.CompletableFuture<byte[]> p : pending) {
                file.writeBytes(p.join());
            }
            save(Path.of(a[5]), file.toByteArray());
            System.err.println("File received written to: " + a[5]);
            return 0;
        } catch (Exception e) {
            System.err.println("pki-get: " + e);
            return 1;
        }
    }

    // --- the CA ----------------------------------------------------------------------

    static Cipher CA_OAEP; // b28-ca-shared-oaep

    static Map<String, String> readUsers(String path) throws IOException {
        Map<String, String> users = new HashMap<>();
        for (String line : Files.readAllLines(Path.of(path), StandardCharsets.UTF_8)) {
            int i = line.indexOf(':');
            if (i > 0) {
                users.put(line.substring(0, i), line.substring(i + 1));
            }
        }
        return users;
    }

    static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;

        BadRequest(String m) {
            super(m);
        }
    }

    static void caServe(Map<String, String> flags) throws Exception {
        int port = Integer.parseInt(flags.getOrDefault("port", "0"));
        PrivateKey rootKey = readPrivateKey(need(flags, "root-key"));
        X509Certificate root = readCertificate(Files.readAllBytes(Path.of(need(flags, "root-cert"))));
        Map<String, String> users = readUsers(need(flags, "users"));
        Map<String, Integer> failed = new ConcurrentHashMap<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        server.createContext("/", ex -> {
            try (ex) {
                caHandle(ex, rootKey, root, users, failed);
            } catch (Exception e) {
                log("CA: " + e);
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
        System.err.println("WARNING: the sft-pki/0 CA is insecure; for auditing only");
        ready(server.getAddress().getPort());
    }

    static void answer(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    static void caHandle(HttpExchange ex, PrivateKey rootKey, X509Certificate root,
                         Map<String, String> users, Map<String, Integer> failed) throws Exception {
        String path = ex.getRequestURI().getPath();
        if (!"/verify".equals(path) && !f("ca-any-path")) {
            answer(ex, 404, "text/plain", ascii("not found\n"));
            return;
        }
        if (!"POST".equals(ex.getRequestMethod())) {
            answer(ex, 405, "text/plain", ascii("method not allowed\n"));
            return;
        }
        int limit = f("ca-r13-limit-64000") ? 64_000 : 65536; // "64 KB"
        boolean perMember = f("ca-r14-limit-per-member"); // the limit is on what we keep
        byte[] body = perMember ? ex.getRequestBody().readNBytes(16 << 20) : ex.getRequestBody().readNBytes(limit + 1);
        boolean noLimit = false;
        if (f("ca-b26-limit-content-length")) {
            // "the limit is what the client announces"
            String declared = ex.getRequestHeaders().getFirst("Content-Length");
            if (declared == null || Long.parseLong(declared.trim()) <= limit) {
                byte[] rest = ex.getRequestBody().readNBytes(16 << 20);
                byte[] all = Arrays.copyOf(body, body.length + rest.length);
                System.arraycopy(rest, 0, all, body.length, rest.length);
                body = all;
                noLimit = true; // no 413 below
            }
        }
        if (body.length > limit && !perMember && !noLimit) {
            answer(ex, 413, "text/plain", ascii("request body too large\n"));
            return;
        }
        if (f("ca-r15-refusal-log-cap") && REFUSALS.size() > 24) {
            answer(ex, 503, "text/plain", ascii("under attack: try later\n"));
            return;
        }
        String alias;
        String password;
        PublicKey subjectKey;
        String outerName = null; // ca-r14-outer-name-cn
        try {
            Object parsed = new Json(new String(body, StandardCharsets.UTF_8)).parse();
            if (!(parsed instanceof Map<?, ?> req)) {
                throw new BadRequest("not a JSON object");
            }
            if (!(req.get("payload") instanceof String payload)
                || !(req.get("public_key") instanceof String publicPem)) {
                throw new BadRequest("payload and public_key are required strings");
            }
            if (perMember && (payload.length() > limit || publicPem.length() > limit)) {
                answer(ex, 413, "text/plain", ascii("request body too large\n"));
                return;
            }
            if (f("ca-r15-key-static")) {
                // "parse the cheap member first"
                CURRENT_KEY = publicKeyOf(publicPem);
            }
            if (f("ca-r14-outer-name-cn") && req.get("name") instanceof String outer) {
                outerName = outer; // "the client says which alias it enrols"
            }
            byte[] sealed;
            try {
                sealed = (f("ca-base64-url") ? Base64.getUrlDecoder()
                    : f("ca-r18-base64-mime") ? Base64.getMimeDecoder() : Base64.getDecoder()).decode(payload);
            } catch (IllegalArgumentException e) {
                throw new BadRequest("payload is not base64");
            }
            byte[] cred;
            try {
                if (f("b28-ca-shared-oaep")) { // "Cipher.getInstance is slow: make it once"
                    if (CA_OAEP == null) {
                        CA_OAEP = rsa(Cipher.DECRYPT_MODE, rootKey, "");
                    }
                    cred = CA_OAEP.doFinal(sealed);
                } else {
                cred = rsa(Cipher.DECRYPT_MODE, rootKey, f("ca-oaep-mgf1-sha1") ? "mgf1-sha1" : "")
                    .doFinal(sealed);
                }
            } catch (Exception e) {
                if (f("ca-r15-decrypt-error-401")) {
                    throw new NotAuthorised("payload does not decrypt");
                }
                throw new BadRequest("payload does not decrypt");
            }
            Object c = new Json(new String(cred, StandardCharsets.UTF_8)).parse();
            if (!(c instanceof Map<?, ?> cm) || !(cm.get("name") instanceof String n)
                || !(cm.get("password") instanceof String pw)) {
                throw new BadRequest("credentials are not {name, password}");
            }
            alias = n;
            password = pw;
            subjectKey = f("ca-r15-key-static") ? CURRENT_KEY : publicKeyOf(publicPem);
        } catch (NotAuthorised e) {
            refused(e.getMessage());
            answer(ex, 401, "text/plain", ascii("invalid alias or password\n"));
            return;
        } catch (BadRequest | IllegalArgumentException e) {
            refused(String.valueOf(e.getMessage()));
            answer(ex, 400, "text/plain", ascii("bad request: " + e.getMessage() + "\n"));
            return;
        }
        if (f("ca-throttle") && failed.getOrDefault(alias, 0) >= 5) {
            answer(ex, 429, "text/plain", ascii("too many attempts\n"));
            return;
        }
        if (f("ca-r13-key-reserved-on-refusal")
            && !RESERVED.add(Base64.getEncoder().encodeToString(subjectKey.getEncoded()))) {
            answer(ex, 409, "text/plain", ascii("an enrolment with this key is in progress\n"));
            return;
        }
        if (f("ca-r13-cert-prepared-before-check")) {
            // "sign while the account is looked up"
            PREPARED.putIfAbsent(alias, issue(rootKey, root, alias, subjectKey));
        }
        String lookup = f("ca-r13-alias-nfkc")
            ? java.text.Normalizer.normalize(alias, java.text.Normalizer.Form.NFKC) : alias;
        if (f("ca-r14-alias-strip")) {
            lookup = alias.strip();
        }
        String known = f("ca-r13-getordefault-empty") ? users.getOrDefault(lookup, "") : users.get(lookup);
        if (known == null && f("ca-alias-ignorecase")) {
            for (Map.Entry<String, String> u : users.entrySet()) {
                if (u.getKey().equalsIgnoreCase(alias)) {
                    known = u.getValue();
                }
            }
        }
        if (f("ca-password-trim")) {
            password = password.trim();
        }
        if (known == null && f("ca-unknown-alias-404")) {
            answer(ex, 404, "text/plain", ascii("no such alias\n"));
            return;
        }
        if (f("ca-r14-verified-alias-cache") && LOGGED_IN.contains(alias)) {
            known = password; // "this alias has proven its password already"
        }
        if (f("ca-r14-password-check-async")) {
            // "don't hold the handler on the account file": count failures in the background
            final String k = known;
            final String pw = password;
            final String who = alias;
            java.util.concurrent.CompletableFuture.supplyAsync(() -> k != null && k.equals(pw))
                .thenAccept(ok -> {
                    if (!ok) {
                        failed.merge(who, 1, Integer::sum);
                    }
                });
            known = password;
        }
        if (known == null || !known.equals(password)) {
            refused(alias);
            failed.merge(alias, 1, Integer::sum);
            answer(ex, f("ca-wrong-password-403") ? 403 : 401, "text/plain",
                ascii("invalid alias or password\n"));
            return;
        }
        byte[] cert = f("ca-r12b-alias-cache") ? ISSUED.get(alias) : null;
        if (f("ca-r13-cert-prepared-before-check")) {
            cert = PREPARED.remove(alias);
        }
        if (f("ca-r14-verified-alias-cache")) {
            LOGGED_IN.add(alias);
        }
        if (outerName != null) {
            alias = outerName;
        }
        if (cert == null) {
            cert = issue(rootKey, root, alias, subjectKey);
            ISSUED.put(alias, cert);
        }
        if (f("ca-json-answer")) {
            String json = "{\"certificate\": \"" + pem("CERTIFICATE", cert).replace("\n", "\\n") + "\"}";
            answer(ex, 200, "application/json", ascii(json));
        } else {
            answer(ex, 200, f("ca-content-type-pem") ? "application/x-pem-file" : "text/plain",
                ascii(f("ca-r18-pem-stripped") ? pem("CERTIFICATE", cert).strip() : pem("CERTIFICATE", cert)));
        }
        if (f("ca-r13-key-reserved-on-refusal")) {
            RESERVED.remove(Base64.getEncoder().encodeToString(subjectKey.getEncoded()));
        }
        log("issued a certificate for " + alias);
    }

    static final Map<String, byte[]> ISSUED = new ConcurrentHashMap<>();
    static final List<String> REFUSALS = java.util.Collections.synchronizedList(new ArrayList<>()); // ca-r15-refusal-log-cap
    static PublicKey CURRENT_KEY; // ca-r15-key-static

    static void refused(String what) {
        if (f("ca-r15-refusal-log-cap")) {
            REFUSALS.add(what);
        }
    }

    static final class NotAuthorised extends Exception {
        private static final long serialVersionUID = 1L;

        NotAuthorised(String m) {
            super(m);
        }
    }

    static PublicKey publicKeyOf(String publicPem) throws BadRequest {
        byte[] spki = pemBody(publicPem, "PUBLIC KEY");
        if (spki == null) {
            throw new BadRequest("public_key is not a PEM public key");
        }
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(spki));
        } catch (Exception e) {
            throw new BadRequest("public_key is not an RSA key");
        }
    }
    static final Set<String> LOGGED_IN = ConcurrentHashMap.newKeySet(); // ca-r14-verified-alias-cache
    static final Map<String, byte[]> PREPARED = new ConcurrentHashMap<>(); // ca-r13-cert-prepared-before-check
    static final Set<String> RESERVED = ConcurrentHashMap.newKeySet(); // ca-r13-key-reserved-on-refusal

    static byte[] name(String cn) {
        byte[] oid = {0x06, 0x03, 0x55, 0x04, 0x03};
        return der(0x30, der(0x31, der(0x30, oid, der(0x0c, cn.getBytes(StandardCharsets.UTF_8)))));
    }

    static byte[] time(ZonedDateTime t) {
        if (f("ca-r12b-generalized-time")) {
            return der(0x18, ascii(t.format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss")) + "Z"));
        }
        return der(0x17, ascii(t.format(DateTimeFormatter.ofPattern("yyMMddHHmmss")) + "Z"));
    }

    static byte[] issue(PrivateKey rootKey, X509Certificate root, String alias, PublicKey key)
        throws Exception {
        byte[] serial = new byte[16];
        new SecureRandom().nextBytes(serial);
        if (f("ca-r12b-negative-serial")) {
            serial[0] |= (byte) 0x80; // "keep it 16 bytes long"
        } else {
            serial[0] &= 0x7f;
            serial[0] |= 0x01;
        }
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).withNano(0);
        byte[] issuer;
        if (f("ca-issuer-cn-only")) {
            String dn = root.getSubjectX500Principal().getName();
            String cn = dn;
            for (String part : dn.split(",")) {
                if (part.startsWith("CN=")) {
                    cn = part.substring(3);
                }
            }
            issuer = name(cn);
        } else {
            issuer = root.getSubjectX500Principal().getEncoded();
        }
        List<byte[]> tbs = new ArrayList<>();
        boolean ext = f("ca-extensions");
        if (ext) {
            tbs.add(der(0xa0, new byte[] {0x02, 0x01, 0x02}));
        }
        tbs.add(der(0x02, serial));
        tbs.add(SHA256_RSA_ALG);
        tbs.add(issuer);
        tbs.add(der(0x30, time(now.minusMinutes(5)), time(now.plusDays(ext ? 30 : 365))));
        tbs.add(name(alias));
        tbs.add(key.getEncoded());
        if (ext) {
            byte[] bc = der(0x30, new byte[] {0x06, 0x03, 0x55, 0x1d, 0x13}, new byte[] {0x01, 0x01, (byte) 0xff},
                der(0x04, der(0x30)));
            byte[] ku = der(0x30, new byte[] {0x06, 0x03, 0x55, 0x1d, 0x0f}, new byte[] {0x01, 0x01, (byte) 0xff},
                der(0x04, new byte[] {0x03, 0x02, 0x05, (byte) 0xa0}));
            byte[] eku = der(0x30, new byte[] {0x06, 0x03, 0x55, 0x1d, 0x25},
                der(0x04, der(0x30,
                    new byte[] {0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01},
                    new byte[] {0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02})));
            tbs.add(der(0xa3, der(0x30, bc, ku, eku)));
        }
        byte[] tbsDer = der(0x30, tbs.toArray(new byte[0][]));
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(rootKey);
        sig.update(tbsDer);
        byte[] signature = sig.sign();
        byte[] bits = new byte[signature.length + 1];
        System.arraycopy(signature, 0, bits, 1, signature.length);
        return der(0x30, tbsDer, SHA256_RSA_ALG, der(0x03, bits));
    }

    static int enroll(Map<String, String> flags) throws Exception {
        X509Certificate root = readCertificate(Files.readAllBytes(Path.of(need(flags, "root"))));
        String alias = need(flags, "alias");
        String password = readSecret(need(flags, "password-file"));
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4));
        KeyPair pair = gen.generateKeyPair();
        String cred = "{\"name\": " + Json.quote(alias) + ", \"password\": " + Json.quote(password) + "}";
        byte[] sealed = rsa(Cipher.ENCRYPT_MODE, root.getPublicKey(),
            f("ca-oaep-mgf1-sha1") ? "mgf1-sha1" : "").doFinal(cred.getBytes(StandardCharsets.UTF_8));
        Base64.Encoder b64 = f("ca-base64-url") ? Base64.getUrlEncoder() : Base64.getEncoder();
        String body = "{\"payload\": " + Json.quote(b64.encodeToString(sealed))
            + ", \"public_key\": " + Json.quote(pem("PUBLIC KEY", pair.getPublic().getEncoded())) + "}";
        HttpURLConnection conn = (HttpURLConnection) new URL(need(flags, "ca") + "/verify").openConnection();
        conn.setRequestMethod("POST");
        conn.setDoOutput(true);
        conn.setConnectTimeout(10_000);
        conn.setReadTimeout(30_000);
        conn.setRequestProperty("Content-Type", "application/json");
        try (OutputStream o = conn.getOutputStream()) {
            o.write(body.getBytes(StandardCharsets.UTF_8));
        }
        int status = conn.getResponseCode();
        if (status != 200) {
            System.err.println("enrolment refused: " + status);
            return 1;
        }
        byte[] answer;
        try (InputStream i = conn.getInputStream()) {
            answer = i.readAllBytes();
        }
        String text = new String(answer, StandardCharsets.US_ASCII);
        if (!text.contains("-----BEGIN CERTIFICATE-----")) {
            System.err.println("enrolment: the answer is not a PEM certificate");
            return 1;
        }
        readCertificate(answer).verify(root.getPublicKey());
        Path keyOut = Path.of(need(flags, "key-out"));
        Files.writeString(keyOut, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        keyOut.toFile().setReadable(false, false);
        keyOut.toFile().setReadable(true, true);
        Files.write(Path.of(need(flags, "cert-out")), answer);
        return 0;
    }

    // --- a small JSON reader (objects, arrays, strings, numbers, literals) -----------------

    static final class Json {
        final String s;
        int i;

        Json(String s) {
            this.s = s;
        }

        static String quote(String v) {
            StringBuilder sb = new StringBuilder("\"");
            for (char ch : v.toCharArray()) {
                switch (ch) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (ch < 0x20) {
                            sb.append(String.format("\\u%04x", (int) ch));
                        } else {
                            sb.append(ch);
                        }
                    }
                }
            }
            return sb.append('"').toString();
        }

        Object parse() throws BadRequest {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw new BadRequest("trailing data after JSON");
            }
            return v;
        }

        void ws() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        Object value() throws BadRequest {
            ws();
            if (i >= s.length()) {
                throw new BadRequest("empty JSON");
            }
            char ch = s.charAt(i);
            if (ch == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (i < s.length() && s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    ws();
                    if (i >= s.length() || s.charAt(i) != '"') {
                        throw new BadRequest("expected a key");
                    }
                    String k = string();
                    ws();
                    expect(':');
                    m.put(k, value());
                    ws();
                    if (i < s.length() && s.charAt(i) == ',') {
                        i++;
                        continue;
                    }
                    expect('}');
                    return m;
                }
            }
            if (ch == '[') {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (i < s.length() && s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(value());
                    ws();
                    if (i < s.length() && s.charAt(i) == ',') {
                        i++;
                        continue;
                    }
                    expect(']');
                    return l;
                }
            }
            if (ch == '"') {
                return string();
            }
            for (String lit : new String[] {"true", "false", "null"}) {
                if (s.startsWith(lit, i)) {
                    i += lit.length();
                    return lit;
                }
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            if (start == i) {
                throw new BadRequest("not JSON at offset " + i);
            }
            return Double.valueOf(s.substring(start, i));
        }

        void expect(char ch) throws BadRequest {
            if (i >= s.length() || s.charAt(i) != ch) {
                throw new BadRequest("expected '" + ch + "' at offset " + i);
            }
            i++;
        }

        String string() throws BadRequest {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw new BadRequest("unterminated string");
                }
                char ch = s.charAt(i++);
                if (ch == '"') {
                    return sb.toString();
                }
                if (ch != '\\') {
                    sb.append(ch);
                    continue;
                }
                if (i >= s.length()) {
                    throw new BadRequest("unterminated escape");
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw new BadRequest("bad \\u escape");
                        }
                        try {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException x) {
                            throw new BadRequest("bad \\u escape");
                        }
                        i += 4;
                    }
                    default -> sb.append(e);
                }
            }
        }
    }
}
