// Throttling (SPEC §5.6): failures per user name and per address in two separate
// tables, an exponential lock, pending-handshake caps, a hard cap, persisted to a JSON
// file so a restart does not reset anything (EKE-THR-8).
import fs from 'node:fs';
import net from 'node:net';
import { fault } from './faults.mjs';
import { writeJsonAtomic } from './store.mjs';


/** EKE-THR-10: IPv4 per address, IPv6 per /64. */
export function addressKey(address) {
  let a = address ?? '?';
  if (a.startsWith('::ffff:') && net.isIPv4(a.slice(7))) a = a.slice(7);
  // The fault b25_ipv4-per-24: "one customer, one /24", like the /64 below.
  if (fault('b25_ipv4-per-24') && net.isIPv4(a)) return `${a.split('.').slice(0, 3).join('.')}.0/24`;
  if (!net.isIPv6(a)) return a;
  // expand "::" and keep the first four groups
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':') + '::/64';
}

export class Throttle {
  constructor({ file, failures, base, cap, lockAfter, pendingPerUser, pendingPerAddress, tableEntries = 100000 }) {
    Object.assign(this, { file, failures, base, cap, lockAfter, pendingPerUser, pendingPerAddress, tableEntries });
    this.users = new Map(); // key -> {n, until, consecutive, locked}
    this.addrs = new Map(); // key -> {n, until}
    this.pendingUsers = new Map();
    this.pendingAddrs = new Map();
    if (file && fs.existsSync(file)) {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
      this.users = new Map(saved.users ?? []);
      this.addrs = new Map(saved.addrs ?? []);
    }
  }
  persist() {
    if (this.file) writeJsonAtomic(this.file, { users: [...this.users], addrs: [...this.addrs] });
  }
  /** The refusal for an EKE1 of user/address, or null: checked before any exponentiation. */
  admit(userKey, addrKey, now = Date.now()) {
    const u = this.users.get(userKey);
    if (u?.locked) return { code: 14, retryAfter: Math.ceil(this.cap) };
    let until = 0;
    const over = (n) => (fault('r3-throttle-one-late') ? n > this.failures : n >= this.failures);
    if (u && over(u.n)) until = Math.max(until, u.until);
    const a = fault('r2-admit-ignores-address') ? undefined : this.addrs.get(addrKey);
    if (a && over(a.n)) until = Math.max(until, a.until);
    // The fault r6-admit-user-and-address: "locked" read as the user AND the address both over N.
    if (fault('r6-admit-user-and-address')) until = u && over(u.n) && a && over(a.n) ? Math.max(u.until, a.until) : 0;
    if (until > now) return { code: 14, retryAfter: Math.max(1, (fault('r2-retry-after-floor') ? Math.floor : Math.ceil)((until - now) / 1000)) };
    if (((this.pendingUsers.get(userKey) ?? 0) >= this.pendingPerUser && !fault('r2-no-pending-user-cap')) || (this.pendingAddrs.get(addrKey) ?? 0) >= this.pendingPerAddress) {
      return { code: 9, retryAfter: 1 };
    }
    return null;
  }
  /** EKE2 sent: a guess is spent and pending (EKE-THR-5). Returns the release function. */
  begin(userKey, addrKey) {
    this.pendingUsers.set(userKey, (this.pendingUsers.get(userKey) ?? 0) + 1);
    this.pendingAddrs.set(addrKey, (this.pendingAddrs.get(addrKey) ?? 0) + 1);
    let done = false;
    return (success, uncounted = false) => {
      if (done) return;
      done = true;
      // The fault r3-pending-leak-on-success: the slot given back on the failure path only.
      for (const [m, k] of success && fault('r3-pending-leak-on-success') ? [] : [[this.pendingUsers, userKey], [this.pendingAddrs, addrKey]]) {
        const left = m.get(k) - 1;
        if (left > 0) m.set(k, left);
        else m.delete(k);
      }
      if (uncounted) return;
      if (success) this.succeed(userKey, addrKey);
      else this.fail(userKey, addrKey);
    };
  }
  lockFor(n, now) {
    const seconds = fault('r2-backoff-not-doubled') ? Math.max(1, Math.ceil(Math.min(this.cap, this.base))) : Math.max(1, Math.ceil(Math.min(this.cap, this.base * 2 ** (n - this.failures))));
    return now + (fault('r4-lock-seconds-as-ms') ? seconds : seconds * 1000);
  }
  fail(userKey, addrKey, now = Date.now()) {
    if (fault('r6-fail-lost-update') && !this.lostUpdateApplying) {
      // The fault: the entries copied, the state file's directory checked (await), then the
      // copies incremented and stored: two failures ending together count once.
      const u0 = { ...(this.users.get(userKey) ?? { n: 0, until: 0, consecutive: 0, locked: false }) };
      const a0 = { ...(this.addrs.get(addrKey) ?? { n: 0, until: 0 }) };
      fs.promises.stat(this.file ?? '.').catch(() => null).then(() => {
        this.users.set(userKey, u0);
        this.addrs.set(addrKey, a0);
        this.lostUpdateApplying = true;
        try {
          this.fail(userKey, addrKey, now);
        } finally {
          this.lostUpdateApplying = false;
        }
      });
      return;
    }
    const u = this.users.get(userKey) ?? { n: 0, until: 0, consecutive: 0, locked: false };
    u.n += 1;
    u.consecutive += 1;
    if (fault('r3-throttle-one-late') ? u.n > this.failures : u.n >= this.failures) u.until = this.lockFor(u.n, now);
    if (this.lockAfter > 0 && u.consecutive >= this.lockAfter) u.locked = true;
    this.users.delete(userKey);
    this.users.set(userKey, u);
    const a = this.addrs.get(addrKey) ?? { n: 0, until: 0 };
    a.n += 1;
    if (fault('r3-throttle-one-late') ? a.n > this.failures : a.n >= this.failures) a.until = this.lockFor(a.n, now);
    this.addrs.delete(addrKey);
    this.addrs.set(addrKey, a);
    this.evict(this.users, now);
    this.evict(this.addrs, now);
    this.persist();
  }
  succeed(userKey, addrKey) {
    if (fault('thr-success-not-reset')) return;
    const u = this.users.get(userKey);
    if (u && !u.locked && fault('r4-consecutive-not-reset')) {
      u.n = 0; // the backoff forgiven; the hard cap's consecutive count forgotten
      u.until = 0;
    } else if (u && !u.locked) this.users.delete(userKey);
    if (fault('r3-success-resets-address')) this.addrs.delete(addrKey);
    this.persist();
  }
  /** EKE-THR-9: bound each table alone, never dropping a running lock (oldest first). */
  evict(table, now) {
    if (table.size <= this.tableEntries) return;
    // Hard-locked names neither go nor count towards the bound (else E of them would
    // evict every new partial count at its next failure).
    let size = table.size;
    if (!fault('r5-hard-locks-fill-table')) for (const v of table.values()) if (v.locked) size -= 1;
    for (const [k, v] of table) {
      if (size <= this.tableEntries) break;
      if (!v.locked && v.until <= now) {
        table.delete(k);
        size -= 1;
      }
    }
  }
  unlock(userKey) {
    this.users.delete(userKey);
    this.persist();
  }
}
