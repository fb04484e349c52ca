import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The sft-pki/1 responder: one thread per connection (a cached pool, bounded by the
 * connection registry), blocking JSSE sockets, deadlines by a scheduler that closes the
 * raw socket (a handshake deadline counted from accept; a send watchdog per write).
 */
final class Responder {
    static final class Config {
        String host = "127.0.0.1";
        int port = 0;
        Path share;
        Path inbox;
        Set<String> allow; // null: every employee
        boolean putEnabled = true;
        long maxFileSize = 4L << 30;
        long frameLimit = Frames.DEFAULT_FRAME_LIMIT;
        double handshakeTimeout = 10;
        double idleTimeout = 60;
        int maxConnections = 64;
        int maxPendingPerAddress = 8;
        double crlRefresh = 300;
    }

    private static final int CHUNK = 64 * 1024;

    private final Config cfg;
    private final Trust trust;
    private final SSLSocketFactory factory;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final ScheduledExecutorService timers;
    private final List<Conn> conns = new ArrayList<>();
    /** Only the fault r12_alias_static reads it: "the alias of the connection being served". */
    private static volatile String currentAlias = "";
    /** Only the fault r12_static_digest uses it: "one digest object is enough". */
    private static final MessageDigest SHARED_SHA = sha256OrNull();
    /** Only the fault r16_upload_received_static uses it: a put's byte count as a static. */
    private static long sharedReceived;

