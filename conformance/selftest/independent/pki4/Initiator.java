import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Map;
import javax.net.ssl.SSLSocket;

/** The sft-pki/1 initiator: one get or one put, then BYE_ and close_notify. */
final class Initiator {
    /** A failure to report (exit status 1), with the EROR code we sent or received. */
    static final class Failed extends Exception {
        Failed(String why) { super(why); }
    }

    private static final int CHUNK = 64 * 1024;

    private final Trust trust;
    private final String alias;
    private final String host;
    private final int port;
    private final int timeoutMs;
    private SSLSocket s;
    private InputStream in;
    private OutputStream out;

    Initiator(Trust trust, String target, double timeout) throws Failed {
        this.trust = trust;
        int at = target.indexOf('@');
        int colon = target.lastIndexOf(':');
        if (at <= 0 || colon < at) throw new Failed("target must be ALIAS@HOST:PORT");
        this.alias = target.substring(0, at);
        String h = target.substring(at + 1, colon);
        this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        this.port = Integer.parseInt(target.substring(colon + 1));
        this.timeoutMs = (int) (timeout * 1000);
    }

    /** TLS 1.3 to the responder, whose certificate and alias are checked before any frame. */
    private void connect() throws IOException, GeneralSecurityException, Failed {
        s = (SSLSocket) trust.context(alias).getSocketFactory().createSocket();
        Trust.configure(s, false);
        try {
            s.connect(new InetSocketAddress(host, port), timeoutMs);
        } catch (IOException e) {
            throw new Failed("cannot connect: " + e.getMessage());
        }
        s.setSoTimeout(timeoutMs);
        try {
            s.startHandshake();
        } catch (SocketTimeoutException e) {
            throw new Failed("timed out before the handshake completed");
        } catch (IOException e) {
            throw new Failed("handshake failed: " + e.getMessage());
        }
        if (!Trust.ALPN.equals(s.getApplicationProtocol()) && !Faults.on("r2_client_alpn")) throw new Failed("responder did not select sft-pki/1");
        Certificate[] peer = s.getSession().getPeerCertificates();
        X509Certificate[] chain = new X509Certificate[peer.length];
        for (int k = 0; k < peer.length; k++) chain[k] = (X509Certificate) peer[k];
        try {
            trust.checkPeer(chain, Faults.on("r12_client_purpose_client") ? Trust.Purpose.CLIENT : Trust.Purpose.SERVER);
            Trust.checkAlias(Faults.on("r16_client_alias_from_chain_end") ? chain[chain.length - 1] : chain[0], alias);
        } catch (CertificateException e) {
            throw new Failed("responder certificate refused: " + e.getMessage());
        }
        in = new BufferedInputStream(s.getInputStream(), CHUNK);
        out = s.getOutputStream();
    }

    private void close() {
        if (s == null) return;
        try {
            s.shutdownOutput(); // close_notify (a TLS 1.3 half-close), then our FIN
        } catch (IOException | UnsupportedOperationException e) {
            // the responder may be gone
        }
        // A short drain of what the responder still sends: closing with unread bytes
        // makes the kernel send a reset, which can destroy our EROR and close_notify in
        // flight before the responder has read them.
        try {
            s.setSoTimeout(300);
            InputStream drain = in != null ? in : s.getInputStream();
            byte[] sink = new byte[16384];
            long drained = 0;
            long until = System.nanoTime() + 1_000_000_000L;
            while (drained < (4 << 20) && System.nanoTime() < until) {
                int n = drain.read(sink);
                if (n < 0) break;
                drained += n;
            }
        } catch (IOException e) {
            // closed, reset, timed out or a truncation: close below
        }
        try {
            s.close();
        } catch (IOException e) {
            // the responder may be gone
        }
    }

    /** A fatal error of ours: EROR, close_notify, close; then fail. */
    private Failed fatal(int code, String why) {
        try {
            Frames.error(out, code, why);
        } catch (IOException e) {
            // the responder may be gone
        }
        close();
        return new Failed(Frames.errorName(code) + ": " + why);
    }

    /** Their EROR: fatal ones end the connection, non-fatal ones end the request. */
    private Failed theirError(Map<String, Object> m) {
        long code;
        try {
            code = Json.integer(m, "code");
        } catch (Json.Malformed e) {
            return fatal(Frames.BAD_FRAME, "malformed EROR");
        }
        if (Faults.on("b27_client_code_int_cast")) code = (int) code; // "codes are small"
        if (Faults.on("b27_client_eror_by_name") && m.get("name") instanceof String) {
            for (int k = 1; k <= 14; k++) { // "the name is the readable key"
                if (Frames.errorName(k).equals(m.get("name"))) code = k;
            }
        }
        String name = code > 0 && code <= 14 ? Frames.errorName((int) code) : "internal (unknown code " + code + ")";
        boolean known = code > 0 && code <= 14;
        if (known && !Frames.fatal((int) code)) bye();
        else close();
        return new Failed("responder answered " + name);
    }

