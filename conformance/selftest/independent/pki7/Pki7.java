/*
 * pki7 — a clean-room sft-pki/1 responder and initiator on JSSE (Java 17, JDK only),
 * written from docs/SPEC.md alone.
 *
 * Choices (how JSSE's own ideas are pinned to what the SPEC requires):
 *  - Protocols: SSLContext "TLSv1.3", setEnabledProtocols({"TLSv1.3"}) on every socket, and
 *    jdk.tls.{client,server}.protocols=TLSv1.3 (PKI-TLS-1).
 *  - Cipher suites: setEnabledCipherSuites with the three of PKI-TLS-9 (no CCM).
 *  - Groups and signature schemes: JSSE 17 takes them only as system properties, set before
 *    the first SSLContext: jdk.tls.namedGroups=x25519,secp256r1,secp384r1 (no X25519MLKEM768
 *    in 17); jdk.tls.{client,server}.SignatureSchemes = ecdsa_secp256r1_sha256,
 *    rsa_pss_rsae_sha256/384/512 and rsa_pkcs1_sha256 (PKI-TLS-11 allows it for the root's
 *    signatures on certificates; TLS 1.3 never uses it in a CertificateVerify).
 *  - Trust: our own X509ExtendedTrustManager, never the JDK's cacerts: the leaf alone
 *    (chain[0]) must verify with the organisation root's key, issuer = root subject, v3,
 *    valid now, SHA-256 signature (ecdsa-with-SHA256 or sha256WithRSAEncryption), EC P-256
 *    or RSA >= 2048, BasicConstraints present and CA:FALSE, KeyUsage digitalSignature, EKU
 *    clientAuth (responder) / serverAuth (initiator), exactly one CN (read from the DER of
 *    the subject), not listed in a fresh CRL (PKI-CERT-3..12). Endpoint identification is
 *    off (null algorithm): the initiator compares the CN byte-exactly with the alias inside
 *    checkServerTrusted, so a mismatch aborts the handshake (PKI-ID-1, PKI-ID-4).
 *  - Key manager: our own X509ExtendedKeyManager with the one identity, ignoring the peer's
 *    certificate_authorities (JSSE's default would send no certificate if they differ).
 *  - Client authentication: setNeedClientAuth(true) (JSSE answers a missing certificate with
 *    an alert) (PKI-TLS-3).
 *  - ALPN: SSLParameters.setApplicationProtocols({"sft-pki/1"}) on both sides; the responder
 *    also installs a selector returning null when sft-pki/1 is not offered (alert
 *    no_application_protocol), and both read getApplicationProtocol() after the handshake:
 *    anything else (a client offering no ALPN at all) is refused with close_notify and the
 *    close (PKI-TLS-2, PKI-TLS-10).
 *  - Resumption: session tickets off (jdk.tls.{client,server}.enableSessionTicketExtension
 *    =false) and every session invalidated after its handshake: every connection is a full
 *    handshake with a full certificate check. JSSE has no 0-RTT (PKI-TLS-5). No post-
 *    handshake authentication is used.
 *  - close: shutdownOutput() (TLS 1.3 half-close: close_notify) then close(); a FIN without
 *    close_notify is a truncation (com.sun.net.ssl.requireCloseNotify=true) (PKI-TLS-6/7).
 *  - No key log: JSSE has none and SSLKEYLOGFILE is not read (PKI-TLS-8).
 *  - CRL: fetched from CA_URL/v1/crl with java.net.http over TLS 1.3, trusting the root only;
 *    checked by hand (issuer, signature with the root's key, nextUpdate present, not past,
 *    at most 7 days after thisUpdate); refetched every --crl-refresh seconds; the responder
 *    does not start without one; a stale CRL refuses every certificate (PKI-CERT-7/12).
 *  - Timeouts: a watchdog thread closes the TCP socket of a connection whose handshake
 *    deadline (counted from accept) passed or whose write made no progress for the idle
 *    timeout (LIM-1, LIM-10); reads after the handshake use setSoTimeout(idle) and answer
 *    EROR timeout (LIM-2).
 *  - Files: the share is walked with SecureDirectoryStream (openat, O_NOFOLLOW per
 *    component); every symbolic link is refused (forbidden); temporaries are
 *    .sft-partial-<random> created CREATE_NEW with mode 0600, committed by Files.createLink
 *    (never replaces) then unlink, fsync of the file and the directory (APP-STORE-*).
 *  - JSON by hand: strict UTF-8, duplicate keys refused, nesting limited to 512.
 */

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

public final class Pki7 {
    static final String ALPN = "sft-pki/1";
    static final String[] SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"};
    static final long MAX_FRAME = 1048832L;
    static final int MAX_CONTROL = 65536;
    static final int MAX_DATA = 1048576;
    static final int CHUNK = 65536;
    static final BigInteger P256_ORDER = new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
    static final SecureRandom RNG = new SecureRandom();
    static final String PARTIAL = ".sft-partial-";

    // error codes
    static final int BAD_FRAME = 1, TOO_LARGE_FRAME = 2, UNEXPECTED = 3, AUTH_FAILED = 4, FORBIDDEN = 5,
            NOT_FOUND = 6, TOO_LARGE = 7, INTEGRITY = 8, BUSY = 9, TIMEOUT = 10, INTERNAL = 11, EXISTS = 12,
            UNSUPPORTED = 13, THROTTLED = 14;
    static final String[] CODE_NAMES = {"", "bad_frame", "frame_too_large", "unexpected_frame", "auth_failed",
        "forbidden", "not_found", "too_large", "integrity_failed", "busy", "timeout", "internal", "exists",
        "unsupported", "throttled"};

    static boolean fatal(int code) {
        if (Faults.on("fatal_switch_missing_integrity")) {
            // L3: the fatal codes listed by hand; integrity_failed forgotten: the default is non-fatal
            switch (code) {
                case BAD_FRAME: case TOO_LARGE_FRAME: case UNEXPECTED: case AUTH_FAILED:
                case BUSY: case TIMEOUT: case INTERNAL: case THROTTLED:
                    return true;
                default:
                    return false;
            }
        }
        return !(code == FORBIDDEN || code == NOT_FOUND || code == TOO_LARGE || code == EXISTS || code == UNSUPPORTED);
    }

    // ------------------------------------------------------------------ errors

    /** A protocol failure carrying the code to send (or none when send is false). */
    static final class ProtoError extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;
        final boolean send;

        ProtoError(int code, String msg) {
            this(code, msg, true);
        }

