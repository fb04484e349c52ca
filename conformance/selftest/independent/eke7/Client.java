import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The sft-eke/1 initiator: `get` and `put`, one transfer per run. */
final class Client {
    /** A failure to report to the user; exit status 1. */
    static final class Failed extends Exception {
        Failed(String m) { super(m); }
    }

    final Eke7.Options o;
    final String user;
    byte[] password;
    Wire.Channel ch;
    volatile Path temp;
    volatile boolean committed;

    Client(Eke7.Options o) throws Failed {
        this.o = o;
        this.user = Faults.on("client_r18_user_nfc") // "one user however it was typed"
            ? java.text.Normalizer.normalize(o.get("--user"), java.text.Normalizer.Form.NFC) : o.get("--user");
        this.password = readPasswordFile(Path.of(o.get("--password-file")));
        if (Faults.on("client_password_nfc")) { // "the same password however it was typed"
            String typed = new String(password, StandardCharsets.UTF_8);
            this.password = java.text.Normalizer.normalize(typed, java.text.Normalizer.Form.NFC)
                .getBytes(StandardCharsets.UTF_8);
        }
        this.passwordRuns = passwordRuns(new String(password, StandardCharsets.UTF_8));
    }

    static final String QUOTES_PASSWORD = "(the server's message is not shown: it quotes the password)";

    /** PWF-2: what a server's text is checked against before it is shown. */
    final Set<String> passwordRuns;