    private void bye() {
        try {
            Frames.write(out, "BYE_", Faults.on("b27_client_bye_no_payload") ? new byte[0] : Json.write());
        } catch (IOException e) {
            // ending anyway
        }
        close();
    }

    /** The next frame; a control payload is parsed. */
    private Frames.Header next() throws Failed, IOException {
        try {
            Frames.Header h = Frames.readHeader(in, Frames.DEFAULT_FRAME_LIMIT);
            if (h == null) throw new Failed("connection ended before the transfer completed");
            if (Faults.on("client_unknown_code_nonfatal") && h.type.equals("EROR")) {
                stash = Frames.control(in, h);
                Object code = stash.get("code");
                boolean known = code instanceof Json.Num && ((Json.Num) code).text.matches("[1-9]|1[0-4]");
                if (!known) {
                    stash = null;
                    return next(); // the switch's default: not ours to handle
                }
            }
            return h;
        } catch (Frames.ProtocolError e) {
            throw fatal(e.code, e.getMessage());
        } catch (SocketTimeoutException e) {
            throw fatal(Frames.TIMEOUT, "responder silent");
        }
    }

    private Map<String, Object> stash;

    private Map<String, Object> control(Frames.Header h) throws Failed, IOException {
        if (stash != null) {
            Map<String, Object> m = stash;
            stash = null;
            return m;
        }
        try {
            return Frames.control(in, h);
        } catch (Frames.ProtocolError e) {
            throw fatal(e.code, e.getMessage());
        }
    }

    // ---- get ----------------------------------------------------------------------

    @SuppressWarnings("finally") // the fault r16_client_finally_return
    void get(String name, Path outFile, boolean force, long sweepMs)
            throws Failed, IOException, GeneralSecurityException {
        Path dir = outFile.toAbsolutePath().getParent();
        Storage.sweep(dir, Faults.on("client_sweeps_live") ? 0 : sweepMs);
        if (Faults.on("client_replaces_output")) force = true;
        if (!force && Files.exists(outFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new Failed(outFile + " exists (use --force to overwrite)");
        }
        boolean claimed = false;
        if (Faults.on("r16_client_output_claimed") && !force) {
            Files.createFile(outFile); // claim the name before connecting
            claimed = true;
        }
        connect();
        Frames.write(out, "RQFL", Json.write("name", name));
        Frames.Header h = next();
        if (h.type.equals("DATA")) throw fatal(Frames.UNEXPECTED_FRAME, "DATA before RSFL");
        Map<String, Object> rsfl = control(h);
        if (h.type.equals("EROR")) throw theirError(rsfl);
        if (!h.type.equals("RSFL")) throw fatal(Frames.UNEXPECTED_FRAME, h.type + " instead of RSFL");
        long size;
        String announced;
        String rsflName;
        try {
            rsflName = Json.str(rsfl, "name");
            size = Json.integer(rsfl, "size");
            announced = Json.sha256(rsfl, "sha256", false);
        } catch (Json.Malformed e) {
            throw fatal(Frames.BAD_FRAME, e.getMessage());
        }
        Path fin = outFile;
        if (Faults.on("client_uses_rsfl_name")) {
            fin = dir.resolve(rsflName);
        } else if (!rsflName.equals(name)) {
            throw fatal(Frames.BAD_FRAME, "RSFL names another file");
        }
        Storage.Temp t = Faults.on("client_temp_in_java_tmpdir")
                ? Storage.createInJavaTmpdir()
                : Faults.on("r12_client_writes_final") ? Storage.createFinal(fin, force) : Storage.create(dir, false);
        boolean kept = false;
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long received = 0;
            while (true) {
                h = next();
                if (h.type.equals("DATA")) {
                    boolean excess = Faults.on("r16_client_excess_per_frame") ? h.length > size : received + h.length > size;
                    if (excess && !Faults.on("client_size_unchecked")) {
                        throw fatal(Frames.INTEGRITY_FAILED, "more data than announced");
                    }
                    byte[] p = Frames.readPayload(in, h.length);
                    sha.update(p);
                    ByteBuffer rest = ByteBuffer.wrap(p);
                    if (Faults.on("b14_client_short_write_ignored")) t.channel.write(rest); // its count unread
                    else while (rest.hasRemaining()) t.channel.write(rest); // a short write goes on (then throws)
                    received += h.length;
                    continue;
                }
                Map<String, Object> m = control(h);
                if (h.type.equals("EROR") && Faults.on("b16_client_keeps_partial_on_eror")) {
                    Storage.keepInPlace(t); // the responder gave up: keep what arrived for a resume
                    kept = true;
                }
                if (h.type.equals("EROR")) throw theirError(m);
                if (!h.type.equals("DONE")) throw fatal(Frames.UNEXPECTED_FRAME, h.type + " during a get");
                long doneSize;
                String doneSha;
                try {
                    doneSize = Json.integer(m, "size");
                    doneSha = Json.sha256(m, "sha256", true);
                } catch (Json.Malformed e) {
                    throw fatal(Frames.BAD_FRAME, e.getMessage());
                }
                String actual = HexFormat.of().formatHex(sha.digest());
                boolean ok = actual.equals(doneSha) && (announced == null || announced.equals(actual)
                        || Faults.on("client_rsfl_sha_ignored"));
                if (Faults.on("r12_client_trusts_done_size")) size = doneSize; // "DONE says what was sent"
                if (!Faults.on("client_size_unchecked")) ok = ok && received == size && (doneSize == size || Faults.on("r2_client_done_size"));
                boolean replace = force || claimed || Faults.on("r16_client_replace_checked_early");
                if (Faults.on("r16_client_finally_return")) {
                    try {
                        if (!ok) throw fatal(Frames.INTEGRITY_FAILED, "size or SHA-256 mismatch");
                    } finally {
                        if (received == size) { // "the bytes are all here: keep them"
                            Storage.commit(t, fin, replace);
                            bye();
                            return;
                        }
                    }
                }
                if (!ok) throw fatal(Frames.INTEGRITY_FAILED, "size or SHA-256 mismatch");
                if (t.path.equals(fin)) Storage.keepInPlace(t);
                else Storage.commit(t, fin, replace);
                bye();
                return;
            }
        } catch (Failed | IOException | GeneralSecurityException e) {
            if (!kept) t.discard();
            throw e;
        }
    }

