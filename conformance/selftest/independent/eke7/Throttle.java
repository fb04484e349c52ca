import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Failure counting of §5.6: two bounded tables (user names, addresses), pending handshakes,
 * the backoff law, the hard cap, persisted to a text file in the state directory on every
 * change (EKE-THR-8). One monitor guards everything. */
final class Throttle {
    static final class Entry {
        int fails;
        int consecutive;
        boolean hardLocked;
        long lockUntil; // epoch ms
        long touched; // epoch ms, for eviction
        Map<String, Integer> byUser = new HashMap<>(); // address entries: failures per user
    }

    enum Kind { OK, THROTTLED, BUSY }

    static final class Decision {
        final Kind kind;
        final long retryAfter;

        Decision(Kind kind, long retryAfter) { this.kind = kind; this.retryAfter = retryAfter; }
    }

    final int n, p, q, lockAfter, tableEntries;
    final double base, cap;
    final Path file;
    private Map<String, Entry> users = new LinkedHashMap<>();
    private Map<String, Entry> addrs = new LinkedHashMap<>();
    private final Map<String, Integer> pendingUsers = new HashMap<>();
    private final Map<String, Integer> pendingAddrs = new HashMap<>();

    Throttle(int n, double base, double cap, int p, int q, int lockAfter, int tableEntries, Path file) {
        this.n = n; this.base = base; this.cap = cap; this.p = p; this.q = q;
        this.lockAfter = lockAfter; this.tableEntries = tableEntries; this.file = file;
    }

    static long ceilSeconds(long millis) { return Math.max(1, (millis + 999) / 1000); }

    private long retry(long lockUntil, long now) {
        if (Faults.on("retry_after_floor")) return (lockUntil - now) / 1000;
        return ceilSeconds(lockUntil - now);
    }

    synchronized Decision admit(String user, String addr) {
        long now = System.currentTimeMillis();
        Entry u = users.get(user);
        Entry a = addrEntry(addr);
        if (u != null && u.hardLocked) return new Decision(Kind.THROTTLED, (long) Math.ceil(cap));
        long until = 0;
        if (u != null && u.lockUntil > now) until = u.lockUntil;
        if (a != null && a.lockUntil > now && !Faults.on("address_lock_ignored")) until = Math.max(until, a.lockUntil);
        if (until > now && Faults.on("retry_after_full_lock")) {
            // the lock's length as it was set, not the time left
            Entry by = (u != null && u.lockUntil == until) ? u : a;
            return new Decision(Kind.THROTTLED, ceilSeconds(until - by.touched));
        }
        if (until > now) return new Decision(Kind.THROTTLED, retry(until, now));
        int pu = pendingUsers.getOrDefault(user, 0);
        int pa = pendingAddrs.getOrDefault(addr, 0);
        if (pu >= p || pa >= q) {
            return new Decision(Kind.BUSY, Faults.on("busy_retry_after_zero") ? 0 : 1);
        }
        pendingUsers.put(user, pu + 1);
        pendingAddrs.put(addr, pa + 1);
        if (Faults.on("count_at_eke1")) fail(user, addr, now);
        return new Decision(Kind.OK, 0);
    }

    /** The end of a handshake admitted by admit(): spent (EKE2 sent) or not, success or not. */
    synchronized void end(String user, String addr, boolean spent, boolean success, boolean abandoned) {
        if (!(Faults.on("pending_not_released_on_abort") && spent && !success)) {
            decrement(pendingUsers, user);
            decrement(pendingAddrs, addr);
        }
        long now = System.currentTimeMillis();
        if (Faults.on("count_at_eke1")) {
            if (success) unfail(user, addr);
            else if (!spent) unfail(user, addr);
            save();
            return;
        }
        if (success) {
            Entry u = users.get(user);
            if (u != null) {
                u.fails = 0;
                u.lockUntil = 0;
                if (!Faults.on("success_keeps_consecutive")) u.consecutive = 0;
            }
            Entry a = addrEntry(addr);
            if (a != null) {
                if (Faults.on("success_resets_address")) {
                    a.fails = 0;
                    a.byUser.clear();
                } else {
                    Integer mine = a.byUser.remove(user);
                    if (mine != null) a.fails -= mine;
                }
            }
            save();
        } else if (spent) {
            if (Faults.on("abandon_not_counted") && abandoned) return;
            fail(user, addr, now);
        }
    }

    /** r18_busy_counted_as_failure: a failure recorded now. */
    synchronized void failNow(String user, String addr) { fail(user, addr, System.currentTimeMillis()); }

    private void unfail(String user, String addr) {
        Entry u = users.get(user);
        if (u != null && u.fails > 0) { u.fails--; u.consecutive = Math.max(0, u.consecutive - 1); }
        Entry a = addrEntry(addr);
        if (a != null && a.fails > 0) { a.fails--; a.byUser.merge(user, -1, Integer::sum); }
    }

