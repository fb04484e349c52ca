import java.io.IOException;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The sft-eke/1 responder: one thread per connection, blocking sockets. */
final class Server {
    final Eke7.Options o;
    final Accounts accounts;
    final byte[] serverSecret;
    final Throttle throttle;
    final Path share, inbox;
    final List<Conn> conns = new ArrayList<>();
    final Set<Path> temps = ConcurrentHashMap.newKeySet();
    /** exists_from_startup_listing: the inbox's names as listed at start (and at SIGHUP). */
    final Set<String> inboxNames = ConcurrentHashMap.newKeySet();
    ServerSocket listener;

    static final class Conn {
        final Socket sock;
        final Wire.Channel ch;
        final String addr;
        final long accepted;
        volatile boolean established;

        Conn(Socket sock, Wire.Channel ch, String addr) {
            this.sock = sock; this.ch = ch; this.addr = addr; this.accepted = System.currentTimeMillis();
        }
    }

    Server(Eke7.Options o) throws IOException {
        this.o = o;
        this.share = Path.of(o.get("--share")).toAbsolutePath();
        this.inbox = Path.of(o.get("--inbox")).toAbsolutePath();
        Path state = Path.of(o.get("--state"));
        Files.createDirectories(state);
        this.accounts = new Accounts(Path.of(o.get("--store")));
        accounts.load();
        this.serverSecret = loadSecret(state.resolve("server_secret"));
        this.throttle = new Throttle(o.integer("--throttle-failures", 5), o.decimal("--throttle-base", 1.0),
            o.decimal("--throttle-cap", 300.0), o.integer("--pending-per-user", 4),
            o.integer("--pending-per-address", 8), o.integer("--lock-after", 100),
            o.integer("--table-entries", 10000), state.resolve("failures.txt"));
        throttle.load();
    }

    static byte[] loadSecret(Path p) throws IOException {
        if (Files.exists(p)) return Files.readAllBytes(p);
        byte[] s = Crypto.random(32);
        Files.deleteIfExists(p);
        Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(p, s);
        return s;
    }

    int hsMillis() { return (int) (o.decimal("--handshake-timeout", 10.0) * 1000); }

    int idleMillis() { return (int) (o.decimal("--idle-timeout", 60.0) * 1000); }

    long maxFile() { return o.longValue("--max-file-size", 4L << 30); }

    int frameLimit() { return o.integer("--frame-limit", 1048832); }