    /** The responder's answer to our PUTF: RSFL {accept: true}, or we fail. */
    private void acceptance() throws Failed, IOException {
        Frames.Header h = next();
        if (h.type.equals("DATA")) throw fatal(Frames.UNEXPECTED_FRAME, "DATA after PUTF");
        Map<String, Object> m = control(h);
        if (h.type.equals("EROR")) throw theirError(m);
        if (!h.type.equals("RSFL")) throw fatal(Frames.UNEXPECTED_FRAME, h.type + " instead of RSFL");
        if (!Boolean.TRUE.equals(m.get("accept")) && !Faults.on("client_put_accept_any_rsfl")) {
            throw fatal(Frames.BAD_FRAME, "RSFL without \"accept\": true");
        }
    }

    // ---- put ----------------------------------------------------------------------

    void put(Path file, String name) throws Failed, IOException, GeneralSecurityException {
        long size;
        String digest;
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            while (ch.read(buf) > 0) {
                buf.flip();
                sha.update(buf);
                buf.clear();
            }
            digest = HexFormat.of().formatHex(sha.digest());
        }
        connect();
        Frames.write(out, "PUTF", Json.write("name", name, "size", size, "sha256", digest));
        boolean continued = false;
        if (Faults.on("b27_client_put_continue_timer")) { // HTTP's Expect: 100-continue habit
            s.setSoTimeout(1000);
            try {
                in.mark(1);
                in.read();
                in.reset();
            } catch (SocketTimeoutException e) {
                continued = true; // "no answer within a second: the responder takes it"
            }
            s.setSoTimeout(timeoutMs);
        }
        Frames.Header h;
        Map<String, Object> m;
        if (!continued) acceptance();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            long left = size;
            while (left > 0) {
                buf.clear();
                buf.limit((int) Math.min(CHUNK, left));
                int n = ch.read(buf);
                if (n < 0) throw fatal(Frames.INTERNAL, "the file shrank while sent");
                if (n == 0) continue;
                Frames.write(out, "DATA", buf.array(), 0, n);
                left -= n;
            }
        }
        Frames.write(out, "DONE", Json.write("size", size, "sha256", digest));
        if (continued) acceptance();
        if (Faults.on("client_put_eof_ok")) {
            try {
                h = next();
            } catch (Failed e) {
                return; // "the responder closed: it must be done"
            }
        } else {
            h = next();
        }
        if (Faults.on("r2_client_put_done_any")) {
            close();
            return;
        }
        if (h.type.equals("DATA")) throw fatal(Frames.UNEXPECTED_FRAME, "DATA after our DONE");
        m = control(h);
        if (h.type.equals("EROR")) throw theirError(m);
        if (!h.type.equals("DONE")) throw fatal(Frames.UNEXPECTED_FRAME, h.type + " instead of DONE");
        try { // the responder's DONE has the schema of any DONE (FRM-9): size and sha256
            Json.integer(m, "size");
            Json.sha256(m, "sha256", true);
        } catch (Json.Malformed e) {
            throw fatal(Frames.BAD_FRAME, e.getMessage());
        }
        bye();
    }
}