    private Entry addrEntry(String addr) {
        return Faults.on("shared_failure_table") ? users.get("@" + addr) : addrs.get(addr);
    }

    private static void decrement(Map<String, Integer> m, String k) {
        Integer v = m.get(k);
        if (v == null || v <= 1) m.remove(k);
        else m.put(k, v - 1);
    }

    private long lockFor(int fails, long now) {
        if (fails < n) return 0;
        double secs;
        if (Faults.on("backoff_linear")) secs = base * (fails - n + 1);
        else secs = base * Math.pow(2, Math.min(fails - n, 60));
        secs = Math.min(cap, secs);
        long ms = (long) Math.ceil(secs) * 1000L;
        return now + Math.max(1000L, ms);
    }

    private Entry entry(Map<String, Entry> table, String key, long now) {
        Entry e = table.get(key);
        if (e != null) return e;
        // EKE-THR-9: hard-locked names do not count towards the bound.
        long counted = Faults.on("b14_hard_locks_fill_table") ? table.size()
            : table.values().stream().filter(v -> !v.hardLocked).count();
        if (counted >= tableEntries) {
            Iterator<Map.Entry<String, Entry>> it = table.entrySet().iterator();
            String victim = null;
            long oldest = Long.MAX_VALUE;
            while (it.hasNext()) {
                Map.Entry<String, Entry> x = it.next();
                Entry v = x.getValue();
                boolean held = v.hardLocked || v.lockUntil > now || pendingUsers.containsKey(x.getKey())
                    || pendingAddrs.containsKey(x.getKey());
                if (!held && v.touched < oldest) { oldest = v.touched; victim = x.getKey(); }
            }
            if (victim != null) table.remove(victim);
        }
        e = new Entry();
        table.put(key, e);
        return e;
    }

    private void fail(String user, String addr, long now) {
        Entry u = entry(users, user, now);
        u.fails++;
        u.consecutive++;
        u.touched = now;
        if (u.fails >= n) u.lockUntil = lockFor(u.fails, now);
        if (u.consecutive >= lockAfter) {
            if (Faults.on("hard_lock_expires")) u.lockUntil = now + (long) Math.ceil(cap) * 1000L;
            else u.hardLocked = true;
        }
        Entry a = Faults.on("shared_failure_table") ? entry(users, "@" + addr, now) : entry(addrs, addr, now);
        a.fails++;
        a.byUser.merge(user, 1, Integer::sum);
        a.touched = now;
        if (a.fails >= n) a.lockUntil = lockFor(a.fails, now);
        save();
    }

    // ---- persistence ----
    synchronized void save() {
        if (file == null || Faults.on("throttle_in_memory")) return;
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Entry> x : users.entrySet()) {
            Entry e = x.getValue();
            b.append("U ").append(Crypto.hex(Crypto.utf8(x.getKey()))).append(' ').append(e.fails).append(' ')
                .append(e.consecutive).append(' ').append(e.hardLocked ? 1 : 0).append(' ')
                .append(e.lockUntil).append(' ').append(e.touched).append('\n');
        }
        for (Map.Entry<String, Entry> x : addrs.entrySet()) {
            Entry e = x.getValue();
            b.append("A ").append(Crypto.hex(Crypto.utf8(x.getKey()))).append(' ').append(e.fails).append(' ')
                .append(e.lockUntil).append(' ').append(e.touched);
            for (Map.Entry<String, Integer> y : e.byUser.entrySet()) {
                b.append(' ').append(Crypto.hex(Crypto.utf8(y.getKey()))).append(':').append(y.getValue());
            }
            b.append('\n');
        }
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, b.toString().getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("eke7: cannot save the failure counts: " + e.getMessage());
        }
    }

    /** (Re)reads the failure tables from disk; pending handshakes are kept (they are live). */
    synchronized void load() throws IOException {
        Map<String, Entry> nu = new LinkedHashMap<>();
        Map<String, Entry> na = new LinkedHashMap<>();
        if (file != null && Files.exists(file) && !Faults.on("throttle_in_memory")) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (String line : lines) {
                String[] f = line.split(" ");
                Entry e = new Entry();
                String key = new String(Crypto.unhex(f[1]), StandardCharsets.UTF_8);
                e.fails = Integer.parseInt(f[2]);
                if (f[0].equals("U")) {
                    e.consecutive = Integer.parseInt(f[3]);
                    e.hardLocked = f[4].equals("1");
                    e.lockUntil = Long.parseLong(f[5]);
                    e.touched = Long.parseLong(f[6]);
                    nu.put(key, e);
                } else {
                    e.lockUntil = Long.parseLong(f[3]);
                    e.touched = Long.parseLong(f[4]);
                    for (int k = 5; k < f.length; k++) {
                        String[] kv = f[k].split(":");
                        e.byUser.put(new String(Crypto.unhex(kv[0]), StandardCharsets.UTF_8), Integer.parseInt(kv[1]));
                    }
                    na.put(key, e);
                }
            }
        }
        users = nu;
        addrs = na;
    }
}
