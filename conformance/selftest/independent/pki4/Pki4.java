import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * pki4: an sft-pki/1 responder and initiator in Java 17 (JDK only: JSSE, java.security.cert,
 * java.nio.file), written from docs/SPEC.md alone.
 *
 * <pre>
 * java Pki4 serve --root R --cert C --key K (--crl F | --ca-url URL) --share DIR --inbox DIR
 *          [--listen HOST:PORT] [--allow a,b] [--no-put] [--max-file-size N] [--frame-limit N]
 *          [--handshake-timeout S] [--idle-timeout S] [--max-connections N]
 *          [--max-pending-per-address N] [--crl-refresh S]
 * java Pki4 get ALIAS@HOST:PORT NAME -o OUT --root R --cert C --key K (--crl F | --ca-url URL)
 *          [--force] [--timeout S] [--idle-timeout S]
 * java Pki4 put ALIAS@HOST:PORT FILE [--as NAME] --root ... (same identity options)
 * </pre>
 *
 * Our choices where the SPEC leaves one:
 * - threads, not NIO: one thread per connection from a cached pool, blocking SSLSocket;
 *   deadlines by a ScheduledExecutorService that closes the raw socket (handshake deadline
 *   from accept, trickling bytes do not extend it; a send watchdog on every write, LIM-10).
 * - TLS groups and signature schemes pinned with JSSE's system properties
 *   (jdk.tls.namedGroups, jdk.tls.{client,server}.SignatureSchemes: Java 17 has no
 *   SSLParameters setter for groups); com.sun.net.ssl.requireCloseNotify=true, so a FIN
 *   without close_notify is a truncation; session tickets off and every session
 *   invalidated: no resumption, every connection is checked in full.
 * - certificates: PKIX CertPathValidator with the root as the only anchor and the leaf
 *   alone as the path; our own profile checks and our own CRL code (X509CRL, freshness of
 *   PKI-CERT-12); the checks run in our X509ExtendedTrustManager (an alert in the
 *   handshake) and again on the session after it. The initiator checks the alias in the
 *   trust manager too, so a wrong responder fails the handshake.
 * - refused ALPN (a client offering none): close_notify and close, no EROR. A certificate
 *   refused after the handshake: EROR auth_failed, close_notify, close.
 * - every symbolic link in the share is refused (forbidden), walked with
 *   SecureDirectoryStream (openat + O_NOFOLLOW).
 * - RSFL of a get carries no sha256 (the file is read once); DATA frames of 64 KiB; BYE_
 *   is echoed; a lone-surrogate escape in any string is bad_frame (FRM-15, first reading);
 *   JSON nesting deeper than 200 is bad_frame; "-0" is the integer 0.
 * - allow list violations: EROR forbidden, then close.
 * - after close_notify we shut the TCP output and drain the input up to 1 s, so bytes the
 *   peer sent last do not turn our close into a reset.
 * - private keys: PKCS#8, SEC1 and PKCS#1 PEM read in Java (SEC1/PKCS#1 wrapped into
 *   PKCS#8 with a few DER bytes); the CA's https URL is trusted through the root only,
 *   without a host name check.
 * - the initiator refuses to overwrite an existing output file unless --force; it writes
 *   `.sft-partial-*` next to it and sweeps those untouched for longer than --idle-timeout (default 60 s, LIM-2).
 */
public final class Pki4 {
    private static final Set<String> FLAGS = Set.of("--no-put", "--force");