    void listInbox() {
        inboxNames.clear();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(inbox)) {
            for (Path p : ds) inboxNames.add(p.getFileName().toString());
        } catch (IOException e) {
            System.err.println("eke7: inbox listing: " + e.getMessage());
        }
    }

    void sweepInbox() {
        listInbox();
        if (Faults.on("no_startup_sweep")) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(inbox, ".sft-partial-*")) {
            for (Path p : ds) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("eke7: inbox sweep: " + e.getMessage());
        }
    }

    void serve() throws IOException {
        sweepInbox();
        String listen = o.get("--listen");
        int colon = listen.lastIndexOf(':');
        String host = listen.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(listen.substring(colon + 1));
        listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(InetAddress.getByName(host), port), 128);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path t : temps) {
                try { Files.deleteIfExists(t); } catch (IOException e) { /* exiting */ }
            }
        }));
        installHup(host);
        System.out.println("eke7: limits: handshake_timeout=" + hsMillis() / 1000.0 + "s idle_timeout="
            + idleMillis() / 1000.0 + "s max_file_size=" + maxFile() + " max_connections="
            + o.integer("--max-connections", 64) + " max_pending_per_address="
            + o.integer("--max-pending-per-address", 8) + " frame_limit=" + frameLimit()
            + " throttle_failures=" + throttle.n + " base=" + throttle.base + " cap=" + throttle.cap
            + " pending_per_user=" + throttle.p + " pending_per_address=" + throttle.q
            + " lock_after=" + throttle.lockAfter + " table_entries=" + throttle.tableEntries);
        System.out.println("listening on " + host + ":" + listener.getLocalPort());
        System.out.flush();
        Thread wd = new Thread(this::watchdog, "watchdog");
        wd.setDaemon(true);
        wd.start();
        while (true) {
            Socket s = listener.accept();
            try {
                admit(s);
            } catch (IOException | RuntimeException e) {
                try { s.close(); } catch (IOException x) { /* refused */ }
            }
        }
    }

    @SuppressWarnings("restriction")
    void installHup(String host) {
        // EKE-THR-8's restart: reread the accounts and the failure counts from disk (all
        // in-memory copies dropped), sweep the inbox, and say so as a fresh start does.
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
            try {
                accounts.load();
                throttle.load();
                sweepInbox();
                System.out.println("listening on " + host + ":" + listener.getLocalPort());
                System.out.flush();
            } catch (IOException e) {
                System.err.println("eke7: restart failed: " + e.getMessage());
            }
        });
    }

    static String addressKey(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            return Crypto.hex(Arrays.copyOf(b, 8)) + "::/64";
        }
        return a.getHostAddress();
    }

    void admit(Socket s) throws IOException {
        String addr = addressKey(s.getInetAddress());
        Wire.Channel ch = new Wire.Channel(s, frameLimit());
        Conn c = new Conn(s, ch, addr);
        int maxConn = o.integer("--max-connections", 64);
        int perAddr = o.integer("--max-pending-per-address", 8);
        Conn evict = null;
        boolean refuse = false;
        synchronized (conns) {
            int pendingHere = 0;
            for (Conn x : conns) if (!x.established && x.addr.equals(addr)) pendingHere++;
            boolean overAddr = Faults.on("addr_cap_off_by_one") ? pendingHere > perAddr : pendingHere >= perAddr;
            if (overAddr) {
                refuse = true;
            } else if ((Faults.on("max_conn_counts_pending_only") ? pendingAll() : conns.size()) >= maxConn) {
                for (Conn x : conns) {
                    if (!x.established || Faults.on("evicts_established")) { evict = x; break; }
                }
                if (evict == null) refuse = true;
                else conns.remove(evict);
            }
            if (!refuse) conns.add(c);
        }
        if (evict != null) evict.ch.close();
        if (refuse) {
            ch.deadline = System.currentTimeMillis() + 1000;
            ch.sendError(Wire.BUSY, "server busy", 1L);
            ch.close();
            return;
        }
        Thread t = new Thread(() -> run(c), "conn");
        t.setDaemon(true);
        t.start();
    }

    /** max_conn_counts_pending_only: connections still in their handshake (caller holds conns). */
    int pendingAll() {
        int k = 0;
        for (Conn x : conns) if (!x.established) k++;
        return k;
    }

    void watchdog() {
        while (true) {
            try { Thread.sleep(100); } catch (InterruptedException e) { return; }
            if (Faults.on("no_send_timeout")) continue;
            long now = System.currentTimeMillis();
            List<Conn> snapshot;
            synchronized (conns) { snapshot = new ArrayList<>(conns); }
            for (Conn c : snapshot) {
                long wp = c.ch.writeProgress;
                if (wp > 0 && now - wp > idleMillis()) c.ch.close();
            }
        }
    }

    void forget(Conn c) {
        synchronized (conns) { conns.remove(c); }
    }

    void run(Conn c) {
        Wire.Channel ch = c.ch;
        boolean clean = false;
        try {
            handshake(c);
            synchronized (conns) { c.established = true; }
            ch.records = true;
            ch.deadline = 0;
            ch.idleMillis = idleMillis();
            appLoop(c);
            clean = true;
        } catch (Wire.ProtoError e) {
            boolean silent = e.code == Wire.TIMEOUT
                && ((!ch.records && Faults.on("handshake_timeout_silent")) || (ch.records && Faults.on("idle_timeout_silent")));
            if (!silent && ch.records && e.code == Wire.TIMEOUT && Faults.on("b25_timeout_eror_in_clear")) {
                try { // the raw frame writer: the record state may be mid-write when a timer fires
                    ch.sendPlain("EROR", Wire.eror(e.code, e.getMessage(), null));
                } catch (IOException | RuntimeException x) { /* gone */ }
            } else if (!silent) {
                ch.deadline = 0;
                ch.sendError(e.code, e.getMessage(), e.retryAfter);
            }
        } catch (Wire.Closed | IOException e) {
            // the peer left, or a record failed: close without a word
        } catch (RuntimeException e) {
            System.err.println("eke7: internal error: " + e);
            ch.deadline = 0;
            ch.sendError(Wire.INTERNAL, "internal error", null);
        } finally {
            ch.close();
            if (clean || !Faults.on("max_conn_never_frees")) forget(c);
        }
    }

    // ---- handshake (§5.3) ----
    void handshake(Conn c) throws Wire.ProtoError, Wire.Closed, IOException {
        Wire.Channel ch = c.ch;
        ch.hsMillis = hsMillis();
        ch.deadline = c.accepted + hsMillis();
        Wire.Frame f = ch.readPlain();
        if (f.type.equals("EROR")) throw new Wire.Closed("EROR before the handshake");
        if (!f.type.equals("EKE1") && !Faults.on("eke1_type_unchecked")) {
            throw new Wire.ProtoError(Wire.UNEXPECTED, "expected EKE1");
        }
        Map<String, Object> m = f.json();
        if (Faults.on("r18_eke1_extra_member_bad_frame") && !m.keySet().equals(Set.of("user", "a"))) {
            throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE1: unknown member");
        }
        String user;
        byte[] a;
        try {
            user = Json.string(m, "user");
            a = Crypto.unhex(Json.string(m, "a"));
        } catch (Json.Malformed e) {
            throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE1");
        }
        if (a == null || a.length != Crypto.K) throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE1: a");
        byte[] userBytes = Crypto.utf8(user);
        if (!validUser(user)) throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE1: user");
        String tkey = c.addr;
        if (Faults.on("throttle_address_with_port")) tkey = String.valueOf(c.sock.getRemoteSocketAddress());
        if (Faults.on("throttle_address_per_user")) tkey = c.addr + "|" + user;
        Throttle.Decision d = throttle.admit(Faults.on("throttle_key_lowercased") ? user.toLowerCase(java.util.Locale.ROOT) : user, tkey);
        if (d.kind == Throttle.Kind.THROTTLED) {
            if (Faults.on("r18_throttle_tarpit")) { // make a guesser wait for each refusal
                try { Thread.sleep(1500); } catch (InterruptedException e) { /* go on */ }
            }
            throw new Wire.ProtoError(Wire.THROTTLED, "too many failed logins", d.retryAfter);
        }
        if (d.kind == Throttle.Kind.BUSY) {
            if (Faults.on("r18_busy_counted_as_failure")) throttle.failNow(user, tkey); // a refused login is a failed one
            throw new Wire.ProtoError(Wire.BUSY, "too many logins in progress", d.retryAfter);
        }
        boolean spent = false, success = false, abandoned = true, known = false;
        try {
            byte[] pw = accounts.lookup(user);
            known = pw != null;
            if (pw == null) {
                if (Faults.on("unknown_user_fast_fail")) throw new Wire.ProtoError(Wire.AUTH_FAILED, "authentication failed");
                pw = Crypto.fakeKey(serverSecret, userBytes);
            }
            java.util.Random rnd = Faults.on("random_fixed_seed") ? new java.util.Random(42) : Crypto.RNG;
            BigInteger x = Crypto.recover(Crypto.os2ip(Crypto.decrypt(pw, a)));
            BigInteger y = new BigInteger(320, rnd).setBit(320);
            BigInteger yy = Crypto.G.modPow(y, Crypto.P);
            boolean s = Faults.on("sign_drawn_once") ? SIGN : rnd.nextBoolean();
            byte[] b = Crypto.encrypt(pw, Crypto.i2osp(Crypto.hide(yy, s)));
            boolean valid = x != null;
            BigInteger z = valid ? x.modPow(y, Crypto.P) : new BigInteger(3000, Crypto.RNG);
            if (!Crypto.zValid(z)) valid = false;
            Crypto.Keys k = Crypto.schedule(userBytes, a, b, Crypto.i2osp(z));
            byte[] ns = Faults.on("ns_static_buffer") ? NS_BUFFER : new byte[32];
            rnd.nextBytes(ns);
            byte[] c2 = Crypto.seal(k.kcs, Crypto.nonce(2), ns, Crypto.cat(Crypto.utf8("EKE2"), k.th));
            ch.sendPlain("EKE2", Json.obj("b", Crypto.hex(b), "c", Crypto.hex(c2)));
            spent = true;
            if (Faults.on("b25_hs_timeout_after_eke2_silent")) { // the client went away: nobody to tell
                try {
                    f = ch.readPlain();
                } catch (Wire.ProtoError e) {
                    if (e.code == Wire.TIMEOUT) throw new Wire.Closed("no EKE3 before the handshake timeout");
                    throw e;
                }
            } else {
                f = ch.readPlain();
            }
            if (f.type.equals("EROR")) throw new Wire.Closed("EROR in place of EKE3");
            abandoned = false;
            if (!f.type.equals("EKE3")) throw new Wire.ProtoError(Wire.UNEXPECTED, "expected EKE3");
            byte[] c3;
            try {
                c3 = Crypto.unhex(Json.string(f.json(), "c"));
            } catch (Json.Malformed e) {
                throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE3");
            }
            if (c3 == null || c3.length != 80) throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed EKE3: c");
            byte[] pt = Crypto.open(k.kcc, Crypto.nonce(3), c3, Crypto.cat(Crypto.utf8("EKE3"), k.th));
            boolean ok = valid && pt != null && pt.length == 64;
            if (ok && !Faults.on("ns_not_compared")) ok = Crypto.equalCt(Arrays.copyOfRange(pt, 32, 64), ns);
            if (!ok && !known && Faults.on("r18_unknown_user_message")) {
                throw new Wire.ProtoError(Wire.AUTH_FAILED, "authentication failed: no such user");
            }
            if (!ok) throw new Wire.ProtoError(Wire.AUTH_FAILED, "authentication failed");
            success = true;
            byte[] na = Arrays.copyOfRange(pt, 0, 32);
            byte[] c4 = Crypto.seal(k.kcs, Crypto.nonce(4), na, Crypto.cat(Crypto.utf8("EKE4"), k.th));
            ch.sendPlain("EKE4", Json.obj("c", Crypto.hex(c4)));
            ch.sendKey = k.keyS2c; ch.sendIv = k.ivS2c; ch.recvKey = k.keyC2s; ch.recvIv = k.ivC2s;
        } finally {
            // r18_unknown_user_not_counted: "no account, nothing to protect"
            boolean counted = spent && !(Faults.on("r18_unknown_user_not_counted") && !known);
            throttle.end(Faults.on("throttle_key_lowercased") ? user.toLowerCase(java.util.Locale.ROOT) : user, tkey,
                counted, success, abandoned);
            if (spent && !success) {
                System.err.println("eke7: failed handshake user=" + Json.quote(user) + " address=" + c.addr
                    + " time=" + Instant.now());
            }
        }
    }

    static final boolean SIGN = Crypto.RNG.nextBoolean();
    /** ns_static_buffer: one Ns array for every connection thread. */
    static final byte[] NS_BUFFER = new byte[32];
    /** put_digest_shared: one digest for every put, reset only by digest(). */
    static final MessageDigest PUT_DIGEST = sha();

    static boolean validUser(String user) {
        byte[] u = Crypto.utf8(user);
        if (u.length < 1 || u.length > 64) return false;
        for (int i = 0; i < user.length(); ) {
            int cp = user.codePointAt(i);
            if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return false;
            i += Character.charCount(cp);
        }
        return true;
    }

    // ---- application (§3) ----
    void appLoop(Conn c) throws Wire.ProtoError, Wire.Closed, IOException {
        Wire.Channel ch = c.ch;
        boolean byeSeen = false;
        while (true) {
            if (byeSeen && ch.in.available() == 0) return; // r18_bye_drains_pipelined
            Wire.Frame f = ch.pushback != null ? ch.pushback : ch.readRecord();
            ch.pushback = null;
            try {
                switch (f.type) {
                    case "RQFL": get(ch, f); if (Faults.on("one_transfer_per_connection")) return; break;
                    case "PUTF": put(ch, f); if (Faults.on("one_transfer_per_connection")) return; break;
                    case "BYE_":
                        // FRM-8/FRM-9: `{}` or any object; anything else is bad_frame
                        if (!Faults.on("r18_bye_payload_unparsed")) f.json(); // BYE_ carries nothing to read
                        ch.send("BYE_", Crypto.utf8("{}"));
                        if (Faults.on("bye_no_close")) break;
                        if (Faults.on("r18_bye_drains_pipelined")) { byeSeen = true; break; } // answer what is already here
                        return;
                    case "DONE": case "DATA":
                        if (Faults.on("r18_idle_stray_done_skipped")) break; // the tail of a put refused mid-way
                        throw new Wire.ProtoError(Wire.UNEXPECTED, "unexpected " + f.type + " in IDLE");
                    case "EROR":
                        if (Faults.on("b25_garbled_eror_skipped")) { // line noise, not an error report
                            try {
                                if (!(Json.object(f.payload).get("code") instanceof BigInteger)) break;
                            } catch (Json.Malformed e) {
                                break;
                            }
                        }
                        if (Faults.on("eror_received_ignored")) {
                            Object code = f.json().get("code");
                            if (code instanceof BigInteger && ((BigInteger) code).bitLength() < 31
                                && !Wire.FATAL[Math.min(14, Math.max(0, ((BigInteger) code).intValue()))]) break;
                        }
                        return;
                    default: throw new Wire.ProtoError(Wire.UNEXPECTED, "unexpected " + f.type + " in IDLE");
                }
            } catch (Wire.ProtoError e) {
                boolean fatal = e.fatal() || Faults.on("nonfatal_closes");
                if (fatal && !(Faults.on("fatal_error_no_close") && e.code == Wire.BAD_FRAME)) throw e;
                ch.sendError(e.code, e.getMessage(), e.retryAfter);
            }
        }
    }

    static String nameProblem(String name) {
        if (name.isEmpty()) return "empty name";
        int nameLen = Faults.on("name_limit_in_chars") ? name.length() : Crypto.utf8(name).length;
        if (nameLen > 4096) return "name longer than 4096 bytes";
        if (name.startsWith("/")) return "absolute name";
        boolean drive = name.length() >= 2 && name.charAt(1) == ':' && name.charAt(0) < 128
            && Character.isLetter(name.charAt(0));
        if (Faults.on("drive_letter_assert")) {
            assert !drive : "drive letter"; // a no-op: the JVM runs without -ea
        } else if (drive) {
            return "drive letter";
        }
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0 || cp < 0x20 || cp == 0x7f) return "control character";
            if (cp == '\\' && !Faults.on("backslash_allowed")) return "backslash";
            if (cp >= 0x80 && cp <= 0x9f && !Faults.on("c1_not_refused")) return "C1 control character";
            if (((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) && !Faults.on("bidi_not_refused")) {
                return "bidirectional formatting character";
            }
        }
        String[] comps = name.split("/", -1);
        for (String comp : comps) {
            if (comp.isEmpty() || comp.equals(".") || comp.equals("..")) return "empty, . or .. component";
            int clen = Crypto.utf8(comp).length;
            if (Faults.on("component_limit_exclusive") ? clen >= 255 : clen > 255) return "component longer than 255 bytes";
            if (Faults.on("components_first_only")) break; // a `return null` slipped into the loop
        }
        String last = Faults.on("reserved_prefix_whole_name") ? name : comps[comps.length - 1];
        if (last.startsWith(".sft-partial-")) return "reserved name";
        return null;
    }

    String useName(String name) {
        if (Faults.on("name_nfc_normalised")) return java.text.Normalizer.normalize(name, java.text.Normalizer.Form.NFC);
        if (Faults.on("url_decoded_name")) {
            try {
                return java.net.URLDecoder.decode(name, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return name;
            }
        }
        return name;
    }

    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    /** Opens a file of the share by name, component by component without following links. */
    SeekableByteChannel openShared(String name) throws Wire.ProtoError, IOException {
        if (Faults.on("symlink_followed") || Faults.on("string_prefix_confinement")) {
            Path p = share.resolve(name).normalize();
            if (!p.startsWith(share)) throw new Wire.ProtoError(Wire.FORBIDDEN, "name outside the share");
            if (Faults.on("string_prefix_confinement")) {
                try {
                    Path real = p.toRealPath();
                    if (!real.toString().startsWith(share.toRealPath().toString())) {
                        throw new Wire.ProtoError(Wire.FORBIDDEN, "name outside the share");
                    }
                } catch (NoSuchFileException e) {
                    throw new Wire.ProtoError(Wire.NOT_FOUND, "no such file");
                }
            }
            if (!Files.exists(p) || !Files.isRegularFile(p)) throw new Wire.ProtoError(Wire.NOT_FOUND, "no such file");
            return Files.newByteChannel(p, StandardOpenOption.READ);
        }
        if (Faults.on("r18_exists_probe_before_link_check") && !Files.exists(share.resolve(name))) {
            throw new Wire.ProtoError(Wire.NOT_FOUND, "no such file"); // the cheap test first
        }
        String[] comps = name.split("/", -1);
        List<SecureDirectoryStream<Path>> opened = new ArrayList<>();
        try {
            DirectoryStream<Path> root = Files.newDirectoryStream(share);
            if (!(root instanceof SecureDirectoryStream)) {
                root.close();
                throw new IOException("no SecureDirectoryStream on this platform");
            }
            SecureDirectoryStream<Path> dir = (SecureDirectoryStream<Path>) root;
            opened.add(dir);
            for (int i = 0; i < comps.length; i++) {
                Path comp;
                try {
                    comp = Path.of(comps[i]);
                } catch (java.nio.file.InvalidPathException e) {
                    throw new Wire.ProtoError(Wire.NOT_FOUND, "no such file");
                }
                BasicFileAttributes at;
                try {
                    at = dir.getFileAttributeView(comp, BasicFileAttributeView.class, NOFOLLOW).readAttributes();
                } catch (NoSuchFileException e) {
                    throw new Wire.ProtoError(Wire.NOT_FOUND, "no such file");
                } catch (IOException e) {
                    throw new Wire.ProtoError(Wire.NOT_FOUND, "no such file");
                }
                if (at.isSymbolicLink()) throw new Wire.ProtoError(Wire.FORBIDDEN, "symbolic links are not followed");
                boolean last = i == comps.length - 1;
                if (!last) {
                    if (!at.isDirectory()) throw new Wire.ProtoError(Wire.NOT_FOUND, "no such file");
                    try {
                        dir = dir.newDirectoryStream(comp, NOFOLLOW);
                    } catch (IOException e) {
                        throw new Wire.ProtoError(Wire.FORBIDDEN, "the path changed under resolution");
                    }
                    opened.add(dir);
                    continue;
                }
                if (at.isDirectory() && Faults.on("get_directory_forbidden")) {
                    throw new Wire.ProtoError(Wire.FORBIDDEN, "not a file");
                }
                if (!at.isRegularFile() && !Faults.on("directory_internal")) {
                    throw new Wire.ProtoError(Wire.NOT_FOUND, "no such file");
                }
                Set<OpenOption> opts = Set.of(StandardOpenOption.READ, NOFOLLOW);
                try {
                    if (Faults.on("b28_open_by_path_after_check")) { // checked: open it the plain way
                        return Files.newByteChannel(share.resolve(name), StandardOpenOption.READ);
                    }
                    return dir.newByteChannel(comp, opts);
                } catch (IOException e) {
                    throw new Wire.ProtoError(Wire.FORBIDDEN, "the path changed under resolution");
                }
            }
            throw new Wire.ProtoError(Wire.NOT_FOUND, "no such file");
        } finally {
            for (SecureDirectoryStream<Path> d : opened) {
                try { d.close(); } catch (IOException e) { /* closing */ }
            }
        }
    }

    void get(Wire.Channel ch, Wire.Frame f) throws Wire.ProtoError, IOException {
        String name;
        try {
            name = Json.string(f.json(), "name");
        } catch (Json.Malformed e) {
            throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed RQFL");
        }
        String problem = nameProblem(useName(name));
        if (problem != null) throw new Wire.ProtoError(Wire.FORBIDDEN, "name refused: " + problem);
        try (SeekableByteChannel in = openShared(useName(name))) {
            long size = in.size();
            if (size > maxFile() && !Faults.on("get_size_unchecked")) {
                throw new Wire.ProtoError(Wire.TOO_LARGE, "file above the maximum size");
            }
            String shown = name;
            if (Faults.on("rsfl_name_basename")) shown = name.substring(name.lastIndexOf('/') + 1);
            ch.send("RSFL", Json.obj("name", shown, "size", size));
            if (size == 0 && Faults.on("empty_get_empty_data")) ch.send("DATA", new byte[0]);
            MessageDigest md = sha();
            long sent = 0;
            ByteBuffer buf = ByteBuffer.allocate(Wire.DATA_LIMIT);
            if (Faults.on("r18_get_reads_to_eof")) { // the file as it is, to its end
                while (true) {
                    buf.clear();
                    int r = in.read(buf);
                    if (r <= 0) break;
                    byte[] chunk = Arrays.copyOf(buf.array(), r);
                    md.update(chunk);
                    ch.send("DATA", chunk);
                    sent += r;
                }
                ch.send("DONE", Json.obj("size", sent, "sha256", digestText(md.digest())));
                return;
            }
            while (sent < size) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), size - sent));
                int r;
                try {
                    r = in.read(buf);
                } catch (IOException e) {
                    throw new Wire.ProtoError(Wire.INTERNAL, "read failed");
                }
                if (r <= 0) throw new Wire.ProtoError(Wire.INTERNAL, "the file shrank while it was sent");
                byte[] chunk = Arrays.copyOf(buf.array(), r);
                md.update(chunk);
                ch.send("DATA", chunk);
                sent += r;
            }
            byte[] d = md.digest();
            String text = Faults.on("r18_get_done_sha_biginteger") ? new BigInteger(1, d).toString(16) : digestText(d);
            ch.send("DONE", Json.obj("size", size, "sha256", text));
        }
    }

    /** The hex text of a digest for a DONE (r18_done_sha_biginteger_hex: BigInteger's, no leading zeros). */
    static String digestText(byte[] d) {
        if (Faults.on("r18_done_sha_biginteger_hex")) return new BigInteger(1, d).toString(16);
        return Crypto.hex(d);
    }

    static MessageDigest sha() {
        try { return MessageDigest.getInstance("SHA-256"); } catch (Exception e) { throw new IllegalStateException(e); }
    }

    void put(Wire.Channel ch, Wire.Frame f) throws Wire.ProtoError, Wire.Closed, IOException {
        Map<String, Object> m = f.json();
        String name;
        long size;
        String putSha = null;
        try {
            name = Json.string(m, "name");
            if (Faults.on("size_as_int")) {
                Object v = m.get("size");
                if (!(v instanceof BigInteger)) throw new Json.Malformed("size");
                size = ((BigInteger) v).intValue();
            } else {
                size = Json.integer(m, "size");
            }
            if (m.containsKey("sha256")) {
                putSha = Json.string(m, "sha256");
                if (!Json.isSha(putSha)) throw new Json.Malformed("sha256");
            }
        } catch (Json.Malformed e) {
            throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed PUTF");
        }
        // r18_put_checks_basename_only: only the stored component judged (it is all that is stored)
        String judged = Faults.on("r18_put_checks_basename_only") ? useName(name).substring(useName(name).lastIndexOf('/') + 1) : useName(name);
        String problem = nameProblem(judged);
        if (problem != null) throw new Wire.ProtoError(Wire.FORBIDDEN, "name refused: " + problem);
        Path early = null;
        if (Faults.on("temp_before_checks")) { // "reserve" the temporary at once
            early = inbox.resolve(".sft-partial-" + Crypto.hex(Crypto.random(12)));
            Files.createFile(early, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            temps.add(early);
        }
        if (size > maxFile()) throw new Wire.ProtoError(Wire.TOO_LARGE, "file above the maximum size");
        if (Faults.on("put_dirs_refused") && name.contains("/")) {
            throw new Wire.ProtoError(Wire.FORBIDDEN, "name refused: directories are not allowed");
        }
        String[] comps = useName(name).split("/");
        String base = comps[comps.length - 1];
        if (Faults.on("put_name_whitelist") && !base.matches("[A-Za-z0-9._-]+")) {
            throw new Wire.ProtoError(Wire.FORBIDDEN, "name refused: unsafe characters");
        }
        Path target = inbox.resolve(base);
        boolean exists = Faults.on("exists_follows_links") ? Files.exists(target) : Files.exists(target, NOFOLLOW);
        if (Faults.on("exists_from_startup_listing")) exists = inboxNames.contains(base);
        if (exists) throw new Wire.ProtoError(Wire.EXISTS, "a file of that name exists");
        Path temp = early != null ? early : inbox.resolve(".sft-partial-" + Crypto.hex(Crypto.random(12)));
        if (Faults.on("r18_temp_in_java_tmpdir")) temp = Files.createTempFile(".sft-partial-", ".tmp"); // java.io.tmpdir, 0600
        FileChannel out;
        if (early != null || Faults.on("r18_temp_in_java_tmpdir")) {
            out = FileChannel.open(temp, StandardOpenOption.WRITE);
        } else if (Faults.on("temp_default_perms")) {
            out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } else {
            out = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        temps.add(temp);
        try {
            ch.send("RSFL", Json.obj("accept", true, "name", Faults.on("r18_accept_names_offer") ? name : base));
            MessageDigest md = Faults.on("put_digest_shared") ? PUT_DIGEST : sha();
            long received = 0;
            int idle = ch.idleMillis;
            if (Faults.on("put_no_idle_timeout")) ch.idleMillis = 0;
            while (true) {
                Wire.Frame d;
                try {
                    d = ch.readRecord();
                } catch (Wire.ProtoError e) {
                    if (e.code != Wire.TIMEOUT || !Faults.on("b25_put_timeout_eror_in_clear")) throw e;
                    // the stalled put's own answer, by the frame writer: the uploader is gone anyway
                    try { ch.sendPlain("EROR", Wire.eror(e.code, "idle timeout during a put", null)); } catch (IOException x) { /* gone */ }
                    throw new Wire.Closed("idle timeout during a put");
                } finally {
                    ch.idleMillis = idle;
                }
                if (Faults.on("put_no_idle_timeout")) ch.idleMillis = 0;
                if (d.type.equals("BYE_") && Faults.on("bye_during_put_quiet")) {
                    throw new Wire.Closed("BYE_ during a put: the client is leaving");
                }
                if (d.type.equals("DATA")) {
                    int len = d.payload.length;
                    if (len == 0 && !Faults.on("empty_data_accepted")) throw new Wire.ProtoError(Wire.BAD_FRAME, "empty DATA");
                    if (len > Wire.DATA_LIMIT) throw new Wire.ProtoError(Wire.BAD_FRAME, "DATA above 1 MiB");
                    if (received + len > size && !Faults.on("excess_data_at_done")) {
                        throw new Wire.ProtoError(Wire.INTEGRITY, "more data than announced");
                    }
                    ByteBuffer bb = ByteBuffer.wrap(d.payload);
                    while (bb.hasRemaining()) out.write(bb);
                    md.update(d.payload);
                    received += len;
                } else if (d.type.equals("DONE")) {
                    Map<String, Object> dm = d.json();
                    long dsize = size;
                    String dsha;
                    try {
                        if (Faults.on("done_size_swallowed")) {
                            try {
                                dsize = Json.integer(dm, "size");
                            } catch (Json.Malformed e) {
                                System.err.println("eke7: DONE without a usable size, using the announced one: " + e.getMessage());
                            }
                        } else {
                            dsize = Json.integer(dm, "size");
                        }
                        dsha = Json.string(dm, "sha256");
                    } catch (Json.Malformed e) {
                        throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed DONE");
                    }
                    if (!Json.isSha(dsha)) throw new Wire.ProtoError(Wire.BAD_FRAME, "malformed DONE: sha256");
                    String got = Crypto.hex(md.digest());
                    boolean ok = received == size && dsize == size && got.equals(dsha);
                    if (putSha != null && !Faults.on("putf_sha_ignored")) ok &= got.equals(putSha);
                    if (!ok) throw new Wire.ProtoError(Wire.INTEGRITY, "size or SHA-256 mismatch");
                    out.force(true);
                    out.close();
                    try {
                        if (Faults.on("files_move_replace")) {
                            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        } else {
                            Files.createLink(target, temp);
                            Files.delete(temp);
                        }
                    } catch (FileAlreadyExistsException e) {
                        throw new Wire.ProtoError(Wire.EXISTS, "a file of that name was stored meanwhile");
                    }
                    try (FileChannel dir = FileChannel.open(inbox, StandardOpenOption.READ)) {
                        dir.force(true);
                    }
                    inboxNames.add(base);
                    ch.send("DONE", Json.obj("size", size, "sha256", digestText(Crypto.unhex(got))));
                    return;
                } else if (d.type.equals("EROR")) {
                    throw new Wire.Closed("EROR during a put");
                } else if (Faults.on("r18_put_interrupted_by_request") && (d.type.equals("RQFL") || d.type.equals("PUTF"))) {
                    ch.pushback = d; // the client moved on: drop this put, serve its next request
                    return;
                } else {
                    throw new Wire.ProtoError(Wire.UNEXPECTED, "unexpected " + d.type + " during a put");
                }
            }
        } finally {
            try { out.close(); } catch (IOException e) { /* closing */ }
            Files.deleteIfExists(temp);
            temps.remove(temp);
        }
    }

    /** The password store: one line per user, hex(user) hex(pw), mode 0600 (EKE-PW-2). */
    static final class Accounts {
        final Path file;
        private volatile Map<String, byte[]> byUser = Map.of();

        Accounts(Path file) { this.file = file; }

        void load() throws IOException {
            Map<String, byte[]> m = Faults.on("user_lookup_casefold")
                ? new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER) : new java.util.HashMap<>();
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                    String[] f = line.trim().split(" ");
                    if (f.length != 2) continue;
                    m.put(new String(Crypto.unhex(f[0]), StandardCharsets.UTF_8), Crypto.unhex(f[1]));
                }
            }
            byUser = m;
        }

        byte[] lookup(String user) { return byUser.get(user); }

        static void add(Path file, String user, byte[] pw) throws IOException {
            StringBuilder b = new StringBuilder();
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                    String[] f = line.trim().split(" ");
                    if (f.length == 2 && !f[0].equals(Crypto.hex(Crypto.utf8(user)))) b.append(line.trim()).append('\n');
                }
            }
            b.append(Crypto.hex(Crypto.utf8(user))).append(' ').append(Crypto.hex(pw)).append('\n');
            Path tmp = file.resolveSibling(file.getFileName() + ".new");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, b.toString().getBytes(StandardCharsets.US_ASCII));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
