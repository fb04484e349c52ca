/*
 * eke7 — a clean-room sft-eke/1 server and client (get, put) in Java 17, JDK only, written
 * from docs/SPEC.md alone. Its own choices where the SPEC allows several:
 *
 * - threads: one platform thread per connection, blocking java.net sockets; deadlines by
 *   SO_TIMEOUT re-armed with the time LEFT before each read (LIM-1: counted from accept,
 *   trickling bytes do not extend it); the idle timeout (LIM-2) per read; a watchdog thread
 *   closes a connection whose write has made no progress for the idle timeout (LIM-10).
 * - admission (accept thread): per-address pending cap first (EROR busy + close), then
 *   max_connections, making room by closing the OLDEST connection still in its handshake
 *   (LIM-9), else EROR busy.
 * - order of checks at EKE1: type, JSON schema, hex lengths, user-name validity (an invalid
 *   name is bad_frame, EKE-PW-5), hard cap, user then address lock (throttled, retry_after
 *   the later one), pending caps (busy, retry_after 1), then the exponentiations.
 * - an invalid X' or Z (EKE-X-3, EKE-KS-2) goes on with a random Z and fails at EKE3.
 * - residuosity: a binary Jacobi symbol on X'·r² for a fresh 3000-bit r (EKE-SEC-4).
 * - throttle store: a text file (failures.txt) in --state, rewritten (temp + rename) on
 *   every change; failures of an address are kept per user, so a success forgives the
 *   user's own failures there and no others (EKE-THR-6); tables bounded by
 *   --table-entries, evicting the least recently failed entry without a running lock,
 *   a hard lock or a pending handshake (EKE-THR-9).
 * - SIGHUP is the "restart" (EKE-THR-8): accounts and failure counts are reread from disk,
 *   the inbox swept, and a new `listening on` line printed; the listening socket stays.
 * - names: every symbolic link is refused (forbidden), in any component; the share is
 *   walked with SecureDirectoryStream (openat + O_NOFOLLOW) component by component.
 *   A get of a `.sft-partial-` name is forbidden.
 * - records: DATA of up to 1 MiB per record; RSFL of a get carries no sha256.
 * - JSON nesting deeper than 256 levels is bad_frame (FRM-9 allows it).
 * - the client retries `busy` twice, after 1 to 1.5 × retry_after; gives up saying so.
 */

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public final class Eke7 {
    private Eke7() {}

    /** `--name value` options, then positional arguments (after `--` or the first non-option). */
    static final class Options {
        final Map<String, String> named = new HashMap<>();
        final List<String> positional = new ArrayList<>();

        Options(String[] args, int from) {
            int i = from;
            for (; i < args.length; i++) {
                if (args[i].equals("--")) { i++; break; }
                if (args[i].startsWith("--") && i + 1 < args.length) { named.put(args[i], args[++i]); continue; }
                if (args[i].equals("-o") && i + 1 < args.length) { named.put("-o", args[++i]); continue; }
                break;
            }
            for (; i < args.length; i++) positional.add(args[i]);
        }

        String get(String k) {
            String v = named.get(k);
            if (v == null) throw new IllegalArgumentException("missing option " + k);
            return v;
        }

        int integer(String k, int dflt) { return named.containsKey(k) ? Integer.parseInt(named.get(k)) : dflt; }

        long longValue(String k, long dflt) { return named.containsKey(k) ? Long.parseLong(named.get(k)) : dflt; }

        double decimal(String k, double dflt) { return named.containsKey(k) ? Double.parseDouble(named.get(k)) : dflt; }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) usage();
        Options o = new Options(args, 1);
        switch (args[0]) {
            case "serve":
                new Server(o).serve();
                break;
            case "useradd": {
                String user = o.get("--user");
                if (!Server.validUser(user)) fail("invalid user name");
                byte[] password;
                try {
                    password = Client.readPasswordFile(Path.of(o.get("--password-file")));
                } catch (Client.Failed e) {
                    fail(e.getMessage());
                    return;
                }
                Server.Accounts.add(Path.of(o.get("--store")), user, Crypto.passwordKey(user, password));
                break;
            }
            case "get":
            case "put": {
                try {
                    Client c = new Client(o);
                    int rc;
                    if (args[0].equals("get")) {
                        if (o.positional.size() != 2) usage();
                        rc = c.get(o.positional.get(0), o.positional.get(1), Path.of(o.get("-o")));
                    } else {
                        if (o.positional.size() != 3) usage();
                        rc = c.put(o.positional.get(0), Path.of(o.positional.get(1)), o.positional.get(2));
                    }
                    System.exit(rc);
                } catch (Client.Failed e) {
                    fail(e.getMessage());
                } catch (IOException e) {
                    fail("I/O error: " + e.getMessage());
                }
                break;
            }
            case "vectors":
                System.exit(Vectors.run(Path.of(args[1])));
                break;
            case "faults":
                for (Map.Entry<String, String> e : Faults.TABLE.entrySet()) System.out.println(e.getKey() + " " + e.getValue());
                break;
            default:
                usage();
        }
    }

    static void fail(String message) {
        System.err.println("eke7: " + message);
        System.exit(1);
    }

    static void usage() {
        System.err.println("usage: eke7 serve --listen H:P --store F --state D --share D --inbox D [limits]\n"
            + "       eke7 useradd --store F --user U --password-file F\n"
            + "       eke7 get --user U --password-file F -o OUT [--handshake-timeout S --idle-timeout S] -- H:P NAME\n"
            + "       eke7 put --user U --password-file F [timeouts] -- H:P FILE NAME\n"
            + "       eke7 vectors DIR");
        System.exit(2);
    }
}