    public static void main(String[] args) {
        Trust.pinJsseProperties();
        if (args.length == 0) usage();
        List<String> pos = new ArrayList<>();
        Map<String, String> opt = new HashMap<>();
        for (int k = 1; k < args.length; k++) {
            String a = args[k];
            if (FLAGS.contains(a)) {
                opt.put(a, "");
            } else if (a.startsWith("-") && a.length() > 1) {
                if (k + 1 >= args.length) usage();
                String key = a.equals("-o") ? "--out" : a;
                String value = args[++k];
                // --allow may be repeated (and each may hold a comma-separated list)
                if (key.equals("--allow") && opt.containsKey(key)) value = opt.get(key) + "," + value;
                opt.put(key, value);
            } else {
                pos.add(a);
            }
        }
        try {
            Trust trust = new Trust(path(opt, "--root"), path(opt, "--cert"), path(opt, "--key"),
                    opt.containsKey("--crl") ? Path.of(opt.get("--crl")) : null, opt.get("--ca-url"));
            try {
                trust.loadCrl();
            } catch (Exception e) {
                // fail closed: no CRL, no service (PKI-CERT-7)
                System.err.println("pki4: cannot load the CRL: " + e.getMessage());
                System.exit(2);
            }
            switch (args[0]) {
                case "serve": serve(opt, trust); break;
                case "get": {
                    if (pos.size() != 2 || !opt.containsKey("--out")) usage();
                    Initiator i = new Initiator(trust, pos.get(0), dbl(opt, "--timeout", 30));
                    long sweepMs = (long) (dbl(opt, "--idle-timeout", 60) * 1000);
                    if (Faults.on("b16_client_sweep_seconds_as_ms")) sweepMs = (long) dbl(opt, "--idle-timeout", 60);
                    i.get(pos.get(1), Path.of(opt.get("--out")), opt.containsKey("--force"), sweepMs);
                    System.exit(0);
                    break;
                }
                case "put": {
                    if (pos.size() != 2) usage();
                    Path file = Path.of(pos.get(1));
                    String name = opt.getOrDefault("--as", file.getFileName().toString());
                    new Initiator(trust, pos.get(0), dbl(opt, "--timeout", 30)).put(file, name);
                    System.exit(0);
                    break;
                }
                default: usage();
            }
        } catch (Initiator.Failed e) {
            System.err.println("pki4: " + e.getMessage());
            System.exit(Faults.on("client_failure_exit_zero") ? 0 : 1);
        } catch (Exception e) {
            System.err.println("pki4: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(1);
        }
    }

    private static void serve(Map<String, String> opt, Trust trust) throws Exception {
        Responder.Config c = new Responder.Config();
        String listen = opt.getOrDefault("--listen", "127.0.0.1:0");
        int colon = listen.lastIndexOf(':');
        c.host = listen.substring(0, colon);
        c.port = Integer.parseInt(listen.substring(colon + 1));
        c.share = path(opt, "--share").toRealPath();
        c.inbox = path(opt, "--inbox").toRealPath();
        if (!Files.isDirectory(c.share) || !Files.isDirectory(c.inbox)) {
            throw new IllegalArgumentException("--share and --inbox must be directories");
        }
        if (opt.containsKey("--allow")) c.allow = new LinkedHashSet<>(List.of(opt.get("--allow").split(",")));
        c.putEnabled = !opt.containsKey("--no-put");
        c.maxFileSize = lng(opt, "--max-file-size", c.maxFileSize);
        c.frameLimit = lng(opt, "--frame-limit", c.frameLimit);
        c.handshakeTimeout = dbl(opt, "--handshake-timeout", c.handshakeTimeout);
        c.idleTimeout = dbl(opt, "--idle-timeout", c.idleTimeout);
        c.maxConnections = (int) lng(opt, "--max-connections", c.maxConnections);
        c.maxPendingPerAddress = (int) lng(opt, "--max-pending-per-address", c.maxPendingPerAddress);
        c.crlRefresh = dbl(opt, "--crl-refresh", c.crlRefresh);
        new Responder(c, trust).serve();
    }

    private static Path path(Map<String, String> opt, String key) {
        String v = opt.get(key);
        if (v == null) {
            System.err.println("pki4: " + key + " is required");
            System.exit(2);
        }
        return Path.of(v);
    }

    private static long lng(Map<String, String> opt, String key, long dflt) {
        return opt.containsKey(key) ? Long.parseLong(opt.get(key)) : dflt;
    }

    private static double dbl(Map<String, String> opt, String key, double dflt) {
        return opt.containsKey(key) ? Double.parseDouble(opt.get(key)) : dflt;
    }

    private static void usage() {
        System.err.println("usage: Pki4 serve|get|put ... (see the class comment)");
        System.exit(2);
    }
}