    private static MessageDigest sha256OrNull() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            return null;
        }
    }

    /** One accepted connection in the registry (LIM-4, LIM-8, LIM-9). */
    private static final class Conn {
        final Socket raw;
        final InetAddress address;
        volatile boolean handshaking = true;
        Conn(Socket raw) { this.raw = raw; this.address = raw.getInetAddress(); }
    }

    Responder(Config cfg, Trust trust) throws GeneralSecurityException, IOException {
        this.cfg = cfg;
        this.trust = trust;
        SSLContext ctx = trust.context(null);
        this.factory = ctx.getSocketFactory();
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(2);
        t.setRemoveOnCancelPolicy(true);
        this.timers = t;
    }

    void serve() throws IOException {
        Storage.sweep(cfg.inbox, 0);
        long refreshMs = (long) (cfg.crlRefresh * 1000);
        timers.scheduleAtFixedRate(trust::refreshQuietly, refreshMs, refreshMs, TimeUnit.MILLISECONDS);
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        ss.bind(new InetSocketAddress(cfg.host, cfg.port), 128);
        System.out.printf("listening on %s:%d%n", cfg.host, ss.getLocalPort());
        System.out.printf("pki4 limits: handshake_timeout=%s idle_timeout=%s max_file_size=%d "
                + "frame_limit=%d max_connections=%d max_pending_per_address=%d%n",
                cfg.handshakeTimeout, cfg.idleTimeout, cfg.maxFileSize, cfg.frameLimit,
                cfg.maxConnections, cfg.maxPendingPerAddress);
        System.out.flush();
        while (true) {
            Socket raw = ss.accept();
            Conn c = admit(raw);
            if (c != null) pool.execute(() -> handle(c));
        }
    }

    /** LIM-4/8/9: admits RAW or closes it (or the oldest handshake) at once. */
    private Conn admit(Socket raw) {
        Conn evicted = null;
        Conn c = new Conn(raw);
        synchronized (conns) {
            int pendingHere = 0;
            for (Conn o : conns) {
                boolean same = Faults.on("r12_pending_local_address")
                        ? o.raw.getLocalAddress().equals(c.raw.getLocalAddress()) : o.address.equals(c.address);
                if (o.handshaking && same) pendingHere++;
            }
            int cap = Faults.on("r2_pending_cap_gt") ? cfg.maxPendingPerAddress + 1 : cfg.maxPendingPerAddress;
            if (pendingHere >= cap && !Faults.on("no_pending_cap")) {
                closeQuietly(raw);
                return null;
            }
            if (conns.size() >= cfg.maxConnections && !Faults.on("no_connection_cap")) {
                for (Conn o : conns) {
                    if (o.handshaking && !Faults.on("no_handshake_eviction")) {
                        evicted = o;
                        if (!Faults.on("b16_evict_newest_handshake")) break; // the fault: the last one found
                    }
                }
                if (evicted == null) {
                    closeQuietly(raw);
                    return null;
                }
                conns.remove(evicted);
            }
            conns.add(c);
        }
        if (evicted != null) closeQuietly(evicted.raw);
        return c;
    }

    private void handle(Conn c) {
        SSLSocket s = null;
        try {
            c.raw.setTcpNoDelay(true);
            s = (SSLSocket) factory.createSocket(c.raw, null, false);
            Trust.configure(s, true);
            AtomicBoolean expired = new AtomicBoolean();
            double handshakeTimeout = Faults.on("b16_handshake_timeout_default")
                    ? new Config().handshakeTimeout : cfg.handshakeTimeout;
            ScheduledFuture<?> deadline = Faults.on("handshake_so_timeout_only")
                    ? timers.schedule(() -> { }, 0, TimeUnit.MILLISECONDS)
                    : timers.schedule(() -> {
                        expired.set(true);
                        closeQuietly(c.raw);
                    }, (long) (handshakeTimeout * 1000), TimeUnit.MILLISECONDS);
            try {
                s.setSoTimeout((int) (handshakeTimeout * 1000));
                s.startHandshake();
            } finally {
                deadline.cancel(false);
            }
            if (expired.get()) return;
            if (!Faults.on("b16_handshaking_never_cleared")) c.handshaking = false;
            String alias = admitPeer(s);
            if (alias == null) return;
            currentAlias = alias;
            s.getSession().invalidate(); // no resumption: every connection is fully checked
            new Session(s, c.raw, alias).run();
        } catch (IOException e) {
            // handshake refused (alert sent by JSSE), reset, or timed out
        } finally {
            synchronized (conns) {
                conns.remove(c);
            }
            if (s != null) endTls(s, c.raw);
            closeQuietly(c.raw);
        }
    }

    /**
     * After the handshake: ALPN (PKI-TLS-2) and the certificate again, from the session
     * (PKI-TLS-10 ways of refusing). Returns the peer's alias, or null when refused (the
     * caller then sends close_notify and closes).
     */
    private String admitPeer(SSLSocket s) throws IOException {
        if (!Trust.ALPN.equals(s.getApplicationProtocol()) && !Faults.on("alpn_not_required")) {
            return null;
        }
        Certificate[] peer;
        try {
            peer = s.getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            if (Faults.on("want_client_auth")) return "";
            return null;
        }
        X509Certificate[] chain = new X509Certificate[peer.length];
        for (int k = 0; k < peer.length; k++) chain[k] = (X509Certificate) peer[k];
        try {
            trust.checkPeer(chain, Trust.Purpose.CLIENT);
            if (Faults.on("r12_alias_from_sni") && s.getSession() instanceof ExtendedSSLSession) {
                for (SNIServerName sni : ((ExtendedSSLSession) s.getSession()).getRequestedServerNames()) {
                    if (sni instanceof SNIHostName) return ((SNIHostName) sni).getAsciiName(); // "who they say they are"
                }
            }
            if (Faults.on("r16_alias_from_chain_end")) {
                return Trust.singleCn(chain[chain.length - 1]); // "the end entity is the last one"
            }
            return Trust.singleCn(chain[0]);
        } catch (CertificateException e) {
            Frames.error(s.getOutputStream(), Frames.AUTH_FAILED, "certificate refused");
            return null;
        }
    }

    /** close_notify (PKI-TLS-7), FIN, then a short drain so unread bytes cause no reset. */
    private void endTls(SSLSocket s, Socket raw) {
        if (Faults.on("bare_tcp_close")) {
            closeQuietly(raw);
            return;
        }
        try {
            s.close();
        } catch (IOException e) {
            // the peer may be gone already
        }
        try {
            raw.shutdownOutput();
            raw.setSoTimeout(500);
            InputStream in = raw.getInputStream();
            byte[] sink = new byte[16384];
            long drained = 0;
            long until = System.nanoTime() + 1_000_000_000L;
            while (drained < (4 << 20) && System.nanoTime() < until) {
                int n = in.read(sink);
                if (n < 0) break;
                drained += n;
            }
        } catch (IOException e) {
            // closed, reset or timed out: close below
        }
        closeQuietly(raw);
    }

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    /** An OutputStream whose every write must progress within the idle timeout (LIM-10). */
    private final class Watched extends OutputStream {
        private final OutputStream out;
        private final Socket raw;
        Watched(OutputStream out, Socket raw) { this.out = out; this.raw = raw; }

        @Override public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

        @Override public void write(byte[] b, int off, int len) throws IOException {
            if (Faults.on("no_send_watchdog")) {
                out.write(b, off, len);
                return;
            }
            ScheduledFuture<?> dog = timers.schedule(() -> closeQuietly(raw),
                    (long) (cfg.idleTimeout * 1000), TimeUnit.MILLISECONDS);
            try {
                out.write(b, off, len);
            } finally {
                dog.cancel(false);
            }
        }

        @Override public void flush() throws IOException { out.flush(); }
    }

    /** The application protocol of one established connection (§3). */
    private final class Session {
        private final SSLSocket s;
        private final String alias;
        private final InputStream in;
        private final OutputStream out;
        private final MessageDigest sha;

        Session(SSLSocket s, Socket raw, String alias) throws IOException {
            this.s = s;
            this.alias = alias;
            this.in = new BufferedInputStream(s.getInputStream(), CHUNK);
            // The watchdog closes the TCP socket, not the SSLSocket: SSLSocket.close() writes a
            // close_notify, which blocks on the very send buffer the stalled peer leaves full
            // and so held the timer thread (and every other deadline) with it.
            this.out = new Watched(s.getOutputStream(), Faults.on("b16_watchdog_closes_tls") ? s : raw);
            try {
                this.sha = Faults.on("r12_static_digest") ? SHARED_SHA : MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Ends when the connection has to close; the caller sends close_notify. */
        void run() throws IOException {
            int idleMs = Faults.on("no_idle_timeout") ? 0 : (int) (cfg.idleTimeout * 1000);
            if (Faults.on("b16_idle_cast_precedence")) idleMs = (int) cfg.idleTimeout * 1000;
            s.setSoTimeout(idleMs);
            Upload upload = null;
            try {
                while (true) {
                    Frames.Header h;
                    try {
                        h = Frames.readHeader(in, cfg.frameLimit);
                        if (h == null) {
                            // the peer's close_notify: answer with ours
                            if (Faults.on("eof_keeps_partial")) upload = null;
                            return;
                        }
                        if (upload == null) {
                            if (!idle(h)) return;
                            upload = pendingUpload;
                            pendingUpload = null;
                        } else if (upload.frame(h)) {
                            upload = null;
                            s.setSoTimeout(idleMs);
                        }
                    } catch (Frames.ProtocolError e) {
                        Frames.error(out, e.code, e.getMessage());
                        if (upload != null) { upload.temp.discard(); upload = null; }
                        if (Frames.fatal(e.code)) {
                            if (!Faults.on("no_close_after_fatal")) return;
                        }
                    } catch (SocketTimeoutException e) {
                        if (Faults.on("r2_timeout_keeps_partial")) upload = null;
                        if (!Faults.on("r2_timeout_no_eror")) Frames.error(out, Frames.TIMEOUT, "idle timeout");
                        return;
                    }
                }
            } finally {
                if (upload != null) upload.temp.discard();
                if (pendingUpload != null) pendingUpload.temp.discard();
            }
        }

        private Upload pendingUpload;

        /** A frame in IDLE; false: close the connection. */
        private boolean idle(Frames.Header h) throws IOException, Frames.ProtocolError {
            switch (h.type) {
                case "RQFL": return get(Frames.control(in, h));
                case "PUTF": return put(Frames.control(in, h));
                case "BYE_":
                    Frames.control(in, h);
                    Frames.write(out, "BYE_", Faults.on("r12_bye_empty_payload") ? new byte[0] : Json.write());
                    return Faults.on("r2_bye_stays_open");
                case "EROR":
                    if (Faults.on("b27_malformed_eror_skipped")) {
                        try { // "an EROR we cannot read is line noise"
                            Json.integer(Frames.control(in, h), "code");
                        } catch (Frames.ProtocolError | Json.Malformed e) {
                            return true;
                        }
                        return false;
                    }
                    Frames.readPayload(in, h.length);
                    return false;
                default:
                    throw new Frames.ProtocolError(Frames.UNEXPECTED_FRAME, h.type + " in IDLE");
            }
        }

        private boolean allowed() {
            if (cfg.allow == null) return true;
            String alias = Faults.on("r12_alias_static") ? currentAlias : this.alias;
            if (Faults.on("allow_list_substring")) return String.join(",", cfg.allow).contains(alias);
            if (Faults.on("b16_allow_list_lowercased")) {
                for (String a : cfg.allow) {
                    if (a.toLowerCase(java.util.Locale.ROOT).equals(alias.toLowerCase(java.util.Locale.ROOT))) return true;
                }
                return false;
            }
            return cfg.allow.contains(alias);
        }

        private boolean get(Map<String, Object> m) throws IOException, Frames.ProtocolError {
            String name = str(m, "name");
            boolean lateAllow = Faults.on("r16_get_rsfl_before_allow");
            if (!lateAllow && !allowed()) {
                Frames.error(out, Frames.FORBIDDEN, "not authorised");
                return Faults.on("allow_list_no_close");
            }
            Names.Opened f;
            try {
                Names.check(name);
                if (Names.basename(name).startsWith(Names.PARTIAL_PREFIX)) {
                    throw new Names.Refused(Frames.FORBIDDEN, "reserved name");
                }
                f = Names.open(cfg.share, name);
            } catch (Names.Refused r) {
                String why = r.code == Frames.NOT_FOUND ? "no such file" : "name refused";
                if (Faults.on("error_echoes_name")) why = why + ": " + name;
                Frames.error(out, r.code, why);
                return !Faults.on("close_after_not_found");
            }
            try (f) {
                if (f.size > cfg.maxFileSize && !Faults.on("r2_get_size_unchecked")) {
                    Frames.error(out, Frames.TOO_LARGE, "file above the maximum size");
                    return true;
                }
                String echoed = Faults.on("b27_rsfl_basename") ? Names.basename(name) : name; // the put's answer reused
                Frames.write(out, "RSFL", Json.write("name", echoed, "size", f.size));
                if (lateAllow && !allowed()) { // "authorise the transfer, once there is one"
                    Frames.error(out, Frames.FORBIDDEN, "not authorised");
                    return false;
                }
                sha.reset();
                ByteBuffer buf = ByteBuffer.allocate(CHUNK);
                long left = f.size;
                if (Faults.on("b27_get_reads_to_eof")) { // the transferTo habit: copy until EOF
                    left = 0;
                    while (true) {
                        buf.clear();
                        int n = f.channel.read(buf);
                        if (n < 0) break;
                        if (n == 0) continue;
                        sha.update(buf.array(), 0, n);
                        Frames.write(out, "DATA", buf.array(), 0, n);
                    }
                }
                while (left > 0) {
                    buf.clear();
                    buf.limit((int) Math.min(CHUNK, left));
                    int n = f.channel.read(buf);
                    if (n < 0) throw new Frames.ProtocolError(Frames.INTERNAL, "file shrank while sent");
                    if (n == 0) continue;
                    sha.update(buf.array(), 0, n);
                    Frames.write(out, "DATA", buf.array(), 0, n);
                    left -= n;
                }
                HexFormat hex = Faults.on("r12_done_hex_upper") ? HexFormat.of().withUpperCase() : HexFormat.of();
                String digest = hex.formatHex(sha.digest());
                Frames.write(out, "DONE", Json.write("size", f.size, "sha256", digest));
            }
            return true;
        }

        private boolean put(Map<String, Object> m) throws IOException, Frames.ProtocolError {
            String name = str(m, "name");
            long size = integer(m, "size");
            if (Faults.on("size_as_int")) size = (int) size;
            String announced = sha256(m, "sha256", false);
            // PKI-ID-3: the allow list first, so an initiator off it is told forbidden and
            // the connection closes whatever else is wrong with its put (it was after the
            // put-disabled check: with --no-put such an initiator got unsupported and kept
            // its connection; b16_put_checks_before_allow keeps that order for every check).
            boolean lateAllow = Faults.on("b16_put_checks_before_allow");
            if (!lateAllow && !Faults.on("b16_allow_list_get_only") && !allowed()) {
                Frames.error(out, Frames.FORBIDDEN, "not authorised");
                return Faults.on("allow_list_no_close");
            }
            if (!cfg.putEnabled) {
                Frames.error(out, Frames.UNSUPPORTED, "put is disabled");
                return true;
            }
            Storage.Temp early = Faults.on("r16_temp_before_checks")
                    ? Storage.create(cfg.inbox, false) // "fail early when the inbox is not writable"
                    : null;
            String base = Names.basename(name);
            try {
                Names.check(name);
                String reservedLooked = Faults.on("b27_partial_prefix_whole_name") ? name : base;
                if (reservedLooked.startsWith(Names.PARTIAL_PREFIX) && !Faults.on("reserved_prefix_put")) throw new Names.Refused(Frames.FORBIDDEN, "reserved");
            } catch (Names.Refused r) {
                Frames.error(out, r.code, "name refused");
                return true;
            }
            if (size > cfg.maxFileSize || size == cfg.maxFileSize && Faults.on("r2_put_size_ge")) {
                Frames.error(out, Frames.TOO_LARGE, "size above the maximum");
                return true;
            }
            if (lateAllow && !allowed()) { // "authorise a put once it is a valid one"
                Frames.error(out, Frames.FORBIDDEN, "not authorised");
                return Faults.on("allow_list_no_close");
            }
            Path fin = cfg.inbox.resolve(base);
            if (Faults.on("put_keeps_directories")) {
                fin = cfg.inbox.resolve(name);
                Files.createDirectories(fin.getParent());
            }
            Path looked = Faults.on("r12_exists_full_name") ? cfg.inbox.resolve(name) : fin;
            if (!Faults.on("put_replaces") && Files.exists(looked, LinkOption.NOFOLLOW_LINKS)) {
                Frames.error(out, Frames.EXISTS, "file exists");
                return true;
            }
            Storage.Temp t = early != null ? early : Storage.create(fin.getParent(), Faults.on("put_temp_0644"));
            if (Faults.on("no_timeout_during_put")) s.setSoTimeout(0);
            pendingUpload = new Upload(t, fin, size, announced);
            Frames.write(out, "RSFL", Json.write("accept", true, "name", base));
            return true;
        }

        /** A put in RECEIVING. */
        private final class Upload {
            final Storage.Temp temp;
            final Path fin;
            final long size;
            final String announced;
            long received;

            Upload(Storage.Temp temp, Path fin, long size, String announced) {
                this.temp = temp;
                this.fin = fin;
                this.size = size;
                this.announced = announced;
                sha.reset();
            }

            /** One frame; true when the put is over (the connection is IDLE again). */
            boolean frame(Frames.Header h) throws IOException, Frames.ProtocolError {
                switch (h.type) {
                    case "DATA": data(h.length); return false;
                    case "DONE": return done(Frames.control(in, h));
                    case "BYE_":
                        if (Faults.on("b16_bye_during_put_closes")) { // "the peer is leaving: same as EROR"
                            Frames.readPayload(in, h.length);
                            temp.discard();
                            throw new Closing();
                        }
                        throw new Frames.ProtocolError(Frames.UNEXPECTED_FRAME, h.type + " during a put");
                    case "EROR":
                        Frames.readPayload(in, h.length);
                        temp.discard();
                        throw new Closing();
                    case "RQFL":
                    case "PUTF":
                        throw new Frames.ProtocolError(Frames.UNEXPECTED_FRAME, h.type + " during a put");
                    default:
                        if (Faults.on("r12_put_frame_denylist")) {
                            Frames.readPayload(in, h.length); // "nothing else can hurt a put"
                            return false;
                        }
                        throw new Frames.ProtocolError(Frames.UNEXPECTED_FRAME, h.type + " during a put");
                }
            }

            private void data(long length) throws IOException, Frames.ProtocolError {
                if (Faults.on("b16_excess_after_payload")) {
                    byte[] p = Frames.readPayload(in, length); // "read the frame whole, then judge it"
                    if (received + length > size) {
                        throw new Frames.ProtocolError(Frames.INTEGRITY_FAILED, "more data than announced");
                    }
                    sha.update(p);
                    ByteBuffer rest = ByteBuffer.wrap(p);
                    while (rest.hasRemaining()) temp.channel.write(rest);
                    received += length;
                    return;
                }
                boolean excess = Faults.on("r16_excess_per_frame") ? length > size : got() + length > size;
                if (excess && !Faults.on("put_excess_at_done")) {
                    throw new Frames.ProtocolError(Frames.INTEGRITY_FAILED, "more data than announced");
                }
                byte[] buf = new byte[(int) Math.min(CHUNK, length)];
                long left = length;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) throw new java.io.EOFException("end of stream inside DATA");
                    sha.update(buf, 0, n);
                    ByteBuffer rest = ByteBuffer.wrap(buf, 0, n);
                    while (rest.hasRemaining()) temp.channel.write(rest);
                    left -= n;
                }
                received += length;
                if (Faults.on("r16_upload_received_static")) sharedReceived += length;
            }

            /** The bytes received so far (the fault: a static total that is never reset). */
            private long got() {
                return Faults.on("r16_upload_received_static") ? sharedReceived : received;
            }

            private boolean done(Map<String, Object> m) throws IOException, Frames.ProtocolError {
                long doneSize = integer(m, "size");
                String doneSha = sha256(m, "sha256", true);
                String actual = HexFormat.of().formatHex(sha.digest());
                if (Faults.on("r12_offer_hash_trusted") && announced != null) actual = announced;
                boolean ok = got() == size && (doneSize == size || Faults.on("r2_done_size_unchecked"));
                if (!Faults.on("put_sha_unchecked")) {
                    ok = ok && actual.equals(doneSha)
                            && (announced == null || announced.equals(actual) || Faults.on("putf_sha_ignored"));
                }
                if (!ok) throw new Frames.ProtocolError(Frames.INTEGRITY_FAILED, "size or SHA-256 mismatch");
                if (Faults.on("r12_done_before_commit")) {
                    Frames.write(out, "DONE", Json.write("size", size, "sha256", actual));
                    try {
                        Thread.sleep(300); // stands for the fsyncs of a loaded disk
                        Storage.commit(temp, fin, false);
                    } catch (InterruptedException | IOException e) {
                        temp.discard();
                    }
                    return true;
                }
                try {
                    // r16_commit_replaces_after_check: "exists was checked at PUTF"
                    Storage.commit(temp, fin, Faults.on("put_replaces") || Faults.on("r16_commit_replaces_after_check"));
                } catch (FileAlreadyExistsException e) {
                    if (!Faults.on("b16_exists_at_done_no_discard")) temp.discard();
                    Frames.error(out, Frames.EXISTS, "file exists");
                    return true;
                }
                Frames.write(out, "DONE", Json.write("size", size, "sha256", actual));
                return true;
            }
        }
    }

    /** The peer ended the connection with an EROR: close without answering. */
    private static final class Closing extends IOException {
        Closing() { super("peer sent EROR"); }
    }

    private static String str(Map<String, Object> m, String k) throws Frames.ProtocolError {
        try {
            return Json.str(m, k);
        } catch (Json.Malformed e) {
            throw new Frames.ProtocolError(Frames.BAD_FRAME, e.getMessage());
        }
    }

    private static long integer(Map<String, Object> m, String k) throws Frames.ProtocolError {
        try {
            return Json.integer(m, k);
        } catch (Json.Malformed e) {
            throw new Frames.ProtocolError(Frames.BAD_FRAME, e.getMessage());
        }
    }

    private static String sha256(Map<String, Object> m, String k, boolean required) throws Frames.ProtocolError {
        try {
            return Json.sha256(m, k, required);
        } catch (Json.Malformed e) {
            throw new Frames.ProtocolError(Frames.BAD_FRAME, e.getMessage());
        }
    }
}