        ProtoError(int code, String msg, boolean send) {
            super(msg);
            this.code = code;
            this.send = send;
        }
    }

    // ------------------------------------------------------------------ JSON

    static final class Num {
        final String lexeme;

        Num(String lexeme) {
            this.lexeme = lexeme;
        }
    }

    static final Object JNULL = new Object();

    static final class Json {
        private final String s;
        private int i;
        private int depth;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(byte[] payload) throws ProtoError {
            String text;
            if (Faults.on("lenient_utf8")) {
                text = new String(payload, StandardCharsets.UTF_8);
            } else {
                try {
                    text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(payload)).toString();
                } catch (CharacterCodingException e) {
                    throw new ProtoError(BAD_FRAME, "payload is not UTF-8");
                }
            }
            Json p = new Json(text);
            p.ws();
            Object v = p.value();
            p.ws();
            if (p.i != text.length()) throw p.bad("trailing data");
            return v;
        }

        private ProtoError bad(String why) {
            return new ProtoError(BAD_FRAME, "malformed JSON: " + why);
        }

        private void ws() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
                else if (Faults.on("json_is_whitespace") && Character.isWhitespace(c)) i++;
                else break;
            }
        }

        private Object value() throws ProtoError {
            if (i >= s.length()) throw bad("unexpected end");
            char c = s.charAt(i);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", JNULL);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return number();
                    throw bad("unexpected character");
            }
        }

        private Object literal(String word, Object v) throws ProtoError {
            if (!s.startsWith(word, i)) throw bad("bad literal");
            i += word.length();
            return v;
        }

        private Map<String, Object> object() throws ProtoError {
            if (++depth > 512 && !Faults.on("json_depth_unbounded")) throw bad("too deep");
            i++;
            Map<String, Object> m = new LinkedHashMap<>();
            ws();
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                depth--;
                return m;
            }
            while (true) {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') throw bad("key expected");
                String k = string();
                ws();
                if (i >= s.length() || s.charAt(i) != ':') throw bad("colon expected");
                i++;
                ws();
                Object v = value();
                if (m.containsKey(k) && !Faults.on("json_duplicate_last_wins")) throw bad("duplicate key");
                m.put(k, v);
                ws();
                if (i >= s.length()) throw bad("unexpected end");
                char c = s.charAt(i++);
                if (c == '}') break;
                if (c != ',') throw bad("comma expected");
            }
            depth--;
            return m;
        }

        private List<Object> array() throws ProtoError {
            // json_depth_unbounded (L5): "RFC 8259 sets no limit": recursion as deep as the peer nests
            if (++depth > 512 && !Faults.on("json_depth_unbounded")) throw bad("too deep");
            i++;
            List<Object> l = new ArrayList<>();
            ws();
            if (i < s.length() && s.charAt(i) == ']') {
                i++;
                depth--;
                return l;
            }
            while (true) {
                ws();
                l.add(value());
                ws();
                if (i >= s.length()) throw bad("unexpected end");
                char c = s.charAt(i++);
                if (c == ']') break;
                if (c != ',') throw bad("comma expected");
            }
            depth--;
            return l;
        }

        private int hex4() throws ProtoError {
            if (i + 4 > s.length()) throw bad("short escape");
            int v = 0;
            for (int k = 0; k < 4; k++) {
                int d = Character.digit(s.charAt(i + k), 16);
                if (d < 0 || (s.charAt(i + k) > 'f' && !Faults.on("json_escape_unicode_hex"))) throw bad("bad escape");
                v = v * 16 + d;
            }
            i += 4;
            return v;
        }

        private String string() throws ProtoError {
            i++;
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw bad("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c < 0x20) throw bad("control character in string");
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (i >= s.length()) throw bad("unterminated escape");
                char e = s.charAt(i++);
                switch (e) {
                    case '"': b.append('"'); break;
                    case '\\': b.append('\\'); break;
                    case '/': b.append('/'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    case 't': b.append('\t'); break;
                    case 'u': {
                        int u = hex4();
                        if (u >= 0xD800 && u <= 0xDBFF) {
                            if (i + 6 <= s.length() && s.charAt(i) == '\\' && s.charAt(i + 1) == 'u') {
                                i += 2;
                                int lo = hex4();
                                if (lo < 0xDC00 || lo > 0xDFFF) {
                                    if (!Faults.on("b25_lone_surrogate_kept")) throw bad("lone surrogate");
                                    b.append((char) u).append((char) lo); // b25_lone_surrogate_kept (L2): "a Java String holds any char"
                                    break;
                                }
                                b.append((char) u).append((char) lo);
                            } else {
                                if (!Faults.on("b25_lone_surrogate_kept")) throw bad("lone surrogate");
                                b.append((char) u);
                            }
                        } else if (u >= 0xDC00 && u <= 0xDFFF) {
                            if (!Faults.on("b25_lone_surrogate_kept")) throw bad("lone surrogate");
                            b.append((char) u);
                        } else {
                            b.append((char) u);
                        }
                        break;
                    }
                    default:
                        throw bad("bad escape");
                }
            }
        }

        private Num number() throws ProtoError {
            int start = i;
            if (s.charAt(i) == '-') i++;
            if (i >= s.length()) throw bad("bad number");
            if (s.charAt(i) == '0') {
                i++;
            } else if (s.charAt(i) >= '1' && s.charAt(i) <= '9') {
                while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) i++;
            } else {
                throw bad("bad number");
            }
            if (i < s.length() && s.charAt(i) == '.') {
                i++;
                int d = i;
                while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
                if (i == d) throw bad("bad fraction");
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
                int d = i;
                while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
                if (i == d) throw bad("bad exponent");
            }
            return new Num(s.substring(start, i));
        }

        // ---- schema helpers

        @SuppressWarnings("unchecked")
        static Map<String, Object> object(byte[] payload) throws ProtoError {
            Object v = parse(payload);
            if (!(v instanceof Map)) throw new ProtoError(BAD_FRAME, "payload is not a JSON object");
            return (Map<String, Object>) v;
        }

        static String str(Map<String, Object> m, String key) throws ProtoError {
            Object v = m.get(key);
            if (!(v instanceof String)) throw new ProtoError(BAD_FRAME, "member " + key + " missing or not a string");
            return (String) v;
        }

        static final BigInteger MAX63 = BigInteger.ONE.shiftLeft(63).subtract(BigInteger.ONE);
        static final Pattern INT = Pattern.compile("-?(0|[1-9][0-9]*)");

        static long integer(Map<String, Object> m, String key) throws ProtoError {
            Object v = m.get(key);
            if (!(v instanceof Num)) throw new ProtoError(BAD_FRAME, "member " + key + " missing or not an integer");
            String lx = ((Num) v).lexeme;
            if (Faults.on("size_as_double") && key.equals("size")) {
                double d = Double.parseDouble(lx);
                if (d < 0 || d != Math.floor(d) || d > 9.2e18) throw new ProtoError(BAD_FRAME, "bad integer " + key);
                return (long) d;
            }
            if (!INT.matcher(lx).matches()) throw new ProtoError(BAD_FRAME, "member " + key + " is not an integer");
            if (Faults.on("size_overflow_zero")) {
                try {
                    long n = Long.parseLong(lx);
                    if (n < 0) throw new ProtoError(BAD_FRAME, "member " + key + " out of range");
                    return n;
                } catch (NumberFormatException e) {
                    return 0; // "too big for a long: unknown"
                }
            }
            if (Faults.on("json_parselong_overflow")) {
                long n = Long.parseLong(lx); // "a long holds every size"
                if (n < 0) throw new ProtoError(BAD_FRAME, "member " + key + " out of range");
                return n;
            }
            BigInteger b = new BigInteger(lx);
            if (b.signum() < 0 || b.compareTo(MAX63) > 0) throw new ProtoError(BAD_FRAME, "member " + key + " out of range");
            return b.longValue();
        }

        static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

        static String sha(Map<String, Object> m, String key, boolean required) throws ProtoError {
            // sha_null_is_absent (L3): "null is no value": an optional member set to null taken as absent
            boolean nullAbsent = !required && Faults.on("sha_null_is_absent") && m.get(key) == JNULL;
            if (!m.containsKey(key) || nullAbsent) {
                if (required) throw new ProtoError(BAD_FRAME, "member " + key + " missing");
                return null;
            }
            String v = str(m, key);
            if (Faults.on("sha_ignore_case") ? !SHA.matcher(v.toLowerCase(java.util.Locale.ROOT)).matches() : !SHA.matcher(v).matches()) {
                throw new ProtoError(BAD_FRAME, "member " + key + " is not 64 lowercase hex digits");
            }
            return v;
        }

        static String quote(String v) {
            StringBuilder b = new StringBuilder("\"");
            for (int k = 0; k < v.length(); k++) {
                char c = v.charAt(k);
                if (c == '"' || c == '\\') b.append('\\').append(c);
                else if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
                else b.append(c);
            }
            return b.append('"').toString();
        }
    }

    static boolean shaEquals(String a, String b) {
        if (a == null || b == null) return false;
        return Faults.on("sha_ignore_case") ? a.equalsIgnoreCase(b) : a.equals(b);
    }

    // ------------------------------------------------------------------ frames

    static final class Header {
        final String type;
        final long length;

        Header(String type, long length) {
            this.type = type;
            this.length = length;
        }
    }

    /** Every byte written: a channel's write may take part of the buffer (a file-size
     *  limit, a full disk); the next write then fails with the error [APP-STORE-1]. */
    static void writeFully(java.nio.channels.WritableByteChannel ch, byte[] p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(p);
        while (b.hasRemaining()) {
            if (ch.write(b) <= 0) throw new IOException("the write made no progress");
        }
    }

    static final Set<String> TYPES = Set.of("RQFL", "RSFL", "PUTF", "DATA", "DONE", "EROR", "BYE_");

    /** Reads frames from a stream; EOF exactly at a frame boundary returns null. */
    static final class FrameReader {
        final InputStream in;
        final boolean client;

        FrameReader(InputStream in) {
            this(in, false);
        }

        FrameReader(InputStream in, boolean client) {
            this.in = in;
            this.client = client;
        }

        void readFully(byte[] b) throws IOException {
            if (Faults.on("single_read_payload") && b.length > 8) {
                int n = in.read(b);
                if (n < 0) throw new EOFException("EOF inside a frame");
                return; // the rest of the buffer stays zero
            }
            int off = 0;
            while (off < b.length) {
                int n = in.read(b, off, b.length - off);
                if (n < 0) throw new EOFException("EOF inside a frame");
                off += n;
            }
        }

        /** The next header, checked (type bytes, length limit, known type); null on a clean end. */
        Header header() throws IOException, ProtoError {
            byte[] h = new byte[8];
            int first = in.read(h, 0, 1);
            if (first < 0) return null;
            int off = 1;
            while (off < 8) {
                int n = in.read(h, off, 8 - off);
                if (n < 0) throw new EOFException("EOF inside a frame header");
                off += n;
            }
            for (int k = 0; k < 4; k++) {
                int c = h[k] & 0xff;
                boolean ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
                if (!ok) throw new ProtoError(BAD_FRAME, "bad frame type bytes");
            }
            long len;
            if (!client && Faults.on("length_signed_bytes")) {
                len = (h[4] << 24) | (h[5] << 16) | (h[6] << 8) | h[7]; // bytes are signed in Java
            } else if (Faults.on("signed_read_int")) {
                len = ByteBuffer.wrap(h, 4, 4).getInt();
            } else {
                len = ByteBuffer.wrap(h, 4, 4).getInt() & 0xffffffffL;
            }
            // frame_limit_after_alloc (L5): "read the frame, then judge it": the limits checked in payload()
            boolean late = !client && Faults.on("frame_limit_after_alloc");
            if (len > MAX_FRAME && !late) throw new ProtoError(TOO_LARGE_FRAME, "frame length above the limit");
            String type = new String(h, 0, 4, StandardCharsets.US_ASCII);
            if (!TYPES.contains(type) && !(!client && Faults.on("unknown_type_skipped"))) throw new ProtoError(UNEXPECTED, "unknown frame type");
            if (!late && !type.equals("DATA") && (Faults.on("control_limit_exclusive") ? len >= MAX_CONTROL : len > MAX_CONTROL)) throw new ProtoError(TOO_LARGE_FRAME, "control payload above 65536 bytes");
            return new Header(type, len);
        }

        byte[] payload(Header h) throws IOException, ProtoError {
            if (client && Faults.on("b28_client_readnbytes_short")) return in.readNBytes((int) h.length); // L3: short at EOF
            byte[] p = new byte[(int) h.length];
            readFully(p);
            if (!client && Faults.on("frame_limit_after_alloc")) {
                if (h.length > MAX_FRAME) throw new ProtoError(TOO_LARGE_FRAME, "frame length above the limit");
                if (!h.type.equals("DATA") && h.length > MAX_CONTROL) throw new ProtoError(TOO_LARGE_FRAME, "control payload above 65536 bytes");
            }
            return p;
        }
    }

    static byte[] frame(String type, byte[] payload) {
        byte[] out = new byte[8 + payload.length];
        System.arraycopy(type.getBytes(StandardCharsets.US_ASCII), 0, out, 0, 4);
        ByteBuffer.wrap(out, 4, 4).putInt(payload.length);
        System.arraycopy(payload, 0, out, 8, payload.length);
        return out;
    }

    static byte[] control(String type, String json) {
        if (Faults.on("b25_control_length_chars")) {
            // b25_control_length_chars (L2): the header's length is json.length(), UTF-16 units, not bytes
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            byte[] out = frame(type, body);
            ByteBuffer.wrap(out, 4, 4).putInt(json.length());
            return out;
        }
        return frame(type, json.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] eror(int code, String message) {
        return control("EROR", "{\"code\":" + code + ",\"name\":\"" + CODE_NAMES[code] + "\",\"message\":" + Json.quote(message) + "}");
    }

    // ------------------------------------------------------------------ names (§3.5)

    static boolean badCodePoint(int cp) {
        if (cp < 0x20 || cp == 0x7f || (cp == '\\' && !Faults.on("backslash_index_gt_zero"))) return true;
        if (Faults.on("c1_bidi_allowed")) return false;
        if (Faults.on("bidi_range_end_exclusive")) { // L4: the isolates' range written half-open
            return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp < 0x2069);
        }
        return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
    }

    /** The name's components, or a forbidden ProtoError (non-fatal). */
    static List<String> checkName(String name) throws ProtoError {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        if (utf8.length == 0 || utf8.length > 4096) throw new ProtoError(FORBIDDEN, "name refused");
        if (name.startsWith("/")) throw new ProtoError(FORBIDDEN, "name refused");
        if (name.length() >= 2 && name.charAt(1) == ':' && ((name.charAt(0) | 0x20) >= 'a' && (name.charAt(0) | 0x20) <= 'z')) {
            throw new ProtoError(FORBIDDEN, "name refused");
        }
        if (Faults.on("backslash_index_gt_zero") && name.indexOf('\\') > 0) throw new ProtoError(FORBIDDEN, "name refused");
        int[] cps = name.codePoints().toArray();
        for (int cp : cps) if (badCodePoint(cp)) throw new ProtoError(FORBIDDEN, "name refused");
        List<String> comps = new ArrayList<>();
        for (String c : Faults.on("split_drops_trailing_slash") ? name.split("/") : name.split("/", -1)) {
            int n = Faults.on("component_length_chars") ? c.length() : c.getBytes(StandardCharsets.UTF_8).length;
            if (n == 0 || n > 255) throw new ProtoError(FORBIDDEN, "name refused");
            if (!Faults.on("normalize_confinement") && (c.equals(".") || c.equals(".."))) throw new ProtoError(FORBIDDEN, "name refused");
            comps.add(c);
        }
        return comps;
    }

    // ------------------------------------------------------------------ keys and certificates

    static byte[] derTlv(int tag, byte[] content) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(tag);
        int n = content.length;
        if (n < 128) {
            o.write(n);
        } else if (n < 256) {
            o.write(0x81);
            o.write(n);
        } else if (n < 65536) {
            o.write(0x82);
            o.write(n >> 8);
            o.write(n & 0xff);
        } else {
            o.write(0x83);
            o.write(n >> 16);
            o.write((n >> 8) & 0xff);
            o.write(n & 0xff);
        }
        o.writeBytes(content);
        return o.toByteArray();
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    static byte[] pemBody(String pem, String label) {
        String begin = "-----BEGIN " + label + "-----";
        int a = pem.indexOf(begin);
        if (a < 0) return null;
        int b = pem.indexOf("-----END " + label + "-----", a);
        return Base64.getMimeDecoder().decode(pem.substring(a + begin.length(), b));
    }

    static PrivateKey loadKey(Path file) throws Exception {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        byte[] pkcs8 = pemBody(pem, "PRIVATE KEY");
        if (pkcs8 == null) {
            byte[] sec1 = pemBody(pem, "EC PRIVATE KEY");
            if (sec1 != null) {
                byte[] alg = derTlv(0x30, cat(
                        derTlv(0x06, new byte[] {0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01}),
                        derTlv(0x06, new byte[] {0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07})));
                pkcs8 = derTlv(0x30, cat(new byte[] {0x02, 0x01, 0x00}, alg, derTlv(0x04, sec1)));
            } else {
                byte[] pkcs1 = pemBody(pem, "RSA PRIVATE KEY");
                if (pkcs1 == null) throw new IllegalArgumentException("no private key in " + file);
                byte[] alg = derTlv(0x30, cat(
                        derTlv(0x06, new byte[] {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01}),
                        new byte[] {0x05, 0x00}));
                pkcs8 = derTlv(0x30, cat(new byte[] {0x02, 0x01, 0x00}, alg, derTlv(0x04, pkcs1)));
            }
        }
        for (String algName : new String[] {"EC", "RSA"}) {
            try {
                return KeyFactory.getInstance(algName).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (Exception e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("unsupported private key in " + file);
    }

    static X509Certificate loadCert(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** A minimal DER walker for the subject Name. */
    static final class Der {
        final byte[] b;
        int pos;
        final int end;

        Der(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        int tag;
        int start;
        int len;

        boolean next() {
            if (pos >= end) return false;
            tag = b[pos++] & 0xff;
            int l = b[pos++] & 0xff;
            if (l >= 0x80) {
                int k = l & 0x7f;
                l = 0;
                for (int j = 0; j < k; j++) l = (l << 8) | (b[pos++] & 0xff);
            }
            start = pos;
            len = l;
            pos += l;
            if (pos > end) throw new IllegalArgumentException("bad DER");
            return true;
        }

        Der inner() {
            return new Der(b, start, start + len);
        }
    }

    static final byte[] OID_CN = {0x55, 0x04, 0x03};

    /** Every CN of the subject, decoded from its DER. */
    static List<String> subjectCNs(X509Certificate cert) {
        byte[] name = cert.getSubjectX500Principal().getEncoded();
        Der top = new Der(name, 0, name.length);
        List<String> out = new ArrayList<>();
        if (!top.next() || top.tag != 0x30) throw new IllegalArgumentException("bad subject");
        Der rdns = top.inner();
        while (rdns.next()) {
            Der set = rdns.inner();
            while (set.next()) {
                Der atv = set.inner();
                if (!atv.next() || atv.tag != 0x06) continue;
                byte[] oid = java.util.Arrays.copyOfRange(name, atv.start, atv.start + atv.len);
                if (!atv.next()) continue;
                if (!java.util.Arrays.equals(oid, OID_CN)) continue;
                byte[] v = java.util.Arrays.copyOfRange(name, atv.start, atv.start + atv.len);
                switch (atv.tag) {
                    case 0x1e: out.add(new String(v, StandardCharsets.UTF_16BE)); break;
                    case 0x14: out.add(new String(v, StandardCharsets.ISO_8859_1)); break;
                    default: out.add(new String(v, StandardCharsets.UTF_8)); break;
                }
            }
        }
        return out;
    }

    /** The CN by the faulty DN-string reading (cn_from_dn_string / client_cn_contains). */
    static String cnFromDnString(X509Certificate cert) {
        String dn = cert.getSubjectX500Principal().getName();
        int a = dn.indexOf("CN=");
        if (a < 0) return null;
        int b = dn.indexOf(',', a);
        return dn.substring(a + 3, b < 0 ? dn.length() : b);
    }

    // ------------------------------------------------------------------ CRL

    static final class Crl {
        final X509Certificate root;
        final URI uri;
        final SSLContext caContext;
        volatile X509CRL current;

        Crl(X509Certificate root, String caUrl, SSLContext caContext) {
            this.root = root;
            String base = caUrl.endsWith("/") ? caUrl.substring(0, caUrl.length() - 1) : caUrl;
            this.uri = URI.create(base + "/v1/crl");
            this.caContext = caContext;
        }

        void fetch() throws Exception {
            HttpClient client = HttpClient.newBuilder().sslContext(caContext)
                    .connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) throw new IOException("CRL fetch: HTTP " + r.statusCode());
            X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new java.io.ByteArrayInputStream(r.body()));
            if (!crl.getIssuerX500Principal().equals(root.getSubjectX500Principal())) throw new IOException("CRL issuer is not the root");
            crl.verify(root.getPublicKey());
            current = crl;
        }

        /** Null when usable, else why every certificate is refused. */
        String staleReason() {
            X509CRL c = current;
            if (c == null) return "no CRL";
            Date next = c.getNextUpdate();
            if (next == null) return "CRL without nextUpdate";
            if (next.getTime() < System.currentTimeMillis()) return "CRL past its nextUpdate";
            if (next.getTime() - c.getThisUpdate().getTime() > 7L * 86400 * 1000) return "CRL lives longer than 7 days";
            return null;
        }

        void startRefresh(double seconds) {
            if (seconds <= 0) return;
            Thread t = new Thread(() -> {
                while (true) {
                    try {
                        Thread.sleep((long) (seconds * 1000));
                        fetch();
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        System.err.println("pki7: CRL refresh failed: " + e);
                    }
                }
            }, "crl-refresh");
            t.setDaemon(true);
            t.start();
        }
    }

    // ------------------------------------------------------------------ trust

    static final String EKU_SERVER = "1.3.6.1.5.5.7.3.1";
    static final String EKU_CLIENT = "1.3.6.1.5.5.7.3.2";

    /** The SPEC's certificate checks; `expectedAlias` non-null on the initiator. */
    static final class Trust extends X509ExtendedTrustManager {
        final X509Certificate root;
        final Crl crl; // null: no revocation check (a fault)
        final boolean client;
        final String expectedAlias;

        Trust(X509Certificate root, Crl crl, boolean client, String expectedAlias) {
            this.root = root;
            this.crl = crl;
            this.client = client;
            this.expectedAlias = expectedAlias;
        }

        /** The fault trust_cache_by_subject: subjects whose chain verified once. */
        final Set<javax.security.auth.x500.X500Principal> verified = ConcurrentHashMap.newKeySet();

        void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) throw new CertificateException("no peer certificate");
            X509Certificate leaf = chain[0];
            boolean cache = !client && Faults.on("trust_cache_by_subject");
            if (cache && verified.contains(leaf.getSubjectX500Principal())) {
                return; // "this peer was verified already": a full check per connection is slow
            }
            if (!client && Faults.on("b28_root_in_chain_refused") && chain.length > 1) {
                throw new CertificateException("a chain of more than one certificate"); // L1: "exactly the employee certificate"
            }
            chainOf.set(chain);
            checkLeaf(leaf);
            if (cache) verified.add(leaf.getSubjectX500Principal());
        }

        /** The chain being checked (chain_last_verified reads its last certificate). */
        final ThreadLocal<X509Certificate[]> chainOf = new ThreadLocal<>();

        void checkLeaf(X509Certificate leaf) throws CertificateException {
            boolean trustAll = client ? Faults.on("client_trust_all") : Faults.on("trust_all_manager");
            if (!trustAll) {
                X509Certificate[] sent = chainOf.get();
                if (!(!client && Faults.on("chain_last_verified") && sent != null && sent.length > 1)
                        && !leaf.getIssuerX500Principal().equals(root.getSubjectX500Principal())) throw new CertificateException("not issued by the root");
                // chain_last_verified: "the chain must end at the root": its last certificate checked.
                X509Certificate anchored = !client && Faults.on("chain_last_verified") && sent != null ? sent[sent.length - 1] : leaf;
                if (anchored != leaf && !anchored.getIssuerX500Principal().equals(root.getSubjectX500Principal())) throw new CertificateException("not issued by the root");
                try {
                    anchored.verify(root.getPublicKey());
                } catch (java.security.SignatureException e) {
                    throw new CertificateException("signature does not verify with the root's key");
                } catch (Exception e) {
                    // verify_other_exceptions_pass: only a SignatureException is "a bad signature";
                    // InvalidKeyException & co. are "our environment", logged and let through.
                    if (client || !Faults.on("verify_other_exceptions_pass")) throw new CertificateException("signature does not verify with the root's key");
                    System.err.println("pki7: could not verify the peer's signature: " + e);
                }
                if (leaf.getVersion() != 3) throw new CertificateException("not X.509 v3");
                if (!client && Faults.on("not_before_unchecked")) {
                    if (leaf.getNotAfter().before(new Date())) throw new CertificateException("expired");
                } else if (client && Faults.on("client_expiry_grace_day")) {
                    // "clock skew": a day of grace after notAfter
                    if (leaf.getNotAfter().getTime() + 86_400_000L < System.currentTimeMillis()) throw new CertificateException("expired");
                    if (leaf.getNotBefore().after(new Date())) throw new CertificateException("not yet valid");
                } else if (!client && Faults.on("b25_validity_at_request")) {
                    // b25_validity_at_request (L4): "a certificate can expire during a long connection": checked per request instead
                } else {
                    leaf.checkValidity();
                }
            }
            if (client || !Faults.on("any_hash_accepted")) {
                String sigOid = leaf.getSigAlgOID();
                if (!sigOid.equals("1.2.840.10045.4.3.2") && !sigOid.equals("1.2.840.113549.1.1.11")) {
                    throw new CertificateException("signature algorithm is not SHA-256");
                }
            }
            PublicKey key = leaf.getPublicKey();
            if (key instanceof ECPublicKey) {
                if (!((ECPublicKey) key).getParams().getOrder().equals(P256_ORDER)) throw new CertificateException("EC key not on P-256");
            } else if (key instanceof RSAPublicKey) {
                if (((RSAPublicKey) key).getModulus().bitLength() < 2048) throw new CertificateException("RSA key below 2048 bits");
            } else {
                throw new CertificateException("unsupported key type");
            }
            if (client || !Faults.on("ca_leaf_accepted")) {
                if (leaf.getExtensionValue("2.5.29.19") == null && !(client && Faults.on("client_bc_absent_passes"))) throw new CertificateException("no BasicConstraints");
                if (leaf.getBasicConstraints() != -1) throw new CertificateException("CA:TRUE");
            }
            boolean[] ku = leaf.getKeyUsage();
            boolean kuAbsentOk = !client && Faults.on("responder_ku_absent_passes"); // "no KeyUsage: any use"
            if ((ku == null && !kuAbsentOk) || (ku != null && !ku[0])) throw new CertificateException("KeyUsage lacks digitalSignature");
            if (client || !Faults.on("eku_unchecked")) {
                List<String> eku = leaf.getExtendedKeyUsage();
                String need = client || Faults.on("responder_eku_server_auth") ? EKU_SERVER : EKU_CLIENT;
                boolean ekuAbsentOk = client && Faults.on("client_eku_absent_passes"); // RFC 5280: absent = any purpose
                if ((eku == null && !ekuAbsentOk) || (eku != null && !eku.contains(need))) throw new CertificateException("EKU lacks " + (client ? "serverAuth" : "clientAuth"));
            }
            String cn = peerAlias(leaf, client);
            if (cn == null) throw new CertificateException("subject must have exactly one CN");
            if (!client && Faults.on("b25_alias_pattern_32") && !cn.matches("[a-z0-9][a-z0-9._-]{0,31}")) {
                throw new CertificateException("not a valid alias"); // b25_alias_pattern_32 (L2): the length taken from the examples
            }
            if (client && !Faults.on("client_cn_unchecked")) {
                boolean match;
                if (Faults.on("client_cn_contains")) {
                    match = leaf.getSubjectX500Principal().getName().contains("CN=" + expectedAlias);
                } else {
                    String seen = Faults.on("client_cn_trimmed") ? cn.trim() : cn;
                    match = java.util.Arrays.equals(seen.getBytes(StandardCharsets.UTF_8), expectedAlias.getBytes(StandardCharsets.UTF_8));
                }
                if (!match) throw new CertificateException("the responder's CN is not the alias asked for");
            }
            boolean noRevocation = client ? Faults.on("client_no_crl") || (Faults.on("r18_client_put_no_crl") && crl == null) : Faults.on("revocation_disabled") || Faults.on("r18_revoked_after_handshake_bare_close");
            if (!noRevocation && crl != null) {
                String stale = crl.staleReason();
                if (stale != null) throw new CertificateException(stale);
                if (!client && Faults.on("crl_first_entry_only")) {
                    Set<? extends java.security.cert.X509CRLEntry> all = crl.current.getRevokedCertificates();
                    if (all != null && !all.isEmpty() && all.iterator().next().getSerialNumber().equals(leaf.getSerialNumber())) {
                        throw new CertificateException("certificate revoked");
                    }
                } else if (crl.current.isRevoked(leaf)) {
                    throw new CertificateException("certificate revoked");
                }
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {root};
        }
    }

    /** The peer's alias: its single CN, or null (none or several). */
    static String peerAlias(X509Certificate leaf, boolean client) {
        if (!client && Faults.on("cn_from_dn_string")) return cnFromDnString(leaf);
        List<String> cns = subjectCNs(leaf);
        return cns.size() == 1 ? cns.get(0) : null;
    }

    static final class Keys extends X509ExtendedKeyManager {
        final PrivateKey key;
        final X509Certificate cert;

        Keys(PrivateKey key, X509Certificate cert) {
            this.key = key;
            this.cert = cert;
        }

        boolean fits(String keyType) {
            String alg = key.getAlgorithm();
            return keyType != null && (keyType.equalsIgnoreCase(alg) || (alg.equals("RSA") && keyType.startsWith("RSA")));
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return fits(keyType) ? new String[] {"me"} : null;
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            for (String t : keyTypes) if (fits(t)) return "me";
            return null;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return chooseClientAlias(keyTypes, issuers, null);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return fits(keyType) ? new String[] {"me"} : null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return fits(keyType) ? "me" : null;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return chooseServerAlias(keyType, issuers, null);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return new X509Certificate[] {cert};
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return key;
        }
    }

    static void pinJsse(boolean client) {
        String proto = (client ? Faults.on("client_tls12") : Faults.on("tls12_enabled")) ? "TLSv1.3,TLSv1.2" : "TLSv1.3";
        System.setProperty("jdk.tls.client.protocols", proto);
        System.setProperty("jdk.tls.server.protocols", proto);
        // r18_client_default_groups (L6): "the groups are the server's business": pinned for the responder only
        if (!(!client && Faults.on("default_named_groups")) && !(client && Faults.on("r18_client_default_groups"))) {
            System.setProperty("jdk.tls.namedGroups", "x25519,secp256r1,secp384r1");
        }
        String schemes = "ecdsa_secp256r1_sha256,rsa_pss_rsae_sha256,rsa_pss_rsae_sha384,rsa_pss_rsae_sha512,rsa_pkcs1_sha256";
        System.setProperty("jdk.tls.client.SignatureSchemes", schemes);
        if (client || !Faults.on("any_hash_accepted")) System.setProperty("jdk.tls.server.SignatureSchemes", schemes);
        System.setProperty("jdk.tls.client.enableSessionTicketExtension", "false");
        System.setProperty("jdk.tls.server.enableSessionTicketExtension", "false");
        System.setProperty("com.sun.net.ssl.requireCloseNotify", "true");
        System.setProperty("jdk.tls.acknowledgeCloseNotify", "true");
    }

    static String[] protocols(boolean client) {
        return (client ? Faults.on("client_tls12") : Faults.on("tls12_enabled")) ? new String[] {"TLSv1.3", "TLSv1.2"} : new String[] {"TLSv1.3"};
    }

    static String[] suites(boolean client) {
        if (client ? Faults.on("client_tls12") : Faults.on("tls12_enabled")) {
            return new String[] {SUITES[0], SUITES[1], SUITES[2], "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"};
        }
        return SUITES.clone();
    }

    /** A context trusting the root only, for the CA's HTTPS. */
    static SSLContext caContext(X509Certificate root) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, tmf.getTrustManagers(), RNG);
        return ctx;
    }

    // ------------------------------------------------------------------ common I/O

    /** One TLS connection: its raw socket (for the watchdog), streams, deadlines. */
    static final class Conn {
        final Socket raw;
        SSLSocket tls;
        final String addr;
        final long acceptedAt = System.nanoTime();
        volatile long deadline; // System.nanoTime() deadline, 0 = none
        volatile boolean pending = true;
        volatile boolean gone;
        volatile boolean leaked; // slot_leak_on_fatal, pending_leak_on_failed_handshake
        InputStream in;
        OutputStream out;
        long idleNanos;

        Conn(Socket raw) {
            this.raw = raw;
            this.addr = raw.getInetAddress().getHostAddress();
        }

        /** Ends the TCP connection at once: a reset for a stalled writer (LIM-10: unsent
         *  bytes must not keep the socket), a plain close (FIN) before the handshake ends
         *  (LIM-1/8/9: a refused client then sees the end of the stream). */
        void abort() {
            try {
                if (!pending) raw.setSoLinger(true, 0);
            } catch (IOException e) {
                // closing anyway
            }
            try {
                raw.close();
            } catch (IOException e) {
                // already closed
            }
        }

        void write(byte[] data) throws IOException {
            int off = 0;
            while (off < data.length) {
                int n = Math.min(16384, data.length - off);
                if (!Faults.on("no_send_timeout")) deadline = System.nanoTime() + idleNanos;
                out.write(data, off, n);
                deadline = 0;
                off += n;
            }
            out.flush();
        }

        /** close_notify, then the TCP close. */
        void close() {
            if (Faults.on("raw_close_no_notify") && tls != null && !tls.getUseClientMode()) {
                abortQuietly();
                return;
            }
            try {
                if (tls != null) {
                    deadline = System.nanoTime() + Math.max(idleNanos, 1_000_000_000L);
                    tls.shutdownOutput();
                    drainBriefly();
                }
            } catch (IOException | UnsupportedOperationException e) {
                // the peer is gone
            }
            try {
                if (tls != null) tls.close();
                raw.close();
            } catch (IOException e) {
                // already closed
            }
            deadline = 0;
        }

        /**
         * Reads and drops what the peer still sends, until its close (at most 1 s): a TCP
         * close with unread bytes is a reset, and a reset can discard, at the peer, the
         * EROR and close_notify just written before it reads them.
         */
        void drainBriefly() {
            long end = System.nanoTime() + 1_000_000_000L;
            byte[] sink = new byte[16384];
            try {
                while (System.nanoTime() < end) {
                    int left = (int) Math.max(1, (end - System.nanoTime()) / 1_000_000L);
                    raw.setSoTimeout(left);
                    if (in.read(sink) < 0) return;
                }
            } catch (IOException e) {
                // timed out, reset or closed: close now
            }
        }

        void abortQuietly() {
            try {
                raw.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** A digest as hex; r18_sha_biginteger_hex (L2): new BigInteger(1, d).toString(16) drops leading zeros. */
    static String digestHex(byte[] d) {
        if (Faults.on("r18_sha_biginteger_hex")) return new BigInteger(1, d).toString(16);
        return hex(d);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String randomPart() {
        byte[] r = new byte[16];
        RNG.nextBytes(r);
        return hex(r);
    }

    static final java.nio.file.attribute.FileAttribute<Set<java.nio.file.attribute.PosixFilePermission>> MODE_0600 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    static void fsyncDir(Path dir) {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            // best effort: some file systems refuse a directory fsync
        }
    }

    // ------------------------------------------------------------------ options

    static final class Opts {
        final Map<String, List<String>> named = new LinkedHashMap<>();
        final List<String> positional = new ArrayList<>();

        Opts(String[] args, int from) {
            for (int k = from; k < args.length; k++) {
                String a = args[k];
                if (a.startsWith("-") && a.length() > 1 && k + 1 < args.length) {
                    named.computeIfAbsent(a.replaceFirst("^-+", ""), x -> new ArrayList<>()).add(args[++k]);
                } else {
                    positional.add(a);
                }
            }
        }

        String get(String k, String dflt) {
            List<String> v = named.get(k);
            return v == null ? dflt : v.get(v.size() - 1);
        }

        String need(String k) {
            String v = get(k, null);
            if (v == null) throw new IllegalArgumentException("missing --" + k);
            return v;
        }

        List<String> all(String k) {
            return named.getOrDefault(k, List.of());
        }
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: pki7 serve|get|put ...");
            System.exit(2);
        }
        try {
            switch (args[0]) {
                case "serve":
                    pinJsse(false);
                    new Server(new Opts(args, 1)).run();
                    return;
                case "get":
                case "put":
                    pinJsse(true);
                    System.exit(new Client(args[0], new Opts(args, 1)).run());
                    return;
                default:
                    System.err.println("pki7: unknown command " + args[0]);
                    System.exit(2);
            }
        } catch (Exception e) {
            System.err.println("pki7: " + e.getMessage());
            System.exit(1);
        }
    }

    // ================================================================== responder

    static final class Server {
        final Opts o;
        final X509Certificate cert;
        final PrivateKey key;
        final X509Certificate root;
        final Path share;
        final Path inbox;
        final double hsTimeout;
        final double idleTimeout;
        final long maxFileSize;
        final int maxConnections;
        final int maxPendingPerAddress;
        final Set<String> allow;
        final Crl crl;
        SSLContext ctx;
        final Set<Conn> conns = ConcurrentHashMap.newKeySet();
        final Set<Path> temps = ConcurrentHashMap.newKeySet();
        final Object lock = new Object();
        final Object handshakeLock = new Object(); // handshake_synchronized
        volatile String lastAlias; // b28_shared_current_alias

        Server(Opts o) throws Exception {
            this.o = o;
            cert = loadCert(Paths.get(o.need("cert")));
            key = loadKey(Paths.get(o.need("key")));
            root = loadCert(Paths.get(o.need("root")));
            share = Paths.get(o.need("share")).toAbsolutePath();
            inbox = Paths.get(o.need("inbox")).toAbsolutePath();
            hsTimeout = Double.parseDouble(o.get("handshake-timeout", "10"));
            idleTimeout = Double.parseDouble(o.get("idle-timeout", "60"));
            maxFileSize = Long.parseLong(o.get("max-file-size", "4294967296"));
            maxConnections = Integer.parseInt(o.get("max-connections", "64"));
            maxPendingPerAddress = Integer.parseInt(o.get("max-pending-per-address", "8"));
            allow = new HashSet<>(o.all("allow"));
            crl = new Crl(root, o.need("ca-url"), caContext(root));
        }

        void run() throws Exception {
            Exception last = null;
            for (int attempt = 0; attempt < 5 && crl.current == null; attempt++) {
                try {
                    crl.fetch();
                } catch (Exception e) {
                    last = e;
                    Thread.sleep(500);
                }
            }
            if (crl.current == null) throw new IOException("cannot load the CRL at start (failing closed): " + last);
            crl.startRefresh(Double.parseDouble(o.get("crl-refresh", "300")));
            sweepInbox();
            ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(new javax.net.ssl.KeyManager[] {new Keys(key, cert)},
                    new javax.net.ssl.TrustManager[] {new Trust(root, crl, false, null)}, RNG);
            ctx.getServerSessionContext().setSessionCacheSize(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                for (Path p : temps) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        // best effort at exit
                    }
                }
            }));
            String[] hp = o.get("listen", "127.0.0.1:0").split(":(?=[^:]*$)");
            ServerSocket ss = new ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(InetAddress.getByName(hp[0]), Integer.parseInt(hp[1])), 256);
            Thread wd = new Thread(this::watchdog, "watchdog");
            wd.setDaemon(true);
            wd.start();
            System.out.printf("pki7: handshake_timeout=%s idle_timeout=%s max_file_size=%d max_connections=%d "
                    + "max_pending_per_address=%d crl_refresh=%s%n", hsTimeout, idleTimeout, maxFileSize, maxConnections,
                    maxPendingPerAddress, o.get("crl-refresh", "300"));
            System.out.println("listening on " + hp[0] + ":" + ss.getLocalPort());
            System.out.flush();
            while (true) {
                Socket raw = ss.accept();
                admit(raw);
            }
        }

        void sweepInbox() throws IOException {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(inbox, PARTIAL + "*")) {
                for (Path p : ds) Files.deleteIfExists(p);
            }
        }

        void watchdog() {
            while (true) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                for (Conn c : conns) {
                    long d = c.deadline;
                    if (d != 0 && now - d > 0) {
                        c.deadline = 0;
                        c.abort();
                    }
                }
            }
        }

        void admit(Socket raw) {
            Conn c = new Conn(raw);
            c.idleNanos = (long) (idleTimeout * 1e9);
            synchronized (lock) {
                if (!Faults.on("no_per_address_cap")) {
                    int pendingHere = 0;
                    // pending_count_or (L4): || for &&: established connections of the address counted too
                    for (Conn x : conns) if (Faults.on("pending_count_or") ? x.pending || x.addr.equals(c.addr) : x.pending && x.addr.equals(c.addr)) pendingHere++;
                    if (pendingHere >= maxPendingPerAddress) {
                        c.abort();
                        return;
                    }
                }
                if (conns.size() >= maxConnections) {
                    Conn oldest = null;
                    if (!Faults.on("no_handshake_eviction")) {
                        for (Conn x : conns) if (x.pending && (oldest == null || x.acceptedAt < oldest.acceptedAt)) oldest = x;
                    }
                    if (oldest == null) {
                        c.abort();
                        return;
                    }
                    conns.remove(oldest);
                    oldest.gone = true;
                    oldest.abort();
                }
                conns.add(c);
            }
            if (!Faults.on("handshake_so_timeout")) c.deadline = System.nanoTime() + (long) (hsTimeout * 1e9);
            Thread t = new Thread(() -> serve(c), "conn");
            t.setDaemon(true);
            t.start();
        }

        void serve(Conn c) {
            try {
                c.raw.setSoTimeout((int) Math.max(1, hsTimeout * 1000));
                c.raw.setTcpNoDelay(true);
                SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(c.raw, null, c.raw.getPort(), true);
                c.tls = s;
                s.setUseClientMode(false);
                s.setEnabledProtocols(protocols(false));
                s.setEnabledCipherSuites(suites(false));
                SSLParameters p = s.getSSLParameters();
                if (Faults.on("want_client_auth") || Faults.on("want_auth_bare_close")) p.setWantClientAuth(true);
                else p.setNeedClientAuth(true);
                if (!Faults.on("alpn_unchecked")) p.setApplicationProtocols(new String[] {ALPN});
                s.setSSLParameters(p);
                if (!Faults.on("alpn_unchecked")) {
                    if (Faults.on("alpn_prefix_match")) { // L2: "any version of our protocol"
                        s.setHandshakeApplicationProtocolSelector((sock, offered) -> offered.stream().filter(a -> a.startsWith("sft-pki/")).findFirst().orElse(null));
                    } else {
                        s.setHandshakeApplicationProtocolSelector((sock, offered) -> offered.contains(ALPN) ? ALPN : null);
                    }
                }
                if (Faults.on("handshake_synchronized")) {
                    // L1: "the SSLContext's session cache is not safe under concurrent handshakes"
                    synchronized (handshakeLock) {
                        s.startHandshake();
                    }
                } else {
                    s.startHandshake();
                }
                c.deadline = 0;
                c.pending = false;
                SSLSession session = s.getSession();
                String alias = null;
                X509Certificate leafSeen = null;
                try {
                    X509Certificate leaf = (X509Certificate) session.getPeerCertificates()[0];
                    leafSeen = leaf;
                    alias = peerAlias(leaf, false);
                } catch (SSLException e) {
                    if (!Faults.on("want_client_auth")) throw e;
                }
                session.invalidate();
                if (Faults.on("b28_shared_current_alias")) lastAlias = alias; // L6: "the current peer"
                if (Faults.on("r18_revoked_after_handshake_bare_close")) {
                    // L5: "the CRL lookup after the handshake, off the TLS stack's thread": a revoked peer just dropped
                    X509Certificate leaf = (X509Certificate) session.getPeerCertificates()[0];
                    if (crl.current != null && crl.current.isRevoked(leaf)) {
                        c.abortQuietly();
                        return;
                    }
                }
                String chosen = s.getApplicationProtocol();
                boolean alpnOk = Faults.on("alpn_prefix_match") ? chosen != null && chosen.startsWith("sft-pki/") : ALPN.equals(chosen);
                if (!Faults.on("alpn_unchecked") && !Faults.on("alpn_selector_only") && !alpnOk) {
                    c.close();
                    return;
                }
                if (alias == null && !Faults.on("want_client_auth")) {
                    c.out = s.getOutputStream();
                    c.write(eror(AUTH_FAILED, "authentication failed"));
                    c.close();
                    return;
                }
                c.raw.setSoTimeout(Faults.on("no_idle_timeout") ? 0 : (int) Math.max(1, idleTimeout * 1000));
                c.in = s.getInputStream();
                c.out = s.getOutputStream();
                Session ses = new Session(this, c, alias);
                ses.peerLeaf = leafSeen;
                ses.loop();
            } catch (Exception e) {
                c.abortQuietly();
                // pending_leak_on_failed_handshake: the slot given back on the session's way out only
                if (c.pending && Faults.on("pending_leak_on_failed_handshake")) c.leaked = true;
            } finally {
                c.deadline = 0;
                synchronized (lock) {
                    if (!c.leaked) conns.remove(c);
                }
            }
        }

        boolean allowed(String alias) {
            if (allow.isEmpty()) return true;
            if (alias == null) return Faults.on("want_client_auth");
            if (Faults.on("allow_list_ignore_case")) {
                for (String a : allow) if (a.equalsIgnoreCase(alias)) return true;
                return false;
            }
            for (String a : allow) {
                if (java.util.Arrays.equals(a.getBytes(StandardCharsets.UTF_8), alias.getBytes(StandardCharsets.UTF_8))) return true;
            }
            return false;
        }
    }

    /** The application protocol of one responder connection. */
    static final class Session {
        final Server srv;
        final Conn c;
        final String alias;
        final FrameReader r;
        // put state
        boolean receiving;
        Path temp;
        SeekableByteChannel tempCh;
        String putName;
        long putSize;
        String putSha;
        long received;
        MessageDigest digest;

        X509Certificate peerLeaf; // b25_validity_at_request

        Session(Server srv, Conn c, String alias) {
            this.srv = srv;
            this.c = c;
            this.alias = alias;
            this.r = new FrameReader(c.in);
        }

        void loop() {
            try {
                while (true) {
                    Header h;
                    try {
                        h = r.header();
                    } catch (ProtoError e) {
                        fail(e);
                        if (Faults.on("fatal_error_keeps_reading") && e.code == BAD_FRAME) continue;
                        return;
                    }
                    if (h == null) { // close_notify at a frame boundary
                        discard();
                        c.close();
                        return;
                    }
                    try {
                        if (!handle(h)) return;
                        if (Faults.on("r18_resync_skip_available") && !receiving && (h.type.equals("RQFL") || h.type.equals("DONE"))) {
                            // L3: "resynchronise after an answer": what a confused peer sent meanwhile is dropped
                            int stale = c.in.available();
                            if (stale > 0) c.in.skip(stale);
                        }
                    } catch (ProtoError e) {
                        if (!fatal(e.code)) {
                            c.write(eror(e.code, e.getMessage()));
                            continue;
                        }
                        fail(e);
                        if (Faults.on("fatal_error_keeps_reading") && e.code == BAD_FRAME) continue;
                        return;
                    }
                }
            } catch (SocketTimeoutException e) {
                discard();
                if (Faults.on("no_idle_timeout")) return;
                if (Faults.on("idle_close_without_eror")) {
                    c.close();
                    return;
                }
                try {
                    c.write(eror(TIMEOUT, "idle timeout"));
                } catch (IOException x) {
                    // the peer is gone
                }
                c.close();
            } catch (IOException e) {
                discard();
                c.abortQuietly();
            } finally {
                discard();
            }
        }

        void fail(ProtoError e) throws IOException {
            if (Faults.on("slot_leak_on_fatal")) c.leaked = true; // "the fatal path returns early"
            discard();
            if (e.send) {
                try {
                    c.write(eror(e.code, e.getMessage()));
                } catch (IOException x) {
                    // the peer is gone
                }
            }
            if (!Faults.on("fatal_error_keeps_reading") || e.code != BAD_FRAME) c.close();
        }

        void discard() {
            if (tempCh != null) {
                try {
                    tempCh.close();
                } catch (IOException e) {
                    // closing anyway
                }
                tempCh = null;
            }
            if (temp != null) {
                if (!Faults.on("partial_left_behind")) {
                    try {
                        Files.deleteIfExists(temp);
                    } catch (IOException e) {
                        // nothing more to do
                    }
                }
                srv.temps.remove(temp);
                temp = null;
            }
            receiving = false;
        }

        /** Handles one frame whose header arrived; false when the connection ended. */
        boolean handle(Header h) throws IOException, ProtoError {
            switch (h.type) {
                case "EROR":
                    if (Faults.on("b28_eror_unknown_code_ignored")) {
                        // L1: "codes above the table are a newer peer's notices"
                        byte[] ep = r.payload(h);
                        try {
                            if (Json.integer(Json.object(ep), "code") > 14) return true;
                        } catch (ProtoError e) {
                            // malformed: closed below
                        }
                        discard();
                        c.close();
                        return false;
                    }
                    if (Faults.on("b25_eror_malformed_ignored")) {
                        // b25_eror_malformed_ignored (L3): "an EROR we cannot read is line noise from an odd peer"
                        try {
                            Json.integer(Json.object(r.payload(h)), "code");
                        } catch (ProtoError e) {
                            return true;
                        }
                    }
                    discard();
                    c.close();
                    return false;
                case "DATA":
                    if (!receiving && Faults.on("b25_idle_data_drained")) {
                        r.payload(h); // b25_idle_data_drained (L3): "DATA a pipelining peer sent after its put was refused"
                        return true;
                    }
                    if (!receiving) throw new ProtoError(UNEXPECTED, "DATA outside a put");
                    data(h);
                    return true;
                case "DONE":
                    if (!receiving && Faults.on("own_frames_echo_ignored")) {
                        r.payload(h); // L2: "our own answer echoed back by a confused peer: skip it"
                        return true;
                    }
                    if (!receiving) throw new ProtoError(UNEXPECTED, "DONE outside a put");
                    done(Json.object(r.payload(h)));
                    return true;
                case "RQFL":
                case "PUTF":
                case "BYE_":
                    if (receiving && !(h.type.equals("BYE_") && Faults.on("r18_bye_during_put"))) throw new ProtoError(UNEXPECTED, h.type + " during a put");
                    if (receiving) discard(); // r18_bye_during_put (L3): "BYE_ ends anything": the put dropped, BYE_ echoed
                    break;
                case "RSFL":
                    if (!receiving && Faults.on("own_frames_echo_ignored")) {
                        r.payload(h);
                        return true;
                    }
                    throw new ProtoError(UNEXPECTED, h.type + " is not a request");
                default:
                    if (!TYPES.contains(h.type) && Faults.on("unknown_type_skipped")) {
                        r.payload(h); // L3: "a frame type of a newer version: skip it"
                        return true;
                    }
                    throw new ProtoError(UNEXPECTED, h.type + " is not a request");
            }
            Map<String, Object> m = Json.object(r.payload(h));
            if (h.type.equals("BYE_")) {
                c.write(control("BYE_", "{}"));
                c.close();
                return false;
            }
            String name = Json.str(m, "name");
            long size = 0;
            String sha = null;
            if (h.type.equals("PUTF")) {
                size = Json.integer(m, "size");
                sha = Json.sha(m, "sha256", false);
            }
            if (Faults.on("b25_validity_at_request") && peerLeaf != null) {
                try {
                    peerLeaf.checkValidity();
                } catch (java.security.cert.CertificateException e) {
                    c.write(eror(FORBIDDEN, "certificate not valid now"));
                    c.close();
                    return false;
                }
            }
            if (!srv.allowed(Faults.on("b28_shared_current_alias") ? srv.lastAlias : alias) && !(Faults.on("allow_list_get_only") && h.type.equals("PUTF"))) {
                c.write(eror(FORBIDDEN, "not authorised"));
                if (Faults.on("forbidden_keeps_open")) return true;
                c.close();
                return false;
            }
            if (h.type.equals("RQFL")) get(name);
            else put(name, size, sha);
            return true;
        }

        // ---- get

        void get(String name) throws IOException, ProtoError {
            if (Faults.on("get_case_fallback")) {
                try {
                    getExact(name);
                } catch (ProtoError e) {
                    if (e.code != NOT_FOUND || name.contains("/")) throw e;
                    getIgnoringCase(name, e); // "Windows users type names in any case"
                }
                return;
            }
            getExact(name);
        }

        void getIgnoringCase(String name, ProtoError notFound) throws IOException, ProtoError {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(srv.share)) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (!n.equalsIgnoreCase(name) || n.startsWith(PARTIAL)) continue;
                    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) continue;
                    try (SeekableByteChannel file = Files.newByteChannel(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                        sendFile(name, file, file.size());
                    }
                    return;
                }
            }
            throw notFound;
        }

        void getExact(String name) throws IOException, ProtoError {
            List<String> comps = checkName(name);
            if (Faults.on("normalize_confinement") || Faults.on("realpath_string_prefix")) {
                getByPath(name);
                return;
            }
            if (comps.get(comps.size() - 1).startsWith(PARTIAL)) throw new ProtoError(FORBIDDEN, "reserved name");
            try (DirectoryStream<Path> top = Files.newDirectoryStream(srv.share)) {
                if (!(top instanceof SecureDirectoryStream)) throw new ProtoError(INTERNAL, "no SecureDirectoryStream");
                @SuppressWarnings("unchecked")
                SecureDirectoryStream<Path> dir = (SecureDirectoryStream<Path>) top;
                List<SecureDirectoryStream<Path>> opened = new ArrayList<>();
                try {
                    for (int k = 0; k < comps.size(); k++) {
                        Path comp = Paths.get(comps.get(k));
                        BasicFileAttributes a;
                        try {
                            a = dir.getFileAttributeView(comp, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
                        } catch (NoSuchFileException e) {
                            throw new ProtoError(NOT_FOUND, "no such file");
                        } catch (IOException e) {
                            throw new ProtoError(NOT_FOUND, "no such file");
                        }
                        if (a.isSymbolicLink() && Faults.on("b25_link_target_in_message")) {
                            // b25_link_target_in_message (L6): "a helpful message": where the link leads, and whether it is there
                            Path link = srv.share.resolve(String.join("/", comps.subList(0, k + 1)));
                            Path to = Files.readSymbolicLink(link);
                            throw new ProtoError(FORBIDDEN, "symbolic link refused: " + to + (Files.exists(link) ? "" : " (missing)"));
                        }
                        if (a.isSymbolicLink()) throw new ProtoError(FORBIDDEN, "symbolic link refused");
                        if (k < comps.size() - 1) {
                            if (!a.isDirectory()) throw new ProtoError(NOT_FOUND, "no such file");
                            try {
                                dir = dir.newDirectoryStream(comp, LinkOption.NOFOLLOW_LINKS);
                            } catch (IOException e) {
                                throw new ProtoError(FORBIDDEN, "name refused");
                            }
                            opened.add(dir);
                            continue;
                        }
                        if (a.isDirectory() && Faults.on("r18_directory_forbidden")) throw new ProtoError(FORBIDDEN, "a directory cannot be sent"); // L5
                        if (!a.isRegularFile()) throw new ProtoError(NOT_FOUND, "not a regular file");
                        SeekableByteChannel ch;
                        try {
                            ch = dir.newByteChannel(comp, Set.<java.nio.file.OpenOption>of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
                        } catch (IOException e) {
                            throw new ProtoError(FORBIDDEN, "name refused");
                        }
                        try (SeekableByteChannel file = ch) {
                            sendFile(name, file, file.size());
                        }
                    }
                } finally {
                    for (SecureDirectoryStream<Path> d : opened) d.close();
                }
            }
        }

        /** The faulty path-based lookup (normalize_confinement, realpath_string_prefix). */
        void getByPath(String name) throws IOException, ProtoError {
            Path p = srv.share.resolve(name);
            if (Faults.on("normalize_confinement")) {
                p = p.normalize();
                if (!p.startsWith(srv.share)) throw new ProtoError(FORBIDDEN, "outside the share");
            } else {
                try {
                    Path real = p.toRealPath();
                    if (!real.toString().startsWith(srv.share.toRealPath().toString())) throw new ProtoError(FORBIDDEN, "outside the share");
                    p = real;
                } catch (NoSuchFileException e) {
                    throw new ProtoError(NOT_FOUND, "no such file");
                }
            }
            if (!Files.isRegularFile(p)) throw new ProtoError(NOT_FOUND, "no such file");
            try (SeekableByteChannel file = Files.newByteChannel(p, StandardOpenOption.READ)) {
                sendFile(name, file, file.size());
            }
        }

        void sendFile(String name, SeekableByteChannel file, long size) throws IOException, ProtoError {
            if (size > srv.maxFileSize) throw new ProtoError(TOO_LARGE, "file too large");
            if (Faults.on("r18_rsfl_name_basename")) name = Paths.get(name).getFileName().toString(); // L2: "the file's name"
            c.write(control("RSFL", "{\"name\":" + Json.quote(name) + ",\"size\":" + size + "}"));
            if (Faults.on("b25_get_whole_file_in_memory")) {
                // b25_get_whole_file_in_memory (L5): "files are small": read whole, hashed, then cut into DATA frames
                ByteBuffer all = ByteBuffer.allocate((int) size);
                while (all.hasRemaining() && file.read(all) >= 0) {
                    // until the whole file is in memory
                }
                byte[] whole = all.array();
                for (int at = 0; at < whole.length; at += CHUNK) c.write(frame("DATA", java.util.Arrays.copyOfRange(whole, at, Math.min(whole.length, at + CHUNK))));
                c.write(control("DONE", "{\"size\":" + size + ",\"sha256\":\"" + digestHex(sha256().digest(whole)) + "\"}"));
                return;
            }
            if (Faults.on("b25_get_frames_queued")) {
                // b25_get_frames_queued (L5, post-blind): "one write loop": the DATA frames built into a list first
                MessageDigest q = sha256();
                List<byte[]> frames = new ArrayList<>();
                ByteBuffer qb = ByteBuffer.allocate(CHUNK);
                long queued = 0;
                while (queued < size) {
                    qb.clear();
                    qb.limit((int) Math.min(CHUNK, size - queued));
                    int n = file.read(qb);
                    if (n < 0) throw new ProtoError(INTERNAL, "file shrank while sent");
                    if (n == 0) continue;
                    byte[] chunk = java.util.Arrays.copyOf(qb.array(), n);
                    q.update(chunk);
                    frames.add(frame("DATA", chunk));
                    queued += n;
                }
                for (byte[] fr : frames) c.write(fr);
                c.write(control("DONE", "{\"size\":" + size + ",\"sha256\":\"" + digestHex(q.digest()) + "\"}"));
                return;
            }
            if (Faults.on("b28_get_reads_to_eof")) {
                // L6: the size announced at open, the file read until its end
                MessageDigest e = sha256();
                long out = 0;
                ByteBuffer eb = ByteBuffer.allocate(CHUNK);
                while (true) {
                    eb.clear();
                    int n = file.read(eb);
                    if (n < 0) break;
                    if (n == 0) continue;
                    byte[] chunk = java.util.Arrays.copyOf(eb.array(), n);
                    e.update(chunk);
                    c.write(frame("DATA", chunk));
                    out += n;
                }
                c.write(control("DONE", "{\"size\":" + out + ",\"sha256\":\"" + digestHex(e.digest()) + "\"}"));
                return;
            }
            MessageDigest d = sha256();
            long sent = 0;
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            while (sent < size) {
                buf.clear();
                buf.limit((int) Math.min(CHUNK, size - sent));
                int n = file.read(buf);
                if (n < 0) throw new ProtoError(INTERNAL, "file shrank while sent");
                if (n == 0) continue;
                byte[] chunk = java.util.Arrays.copyOf(buf.array(), n);
                d.update(chunk);
                c.write(frame("DATA", chunk));
                sent += n;
            }
            c.write(control("DONE", "{\"size\":" + size + ",\"sha256\":\"" + digestHex(d.digest()) + "\"}"));
        }

        // ---- put

        void put(String name, long size, String sha) throws IOException, ProtoError {
            if (Faults.on("put_state_before_checks")) receiving = true; // "PUTF moves us to RECEIVING"
            if (Faults.on("temp_before_checks_leaked")) {
                // "fail fast on a full disk": the temporary file first, kept in a local until accepted
                Path early = srv.inbox.resolve(PARTIAL + randomPart());
                Files.newByteChannel(early, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), MODE_0600).close();
                putCheckedName(name, size);
                temp = early;
                tempCh = Files.newByteChannel(temp, EnumSet.of(StandardOpenOption.WRITE), MODE_0600);
                srv.temps.add(temp);
                accept(name, size, sha);
                return;
            }
            putCheckedName(name, size);
            if (Faults.on("temp_named_after_name")) {
                String b = putBase;
                temp = srv.inbox.resolve(PARTIAL + b);
                tempCh = Files.newByteChannel(temp, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), MODE_0600);
            } else {
                temp = srv.inbox.resolve(PARTIAL + randomPart());
                tempCh = Files.newByteChannel(temp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), MODE_0600);
            }
            srv.temps.add(temp);
            accept(name, size, sha);
        }

        String putBase;

        /** The PUTF's checks (name, size, exists); sets putBase. */
        void putCheckedName(String name, long size) throws IOException, ProtoError {
            List<String> comps = Faults.on("r18_put_skips_codepoints") ? java.util.Arrays.asList(name.split("/", -1)) : checkName(name);
            if (Faults.on("r18_put_skips_codepoints")) { // L6: "a put keeps the basename only": its own, shorter check
                String b = comps.get(comps.size() - 1);
                if (b.isEmpty() || b.equals(".") || b.equals("..") || b.indexOf('\\') >= 0 || b.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) throw new ProtoError(FORBIDDEN, "name refused");
            }
            String base = comps.get(comps.size() - 1);
            if (Faults.on("normalize_confinement")) {
                Path n = Paths.get(name).normalize().getFileName();
                if (n == null || n.toString().equals("..") || n.toString().isEmpty()) throw new ProtoError(FORBIDDEN, "name refused");
                base = n.toString();
            }
            // b25_partial_prefix_whole_name (L2): the reserved prefix looked for at the start of the name
            if (Faults.on("b25_partial_prefix_whole_name") ? name.startsWith(PARTIAL) : base.startsWith(PARTIAL)) throw new ProtoError(FORBIDDEN, "reserved name");
            long limitSize = Faults.on("size_int_cast") ? (int) size : size;
            if (Faults.on("size_limit_off_by_one") ? limitSize >= srv.maxFileSize : limitSize > srv.maxFileSize) {
                throw new ProtoError(TOO_LARGE, "file too large");
            }
            if (Faults.on("put_full_path")) base = name;
            Path fin = srv.inbox.resolve(base);
            if (!Faults.on("put_replace_existing") && Files.exists(fin, LinkOption.NOFOLLOW_LINKS)) {
                throw new ProtoError(EXISTS, "exists");
            }
            putBase = base;
        }

        void accept(String name, long size, String sha) throws IOException {
            String base = putBase;
            receiving = true;
            putName = base;
            putSize = size;
            if (sha != null || !Faults.on("put_sha_carried_over")) putSha = sha; // the fault: only set when offered
            received = 0;
            digest = sha256();
            if (Faults.on("put_rsfl_get_form")) { // the get's RSFL writer
                c.write(control("RSFL", "{\"name\":" + Json.quote(base) + ",\"size\":" + size + "}"));
            } else {
                c.write(control("RSFL", "{\"accept\":true,\"name\":" + Json.quote(base) + "}"));
            }
        }

        void data(Header h) throws IOException, ProtoError {
            if (h.length == 0) throw new ProtoError(BAD_FRAME, "empty DATA");
            if (Faults.on("data_limit_off_by_one") ? h.length >= MAX_DATA : h.length > MAX_DATA) {
                throw new ProtoError(BAD_FRAME, "DATA above 1 MiB");
            }
            if (!Faults.on("overflow_at_done") && received + h.length > putSize) {
                throw new ProtoError(INTEGRITY, "more data than announced");
            }
            byte[] p;
            if (Faults.on("data_read_under_server_lock")) {
                // L1: "temps and conns are shared: a put's I/O under the server's lock"
                synchronized (srv.lock) {
                    p = r.payload(h);
                }
            } else {
                p = r.payload(h);
            }
            received += p.length;
            digest.update(p);
            if (received <= putSize) writeFully(tempCh, p); // [APP-STORE-1]
        }

        void done(Map<String, Object> m) throws IOException, ProtoError {
            long size = Json.integer(m, "size");
            String sha = Json.sha(m, "sha256", true);
            String got = digestHex(digest.digest());
            // done_sizes_and (L4): "a size mismatch is DONE against both counts": && for ||
            boolean sizeBad = Faults.on("done_sizes_and") ? size != received && size != putSize : size != received || size != putSize;
            if (sizeBad || !shaEquals(got, sha) || (putSha != null && !shaEquals(got, putSha))) {
                throw new ProtoError(INTEGRITY, "size or SHA-256 mismatch");
            }
            ((FileChannel) tempCh).force(true);
            tempCh.close();
            tempCh = null;
            Path fin = srv.inbox.resolve(putName);
            if (Faults.on("put_replace_existing")) {
                Files.move(temp, fin, StandardCopyOption.REPLACE_EXISTING);
            } else if (Faults.on("commit_atomic_move")) {
                // L6: "checked free at PUTF"; ATOMIC_MOVE is rename(2), which replaces
                Files.move(temp, fin, StandardCopyOption.ATOMIC_MOVE);
            } else {
                try {
                    Files.createLink(fin, temp);
                } catch (FileAlreadyExistsException e) {
                    discard();
                    throw new ProtoError(EXISTS, "exists");
                }
                Files.delete(temp);
            }
            srv.temps.remove(temp);
            temp = null;
            receiving = false;
            fsyncDir(srv.inbox);
            c.write(control("DONE", "{\"size\":" + size + ",\"sha256\":\"" + got + "\"}"));
        }
    }

    // ================================================================== initiator

    static final class Client {
        final String mode;
        final Opts o;
        String alias;
        String host;
        int port;
        Conn c;
        FrameReader r;
        volatile Path temp;
        volatile Path getOut; // b28_client_sigterm_keeps_partial
        boolean continueAnyway; // b28_client_put_continue_timer
        final double timeout;
        final double idle;

        Client(String mode, Opts o) {
            this.mode = mode;
            this.o = o;
            timeout = Double.parseDouble(o.get("timeout", "10"));
            idle = Double.parseDouble(o.get("idle-timeout", o.get("timeout", "60")));
        }

        static final class Failure extends Exception {
            private static final long serialVersionUID = 1L;

            Failure(String m) {
                super(m);
            }
        }

        int run() {
            try {
                if (o.positional.isEmpty()) throw new Failure("usage: pki7 get ALIAS@HOST:PORT NAME -o OUT | put ALIAS@HOST:PORT FILE --as NAME");
                String target = o.positional.get(0);
                int at = target.indexOf('@');
                int colon = target.lastIndexOf(':');
                if (at <= 0 || colon < at) throw new Failure("target must be alias@host:port");
                alias = target.substring(0, at);
                if (Faults.on("b28_client_alias_dns_label") && !alias.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
                    throw new Failure("bad alias: " + alias); // L5: "checked like the host"
                }
                host = target.substring(at + 1, colon);
                if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
                port = Integer.parseInt(target.substring(colon + 1));
                if (port <= 0 || port > 65535) throw new Failure("bad port");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    Path t = temp;
                    Path keep = getOut;
                    if (t != null && keep != null && Faults.on("b28_client_sigterm_keeps_partial")) {
                        try {
                            Files.move(t, keep); // L4: "keep what we have: the get can be resumed"
                            return;
                        } catch (IOException e) {
                            // fall through: removed below
                        }
                    }
                    if (t != null) {
                        try {
                            Files.deleteIfExists(t);
                        } catch (IOException e) {
                            // best effort at exit
                        }
                    }
                }));
                return mode.equals("get") ? get() : put();
            } catch (Failure e) {
                if (Faults.on("b28_client_stack_trace")) e.printStackTrace(); // L3: a debugging leftover
                System.err.println("pki7: " + e.getMessage());
                return 1;
            } catch (Exception e) {
                if (Faults.on("b28_client_stack_trace")) e.printStackTrace(); // L3: a debugging leftover
                System.err.println("pki7: " + e);
                return 1;
            } finally {
                Path t = temp;
                if (t != null) {
                    try {
                        Files.deleteIfExists(t);
                    } catch (IOException e) {
                        // nothing more to do
                    }
                    temp = null;
                }
                if (c != null) c.abortQuietly();
            }
        }

        void connect() throws Exception {
            X509Certificate cert = loadCert(Paths.get(o.need("cert")));
            PrivateKey key = loadKey(Paths.get(o.need("key")));
            X509Certificate root = loadCert(Paths.get(o.need("root")));
            Crl crl = null;
            if (!Faults.on("client_no_crl") && !(Faults.on("r18_client_put_no_crl") && mode.equals("put"))) {
                // r18_client_put_no_crl (L6): "a put only sends our own data": the CRL fetched for gets only
                crl = new Crl(root, o.need("ca-url"), caContext(root));
                try {
                    crl.fetch();
                } catch (Exception e) {
                    throw new Failure("cannot fetch the CRL from the CA: " + e);
                }
            }
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(new javax.net.ssl.KeyManager[] {new Keys(key, cert)},
                    new javax.net.ssl.TrustManager[] {new Trust(root, crl, true, alias)}, RNG);
            Socket raw = new Socket();
            try {
                raw.connect(new InetSocketAddress(host, port), (int) (timeout * 1000));
            } catch (SocketTimeoutException e) {
                throw new Failure("timed out connecting");
            }
            raw.setTcpNoDelay(true);
            c = new Conn(raw);
            c.idleNanos = (long) (idle * 1e9);
            // client_handshake_blocking (L1): "the responder will answer": no read timeout in the handshake
            raw.setSoTimeout(Faults.on("client_handshake_blocking") ? 0 : (int) (timeout * 1000));
            SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true);
            c.tls = s;
            s.setUseClientMode(true);
            s.setEnabledProtocols(protocols(true));
            s.setEnabledCipherSuites(suites(true));
            SSLParameters p = s.getSSLParameters();
            p.setApplicationProtocols(new String[] {ALPN});
            p.setEndpointIdentificationAlgorithm(null);
            s.setSSLParameters(p);
            try {
                try {
                    s.startHandshake();
                } catch (javax.net.ssl.SSLHandshakeException e) {
                    if (!Faults.on("r18_client_tls12_fallback")) throw e;
                    // r18_client_tls12_fallback (L1): "an older responder": one retry with TLSv1.2 enabled
                    c.abortQuietly();
                    raw = new Socket();
                    raw.connect(new InetSocketAddress(host, port), (int) (timeout * 1000));
                    raw.setTcpNoDelay(true);
                    raw.setSoTimeout((int) (timeout * 1000));
                    c = new Conn(raw);
                    c.idleNanos = (long) (idle * 1e9);
                    s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true);
                    c.tls = s;
                    s.setUseClientMode(true);
                    s.setSSLParameters(p);
                    s.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                    s.setEnabledCipherSuites(new String[] {SUITES[0], SUITES[1], SUITES[2], "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
                    s.startHandshake();
                }
            } catch (SocketTimeoutException e) {
                throw new Failure("timed out before the handshake completed");
            } catch (SSLException e) {
                Throwable cause = e.getCause();
                if (cause instanceof EOFException || (e.getMessage() != null && e.getMessage().contains("closed"))) {
                    throw new Failure("server busy: the connection was closed during the handshake (" + e.getMessage() + ")");
                }
                throw new Failure("TLS handshake failed: " + e.getMessage());
            } catch (IOException e) {
                throw new Failure("server busy: the connection ended during the handshake (" + e + ")");
            }
            s.getSession().invalidate();
            String chosenAlpn = s.getApplicationProtocol();
            boolean noAlpnOk = Faults.on("b28_client_alpn_none_accepted") && (chosenAlpn == null || chosenAlpn.isEmpty()); // L4
            if (!noAlpnOk && !ALPN.equals(chosenAlpn)) {
                c.close();
                throw new Failure("the responder did not select ALPN sft-pki/1");
            }
            raw.setSoTimeout((int) Math.max(1, idle * 1000));
            c.in = s.getInputStream();
            c.out = s.getOutputStream();
            r = new FrameReader(c.in, true);
        }

        /** Sends a fatal EROR, closes, and fails. */
        Failure fatalError(int code, String why) {
            try {
                c.write(eror(code, why));
            } catch (IOException e) {
                // the peer is gone
            }
            c.close();
            return new Failure(CODE_NAMES[code] + ": " + why);
        }

        /** The next frame's header; a protocol error in it is answered and fails. */
        Header next(boolean eofOk) throws Exception {
            Header h;
            try {
                h = r.header();
            } catch (ProtoError e) {
                throw fatalError(e.code, e.getMessage());
            } catch (SocketTimeoutException e) {
                throw fatalError(TIMEOUT, "timed out waiting for the responder");
            } catch (IOException e) {
                throw new Failure("connection failed: " + e);
            }
            if (h == null && !eofOk) throw new Failure("the responder closed the connection");
            return h;
        }

        byte[] payload(Header h) throws Exception {
            try {
                return r.payload(h);
            } catch (SocketTimeoutException e) {
                throw fatalError(TIMEOUT, "timed out waiting for the responder");
            } catch (IOException e) {
                throw new Failure("connection failed: " + e);
            }
        }

        Map<String, Object> object(Header h) throws Exception {
            try {
                return Json.object(payload(h));
            } catch (ProtoError e) {
                throw fatalError(e.code, e.getMessage());
            }
        }

        /** A payload nextFrame() already read (b25_client_eror_malformed_skipped). */
        byte[] pendingEror;

        /** The next header; with b25_client_eror_malformed_skipped, malformed EROR frames skipped. */
        Header nextFrame() throws Exception {
            while (true) {
                Header h = next(false);
                if (!Faults.on("b25_client_eror_malformed_skipped") || !h.type.equals("EROR")) return h;
                byte[] p = payload(h);
                try {
                    Json.integer(Json.object(p), "code");
                } catch (ProtoError e) {
                    continue; // L3: "an EROR without a readable code is not an error report"
                }
                pendingEror = p;
                return h;
            }
        }

        Failure fromEror(Header h) throws Exception {
            int code = INTERNAL;
            String msg = "";
            try {
                byte[] pe = pendingEror;
                pendingEror = null;
                Map<String, Object> m = Json.object(pe != null ? pe : payload(h));
                long k = Json.integer(m, "code");
                if (k >= 1 && k <= 14) code = (int) k;
                Object mm = m.get("message");
                if (mm instanceof String) msg = (String) mm;
            } catch (ProtoError e) {
                msg = "malformed EROR";
            }
            c.close();
            String what = code == BUSY ? "server busy" : CODE_NAMES[code];
            return new Failure("the responder answered " + what + " (" + code + "): " + msg.replaceAll("\\p{Cntrl}", "?"));
        }

        void bye() {
            try {
                c.write(control("BYE_", "{}"));
            } catch (IOException e) {
                // the peer is gone
            }
            c.close();
        }

        void sweep(Path dir) {
            long limit = System.currentTimeMillis() - (long) (idle * 1000);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PARTIAL + "*")) {
                for (Path p : ds) {
                    try {
                        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                        if (a.isRegularFile() && a.lastModifiedTime().toMillis() < limit) Files.deleteIfExists(p);
                    } catch (IOException e) {
                        // another initiator's, or gone
                    }
                }
            } catch (IOException e) {
                // no sweep possible
            }
        }

        int get() throws Exception {
            if (o.positional.size() < 2) throw new Failure("get needs a name");
            String name = o.positional.get(1);
            if (Faults.on("b28_client_urldecode_name")) name = java.net.URLDecoder.decode(name, StandardCharsets.UTF_8); // L5: "like the target"
            Path out = Paths.get(o.need("o")).toAbsolutePath();
            Path dir = out.getParent();
            boolean force = o.named.containsKey("force");
            boolean exists = Faults.on("client_exists_follows_links") ? Files.exists(out) : Files.exists(out, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(out);
            if (!Faults.on("client_replace_existing") && !force && exists) {
                throw new Failure("the output " + out + " exists");
            }
            sweep(dir);
            connect();
            c.write(control("RQFL", "{\"name\":" + Json.quote(name) + "}"));
            Header h = nextFrame();
            if (h.type.equals("EROR")) throw fromEror(h);
            if (!h.type.equals("RSFL")) throw fatalError(UNEXPECTED, h.type + " in place of RSFL");
            Map<String, Object> m = object(h);
            String rname;
            long size;
            String rsha;
            try {
                rname = Json.str(m, "name");
                size = Json.integer(m, "size");
                rsha = Json.sha(m, "sha256", false);
            } catch (ProtoError e) {
                throw fatalError(e.code, e.getMessage());
            }
            if (Faults.on("client_stores_rsfl_name")) {
                out = dir.resolve(rname);
            } else if (!rname.equals(name)) {
                throw fatalError(BAD_FRAME, "RSFL names another file");
            }
            Path t = dir.resolve(PARTIAL + randomPart());
            if (Faults.on("b28_client_sigterm_keeps_partial")) getOut = out;
            SeekableByteChannel ch = Files.newByteChannel(t, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), MODE_0600);
            temp = t;
            MessageDigest d = sha256();
            long got = 0;
            StringBuilder head = new StringBuilder(); // b28_client_eror_echoes_content
            try (SeekableByteChannel file = ch) {
                while (true) {
                    h = nextFrame();
                    if (h.type.equals("DATA")) {
                        if (h.length == 0) throw fatalError(BAD_FRAME, "empty DATA");
                        if (h.length > MAX_DATA) throw fatalError(BAD_FRAME, "DATA above 1 MiB");
                        boolean clamp = Faults.on("b28_client_overflow_clamped"); // L1: "never write more than announced": cut, go on
                        if (got + h.length > size && !clamp) throw fatalError(INTEGRITY, "more data than announced");
                        byte[] p = payload(h);
                        if (clamp && got + p.length > size) p = java.util.Arrays.copyOf(p, (int) (size - got));
                        d.update(p);
                        if (Faults.on("b28_client_eror_echoes_content") || Faults.on("b28_client_eror_content_base64") || Faults.on("b28_client_eror_content_hexdump")) {
                            for (int q = 0; q < p.length && head.length() < 48; q++) head.append((char) (p[q] & 0xff));
                        }
                        writeFully(file, p); // a short write is continued [APP-STORE-1]
                        got += p.length;
                        continue;
                    }
                    if (h.type.equals("EROR") && Faults.on("b28_client_unknown_code_skipped")) {
                        // L1: "codes above the table are a newer responder's notices": logged, the get goes on
                        byte[] ep = pendingEror != null ? pendingEror : payload(h);
                        pendingEror = null;
                        long k = -1;
                        try {
                            k = Json.integer(Json.object(ep), "code");
                        } catch (ProtoError e) {
                            // malformed: reported below
                        }
                        if (k > 14) {
                            System.err.println("pki7: notice from the responder (code " + k + ")");
                            continue;
                        }
                        pendingEror = ep;
                    }
                    if (h.type.equals("EROR")) throw fromEror(h);
                    if (!h.type.equals("DONE")) throw fatalError(UNEXPECTED, h.type + " during a get");
                    Map<String, Object> dm = object(h);
                    long dsize;
                    String dsha;
                    try {
                        dsize = Json.integer(dm, "size");
                        dsha = Json.sha(dm, "sha256", true);
                    } catch (ProtoError e) {
                        throw fatalError(e.code, e.getMessage());
                    }
                    String mine = hex(d.digest());
                    boolean ok = got == size && got == dsize;
                    if (Faults.on("client_rsfl_sha_preferred")) ok = ok && mine.equals(rsha != null ? rsha : dsha); // "the announced hash first"
                    else if (!Faults.on("client_sizes_only")) ok = ok && mine.equals(dsha) && (rsha == null || mine.equals(rsha));
                    if (Faults.on("client_verify_in_try")) {
                        // force() throws IOException: the check and the fsync in one try, "warn and go on"
                        try {
                            if (!ok) throw fatalError(INTEGRITY, "size or SHA-256 mismatch");
                            ((FileChannel) file).force(true);
                        } catch (Exception e) {
                            System.err.println("pki7: warning: " + e.getMessage());
                        }
                        break;
                    }
                    if (!ok && Faults.on("b28_client_eror_content_base64")) {
                        byte[] hb = head.toString().getBytes(StandardCharsets.ISO_8859_1);
                        throw fatalError(INTEGRITY, "size or SHA-256 mismatch; head " + java.util.Base64.getEncoder().encodeToString(hb)); // L3
                    }
                    if (!ok && Faults.on("b28_client_eror_content_hexdump")) {
                        StringBuilder dump = new StringBuilder();
                        for (int q = 0; q < Math.min(32, head.length()); q++) dump.append(String.format("%02x ", (int) head.charAt(q)));
                        throw fatalError(INTEGRITY, "size or SHA-256 mismatch; head " + dump.toString().trim()); // L3
                    }
                    if (!ok && Faults.on("b28_client_eror_echoes_content")) {
                        throw fatalError(INTEGRITY, "size or SHA-256 mismatch; received " + got + " bytes starting " + head); // L3
                    }
                    if (!ok) throw fatalError(INTEGRITY, "size or SHA-256 mismatch");
                    ((FileChannel) file).force(true);
                    break;
                }
            }
            if (Faults.on("client_replace_existing") || Faults.on("client_exists_follows_links") || force) {
                Files.move(t, out, StandardCopyOption.REPLACE_EXISTING);
            } else if (Faults.on("client_out_checked_at_start_only")) {
                Files.move(t, out, StandardCopyOption.ATOMIC_MOVE); // L6: "checked free before connecting"
            } else {
                try {
                    Files.createLink(out, t);
                } catch (FileAlreadyExistsException e) {
                    bye();
                    throw new Failure("the output " + out + " appeared meanwhile; not replaced");
                }
                Files.delete(t);
            }
            temp = null;
            fsyncDir(dir);
            bye();
            System.err.println("pki7: got " + name + " (" + got + " bytes)");
            return 0;
        }

        /** The client_put_no_wait fault: DATA and DONE sent without waiting for RSFL. */
        int putOptimistic(Path file, long size) throws Exception {
            MessageDigest d = sha256();
            try (InputStream in = Files.newInputStream(file)) {
                byte[] b = new byte[CHUNK];
                int k;
                while ((k = in.read(b)) > 0) {
                    d.update(b, 0, k);
                    c.write(frame("DATA", java.util.Arrays.copyOf(b, k)));
                }
            }
            c.write(control("DONE", "{\"size\":" + size + ",\"sha256\":\"" + hex(d.digest()) + "\"}"));
            while (true) {
                Header h = next(false);
                if (h.type.equals("EROR")) throw fromEror(h);
                payload(h);
                if (h.type.equals("DONE")) {
                    bye();
                    return 0;
                }
            }
        }

        /** The b28_client_put_retry_exists_success fault: the put re-offered; "exists" is "the first attempt landed". */
        int putRetry(String name, long size, String sha) throws Exception {
            c.abortQuietly();
            System.err.println("pki7: the answer to DONE was lost; offering the put again");
            connect();
            c.write(control("PUTF", "{\"name\":" + Json.quote(name) + ",\"size\":" + size + ",\"sha256\":\"" + sha + "\"}"));
            Header h = next(false);
            if (h.type.equals("EROR")) {
                byte[] ep = payload(h);
                long k = -1;
                try {
                    k = Json.integer(Json.object(ep), "code");
                } catch (ProtoError e) {
                    // malformed: reported below
                }
                if (k == EXISTS) {
                    c.close();
                    System.err.println("pki7: put " + name + " (" + size + " bytes, stored by the first attempt)");
                    return 0;
                }
                pendingEror = ep;
                throw fromEror(h);
            }
            throw fatalError(UNEXPECTED, "the retried put cannot be resumed");
        }

        int put() throws Exception {
            if (o.positional.size() < 2) throw new Failure("put needs a file");
            Path file = Paths.get(o.positional.get(1));
            String name = o.get("as", o.get("name", file.getFileName().toString()));
            if (Faults.on("b28_client_urldecode_name")) name = java.net.URLDecoder.decode(name, StandardCharsets.UTF_8); // L5: "like the target"
            long size;
            String sha;
            MessageDigest d0 = sha256();
            try (InputStream in = Files.newInputStream(file)) {
                byte[] b = new byte[CHUNK];
                long n = 0;
                int k;
                while ((k = in.read(b)) > 0) {
                    d0.update(b, 0, k);
                    n += k;
                }
                size = n;
                sha = hex(d0.digest());
            }
            connect();
            c.write(control("PUTF", "{\"name\":" + Json.quote(name) + ",\"size\":" + size + ",\"sha256\":\"" + sha + "\"}"));
            if (Faults.on("client_put_no_wait")) return putOptimistic(file, size);
            Header h;
            if (Faults.on("b28_client_put_continue_timer")) {
                // L4: "100-continue": 1.5 s for the answer, then the data goes anyway
                c.raw.setSoTimeout(1500);
                boolean timedOut = false;
                try {
                    h = r.header();
                } catch (SocketTimeoutException e) {
                    h = null;
                    timedOut = true;
                } catch (ProtoError e) {
                    throw fatalError(e.code, e.getMessage());
                }
                c.raw.setSoTimeout((int) Math.max(1, idle * 1000));
                if (h == null && !timedOut) throw new Failure("the responder closed the connection");
                if (h == null) {
                    h = new Header("RSFL", 0);
                    continueAnyway = true;
                }
            } else {
                h = next(false);
            }
            if (h.type.equals("EROR")) throw fromEror(h);
            if (!h.type.equals("RSFL")) throw fatalError(UNEXPECTED, h.type + " in place of RSFL");
            Map<String, Object> m = continueAnyway ? Map.of("accept", Boolean.TRUE, "name", name) : object(h);
            Object accept = m.get("accept");
            boolean accepted = Faults.on("client_accept_truthy") ? m.containsKey("accept") && !Boolean.FALSE.equals(accept) : Boolean.TRUE.equals(accept);
            if (!accepted || !(m.get("name") instanceof String) && !Faults.on("client_accept_truthy")) {
                throw fatalError(BAD_FRAME, "RSFL without \"accept\": true after PUTF");
            }
            MessageDigest d = sha256();
            long sent = 0;
            try (InputStream in = Files.newInputStream(file)) {
                byte[] b = new byte[CHUNK];
                while (sent < size) {
                    int k = in.read(b, 0, (int) Math.min(CHUNK, size - sent));
                    if (k < 0) throw fatalError(INTERNAL, "the file shrank while sent");
                    if (k == 0) continue;
                    d.update(b, 0, k);
                    c.write(frame("DATA", Faults.on("client_put_whole_buffer") ? b : java.util.Arrays.copyOf(b, k)));
                    sent += k;
                }
            }
            String mine = hex(d.digest());
            c.write(control("DONE", "{\"size\":" + size + ",\"sha256\":\"" + mine + "\"}"));
            if (Faults.on("b28_client_put_retry_exists_success")) {
                // L4: "the answer to DONE was lost": the put offered again on a new connection
                Header hr;
                try {
                    hr = next(true);
                } catch (Failure e) {
                    hr = null;
                }
                if (hr == null) return putRetry(name, size, sha);
                h = hr;
            } else {
                h = next(Faults.on("client_put_eof_success"));
            }
            if (h == null) {
                c.close();
                return 0;
            }
            if (h.type.equals("EROR")) throw fromEror(h);
            if (!h.type.equals("DONE") && Faults.on("client_put_reply_not_error")) {
                payload(h); // L3: "no EROR: the put went through"
                bye();
                return 0;
            }
            if (!h.type.equals("DONE")) throw fatalError(UNEXPECTED, h.type + " in place of DONE");
            Map<String, Object> dm = object(h);
            try {
                Json.integer(dm, "size");
                Json.sha(dm, "sha256", true);
            } catch (ProtoError e) {
                throw fatalError(e.code, e.getMessage());
            }
            bye();
            System.err.println("pki7: put " + name + " (" + size + " bytes)");
            return 0;
        }
    }

}