    private static String fold(String s) { return s.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT); }

    /** Every run of 6 of the password's characters (the whole password when shorter), as
     *  typed and JSON-escaped (as Python's json.dumps does: ASCII only), case folded. */
    static Set<String> passwordRuns(String password) {
        StringBuilder escaped = new StringBuilder();
        for (char c : password.toCharArray()) {
            switch (c) {
                case '"': escaped.append("\\\""); break;
                case '\\': escaped.append("\\\\"); break;
                case '\n': escaped.append("\\n"); break;
                case '\r': escaped.append("\\r"); break;
                case '\t': escaped.append("\\t"); break;
                case '\b': escaped.append("\\b"); break;
                case '\f': escaped.append("\\f"); break;
                default:
                    if (c < 0x20 || c >= 0x7f) escaped.append(String.format("\\u%04x", (int) c));
                    else escaped.append(c);
            }
        }
        Set<String> runs = new HashSet<>();
        for (String form : new String[] {password, escaped.toString()}) {
            int[] cps = fold(form).codePoints().toArray();
            int width = Math.min(6, cps.length);
            for (int i = 0; width > 0 && i + width <= cps.length; i++) runs.add(new String(cps, i, width));
        }
        return runs;
    }

    /** Whether a server's text, or any decoding of it (views), holds a run of the password
     *  (PWF-2: then it is not shown). */
    boolean quotesPassword(Object text) {
        if (text == null) return false;
        for (String view : views(String.valueOf(text))) {
            String folded = fold(view);
            for (String run : passwordRuns) if (folded.contains(run)) return true;
        }
        return false;
    }

    private static final Pattern PERCENT_RUN = Pattern.compile("(?:%[0-9a-fA-F]{2})+");
    private static final Pattern BASE64_TOKEN = Pattern.compile("[A-Za-z0-9+/_-]{8,}={0,2}");
    private static final Pattern HEX_TOKEN = Pattern.compile("(?:[0-9a-fA-F]{2}){6,}");

    /** PWF-2 "in any encoding": a server's text as it came, URL-decoded ('+' a space, each
     *  run of %XX escapes as UTF-8), and with each base64 (standard or URL-safe) or hex token
     *  decoded: a server echoing an Authorization: Basic line, a login URL or a hex dump. */
    static List<String> views(String text) {
        List<String> views = new ArrayList<>();
        views.add(text);
        Matcher escapes = PERCENT_RUN.matcher(text.replace('+', ' '));
        StringBuilder unescaped = new StringBuilder();
        while (escapes.find()) {
            byte[] raw = HexFormat.of().parseHex(escapes.group().replace("%", ""));
            escapes.appendReplacement(unescaped, Matcher.quoteReplacement(new String(raw, StandardCharsets.UTF_8)));
        }
        escapes.appendTail(unescaped);
        views.add(unescaped.toString());
        for (Matcher m = BASE64_TOKEN.matcher(text); m.find(); ) {
            String bare = m.group().replace('-', '+').replace('_', '/').replaceAll("=+$", "");
            try {
                byte[] raw = Base64.getDecoder().decode(bare); // padding optional; a lone 6 bits refused
                views.add(new String(raw, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException notBase64) {
                // not base64 after all: nothing to check in it
            }
        }
        for (Matcher m = HEX_TOKEN.matcher(text); m.find(); ) {
            views.add(new String(HexFormat.of().parseHex(m.group()), StandardCharsets.UTF_8));
        }
        return views;
    }

    /** client_busy_retry_same_eke1: the first attempt's exponent and EKE1, kept for retries. */
    BigInteger cachedX;
    byte[] cachedA;

    int hsMillis() { return (int) (o.decimal("--handshake-timeout", 10.0) * 1000); }

    int idleMillis() { return (int) (o.decimal("--idle-timeout", 60.0) * 1000); }

    /** PWF-1: UTF-8, first line, exactly one LF or CRLF removed, nothing else trimmed. */
    static byte[] readPasswordFile(Path p) throws Failed {
        byte[] raw;
        try {
            raw = Files.readAllBytes(p);
        } catch (IOException e) {
            throw new Failed("cannot read the password file " + p);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new Failed("the password file is not UTF-8");
        }
        if (text.endsWith("\r\n")) text = text.substring(0, text.length() - 2);
        else if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        if (Faults.on("client_password_stripped")) text = text.strip();
        if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
            throw new Failed("the password file holds more than one line");
        }
        if (text.isEmpty()) throw new Failed("the password file holds an empty password");
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private String describe(Map<String, Object> m) {
        Object code = m.get("code");
        Object name = m.get("name");
        Object msg = m.get("message");
        if (quotesPassword(name) || quotesPassword(msg)) { // PWF-2: the code's own name instead
            int c = code instanceof BigInteger && ((BigInteger) code).bitLength() < 31 ? ((BigInteger) code).intValue() : 0;
            return (c >= 1 && c < Wire.NAMES.length ? Wire.NAMES[c] : "error") + " (" + code + "): " + QUOTES_PASSWORD;
        }
        return (name instanceof String ? (String) name : "error") + " (" + code + ")"
            + (msg instanceof String ? ": " + ((String) msg).substring(0, Math.min(200, ((String) msg).length())) : "");
    }

    /** Connects and runs the handshake, retrying `busy` after retry_after (EKE-THR-7). */
    void connect(String hostport) throws Failed, IOException {
        int colon = hostport.lastIndexOf(':');
        if (colon < 0) throw new Failed("expected HOST:PORT");
        String host = hostport.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(hostport.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new Failed("bad port in " + hostport);
        }
        if (port <= 0 || port > 65535) throw new Failed("bad port in " + hostport);
        for (int attempt = 0; ; attempt++) {
            Long retry = handshakeOnce(host, port);
            if (retry == null) return;
            if (attempt >= 2) throw new Failed("server busy: gave up after " + (attempt + 1) + " attempts");
            // A wait longer than 5 minutes is not waited: retry * 1000 would also overflow a
            // long for the largest retry_after, and Thread.sleep refuses a negative time.
            if (retry > 300 && !Faults.on("client_busy_wait_overflow"))
                throw new Failed("server busy: asked to wait " + retry + " s; try again later");
            long wait = Faults.on("client_busy_immediate_retry") ? 0
                : (long) (retry * 1000 * (1.0 + 0.5 * Crypto.RNG.nextDouble()));
            System.err.println("eke7: server busy, retrying in " + wait + " ms");
            try { Thread.sleep(wait); } catch (InterruptedException e) { throw new Failed("interrupted"); }
        }
    }

    /** null when the channel is up; the retry_after of a `busy` otherwise. */
    Long handshakeOnce(String host, int port) throws Failed, IOException {
        // The password key (scrypt) before the connection: the server's handshake timeout
        // runs from its accept (LIM-1), not from when this client is ready.
        byte[] pw = Crypto.passwordKey(user, password);
        Socket s = new Socket();
        long start = System.currentTimeMillis();
        try {
            s.connect(new InetSocketAddress(host, port), hsMillis());
        } catch (IOException e) {
            throw new Failed("cannot connect to " + host + ":" + port + ": " + e.getMessage());
        }
        s.setTcpNoDelay(true);
        ch = new Wire.Channel(s, 1048832);
        ch.client = true;
        ch.deadline = start + hsMillis();
        ch.hsMillis = hsMillis();
        byte[] userBytes = Crypto.utf8(user);
        try {
            ch.deadline = System.currentTimeMillis() + hsMillis();
            BigInteger x;
            byte[] a;
            if (Faults.on("client_busy_retry_same_eke1") && cachedA != null) {
                x = cachedX; // a retry after busy: the server never used the first one
                a = cachedA;
            } else {
                java.security.SecureRandom rng = Crypto.RNG;
                if (Faults.on("client_b28_seeded_sha1prng")) { // "mix the password key into the generator"
                    try {
                        rng = java.security.SecureRandom.getInstance("SHA1PRNG");
                    } catch (java.security.NoSuchAlgorithmException e) {
                        throw new Failed("no SHA1PRNG");
                    }
                    rng.setSeed(pw); // before any nextBytes: the seed is the whole state
                }
                x = rng == Crypto.RNG ? Crypto.exponent() : new BigInteger(320, rng).setBit(320);
                BigInteger xx = Crypto.G.modPow(x, Crypto.P);
                a = Crypto.encrypt(pw, Crypto.i2osp(Crypto.hide(xx, rng.nextBoolean())));
                cachedX = x;
                cachedA = a;
            }
            ch.sendPlain("EKE1", Json.obj("user", user, "a", Crypto.hex(a)));
            Wire.Frame f = ch.readPlain();
            if (f.type.equals("EROR")) {
                Map<String, Object> m = errorPayload(f);
                Object code = m.get("code");
                if (code instanceof BigInteger && ((BigInteger) code).intValue() == Wire.BUSY) {
                    Object ra = m.get("retry_after");
                    ch.close();
                    if (ra instanceof BigInteger && ((BigInteger) ra).signum() >= 0) {
                        return Math.max(1L, ((BigInteger) ra).longValue());
                    }
                    throw new Failed("server busy");
                }
                if (code instanceof BigInteger && ((BigInteger) code).intValue() == Wire.THROTTLED) {
                    throw new Failed("too many failed logins: throttled, retry after "
                        + (quotesPassword(m.get("retry_after")) ? QUOTES_PASSWORD : m.get("retry_after")) + " s");
                }
                throw new Failed("the server refused the login: " + describe(m));
            }
            if (!f.type.equals("EKE2")) throw new Wire.ProtoError(Wire.UNEXPECTED, "expected EKE2");
            Map<String, Object> m = f.json();
            if (Faults.on("client_r18_eke2_extra_member_refused") && !m.keySet().equals(Set.of("b", "c"))) {
                throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE2: unknown member");
            }
            byte[] b, c2;
            try {
                b = Crypto.unhex(Json.string(m, "b"));
                c2 = Crypto.unhex(Json.string(m, "c"));
            } catch (Json.Malformed e) {
                throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE2");
            }
            if (b == null || b.length != 384 || c2 == null || c2.length != 48) {
                throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE2");
            }
            BigInteger y = Crypto.recover(Crypto.os2ip(Crypto.decrypt(pw, b)));
            boolean valid = y != null;
            BigInteger z = valid ? y.modPow(x, Crypto.P) : BigInteger.ONE;
            if (!Crypto.zValid(z)) valid = false;
            Crypto.Keys k = Crypto.schedule(userBytes, a, b, Crypto.i2osp(z));
            byte[] ns = Crypto.open(k.kcs, Crypto.nonce(2), c2, Crypto.cat(Crypto.utf8("EKE2"), k.th));
            boolean refuse = Faults.on("client_zcheck_unused") ? ns == null || ns.length != 32
                : !valid || ns == null || ns.length != 32;
            if (refuse) {
                if (Faults.on("client_c2_fail_silent")) ch.close(); // closed first: sendError's IOException is swallowed
                ch.sendError(Wire.AUTH_FAILED, "authentication failed", null);
                if (Faults.on("client_b25_password_hint")) { // help the user spot a wrong password file
                    String typed = new String(password, StandardCharsets.UTF_8);
                    throw new Failed("authentication failed: wrong password (" + typed.length() + " characters, starting '"
                        + typed.substring(0, Math.min(6, typed.length())) + "') or unknown user");
                }
                throw new Failed("authentication failed: wrong password or unknown user");
            }
            byte[] na = Crypto.random(32);
            byte[] c3 = Crypto.seal(k.kcc, Crypto.nonce(3), Crypto.cat(na, ns), Crypto.cat(Crypto.utf8("EKE3"), k.th));
            ch.sendPlain("EKE3", Json.obj("c", Crypto.hex(c3)));
            f = ch.readPlain();
            if (f.type.equals("EROR")) {
                Map<String, Object> em = errorPayload(f);
                if (Faults.on("client_b25_password_hint")) { // help the user spot a wrong password file
                    String typed = new String(password, StandardCharsets.UTF_8);
                    throw new Failed("the server refused the login: " + describe(em) + " (wrong password? "
                        + typed.length() + " characters, starting '" + typed.substring(0, Math.min(6, typed.length())) + "')");
                }
                throw new Failed("the server refused the login: " + describe(em) + " (wrong password or unknown user)");
            }
            if (!f.type.equals("EKE4")) throw new Wire.ProtoError(Wire.UNEXPECTED, "expected EKE4");
            byte[] c4;
            try {
                c4 = Crypto.unhex(Json.string(f.json(), "c"));
            } catch (Json.Malformed e) {
                throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE4");
            }
            if (c4 == null || c4.length != 48) throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE4");
            byte[] na2 = Crypto.open(k.kcs, Crypto.nonce(4), c4, Crypto.cat(Crypto.utf8("EKE4"), k.th));
            boolean ok = Faults.on("client_c4_unchecked") || (na2 != null && Crypto.equalCt(na2, na));
            if (!ok) {
                ch.sendError(Wire.AUTH_FAILED, "authentication failed", null);
                throw new Failed("the server failed to prove it knows the password (possible impostor)");
            }
            ch.sendKey = k.keyC2s; ch.sendIv = k.ivC2s; ch.recvKey = k.keyS2c; ch.recvIv = k.ivS2c;
            ch.records = true;
            ch.deadline = 0;
            ch.idleMillis = idleMillis();
            return null;
        } catch (Wire.ProtoError e) {
            if (e.code == Wire.TIMEOUT) {
                ch.close();
                throw new Failed("timed out before the handshake finished");
            }
            ch.sendError(e.code, e.getMessage(), null);
            ch.close();
            throw new Failed("protocol error from the server: " + e.getMessage());
        } catch (Wire.Closed e) {
            ch.close();
            throw new Failed("the server closed the connection during the handshake (server busy or refused)");
        } catch (Failed e) {
            ch.close();
            throw e;
        } catch (IOException e) {
            ch.close();
            throw new Failed("connection failed during the handshake: " + e.getMessage());
        }
    }

    /** An EROR's payload; a malformed one ends the connection too (ERR-8). */
    Map<String, Object> errorPayload(Wire.Frame f) throws Failed {
        try {
            Map<String, Object> m = Json.object(f.payload);
            Object code = m.get("code");
            if (!(code instanceof BigInteger)) throw new Failed("malformed error from the server");
            return m;
        } catch (Json.Malformed e) {
            throw new Failed("malformed error from the server");
        }
    }

    /** An EROR in the record phase: always ends this transfer; fatal unless non-fatal by code. */
    Failed refused(Wire.Frame f) throws Failed {
        Map<String, Object> m = errorPayload(f);
        BigInteger code = (BigInteger) m.get("code");
        int c = code.bitLength() < 31 ? code.intValue() : 0;
        boolean known = c >= 1 && c <= 14;
        if (!known && !Faults.on("client_unknown_code_nonfatal")) {
            ch.close();
            return new Failed("the server failed: unknown error code " + code + " (internal)");
        }
        if (known && Wire.FATAL[c]) ch.close();
        return new Failed("the server refused: " + describe(m));
    }

    void bye() {
        try {
            ch.send("BYE_", Crypto.utf8("{}"));
        } catch (IOException e) { /* leaving anyway */ }
        ch.close();
    }

    Failed fatal(int code, String message) {
        ch.sendError(code, message, null);
        ch.close();
        return new Failed(message + " (" + Wire.NAMES[code] + ")");
    }

    // ---- get ----
    int get(String hostport, String name, Path out) throws Failed, IOException {
        out = out.toAbsolutePath();
        Path dir = out.getParent();
        if (Files.exists(out, LinkOption.NOFOLLOW_LINKS) && !Faults.on("client_overwrites_output")) {
            throw new Failed("the output " + out + " exists: not overwritten");
        }
        sweep(dir);
        if (Faults.on("client_reserves_output")) { // claim the name before the transfer starts
            Files.createFile(out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Path t = temp;
            if (t != null && !committed && !Faults.on("client_no_shutdown_cleanup")) {
                try { Files.deleteIfExists(t); } catch (IOException e) { /* exiting */ }
            }
        }));
        connect(hostport);
        try {
            ch.send("RQFL", Json.obj("name", name));
            Wire.Frame f = ch.readRecord();
            if (f.type.equals("EROR")) {
                Failed why = refused(f);
                bye();
                throw why;
            }
            if (!f.type.equals("RSFL")) throw fatal(Wire.UNEXPECTED, "expected RSFL");
            Map<String, Object> m = f.json();
            long size;
            String rsflName, rsflSha = null;
            try {
                rsflName = Json.string(m, "name");
                size = Json.integer(m, "size");
                if (m.containsKey("sha256")) {
                    rsflSha = Json.string(m, "sha256");
                    if (Faults.on("client_r18_sha_lowercased")) rsflSha = rsflSha.toLowerCase(java.util.Locale.ROOT);
                    if (!Json.isSha(rsflSha)) throw new Json.Malformed("sha256");
                }
            } catch (Json.Malformed e) {
                if (Faults.on("client_b28_trace_in_eror")) { // the whole story, for the server's log
                    java.io.StringWriter trace = new java.io.StringWriter();
                    e.printStackTrace(new java.io.PrintWriter(trace));
                    throw fatal(Wire.BAD_FRAME, "malformed RSFL: " + trace);
                }
                if (Faults.on("client_b28_trace_in_eror_only")) { // the user sees a line, the server's log the story
                    java.io.StringWriter trace = new java.io.StringWriter();
                    e.printStackTrace(new java.io.PrintWriter(trace));
                    ch.sendError(Wire.BAD_FRAME, "malformed RSFL: " + trace, null);
                    ch.close();
                    throw new Failed("malformed RSFL (bad_frame)");
                }
                throw fatal(Wire.BAD_FRAME, "malformed RSFL");
            }
            Path finalPath = Faults.on("client_stores_rsfl_name") ? dir.resolve(rsflName) : out;
            temp = dir.resolve(".sft-partial-" + Crypto.hex(Crypto.random(12)));
            if (Faults.on("client_r18_temp_in_java_tmpdir")) temp = Files.createTempFile(".sft-partial-", ".tmp");
            FileChannel fc;
            if (Faults.on("client_r18_temp_in_java_tmpdir")) {
                fc = FileChannel.open(temp, StandardOpenOption.WRITE);
            } else if (Faults.on("client_temp_default_perms")) {
                fc = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } else {
                fc = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            try {
                MessageDigest md = Server.sha();
                long received = 0;
                while (true) {
                    Wire.Frame d = ch.readRecord();
                    if (d.type.equals("DATA")) {
                        if (d.payload.length == 0) throw fatal(Wire.BAD_FRAME, "empty DATA");
                        if (d.payload.length > Wire.DATA_LIMIT) throw fatal(Wire.BAD_FRAME, "DATA above 1 MiB");
                        if (received + d.payload.length > size && !Faults.on("client_excess_written")) {
                            throw fatal(Wire.INTEGRITY, "more data than announced");
                        }
                        ByteBuffer bb = ByteBuffer.wrap(d.payload);
                        while (bb.hasRemaining()) fc.write(bb);
                        md.update(d.payload);
                        received += d.payload.length;
                    } else if (d.type.equals("DONE")) {
                        Map<String, Object> dm = d.json();
                        long dsize;
                        String dsha;
                        try {
                            dsize = Json.integer(dm, "size");
                            dsha = Json.string(dm, "sha256");
                        } catch (Json.Malformed e) {
                            throw fatal(Wire.BAD_FRAME, "malformed DONE");
                        }
                        if (Faults.on("client_r18_sha_lowercased")) dsha = dsha.toLowerCase(java.util.Locale.ROOT); // any case
                        if (!Json.isSha(dsha)) throw fatal(Wire.BAD_FRAME, "malformed DONE");
                        String got = Crypto.hex(md.digest());
                        boolean ok = received == size && dsize == size && got.equals(dsha);
                        if (Faults.on("client_rsfl_size_ignored")) ok = received == dsize && got.equals(dsha);
                        if (Faults.on("client_done_sha_unused")) {
                            ok = received == size && dsize == size;
                            java.util.Optional.of(dsha).filter(got::equals); // the result is never looked at
                        }
                        if (rsflSha != null && !Faults.on("client_rsfl_sha_ignored")) ok &= got.equals(rsflSha);
                        if (!ok) throw fatal(Wire.INTEGRITY, "size or SHA-256 mismatch: integrity_failed");
                        fc.force(true);
                        fc.close();
                        if (Faults.on("client_reserves_output")) {
                            Files.move(temp, finalPath, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        } else {
                            commit(temp, finalPath);
                        }
                        committed = true;
                        bye();
                        return 0;
                    } else if (d.type.equals("EROR")) {
                        if (Faults.on("client_b28_garbled_eror_skipped")) { // line noise mid-transfer: wait for the real end
                            try {
                                if (!(Json.object(d.payload).get("code") instanceof BigInteger)) continue;
                            } catch (Json.Malformed e) {
                                continue;
                            }
                        }
                        Failed why = refused(d);
                        ch.close();
                        throw why;
                    } else {
                        throw fatal(Wire.UNEXPECTED, "unexpected " + d.type + " during a get");
                    }
                }
            } finally {
                fc.close();
                if (!committed) Files.deleteIfExists(temp);
            }
        } catch (Wire.ProtoError e) {
            ch.sendError(e.code, e.getMessage(), null);
            ch.close();
            if (e.code == Wire.TIMEOUT) throw new Failed("the server went idle: timed out");
            throw new Failed("protocol error: " + e.getMessage());
        } catch (Wire.Closed e) {
            ch.close();
            throw new Failed("the connection failed: " + e.getMessage());
        }
    }

    static void commit(Path temp, Path out) throws Failed, IOException {
        try {
            if (Faults.on("client_overwrites_output")) {
                Files.move(temp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else if (Faults.on("client_b28_commit_exists_follows")) { // the last-moment check, then the move
                if (Files.exists(out)) throw new Failed("the output " + out + " exists: not overwritten");
                Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE); // a dangling link "does not exist"
            } else if (Faults.on("client_b28_atomic_move_replaces")) { // no REPLACE_EXISTING: "refuses to replace"
                Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE); // rename(2): it replaces
            } else {
                Files.createLink(out, temp);
                Files.delete(temp);
            }
        } catch (FileAlreadyExistsException e) {
            throw new Failed("the output " + out + " exists: not overwritten");
        }
        try (FileChannel d = FileChannel.open(out.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /** APP-STORE-3: temporary files nobody has written to for longer than the idle timeout. */
    void sweep(Path dir) {
        long horizon = System.currentTimeMillis() - idleMillis();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, ".sft-partial-*")) {
            for (Path p : ds) {
                FileTime t = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
                long age = Faults.on("client_r18_sweep_units_mixed") ? t.to(java.util.concurrent.TimeUnit.SECONDS) : t.toMillis();
                if (age < horizon) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // nothing to sweep
        }
    }

    // ---- put ----
    int put(String hostport, Path file, String name) throws Failed, IOException {
        FileChannel in;
        try {
            in = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new Failed("cannot read " + file);
        }
        try (in) {
            long size = in.size();
            MessageDigest md = Server.sha();
            ByteBuffer buf = ByteBuffer.allocate(Wire.DATA_LIMIT);
            while (in.read(buf) > 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
            byte[] digest = md.digest();
            String sha = Faults.on("client_r18_put_sha_biginteger") ? new BigInteger(1, digest).toString(16) : Crypto.hex(digest);
            connect(hostport);
            boolean doneSent = false;
            try {
                ch.send("PUTF", Json.obj("name", name, "size", size, "sha256", sha));
                boolean pipelined = false;
                if (Faults.on("client_r18_put_pipelined_data")) { // save a round trip: the data follows the offer
                    in.position(0);
                    long early = 0;
                    while (early < size) {
                        buf.clear();
                        buf.limit((int) Math.min(buf.capacity(), size - early));
                        int r = in.read(buf);
                        if (r <= 0) throw fatal(Wire.INTERNAL, "the local file shrank while it was sent");
                        ch.send("DATA", Arrays.copyOf(buf.array(), r));
                        early += r;
                    }
                    ch.send("DONE", Json.obj("size", size, "sha256", sha));
                    pipelined = true;
                }
                Wire.Frame f = null;
                if (Faults.on("client_b28_continue_timer") && !pipelined) { // Expect: 100-continue, 1 s
                    int idle = ch.idleMillis;
                    ch.idleMillis = 1000;
                    try {
                        f = ch.readRecord();
                    } catch (Wire.ProtoError e) {
                        if (e.code != Wire.TIMEOUT) throw e;
                    } finally {
                        ch.idleMillis = idle;
                    }
                    if (f == null) { // no answer yet: a slow server, the data goes anyway
                        in.position(0);
                        long early = 0;
                        while (early < size) {
                            buf.clear();
                            buf.limit((int) Math.min(buf.capacity(), size - early));
                            int r = in.read(buf);
                            if (r <= 0) throw fatal(Wire.INTERNAL, "the local file shrank while it was sent");
                            ch.send("DATA", Arrays.copyOf(buf.array(), r));
                            early += r;
                        }
                        ch.send("DONE", Json.obj("size", size, "sha256", sha));
                        pipelined = true;
                    }
                }
                if (f == null) f = ch.readRecord();
                if (f.type.equals("EROR")) {
                    Failed why = refused(f);
                    if (Faults.on("client_put_exists_ok") && why.getMessage().contains("exists")) {
                        bye();
                        return 0;
                    }
                    bye();
                    throw why;
                }
                if (!f.type.equals("RSFL")) throw fatal(Wire.UNEXPECTED, "expected RSFL");
                Map<String, Object> m = f.json();
                Object accept = m.get("accept");
                boolean accepted = Faults.on("client_accept_truthy") ? accept != null && !Boolean.FALSE.equals(accept)
                    : Boolean.TRUE.equals(accept);
                if (!accepted) throw fatal(Wire.BAD_FRAME, "RSFL without \"accept\": true");
                in.position(0);
                long sent = pipelined ? size : 0;
                while (sent < size) {
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), size - sent));
                    int r = in.read(buf);
                    if (r <= 0) throw fatal(Wire.INTERNAL, "the local file shrank while it was sent");
                    if (Faults.on("client_b25_done_with_last_data") && sent + r == size) { // one packet less
                        byte[] inner = Crypto.cat(Wire.frame("DATA", Arrays.copyOf(buf.array(), r)),
                            Wire.frame("DONE", Json.obj("size", size, "sha256", sha)));
                        byte[] h = Crypto.cat(Crypto.utf8("RECD"), Crypto.u32(inner.length + 16));
                        byte[] c = Crypto.seal(ch.sendKey, Crypto.recordNonce(ch.sendIv, ch.sendSeq), inner, h);
                        ch.sendSeq++;
                        ch.writeAll(Crypto.cat(h, c));
                        sent += r;
                        pipelined = true; // DONE went with it
                        break;
                    }
                    ch.send("DATA", Arrays.copyOf(buf.array(), r));
                    sent += r;
                }
                if (!pipelined) ch.send("DONE", Json.obj("size", size, "sha256", sha));
                doneSent = true;
                Wire.Frame d = ch.readRecord();
                if (d.type.equals("EROR")) {
                    Failed why = refused(d);
                    ch.close();
                    throw why;
                }
                if (!d.type.equals("DONE")) throw fatal(Wire.UNEXPECTED, "expected DONE");
                Map<String, Object> dm = d.json();
                try { // FRM-9: the responder's DONE has its schema too
                    Json.integer(dm, "size");
                    if (!Json.isSha(Json.string(dm, "sha256"))) throw fatal(Wire.BAD_FRAME, "malformed DONE");
                } catch (Json.Malformed e) {
                    throw fatal(Wire.BAD_FRAME, "malformed DONE");
                }
                bye();
                return 0;
            } catch (Wire.ProtoError e) {
                ch.sendError(e.code, e.getMessage(), null);
                ch.close();
                throw new Failed("protocol error: " + e.getMessage());
            } catch (Wire.Closed e) {
                ch.close();
                if (doneSent && Faults.on("client_put_eof_success")) return 0; // all sent: the server just hung up
                throw new Failed("the connection failed before the put was confirmed: " + e.getMessage());
            }
        }
    }
}
